//! The network as the token service of wallet device tokens (`docs/iso8583.md`, "Device
//! tokens"): authorizations with a DPAN in DE 2 and the wallet's online cryptogram in DE 48.43,
//! built by hand from the docs and sent over a real socket.

use paygate_iso8583::{Message, Profile, decode, encode};
use paygate_sim_network::{CryptogramCheck, JournalEntry, SimConfig, SimHandle, WalletEntry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const AMOUNT: i64 = 4_500;
/// Luhn-valid device tokens of the two ranges.
const VISA_DPAN: &str = "4895370000000015";
const MASTERCARD_DPAN: &str = "5399990000000018";

struct Net {
    _sim: SimHandle,
    dir: tempfile::TempDir,
    conn: TcpStream,
    stan: u32,
}

impl Net {
    async fn start() -> Net {
        let dir = tempfile::tempdir().unwrap();
        let cfg = SimConfig::new("127.0.0.1:0".parse().unwrap(), dir.path());
        let sim = paygate_sim_network::start(cfg).await.unwrap();
        let conn = TcpStream::connect(sim.local_addr()).await.unwrap();
        Net {
            _sim: sim,
            dir,
            conn,
            stan: 0,
        }
    }

    /// Sends a 0100 for `pan` with DE 48 `de48` (if any); the answer.
    async fn authorize(&mut self, pan: &str, de48: Option<String>) -> Message {
        self.stan += 1;
        let mut m = Message::new("0100").unwrap();
        m.set_str(2, pan)
            .set_str(3, "000000")
            .set_str(4, &format!("{AMOUNT:012}"))
            .set_str(7, "1202041500")
            .set_str(11, &format!("{:06}", self.stan))
            .set_str(14, "3412")
            .set_str(22, "812")
            .set_str(41, "PGWAL001")
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
        resp
    }

    /// (DE 39, wallet) of every authorization in the journal.
    fn journal(&self) -> Vec<(String, Option<WalletEntry>)> {
        paygate_sim_network::journal(self.dir.path())
            .unwrap()
            .into_iter()
            .filter_map(|e| match e {
                JournalEntry::Authorization(a) => Some((a.response_code, a.wallet)),
                _ => None,
            })
            .collect()
    }
}

/// DE 48 of a wallet payment: ECI and cryptogram (subelements 42 and 43).
fn wallet(eci: &str, cryptogram: &str) -> String {
    format!("4202{eci}43{:02}{cryptogram}", cryptogram.len())
}

fn code(m: &Message) -> &str {
    m.get_str(39).unwrap()
}

#[tokio::test]
async fn a_device_token_pays_from_its_funding_card_and_its_cryptogram_is_used_once() {
    let mut net = Net::start().await;
    let first = net
        .authorize(
            VISA_DPAN,
            Some(wallet("05", "AgAAAAAABk4DWZ4C28yUQAAAAAA=")),
        )
        .await;
    assert_eq!(code(&first), "00");
    // The answer names the funding card's last 4 digits (DE 48.33), never the whole number.
    assert_eq!(first.get_str(48), Some("33044242"));
    let mc = net
        .authorize(
            MASTERCARD_DPAN,
            Some(wallet("02", "AwAABCQACCDLHvYBtQ9EgUUQYaA=")),
        )
        .await;
    assert_eq!((code(&mc), mc.get_str(48)), ("00", Some("33044444")));
    // The same cryptogram again, even with another token: replayed, do not honour.
    let replay = net
        .authorize(
            MASTERCARD_DPAN,
            Some(wallet("02", "AgAAAAAABk4DWZ4C28yUQAAAAAA=")),
        )
        .await;
    assert_eq!(code(&replay), "05");
    // No cryptogram at all: do not honour.
    let bare = net.authorize(VISA_DPAN, Some("420205".to_owned())).await;
    assert_eq!(code(&bare), "05");
    let entry = |dpan: &str, funding: &str, cryptogram| WalletEntry {
        dpan: dpan.to_owned(),
        funding_card: funding.to_owned(),
        cryptogram,
    };
    assert_eq!(
        net.journal(),
        vec![
            (
                "00".to_owned(),
                Some(entry(
                    "489537******0015",
                    "424242******4242",
                    CryptogramCheck::Fresh
                ))
            ),
            (
                "00".to_owned(),
                Some(entry(
                    "539999******0018",
                    "555555******4444",
                    CryptogramCheck::Fresh
                ))
            ),
            (
                "05".to_owned(),
                Some(entry(
                    "539999******0018",
                    "555555******4444",
                    CryptogramCheck::Replayed
                ))
            ),
            (
                "05".to_owned(),
                Some(entry(
                    "489537******0015",
                    "424242******4242",
                    CryptogramCheck::Missing
                ))
            ),
        ]
    );
    // The journal never holds the whole DPAN or the cryptogram.
    let json =
        serde_json::to_string(&paygate_sim_network::journal(net.dir.path()).unwrap()).unwrap();
    assert!(!json.contains(VISA_DPAN) && !json.contains("AgAAAAAABk4DWZ4C28yUQAAAAAA="));
}

#[tokio::test]
async fn numbers_outside_the_rules_are_no_tokens_and_plain_cards_are_unchanged() {
    let mut net = Net::start().await;
    // Right prefix, wrong Luhn digit: no token, no card.
    let bad = net.authorize("4895370000000016", None).await;
    assert_eq!((code(&bad), bad.get_str(48)), ("14", None));
    // A funding card used directly is a card payment: no DE 48 in the answer, no wallet.
    let card = net.authorize("4242424242424242", None).await;
    assert_eq!((code(&card), card.get_str(48)), ("00", None));
    assert_eq!(
        net.journal(),
        vec![("14".to_owned(), None), ("00".to_owned(), None)]
    );
}
