//! Settlement (D+N), payouts, the ledger invariants, rate limits and vault key rotation.

mod support;

use paygate_gateway::settlement;
use reqwest::StatusCode;
use support::{TestApp, VISA};

const DAY_S: i64 = 86_400;

#[tokio::test]
async fn settlement_moves_pending_to_available_at_d_plus_n_then_payouts_pay_it_out() {
    let app = TestApp::spawn().await;
    app.pay(VISA, 10_000, &[]).await;
    app.pay(VISA, 20_000, &[]).await;
    // 2.9 %: 290 + 580 fees.
    assert_eq!(app.balance().await, (0, 29_130));
    let store = &app.server.state.store;
    let now = app.server.state.now();
    let today = paygate_payments::clock::day_plus(now, 0);
    // D+1 is too early for a D+2 merchant.
    let r = settlement::settle(store, today + DAY_S, now).await.unwrap();
    assert_eq!(r.transactions, 0);
    assert_eq!(app.balance().await, (0, 29_130));
    let r = settlement::settle(store, today + 2 * DAY_S, now)
        .await
        .unwrap();
    assert_eq!(r.transactions, 2);
    assert_eq!(r.entries, 1, "one entry per merchant, mode and currency");
    assert_eq!(app.balance().await, (29_130, 0));
    // Settling again changes nothing.
    assert_eq!(
        settlement::settle(store, today + 2 * DAY_S, now)
            .await
            .unwrap()
            .transactions,
        0
    );
    let (_, txns) = app.get("/v1/balance_transactions").await;
    assert!(
        txns["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "available")
    );

    let (s, e) = app
        .post("/v1/payouts", &[("amount", "30000"), ("currency", "krw")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["code"], "balance_insufficient");
    let (s, po) = app
        .post("/v1/payouts", &[("amount", "29130"), ("currency", "krw")])
        .await;
    assert_eq!(s, StatusCode::OK, "{po}");
    assert_eq!(po["status"], "paid");
    assert_eq!(app.balance().await, (0, 0));
    let (_, list) = app.get("/v1/payouts").await;
    assert_eq!(list["data"][0]["id"], po["id"]);
    assert!(app.ledger_problems().await.is_empty());
    let types = app.event_types().await;
    assert!(types.contains(&"payout.paid".to_string()));
}

#[test]
fn settle_dates_are_parsed_strictly() {
    assert_eq!(settlement::parse_date("2026-01-02").unwrap(), 1_767_312_000);
    assert!(settlement::parse_date("2026-13-01").is_err());
    assert!(settlement::parse_date("02/01/2026").is_err());
}

#[tokio::test]
async fn requests_over_the_key_rate_get_429() {
    let app = TestApp::spawn_with(|c| c.rate_limit_per_s = 5).await;
    let mut codes = Vec::new();
    for _ in 0..12 {
        let (s, v) = app.get("/v1/customers").await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(v["error"]["type"], "rate_limit_error");
        }
        codes.push(s);
    }
    assert!(codes.contains(&StatusCode::OK));
    assert!(codes.contains(&StatusCode::TOO_MANY_REQUESTS), "{codes:?}");
}

#[tokio::test]
async fn rotating_the_kek_rewraps_every_card_key_under_the_new_kek() {
    let old = format!("old:{}", paygate_vault::generate_key_b64());
    let fp = paygate_vault::generate_key_b64();
    let (o, f) = (old.clone(), fp.clone());
    let app = TestApp::spawn_with(move |c| {
        c.vault_keks = vec![o];
        c.fingerprint_key = Some(f);
    })
    .await;
    let (_, pm) = app
        .post(
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", VISA),
                ("card[exp_month]", "1"),
                ("card[exp_year]", "2033"),
            ],
        )
        .await;
    app.pay(VISA, 1000, &[]).await;
    // A new active KEK; the old one stays configured until rotation finished.
    let mut cfg = app.server.state.cfg.clone();
    cfg.vault_keks = vec![format!("new:{}", paygate_vault::generate_key_b64()), old];
    let vault = paygate_gateway::open_vault(&cfg).unwrap();
    let n = paygate_gateway::admin::rotate_kek(&app.server.state.store, &vault)
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(
        paygate_gateway::admin::rotate_kek(&app.server.state.store, &vault)
            .await
            .unwrap(),
        0
    );
    let left = app
        .server
        .state
        .store
        .vault_cards_not_under("new", 10)
        .await
        .unwrap();
    assert!(left.is_empty());
    // Rotation is done by `paygate keys rotate-kek` with the new configuration (new active,
    // old still listed) while the old gateway serves; records now open only with the new KEK.
    let st = &app.server.state;
    let scope = paygate_store::Scope {
        merchant_id: app.merchant.clone(),
        livemode: false,
    };
    let row = st
        .store
        .get_object(&scope, pm["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    let vid = row.data["_vault"].as_str().unwrap();
    let rec = st.store.get_vault_card(vid).await.unwrap().unwrap();
    assert_eq!(rec.kek_id, "new");
    let sealed = paygate_vault::SealedCard {
        kek_id: rec.kek_id,
        wrapped_dek: rec.wrapped_dek,
        ciphertext: rec.ciphertext,
    };
    assert_eq!(vault.open(vid, &sealed).unwrap().pan.last4(), "4242");
    assert!(
        st.vault.open(vid, &sealed).is_err(),
        "a configuration without the new KEK cannot open it"
    );
}
