//! Card-present authorizations (DE 22 `071` contactless chip, `901` MST track 2): the issuer's
//! own reading of DE 55 and DE 35, the check of the ARQC (Visa CVN 18) or the CVC3, the
//! application transaction counter that must keep growing per card, and the ARPC (method 2)
//! returned in DE 55 tag 91.
//!
//! Every test card and test token shares the test issuer master key [`TEST_IMK_AC`] (for the
//! ARQC and the CVC3 alike); a real issuer has one per BIN range in an HSM.

use paygate_emv::{ArqcData, DoubleKey, MstTrack2};
use paygate_iso8583::{Message, tlv};

use crate::cmd::Reject;
use crate::wire::{de, rc};

/// The test IMK-AC (and IMK-CVC3) of every test card and token.
pub const TEST_IMK_AC: &str = "0123456789ABCDEFFEDCBA9876543210";
/// DE 39 for an ARQC or CVC3 that does not verify.
pub const CRYPTOGRAM_FAILED: &str = "82";

/// DE 22 of a contactless chip read (PIN capable).
pub const ENTRY_CONTACTLESS_CHIP: &str = "071";
/// DE 22 of a magnetic stripe image (MST), full track 2.
pub const ENTRY_MST_TRACK2: &str = "901";

/// The wallets by EMV Token Requestor ID (tag 9F19).
pub const TOKEN_REQUESTORS: [(&str, &str); 2] =
    [("40010030273", "apple_pay"), ("40010043095", "samsung_pay")];

/// How the card was read, with what the issuer checks.
pub(crate) enum CardPresent {
    Chip {
        psn: String,
        data: ArqcData,
        arqc: [u8; 8],
        wallet: Option<&'static str>,
    },
    Mst(MstTrack2),
}

/// The result of the cryptogram check.
pub(crate) struct Checked {
    /// `None` when it verifies, else the DE 39 that refuses it.
    pub refusal: Option<&'static str>,
    pub atc: u16,
    /// Tag 91 to return (ARPC || CSU) once the response code is known; chip only.
    pub session_key: Option<DoubleKey>,
}

impl CardPresent {
    /// Reads DE 22 and, for a card-present entry mode, DE 55 or DE 35. `None` for any other
    /// entry mode (a keyed card). Returns the PAN and expiry the authorization then uses.
    pub(crate) fn parse(msg: &Message) -> Result<Option<(CardPresent, String, String)>, Reject> {
        match msg.get_str(de::POS_ENTRY_MODE) {
            Some(ENTRY_CONTACTLESS_CHIP) => parse_chip(msg).map(Some),
            Some(ENTRY_MST_TRACK2) => parse_mst(msg).map(Some),
            _ => Ok(None),
        }
    }

    pub(crate) fn read_method(&self) -> &'static str {
        match self {
            CardPresent::Chip { .. } => "contactless_emv",
            CardPresent::Mst(_) => "magnetic_stripe_track2",
        }
    }

    /// The wallet: by 9F19 for a chip read; an MST image is Samsung Pay's (the only wallet
    /// that emits one).
    pub(crate) fn wallet(&self) -> Option<&'static str> {
        match self {
            CardPresent::Chip { wallet, .. } => *wallet,
            CardPresent::Mst(_) => Some("samsung_pay"),
        }
    }

    /// Verifies the ARQC or CVC3 under the test key; the caller then checks the ATC.
    pub(crate) fn check(&self, pan: &str) -> Checked {
        let imk = DoubleKey::from_hex(TEST_IMK_AC).expect("test key");
        match self {
            CardPresent::Chip {
                psn, data, arqc, ..
            } => {
                let Ok(sk) = paygate_emv::visa_cvn18_session_key(&imk, pan, psn, data.atc()) else {
                    return refused(CRYPTOGRAM_FAILED, data.atc());
                };
                if paygate_emv::visa_cvn18_arqc(&sk, data) != *arqc {
                    return refused(CRYPTOGRAM_FAILED, data.atc());
                }
                Checked {
                    refusal: None,
                    atc: data.atc(),
                    session_key: Some(sk),
                }
            }
            CardPresent::Mst(track) => {
                let Ok(key) = paygate_emv::icc_cvc3_key(&imk, pan, "00") else {
                    return refused(CRYPTOGRAM_FAILED, track.atc);
                };
                let expected =
                    paygate_emv::cvc3(&key, &track.template(), track.un_bytes(), track.atc);
                let refusal = (expected != track.cvc3).then_some(CRYPTOGRAM_FAILED);
                Checked {
                    refusal,
                    atc: track.atc,
                    session_key: None,
                }
            }
        }
    }
}

fn refused(code: &'static str, atc: u16) -> Checked {
    Checked {
        refusal: Some(code),
        atc,
        session_key: None,
    }
}

/// DE 55 tag 91 for the answer: ARPC method 2 over the ARQC with the CSU — byte 2 bit 8
/// ("issuer approves online") set when approved.
pub(crate) fn issuer_authentication_data(
    sk: &DoubleKey,
    present: &CardPresent,
    code: &str,
) -> Option<String> {
    let CardPresent::Chip { arqc, .. } = present else {
        return None;
    };
    let csu = if code == rc::APPROVED {
        [0x00, 0x80, 0x00, 0x00]
    } else {
        [0; 4]
    };
    let arpc = paygate_emv::arpc_method2(sk, *arqc, csu);
    let value = [arpc.as_slice(), csu.as_slice()].concat();
    let field = tlv::encode(&[tlv::Tlv::primitive(vec![0x91], value)]);
    Some(hex::encode_upper(field))
}

fn parse_chip(msg: &Message) -> Result<(CardPresent, String, String), Reject> {
    let format = |field| Reject::Format { field };
    let pan = msg
        .get_str(de::PAN)
        .filter(|p| crate::wire::pan::well_formed(p))
        .ok_or(format("DE 2"))?;
    let expiry = crate::cmd::digits(msg, de::EXPIRY, "DE 14", 4)?;
    let text = msg.get_str(de::ICC_DATA).ok_or(format("DE 55"))?;
    let bytes = hex::decode(text).map_err(|_| format("DE 55"))?;
    let items = tlv::decode(&bytes).map_err(|_| format("DE 55"))?;
    let value = |tag: &[u8]| match tlv::find(&items, tag).map(|t| &t.value) {
        Some(tlv::Value::Primitive(v)) => Some(v.as_slice()),
        _ => None,
    };
    let data = ArqcData::from_tags(value).map_err(|_| format("DE 55"))?;
    let arqc: [u8; 8] = value(&[0x9F, 0x26])
        .and_then(|v| v.try_into().ok())
        .ok_or(format("DE 55.9F26"))?;
    if value(&[0x9F, 0x27]) != Some(&[0x80][..]) {
        return Err(format("DE 55.9F27"));
    }
    let psn = match value(&[0x5F, 0x34]) {
        Some([b]) => format!("{b:02X}"),
        _ => return Err(format("DE 55.5F34")),
    };
    let wallet = match value(&[0x9F, 0x19]) {
        None => None,
        Some(id) => {
            let id = hex::encode_upper(id);
            // n11 in 6 bytes of BCD, right-justified: compare without the leading zeros.
            let id = id.trim_start_matches('0');
            let found = TOKEN_REQUESTORS.iter().find(|(t, _)| id == *t);
            Some(found.ok_or(format("DE 55.9F19"))?.1)
        }
    };
    let present = CardPresent::Chip {
        psn,
        data,
        arqc,
        wallet,
    };
    Ok((present, pan.to_owned(), expiry.to_owned()))
}

fn parse_mst(msg: &Message) -> Result<(CardPresent, String, String), Reject> {
    let text = msg
        .get_str(de::TRACK2)
        .ok_or(Reject::Format { field: "DE 35" })?;
    let track = MstTrack2::parse(text).map_err(|_| Reject::Format { field: "DE 35" })?;
    if msg.get_str(de::PAN).is_some_and(|p| p != track.pan) {
        return Err(Reject::Format { field: "DE 2" });
    }
    let (pan, expiry) = (track.pan.clone(), track.expiry_yymm.clone());
    Ok((CardPresent::Mst(track), pan, expiry))
}
