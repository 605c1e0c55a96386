//! Hybrid cloud: `paygate vault serve` over mutual TLS and `paygate serve --vault-url …`.
//! A card payment and its refund go through the remote vault, which alone holds the card;
//! clients without a certificate or with one from another CA are refused; the gateway is not
//! ready and answers 503 while the vault is down, and recovers when it is back.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::certs;
use common::{PAN, pay_form, post, serve_with_merchant, start_vault};
use paygate_gateway::vault_service::client::{VaultCallError, VaultClient};
use paygate_gateway::vault_service::mtls::ClientFiles;
use serde_json::Value;

/// In this suite's port range: the vault is restarted on the same address.
const VAULT_PORT: u16 = 26_443;

fn client(dir: &Path, identity: &str) -> VaultClient {
    let (ca, cert, key) = (
        dir.join("ca.pem"),
        dir.join(format!("{identity}.pem")),
        dir.join(format!("{identity}.key")),
    );
    let files = ClientFiles {
        ca: &ca,
        cert: &cert,
        key: &key,
    };
    VaultClient::new(&format!("https://localhost:{VAULT_PORT}"), &files).unwrap()
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

async fn get(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn refund(base: &str, key: &str, pi: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}/v1/refunds"))
        .bearer_auth(key)
        .header("Idempotency-Key", format!("refund-{pi}"))
        .form(&[("payment_intent", pi)])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// A TLS client that trusts the vault but presents no certificate gets no HTTP answer.
async fn answered_without_certificate(dir: &Path) -> bool {
    use rustls::pki_types::pem::PemObject;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_file_iter(dir.join("ca.pem")).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", VAULT_PORT))
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let Ok(mut tls) = connector.connect(name, tcp).await else {
        return false;
    };
    let request = b"GET /v1/keys HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n";
    if tls.write_all(request).await.is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer).await;
    answer.starts_with(b"HTTP/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_use_the_remote_vault_over_mutual_tls_and_survive_its_outage() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ca = certs::ca(dir, "ca");
    certs::issue(dir, "ca", "vault", true);
    let (gw_cert, gw_key) = certs::issue(dir, "ca", "gateway", false);
    certs::ca(dir, "other_ca");
    certs::issue(dir, "other_ca", "intruder", false);

    let mut vault = start_vault(dir, VAULT_PORT);
    let url = format!("https://localhost:{VAULT_PORT}");
    let env = [
        ("PAYGATE_VAULT_URL", url.as_str()),
        ("PAYGATE_VAULT_CA", ca.to_str().unwrap()),
        ("PAYGATE_VAULT_CLIENT_CERT", gw_cert.to_str().unwrap()),
        ("PAYGATE_VAULT_CLIENT_KEY", gw_key.to_str().unwrap()),
    ];
    let gw = serve_with_merchant(dir, &env);
    let (status, ready) = get(&format!("{}/readyz", gw.base)).await;
    assert_eq!(
        (status, &ready["vault"]),
        (200, &Value::Bool(true)),
        "{ready}"
    );

    // A card payment and its refund, the card sealed by the remote vault.
    let (status, pi) = post(&gw.base, &gw.key, "hybrid-1", pay_form())
        .await
        .unwrap();
    assert_eq!(
        (status, pi["status"].as_str()),
        (200, Some("succeeded")),
        "{pi}"
    );
    let pi_id = pi["id"].as_str().unwrap();
    let (status, re) = refund(&gw.base, &gw.key, pi_id).await;
    assert_eq!(
        (status, re["status"].as_str()),
        (200, Some("succeeded")),
        "{re}"
    );

    // The vault holds the card, encrypted; the gateway's database holds none.
    let vault_db = dir.join("vault-data").join("paygate.db");
    let gw_db = Path::new(&gw.data).join("paygate.db");
    assert_eq!(count(&vault_db, "SELECT count(*) FROM vault_cards"), 1);
    assert_eq!(count(&gw_db, "SELECT count(*) FROM vault_cards"), 0);
    for file in common::walk(dir) {
        let bytes = std::fs::read(&file).unwrap();
        let leaked = bytes.windows(PAN.len()).any(|w| w == PAN.as_bytes());
        assert!(
            !leaked,
            "the card number in the clear in {}",
            file.display()
        );
    }

    // The vault's API to an authenticated client: unseal (owner only), key status, delete.
    let gateway = client(dir, "gateway");
    let conn = rusqlite::Connection::open(&vault_db).unwrap();
    let (card_id, owner): (String, String) = conn
        .query_row("SELECT id, merchant_id FROM vault_cards", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let card = gateway.unseal(&card_id, &owner).await.unwrap();
    assert_eq!((card.pan.expose(), card.expiry.month), (PAN, 12));
    let other = gateway.unseal(&card_id, "acct_someone_else").await;
    assert!(
        matches!(other, Err(VaultCallError::Refused { status: 404, .. })),
        "{other:?}"
    );
    let keys = gateway.keys().await.unwrap();
    assert_eq!((keys.keks.len(), keys.cards_not_under_active), (1, 0));

    // Clients the vault does not know get no answer at all.
    let intruder = client(dir, "intruder").keys().await;
    assert!(
        matches!(intruder, Err(VaultCallError::Unreachable(_))),
        "{intruder:?}"
    );
    assert!(!answered_without_certificate(dir).await);

    // Vault down: not ready, and a card payment answers 503 (not 500).
    drop(vault);
    let (status, ready) = get(&format!("{}/readyz", gw.base)).await;
    assert_eq!(
        (status, &ready["vault"]),
        (503, &Value::Bool(false)),
        "{ready}"
    );
    let (status, err) = post(&gw.base, &gw.key, "hybrid-2", pay_form())
        .await
        .unwrap();
    assert_eq!(status, 503, "{err}");
    assert_eq!(err["error"]["code"], "vault_unavailable", "{err}");

    // Back: ready again, and payments go through.
    vault = start_vault(dir, VAULT_PORT);
    let (status, _) = get(&format!("{}/readyz", gw.base)).await;
    assert_eq!(status, 200);
    let (status, pi) = post(&gw.base, &gw.key, "hybrid-3", pay_form())
        .await
        .unwrap();
    assert_eq!(
        (status, pi["status"].as_str()),
        (200, Some("succeeded")),
        "{pi}"
    );
    assert_eq!(count(&vault_db, "SELECT count(*) FROM vault_cards"), 2);

    let deleted = gateway.delete(&card_id, &owner).await.unwrap();
    assert!(deleted.deleted);
    assert!(!gateway.delete(&card_id, &owner).await.unwrap().deleted);
    drop(vault);
}

#[test]
fn the_remote_vault_flags_go_together() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().to_str().unwrap();
    let args = [
        "serve",
        "--data-dir",
        data,
        "--vault-url",
        "https://localhost:1",
    ];
    let (ok, out) = common::cli(&args);
    assert!(!ok);
    assert!(out.contains("--vault-ca"), "{out}");
}
