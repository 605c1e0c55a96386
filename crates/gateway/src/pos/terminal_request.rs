//! A terminal's request as the gateway reads it: who sent it (DE 41/42), its name (DE 11 +
//! DE 7, the idempotency key of the payment it starts), the money (DE 4/49) and, for a
//! purchase, the card read (DE 22 with DE 2/14/55 or DE 35).

use super::read::{CardPresentRead, Read};
use paygate_iso8583::{Message, tlv};
use paygate_ledger::Currency;
use paygate_vault::{Expiry, Pan, Secret};

/// The wallets by EMV Token Requestor ID (tag 9F19, n11).
pub const TOKEN_REQUESTORS: [(&str, &str); 2] =
    [("40010030273", "apple_pay"), ("40010043095", "samsung_pay")];

/// A field the request lacks or breaks: answered `30` (format error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatError(pub &'static str);

/// A required field of exactly `len` decimal digits.
pub fn digits<'m>(
    msg: &'m Message,
    de: u8,
    name: &'static str,
    len: usize,
) -> Result<&'m str, FormatError> {
    msg.get_str(de)
        .filter(|v| v.len() == len && v.bytes().all(|b| b.is_ascii_digit()))
        .ok_or(FormatError(name))
}

/// DE 4 and DE 49 as an amount in minor units and its currency.
pub fn money(msg: &Message) -> Result<(i64, Currency), FormatError> {
    let amount: i64 = digits(msg, 4, "DE 4", 12)?
        .parse()
        .map_err(|_| FormatError("DE 4"))?;
    if amount <= 0 {
        return Err(FormatError("DE 4"));
    }
    let numeric: u16 = digits(msg, 49, "DE 49", 3)?
        .parse()
        .map_err(|_| FormatError("DE 49"))?;
    let currency = Currency::from_numeric(numeric).ok_or(FormatError("DE 49"))?;
    Ok((amount, currency))
}

/// The card a purchase presents: PAN, expiry and the read.
pub struct PresentedCard {
    pub pan: Pan,
    pub expiry: Expiry,
    pub read: CardPresentRead,
}

impl std::fmt::Debug for PresentedCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PresentedCard")
            .field("pan", &self.pan)
            .finish_non_exhaustive()
    }
}

/// Reads the card of a purchase: DE 22 `071` (DE 2, 14, 55) or `901` (DE 35).
pub fn presented_card(msg: &Message) -> Result<PresentedCard, FormatError> {
    match msg.get_str(22) {
        Some("071") => chip(msg),
        Some("901") => track2(msg),
        _ => Err(FormatError("DE 22")),
    }
}

fn expiry(yymm: &str) -> Result<Expiry, FormatError> {
    let bad = FormatError("DE 14");
    let year: u16 = yymm.get(..2).and_then(|y| y.parse().ok()).ok_or(bad)?;
    let month: u8 = yymm.get(2..4).and_then(|m| m.parse().ok()).ok_or(bad)?;
    Expiry::new(i64::from(month), 2000 + i64::from(year)).map_err(|_| bad)
}

fn chip(msg: &Message) -> Result<PresentedCard, FormatError> {
    let pan = msg
        .get_str(2)
        .and_then(|p| Pan::parse(p).ok())
        .ok_or(FormatError("DE 2"))?;
    let expiry = expiry(digits(msg, 14, "DE 14", 4)?)?;
    let text = msg.get_str(55).ok_or(FormatError("DE 55"))?;
    let icc = hex::decode(text).map_err(|_| FormatError("DE 55"))?;
    let items = tlv::decode(&icc).map_err(|_| FormatError("DE 55"))?;
    if tlv::find(&items, &[0x9F, 0x26]).is_none() {
        return Err(FormatError("DE 55.9F26"));
    }
    let wallet = match tlv::find(&items, &[0x9F, 0x19]).map(|t| &t.value) {
        Some(tlv::Value::Primitive(id)) => {
            let id = hex::encode_upper(id);
            let id = id.trim_start_matches('0');
            let found = TOKEN_REQUESTORS.iter().find(|(t, _)| *t == id);
            Some(found.ok_or(FormatError("DE 55.9F19"))?.1)
        }
        _ => None,
    };
    let read = CardPresentRead {
        read: Read::ContactlessEmv(icc),
        wallet,
    };
    Ok(PresentedCard { pan, expiry, read })
}

fn track2(msg: &Message) -> Result<PresentedCard, FormatError> {
    let text = msg.get_str(35).ok_or(FormatError("DE 35"))?;
    let (pan, rest) = text.split_once('=').ok_or(FormatError("DE 35"))?;
    let pan = Pan::parse(pan).map_err(|_| FormatError("DE 35"))?;
    let expiry = expiry(rest.get(..4).ok_or(FormatError("DE 35"))?)?;
    // Samsung Pay is the wallet that emits a magnetic stripe image (MST).
    let read = CardPresentRead {
        read: Read::MagneticStripeTrack2(Secret::new(text.to_owned())),
        wallet: Some("samsung_pay"),
    };
    Ok(PresentedCard { pan, expiry, read })
}
