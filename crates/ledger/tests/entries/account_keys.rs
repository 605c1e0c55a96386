//! Account keys: their round trip, bad keys, the prefixes that select one owner and mode, and
//! which side a balance is owed on.

use super::usd;
use paygate_ledger::{AccountId, AccountKind, Counterparty, Currency};

#[test]
fn account_keys_round_trip_and_bad_keys_are_rejected() {
    let ids = [
        AccountId::merchant("acct_123", false, AccountKind::Pending, Currency::KRW),
        AccountId::merchant("acct-9.x", true, AccountKind::Payouts, Currency::KWD),
        AccountId::gateway(
            false,
            AccountKind::Receivable(Counterparty::CardNetwork),
            Currency::KRW,
        ),
        AccountId::gateway(true, AccountKind::FeeRevenue, Currency::USD),
    ];
    assert_eq!(ids[0].key(), "m:acct_123:test:pending:krw");
    assert_eq!(ids[2].key(), "g:test:network_receivable:krw");
    for id in &ids {
        assert_eq!(&AccountId::parse_key(&id.key()).unwrap(), id);
        let json = serde_json::to_string(id).unwrap();
        assert_eq!(json, format!("\"{}\"", id.key()));
        assert_eq!(&serde_json::from_str::<AccountId>(&json).unwrap(), id);
    }
    for bad in [
        "",
        "m:acct_1:test:pending",
        "x:test:bank:usd",
        "g:prod:bank:usd",
        "g:test:vault:usd",
        "g:test:bank:USD",
        "g:test:bank:xyz",
        "g:test:pending:usd",
        "m:acct_1:test:bank:usd",
        "m::test:pending:usd",
        "m:a:b:test:pending:usd",
        "g:test:bank:usd:extra",
    ] {
        assert!(
            AccountId::parse_key(bad).is_err(),
            "{bad:?} should be rejected"
        );
    }
    assert!(AccountId::parse_key(&format!("m:{}:test:pending:usd", "a".repeat(200))).is_err());
}

#[test]
fn key_prefixes_select_exactly_one_owner_and_mode() {
    let prefix = paygate_ledger::merchant_prefix("acct_1", false);
    assert_eq!(prefix, "m:acct_1:test:");
    for kind in AccountKind::ALL.into_iter().filter(|k| k.is_merchant()) {
        assert!(
            AccountId::merchant("acct_1", false, kind, Currency::USD)
                .key()
                .starts_with(&prefix)
        );
    }
    assert!(
        !AccountId::merchant("acct_1", true, AccountKind::Pending, Currency::USD)
            .key()
            .starts_with(&prefix)
    );
    assert!(
        !AccountId::merchant("acct_10", false, AccountKind::Pending, Currency::USD)
            .key()
            .starts_with(&prefix)
    );
    let g = paygate_ledger::gateway_prefix(true);
    assert!(
        AccountId::gateway(true, AccountKind::Bank, Currency::USD)
            .key()
            .starts_with(&g)
    );
}

#[test]
fn owed_reads_merchant_balances_on_the_credit_side() {
    let pending = usd(AccountKind::Pending);
    assert_eq!(pending.owed(-970), 970);
    assert_eq!(
        usd(AccountKind::Available).owed(200),
        -200,
        "negative: the merchant owes"
    );
    assert_eq!(
        usd(AccountKind::Receivable(Counterparty::CardNetwork)).natural(1_000),
        1_000
    );
}
