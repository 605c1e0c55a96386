//! Entry invariants, currencies, fees and serde; account keys (`account_keys`) and
//! verification errors (`verify`) in their modules.

use paygate_ledger::{
    AccountId, AccountKind, Book, Counterparty, Currency, Entry, EntryKind, Fee, LedgerError,
    Owner, Posting, capture, payout, refund, settle,
};

mod account_keys;
mod verify;

fn usd(kind: AccountKind) -> AccountId {
    if kind.is_merchant() {
        AccountId::merchant("acct_1", false, kind, Currency::USD)
    } else {
        AccountId::gateway(false, kind, Currency::USD)
    }
}

#[test]
fn currency_parse_is_case_insensitive_and_knows_exponents() {
    let table: &[(&str, &str, u16, u8, i64)] = &[
        ("KRW", "krw", 410, 0, 99_999_999),
        ("jpy", "jpy", 392, 0, 99_999_999),
        ("Usd", "usd", 840, 2, 9_999_999_900),
        ("aud", "aud", 36, 2, 9_999_999_900),
        ("bhd", "bhd", 48, 3, 99_999_999_000),
        ("KWD", "kwd", 414, 3, 99_999_999_000),
        ("ugx", "ugx", 800, 0, 99_999_999),
    ];
    for &(input, code, numeric, exponent, max) in table {
        let c = Currency::parse(input).unwrap();
        assert_eq!(
            (c.code(), c.numeric(), c.exponent(), c.max_amount()),
            (code, numeric, exponent, max)
        );
        assert_eq!(Currency::from_numeric(numeric), Some(c));
    }
    for code in [
        "krw", "jpy", "usd", "eur", "gbp", "cny", "hkd", "sgd", "aud", "cad", "chf", "twd", "thb",
        "vnd", "idr", "php", "inr", "kwd", "bhd", "jod", "omr", "tnd", "clp", "isk", "ugx",
    ] {
        assert!(Currency::parse(code).is_ok(), "{code} must be supported");
    }
}

#[test]
fn currency_parse_errors_name_the_currency_field() {
    for bad in ["", "us", "usdd", "xyz", " usd", "usd ", "üsd", "u$d"] {
        let err = Currency::parse(bad).unwrap_err();
        assert!(
            matches!(err, LedgerError::UnknownCurrency { .. }),
            "{bad:?}"
        );
        assert!(err.to_string().starts_with("currency: "), "{err}");
    }
    let long = "x".repeat(1_000);
    let err = Currency::parse(&long).unwrap_err();
    assert!(
        err.to_string().len() < 80,
        "untrusted input is not echoed in full"
    );
}

#[test]
fn fee_rounds_half_up_and_never_exceeds_the_amount() {
    let table: &[(u32, i64, i64, i64)] = &[
        // bps, fixed, amount, fee
        (290, 30, 1_000, 59),                     // 29.0 + 30
        (290, 30, 10_000, 320),                   // 290 + 30
        (100, 0, 50, 1),                          // 0.5 rounds up
        (100, 0, 49, 0),                          // 0.49 rounds down
        (100, 0, 150, 2),                         // 1.5 rounds up
        (100, 0, 249, 2),                         // 2.49 rounds down
        (330, 0, 10_000, 330),                    // KRW 3.3 %
        (330, 0, 1_515, 50),                      // 49.995 → 50
        (0, 30, 10, 10),                          // fixed part capped at the amount
        (10_000, 0, 777, 777),                    // 100 %
        (20_000, 0, 777, 777),                    // over 100 % capped
        (290, -100, 1_000, 0),                    // negative fixed never gives a rebate
        (290, 30, 0, 0),                          // nothing charged, no fee
        (290, 30, -5, 0),                         // invalid amount, no fee
        (u32::MAX, i64::MAX, i64::MAX, i64::MAX), // no overflow at the extremes
    ];
    for &(bps, fixed_minor, amount, fee) in table {
        assert_eq!(
            Fee { bps, fixed_minor }.compute(amount),
            fee,
            "bps {bps} fixed {fixed_minor} amount {amount}"
        );
    }
}

#[test]
fn entries_must_balance_per_currency() {
    let err = Entry::new(
        "e1",
        EntryKind::Adjustment,
        "adj_1",
        vec![
            Posting::debit(usd(AccountKind::Bank), 100),
            Posting::credit(usd(AccountKind::Available), 99),
        ],
    )
    .unwrap_err();
    assert_eq!(
        err,
        LedgerError::Unbalanced {
            currency: "usd",
            sum: 1
        }
    );

    let eur_bank = AccountId::gateway(false, AccountKind::Bank, Currency::EUR);
    let err = Entry::new(
        "e2",
        EntryKind::Adjustment,
        "adj_2",
        vec![
            Posting::debit(usd(AccountKind::Bank), 100),
            Posting::credit(eur_bank, 100),
        ],
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::Unbalanced {
                sum: 100 | -100,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn entries_reject_zero_single_duplicate_mixed_and_oversized_postings() {
    let adj = |postings| Entry::new("e", EntryKind::Adjustment, "r", postings);
    let bank = usd(AccountKind::Bank);
    let avail = usd(AccountKind::Available);
    assert_eq!(
        adj(vec![
            Posting::debit(bank.clone(), 0),
            Posting::credit(avail.clone(), 0)
        ])
        .unwrap_err(),
        LedgerError::ZeroAmount {
            account: "g:test:bank:usd".into()
        }
    );
    assert_eq!(
        adj(vec![Posting::debit(bank.clone(), 1)]).unwrap_err(),
        LedgerError::PostingCount { got: 1, max: 16 }
    );
    assert_eq!(
        adj(vec![
            Posting::debit(bank.clone(), 1),
            Posting::credit(bank.clone(), 1)
        ])
        .unwrap_err(),
        LedgerError::DuplicateAccount {
            account: "g:test:bank:usd".into()
        }
    );
    let live_bank = AccountId::gateway(true, AccountKind::Bank, Currency::USD);
    assert_eq!(
        adj(vec![
            Posting::debit(live_bank, 1),
            Posting::credit(avail.clone(), 1)
        ])
        .unwrap_err(),
        LedgerError::MixedLivemode
    );
    let max = Currency::USD.max_posting_amount();
    assert!(matches!(
        adj(vec![
            Posting::debit(bank.clone(), max + 1),
            Posting::credit(avail.clone(), max + 1)
        ]),
        Err(LedgerError::AmountTooLarge { .. })
    ));
    assert!(
        adj(vec![
            Posting::debit(bank.clone(), max),
            Posting::credit(avail.clone(), max)
        ])
        .is_ok()
    );
    assert!(matches!(
        adj(vec![
            Posting::debit(bank.clone(), i64::MIN),
            Posting::credit(avail, i64::MIN)
        ]),
        Err(LedgerError::AmountTooLarge { .. })
    ));
    let many: Vec<Posting> = (0..17)
        .map(|i| {
            Posting::debit(
                AccountId::merchant(&format!("m{i}"), false, AccountKind::Pending, Currency::USD),
                1,
            )
        })
        .collect();
    assert_eq!(
        adj(many).unwrap_err(),
        LedgerError::PostingCount { got: 17, max: 16 }
    );
}

#[test]
fn entries_reject_bad_ids_references_and_account_shapes() {
    let ok_postings = || {
        vec![
            Posting::debit(usd(AccountKind::Bank), 5),
            Posting::credit(usd(AccountKind::Available), 5),
        ]
    };
    for bad_id in ["", "has space", &"x".repeat(129)] {
        let err = Entry::new(bad_id, EntryKind::Adjustment, "r", ok_postings()).unwrap_err();
        assert!(
            matches!(
                err,
                LedgerError::Field {
                    field: "entry_id",
                    ..
                }
            ),
            "{bad_id:?}: {err}"
        );
    }
    let err = Entry::new("e", EntryKind::Adjustment, "r\n", ok_postings()).unwrap_err();
    assert!(matches!(
        err,
        LedgerError::Field {
            field: "reference",
            ..
        }
    ));
    assert!(Entry::new("e", EntryKind::Adjustment, "", ok_postings()).is_ok());

    let wrong_owner = AccountId {
        owner: Owner::Gateway,
        livemode: false,
        kind: AccountKind::Pending,
        currency: Currency::USD,
    };
    let err = Entry::new(
        "e",
        EntryKind::Adjustment,
        "r",
        vec![
            Posting::debit(wrong_owner, 5),
            Posting::credit(usd(AccountKind::Bank), 5),
        ],
    )
    .unwrap_err();
    assert!(matches!(err, LedgerError::Account { .. }), "{err}");
    let bad_merchant = AccountId::merchant("acct:1", false, AccountKind::Pending, Currency::USD);
    let err = Entry::new(
        "e",
        EntryKind::Adjustment,
        "r",
        vec![
            Posting::debit(bad_merchant, 5),
            Posting::credit(usd(AccountKind::Bank), 5),
        ],
    )
    .unwrap_err();
    assert!(err.to_string().contains("merchant id"), "{err}");
}

#[test]
fn posting_rules_check_amounts_fees_and_merchant_ids() {
    let field = |r: Result<Entry, LedgerError>| match r {
        Err(LedgerError::Field { field, .. }) => field,
        other => panic!("expected a field error, got {other:?}"),
    };
    let krw = Currency::KRW;
    assert_eq!(
        field(capture(
            "e",
            Counterparty::CardNetwork,
            "acct_1",
            false,
            krw,
            0,
            0,
            "ch"
        )),
        "amount"
    );
    assert_eq!(
        field(capture(
            "e",
            Counterparty::CardNetwork,
            "acct_1",
            false,
            krw,
            -1,
            0,
            "ch"
        )),
        "amount"
    );
    assert_eq!(
        field(capture(
            "e",
            Counterparty::CardNetwork,
            "acct_1",
            false,
            krw,
            krw.max_amount() + 1,
            0,
            "ch"
        )),
        "amount"
    );
    assert!(
        capture(
            "e",
            Counterparty::CardNetwork,
            "acct_1",
            false,
            krw,
            krw.max_amount(),
            0,
            "ch"
        )
        .is_ok()
    );
    assert_eq!(
        field(capture(
            "e",
            Counterparty::CardNetwork,
            "acct_1",
            false,
            krw,
            100,
            101,
            "ch"
        )),
        "fee"
    );
    assert_eq!(
        field(capture(
            "e",
            Counterparty::CardNetwork,
            "acct_1",
            false,
            krw,
            100,
            -1,
            "ch"
        )),
        "fee"
    );
    assert_eq!(
        field(capture(
            "e",
            Counterparty::CardNetwork,
            "",
            false,
            krw,
            100,
            1,
            "ch"
        )),
        "merchant"
    );
    assert_eq!(
        field(refund(
            "e",
            Counterparty::CardNetwork,
            "acct_1",
            false,
            krw,
            0,
            "re"
        )),
        "amount"
    );
    assert_eq!(field(settle("e", "acct_1", false, krw, -3, "st")), "amount");
    assert!(
        settle("e", "acct_1", false, krw, krw.max_amount() + 1, "st").is_ok(),
        "settlements aggregate charges"
    );
    assert_eq!(field(payout("e", "a b", false, krw, 3, "po")), "merchant");
}

#[test]
fn entry_kinds_parse_and_entries_round_trip_through_json() {
    for k in EntryKind::ALL {
        assert_eq!(EntryKind::parse(k.as_str()).unwrap(), k);
    }
    assert!(matches!(
        EntryKind::parse("Capture"),
        Err(LedgerError::UnknownEntryKind { .. })
    ));
    let e = capture(
        "cap_1",
        Counterparty::CardNetwork,
        "acct_1",
        true,
        Currency::EUR,
        2_500,
        75,
        "ch_1",
    )
    .unwrap();
    let json = serde_json::to_string(&e).unwrap();
    assert!(json.contains("\"m:acct_1:live:pending:eur\""), "{json}");
    assert!(json.contains("\"kind\":\"capture\""), "{json}");
    assert_eq!(serde_json::from_str::<Entry>(&json).unwrap(), e);
}

#[test]
fn deserialising_an_unbalanced_entry_fails() {
    let json = r#"{"id":"e1","kind":"adjustment","reference":"r","postings":[
        {"account":"g:test:bank:usd","amount":100},
        {"account":"m:acct_1:test:available:usd","amount":-90}]}"#;
    let err = serde_json::from_str::<Entry>(json).unwrap_err();
    assert!(err.to_string().contains("differ by 10"), "{err}");
}

#[test]
#[should_panic(expected = "is invalid")]
fn applying_an_entry_broken_by_hand_panics() {
    let mut e = capture(
        "e1",
        Counterparty::CardNetwork,
        "acct_1",
        false,
        Currency::USD,
        1_000,
        30,
        "ch_1",
    )
    .unwrap();
    e.postings[0].amount += 1;
    Book::new().apply(&e);
}
