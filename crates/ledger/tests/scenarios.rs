//! Table-driven ledger scenarios: a list of events and the natural balances they must
//! leave (positive = on the account's normal side, see the crate docs).

use paygate_ledger::{
    AccountId, AccountKind, Applied, Book, Counterparty, Currency, Entry, capture,
    network_settlement, payout, refund, settle,
};

const M: &str = "acct_1";

#[derive(Clone, Copy, Debug)]
enum Event {
    Capture { amount: i64, fee: i64 },
    Refund(i64),
    Settle(i64),
    Payout(i64),
    NetworkSettlement(i64),
}

struct Expected {
    pending: i64,
    available: i64,
    network_receivable: i64,
    fee_revenue: i64,
    bank: i64,
}

struct Scenario {
    name: &'static str,
    cur: Currency,
    events: &'static [Event],
    expected: Expected,
}

fn entry_for(i: usize, ev: Event, cur: Currency) -> Entry {
    let id = format!("e{i}");
    match ev {
        Event::Capture { amount, fee } => capture(
            id,
            Counterparty::CardNetwork,
            M,
            false,
            cur,
            amount,
            fee,
            "ch_1",
        ),
        Event::Refund(a) => refund(
            id,
            Counterparty::CardNetwork,
            M,
            false,
            cur,
            a,
            format!("re_{i}"),
        ),
        Event::Settle(a) => settle(id, M, false, cur, a, "st_1"),
        Event::Payout(a) => payout(id, M, false, cur, a, "po_1"),
        Event::NetworkSettlement(a) => {
            network_settlement(id, Counterparty::CardNetwork, false, cur, a, "batch_1")
        }
    }
    .unwrap()
}

fn scenarios() -> Vec<Scenario> {
    use Event::*;
    vec![
        Scenario {
            name: "capture credits the merchant net of the fee",
            cur: Currency::KRW,
            events: &[Capture {
                amount: 10_000,
                fee: 330,
            }],
            expected: Expected {
                pending: 9_670,
                available: 0,
                network_receivable: 10_000,
                fee_revenue: 330,
                bank: 0,
            },
        },
        Scenario {
            name: "capture without a fee has no fee line",
            cur: Currency::USD,
            events: &[Capture {
                amount: 1_000,
                fee: 0,
            }],
            expected: Expected {
                pending: 1_000,
                available: 0,
                network_receivable: 1_000,
                fee_revenue: 0,
                bank: 0,
            },
        },
        Scenario {
            name: "a fee equal to the amount leaves the merchant nothing",
            cur: Currency::USD,
            events: &[Capture {
                amount: 30,
                fee: 30,
            }],
            expected: Expected {
                pending: 0,
                available: 0,
                network_receivable: 30,
                fee_revenue: 30,
                bank: 0,
            },
        },
        Scenario {
            name: "partial refund before settlement drives available negative",
            cur: Currency::KRW,
            events: &[
                Capture {
                    amount: 10_000,
                    fee: 330,
                },
                Refund(4_000),
            ],
            expected: Expected {
                pending: 9_670,
                available: -4_000,
                network_receivable: 6_000,
                fee_revenue: 330,
                bank: 0,
            },
        },
        Scenario {
            name: "two refunds of the whole charge keep the fee with the gateway",
            cur: Currency::KRW,
            events: &[
                Capture {
                    amount: 10_000,
                    fee: 330,
                },
                Refund(6_000),
                Refund(4_000),
            ],
            expected: Expected {
                pending: 9_670,
                available: -10_000,
                network_receivable: 0,
                fee_revenue: 330,
                bank: 0,
            },
        },
        Scenario {
            name: "settle moves pending to available",
            cur: Currency::USD,
            events: &[
                Capture {
                    amount: 5_000,
                    fee: 175,
                },
                Settle(4_825),
            ],
            expected: Expected {
                pending: 0,
                available: 4_825,
                network_receivable: 5_000,
                fee_revenue: 175,
                bank: 0,
            },
        },
        Scenario {
            name: "payout after settlement empties available and takes cash from the bank",
            cur: Currency::USD,
            events: &[
                Capture {
                    amount: 5_000,
                    fee: 175,
                },
                Settle(4_825),
                NetworkSettlement(5_000),
                Payout(4_825),
            ],
            expected: Expected {
                pending: 0,
                available: 0,
                network_receivable: 0,
                fee_revenue: 175,
                bank: 175,
            },
        },
        Scenario {
            name: "refund after settlement then payout of the rest",
            cur: Currency::KWD,
            events: &[
                Capture {
                    amount: 12_345,
                    fee: 345,
                },
                Settle(12_000),
                Refund(2_000),
                Payout(10_000),
            ],
            expected: Expected {
                pending: 0,
                available: 0,
                network_receivable: 10_345,
                fee_revenue: 345,
                bank: -10_000,
            },
        },
    ]
}

#[test]
fn scenarios_leave_the_expected_balances() {
    for s in scenarios() {
        let mut book = Book::new();
        for (i, &ev) in s.events.iter().enumerate() {
            assert_eq!(
                book.apply(&entry_for(i, ev, s.cur)),
                Applied::Created,
                "{}: event {i}",
                s.name
            );
        }
        let m = |kind| AccountId::merchant(M, false, kind, s.cur);
        let g = |kind| AccountId::gateway(false, kind, s.cur);
        let e = &s.expected;
        let got = (
            book.natural_balance(&m(AccountKind::Pending)),
            book.natural_balance(&m(AccountKind::Available)),
            book.natural_balance(&g(AccountKind::Receivable(Counterparty::CardNetwork))),
            book.natural_balance(&g(AccountKind::FeeRevenue)),
            book.natural_balance(&g(AccountKind::Bank)),
        );
        assert_eq!(
            got,
            (
                e.pending,
                e.available,
                e.network_receivable,
                e.fee_revenue,
                e.bank
            ),
            "{}",
            s.name
        );
        let mb = book.merchant_balance(M, false, s.cur);
        assert_eq!(mb.owed(), e.pending + e.available, "{}", s.name);
        book.verify()
            .unwrap_or_else(|err| panic!("{}: {err}", s.name));
    }
}

#[test]
fn raw_balances_of_merchant_accounts_are_negative_when_the_merchant_is_owed() {
    let mut book = Book::new();
    book.apply(
        &capture(
            "e1",
            Counterparty::CardNetwork,
            M,
            true,
            Currency::JPY,
            1_000,
            36,
            "ch_1",
        )
        .unwrap(),
    );
    let pending = AccountId::merchant(M, true, AccountKind::Pending, Currency::JPY);
    assert_eq!(book.balance(&pending), -964, "credit balances are negative");
    assert_eq!(book.natural_balance(&pending), 964);
    assert_eq!(
        book.balance(&AccountId::gateway(
            true,
            AccountKind::Receivable(Counterparty::CardNetwork),
            Currency::JPY
        )),
        1_000
    );
}

#[test]
fn applying_the_same_entry_twice_posts_once() {
    let mut book = Book::new();
    let e = capture(
        "cap_ch_1",
        Counterparty::CardNetwork,
        M,
        false,
        Currency::KRW,
        10_000,
        300,
        "ch_1",
    )
    .unwrap();
    assert_eq!(book.apply(&e), Applied::Created);
    assert_eq!(book.apply(&e), Applied::Exists);
    let mut reordered = e.clone();
    reordered.postings.reverse();
    assert_eq!(
        book.apply(&reordered),
        Applied::Exists,
        "posting order does not matter"
    );
    let other = capture(
        "cap_ch_1",
        Counterparty::CardNetwork,
        M,
        false,
        Currency::KRW,
        9_000,
        300,
        "ch_1",
    )
    .unwrap();
    assert_eq!(book.apply(&other), Applied::ExistsWithDifferentPostings);
    let other_ref = capture(
        "cap_ch_1",
        Counterparty::CardNetwork,
        M,
        false,
        Currency::KRW,
        10_000,
        300,
        "ch_2",
    )
    .unwrap();
    assert_eq!(book.apply(&other_ref), Applied::ExistsWithDifferentPostings);
    assert_eq!(book.len(), 1);
    assert_eq!(book.merchant_balance(M, false, Currency::KRW).owed(), 9_700);
    assert_eq!(
        Applied::ExistsWithDifferentPostings.as_str(),
        "exists_with_different_postings"
    );
}

#[test]
fn modes_and_currencies_are_separate_books() {
    let mut book = Book::new();
    book.apply(
        &capture(
            "a",
            Counterparty::CardNetwork,
            M,
            false,
            Currency::USD,
            1_000,
            0,
            "ch_a",
        )
        .unwrap(),
    );
    book.apply(
        &capture(
            "b",
            Counterparty::CardNetwork,
            M,
            true,
            Currency::USD,
            2_000,
            0,
            "ch_b",
        )
        .unwrap(),
    );
    book.apply(
        &capture(
            "c",
            Counterparty::CardNetwork,
            M,
            false,
            Currency::EUR,
            3_000,
            0,
            "ch_c",
        )
        .unwrap(),
    );
    assert_eq!(book.merchant_balance(M, false, Currency::USD).owed(), 1_000);
    assert_eq!(book.merchant_balance(M, true, Currency::USD).owed(), 2_000);
    assert_eq!(book.merchant_balance(M, false, Currency::EUR).owed(), 3_000);
    assert_eq!(
        book.merchant_balance("acct_other", false, Currency::USD)
            .owed(),
        0
    );
    assert_eq!(book.balances().count(), 6);
}
