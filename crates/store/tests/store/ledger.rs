use paygate_ledger::{
    AccountId, AccountKind, Counterparty, Currency, Entry, EntryKind, Posting, capture, refund,
};
use paygate_store::{CommitError, ConflictKind, Op, OpResult, StoreError};

use crate::harness::{TestDb, both_backends, unit};

both_backends!(
    ledger_entries_post_once_and_move_balances,
    ledger_verify_is_clean_until_a_balance_or_posting_is_tampered_with,
);

fn pending(merchant: &str) -> AccountId {
    AccountId::merchant(merchant, false, AccountKind::Pending, Currency::KRW)
}

async fn ledger_entries_post_once_and_move_balances(db: &TestDb) {
    let s = &db.store;
    let cap = capture(
        "le_cap_1",
        Counterparty::CardNetwork,
        "acct_1",
        false,
        Currency::KRW,
        10_000,
        300,
        "ch_1",
    )
    .unwrap();
    assert_eq!(
        s.commit(unit(vec![Op::Ledger(cap.clone(), 100)]))
            .await
            .unwrap(),
        vec![OpResult::Done]
    );
    // A retry of the same entry changes nothing.
    assert_eq!(
        s.commit(unit(vec![Op::Ledger(cap.clone(), 101)]))
            .await
            .unwrap(),
        vec![OpResult::Exists]
    );
    // The same id with other amounts is refused.
    let other = capture(
        "le_cap_1",
        Counterparty::CardNetwork,
        "acct_1",
        false,
        Currency::KRW,
        20_000,
        300,
        "ch_1",
    )
    .unwrap();
    let differs = s.commit(unit(vec![Op::Ledger(other, 102)])).await;
    assert!(
        matches!(
            differs,
            Err(CommitError::Conflict {
                op_index: 0,
                what: ConflictKind::LedgerEntryDiffers
            })
        ),
        "{differs:?}"
    );

    let ref_1 = refund(
        "le_ref_1",
        Counterparty::CardNetwork,
        "acct_1",
        false,
        Currency::KRW,
        4_000,
        "re_1",
    )
    .unwrap();
    let cap_2 = capture(
        "le_cap_2",
        Counterparty::CardNetwork,
        "acct_2",
        false,
        Currency::KRW,
        5_000,
        0,
        "ch_2",
    )
    .unwrap();
    s.commit(unit(vec![Op::Ledger(ref_1, 103), Op::Ledger(cap_2, 103)]))
        .await
        .unwrap();

    let merchant_1 = s.ledger_balances("m:acct_1:").await.unwrap();
    assert_eq!(
        merchant_1,
        vec![
            ("m:acct_1:test:available:krw".to_owned(), 4_000),
            (pending("acct_1").key(), -9_700)
        ]
    );
    let gateway = s.ledger_balances("g:test:").await.unwrap();
    assert_eq!(
        gateway,
        vec![
            ("g:test:fee_revenue:krw".to_owned(), -300),
            (
                "g:test:network_receivable:krw".to_owned(),
                10_000 - 4_000 + 5_000
            )
        ]
    );
    assert_eq!(
        s.ledger_balances("m:acct_2:").await.unwrap(),
        vec![(pending("acct_2").key(), -5_000)]
    );
    assert_eq!(s.ledger_balances("").await.unwrap().len(), 5);

    // Many units touching the same hot accounts in one group commit.
    let units = (0..50)
        .map(|i| {
            unit(vec![Op::Ledger(
                capture(
                    format!("le_hot_{i}"),
                    Counterparty::CardNetwork,
                    "acct_2",
                    false,
                    Currency::KRW,
                    100,
                    1,
                    "ch",
                )
                .unwrap(),
                104,
            )])
        })
        .collect();
    assert!(s.commit_many(units).await.iter().all(Result::is_ok));
    assert_eq!(
        s.ledger_balances("m:acct_2:").await.unwrap(),
        vec![(pending("acct_2").key(), -5_000 - 50 * 99)]
    );

    // An entry that does not balance is the caller's bug: refused before it is queued.
    let mut broken = capture(
        "le_bad",
        Counterparty::CardNetwork,
        "acct_1",
        false,
        Currency::KRW,
        100,
        0,
        "ch_x",
    )
    .unwrap();
    broken.postings[0].amount += 1;
    let refused = s.commit(unit(vec![Op::Ledger(broken, 105)])).await;
    assert!(
        matches!(&refused, Err(CommitError::Store(StoreError::InvalidUnit(m))) if m.contains("le_bad")),
        "{refused:?}"
    );
    assert_eq!(s.ledger_verify().await.unwrap().entries, 3 + 50);
}

async fn ledger_verify_is_clean_until_a_balance_or_posting_is_tampered_with(db: &TestDb) {
    let s = &db.store;
    let adj = Entry::new(
        "le_adj",
        EntryKind::Adjustment,
        "adj_1",
        vec![
            Posting::debit(
                AccountId::merchant("acct_1", false, AccountKind::Available, Currency::USD),
                250,
            ),
            Posting::credit(
                AccountId::merchant("acct_1", false, AccountKind::Fees, Currency::USD),
                250,
            ),
        ],
    )
    .unwrap();
    let cap = capture(
        "le_cap",
        Counterparty::CardNetwork,
        "acct_1",
        false,
        Currency::KRW,
        1_000,
        10,
        "ch_1",
    )
    .unwrap();
    s.commit(unit(vec![Op::Ledger(cap, 1), Op::Ledger(adj, 2)]))
        .await
        .unwrap();
    let clean = s.ledger_verify().await.unwrap();
    assert_eq!(
        (clean.entries, clean.accounts, clean.problems.len()),
        (2, 5, 0),
        "{clean:?}"
    );

    let account = pending("acct_1").key();
    db.raw_sql(&format!(
        "UPDATE ledger_balances SET balance = balance + 1 WHERE account_key = '{account}'"
    ))
    .await;
    let report = s.ledger_verify().await.unwrap();
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert!(
        report.problems[0].contains(&account) && report.problems[0].contains("-989"),
        "{report:?}"
    );

    db.raw_sql(
        "UPDATE ledger_postings SET amount = amount + 5 WHERE entry_id = 'le_adj' AND idx = 0",
    )
    .await;
    let report = s.ledger_verify().await.unwrap();
    let text = report.problems.join("\n");
    assert!(
        text.contains("entry le_adj: usd postings sum to 5"),
        "{text}"
    );
    assert!(
        text.contains("m:acct_1:test:available:usd: balance 250, expected 255"),
        "{text}"
    );
    assert_eq!(report.problems.len(), 3, "{text}");
}
