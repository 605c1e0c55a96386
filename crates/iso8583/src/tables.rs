//! The two field tables, transcribed from pyiso8583 4.0.1 `iso8583/specs.py`.
//!
//! `default` (our [`Profile::Binary`](crate::Profile::Binary)) is written out in full below.
//! `default_ascii` ([`Profile::Ascii`](crate::Profile::Ascii)) differs only in the eight
//! entries that `default` sends as raw bytes: there they become ASCII text of twice the length
//! (hex), so the ASCII table is derived from the binary one by [`ascii_fields`].
//! `tests/pyiso8583_crosscheck/` compares every entry of both tables with pyiso8583 itself.
//!
//! No header (`h`): `max_len` is 0 in both pyiso8583 specs.

use crate::spec::{Enc, FieldSpec, LenType, Spec};

const fn spec(len_type: LenType, max_len: u16, data_enc: Enc, desc: &'static str) -> FieldSpec {
    FieldSpec {
        len_type,
        max_len,
        data_enc,
        len_enc: Enc::Ascii,
        desc,
    }
}

/// Fixed-length ASCII field.
const fn fixed(max_len: u16, desc: &'static str) -> FieldSpec {
    spec(LenType::Fixed, max_len, Enc::Ascii, desc)
}

/// Fixed-length binary field.
const fn fixed_b(max_len: u16, desc: &'static str) -> FieldSpec {
    spec(LenType::Fixed, max_len, Enc::Binary, desc)
}

/// ASCII field with a 2-digit ASCII length prefix.
const fn ll(max_len: u16, desc: &'static str) -> FieldSpec {
    spec(LenType::LLVar, max_len, Enc::Ascii, desc)
}

/// ASCII field with a 3-digit ASCII length prefix.
const fn lll(max_len: u16, desc: &'static str) -> FieldSpec {
    spec(LenType::LLLVar, max_len, Enc::Ascii, desc)
}

/// Binary field with a 3-digit ASCII length prefix (DE 55 in `default`).
const fn lll_b(max_len: u16, desc: &'static str) -> FieldSpec {
    spec(LenType::LLLVar, max_len, Enc::Binary, desc)
}

const MTI: FieldSpec = fixed(4, "Message Type");

/// pyiso8583 `default`, DE 1..=128 (index `n - 1` is DE `n`).
const BINARY_FIELDS: [FieldSpec; 128] = [
    /*   1 */ fixed_b(8, "Bitmap, Secondary"),
    /*   2 */ ll(19, "Primary Account Number (PAN)"),
    /*   3 */ fixed(6, "Processing Code"),
    /*   4 */ fixed(12, "Amount, Transaction"),
    /*   5 */ fixed(12, "Amount, Settlement"),
    /*   6 */ fixed(12, "Amount, Cardholder Billing"),
    /*   7 */ fixed(10, "Transmission Date and Time"),
    /*   8 */ fixed(8, "Amount, Cardholder Billing Fee"),
    /*   9 */ fixed(8, "Conversion Rate, Settlement"),
    /*  10 */ fixed(8, "Conversion Rate, Cardholder Billing"),
    /*  11 */ fixed(6, "System Trace Audit Number"),
    /*  12 */ fixed(6, "Time, Local Transaction"),
    /*  13 */ fixed(4, "Date, Local Transaction"),
    /*  14 */ fixed(4, "Date, Expiration"),
    /*  15 */ fixed(4, "Date, Settlement"),
    /*  16 */ fixed(4, "Date, Conversion"),
    /*  17 */ fixed(4, "Date, Capture"),
    /*  18 */ fixed(4, "Merchant Type"),
    /*  19 */ fixed(3, "Acquiring Institution Country Code"),
    /*  20 */ fixed(3, "PAN Country Code"),
    /*  21 */ fixed(3, "Forwarding Institution Country Code"),
    /*  22 */ fixed(3, "Point-of-Service Entry Mode"),
    /*  23 */ fixed(3, "PAN Sequence Number"),
    /*  24 */ fixed(3, "Network International ID (NII)"),
    /*  25 */ fixed(2, "Point-of-Service Condition Code"),
    /*  26 */ fixed(2, "Point-of-Service Capture Code"),
    /*  27 */ fixed(1, "Authorizing ID Response Length"),
    /*  28 */ fixed(9, "Amount, Transaction Fee"),
    /*  29 */ fixed(9, "Amount, Settlement Fee"),
    /*  30 */ fixed(9, "Amount, Transaction Processing Fee"),
    /*  31 */ fixed(9, "Amount, Settlement Processing Fee"),
    /*  32 */ ll(11, "Acquiring Institution ID Code"),
    /*  33 */ ll(11, "Forwarding Institution ID Code"),
    /*  34 */ ll(28, "Primary Account Number, Extended"),
    /*  35 */ ll(37, "Track 2 Data"),
    /*  36 */ lll(104, "Track 3 Data"),
    /*  37 */ fixed(12, "Retrieval Reference Number"),
    /*  38 */ fixed(6, "Authorization ID Response"),
    /*  39 */ fixed(2, "Response Code"),
    /*  40 */ fixed(3, "Service Restriction Code"),
    /*  41 */ fixed(8, "Card Acceptor Terminal ID"),
    /*  42 */ fixed(15, "Card Acceptor ID Code"),
    /*  43 */ fixed(40, "Card Acceptor Name/Location"),
    /*  44 */ ll(25, "Additional Response Data"),
    /*  45 */ ll(76, "Track 1 Data"),
    /*  46 */ lll(999, "Additional Data - ISO"),
    /*  47 */ lll(999, "Additional Data - National"),
    /*  48 */ lll(999, "Additional Data - Private"),
    /*  49 */ fixed(3, "Currency Code, Transaction"),
    /*  50 */ fixed(3, "Currency Code, Settlement"),
    /*  51 */ fixed(3, "Currency Code, Cardholder Billing"),
    /*  52 */ fixed_b(8, "PIN"),
    /*  53 */ fixed(16, "Security-Related Control Information"),
    /*  54 */ lll(240, "Additional Amounts"),
    /*  55 */ lll_b(255, "ICC data"),
    /*  56 */ lll(999, "Reserved ISO"),
    /*  57 */ lll(999, "Reserved National"),
    /*  58 */ lll(999, "Reserved National"),
    /*  59 */ lll(999, "Reserved National"),
    /*  60 */ lll(999, "Reserved National"),
    /*  61 */ lll(999, "Reserved Private"),
    /*  62 */ lll(999, "Reserved Private"),
    /*  63 */ lll(999, "Reserved Private"),
    /*  64 */ fixed_b(8, "MAC"),
    /*  65 */ fixed_b(8, "Bitmap, Extended"),
    /*  66 */ fixed(1, "Settlement Code"),
    /*  67 */ fixed(2, "Extended Payment Code"),
    /*  68 */ fixed(3, "Receiving Institution Country Code"),
    /*  69 */ fixed(3, "Settlement Institution Country Code"),
    /*  70 */ fixed(3, "Network Management Information Code"),
    /*  71 */ fixed(4, "Message Number"),
    /*  72 */ fixed(4, "Message Number, Last"),
    /*  73 */ fixed(6, "Date, Action"),
    /*  74 */ fixed(10, "Credits, Number"),
    /*  75 */ fixed(10, "Credits, Reversal Number"),
    /*  76 */ fixed(10, "Debits, Number"),
    /*  77 */ fixed(10, "Debits, Reversal Number"),
    /*  78 */ fixed(10, "Transfer, Number"),
    /*  79 */ fixed(10, "Transfer, Reversal Number"),
    /*  80 */ fixed(10, "Inquiries, Number"),
    /*  81 */ fixed(10, "Authorizations, Number"),
    /*  82 */ fixed(12, "Credits, Processing Fee Amount"),
    /*  83 */ fixed(12, "Credits, Transaction Fee Amount"),
    /*  84 */ fixed(12, "Debits, Processing Fee Amount"),
    /*  85 */ fixed(12, "Debits, Transaction Fee Amount"),
    /*  86 */ fixed(16, "Credits, Amount"),
    /*  87 */ fixed(16, "Credits, Reversal Amount"),
    /*  88 */ fixed(16, "Debits, Amount"),
    /*  89 */ fixed(16, "Debits, Reversal Amount"),
    /*  90 */ fixed(42, "Original Data Elements"),
    /*  91 */ fixed(1, "File Update Code"),
    /*  92 */ fixed(2, "File Security Code"),
    /*  93 */ fixed(5, "Response Indicator"),
    /*  94 */ fixed(7, "Service Indicator"),
    /*  95 */ fixed(42, "Replacement Amounts"),
    /*  96 */ fixed_b(8, "Message Security Code"),
    /*  97 */ fixed(17, "Amount, Net Settlement"),
    /*  98 */ fixed(25, "Payee"),
    /*  99 */ ll(11, "Settlement Institution ID Code"),
    /* 100 */ ll(11, "Receiving Institution ID Code"),
    /* 101 */ ll(17, "File Name"),
    /* 102 */ ll(28, "Account ID 1"),
    /* 103 */ ll(28, "Account ID 2"),
    /* 104 */ lll(100, "Transaction Description"),
    /* 105 */ lll(999, "Reserved for ISO Use"),
    /* 106 */ lll(999, "Reserved for ISO Use"),
    /* 107 */ lll(999, "Reserved for ISO Use"),
    /* 108 */ lll(999, "Reserved for ISO Use"),
    /* 109 */ lll(999, "Reserved for ISO Use"),
    /* 110 */ lll(999, "Reserved for ISO Use"),
    /* 111 */ lll(999, "Reserved for ISO Use"),
    /* 112 */ lll(999, "Reserved for National Use"),
    /* 113 */ lll(999, "Reserved for National Use"),
    /* 114 */ lll(999, "Reserved for National Use"),
    /* 115 */ lll(999, "Reserved for National Use"),
    /* 116 */ lll(999, "Reserved for National Use"),
    /* 117 */ lll(999, "Reserved for National Use"),
    /* 118 */ lll(999, "Reserved for National Use"),
    /* 119 */ lll(999, "Reserved for National Use"),
    /* 120 */ lll(999, "Reserved for Private Use"),
    /* 121 */ lll(999, "Reserved for Private Use"),
    /* 122 */ lll(999, "Reserved for Private Use"),
    /* 123 */ lll(999, "Reserved for Private Use"),
    /* 124 */ lll(999, "Reserved for Private Use"),
    /* 125 */ lll(999, "Reserved for Private Use"),
    /* 126 */ lll(999, "Reserved for Private Use"),
    /* 127 */ lll(999, "Reserved for Private Use"),
    /* 128 */ fixed_b(8, "MAC"),
];

/// pyiso8583 `default_ascii`: the binary table with every raw-byte field turned into ASCII hex
/// text of twice the length.
const fn ascii_fields() -> [FieldSpec; 128] {
    let mut fields = BINARY_FIELDS;
    let mut i = 0;
    while i < fields.len() {
        let f = fields[i];
        if matches!(f.data_enc, Enc::Binary) {
            fields[i] = spec(f.len_type, f.max_len * 2, Enc::Ascii, f.desc);
        }
        i += 1;
    }
    fields
}

/// pyiso8583 `default`.
pub(crate) static BINARY: Spec = Spec {
    name: "binary",
    mti: MTI,
    primary_bitmap: fixed_b(8, "Bitmap, Primary"),
    fields: BINARY_FIELDS,
};

/// pyiso8583 `default_ascii`.
pub(crate) static ASCII: Spec = Spec {
    name: "ascii",
    mti: MTI,
    primary_bitmap: fixed(16, "Bitmap, Primary"),
    fields: ascii_fields(),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_table_differs_from_binary_only_in_the_raw_byte_fields() {
        let differing: Vec<u8> = (1..=128u8)
            .filter(|&de| ASCII.field(de) != BINARY.field(de))
            .collect();
        assert_eq!(differing, [1, 52, 55, 64, 65, 96, 128]);
        assert_eq!(ASCII.field(55).map(|f| f.max_len), Some(510));
        assert_eq!(
            ASCII.field(52).map(|f| (f.max_len, f.data_enc)),
            Some((16, Enc::Ascii))
        );
    }

    #[test]
    fn paygate_core_fields_have_the_iso_1987_formats() {
        let de = |n| BINARY.field(n).map(|f| (f.len_type, f.max_len, f.data_enc));
        assert_eq!(de(2), Some((LenType::LLVar, 19, Enc::Ascii)));
        assert_eq!(de(4), Some((LenType::Fixed, 12, Enc::Ascii)));
        assert_eq!(de(35), Some((LenType::LLVar, 37, Enc::Ascii)));
        assert_eq!(de(48), Some((LenType::LLLVar, 999, Enc::Ascii)));
        assert_eq!(de(52), Some((LenType::Fixed, 8, Enc::Binary)));
        assert_eq!(de(55), Some((LenType::LLLVar, 255, Enc::Binary)));
        assert_eq!(de(90), Some((LenType::Fixed, 42, Enc::Ascii)));
    }
}
