//! Enrolment, CA and revocation through HTTP.

mod common;

use common::*;
use paygate_isp::p256::SecretKey;
use paygate_isp::p256::ecdsa::SigningKey;
use paygate_isp::p256::elliptic_curve::Generate;
use paygate_isp::{PublicJwk, cert, csr, jwe};
use serde_json::json;

#[tokio::test]
async fn enrol_issues_a_certificate_chained_to_the_published_ca() {
    let sim = TestSim::start().await;
    let ca = sim.get("/v1/ca").await;
    let pems: Vec<&str> = ca["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(pems.len(), 2);
    let root = cert::parse_pem(pems[0]).unwrap();
    let issuing = cert::parse_pem(pems[1]).unwrap();
    cert::verify_issued_by(&root, &root).expect("root is self-signed");

    let (jwk, kid) = sim.encryption_key().await;
    assert_eq!((jwk.kty.as_str(), jwk.crv.as_str()), ("EC", "P-256"));
    assert_eq!(
        (jwk.use_.as_deref(), jwk.alg.as_deref()),
        (Some("enc"), Some("ECDH-ES"))
    );
    assert_eq!(kid.len(), 16);

    let holder = sim.enroll(VISA).await;
    let leaf = cert::parse_pem(&holder.certificate).unwrap();
    cert::verify_chain(&leaf, &[issuing, root]).unwrap();
    assert_eq!(cert::serial_hex(&leaf), holder.serial);
    assert_eq!(holder.serial.len(), 32);
    assert_eq!(
        &cert::public_key(&leaf).unwrap(),
        holder.key.verifying_key()
    );
    let cn = cert::subject_cn(&leaf).unwrap();
    assert!(cn.starts_with("ispc_") && !cn.contains("4242"), "{cn}");
    let year = std::time::Duration::from_secs(364 * 24 * 3600);
    assert!(cert::is_valid_at(
        &leaf,
        std::time::SystemTime::now() + year
    ));

    let journal = sim.journal();
    let e = journal.last().unwrap();
    assert_eq!((e.kind.as_str(), e.result.as_str()), ("enroll", "issued"));
    assert_eq!(e.serial.as_deref(), Some(holder.serial.as_str()));
    assert_eq!(e.card_ref.as_deref(), Some(cn.as_str()));
    assert_eq!(e.last4.as_deref(), Some("4242"));
}

#[tokio::test]
async fn enrol_refusals_name_the_check() {
    let sim = TestSim::start().await;
    let key = SigningKey::generate();
    let good_csr = csr::build(&key).unwrap();
    let good_card = sim.card_jwe(&card(VISA)).await;
    let mut expired = card(VISA);
    expired.exp_year = 2020;
    let cases = [
        (
            json!({"csr": good_csr, "card": good_card, "password_set": false}),
            400,
            "isp_password_not_set",
        ),
        (
            json!({"csr": "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", "card": good_card, "password_set": true}),
            400,
            "isp_csr_invalid",
        ),
        (
            json!({"csr": good_csr, "card": "a.b.c.d.e", "password_set": true}),
            400,
            "isp_card_invalid",
        ),
        (
            json!({"csr": good_csr, "card": sim.card_jwe(&card(STOLEN)).await, "password_set": true}),
            402,
            "isp_card_declined",
        ),
        (
            json!({"csr": good_csr, "card": sim.card_jwe(&card("4242424242424241")).await, "password_set": true}),
            402,
            "isp_card_declined",
        ),
        (
            json!({"csr": good_csr, "card": sim.card_jwe(&expired).await, "password_set": true}),
            402,
            "isp_card_declined",
        ),
        (json!({"csr": good_csr}), 400, "isp_request_invalid"),
    ];
    for (body, status, want) in &cases {
        let (got_status, out) = sim.post("/v1/enroll", body).await;
        assert_eq!((got_status, code(&out)), (*status, *want), "{out}");
        assert!(
            out["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // A card encrypted to another key (under this server's kid) does not decrypt here.
    let (_, kid) = sim.encryption_key().await;
    let stranger = PublicJwk::from_public_key(&SecretKey::generate().public_key());
    let foreign = jwe::encrypt_card(&stranger, &kid, &card(VISA)).unwrap();
    let (s, out) = sim
        .post(
            "/v1/enroll",
            &json!({"csr": good_csr, "card": foreign, "password_set": true}),
        )
        .await;
    assert_eq!((s, code(&out)), (400, "isp_card_invalid"));

    let journal = sim.journal();
    let results: Vec<&str> = journal.iter().map(|e| e.result.as_str()).collect();
    assert_eq!(results.len(), cases.len() + 1);
    assert_eq!(results[3], "isp_card_declined");
    assert_eq!(journal[3].last4.as_deref(), Some("9979"));
    let text = std::fs::read(sim.dir.path().join(paygate_sim_isp::JOURNAL_FILE)).unwrap();
    let text = String::from_utf8_lossy(&text);
    assert!(
        !text.contains(VISA) && !text.contains(STOLEN),
        "no PAN in the database"
    );
}

#[tokio::test]
async fn revoke_is_journaled_and_unknown_serials_are_404() {
    let sim = TestSim::start().await;
    let holder = sim.enroll(MASTERCARD).await;
    let (s, out) = sim
        .post("/v1/revoke", &json!({"serial": holder.serial}))
        .await;
    assert_eq!(
        (s, out["revoked"].as_bool(), out["serial"].as_str()),
        (200, Some(true), Some(holder.serial.as_str()))
    );
    let (s, out) = sim.post("/v1/revoke", &json!({"serial": "00"})).await;
    assert_eq!((s, code(&out)), (404, "isp_certificate_unknown"));
    let j = sim.journal();
    assert_eq!(j[1].kind, "revoke");
    assert_eq!(j[1].result, "revoked");
    assert_eq!(j[2].result, "isp_certificate_unknown");
}

#[tokio::test]
async fn the_ca_and_enrolments_survive_a_restart() {
    let mut sim = TestSim::start().await;
    let before = sim.get("/v1/ca").await;
    let key_before = sim.encryption_key().await;
    let holder = sim.enroll(VISA).await;
    sim.restart().await;
    assert_eq!(sim.get("/v1/ca").await, before);
    assert_eq!(sim.encryption_key().await, key_before);
    let req = holder.verify_request(&sim, &expected()).await;
    let (s, out) = sim.post("/v1/verify", &req).await;
    assert_eq!(s, 200, "{out}");
    // Another CAVV key on the same data directory is refused.
    sim.sim.take().unwrap().shutdown().await.unwrap();
    let cfg = paygate_sim_isp::Config::new("127.0.0.1:0".parse().unwrap(), sim.dir.path(), [1; 32]);
    let err = paygate_sim_isp::start(cfg).await.unwrap_err();
    assert!(err.to_string().contains("another CAVV key"), "{err}");
}
