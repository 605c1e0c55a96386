//! The numbers and codes of the card network's wire as paygate uses them: data element
//! numbers, MTIs, processing codes and DE 39 response codes (re-exported from [`super`]).

/// Data element numbers used by paygate.
pub mod de {
    /// Primary account number, n..19.
    pub const PAN: u8 = 2;
    /// Processing code, n6.
    pub const PROCESSING_CODE: u8 = 3;
    /// Transaction amount in minor units, n12.
    pub const AMOUNT: u8 = 4;
    /// Transmission date-time MMDDhhmmss, n10.
    pub const TRANSMITTED_AT: u8 = 7;
    /// System trace audit number, n6.
    pub const STAN: u8 = 11;
    /// Local transaction time hhmmss, n6.
    pub const LOCAL_TIME: u8 = 12;
    /// Local transaction date MMDD, n4.
    pub const LOCAL_DATE: u8 = 13;
    /// Card expiry YYMM, n4.
    pub const EXPIRY: u8 = 14;
    /// POS entry mode, n3.
    pub const POS_ENTRY_MODE: u8 = 22;
    /// POS condition code, n2 (sent only on account verifications: [`super::POS_CONDITION_ACCOUNT_VERIFICATION`]).
    pub const POS_CONDITION: u8 = 25;
    /// Acquiring institution id, n..11.
    pub const ACQUIRER_ID: u8 = 32;
    /// Track 2 data, z..37.
    pub const TRACK2: u8 = 35;
    /// Retrieval reference number, an12.
    pub const RRN: u8 = 37;
    /// Authorization id response (approval code), an6.
    pub const APPROVAL_CODE: u8 = 38;
    /// Response code, an2.
    pub const RESPONSE_CODE: u8 = 39;
    /// Card acceptor terminal id, ans8.
    pub const TERMINAL_ID: u8 = 41;
    /// Card acceptor (merchant) id, ans15.
    pub const MERCHANT_ID: u8 = 42;
    /// Additional data, private: subelements (see [`super::de48`]), ans..999.
    pub const ADDITIONAL_DATA: u8 = 48;
    /// Transaction currency, ISO 4217 numeric, n3.
    pub const CURRENCY: u8 = 49;
    /// ICC (EMV) data, BER-TLV, b..999.
    pub const ICC: u8 = 55;
    /// Network management information code, n3.
    pub const NETWORK_MGMT_CODE: u8 = 70;
    /// Original data elements, n42 (see [`super::de90`]).
    pub const ORIGINAL_DATA: u8 = 90;
}

/// Message type indicators used by paygate (ISO 8583:1987).
pub mod mti {
    /// Authorization request (dual message: capture comes later).
    pub const AUTHORIZATION: &str = "0100";
    /// Financial request: a purchase (processing code 00) or a refund (20).
    pub const FINANCIAL: &str = "0200";
    /// Financial advice: paygate's capture (completion) of an earlier authorization.
    pub const COMPLETION_ADVICE: &str = "0220";
    /// Reversal request.
    pub const REVERSAL: &str = "0400";
    /// Network management request (echo test).
    pub const NETWORK_MANAGEMENT: &str = "0800";

    /// Financial request repeat: paygate's repeat of a refund (0200, processing code 20).
    pub const FINANCIAL_REPEAT: &str = "0201";
    /// Financial advice repeat: paygate's repeat of a capture (0220).
    pub const COMPLETION_ADVICE_REPEAT: &str = "0221";

    /// Whether `m` is 4 decimal digits.
    fn is_mti(m: &[u8]) -> bool {
        m.len() == 4 && m.iter().all(u8::is_ascii_digit)
    }

    /// The response MTI for a request or advice MTI: function digit 0 → 1, 2 → 3. A repeat
    /// (odd origin digit: 1 acquirer repeat, 3 issuer repeat, 5 other repeat) is answered like
    /// the message it repeats: 0221 → 0230, 0401 → 0410.
    pub fn response_to(request: &str) -> Option<String> {
        let b = request.as_bytes();
        if !is_mti(b) || !matches!(b[2], b'0' | b'2') {
            return None;
        }
        // ASCII digits are 0x30..=0x39: clearing bit 0 turns an odd digit into the even one
        // below it, i.e. drops the repeat flag.
        let out = [b[0], b[1], b[2] + 1, b[3] & !1];
        Some(String::from_utf8_lossy(&out).into_owned())
    }

    /// Whether `m` is a repeat MTI (odd origin digit), e.g. 0221 or 0401.
    pub fn is_repeat(m: &str) -> bool {
        is_mti(m.as_bytes()) && m.as_bytes()[3] % 2 == 1
    }

    /// The MTI a message is a repeat of (its own MTI when it is not a repeat): 0221 → 0220.
    /// Requests are named by this MTI, so a message and its repeats are one request.
    pub fn base(m: &str) -> String {
        if is_repeat(m) {
            let b = m.as_bytes();
            String::from_utf8_lossy(&[b[0], b[1], b[2], b[3] & !1]).into_owned()
        } else {
            m.to_owned()
        }
    }
}

/// Processing codes (DE 3): transaction type (2) + from account (2) + to account (2).
pub mod processing_code {
    /// Goods and services purchase.
    pub const PURCHASE: &str = "000000";
    /// Refund (credit to the card).
    pub const REFUND: &str = "200000";
}

/// DE 25 of an account verification: "51", request for account number verification without
/// authorization (Visa's code, used for every brand here), with DE 4 = 0.
pub const POS_CONDITION_ACCOUNT_VERIFICATION: &str = "51";

/// Network management information code (DE 70) of an echo test.
pub const NETWORK_CODE_ECHO: &str = "301";

/// Response codes (DE 39) the simulator answers; see `docs/iso8583.md` for the merchant mapping.
pub mod rc {
    /// Approved.
    pub const APPROVED: &str = "00";
    /// Do not honour.
    pub const DO_NOT_HONOUR: &str = "05";
    /// Invalid transaction (unknown, reversed or already captured original).
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
    /// Insufficient funds / over the open-to-buy.
    pub const INSUFFICIENT_FUNDS: &str = "51";
    /// Expired card.
    pub const EXPIRED_CARD: &str = "54";
    /// Issuer or switch inoperative.
    pub const ISSUER_UNAVAILABLE: &str = "91";
    /// System malfunction.
    pub const SYSTEM_MALFUNCTION: &str = "96";
    /// CVV2/CVC2 mismatch (Visa's code, used for every brand here).
    pub const CVC_MISMATCH: &str = "N7";
    /// Additional customer authentication required (Visa's soft decline "1A", used for every
    /// brand here): the issuer wants 3-D Secure, e.g. on a merchant-initiated charge of a card
    /// that always requires it.
    pub const AUTHENTICATION_REQUIRED: &str = "1A";
}
