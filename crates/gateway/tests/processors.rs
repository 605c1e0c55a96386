//! The counterparty that processed a charge: recorded on the charge (internally), and its own
//! receivable account in the ledger carries what the capture and refund moved.

mod support;

use paygate_ledger::{AccountId, AccountKind, Counterparty, Currency};
use paygate_store::Scope;
use reqwest::StatusCode;
use support::{TestApp, VISA};

#[tokio::test]
async fn a_card_charge_names_its_processor_and_posts_to_the_card_networks_receivable() {
    let app = TestApp::spawn().await;
    let (s, pi) = app.pay(VISA, 10_000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    let ch_id = pi["latest_charge"].as_str().unwrap();
    let (s, r) = app
        .post("/v1/refunds", &[("charge", ch_id), ("amount", "4000")])
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let scope = Scope {
        merchant_id: app.merchant.clone(),
        livemode: false,
    };
    let stored = app
        .server
        .state
        .store
        .get_object(&scope, ch_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.data["_processor"], "card_network");
    let (_, public) = app.get(&format!("/v1/charges/{ch_id}")).await;
    assert!(public.get("_processor").is_none(), "{public}");
    let receivable = AccountId::gateway(
        false,
        AccountKind::Receivable(Counterparty::CardNetwork),
        Currency::KRW,
    );
    let balances = app
        .server
        .state
        .store
        .ledger_balances("g:test:")
        .await
        .unwrap();
    assert!(
        balances.contains(&(receivable.key(), 10_000 - 4_000)),
        "{balances:?}"
    );
    assert!(app.ledger_problems().await.is_empty());
}
