//! `POST /v1/verify`: each of the ten checks through HTTP, their order, the verified answer
//! (authentication value recomputed here from the contract's formula) and the journal.

mod common;

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use common::*;
use hmac::{Hmac, KeyInit, Mac};
use paygate_isp::ca::{Authority, Role, random_serial};
use paygate_isp::p256::ecdsa::SigningKey;
use paygate_isp::p256::elliptic_curve::Generate;
use paygate_isp::{cert, signature};
use serde_json::{Value, json};
use sha2::Sha256;

async fn verify(sim: &TestSim, req: &Value) -> (u16, String) {
    let (s, out) = sim.post("/v1/verify", req).await;
    (s, code(&out).to_owned())
}

fn cavv(pan: &str, amount: i64, currency: &str, txn: &str, eci: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&KEY).unwrap();
    mac.update(format!("{pan}|{amount}|{currency}|{txn}|{eci}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(&mac.finalize().into_bytes()[..20])
}

#[tokio::test]
async fn a_good_signature_verifies_once_with_a_cavv_the_network_can_check() {
    let sim = TestSim::start().await;
    let holder = sim.enroll(VISA).await;
    let req = holder.verify_request(&sim, &expected()).await;
    let (s, out) = sim.post("/v1/verify", &req).await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["result"], "verified");
    assert_eq!(out["serial"], holder.serial.as_str());
    assert_eq!(
        out["card"],
        json!({"number": VISA, "exp_month": 12, "exp_year": 2034})
    );
    assert_eq!(out["eci"], "05");
    let txn = out["transaction_id"].as_str().unwrap();
    let uuid = uuid_v4(txn);
    assert!(uuid, "{txn}");
    let value = out["authentication_value"].as_str().unwrap();
    assert_eq!(value.len(), 28);
    assert_eq!(value, cavv(VISA, 12_000, "410", txn, "05"));
    assert!(
        out["verification_id"]
            .as_str()
            .unwrap()
            .starts_with("ispv_")
    );

    // 10: the same signature again is a replay, even after a restart.
    assert_eq!(
        verify(&sim, &req).await,
        (402, "isp_signature_replayed".to_owned())
    );
    let mut sim = sim;
    sim.restart().await;
    assert_eq!(
        verify(&sim, &req).await,
        (402, "isp_signature_replayed".to_owned())
    );
    // A fresh signature of the same payment (even of the same text: signing is hedged)
    // verifies.
    let mut again = req.clone();
    again["signature"] = json!(signature::sign(
        &holder.key,
        req["signed_data"].as_str().unwrap().as_bytes()
    ));
    assert_ne!(again["signature"], req["signature"]);
    assert_eq!(verify(&sim, &again).await.0, 200);

    check_journal(&sim, txn, out["verification_id"].as_str().unwrap());
}

/// The journal of the test above: four verifications, the first one's fields.
fn check_journal(sim: &TestSim, txn: &str, verification_id: &str) {
    let j = sim.journal();
    let verifies: Vec<_> = j.iter().filter(|e| e.kind == "verify").collect();
    let results: Vec<&str> = verifies.iter().map(|e| e.result.as_str()).collect();
    assert_eq!(
        results,
        [
            "verified",
            "isp_signature_replayed",
            "isp_signature_replayed",
            "verified"
        ]
    );
    let first = verifies[0];
    assert_eq!(first.transaction_id.as_deref(), Some(txn));
    assert_eq!(first.verification_id.as_deref(), Some(verification_id));
    assert_eq!(
        (
            first.payment_intent.as_deref(),
            first.merchant.as_deref(),
            first.amount,
            first.currency.as_deref()
        ),
        (
            Some("pi_isp1"),
            Some("acct_isp1"),
            Some(12_000),
            Some("krw")
        )
    );
    assert_eq!(first.last4.as_deref(), Some("4242"));
}

fn uuid_v4(s: &str) -> bool {
    s.len() == 36 && s.as_bytes()[14] == b'4' && s.split('-').map(str::len).eq([8, 4, 4, 4, 12])
}

#[tokio::test]
async fn mastercard_gets_eci_02() {
    let sim = TestSim::start().await;
    let holder = sim.enroll(MASTERCARD).await;
    let (s, out) = sim
        .post(
            "/v1/verify",
            &holder.verify_request(&sim, &expected()).await,
        )
        .await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["eci"], "02");
    let txn = out["transaction_id"].as_str().unwrap();
    assert_eq!(
        out["authentication_value"],
        cavv(MASTERCARD, 12_000, "410", txn, "02")
    );
}

#[tokio::test]
async fn certificate_checks() {
    let sim = TestSim::start().await;
    let holder = sim.enroll(VISA).await;
    let good = holder.verify_request(&sim, &expected()).await;

    // 1: not a certificate.
    let mut req = good.clone();
    req["certificate"] = json!("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----");
    assert_eq!(
        verify(&sim, &req).await,
        (400, "isp_certificate_invalid".to_owned())
    );

    // 2: a CA with the same names but another key issued it.
    let now = SystemTime::now();
    let year = Duration::from_secs(365 * 24 * 3600);
    let ca = sim.get("/v1/ca").await;
    let issuing = cert::parse_pem(ca["certificates"][1].as_str().unwrap()).unwrap();
    let dn = issuing.tbs_certificate().subject().to_string();
    let foreign = Authority::root(&dn, SigningKey::generate(), now, year).unwrap();
    let leaf = foreign
        .certify(
            "CN=ispc_forged",
            Role::Cardholder,
            holder.key.verifying_key(),
            &random_serial().unwrap(),
            now,
            year,
        )
        .unwrap();
    let mut req = good.clone();
    req["certificate"] = json!(cert::to_pem(&leaf).unwrap());
    assert_eq!(
        verify(&sim, &req).await,
        (402, "isp_certificate_untrusted".to_owned())
    );
    // … and one from another ISP server.
    let other = TestSim::start().await;
    let stranger = other.enroll(VISA).await;
    let mut req = good.clone();
    req["certificate"] = json!(stranger.certificate);
    assert_eq!(
        verify(&sim, &req).await,
        (402, "isp_certificate_untrusted".to_owned())
    );

    // 4 before 5: a revoked certificate with a bad signature answers revoked.
    let (s, _) = sim
        .post("/v1/revoke", &json!({"serial": holder.serial}))
        .await;
    assert_eq!(s, 200);
    let mut req = good.clone();
    req["signature"] = json!("AAAA");
    assert_eq!(
        verify(&sim, &req).await,
        (402, "isp_certificate_revoked".to_owned())
    );
    assert_eq!(
        verify(&sim, &good).await,
        (402, "isp_certificate_revoked".to_owned())
    );
}

#[tokio::test]
async fn an_expired_certificate_is_refused() {
    let sim = TestSim::start_with(Duration::from_secs(1)).await;
    let holder = sim.enroll(VISA).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let req = holder.verify_request(&sim, &expected()).await;
    assert_eq!(
        verify(&sim, &req).await,
        (402, "isp_certificate_expired".to_owned())
    );
}

#[tokio::test]
async fn signature_and_signed_data_checks_in_order() {
    let sim = TestSim::start().await;
    let holder = sim.enroll(VISA).await;
    let good = holder.verify_request(&sim, &expected()).await;
    let text = good["signed_data"].as_str().unwrap().to_owned();

    // 5: another key's signature, bad base64, a signature over other bytes.
    let mut req = good.clone();
    req["signature"] = json!(signature::sign(&SigningKey::generate(), text.as_bytes()));
    assert_eq!(
        verify(&sim, &req).await,
        (402, "isp_signature_invalid".to_owned())
    );
    req["signature"] = json!("%%%");
    assert_eq!(
        verify(&sim, &req).await,
        (402, "isp_signature_invalid".to_owned())
    );
    let mut req = good.clone();
    req["signed_data"] = json!(format!("{text} "));
    assert_eq!(
        verify(&sim, &req).await,
        (402, "isp_signature_invalid".to_owned())
    );

    // 6: a validly signed text that is not the shape.
    let mut req = good.clone();
    let bad = r#"{"payment_intent":"pi_isp1"}"#;
    req["signed_data"] = json!(bad);
    req["signature"] = json!(signature::sign(&holder.key, bad.as_bytes()));
    assert_eq!(
        verify(&sim, &req).await,
        (400, "isp_signed_data_invalid".to_owned())
    );

    // 7: each expected field differing.
    for field in ["payment_intent", "merchant", "amount", "currency"] {
        let mut req = good.clone();
        req["expected"][field] = match field {
            "amount" => json!(12_001),
            "currency" => json!("usd"),
            _ => json!("other"),
        };
        assert_eq!(
            verify(&sim, &req).await,
            (402, "isp_signed_data_mismatch".to_owned()),
            "{field}"
        );
    }

    // 8: signed 6 minutes ago or 6 minutes ahead; 4 minutes ago is fine.
    let now = time::OffsetDateTime::now_utc();
    for (offset, want) in [(-6, 402), (6, 402), (-4, 200)] {
        let req = holder
            .verify_request_at(&sim, &expected(), now + time::Duration::minutes(offset))
            .await;
        let (s, c) = verify(&sim, &req).await;
        assert_eq!(s, want, "{offset} min: {c}");
        if want == 402 {
            assert_eq!(c, "isp_signature_expired");
        }
    }
    // None of the refused signatures was consumed: the good one still verifies.
    assert_eq!(verify(&sim, &good).await.0, 200);
}

#[tokio::test]
async fn card_checks() {
    let sim = TestSim::start().await;
    let holder = sim.enroll(VISA).await;
    let _other = sim.enroll(MASTERCARD).await;
    let good = holder.verify_request(&sim, &expected()).await;

    // 9a: not a JWE to this server.
    let mut req = good.clone();
    req["card"] = json!("x.y.z.w.v");
    assert_eq!(
        verify(&sim, &req).await,
        (400, "isp_card_invalid".to_owned())
    );
    // 9b: another enrolled card.
    let mut req = good.clone();
    req["card"] = json!(sim.card_jwe(&card(MASTERCARD)).await);
    assert_eq!(
        verify(&sim, &req).await,
        (402, "isp_card_mismatch".to_owned())
    );
    // 10 after 9: the refused attempts did not use the signature up.
    assert_eq!(verify(&sim, &good).await.0, 200);
    // A malformed body is refused and journaled too.
    let (s, out) = sim.post("/v1/verify", &json!({"certificate": 1})).await;
    assert_eq!((s, code(&out)), (400, "isp_request_invalid"));

    let j = sim.journal();
    let results: Vec<&str> = j
        .iter()
        .filter(|e| e.kind == "verify")
        .map(|e| e.result.as_str())
        .collect();
    assert_eq!(
        results,
        [
            "isp_card_invalid",
            "isp_card_mismatch",
            "verified",
            "isp_request_invalid"
        ]
    );
    assert_eq!(
        j.iter()
            .filter(|e| e.kind == "verify")
            .nth(1)
            .unwrap()
            .last4
            .as_deref(),
        Some("4444")
    );
}

#[tokio::test]
async fn injected_declines_refuse_good_signatures_over_the_admin_endpoint_and_heal() {
    let mut sim = TestSim::start().await;
    let admin = sim
        .sim
        .as_mut()
        .unwrap()
        .serve_admin("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let holder = sim.enroll(VISA).await;
    let set = |body: Value| {
        let http = sim.http.clone();
        async move {
            let r = http
                .post(format!("http://{admin}/faults"))
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, out) =
        set(json!({"decline_pct": 100, "decline_code": "isp_certificate_revoked"})).await;
    assert_eq!(s, 200, "{out}");
    let req = holder.verify_request(&sim, &expected()).await;
    assert_eq!(
        verify(&sim, &req).await,
        (402, "isp_certificate_revoked".to_owned())
    );
    // A code the ISP server never answers is refused, naming the field.
    let (s, out) = set(json!({"decline_pct": 100, "decline_code": "51"})).await;
    assert_eq!(s, 400);
    assert!(
        out["error"].as_str().unwrap().starts_with("decline_code"),
        "{out}"
    );
    // Healed: the refused signature was not used up, it verifies now.
    assert_eq!(set(json!({})).await.0, 200);
    assert_eq!(verify(&sim, &req).await.0, 200);
    let results: Vec<String> = sim.journal().into_iter().map(|e| e.result).collect();
    assert!(
        results.ends_with(&["isp_certificate_revoked".to_owned(), "verified".to_owned()]),
        "{results:?}"
    );
}
