//! Card-present authorizations at the command level: a contactless chip read whose ARQC
//! verifies gets an ARPC back, a bad ARQC is 82, a counter not above the last is 05; an MST
//! track 2 with a good CVC3 is approved once.

use paygate_emv::{ArqcData, DoubleKey, MstTrack2};
use paygate_iso8583::{Message, tlv};

use super::tests::Db;
use crate::card_present::TEST_IMK_AC;
use crate::wire::de;

const PAN: &str = "4242424242424242";

/// DE 55 as a terminal builds it, with the ARQC computed under the test key (or `tamper`ed).
fn chip_icc(amount: i64, atc: u16, tamper: bool) -> String {
    let amount_bcd = hex::decode(format!("{amount:012}")).unwrap();
    let mut items = vec![
        tlv::Tlv::primitive(vec![0x9F, 0x02], amount_bcd),
        tlv::Tlv::primitive(vec![0x9F, 0x03], vec![0; 6]),
        tlv::Tlv::primitive(vec![0x9F, 0x1A], vec![0x04, 0x10]),
        tlv::Tlv::primitive(vec![0x95], vec![0; 5]),
        tlv::Tlv::primitive(vec![0x5F, 0x2A], vec![0x04, 0x10]),
        tlv::Tlv::primitive(vec![0x9A], vec![0x26, 0x12, 0x02]),
        tlv::Tlv::primitive(vec![0x9C], vec![0x00]),
        tlv::Tlv::primitive(vec![0x9F, 0x37], vec![0x12, 0x34, 0x56, 0x78]),
        tlv::Tlv::primitive(vec![0x82], vec![0x18, 0x00]),
        tlv::Tlv::primitive(vec![0x9F, 0x36], atc.to_be_bytes().to_vec()),
        tlv::Tlv::primitive(vec![0x9F, 0x10], hex::decode("06011203A0B800").unwrap()),
        tlv::Tlv::primitive(vec![0x5F, 0x34], vec![0x00]),
        tlv::Tlv::primitive(vec![0x9F, 0x27], vec![0x80]),
        tlv::Tlv::primitive(vec![0x9F, 0x19], hex::decode("040010030273").unwrap()),
    ];
    let lookup_items = items.clone();
    let data = ArqcData::from_tags(
        |tag| match tlv::find(&lookup_items, tag).map(|t| &t.value) {
            Some(tlv::Value::Primitive(v)) => Some(v.as_slice()),
            _ => None,
        },
    )
    .unwrap();
    let imk = DoubleKey::from_hex(TEST_IMK_AC).unwrap();
    let sk = paygate_emv::visa_cvn18_session_key(&imk, PAN, "00", atc).unwrap();
    let mut arqc = paygate_emv::visa_cvn18_arqc(&sk, &data);
    if tamper {
        arqc[0] ^= 1;
    }
    items.push(tlv::Tlv::primitive(vec![0x9F, 0x26], arqc.to_vec()));
    hex::encode_upper(tlv::encode(&items))
}

fn purchase(stan: &str, entry: &str) -> Message {
    let mut m = Message::new("0200").unwrap();
    m.set_str(de::PROCESSING_CODE, "000000")
        .set_str(de::AMOUNT, "000000001000")
        .set_str(de::TRANSMITTED_AT, "1202101010")
        .set_str(de::STAN, stan)
        .set_str(de::POS_ENTRY_MODE, entry)
        .set_str(de::TERMINAL_ID, "PGPOS001")
        .set_str(de::CURRENCY, "410");
    m
}

fn chip(stan: &str, atc: u16, tamper: bool) -> Message {
    let mut m = purchase(stan, "071");
    m.set_str(de::PAN, PAN)
        .set_str(de::EXPIRY, "3412")
        .set_str(de::ICC_DATA, &chip_icc(1000, atc, tamper));
    m
}

fn mst(stan: &str, atc: u16, tamper: bool) -> Message {
    let imk = DoubleKey::from_hex(TEST_IMK_AC).unwrap();
    let mut track = MstTrack2 {
        pan: PAN.into(),
        expiry_yymm: "3412".into(),
        service_code: "101".into(),
        atc,
        cvc3: 0,
        un: 417,
    };
    let key = paygate_emv::icc_cvc3_key(&imk, PAN, "00").unwrap();
    track.cvc3 = paygate_emv::cvc3(&key, &track.template(), track.un_bytes(), atc);
    if tamper {
        track.cvc3 ^= 1;
    }
    let mut m = purchase(stan, "901");
    m.set_str(de::TRACK2, &track.encode());
    m
}

#[test]
fn a_verified_arqc_is_approved_with_an_arpc_the_card_can_check() {
    let mut db = Db::new();
    let resp = db.send(&chip("000001", 5, false)).unwrap();
    assert_eq!(resp.get_str(de::RESPONSE_CODE), Some("00"));
    let icc = hex::decode(resp.get_str(de::ICC_DATA).unwrap()).unwrap();
    let items = tlv::decode(&icc).unwrap();
    let Some(tlv::Value::Primitive(v)) = tlv::find(&items, &[0x91]).map(|t| &t.value) else {
        panic!("tag 91");
    };
    let imk = DoubleKey::from_hex(TEST_IMK_AC).unwrap();
    let sk = paygate_emv::visa_cvn18_session_key(&imk, PAN, "00", 5).unwrap();
    let sent = hex::decode(chip_icc(1000, 5, false)).unwrap();
    let sent = tlv::decode(&sent).unwrap();
    let Some(tlv::Value::Primitive(arqc)) = tlv::find(&sent, &[0x9F, 0x26]).map(|t| &t.value)
    else {
        panic!("9F26");
    };
    let arpc = paygate_emv::arpc_method2(&sk, arqc.as_slice().try_into().unwrap(), [0, 0x80, 0, 0]);
    assert_eq!(&v[..4], arpc.as_slice());
    assert_eq!(&v[4..], &[0, 0x80, 0, 0]);
}

#[test]
fn a_bad_arqc_is_82_and_a_counter_not_above_the_last_is_05() {
    let mut db = Db::new();
    assert_eq!(db.code(&chip("000001", 7, true)), "82");
    assert_eq!(db.code(&chip("000002", 7, false)), "00");
    assert_eq!(db.code(&chip("000003", 7, false)), "05", "replayed ATC");
    assert_eq!(db.code(&chip("000004", 6, false)), "05", "older ATC");
    assert_eq!(db.code(&chip("000005", 8, false)), "00");
    // A retransmission of an answered request is its recorded answer, not a replay.
    assert_eq!(db.code(&chip("000005", 8, false)), "00");
}

#[test]
fn mst_track2_with_a_good_cvc3_is_approved_once() {
    let mut db = Db::new();
    assert_eq!(db.code(&mst("000001", 3, true)), "82");
    let resp = db.send(&mst("000002", 3, false)).unwrap();
    assert_eq!(resp.get_str(de::RESPONSE_CODE), Some("00"));
    assert!(resp.get(de::ICC_DATA).is_none());
    assert_eq!(db.code(&mst("000003", 3, false)), "05", "replayed track");
}

#[test]
fn malformed_card_present_fields_are_format_errors() {
    let mut db = Db::new();
    let mut m = chip("000001", 1, false);
    m.set_str(de::ICC_DATA, "9F02");
    assert_eq!(db.code(&m), "30");
    let mut m = mst("000002", 1, false);
    m.set_str(de::TRACK2, "4242424242424242=3412");
    assert_eq!(db.code(&m), "30");
    let mut m = mst("000003", 1, false);
    m.set_str(de::PAN, "5555555555554444");
    assert_eq!(db.code(&m), "30");
}
