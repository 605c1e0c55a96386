//! Command-level tests against a real (temporary) journal database, without sockets.

use paygate_iso8583::Message;
use rusqlite::Connection;

use super::*;
use crate::store;

const LIMIT_MINOR: i64 = 10_000;
/// A simulator with no faults injected.
static NO_FAULTS: std::sync::LazyLock<std::sync::Arc<paygate_sim_kit::faults::Faults>> =
    std::sync::LazyLock::new(|| paygate_sim_kit::faults::Faults::new(crate::DECLINE_CODES));

pub(super) struct Db {
    _dir: tempfile::TempDir,
    conn: Connection,
    next_rrn: u64,
}

impl Db {
    pub(super) fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let conn =
            paygate_sim_kit::data_dir::open_writer(dir.path(), crate::JOURNAL_FILE, store::SCHEMA)
                .unwrap();
        Db {
            _dir: dir,
            conn,
            next_rrn: 1,
        }
    }

    pub(super) fn send(&mut self, msg: &Message) -> Option<Message> {
        let mut ctx = Ctx {
            db: &self.conn,
            cavv_key: None,
            faults: &NO_FAULTS,
            next_rrn: &mut self.next_rrn,
            open_to_buy_minor: LIMIT_MINOR,
            now_yymm: 2_606,
            now_ms: 0,
        };
        handle(&mut ctx, &Work::Message(msg.clone())).unwrap()
    }

    pub(super) fn code(&mut self, msg: &Message) -> String {
        let resp = self.send(msg).expect("an answer");
        resp.get_str(de::RESPONSE_CODE).unwrap().to_owned()
    }

    fn available(&self) -> i64 {
        store::available(&self.conn, "424242******4242", 410, LIMIT_MINOR).unwrap()
    }
}

fn auth(mti: &str, stan: &str, amount: i64) -> Message {
    let mut m = Message::new(mti).unwrap();
    m.set_str(de::PAN, "4242424242424242")
        .set_str(de::PROCESSING_CODE, "000000")
        .set_str(de::AMOUNT, &format!("{amount:012}"))
        .set_str(de::TRANSMITTED_AT, "0131235959")
        .set_str(de::STAN, stan)
        .set_str(de::EXPIRY, "3412")
        .set_str(de::TERMINAL_ID, "PGTEST01")
        .set_str(de::CURRENCY, "410");
    m
}

fn follow_up(mti: &str, stan: &str, orig: &Message, amount: i64, rrn: Option<&str>) -> Message {
    let orig_stan = orig.get_str(de::STAN).unwrap();
    let mut m = Message::new(mti).unwrap();
    m.set_str(
        de::PROCESSING_CODE,
        if mti::base(mti) == "0200" {
            "200000"
        } else {
            "000000"
        },
    )
    .set_str(de::AMOUNT, &format!("{amount:012}"))
    .set_str(de::TRANSMITTED_AT, "0131235959")
    .set_str(de::STAN, stan)
    .set_str(de::TERMINAL_ID, "PGTEST01")
    .set_str(de::CURRENCY, "410")
    .set_str(
        de::ORIGINAL_DATA,
        &format!("{}{orig_stan}0131235959{:0>22}", orig.mti(), 0),
    );
    if let Some(rrn) = rrn {
        m.set_str(de::RRN, rrn);
    }
    m
}

#[test]
fn an_approval_echoes_the_request_and_holds_the_amount() {
    let mut db = Db::new();
    let resp = db.send(&auth("0100", "000001", 2_500)).unwrap();
    assert_eq!(resp.mti(), "0110");
    assert_eq!(resp.get_str(de::RESPONSE_CODE), Some("00"));
    assert_eq!(resp.get_str(de::STAN), Some("000001"));
    assert_eq!(resp.get_str(de::AMOUNT), Some("000000002500"));
    assert_eq!(resp.get_str(de::RRN).map(str::len), Some(12));
    assert_eq!(resp.get_str(de::APPROVAL_CODE).map(str::len), Some(6));
    assert!(!resp.has(de::PAN), "the PAN is not echoed");
    assert_eq!(db.available(), LIMIT_MINOR - 2_500);
}

#[test]
fn a_retransmitted_request_gets_the_same_answer_and_changes_nothing() {
    let mut db = Db::new();
    let first = db.send(&auth("0100", "000001", 2_500)).unwrap();
    let again = db.send(&auth("0100", "000001", 2_500)).unwrap();
    assert_eq!(first, again);
    assert_eq!(db.available(), LIMIT_MINOR - 2_500);
}

#[test]
fn an_amount_above_the_open_to_buy_is_declined_51() {
    let mut db = Db::new();
    assert_eq!(db.code(&auth("0100", "000001", LIMIT_MINOR - 1)), "00");
    assert_eq!(db.code(&auth("0100", "000002", 2)), "51");
    assert_eq!(db.code(&auth("0100", "000003", 1)), "00");
    assert_eq!(db.available(), 0);
}

#[test]
fn capture_releases_the_rest_and_refunds_stop_at_the_captured_amount() {
    let mut db = Db::new();
    let orig = auth("0100", "000001", 5_000);
    let rrn = db.send(&orig).unwrap().get_str(de::RRN).unwrap().to_owned();
    let rrn = Some(rrn.as_str());
    assert_eq!(
        db.code(&follow_up("0220", "000002", &orig, 5_001, rrn)),
        "13"
    );
    assert_eq!(
        db.code(&follow_up(
            "0220",
            "000003",
            &orig,
            3_000,
            Some("999999999999")
        )),
        "12"
    );
    assert_eq!(
        db.code(&follow_up("0220", "000004", &orig, 3_000, rrn)),
        "00"
    );
    assert_eq!(db.available(), LIMIT_MINOR - 3_000);
    assert_eq!(
        db.code(&follow_up("0220", "000005", &orig, 1_000, rrn)),
        "12",
        "captured"
    );
    assert_eq!(
        db.code(&follow_up("0200", "000006", &orig, 2_000, rrn)),
        "00"
    );
    assert_eq!(
        db.code(&follow_up("0200", "000007", &orig, 1_001, rrn)),
        "13"
    );
    assert_eq!(
        db.code(&follow_up("0200", "000008", &orig, 1_000, rrn)),
        "00"
    );
    assert_eq!(db.available(), LIMIT_MINOR);
    assert_eq!(
        db.code(&follow_up("0400", "000009", &orig, 5_000, None)),
        "12"
    );
}

#[test]
fn reversals_are_idempotent_and_release_once() {
    let mut db = Db::new();
    let orig = auth("0100", "000001", 4_000);
    db.send(&orig);
    assert_eq!(
        db.code(&follow_up("0400", "000002", &orig, 4_000, None)),
        "00"
    );
    assert_eq!(db.available(), LIMIT_MINOR);
    assert_eq!(
        db.code(&follow_up("0400", "000003", &orig, 4_000, None)),
        "00"
    );
    assert_eq!(db.available(), LIMIT_MINOR);
    let rrn = None;
    assert_eq!(
        db.code(&follow_up("0220", "000004", &orig, 4_000, rrn)),
        "30",
        "no DE 37"
    );
}

#[test]
fn a_purchase_is_captured_at_once_and_can_be_reversed() {
    let mut db = Db::new();
    let orig = auth("0200", "000001", 4_000);
    assert_eq!(db.code(&orig), "00");
    assert_eq!(db.available(), LIMIT_MINOR - 4_000);
    assert_eq!(
        db.code(&follow_up("0401", "000002", &orig, 4_000, None)),
        "00"
    );
    assert_eq!(db.available(), LIMIT_MINOR);
}

#[test]
fn an_original_arriving_after_its_reversal_is_declined_without_a_hold() {
    let mut db = Db::new();
    let orig = auth("0100", "000001", 4_000);
    let rev = db
        .send(&follow_up("0400", "000002", &orig, 4_000, None))
        .unwrap();
    assert_eq!(rev.mti(), "0410");
    assert_eq!(rev.get_str(de::RESPONSE_CODE), Some("00"));
    assert_eq!(db.code(&orig), "12");
    assert_eq!(db.available(), LIMIT_MINOR);
}

#[test]
fn bad_fields_answer_30_and_unknown_requests_12() {
    let mut db = Db::new();
    let mut no_pan = auth("0100", "000001", 100);
    no_pan.remove(de::PAN);
    assert_eq!(db.code(&no_pan), "30");
    let mut bad_amount = auth("0100", "000002", 100);
    bad_amount.set_str(de::AMOUNT, "00000000001x");
    assert_eq!(db.code(&bad_amount), "30");
    let mut bad_de48 = auth("0100", "000003", 100);
    bad_de48.set_str(de::ADDITIONAL_DATA, "9205123");
    assert_eq!(db.code(&bad_de48), "30");
    let mut cash = auth("0200", "000004", 100);
    cash.set_str(de::PROCESSING_CODE, "010000");
    assert_eq!(db.code(&cash), "12");
    assert_eq!(
        db.send(&auth("0110", "000005", 100)),
        None,
        "a response is not answered"
    );
    let unsupported = db.send(&auth("0300", "000006", 100)).unwrap();
    assert_eq!(unsupported.mti(), "0310");
}

#[test]
fn a_malformed_frame_is_answered_30_from_its_mti_and_stan() {
    let mut db = Db::new();
    let mut ctx = Ctx {
        db: &db.conn,
        cavv_key: None,
        faults: &NO_FAULTS,
        next_rrn: &mut db.next_rrn,
        open_to_buy_minor: LIMIT_MINOR,
        now_yymm: 2_606,
        now_ms: 0,
    };
    let work = Work::Malformed {
        mti: "0100".into(),
        stan: "000123".into(),
    };
    let resp = handle(&mut ctx, &work).unwrap().unwrap();
    assert_eq!(resp.mti(), "0110");
    assert_eq!(resp.get_str(de::STAN), Some("000123"));
    assert_eq!(resp.get_str(de::RESPONSE_CODE), Some("30"));
}

/// Journal rows named (DE 41, DE 11, DE 7, MTI).
fn journal_rows(db: &Db, stan: &str, mti: &str) -> i64 {
    db.conn
        .query_row(
            "SELECT count(*) FROM journal WHERE terminal_id = 'PGTEST01' AND stan = ?1
             AND transmitted_at = '0131235959' AND mti = ?2",
            [stan, mti],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn a_repeat_of_a_capture_or_refund_gets_the_recorded_answer_and_changes_nothing() {
    let mut db = Db::new();
    let orig = auth("0100", "000001", 5_000);
    let rrn = db.send(&orig).unwrap().get_str(de::RRN).unwrap().to_owned();
    let rrn = Some(rrn.as_str());
    let capture = db
        .send(&follow_up("0220", "000002", &orig, 3_000, rrn))
        .unwrap();
    let mut repeat = follow_up("0221", "000002", &orig, 3_000, rrn);
    let answer = db.send(&repeat).unwrap();
    assert_eq!(
        answer.mti(),
        "0230",
        "a repeat is answered like its original"
    );
    assert_eq!(answer.get_str(de::RESPONSE_CODE), Some("00"));
    assert_eq!(
        answer.get_str(de::RRN),
        capture.get_str(de::RRN),
        "the recorded RRN"
    );
    // The network answers by name: a repeat is not re-decided, whatever it carries.
    repeat.set_str(de::AMOUNT, "000000004000");
    assert_eq!(db.code(&repeat), "00");
    assert_eq!(db.available(), LIMIT_MINOR - 3_000, "captured once");

    let refund = follow_up("0200", "000003", &orig, 1_000, rrn);
    assert_eq!(db.code(&refund), "00");
    let refund_repeat = follow_up("0201", "000003", &orig, 1_000, rrn);
    let answer = db.send(&refund_repeat).unwrap();
    assert_eq!(answer.mti(), "0210");
    assert_eq!(answer.get_str(de::RESPONSE_CODE), Some("00"));
    assert_eq!(db.code(&refund), "00", "a plain retransmission too");
    assert_eq!(db.available(), LIMIT_MINOR - 2_000, "refunded once");
    assert_eq!(journal_rows(&db, "000002", "0220"), 1);
    assert_eq!(journal_rows(&db, "000003", "0200"), 1);
    assert_eq!(
        journal_rows(&db, "000003", "0201"),
        0,
        "journaled under the base MTI"
    );
}

#[test]
fn a_repeat_of_a_refund_never_seen_is_processed_once_and_its_late_original_replays_it() {
    let mut db = Db::new();
    let orig = auth("0200", "000001", 4_000);
    let rrn = db.send(&orig).unwrap().get_str(de::RRN).unwrap().to_owned();
    let rrn = Some(rrn.as_str());
    let repeat = follow_up("0201", "000002", &orig, 1_500, rrn);
    assert_eq!(db.code(&repeat), "00");
    assert_eq!(db.available(), LIMIT_MINOR - 2_500);
    assert_eq!(db.code(&repeat), "00");
    let late_original = follow_up("0200", "000002", &orig, 1_500, rrn);
    assert_eq!(db.code(&late_original), "00");
    assert_eq!(db.available(), LIMIT_MINOR - 2_500, "refunded once");
    assert_eq!(journal_rows(&db, "000002", "0200"), 1);
}
