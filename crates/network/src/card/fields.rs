//! Field-level conversions and checks of the request builders and response readers (the
//! simulator reads fields with its own parser, `paygate_sim_network::wire`).

use paygate_iso8583::{Enc, Message, Spec};

use super::{
    AuthRequest, CardAuthentication, CardError, NetRef, StoredCredential, StoredCredentialUsage,
    de, de48, invalid, pan,
};

/// Largest amount DE 4 (n12) can carry, in minor units.
pub const MAX_AMOUNT_MINOR: i64 = 999_999_999_999;
/// Width of DE 4 in digits.
const AMOUNT_DIGITS: usize = 12;
/// DE 4 of an account verification: zero.
pub(crate) const ZERO_AMOUNT: &str = "000000000000";
/// Width of an RRN (DE 37, and DE 48.47 naming the initial use of a stored credential).
const RRN_CHARS: usize = 12;
/// Width of DE 42 in characters (ans15, space-padded on the right).
const MERCHANT_ID_CHARS: usize = 15;
/// Width of DE 41 in characters (ans8).
pub(crate) const TERMINAL_ID_CHARS: usize = 8;
/// Longest DE 32 (n..11), in digits.
const MAX_ACQUIRER_ID_DIGITS: usize = 11;
/// Longest DE 35 (z..37), in characters.
const MAX_TRACK2_CHARS: usize = 37;
/// Longest base64 cryptogram accepted in DE 48 subelement 43, in characters.
const MAX_CAVV_B64_CHARS: usize = 64;
/// Length of a dsTransID (a UUID in text form) in DE 48 subelement 44, in characters.
const DS_TRANS_ID_CHARS: usize = 36;

/// DE 4 for `amount_minor`: 12 digits, zero-padded.
pub fn format_amount(amount_minor: i64) -> Result<String, CardError> {
    if !(1..=MAX_AMOUNT_MINOR).contains(&amount_minor) {
        return Err(invalid(
            "amount_minor",
            format!("must be in 1..={MAX_AMOUNT_MINOR}"),
        ));
    }
    Ok(format!("{amount_minor:0AMOUNT_DIGITS$}"))
}

/// DE 49 for a numeric currency: 3 digits, zero-padded.
pub fn format_currency(currency_numeric: u16) -> Result<String, CardError> {
    if !(1..=999).contains(&currency_numeric) {
        return Err(invalid("currency_numeric", "must be in 1..=999"));
    }
    Ok(format!("{currency_numeric:03}"))
}

/// Reads DE 4: exactly 12 decimal digits.
pub fn parse_amount(field: &[u8]) -> Option<i64> {
    if field.len() != AMOUNT_DIGITS {
        return None;
    }
    decimal(field).and_then(|v| i64::try_from(v).ok())
}

/// Reads DE 49: exactly 3 decimal digits, not 000.
pub fn parse_currency(field: &[u8]) -> Option<u16> {
    if field.len() != 3 {
        return None;
    }
    decimal(field)
        .and_then(|v| u16::try_from(v).ok())
        .filter(|&c| c > 0)
}

fn decimal(field: &[u8]) -> Option<u64> {
    field.iter().try_fold(0u64, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u64::from(b - b'0'))
    })
}

fn all_digits(value: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit())
}

/// DE 42: 1..=15 printable characters, space-padded to 15.
pub(crate) fn merchant_id(id: &str) -> Result<String, CardError> {
    let printable = id.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    if id.is_empty() || id.len() > MERCHANT_ID_CHARS || !printable {
        return Err(invalid(
            "merchant_id",
            format!("must be 1..={MERCHANT_ID_CHARS} printable ASCII characters"),
        ));
    }
    Ok(format!("{id:<MERCHANT_ID_CHARS$}"))
}

/// Checks the parts of a message name that travel in fixed-width fields.
pub(crate) fn check_net_ref(net: &NetRef) -> Result<(), CardError> {
    if !all_digits(&net.stan, 6..=6) {
        return Err(invalid("stan", "must be 6 digits"));
    }
    if !all_digits(&net.transmitted_at, 10..=10) {
        return Err(invalid("transmitted_at", "must be 10 digits MMDDhhmmss"));
    }
    let tid_ok = net.terminal_id.len() == TERMINAL_ID_CHARS
        && net.terminal_id.bytes().all(|b| b.is_ascii_graphic());
    if !tid_ok {
        return Err(invalid(
            "terminal_id",
            format!("must be {TERMINAL_ID_CHARS} printable ASCII characters without spaces"),
        ));
    }
    if !all_digits(&net.acquirer_id, 1..=MAX_ACQUIRER_ID_DIGITS) {
        return Err(invalid(
            "acquirer_id",
            format!("must be 1..={MAX_ACQUIRER_ID_DIGITS} digits"),
        ));
    }
    Ok(())
}

/// Sets the card fields of an authorization: DE 2, 14, 22, 35, 48 and 55.
pub(crate) fn put_card(
    msg: &mut Message,
    req: &AuthRequest<'_>,
    spec: &Spec,
) -> Result<(), CardError> {
    if !pan::well_formed(req.pan) {
        return Err(invalid("pan", "must be 12..=19 digits"));
    }
    if !all_digits(req.expiry_yymm, 4..=4) {
        return Err(invalid("expiry_yymm", "must be 4 digits YYMM"));
    }
    if !all_digits(req.pos_entry_mode, 3..=3) {
        return Err(invalid("pos_entry_mode", "must be 3 digits"));
    }
    msg.set_str(de::PAN, req.pan)
        .set_str(de::EXPIRY, req.expiry_yymm)
        .set_str(de::POS_ENTRY_MODE, req.pos_entry_mode);
    if let Some(de48) = additional_data(req)? {
        msg.set_str(de::ADDITIONAL_DATA, &de48);
    }
    if let Some(track2) = req.track2 {
        let ok = track2
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'=' || b == b'D');
        if track2.is_empty() || track2.len() > MAX_TRACK2_CHARS || !ok {
            return Err(invalid("track2", "must be 1..=37 of digits, '=' or 'D'"));
        }
        msg.set_str(de::TRACK2, track2);
    }
    if let Some(icc) = req.icc {
        msg.set(de::ICC, icc_field(icc, spec)?);
    }
    Ok(())
}

/// DE 48 subelements: CVC2 (92), then the authentication: ECI (42), CAVV (43), dsTransID (44),
/// the stored credential (46, 47), the instalments (50); `None` when there is none.
fn additional_data(req: &AuthRequest<'_>) -> Result<Option<String>, CardError> {
    let installments = req.installments.map(|n| format!("{n:02}"));
    let mut subs: Vec<(u8, &str)> = Vec::new();
    if let Some(cvc) = req.cvc {
        if !all_digits(cvc, 3..=4) {
            return Err(invalid("cvc", "must be 3 or 4 digits"));
        }
        subs.push((de48::TAG_CVC2, cvc));
    }
    if let Some(auth) = &req.authentication {
        push_authentication(&mut subs, auth)?;
    }
    if let Some(sc) = &req.stored_credential {
        push_stored_credential(&mut subs, sc)?;
    }
    if let (Some(n), Some(text)) = (req.installments, &installments) {
        if !(2..=12).contains(&n) {
            return Err(invalid("installments", "must be 2 to 12 months"));
        }
        subs.push((de48::TAG_INSTALLMENTS, text));
    }
    if subs.is_empty() {
        return Ok(None);
    }
    de48::encode(&subs)
        .map(Some)
        .map_err(|e| invalid("DE 48", e.to_string()))
}

/// Checks and appends DE 48.42, .43, .44 and (for a program other than 3-D Secure) .45.
fn push_authentication<'a>(
    subs: &mut Vec<(u8, &'a str)>,
    auth: &CardAuthentication<'a>,
) -> Result<(), CardError> {
    if !all_digits(auth.eci, 2..=2) {
        return Err(invalid("authentication.eci", "must be 2 digits"));
    }
    subs.push((de48::TAG_ECI, auth.eci));
    if let Some(cavv) = auth.cavv_b64 {
        let b64 = cavv
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'));
        if cavv.is_empty() || cavv.len() > MAX_CAVV_B64_CHARS || !b64 {
            return Err(invalid(
                "authentication.cavv_b64",
                format!("must be 1..={MAX_CAVV_B64_CHARS} base64 characters"),
            ));
        }
        subs.push((de48::TAG_CAVV, cavv));
    }
    if let Some(id) = auth.ds_trans_id {
        if !is_uuid_text(id) {
            return Err(invalid(
                "authentication.ds_trans_id",
                "must be a 36-character UUID (8-4-4-4-12 hex digits)",
            ));
        }
        subs.push((de48::TAG_DS_TRANS_ID, id));
    }
    if let Some(program) = auth.program.de48_value() {
        subs.push((de48::TAG_AUTH_PROGRAM, program));
    }
    Ok(())
}

/// Checks and appends DE 48.46 (the usage) and 48.47 (the initial use's RRN): a
/// merchant-initiated use must name its initial one, the initial use names none.
fn push_stored_credential<'a>(
    subs: &mut Vec<(u8, &'a str)>,
    sc: &StoredCredential<'a>,
) -> Result<(), CardError> {
    subs.push((de48::TAG_STORED_CREDENTIAL, sc.usage.de48_value()));
    match (sc.usage, sc.original_rrn) {
        (StoredCredentialUsage::Initial, None) => Ok(()),
        (StoredCredentialUsage::Initial, Some(_)) => Err(invalid(
            "stored_credential.original_rrn",
            "an initial use names no original",
        )),
        (_, Some(rrn))
            if rrn.len() == RRN_CHARS && rrn.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            subs.push((de48::TAG_ORIGINAL_RRN, rrn));
            Ok(())
        }
        (_, _) => Err(invalid(
            "stored_credential.original_rrn",
            "a merchant-initiated use names its initial use's RRN (12 alphanumeric characters)",
        )),
    }
}

/// Whether `s` is a UUID in its canonical text form: 8-4-4-4-12 hex digits.
fn is_uuid_text(s: &str) -> bool {
    s.len() == DS_TRANS_ID_CHARS
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// DE 55 of an answer as BER-TLV bytes: as the profile carries it (raw bytes, or upper-case
/// hex in the ASCII profile).
pub(crate) fn parse_icc(field: &[u8], spec: &Spec) -> Result<Vec<u8>, CardError> {
    let bad = || super::bad_response("DE 55", "must be BER-TLV (hex text in the ASCII profile)");
    let bytes = match spec.field(de::ICC).map(|f| f.data_enc) {
        Some(Enc::Binary) => field.to_vec(),
        _ => {
            let text = std::str::from_utf8(field).map_err(|_| bad())?;
            if text.len() % 2 != 0 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            (0..text.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| bad()))
                .collect::<Result<_, _>>()?
        }
    };
    paygate_iso8583::tlv::decode(&bytes).map_err(|_| bad())?;
    Ok(bytes)
}

/// DE 55 as it travels: raw bytes where the profile carries it in binary, else upper-case hex.
fn icc_field(icc: &[u8], spec: &Spec) -> Result<Vec<u8>, CardError> {
    let field = spec
        .field(de::ICC)
        .ok_or_else(|| invalid("icc", "the profile has no DE 55"))?;
    let value: Vec<u8> = match field.data_enc {
        Enc::Binary => icc.to_vec(),
        Enc::Ascii => icc
            .iter()
            .flat_map(|b| format!("{b:02X}").into_bytes())
            .collect(),
    };
    if value.is_empty() || value.len() > usize::from(field.max_len) {
        return Err(invalid(
            "icc",
            format!("must be 1..={} bytes on the wire", field.max_len),
        ));
    }
    Ok(value)
}
