//! Verification of a book and of stored entries against stored balances: what passes, and
//! errors naming the account, the expected and actual balance, duplicates and invalid entries.

use super::usd;
use paygate_ledger::{
    AccountId, AccountKind, Book, Counterparty, Currency, LedgerError, VerifyError, capture,
    refund, settle, verify_entries,
};

fn book_with_activity() -> Book {
    let mut book = Book::new();
    book.apply(
        &capture(
            "e1",
            Counterparty::CardNetwork,
            "acct_1",
            false,
            Currency::USD,
            1_000,
            30,
            "ch_1",
        )
        .unwrap(),
    );
    book.apply(&settle("e2", "acct_1", false, Currency::USD, 970, "st_1").unwrap());
    book.apply(
        &refund(
            "e3",
            Counterparty::CardNetwork,
            "acct_1",
            false,
            Currency::USD,
            200,
            "re_1",
        )
        .unwrap(),
    );
    book
}

#[test]
fn verify_accepts_consistent_data() {
    let book = book_with_activity();
    book.verify().unwrap();
    let balances: Vec<(AccountId, i64)> = book.balances().map(|(a, b)| (a.clone(), b)).collect();
    verify_entries(book.entries(), balances.into_iter()).unwrap();
}

#[test]
fn verify_names_the_account_and_expected_versus_actual() {
    let book = book_with_activity();
    let mut balances: Vec<(AccountId, i64)> =
        book.balances().map(|(a, b)| (a.clone(), b)).collect();
    let avail = usd(AccountKind::Available);
    for (a, b) in &mut balances {
        if *a == avail {
            *b += 5;
        }
    }
    let err = verify_entries(book.entries(), balances.clone().into_iter()).unwrap_err();
    assert_eq!(
        err,
        VerifyError::BalanceMismatch {
            account: "m:acct_1:test:available:usd".into(),
            expected: -770,
            actual: -765
        }
    );
    assert!(
        err.to_string().contains("m:acct_1:test:available:usd"),
        "{err}"
    );

    // A stored balance missing entirely counts as 0.
    let without: Vec<_> = balances
        .iter()
        .filter(|(a, _)| *a != avail)
        .cloned()
        .collect();
    let err = verify_entries(book.entries(), without.into_iter()).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::BalanceMismatch {
                expected: -770,
                actual: 0,
                ..
            }
        ),
        "{err}"
    );

    // A non-zero balance with no postings.
    let mut extra: Vec<(AccountId, i64)> = book.balances().map(|(a, b)| (a.clone(), b)).collect();
    extra.push((usd(AccountKind::Bank), 1));
    let err = verify_entries(book.entries(), extra.into_iter()).unwrap_err();
    assert_eq!(
        err,
        VerifyError::BalanceMismatch {
            account: "g:test:bank:usd".into(),
            expected: 0,
            actual: 1
        }
    );
}

#[test]
fn verify_names_duplicate_and_invalid_entries() {
    let book = book_with_activity();
    let e1 = book.entry("e1").unwrap().clone();
    let twice = [e1.clone(), e1.clone()];
    assert_eq!(
        verify_entries(twice.iter(), std::iter::empty()).unwrap_err(),
        VerifyError::DuplicateEntry {
            entry_id: "e1".into()
        }
    );
    let mut broken = e1;
    broken.postings[1].amount -= 1;
    let err = verify_entries(std::iter::once(&broken), std::iter::empty()).unwrap_err();
    assert!(
        matches!(&err, VerifyError::InvalidEntry { entry_id, reason: LedgerError::Unbalanced { .. } } if entry_id == "e1"),
        "{err}"
    );
    let dup = vec![(usd(AccountKind::Bank), 0), (usd(AccountKind::Bank), 0)];
    assert!(matches!(
        verify_entries(std::iter::empty(), dup.into_iter()),
        Err(VerifyError::DuplicateBalance { .. })
    ));
}
