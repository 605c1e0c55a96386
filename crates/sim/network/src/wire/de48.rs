//! DE 48 (additional data, private use) as the simulator reads it: a run of subelements, each
//! a 2-digit tag, a 2-digit length and that many characters (`docs/iso8583.md`). Tags the
//! simulator knows: 92 CVC2, 42 ECI, 43 CAVV / cryptogram, 44 3-D Secure dsTransID (or the ISP
//! server's transaction id), 45 the authentication program ("isp"; absent = 3-D Secure), 46 the
//! stored-credential usage, 47 the RRN of its initial use and 50 the instalments (할부); others are skipped. The CVC is only checked for its form and never kept beyond the request.

/// Subelement tag of the CVC2.
pub const TAG_CVC2: u8 = 92;
/// Subelement tag of the electronic commerce indicator.
pub const TAG_ECI: u8 = 42;
/// Subelement tag of the CAVV / wallet cryptogram.
pub const TAG_CAVV: u8 = 43;
/// Subelement tag of the 3-D Secure Directory Server transaction id (the CAVV binds it).
pub const TAG_DS_TRANS_ID: u8 = 44;

/// Subelement tag of the authentication program when it is not 3-D Secure ("isp").
pub const TAG_AUTH_PROGRAM: u8 = 45;
/// Subelement tag of the stored-credential usage: "I" initial, "R" recurring, "U" unscheduled.
pub const TAG_STORED_CREDENTIAL: u8 = 46;
/// Subelement tag of the RRN (12 characters) of a stored credential's initial use.
pub const TAG_ORIGINAL_RRN: u8 = 47;

/// Subelement tag of 할부: the monthly instalments, 2 digits `02`..`12`.
pub const TAG_INSTALLMENTS: u8 = 50;

/// Subelement tag, in an answer, of the last 4 digits of the funding card behind a device token.
pub const TAG_FUNDING_LAST4: u8 = 33;

/// DE 48 of an answer to a device-token authorization: subelement 33 = the funding card's last 4
/// digits.
pub fn funding_last4(last4: &str) -> String {
    format!("{TAG_FUNDING_LAST4:02}{:02}{last4}", last4.len())
}

/// The subelements of one DE 48, borrowed from the field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdditionalData<'a> {
    /// Subelement 92: 3 or 4 digits.
    pub cvc2: Option<&'a str>,
    /// Subelement 42: 2 digits.
    pub eci: Option<&'a str>,
    /// Subelement 43: base64 text.
    pub cavv: Option<&'a str>,
    /// Subelement 44: a UUID in its 36-character 8-4-4-4-12 hex form.
    pub ds_trans_id: Option<&'a str>,
    /// Subelement 45: the authentication program, lowercase letters ("isp").
    pub program: Option<&'a str>,
    /// Subelement 46: the stored-credential usage, one of "I", "R", "U".
    pub stored_credential: Option<&'a str>,
    /// Subelement 47: the initial use's RRN, 12 alphanumeric characters.
    pub original_rrn: Option<&'a str>,
    /// Subelement 50: the monthly instalments, `02` to `12`.
    pub installments: Option<&'a str>,
}

/// What is wrong with a DE 48, named as the format-error field (`DE 48`, `DE 48.92`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} is malformed")]
pub struct De48Error {
    /// "DE 48" for the layout, "DE 48.<tag>" for one subelement's value.
    pub field: &'static str,
}

const LAYOUT: De48Error = De48Error { field: "DE 48" };

/// Reads DE 48; refuses a cut subelement, trailing bytes, a repeated known tag and known
/// subelements of the wrong form.
pub fn parse(field: &[u8]) -> Result<AdditionalData<'_>, De48Error> {
    let text = std::str::from_utf8(field).map_err(|_| LAYOUT)?;
    let mut out = AdditionalData::default();
    let mut rest = text;
    while !rest.is_empty() {
        let (tag, len) = match (rest.get(..2), rest.get(2..4)) {
            (Some(t), Some(l)) => (two_digits(t)?, usize::from(two_digits(l)?)),
            _ => return Err(LAYOUT),
        };
        let value = rest.get(4..4 + len).ok_or(LAYOUT)?;
        rest = &rest[4 + len..];
        let (slot, field, ok) = match tag {
            TAG_CVC2 => (&mut out.cvc2, "DE 48.92", digits(value, 3..=4)),
            TAG_ECI => (&mut out.eci, "DE 48.42", digits(value, 2..=2)),
            TAG_CAVV => (&mut out.cavv, "DE 48.43", base64ish(value)),
            TAG_DS_TRANS_ID => (&mut out.ds_trans_id, "DE 48.44", uuid(value)),
            TAG_AUTH_PROGRAM => (&mut out.program, "DE 48.45", program(value)),
            TAG_STORED_CREDENTIAL => (
                &mut out.stored_credential,
                "DE 48.46",
                matches!(value, "I" | "R" | "U"),
            ),
            TAG_ORIGINAL_RRN => (
                &mut out.original_rrn,
                "DE 48.47",
                value.len() == 12 && value.bytes().all(|b| b.is_ascii_alphanumeric()),
            ),
            TAG_INSTALLMENTS => (
                &mut out.installments,
                "DE 48.50",
                digits(value, 2..=2) && ("02"..="12").contains(&value),
            ),
            _ => continue,
        };
        if !ok || slot.replace(value).is_some() {
            return Err(De48Error { field });
        }
    }
    Ok(out)
}

fn two_digits(s: &str) -> Result<u8, De48Error> {
    match s.as_bytes() {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => Ok((a - b'0') * 10 + (b - b'0')),
        _ => Err(LAYOUT),
    }
}

fn digits(v: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit())
}

/// 36 characters: hex digits with hyphens at 8, 13, 18 and 23.
fn uuid(v: &str) -> bool {
    v.len() == 36
        && v.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// 1 to 8 lowercase letters (a program's name).
fn program(v: &str) -> bool {
    (1..=8).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_lowercase())
}

fn base64ish(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
}
