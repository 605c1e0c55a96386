//! The simulator's own reading of the card fields. It shares only the ISO 8583 codec
//! (`paygate_iso8583`, the wire format library) with the gateway, never the gateway's field
//! builders in `paygate_network::card`: a bug in one side's DE 4, DE 48 or DE 90 then fails
//! against the other side instead of passing every test. Everything here is written from the
//! layouts in `docs/iso8583.md`.

pub mod de48;
pub mod de90;
pub mod pan;

/// Data element numbers the simulator reads or answers.
pub mod de {
    /// Primary account number, n..19.
    pub const PAN: u8 = 2;
    /// Processing code, n6.
    pub const PROCESSING_CODE: u8 = 3;
    /// Amount, minor units, n12.
    pub const AMOUNT: u8 = 4;
    /// Transmission date-time MMDDhhmmss, n10.
    pub const TRANSMITTED_AT: u8 = 7;
    /// STAN, n6.
    pub const STAN: u8 = 11;
    /// Card expiry YYMM, n4.
    pub const EXPIRY: u8 = 14;
    /// POS entry mode, n3: "071" contactless chip, "901" MST track 2.
    pub const POS_ENTRY_MODE: u8 = 22;
    /// Track 2 data, z..37.
    pub const TRACK2: u8 = 35;
    /// ICC data (EMV BER-TLV as upper-case hex in the ASCII profile).
    pub const ICC_DATA: u8 = 55;
    /// POS condition code, n2: "51" marks an account verification (DE 4 = 0).
    pub const POS_CONDITION: u8 = 25;
    /// Retrieval reference number, an12.
    pub const RRN: u8 = 37;
    /// Approval code, an6.
    pub const APPROVAL_CODE: u8 = 38;
    /// Response code, an2.
    pub const RESPONSE_CODE: u8 = 39;
    /// Terminal id, ans8.
    pub const TERMINAL_ID: u8 = 41;
    /// Card acceptor (merchant) id, ans15, space-padded.
    pub const MERCHANT_ID: u8 = 42;
    /// Additional data (subelements), ans..999.
    pub const ADDITIONAL_DATA: u8 = 48;
    /// Currency, ISO 4217 numeric, n3.
    pub const CURRENCY: u8 = 49;
    /// Network management information code, n3.
    pub const NETWORK_MGMT_CODE: u8 = 70;
    /// Original data elements, n42.
    pub const ORIGINAL_DATA: u8 = 90;
}

/// Message type indicators (ISO 8583:1987) the simulator handles.
pub mod mti {
    /// Authorization request.
    pub const AUTHORIZATION: &str = "0100";
    /// Financial request (purchase, processing code 00; refund, 20).
    pub const FINANCIAL: &str = "0200";
    /// Financial advice (capture of an authorization).
    pub const COMPLETION_ADVICE: &str = "0220";
    /// Reversal request.
    pub const REVERSAL: &str = "0400";
    /// Network management request.
    pub const NETWORK_MANAGEMENT: &str = "0800";

    /// The four digits of an MTI, if `m` is one.
    fn digits(m: &str) -> Option<[u8; 4]> {
        let b: [u8; 4] = m.as_bytes().try_into().ok()?;
        b.iter().all(u8::is_ascii_digit).then_some(b)
    }

    /// The response MTI of a request or advice (function digit 0 → 1, 2 → 3); a repeat (odd
    /// origin digit) is answered like the message it repeats: 0221 → 0230.
    pub fn response_to(request: &str) -> Option<String> {
        let [v, class, function, origin] = digits(request)?;
        let function = match function {
            b'0' => b'1',
            b'2' => b'3',
            _ => return None,
        };
        let origin = origin - (origin - b'0') % 2;
        String::from_utf8(vec![v, class, function, origin]).ok()
    }

    /// The MTI a repeat repeats (0221 → 0220); any other MTI unchanged.
    pub fn base(m: &str) -> String {
        match digits(m) {
            Some([v, class, function, origin]) if (origin - b'0') % 2 == 1 => {
                String::from_utf8_lossy(&[v, class, function, origin - 1]).into_owned()
            }
            _ => m.to_owned(),
        }
    }
}

/// Response codes (DE 39) the simulator answers.
pub mod rc {
    /// Approved.
    pub const APPROVED: &str = "00";
    /// Do not honour.
    pub const DO_NOT_HONOUR: &str = "05";
    /// Invalid transaction.
    pub const INVALID_TRANSACTION: &str = "12";
    /// Invalid amount.
    pub const INVALID_AMOUNT: &str = "13";
    /// Invalid card number.
    pub const INVALID_CARD_NUMBER: &str = "14";
    /// Format error.
    pub const FORMAT_ERROR: &str = "30";
    /// Lost card.
    pub const LOST_CARD: &str = "41";
    /// Stolen card.
    pub const STOLEN_CARD: &str = "43";
    /// Insufficient funds.
    pub const INSUFFICIENT_FUNDS: &str = "51";
    /// Expired card.
    pub const EXPIRED_CARD: &str = "54";
    /// Issuer unavailable.
    pub const ISSUER_UNAVAILABLE: &str = "91";
    /// System malfunction.
    pub const SYSTEM_MALFUNCTION: &str = "96";
    /// CVC2 mismatch.
    pub const CVC_MISMATCH: &str = "N7";
    /// Additional customer authentication required (soft decline): the card needs 3-D Secure.
    pub const AUTHENTICATION_REQUIRED: &str = "1A";
}

/// `n` ASCII decimal digits as a number; `None` on any other byte or another width.
fn number(field: &[u8], width: usize) -> Option<u64> {
    if field.len() != width {
        return None;
    }
    field.iter().try_fold(0u64, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u64::from(b - b'0'))
    })
}

/// DE 4: exactly 12 digits, minor units.
pub fn amount(field: &[u8]) -> Option<i64> {
    number(field, 12).and_then(|v| i64::try_from(v).ok())
}

/// DE 49: exactly 3 digits, not 000.
pub fn currency(field: &[u8]) -> Option<u16> {
    number(field, 3)
        .and_then(|v| u16::try_from(v).ok())
        .filter(|&c| c != 0)
}

/// The card-expiry month (YYMM, UTC) at Unix second `unix_s` (the simulator's clock), compared
/// with DE 14.
pub fn yymm_at(unix_s: i64) -> u16 {
    let now = time::OffsetDateTime::from_unix_timestamp(unix_s)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let yy = u16::try_from(now.year().rem_euclid(100)).unwrap_or(0);
    yy * 100 + u16::from(u8::from(now.month()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_and_base_mtis() {
        assert_eq!(mti::response_to("0100").as_deref(), Some("0110"));
        assert_eq!(mti::response_to("0221").as_deref(), Some("0230"));
        assert_eq!(mti::response_to("0401").as_deref(), Some("0410"));
        assert_eq!(mti::response_to("0110"), None);
        assert_eq!(mti::response_to("01x0"), None);
        assert_eq!(mti::base("0221"), "0220");
        assert_eq!(mti::base("0200"), "0200");
    }

    #[test]
    fn amount_and_currency_are_fixed_width_digits() {
        assert_eq!(amount(b"000000012345"), Some(12_345));
        assert_eq!(amount(b"12345"), None);
        assert_eq!(amount(b"00000001234x"), None);
        assert_eq!(currency(b"410"), Some(410));
        assert_eq!(currency(b"000"), None);
        assert_eq!(currency(b"41"), None);
    }
}
