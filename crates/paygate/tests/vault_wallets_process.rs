//! Hybrid cloud, the wallets: with `paygate serve --vault-url …` every card the gateway keeps
//! goes to `paygate vault serve` — a 간편결제 wallet's card (registered and paid with the PIN
//! through the wallet pages) and the device account numbers of Apple Pay and Samsung Pay
//! tokens (made by the independent generator, `crates/gateway/tests/data/wallet_python`) —
//! and the gateway's database keeps only the reference, the fingerprint and the last 4.
//! A token whose gateway write fails leaves no record in the vault (the seal is discarded) and
//! its retry with the same Idempotency-Key goes through; with the vault down a payment answers
//! 503 `vault_unavailable` having written nothing, and its retry succeeds once the vault is back.
//! Needs python3 with `cryptography` (Debian's python3-cryptography or PyPI).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::certs;
use common::{PAN, Proc, merchant, spawn, start_vault};
use reqwest::redirect::Policy;
use serde_json::Value;

/// In this suite's own port range: the vault is restarted on the same address.
const VAULT_PORT: u16 = 19_243;
const PHONE: &str = "010-1234-5678";
/// The generator's device account numbers (Apple Pay Visa and Mastercard, Samsung Pay Visa).
const DPANS: [&str; 3] = ["4895370000000015", "5399990000000018", "4895370000000023"];

/// The gateway's tokens and its merchant's wallet keys (`paygate wallets … add`).
fn wallet_keys(dir: &Path, data: &str, merchant_id: &str) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../gateway/tests/data/wallet_python/make_tokens.py");
    let out = dir.join("tokens.json");
    let ok = Command::new("python3").arg(script).arg(&out).status();
    assert!(
        ok.is_ok_and(|s| s.success()),
        "make_tokens.py failed: needs python3 with the cryptography package"
    );
    let g: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let file = |name: &str| -> PathBuf {
        let p = dir.join(format!("{name}.pem"));
        std::fs::write(&p, g[name].as_str().unwrap()).unwrap();
        p
    };
    let (cert, key, root, samsung) = (
        file("merchant_certificate_pem"),
        file("merchant_key_pem"),
        file("root_pem"),
        file("samsung_key_pem"),
    );
    let s = |p: &PathBuf| p.to_str().unwrap().to_string();
    let (cert, key, root, samsung) = (s(&cert), s(&key), s(&root), s(&samsung));
    let owner = ["--merchant", merchant_id, "--data-dir", data];
    let apple = [
        "--certificate",
        &cert,
        "--private-key",
        &key,
        "--trust-root",
        &root,
    ];
    let samsung = ["--private-key", samsung.as_str()];
    for (wallet, key_args) in [("apple-pay", &apple[..]), ("samsung-pay", &samsung[..])] {
        let mut args = vec!["wallets", wallet, "add"];
        args.extend(owner);
        args.extend(key_args);
        let (ok, said) = common::cli(&args);
        assert!(ok, "{said}");
    }
    g
}

struct Gateway {
    _proc: Proc,
    base: String,
    key: String,
    db: PathBuf,
}

fn start_gateway(dir: &Path, data: &str, key: String, env: &[(&str, &str)]) -> Gateway {
    let args = [
        "serve",
        "--data-dir",
        data,
        "--listen",
        "127.0.0.1:0",
        "--metrics-listen",
        "127.0.0.1:0",
    ];
    let proc = spawn(&args, env, &dir.join("gw.log"), "paygate listening on");
    let base = proc.ready_line.rsplit(' ').next().unwrap().to_owned();
    Gateway {
        _proc: proc,
        base,
        key,
        db: Path::new(data).join("paygate.db"),
    }
}

impl Gateway {
    async fn post(&self, path: &str, idem: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let r = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("Idempotency-Key", idem)
            .form(form)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// A PaymentIntent created and confirmed with the wallet token `tok`.
    async fn pay_with_token(&self, idem: &str, tok: &str) -> (u16, Value) {
        let form = [
            ("amount", "15000"),
            ("currency", "krw"),
            ("confirm", "true"),
            ("payment_method_data[type]", "card"),
            ("payment_method_data[card][token]", tok),
        ];
        self.post("/v1/payment_intents", idem, &form).await
    }

    /// `POST /v1/tokens` with a token of the generator.
    async fn token(&self, idem: &str, param: &str, token: &Value) -> (u16, Value) {
        let token = token.as_str().unwrap();
        self.post("/v1/tokens", idem, &[(param, token)]).await
    }
}

fn query<T: rusqlite::types::FromSql>(db: &Path, sql: &str, args: &[&str]) -> Vec<T> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args), |r| r.get(0))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

fn vault_cards(db: &Path) -> i64 {
    query(db, "SELECT count(*) FROM vault_cards", &[])[0]
}

/// The payer's browser without script: forms, the device cookie, no redirects followed.
struct Payer {
    http: reqwest::Client,
    cookie: Option<String>,
}

fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("{name} in {html}"))
        + needle.len();
    html[start..].split('"').next().unwrap().to_string()
}

impl Payer {
    async fn send(&mut self, r: reqwest::RequestBuilder) -> (u16, String) {
        let r = match &self.cookie {
            Some(c) => r.header("cookie", c.clone()),
            None => r,
        };
        let resp = r.send().await.unwrap();
        if let Some(c) = resp.headers().get("set-cookie") {
            self.cookie = Some(c.to_str().unwrap().split(';').next().unwrap().to_string());
        }
        (resp.status().as_u16(), resp.text().await.unwrap())
    }
}

/// A 간편결제 payment through the wallet pages: phone, SMS code, card and PIN registered,
/// then paid with the PIN. The PaymentIntent's id.
async fn easy_pay_first_payment(gw: &Gateway, payer: &mut Payer) -> String {
    let form = [
        ("amount", "15000"),
        ("currency", "krw"),
        ("payment_method_types[]", "easy_pay"),
        ("payment_method_data[type]", "easy_pay"),
        ("confirm", "true"),
        ("return_url", "https://shop.example/back"),
    ];
    let (s, pi) = gw.post("/v1/payment_intents", "easy-pay-1", &form).await;
    assert_eq!(
        (s, pi["status"].as_str()),
        (200, Some("requires_action")),
        "{pi}"
    );
    let url = pi["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .unwrap();
    let action = url.split('?').next().unwrap().to_string();
    let (s, html) = payer.send(payer.http.get(url)).await;
    assert_eq!(s, 200, "{html}");
    let t = hidden(&html, "t");
    let http = payer.http.clone();
    let step = |form: Vec<(&'static str, String)>| http.post(&action).form(&form);
    let phone = step(vec![
        ("t", t.clone()),
        ("step", "phone".into()),
        ("phone", PHONE.into()),
    ]);
    let (s, html) = payer.send(phone).await;
    assert!(s == 200 && html.contains("name=\"otp\""), "{s} {html}");
    let (_, sms) = gw
        .get("/v1/test_helpers/sms_messages?phone=01012345678")
        .await;
    let body = sms["data"][0]["body"]
        .as_str()
        .unwrap_or_else(|| panic!("{sms}"));
    let code = body
        .split(' ')
        .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
        .unwrap();
    let otp = step(vec![
        ("t", t.clone()),
        ("step", "otp".into()),
        ("otp", code.into()),
    ]);
    let (s, html) = payer.send(otp).await;
    assert!(
        s == 200 && html.contains("name=\"card_number\""),
        "{s} {html}"
    );
    let register = step(vec![
        ("t", t.clone()),
        ("step", "register".into()),
        ("card_number", PAN.into()),
        ("exp_month", "12".into()),
        ("exp_year", "2034".into()),
        ("cvc", "123".into()),
        ("pin", "250913".into()),
        ("pin_confirmation", "250913".into()),
    ]);
    let (s, html) = payer.send(register).await;
    assert!(s == 200 && html.contains("name=\"pin\""), "{s} {html}");
    let pay = step(vec![
        ("t", t.clone()),
        ("step", "pay".into()),
        ("pin", "250913".into()),
    ]);
    let (_, html) = payer.send(pay).await;
    assert!(html.contains("redirect_status=succeeded"), "{html}");
    pi["id"].as_str().unwrap().to_string()
}

/// The vault's record `id`: its owner and its fingerprint.
fn vault_record(db: &Path, id: &str) -> (String, String) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT merchant_id, fingerprint FROM vault_cards WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap_or_else(|e| panic!("vault record {id}: {e}"))
}

/// The vault and a gateway using it, the merchant's wallet keys registered.
struct Hybrid {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    vault: Option<Proc>,
    vault_db: PathBuf,
    gw: Gateway,
    tokens: Value,
}

fn hybrid() -> Hybrid {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let ca = certs::ca(&dir, "ca");
    certs::issue(&dir, "ca", "vault", true);
    let (gw_cert, gw_key) = certs::issue(&dir, "ca", "gateway", false);
    let vault = Some(start_vault(&dir, VAULT_PORT));
    let data = dir.join("gw").to_str().unwrap().to_string();
    let (merchant_id, key) = merchant(&data);
    let tokens = wallet_keys(&dir, &data, &merchant_id);
    let url = format!("https://localhost:{VAULT_PORT}");
    let env = [
        ("PAYGATE_VAULT_URL", url.as_str()),
        ("PAYGATE_VAULT_CA", ca.to_str().unwrap()),
        ("PAYGATE_VAULT_CLIENT_CERT", gw_cert.to_str().unwrap()),
        ("PAYGATE_VAULT_CLIENT_KEY", gw_key.to_str().unwrap()),
    ];
    let gw = start_gateway(&dir, &data, key, &env);
    Hybrid {
        vault_db: dir.join("vault-data").join("paygate.db"),
        _tmp: tmp,
        dir,
        vault,
        gw,
        tokens,
    }
}

/// 간편결제: the wallet's card is the platform's record in the vault; the gateway's wallet
/// keeps its reference, fingerprint and last 4, and the payment's PaymentMethod has the same
/// keyed fingerprint.
async fn easy_pay_card_is_in_the_vault(h: &Hybrid) {
    let gw = &h.gw;
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let mut payer = Payer { http, cookie: None };
    let pi = easy_pay_first_payment(gw, &mut payer).await;
    let (_, pi) = gw
        .get(&format!("/v1/payment_intents/{pi}?expand[]=latest_charge"))
        .await;
    assert_eq!(pi["status"], "succeeded", "{pi}");
    let paid = &pi["latest_charge"]["payment_method_details"]["easy_pay"];
    let wallets: Vec<String> = query(
        &gw.db,
        "SELECT data FROM objects WHERE kind = 'easy_pay_wallet'",
        &[],
    );
    let wallet: Value = serde_json::from_str(&wallets[0]).unwrap();
    let card = &wallet["cards"][0];
    assert_eq!(card["last4"], "4242", "{wallet}");
    let (owner, fingerprint) = vault_record(&h.vault_db, card["vault_id"].as_str().unwrap());
    assert_eq!(owner, "platform");
    assert_eq!(card["fingerprint"], fingerprint.as_str(), "{wallet}");
    assert_eq!(paid["fingerprint"], fingerprint.as_str(), "{paid}");
}

/// A token of the generator made and paid with: its DPAN's record is the merchant's in the
/// vault, under the token's fingerprint.
async fn token_pays(h: &Hybrid, wallet: &str, param: &str, token: &Value) {
    let (s, tok) = h.gw.token(&format!("tok-{wallet}"), param, token).await;
    assert_eq!(s, 200, "{tok}");
    let tok_id = tok["id"].as_str().unwrap();
    let stored: Vec<String> = query(
        &h.gw.db,
        "SELECT data FROM objects WHERE id = ?1",
        &[tok_id],
    );
    let stored: Value = serde_json::from_str(&stored[0]).unwrap();
    let (owner, fingerprint) = vault_record(&h.vault_db, stored["_vault"].as_str().unwrap());
    let merchants: Vec<String> = query(
        &h.gw.db,
        "SELECT merchant_id FROM objects WHERE id = ?1",
        &[tok_id],
    );
    assert_eq!(owner, merchants[0]);
    assert_eq!(tok["card"]["fingerprint"], fingerprint.as_str(), "{tok}");
    let (s, pi) = h.gw.pay_with_token(&format!("pay-{wallet}"), tok_id).await;
    assert_eq!((s, pi["status"].as_str()), (200, Some("succeeded")), "{pi}");
}

fn no_card_number_in_the_clear(dir: &Path) {
    for file in common::walk(dir)
        .iter()
        .filter(|f| !f.ends_with("tokens.json"))
    {
        let bytes = std::fs::read(file).unwrap();
        for number in DPANS.iter().chain([&PAN]) {
            let leaked = bytes.windows(number.len()).any(|w| w == number.as_bytes());
            assert!(!leaked, "a card number in the clear in {}", file.display());
        }
    }
}

/// The gateway's write fails after the vault sealed the DPAN: the record is discarded,
/// nothing was stored, and the retry with the same key makes the token. Its id.
async fn orphaned_seal_is_discarded(h: &Hybrid, token: &Value) -> String {
    let faults = [("fail_next_commits", "1")];
    let (s, set) =
        h.gw.post("/v1/test_helpers/faults", "faults-1", &faults)
            .await;
    assert_eq!(s, 200, "{set}");
    let before = vault_cards(&h.vault_db);
    let (s, err) = h.gw.token("tok-orphan", "pk_token", token).await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (503, Some("store_unavailable")),
        "{err}"
    );
    assert_eq!(
        vault_cards(&h.vault_db),
        before,
        "the orphaned seal is discarded"
    );
    let (s, tok) = h.gw.token("tok-orphan", "pk_token", token).await;
    assert_eq!(s, 200, "{tok}");
    assert_eq!(vault_cards(&h.vault_db), before + 1);
    tok["id"].as_str().unwrap().to_string()
}

/// Vault down: a new token and a payment with the unused token `tok_id` answer 503
/// `vault_unavailable` having written nothing; with the vault back, the same requests with
/// the same keys go through.
async fn vault_outage_writes_nothing(h: &mut Hybrid, tok_id: &str, token: &Value) {
    drop(h.vault.take());
    let gw = &h.gw;
    let objects = "SELECT count(*) FROM objects";
    let before: Vec<i64> = query(&gw.db, objects, &[]);
    let (s, err) = gw.token("tok-outage", "pk_token", token).await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (503, Some("vault_unavailable")),
        "{err}"
    );
    let (s, err) = gw.pay_with_token("pay-outage", tok_id).await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (503, Some("vault_unavailable")),
        "{err}"
    );
    assert_eq!(
        query::<i64>(&gw.db, objects, &[]),
        before,
        "nothing written"
    );
    let (_, unused) = gw.get(&format!("/v1/tokens/{tok_id}")).await;
    assert_eq!(unused["used"], false, "{unused}");

    h.vault = Some(start_vault(&h.dir, VAULT_PORT));
    let gw = &h.gw;
    let (s, tok) = gw.token("tok-outage", "pk_token", token).await;
    assert_eq!(s, 200, "{tok}");
    let (s, pi) = gw.pay_with_token("pay-outage", tok_id).await;
    assert_eq!((s, pi["status"].as_str()), (200, Some("succeeded")), "{pi}");
    let (_, used) = gw.get(&format!("/v1/tokens/{tok_id}")).await;
    assert_eq!(used["used"], true, "{used}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wallet_cards_and_wallet_tokens_are_sealed_by_the_remote_vault_only() {
    let mut h = hybrid();
    easy_pay_card_is_in_the_vault(&h).await;
    let tokens = h.tokens.clone();
    token_pays(&h, "apple", "pk_token", &tokens["apple"]["visa"]).await;
    token_pays(
        &h,
        "samsung",
        "samsung_pay_token",
        &tokens["samsung"]["visa"],
    )
    .await;
    // The wallet card, 3 PaymentMethods (간편결제, Apple Pay, Samsung Pay) and 2 DPANs.
    assert_eq!((vault_cards(&h.vault_db), vault_cards(&h.gw.db)), (6, 0));
    no_card_number_in_the_clear(&h.dir);

    let tok_id = orphaned_seal_is_discarded(&h, &tokens["apple"]["mastercard"]).await;
    assert_eq!(vault_cards(&h.vault_db), 7);
    // The generator's second Visa token (another transaction, signed now).
    vault_outage_writes_nothing(&mut h, &tok_id, &tokens["apple"]["stale"]).await;
    // + the outage's token's DPAN and the Mastercard payment's PaymentMethod.
    assert_eq!((vault_cards(&h.vault_db), vault_cards(&h.gw.db)), (9, 0));
}
