//! Apple Pay and Samsung Pay online through the HTTP API: `POST /v1/tokens`, then a confirm
//! that pays with the `tok_…` — the public vectors at their signing time (the gateway's
//! ManualClock), and tokens made at test time by an independent Python generator
//! (`tests/data/wallet_python/make_tokens.py`, PyPI `cryptography`) under a throwaway PKI, for
//! every check: valid, tampered, stale, replayed, wrong key, wrong root. The network simulator
//! acts as the token service; its journal shows the wallet with the DPAN masked.
//!
//! The Python tests make their own venv under the target dir (`support::wallet_python`);
//! without python3 they fail, unless `PAYGATE_SKIP_PYTHON=1`.

mod support;

use paygate_gateway::wallet_tokens::keys::{self, NewKey};
use paygate_payments::ManualClock;
use paygate_store::Scope;
use paygate_wallet_tokens::Wallet;
use reqwest::StatusCode;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use support::TestApp;
use support::wallet_python::{generate, venv};

const GALA_SIGNED_AT: i64 = 1_630_522_986;

fn vector(path: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../wallet-tokens/tests/vectors");
    std::fs::read_to_string(dir.join(path)).unwrap()
}

fn scope(app: &TestApp) -> Scope {
    Scope {
        merchant_id: app.merchant.clone(),
        livemode: false,
    }
}

async fn add_key(app: &TestApp, key: NewKey<'_>) -> keys::KeyInfo {
    let st = &app.server.state;
    keys::add(&st.store, &st.vault, &scope(app), key, 0)
        .await
        .unwrap()
}

async fn app_at(now: i64) -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(now));
    let app = TestApp::spawn_with_clock(|_| {}, clock.clone()).await;
    (app, clock)
}

#[tokio::test]
async fn public_vectors_become_single_use_tokens_of_their_merchant_only() {
    let (app, clock) = app_at(GALA_SIGNED_AT + 30).await;
    let info = add_key(
        &app,
        NewKey {
            wallet: Wallet::ApplePay,
            certificate_pem: Some(&vector("applepay_gala/certificate.pem")),
            private_key_pem: &vector("applepay_gala/private_key.pem"),
            trust_root_pem: None,
        },
    )
    .await;
    assert_eq!(info.wallet, "apple_pay");
    let pk = vector("applepay_gala/token.json");
    let (status, tok) = app
        .post(
            "/v1/tokens",
            &[
                ("pk_token", &pk),
                ("pk_token_payment_network", "MasterCard"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tok}");
    assert_eq!(tok["object"], "token");
    assert_eq!(tok["used"], false);
    assert_eq!(tok["card"]["tokenization_method"], "apple_pay");
    assert_eq!(tok["card"]["dynamic_last4"], "1169");
    assert_eq!(tok["card"]["brand"], "mastercard");
    assert!(tok.get("_vault").is_none() && !tok.to_string().contains("5353756319181169"));
    // The same transaction again: refused, whatever the idempotency key.
    let (status, err) = app.post("/v1/tokens", &[("pk_token", &pk)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        (
            err["error"]["code"].as_str(),
            err["error"]["param"].as_str()
        ),
        (Some("wallet_token_replayed"), Some("pk_token"))
    );
    // Another merchant neither sees the token nor holds the key.
    let other = app.other_merchant().await;
    let id = tok["id"].as_str().unwrap();
    assert_eq!(
        app.get_as(&other, &format!("/v1/tokens/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&format!("/v1/tokens/{id}")).await.0, StatusCode::OK);
    let (status, err) = app
        .post_as(&other, "/v1/tokens", &[("pk_token", &pk)], None)
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("wallet_token_unknown_key"))
    );
    // Samsung Pay's vector, at its `utc`.
    add_key(
        &app,
        NewKey {
            wallet: Wallet::SamsungPay,
            certificate_pem: None,
            private_key_pem: &vector("samsungpay_jwe/private_key_pkcs8.pem"),
            trust_root_pem: None,
        },
    )
    .await;
    let vectors: Value = serde_json::from_str(&vector("samsungpay_jwe/vectors.json")).unwrap();
    clock.set(1_700_557_639);
    let jwe = vectors[0]["jwe"].as_str().unwrap();
    // As the mobile SDKs send it: with the publishable key.
    let (status, tok) = app
        .post_as(
            &app.publishable,
            "/v1/tokens",
            &[("samsung_pay_token", jwe)],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tok}");
    assert_eq!(tok["card"]["tokenization_method"], "samsung_pay");
    assert_eq!(tok["card"]["dynamic_last4"], "0312");
    let (status, err) = app.post("/v1/tokens", &[]).await;
    assert_eq!(
        (status, err["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("pk_token"))
    );
}

async fn post_token(app: &TestApp, pk: String) -> (StatusCode, Value) {
    app.post("/v1/tokens", &[("pk_token", &pk)]).await
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_default()
}

/// Pays 15,000 KRW with `token` given as `how` ("data": payment_method_data, "pm":
/// payment_method); the PaymentIntent.
async fn pay_with(app: &TestApp, token: &str, how: &str) -> (StatusCode, Value) {
    let mut form = vec![
        ("amount", "15000"),
        ("currency", "krw"),
        ("confirm", "true"),
        ("expand[]", "latest_charge"),
    ];
    if how == "data" {
        form.extend([
            ("payment_method_data[type]", "card"),
            ("payment_method_data[card][token]", token),
        ]);
    } else {
        form.push(("payment_method", token));
    }
    app.post("/v1/payment_intents", &form).await
}

#[tokio::test]
async fn generated_tokens_pass_every_check_and_pay_through_the_token_service() {
    let Some(py) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let g = generate(&py, &dir.path().join("tokens.json"));
    let signed_at = g["signed_at"].as_i64().unwrap();
    let (app, clock) = app_at(signed_at).await;
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    add_key(
        &app,
        NewKey {
            wallet: Wallet::ApplePay,
            certificate_pem: Some(&s(&g["merchant_certificate_pem"])),
            private_key_pem: &s(&g["merchant_key_pem"]),
            trust_root_pem: Some(&s(&g["root_pem"])),
        },
    )
    .await;
    add_key(
        &app,
        NewKey {
            wallet: Wallet::SamsungPay,
            certificate_pem: None,
            private_key_pem: &s(&g["samsung_key_pem"]),
            trust_root_pem: None,
        },
    )
    .await;
    let apple = |name: &str| s(&g["apple"][name]);
    // Stale: ten minutes after signing.
    clock.set(signed_at + 600);
    let (status, err) = post_token(&app, apple("stale")).await;
    assert_eq!(
        (status, code(&err)),
        (StatusCode::BAD_REQUEST, "wallet_token_stale"),
        "{err}"
    );
    clock.set(signed_at + 5);
    for (name, expected) in [
        ("tampered", "wallet_token_invalid_signature"),
        ("wrong_root", "wallet_token_untrusted_chain"),
        ("wrong_key", "wallet_token_unknown_key"),
    ] {
        let (status, err) = post_token(&app, apple(name)).await;
        assert_eq!(
            (status, code(&err)),
            (StatusCode::BAD_REQUEST, expected),
            "{name}: {err}"
        );
        assert_eq!(err["error"]["param"], "pk_token");
    }
    // Valid: a Visa device token pays 15,000 KRW from its funding card.
    let (status, tok) = post_token(&app, apple("visa")).await;
    assert_eq!(status, StatusCode::OK, "{tok}");
    let (status, replay) = post_token(&app, apple("visa")).await;
    assert_eq!(
        (status, code(&replay)),
        (StatusCode::BAD_REQUEST, "wallet_token_replayed")
    );
    let tok_id = s(&tok["id"]);
    let (status, pi) = pay_with(&app, &tok_id, "data").await;
    assert_eq!(
        (status, pi["status"].as_str()),
        (StatusCode::OK, Some("succeeded")),
        "{pi}"
    );
    let ch = &pi["latest_charge"];
    let card = &ch["payment_method_details"]["card"];
    assert_eq!(card["wallet"]["type"], "apple_pay", "{ch}");
    assert_eq!(card["wallet"]["dynamic_last4"], "0015");
    // The funding card's last 4 come from the network's answer (DE 48.33).
    assert_eq!(card["last4"], "4242", "{ch}");
    let journal = app.journal_by_rrn(card["network_transaction_id"].as_str().unwrap_or_default());
    assert_eq!(journal["wallet"]["dpan"], "489537******0015", "{journal}");
    assert_eq!(journal["wallet"]["funding_card"], "424242******4242");
    assert_eq!(journal["wallet"]["cryptogram"], "fresh");
    assert_eq!(journal["eci"], "05");
    // Single use.
    let (status, again) = pay_with(&app, &tok_id, "data").await;
    assert_eq!(
        (status, code(&again)),
        (StatusCode::BAD_REQUEST, "token_already_used"),
        "{again}"
    );
    // A Mastercard token without an ECI, by payment_method=tok_….
    let (_, mc) = post_token(&app, apple("mastercard")).await;
    let (status, pi) = pay_with(&app, &s(&mc["id"]), "pm").await;
    assert_eq!(
        (status, pi["status"].as_str()),
        (StatusCode::OK, Some("succeeded")),
        "{pi}"
    );
    let mc_card = &pi["latest_charge"]["payment_method_details"]["card"];
    assert_eq!(
        (
            mc_card["last4"].as_str(),
            mc_card["wallet"]["dynamic_last4"].as_str()
        ),
        (Some("4444"), Some("0018"))
    );
    // Samsung Pay: valid pays, another merchant key is unknown.
    let (status, err) = app
        .post(
            "/v1/tokens",
            &[("samsung_pay_token", &s(&g["samsung"]["wrong_key"]))],
        )
        .await;
    assert_eq!(
        (status, code(&err)),
        (StatusCode::BAD_REQUEST, "wallet_token_unknown_key")
    );
    let (status, sp) = app
        .post(
            "/v1/tokens",
            &[("samsung_pay_token", &s(&g["samsung"]["visa"]))],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sp}");
    assert_eq!(sp["card"]["tokenization_method"], "samsung_pay");
    let (status, pi) = pay_with(&app, &s(&sp["id"]), "data").await;
    assert_eq!(
        (status, pi["status"].as_str()),
        (StatusCode::OK, Some("succeeded")),
        "{pi}"
    );
    assert_eq!(
        pi["latest_charge"]["payment_method_details"]["card"]["wallet"]["type"],
        "samsung_pay"
    );
    // Ledger and events as for any card payment.
    assert!(app.ledger_problems().await.is_empty());
    let (_, txns) = app.get("/v1/balance_transactions?limit=100").await;
    let txns = txns["data"].as_array().unwrap();
    assert_eq!(txns.len(), 3, "{txns:?}");
    assert!(
        txns.iter()
            .all(|t| t["type"] == "charge" && t["amount"] == 15_000)
    );
    let net: i64 = txns.iter().map(|t| t["net"].as_i64().unwrap()).sum();
    assert_eq!(app.balance().await.1, net);
    let events = app.event_types().await;
    assert_eq!(
        events
            .iter()
            .filter(|e| *e == "payment_intent.succeeded")
            .count(),
        3,
        "{events:?}"
    );
}

/// The refusal code of posting `field=token`.
async fn refusal(app: &TestApp, field: &str, token: &str) -> (StatusCode, String, String) {
    let (status, err) = app.post("/v1/tokens", &[(field, token)]).await;
    let param = err["error"]["param"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (status, code(&err).to_owned(), param)
}

#[tokio::test]
async fn rsa_v1_and_samsung_tokens_pass_every_check_and_pay() {
    let Some(py) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let g = generate(&py, &dir.path().join("tokens.json"));
    let signed_at = g["signed_at"].as_i64().unwrap();
    let (app, clock) = app_at(signed_at).await;
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    // The merchant's RSA processing key (RSA_v1), and its Samsung Pay key.
    let info = add_key(
        &app,
        NewKey {
            wallet: Wallet::ApplePay,
            certificate_pem: Some(&s(&g["merchant_rsa_certificate_pem"])),
            private_key_pem: &s(&g["merchant_rsa_key_pem"]),
            trust_root_pem: Some(&s(&g["root_pem"])),
        },
    )
    .await;
    assert_eq!(info.wallet, "apple_pay");
    add_key(
        &app,
        NewKey {
            wallet: Wallet::SamsungPay,
            certificate_pem: None,
            private_key_pem: &s(&g["samsung_key_pem"]),
            trust_root_pem: None,
        },
    )
    .await;
    let rsa = |name: &str| s(&g["apple_rsa"][name]);
    let samsung = |name: &str| s(&g["samsung"][name]);
    clock.set(signed_at + 600);
    assert_eq!(
        refusal(&app, "pk_token", &rsa("stale")).await,
        (
            StatusCode::BAD_REQUEST,
            "wallet_token_stale".into(),
            "pk_token".into()
        )
    );
    clock.set(signed_at + 5);
    for (name, expected) in [
        ("tampered", "wallet_token_invalid_signature"),
        ("wrong_root", "wallet_token_untrusted_chain"),
        ("wrong_key", "wallet_token_unknown_key"),
        ("undecryptable", "wallet_token_undecryptable"),
    ] {
        let (status, got, param) = refusal(&app, "pk_token", &rsa(name)).await;
        assert_eq!(
            (status, got.as_str(), param.as_str()),
            (StatusCode::BAD_REQUEST, expected, "pk_token"),
            "RSA_v1 {name}"
        );
    }
    for (name, expected) in [
        ("stale", "wallet_token_stale"),
        ("tampered", "wallet_token_undecryptable"),
        ("wrong_key", "wallet_token_unknown_key"),
    ] {
        let (status, got, param) = refusal(&app, "samsung_pay_token", &samsung(name)).await;
        assert_eq!(
            (status, got.as_str(), param.as_str()),
            (StatusCode::BAD_REQUEST, expected, "samsung_pay_token"),
            "Samsung Pay {name}"
        );
    }
    // Valid RSA_v1 (MGF1 over SHA-256): a token once, then a payment from its funding card.
    let (status, tok) = post_token(&app, rsa("visa")).await;
    assert_eq!(status, StatusCode::OK, "{tok}");
    assert_eq!(tok["card"]["tokenization_method"], "apple_pay");
    assert_eq!(tok["card"]["dynamic_last4"], "0015");
    assert_eq!(
        refusal(&app, "pk_token", &rsa("visa")).await.1,
        "wallet_token_replayed"
    );
    let (status, pi) = pay_with(&app, &s(&tok["id"]), "data").await;
    assert_eq!(
        (status, pi["status"].as_str()),
        (StatusCode::OK, Some("succeeded")),
        "{pi}"
    );
    let card = &pi["latest_charge"]["payment_method_details"]["card"];
    assert_eq!(
        (card["wallet"]["type"].as_str(), card["last4"].as_str()),
        (Some("apple_pay"), Some("4242"))
    );
    let journal = app.journal_by_rrn(card["network_transaction_id"].as_str().unwrap_or_default());
    assert_eq!(journal["wallet"]["dpan"], "489537******0015", "{journal}");
    // The key wrapped with MGF1 over SHA-1 (Java's reading of Apple's transform name).
    let (status, mc) = post_token(&app, rsa("mgf1_sha1")).await;
    assert_eq!(status, StatusCode::OK, "{mc}");
    let (status, pi) = pay_with(&app, &s(&mc["id"]), "pm").await;
    assert_eq!(
        (status, pi["status"].as_str()),
        (StatusCode::OK, Some("succeeded")),
        "{pi}"
    );
    assert_eq!(
        pi["latest_charge"]["payment_method_details"]["card"]["last4"],
        "4444"
    );
    // Samsung Pay: valid once, then replayed.
    let (status, sp) = app
        .post("/v1/tokens", &[("samsung_pay_token", &samsung("visa"))])
        .await;
    assert_eq!(status, StatusCode::OK, "{sp}");
    assert_eq!(
        refusal(&app, "samsung_pay_token", &samsung("visa")).await.1,
        "wallet_token_replayed"
    );
    let (status, pi) = pay_with(&app, &s(&sp["id"]), "data").await;
    assert_eq!(
        (status, pi["status"].as_str()),
        (StatusCode::OK, Some("succeeded")),
        "{pi}"
    );
    // Ledger and events: three card payments.
    assert!(app.ledger_problems().await.is_empty());
    let (_, txns) = app.get("/v1/balance_transactions?limit=100").await;
    let net: i64 = txns["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["net"].as_i64().unwrap())
        .sum();
    assert_eq!(txns["data"].as_array().unwrap().len(), 3);
    assert_eq!(app.balance().await.1, net);
    let succeeded = app
        .event_types()
        .await
        .into_iter()
        .filter(|e| e == "payment_intent.succeeded")
        .count();
    assert_eq!(succeeded, 3);
}
