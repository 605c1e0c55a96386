//! Store terminals on the POS listener's wire protocol, in process: the terminal simulator's
//! library (`paygate-sim-pos`: the phone's ARQC / CVC3, the messages and one framed exchange)
//! talks to `pos::serve` over TCP; the network simulator is the issuer. Checked at the
//! terminal (DE 39, DE 48 totals), in the API, the ledger and the network's journal.

mod support;

use paygate_gateway::pos::{self, terminals};
use paygate_iso8583::Message;
use paygate_payments::ManualClock;
use paygate_sim_pos::phone::{self, Transaction, Wallet};
use paygate_sim_pos::terminal::{Identity, exchange, original_data, request};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use support::TestApp;

/// How long the terminal waits for an answer before it counts as none (never reached when
/// the host answers; no test waits for it to pass).
const ANSWER_WAIT: Duration = Duration::from_secs(20);

/// A terminal with a phone in front of it.
struct Till {
    host: String,
    id: Identity,
    next_stan: u32,
    atc: u16,
}

impl Till {
    fn stan(&mut self) -> String {
        self.next_stan += 1;
        format!("{:06}", self.next_stan)
    }

    /// A contactless (Apple Pay) or MST (Samsung Pay) purchase of `amount` KRW, not yet sent.
    fn purchase(&mut self, wallet: Wallet, amount: i64) -> Message {
        self.purchase_with(wallet, amount, None)
    }

    fn purchase_with(&mut self, wallet: Wallet, amount: i64, card: Option<&str>) -> Message {
        let stan = self.stan();
        let mut msg = request("0200", "000000", &stan, &self.id);
        msg.set_str(4, &format!("{amount:012}")).set_str(49, "410");
        self.atc += 1;
        match wallet {
            Wallet::ApplePay => {
                let pan = card.unwrap_or("4895370000000015");
                let tx = Transaction {
                    amount_minor: amount,
                    currency_numeric: 410,
                    date: [0x26, 0x12, 0x02],
                    unpredictable_number: [1, 2, 3, self.atc as u8],
                };
                let icc = phone::chip_data(pan, self.atc, &tx, wallet, false);
                msg.set_str(2, pan)
                    .set_str(14, "3412")
                    .set_str(22, "071")
                    .set_str(55, &hex::encode_upper(icc));
            }
            Wallet::SamsungPay => {
                let track = phone::mst_track2("5399990000000018", "3412", self.atc, 7, false);
                msg.set_str(22, "901").set_str(35, &track);
            }
        }
        msg
    }

    /// A refund (processing code 20) of `amount` naming the purchase `orig`.
    fn refund(&mut self, orig: &Message, amount: i64) -> Message {
        let stan = self.stan();
        let mut msg = request("0200", "200000", &stan, &self.id);
        msg.set_str(4, &format!("{amount:012}"))
            .set_str(49, "410")
            .set_str(90, &original_data(orig));
        msg
    }

    /// The reversal (0400) of `orig`.
    fn reversal(&mut self, orig: &Message) -> Message {
        let stan = self.stan();
        let mut msg = request("0400", orig.get_str(3).unwrap_or("000000"), &stan, &self.id);
        msg.set_str(4, orig.get_str(4).unwrap_or_default())
            .set_str(49, "410")
            .set_str(90, &original_data(orig));
        msg
    }

    /// Sends the reversal of `orig`; the 0410's DE 39.
    async fn reverse(&mut self, orig: &Message) -> String {
        let rev = self.reversal(orig);
        self.code(&rev).await
    }

    async fn send(&self, msg: &Message) -> Message {
        exchange(&self.host, msg, ANSWER_WAIT)
            .await
            .unwrap_or_else(|e| panic!("no answer to {} {:?}: {e:?}", msg.mti(), msg.get_str(11)))
    }

    /// Sends `msg`; its DE 39.
    async fn code(&self, msg: &Message) -> String {
        self.send(msg)
            .await
            .get_str(39)
            .unwrap_or_default()
            .to_owned()
    }

    /// 0500 → the 0510's DE 48.
    async fn totals(&mut self) -> String {
        let stan = self.stan();
        let mut msg = request("0500", "920000", &stan, &self.id);
        msg.set_str(49, "410");
        let resp = self.send(&msg).await;
        assert_eq!(resp.get_str(39), Some("00"));
        resp.get_str(48).unwrap_or_default().to_owned()
    }
}

/// A gateway at noon UTC today (so "today" of the totals is one day), its POS listener and a
/// terminal of its merchant.
async fn store_with_terminal() -> (TestApp, Till) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let noon = now - now.rem_euclid(86_400) + 43_200;
    let app = TestApp::spawn_with_clock(|_| {}, Arc::new(ManualClock::new(noon))).await;
    let st = app.server.state.clone();
    let t = terminals::create(&st.store, &app.merchant, noon)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    tokio::spawn(pos::serve(st, listener));
    let till = Till {
        host,
        id: Identity {
            terminal_id: t.terminal_id,
            merchant_id: Some(t.merchant_id),
        },
        next_stan: 0,
        atc: 0,
    };
    (app, till)
}

fn totals(sales: (u32, i64), refunds: (u32, i64)) -> String {
    format!(
        "{:04}{:012}{:04}{:012}",
        sales.0, sales.1, refunds.0, refunds.1
    )
}

#[tokio::test]
async fn a_purchase_after_the_reversal_of_an_earlier_one_is_answered() {
    let (app, mut till) = store_with_terminal().await;
    // An approved purchase the terminal reverses (its answer came too late for it).
    let first = till.purchase(Wallet::ApplePay, 10_000);
    assert_eq!(till.code(&first).await, "00");
    let rev = till.reversal(&first);
    assert_eq!(till.code(&rev).await, "00");
    // A purchase the terminal reverses before the host ever saw it.
    let lost = till.purchase(Wallet::ApplePay, 3_000);
    let rev = till.reversal(&lost);
    assert_eq!(till.code(&rev).await, "00");
    let next = till.purchase(Wallet::ApplePay, 4_000);
    assert_eq!(till.code(&next).await, "00");
    // The same on one connection the terminal keeps open.
    let mut c = Conn::open(&till.host).await;
    let p = till.purchase(Wallet::SamsungPay, 1_000);
    c.send(&p).await;
    assert_eq!(c.answer().await.get_str(39), Some("00"));
    c.send(&till.reversal(&p)).await;
    let a = c.answer().await;
    assert_eq!((a.mti(), a.get_str(39)), ("0410", Some("00")));
    c.send(&till.purchase(Wallet::SamsungPay, 2_000)).await;
    let a = c.answer().await;
    assert_eq!((a.mti(), a.get_str(39)), ("0210", Some("00")));
    // After a purchase the issuer never answered (the gateway reversed it at the network).
    let silent = till.purchase_with(Wallet::ApplePay, 3_000, Some("4000000000000150"));
    assert_eq!(till.code(&silent).await, "91");
    assert_eq!(till.reverse(&silent).await, "00");
    // A reversal that arrives while its purchase still runs gets no answer; its repeat, once
    // the purchase is over, does; then the next purchase.
    let running = till.purchase_with(Wallet::ApplePay, 3_100, Some("4000000000000150"));
    let mut first_conn = Conn::open(&till.host).await;
    first_conn.send(&running).await;
    wait_for_issuer(&app, 3_100).await;
    let early = till.reversal(&running);
    let mut second_conn = Conn::open(&till.host).await;
    second_conn.send(&early).await;
    assert_eq!(first_conn.answer().await.get_str(39), Some("91"));
    assert_eq!(till.code(&early).await, "00", "the repeated reversal");
    let after = till.purchase(Wallet::ApplePay, 6_000);
    assert_eq!(till.code(&after).await, "00");
    let (_, list) = app.get("/v1/payment_intents?limit=10").await;
    let paid: Vec<i64> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "succeeded")
        .map(|p: &Value| p["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(paid, [6_000, 2_000, 1_000, 4_000, 10_000], "{list}");
    assert!(app.ledger_problems().await.is_empty());
}

/// Returns once the issuer has journaled an authorization of `amount` (the purchase is at the
/// network, so in flight at the gateway).
async fn wait_for_issuer(app: &TestApp, amount: i64) {
    for _ in 0..100_000 {
        let seen = paygate_sim_network::journal(&app.sim_dir())
            .unwrap()
            .iter()
            .any(|e| matches!(e, paygate_sim_network::JournalEntry::Authorization(a) if a.amount == amount));
        if seen {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the purchase of {amount} never reached the issuer");
}

/// Count and sum of the network journal's approved entries of `kind`.
fn journaled(journal: &[Value], kind: &str) -> (u32, i64) {
    let approved: Vec<&Value> = journal
        .iter()
        .filter(|e| e["type"] == kind && e["response_code"] == "00")
        .collect();
    let sum = approved.iter().map(|e| e["amount"].as_i64().unwrap()).sum();
    (approved.len() as u32, sum)
}

/// Count and sum (positive) of the ledger's balance transactions of `kind`.
async fn booked(app: &TestApp, kind: &str) -> (u32, i64) {
    let (_, txns) = app.get("/v1/balance_transactions?limit=100").await;
    let of_kind: Vec<i64> = txns["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == kind)
        .map(|t| t["amount"].as_i64().unwrap().abs())
        .collect();
    (of_kind.len() as u32, of_kind.iter().sum())
}

#[tokio::test]
async fn end_of_day_totals_match_the_ledger_and_the_journal_in_every_combination() {
    let (app, mut till) = store_with_terminal().await;
    // Sales: one kept, one reversed (refunded in full), one declined and reversed.
    let kept = till.purchase(Wallet::ApplePay, 10_000);
    assert_eq!(till.code(&kept).await, "00");
    let reversed = till.purchase(Wallet::SamsungPay, 5_000);
    assert_eq!(till.code(&reversed).await, "00");
    assert_eq!(till.reverse(&reversed).await, "00");
    till.atc = 0; // the phone replays a counter: 05
    let declined = till.purchase(Wallet::ApplePay, 700);
    assert_eq!(till.code(&declined).await, "05");
    assert_eq!(till.reverse(&declined).await, "00");
    till.atc = 50;
    // A sale reversed before it arrived is neither a sale nor a refund.
    let never = till.purchase(Wallet::ApplePay, 900);
    assert_eq!(till.reverse(&never).await, "00");
    // Refunds: one kept; one reversed after it went through (it stands: 21); one reversed
    // before it arrived (not made when it comes late).
    let r1 = till.refund(&kept, 3_000);
    assert_eq!(till.code(&r1).await, "00");
    let r2 = till.refund(&kept, 2_000);
    assert_eq!(till.code(&r2).await, "00");
    assert_eq!(till.reverse(&r2).await, pos::reversal::REFUND_STANDS);
    assert_eq!(
        till.reverse(&r2).await,
        pos::reversal::REFUND_STANDS,
        "a repeated reversal changes nothing"
    );
    let r3 = till.refund(&kept, 1_000);
    assert_eq!(till.reverse(&r3).await, "00");
    assert_ne!(
        till.code(&r3).await,
        "00",
        "a refund reversed first is not made"
    );

    let de48 = till.totals().await;
    assert_eq!(de48, totals((2, 15_000), (3, 10_000)));
    // The same numbers in the ledger and in the network's journal.
    assert!(app.ledger_problems().await.is_empty());
    assert_eq!(booked(&app, "charge").await, (2, 15_000));
    assert_eq!(booked(&app, "refund").await, (3, 10_000));
    let journal: Vec<Value> = paygate_sim_network::journal(&app.sim_dir())
        .unwrap()
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    assert_eq!(journaled(&journal, "authorization"), (2, 15_000));
    assert_eq!(journaled(&journal, "refund"), (3, 10_000));
    let (_, charge) = app.get("/v1/charges?limit=10").await;
    let kept_charge = charge["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["amount"] == 10_000)
        .unwrap()
        .clone();
    assert_eq!(kept_charge["amount_refunded"], 5_000, "{kept_charge}");
    reconcile_card_present(&app, &journal).await;
}

/// Every charge read at a terminal has its issuer's journal entry (by RRN) with the same read
/// method, wallet, DPAN (masked) and amount; every read the issuer journaled is a charge.
async fn reconcile_card_present(app: &TestApp, journal: &[Value]) {
    let reads: Vec<&Value> = journal
        .iter()
        .filter(|e| e["type"] == "authorization" && e["card_present"].is_object())
        .collect();
    let (_, charges) = app.get("/v1/charges?limit=20").await;
    let charges = charges["data"].as_array().unwrap();
    assert_eq!(reads.len(), charges.len(), "{reads:?} {charges:?}");
    for ch in charges {
        let cp = &ch["payment_method_details"]["card_present"];
        let rrn = &cp["network_transaction_id"];
        let entry = reads.iter().find(|e| e["rrn"] == *rrn);
        let Some(entry) = entry else {
            // A declined read has no RRN on the charge: match it by its decline code.
            assert_eq!(ch["status"], "failed", "{ch}");
            assert!(
                reads
                    .iter()
                    .any(|e| e["card_present"]["result"] == "declined"
                        && e["amount"] == ch["amount"])
            );
            continue;
        };
        let read = &entry["card_present"];
        assert_eq!(read["read_method"], cp["read_method"], "{entry} {ch}");
        assert_eq!(read["wallet"], cp["wallet"]["type"]);
        let pan = read["pan"].as_str().unwrap();
        assert!(pan.contains("******"), "masked: {pan}");
        assert_eq!(
            &pan[pan.len() - 4..],
            cp["wallet"]["dynamic_last4"].as_str().unwrap()
        );
        assert_eq!(entry["amount"], ch["amount"]);
        let approved = ch["status"] == "succeeded";
        assert_eq!(read["result"] == "approved", approved, "{entry}");
        assert!(read["atc"].as_u64().unwrap() > 0);
    }
}

/// One connection a terminal keeps open.
struct Conn {
    read: paygate_sim_kit::frame::FrameReader<tokio::net::tcp::OwnedReadHalf>,
    write: tokio::net::tcp::OwnedWriteHalf,
}

impl Conn {
    async fn open(host: &str) -> Conn {
        let (read, write) = tokio::net::TcpStream::connect(host)
            .await
            .unwrap()
            .into_split();
        Conn {
            read: paygate_sim_kit::frame::FrameReader::new(read),
            write,
        }
    }

    async fn send(&mut self, msg: &Message) {
        use tokio::io::AsyncWriteExt;
        let spec = paygate_iso8583::Profile::Ascii.spec();
        let wire = paygate_iso8583::encode(msg, spec).unwrap();
        let mut out = bytes::BytesMut::new();
        paygate_sim_kit::frame::encode_into(&wire, &mut out).unwrap();
        self.write.write_all(&out).await.unwrap();
    }

    async fn answer(&mut self) -> Message {
        let spec = paygate_iso8583::Profile::Ascii.spec();
        let body = tokio::time::timeout(ANSWER_WAIT, self.read.read_frame())
            .await
            .expect("an answer")
            .unwrap()
            .unwrap();
        paygate_iso8583::decode(&body, spec).unwrap()
    }
}
