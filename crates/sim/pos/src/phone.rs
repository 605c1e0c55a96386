//! The phone in front of the terminal: its device token (DPAN), the application transaction
//! counter it increments per payment, and the cryptogram it computes with its card key (the
//! test issuer master key: the simulator plays the phone's secure element too).

use paygate_emv::{ArqcData, DoubleKey, MstTrack2};
use paygate_iso8583::tlv::{self, Tlv};

/// The test IMK-AC (also IMK-CVC3) shared with the network simulator's issuer.
pub const TEST_IMK: &str = "0123456789ABCDEFFEDCBA9876543210";

/// Which wallet the phone runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Wallet {
    /// NFC: contactless EMV (DE 22 071, DE 55).
    #[value(name = "apple_pay")]
    ApplePay,
    /// MST: a magnetic stripe image (DE 22 901, DE 35).
    #[value(name = "samsung_pay")]
    SamsungPay,
}

impl Wallet {
    /// EMV Token Requestor ID (9F19, n11).
    pub fn token_requestor_id(self) -> &'static str {
        match self {
            Wallet::ApplePay => "40010030273",
            Wallet::SamsungPay => "40010043095",
        }
    }
}

/// What the terminal knows about the transaction.
pub struct Transaction {
    pub amount_minor: i64,
    pub currency_numeric: u16,
    /// YYMMDD.
    pub date: [u8; 3],
    pub unpredictable_number: [u8; 4],
}

fn key() -> DoubleKey {
    DoubleKey::from_hex(TEST_IMK).expect("test key")
}

fn bcd(number: u64, bytes: usize) -> Vec<u8> {
    hex::decode(format!("{number:0width$}", width = bytes * 2)).expect("digits")
}

/// DE 55 of a contactless read: the CDOL1 data, the IAD, 5F34, 9F27 = 80, 9F19 and the ARQC
/// (9F26), as BER-TLV. `corrupt` flips a bit of the ARQC (a tampered read).
pub fn chip_data(pan: &str, atc: u16, tx: &Transaction, wallet: Wallet, corrupt: bool) -> Vec<u8> {
    let country = bcd(u64::from(tx.currency_numeric), 2);
    let mut items = vec![
        Tlv::primitive(vec![0x9F, 0x02], bcd(tx.amount_minor as u64, 6)),
        Tlv::primitive(vec![0x9F, 0x03], vec![0; 6]),
        Tlv::primitive(vec![0x9F, 0x1A], country.clone()),
        Tlv::primitive(vec![0x95], vec![0; 5]),
        Tlv::primitive(vec![0x5F, 0x2A], country),
        Tlv::primitive(vec![0x9A], tx.date.to_vec()),
        Tlv::primitive(vec![0x9C], vec![0x00]),
        Tlv::primitive(vec![0x9F, 0x37], tx.unpredictable_number.to_vec()),
        Tlv::primitive(vec![0x82], vec![0x18, 0x00]),
        Tlv::primitive(vec![0x9F, 0x36], atc.to_be_bytes().to_vec()),
        Tlv::primitive(
            vec![0x9F, 0x10],
            vec![0x06, 0x01, 0x12, 0x03, 0xA0, 0xB8, 0x00],
        ),
        Tlv::primitive(vec![0x5F, 0x34], vec![0x00]),
        Tlv::primitive(vec![0x9F, 0x27], vec![0x80]),
        Tlv::primitive(
            vec![0x9F, 0x19],
            bcd(wallet.token_requestor_id().parse().expect("n11"), 6),
        ),
    ];
    let lookup = items.clone();
    let data = ArqcData::from_tags(|tag| match tlv::find(&lookup, tag).map(|t| &t.value) {
        Some(tlv::Value::Primitive(v)) => Some(v.as_slice()),
        _ => None,
    })
    .expect("every CDOL1 tag is present");
    let sk = paygate_emv::visa_cvn18_session_key(&key(), pan, "00", atc).expect("digits");
    let mut arqc = paygate_emv::visa_cvn18_arqc(&sk, &data);
    if corrupt {
        arqc[7] ^= 0x01;
    }
    items.push(Tlv::primitive(vec![0x9F, 0x26], arqc.to_vec()));
    tlv::encode(&items)
}

/// The MST track 2: DPAN, expiry, service code 101, the ATC, the CVC3 over them and the UN.
pub fn mst_track2(pan: &str, expiry_yymm: &str, atc: u16, un: u16, corrupt: bool) -> String {
    let mut track = MstTrack2 {
        pan: pan.to_owned(),
        expiry_yymm: expiry_yymm.to_owned(),
        service_code: "101".to_owned(),
        atc,
        cvc3: 0,
        un: un % 1000,
    };
    let k = paygate_emv::icc_cvc3_key(&key(), pan, "00").expect("digits");
    track.cvc3 = paygate_emv::cvc3(&k, &track.template(), track.un_bytes(), atc);
    if corrupt {
        track.cvc3 ^= 0x01;
    }
    track.encode()
}

/// Whether the issuer's DE 55 (tag 91 = ARPC || CSU) authenticates the issuer to the card:
/// ARPC method 2 recomputed with the card's session key over the ARQC it sent.
pub fn arpc_valid(pan: &str, atc: u16, sent_icc: &[u8], answer_icc: &[u8]) -> bool {
    let primitive = |items: &[Tlv], tag: &[u8]| match tlv::find(items, tag).map(|t| &t.value) {
        Some(tlv::Value::Primitive(v)) => Some(v.clone()),
        _ => None,
    };
    let (Ok(sent), Ok(answer)) = (tlv::decode(sent_icc), tlv::decode(answer_icc)) else {
        return false;
    };
    let (Some(arqc), Some(iad)) = (primitive(&sent, &[0x9F, 0x26]), primitive(&answer, &[0x91]))
    else {
        return false;
    };
    let (Ok(arqc), true) = (<[u8; 8]>::try_from(arqc.as_slice()), iad.len() == 8) else {
        return false;
    };
    let Ok(sk) = paygate_emv::visa_cvn18_session_key(&key(), pan, "00", atc) else {
        return false;
    };
    let csu: [u8; 4] = iad[4..].try_into().expect("8 bytes");
    paygate_emv::arpc_method2(&sk, arqc, csu) == iad[..4]
}
