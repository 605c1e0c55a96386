//! 3-D Secure on the card network: authorizations carrying ECI, CAVV and dsTransID in DE 48
//! (subelements 42, 43, 44), built by hand from `docs/iso8583.md` and sent over a real socket.
//! The CAVV is computed here from the contract, independently of both simulators.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use paygate_iso8583::{Message, Profile, decode, encode};
use paygate_sim_network::{Authentication, CavvKey, JournalEntry, SimConfig, SimHandle};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A test key only.
const KEY: [u8; 32] = [0x33; 32];
const AMOUNT: i64 = 12_000;

fn cavv(pan: &str, amount: i64, currency: &str, ds: &str, eci: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&KEY).unwrap();
    mac.update(format!("{pan}|{amount}|{currency}|{ds}|{eci}").as_bytes());
    STANDARD.encode(&mac.finalize().into_bytes()[..20])
}

struct Net {
    sim: SimHandle,
    dir: tempfile::TempDir,
    conn: TcpStream,
    stan: u32,
}

impl Net {
    async fn start(key: Option<[u8; 32]>) -> Net {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = SimConfig::new("127.0.0.1:0".parse().unwrap(), dir.path());
        cfg.cavv_key = key.map(CavvKey::new);
        let sim = paygate_sim_network::start(cfg).await.unwrap();
        let conn = TcpStream::connect(sim.local_addr()).await.unwrap();
        Net {
            sim,
            dir,
            conn,
            stan: 0,
        }
    }

    /// Sends a 0100 for `pan` with DE 48 `de48` (if any); DE 39 of the answer.
    async fn authorize(&mut self, pan: &str, de48: Option<String>) -> String {
        self.stan += 1;
        let mut m = Message::new("0100").unwrap();
        m.set_str(2, pan)
            .set_str(3, "000000")
            .set_str(4, &format!("{AMOUNT:012}"))
            .set_str(7, "1202041500")
            .set_str(11, &format!("{:06}", self.stan))
            .set_str(14, "3412")
            .set_str(41, "PG3DS001")
            .set_str(49, "410");
        if let Some(f) = de48 {
            m.set_str(48, &f);
        }
        let spec = Profile::Ascii.spec();
        let body = encode(&m, spec).unwrap();
        let mut frame = u16::try_from(body.len()).unwrap().to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        self.conn.write_all(&frame).await.unwrap();
        let mut len = [0u8; 2];
        self.conn.read_exact(&mut len).await.unwrap();
        let mut resp = vec![0u8; usize::from(u16::from_be_bytes(len))];
        self.conn.read_exact(&mut resp).await.unwrap();
        let resp = decode(&resp, spec).unwrap();
        assert_eq!(resp.get_str(11), m.get_str(11));
        resp.get_str(39).unwrap().to_owned()
    }

    /// (eci, authentication) of every authorization in the journal.
    fn journal(&self) -> Vec<(Option<String>, Authentication, String)> {
        paygate_sim_network::journal(self.dir.path())
            .unwrap()
            .into_iter()
            .filter_map(|e| match e {
                JournalEntry::Authorization(a) => Some((a.eci, a.authentication, a.response_code)),
                _ => None,
            })
            .collect()
    }
}

/// DE 48 with ECI, CAVV and dsTransID subelements.
fn three_ds(eci: &str, cavv: Option<&str>, ds: Option<&str>) -> String {
    let mut f = format!("4202{eci}");
    if let Some(c) = cavv {
        f.push_str(&format!("43{:02}{c}", c.len()));
    }
    if let Some(d) = ds {
        f.push_str(&format!("44{:02}{d}", d.len()));
    }
    f
}

fn ds_id() -> String {
    // A fixed-format UUID made of the test's own counter: no uuid crate needed.
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{n:08x}-0000-4000-8000-000000000000")
}

#[tokio::test]
async fn a_verified_cavv_approves_and_is_journaled_verified_but_never_twice() {
    let mut net = Net::start(Some(KEY)).await;
    let pan = "4000000000003220";
    let ds = ds_id();
    let good = cavv(pan, AMOUNT, "410", &ds, "05");
    assert_eq!(
        net.authorize(pan, Some(three_ds("05", Some(&good), Some(&ds))))
            .await,
        "00"
    );
    // The same authentication again (a new request with the same dsTransID): a replay.
    assert_eq!(
        net.authorize(pan, Some(three_ds("05", Some(&good), Some(&ds))))
            .await,
        "05"
    );
    let j = net.journal();
    assert_eq!(
        j[0],
        (Some("05".into()), Authentication::Verified, "00".into())
    );
    assert_eq!(
        j[1],
        (Some("05".into()), Authentication::Failed, "05".into())
    );
    // As `paygate sim network journal --json` prints it.
    let json = serde_json::to_value(paygate_sim_network::journal(net.dir.path()).unwrap()).unwrap();
    assert_eq!(json[0]["type"], "authorization");
    assert_eq!(json[0]["eci"], "05");
    assert_eq!(json[0]["authentication"], "verified");
    assert_eq!(json[1]["authentication"], "failed");
    net.sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn forged_missing_or_mismatched_cavvs_are_declined_05_as_failed() {
    let mut net = Net::start(Some(KEY)).await;
    let pan = "4000000000003055";
    let ds = ds_id();
    let forged = cavv(pan, AMOUNT + 1, "410", &ds, "05");
    assert_eq!(
        net.authorize(pan, Some(three_ds("05", Some(&forged), Some(&ds))))
            .await,
        "05"
    );
    assert_eq!(
        net.authorize(pan, Some(three_ds("05", None, None))).await,
        "05"
    );
    let other_eci = cavv(pan, AMOUNT, "410", &ds, "05");
    assert_eq!(
        net.authorize(pan, Some(three_ds("06", Some(&other_eci), Some(&ds))))
            .await,
        "05"
    );
    let no_ds = cavv(pan, AMOUNT, "410", &ds, "05");
    assert_eq!(
        net.authorize(pan, Some(three_ds("05", Some(&no_ds), None)))
            .await,
        "05"
    );
    let j = net.journal();
    assert_eq!(j.len(), 4);
    assert!(
        j.iter()
            .all(|(_, a, rc)| *a == Authentication::Failed && rc == "05"),
        "{j:?}"
    );
    // After all those failures the right CAVV still verifies (failures do not consume it).
    let good = cavv(pan, AMOUNT, "410", &ds, "05");
    assert_eq!(
        net.authorize(pan, Some(three_ds("05", Some(&good), Some(&ds))))
            .await,
        "00"
    );
}

#[tokio::test]
async fn plain_payments_are_none_and_the_1629_card_is_declined_after_authentication() {
    let mut net = Net::start(Some(KEY)).await;
    assert_eq!(net.authorize("4242424242424242", None).await, "00");
    assert_eq!(
        net.authorize("4242424242424242", Some("4202079203123".into()))
            .await,
        "00"
    );
    let pan = "4000008400001629";
    let ds = ds_id();
    let good = cavv(pan, AMOUNT, "410", &ds, "05");
    assert_eq!(
        net.authorize(pan, Some(three_ds("05", Some(&good), Some(&ds))))
            .await,
        "05"
    );
    let j = net.journal();
    assert_eq!(j[0], (None, Authentication::None, "00".into()));
    assert_eq!(j[1], (Some("07".into()), Authentication::None, "00".into()));
    assert_eq!(
        j[2],
        (Some("05".into()), Authentication::Verified, "05".into())
    );
}

#[tokio::test]
async fn without_a_cavv_key_every_3ds_payment_fails() {
    let mut net = Net::start(None).await;
    let pan = "4000000000003220";
    let ds = ds_id();
    let good = cavv(pan, AMOUNT, "410", &ds, "05");
    assert_eq!(
        net.authorize(pan, Some(three_ds("05", Some(&good), Some(&ds))))
            .await,
        "05"
    );
    assert_eq!(net.journal()[0].1, Authentication::Failed);
    assert_eq!(
        net.authorize(pan, None).await,
        "00",
        "without 3DS the card approves"
    );
}

#[tokio::test]
async fn a_malformed_ds_trans_id_is_a_format_error() {
    let mut net = Net::start(Some(KEY)).await;
    let code = net
        .authorize(
            "4000000000003220",
            Some(three_ds("05", None, Some("not-a-uuid"))),
        )
        .await;
    assert_eq!(code, "30");
}

/// An AReq for `pan` with every field the contract requires.
fn areq(pan: &str) -> serde_json::Value {
    serde_json::json!({
        "messageType": "AReq", "messageVersion": "2.2.0",
        "threeDSServerTransID": "6f2d3a4e-8b1c-4d5e-9f60-718293a4b5c6",
        "threeDSServerRefNumber": "PAYGATE-3DS-01",
        "threeDSServerURL": "http://127.0.0.1:9/rreq",
        "threeDSRequestorID": "m1", "threeDSRequestorName": "Demo",
        "threeDSRequestorURL": "https://shop.example/", "threeDSRequestorAuthenticationInd": "01",
        "threeDSRequestorChallengeInd": "01", "threeDSCompInd": "U", "deviceChannel": "02",
        "messageCategory": "01", "acctNumber": pan, "cardExpiryDate": "3412",
        "purchaseAmount": AMOUNT.to_string(), "purchaseCurrency": "410", "purchaseExponent": "0",
        "purchaseDate": "20261202041500", "acquirerBIN": "123456", "acquirerMerchantID": "shop-1",
        "merchantName": "Demo", "mcc": "5812", "merchantCountryCode": "410",
        "notificationURL": "https://shop.example/notify", "browserAcceptHeader": "text/html",
        "browserUserAgent": "t", "browserLanguage": "ko", "browserJavaEnabled": "false",
        "browserJavascriptEnabled": "true", "browserColorDepth": "24",
        "browserScreenHeight": "900", "browserScreenWidth": "1440", "browserTZ": "-540",
    })
}

#[tokio::test]
async fn a_cavv_the_3ds_simulator_issues_verifies_on_the_network_with_the_same_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = paygate_sim_threeds::Config::new("127.0.0.1:0".parse().unwrap(), dir.path(), KEY);
    let acs = paygate_sim_threeds::start(cfg).await.unwrap();
    let pan = "4000000000003055";
    let ares: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/ds/areq", acs.base_url()))
        .json(&areq(pan))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ares["transStatus"], "Y", "{ares}");
    let field = |name: &str| ares[name].as_str().unwrap().to_owned();
    let (eci, cavv, ds) = (
        field("eci"),
        field("authenticationValue"),
        field("dsTransID"),
    );

    let mut net = Net::start(Some(KEY)).await;
    let de48 = three_ds(&eci, Some(&cavv), Some(&ds));
    assert_eq!(net.authorize(pan, Some(de48)).await, "00");
    assert_eq!(net.journal()[0].1, Authentication::Verified);
    acs.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_isp_authentication_is_checked_like_3ds_and_journaled_with_its_program() {
    let mut net = Net::start(Some(KEY)).await;
    let pan = "4242424242424242";
    let tx = ds_id();
    let good = cavv(pan, AMOUNT, "410", &tx, "05");
    let isp = |c: &str| format!("{}4503isp", three_ds("05", Some(c), Some(&tx)));
    assert_eq!(net.authorize(pan, Some(isp(&good))).await, "00");
    // The ISP server's transaction id is used once, like a dsTransID.
    assert_eq!(net.authorize(pan, Some(isp(&good))).await, "05");
    // A program the issuer does not know cannot vouch for anything, whatever its CAVV.
    let other = ds_id();
    let other_cavv = cavv(pan, AMOUNT, "410", &other, "05");
    let unknown = format!("{}4503abc", three_ds("05", Some(&other_cavv), Some(&other)));
    assert_eq!(net.authorize(pan, Some(unknown)).await, "05");
    // 3-D Secure (no DE 48.45) is journaled as such.
    let ds = ds_id();
    let tds = cavv(pan, AMOUNT, "410", &ds, "05");
    assert_eq!(
        net.authorize(pan, Some(three_ds("05", Some(&tds), Some(&ds))))
            .await,
        "00"
    );
    let json = serde_json::to_value(paygate_sim_network::journal(net.dir.path()).unwrap()).unwrap();
    assert_eq!(json[0]["authentication"], "verified", "{json}");
    assert_eq!(json[0]["authentication_program"], "isp");
    assert_eq!(json[1]["authentication"], "failed");
    assert_eq!(json[1]["authentication_program"], "isp");
    assert_eq!(json[2]["authentication"], "failed");
    assert!(json[2]["authentication_program"].is_null(), "{json}");
    assert_eq!(json[3]["authentication_program"], "three_d_secure");
    // Without an ECI there is no program to speak of.
    assert_eq!(net.authorize(pan, None).await, "00");
    let json = serde_json::to_value(paygate_sim_network::journal(net.dir.path()).unwrap()).unwrap();
    assert!(json[4].get("authentication_program").is_none(), "{json}");
    net.sim.shutdown().await.unwrap();
}
