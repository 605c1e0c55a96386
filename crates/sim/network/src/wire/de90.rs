//! DE 90 (original data elements, n42) as the simulator reads it: original MTI (4), original
//! STAN (6), original DE 7 (10), acquiring institution id (11), forwarding institution id (11).

/// Width of DE 90 in digits.
pub const DE90_DIGITS: usize = 42;

/// The original message a reversal, capture or refund names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Original {
    /// Original MTI, e.g. "0100".
    pub mti: String,
    /// Original DE 11.
    pub stan: String,
    /// Original DE 7, MMDDhhmmss.
    pub transmitted_at: String,
    /// Acquiring institution id, 11 digits as sent.
    pub acquirer_id: String,
}

/// Reads DE 90: exactly 42 decimal digits; `None` otherwise.
pub fn parse(field: &[u8]) -> Option<Original> {
    if field.len() != DE90_DIGITS || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // All ASCII digits: every byte offset is a char boundary.
    let text = std::str::from_utf8(field).ok()?;
    Some(Original {
        mti: text[0..4].to_owned(),
        stan: text[4..10].to_owned(),
        transmitted_at: text[10..20].to_owned(),
        acquirer_id: text[20..31].to_owned(),
    })
}
