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

/// A key allowed 2 requests/s sends 6 payments at once: the burst is the rate, so exactly two
/// run; each of the other four is a 429 `rate_limit_error` with `Retry-After` that created no
/// PaymentIntent, no ledger entry, no event and no stored idempotency result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_over_the_key_rate_runs_exactly_the_rate_and_the_rest_create_nothing() {
    let app = TestApp::spawn_with(|c| c.rate_limit_per_s = 2).await;
    // Each read goes through a key of its own: the limit is per key (2 per second for every
    // key), so the reads spend neither the burst nor each other's tokens.
    let (reader, reader2) = (app.second_key().await, app.second_key().await);
    let send = |i: i64| {
        let app = &app;
        async move {
            let amount = (1_000 * (i + 1)).to_string();
            let form = support::card_payment_form(VISA, &amount);
            let key = format!("burst-{i}");
            let r = app
                .post_response(&app.key, "/v1/payment_intents", &form, Some(&key))
                .await;
            let retry_after = r.headers().get("retry-after").cloned();
            let status = r.status();
            let body: serde_json::Value = r.json().await.unwrap();
            (key, status, retry_after, body)
        }
    };
    let (a, b, c, d, e, f) = tokio::join!(send(0), send(1), send(2), send(3), send(4), send(5));
    let answers = [a, b, c, d, e, f];
    let ok: Vec<_> = answers.iter().filter(|a| a.1 == StatusCode::OK).collect();
    let limited: Vec<_> = answers
        .iter()
        .filter(|a| a.1 == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!((ok.len(), limited.len()), (2, 4), "{answers:?}");
    for (_, _, retry_after, body) in &limited {
        assert_eq!(retry_after.as_ref().map(|v| v.to_str().unwrap()), Some("1"));
        assert_eq!(
            body["error"],
            serde_json::json!({
                "type": "rate_limit_error",
                "code": "rate_limit",
                "message": "Too many requests hit the API too quickly.",
                "doc_url": "https://docs.stripe.com/error-codes/rate-limit",
            })
        );
    }
    for (_, _, _, pi) in &ok {
        assert_eq!(pi["status"], "succeeded", "{pi}");
    }
    // Only the two that ran exist: intents, events, ledger.
    let (s, list) = app.get_as(&reader, "/v1/payment_intents?limit=100").await;
    assert_eq!(s, StatusCode::OK);
    let mut listed: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    let mut ran: Vec<&str> = ok.iter().map(|a| a.3["id"].as_str().unwrap()).collect();
    listed.sort_unstable();
    ran.sort_unstable();
    assert_eq!(listed, ran);
    let fee = |a: i64| a * 290 / 10_000;
    let net: i64 = ok
        .iter()
        .map(|a| a.3["amount"].as_i64().unwrap())
        .map(|a| a - fee(a))
        .sum();
    assert_eq!(app.balance_as(&reader).await, (0, net));
    let (s, events) = app.get_as(&reader2, "/v1/events?limit=100").await;
    assert_eq!(s, StatusCode::OK, "{events}");
    let succeeded = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "payment_intent.succeeded")
        .count();
    assert_eq!(succeeded, 2);
    let report = app.server.state.store.ledger_verify().await.unwrap();
    assert_eq!(report.entries, 2, "one capture entry per payment that ran");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // A refused request stored nothing under its idempotency key.
    let scope = paygate_store::Scope {
        merchant_id: app.merchant.clone(),
        livemode: false,
    };
    for (key, _, _, _) in &limited {
        let stored = app.server.state.store.idempotency_get(&scope, key).await;
        assert!(stored.unwrap().is_none(), "{key} was stored");
    }
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
