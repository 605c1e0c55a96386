//! Card-field rules: Luhn, brand ranges and lengths, expiry, CVC, error codes, masking.

use paygate_vault::{
    Brand, CardData, CardError, Cvc, Expiry, Pan, Secret, luhn_check, luhn_check_digit,
};

/// Stripe test cards and wallet DPANs from protocols.md §6.3 with the brand each must get.
const KNOWN_CARDS: &[(&str, Brand)] = &[
    ("4242424242424242", Brand::Visa),
    ("4012888888881881", Brand::Visa),
    ("4000056655665556", Brand::Visa),
    ("5555555555554444", Brand::Mastercard),
    ("5200828282828210", Brand::Mastercard),
    ("5105105105105100", Brand::Mastercard),
    ("378282246310005", Brand::Amex),
    ("371449635398431", Brand::Amex),
    ("6011111111111117", Brand::Discover),
    ("6011000990139424", Brand::Discover),
    ("30569309025904", Brand::Diners),
    ("38520000023237", Brand::Diners),
    ("3530111333300000", Brand::Jcb),
    ("3566002020360505", Brand::Jcb),
    ("4111111111111111", Brand::Visa),
    ("2223003122003222", Brand::Mastercard),
    ("3056930009020004", Brand::Diners),
    ("36227206271667", Brand::Diners),
    ("6200000000000005", Brand::UnionPay),
    // Stripe outcome cards.
    ("4000000000000002", Brand::Visa),
    ("4000000000009995", Brand::Visa),
    ("4000000000000069", Brand::Visa),
    ("4000000000000127", Brand::Visa),
    ("4000002760003184", Brand::Visa),
    ("4000000000000077", Brand::Visa),
    // Wallet DPANs from the vectors.
    ("5353756319181169", Brand::Mastercard),
    ("4109370251004320", Brand::Visa),
    ("4818528840010767", Brand::Visa),
    ("4558386640000312", Brand::Visa),
    ("5214150084269830", Brand::Mastercard),
];

/// `prefix`, padded with zeros to `len - 1` digits, plus the Luhn check digit.
fn card_with(prefix: &str, len: usize) -> String {
    let mut s = format!("{prefix:0<width$}", width = len - 1);
    let check = luhn_check_digit(&s).unwrap();
    s.push(char::from(b'0' + check));
    s
}

#[test]
fn every_stripe_test_card_and_wallet_dpan_parses_with_its_brand() {
    for &(number, brand) in KNOWN_CARDS {
        assert!(luhn_check(number), "{number} should pass Luhn");
        let pan = Pan::parse(number).unwrap_or_else(|e| panic!("{number}: {e}"));
        assert_eq!(pan.brand(), brand, "{number}");
        assert_eq!(pan.expose(), number);
    }
}

#[test]
fn a_wrong_check_digit_is_an_incorrect_number() {
    assert!(!luhn_check("4242424242424241"));
    let err = Pan::parse("4242424242424241").unwrap_err();
    assert_eq!(err, CardError::IncorrectNumber);
    assert_eq!(err.code(), "incorrect_number");
    assert_eq!(err.param(), "number");
}

#[test]
fn luhn_helpers_reject_empty_and_non_digit_input() {
    assert!(!luhn_check(""));
    assert!(!luhn_check("42424242424242a2"));
    assert_eq!(luhn_check_digit("424242424242424"), Some(2));
    assert_eq!(luhn_check_digit("4x"), None);
}

#[test]
fn brand_ranges_follow_the_spec_table_including_edges() {
    let table: &[(&str, usize, Brand)] = &[
        ("2220", 16, Brand::Unknown),
        ("2221", 16, Brand::Mastercard),
        ("2720", 16, Brand::Mastercard),
        ("2721", 16, Brand::Unknown),
        ("50", 16, Brand::Unknown), // Maestro has no brand of its own
        ("51", 16, Brand::Mastercard),
        ("55", 16, Brand::Mastercard),
        ("56", 16, Brand::Unknown),
        ("34", 15, Brand::Amex),
        ("37", 15, Brand::Amex),
        ("3527", 16, Brand::Unknown),
        ("3528", 16, Brand::Jcb),
        ("3589", 19, Brand::Jcb),
        ("3590", 16, Brand::Unknown),
        ("300", 14, Brand::Diners),
        ("305", 14, Brand::Diners),
        ("306", 14, Brand::Unknown),
        ("3094", 16, Brand::Unknown),
        ("3095", 16, Brand::Diners),
        ("36", 14, Brand::Diners),
        ("38", 16, Brand::Diners),
        ("39", 19, Brand::Diners),
        ("6011", 16, Brand::Discover),
        ("622125", 16, Brand::UnionPay),
        ("622126", 16, Brand::Discover),
        ("622925", 16, Brand::Discover),
        ("622926", 16, Brand::UnionPay),
        ("643", 16, Brand::Unknown),
        ("644", 16, Brand::Discover),
        ("649", 16, Brand::Discover),
        ("65", 16, Brand::Discover),
        ("62", 19, Brand::UnionPay),
        ("81", 16, Brand::UnionPay),
        ("4", 13, Brand::Visa),
        ("4", 19, Brand::Visa),
        ("9", 16, Brand::KoreanDomestic),
        ("1", 12, Brand::Unknown),
    ];
    for &(prefix, len, brand) in table {
        let number = card_with(prefix, len);
        let pan = Pan::parse(&number).unwrap_or_else(|e| panic!("{prefix}/{len}: {e}"));
        assert_eq!(pan.brand(), brand, "prefix {prefix}, length {len}");
        assert_eq!(Brand::detect(&number), brand);
    }
}

#[test]
fn a_length_that_does_not_fit_the_brand_is_an_invalid_number() {
    let table: &[(&str, usize, Brand, &str)] = &[
        ("37", 16, Brand::Amex, "15"),
        ("34", 14, Brand::Amex, "15"),
        ("4", 15, Brand::Visa, "13, 16 or 19"),
        ("51", 15, Brand::Mastercard, "16"),
        ("9", 15, Brand::KoreanDomestic, "16"),
        ("9", 19, Brand::KoreanDomestic, "16"),
        ("3528", 15, Brand::Jcb, "16 to 19"),
        ("36", 13, Brand::Diners, "14 to 19"),
        ("6011", 15, Brand::Discover, "16 to 19"),
        ("62", 15, Brand::UnionPay, "16 to 19"),
    ];
    for &(prefix, len, brand, expected) in table {
        let number = card_with(prefix, len);
        let err = Pan::parse(&number).unwrap_err();
        assert_eq!(
            err,
            CardError::BrandLength {
                brand,
                expected,
                digits: len
            },
            "prefix {prefix}, length {len}"
        );
        assert_eq!(err.code(), "invalid_number");
        let msg = err.to_string();
        assert!(
            msg.contains(expected) && msg.contains(brand.display_name()),
            "{msg}"
        );
        assert!(!msg.contains(&number), "{msg}");
    }
}

#[test]
fn spaces_and_dashes_are_stripped_and_nothing_else_is_accepted() {
    assert_eq!(
        Pan::parse("4242 4242 4242 4242").unwrap().expose(),
        "4242424242424242"
    );
    assert_eq!(
        Pan::parse("4242-4242-4242-4242").unwrap().expose(),
        "4242424242424242"
    );
    assert_eq!(
        Pan::parse(" 3782-822463-10005 ").unwrap().brand(),
        Brand::Amex
    );
    for bad in [
        "4242.4242.4242.4242",
        "4242\t4242424242424",
        "４２４２４２４２４２４２４２４２",
    ] {
        assert_eq!(
            Pan::parse(bad).unwrap_err(),
            CardError::NumberNotDigits,
            "{bad}"
        );
    }
}

#[test]
fn digit_counts_outside_12_to_19_and_overlong_input_are_invalid_numbers() {
    assert_eq!(
        Pan::parse("").unwrap_err(),
        CardError::NumberLength { digits: 0 }
    );
    let eleven = card_with("1", 11);
    assert_eq!(
        Pan::parse(&eleven).unwrap_err(),
        CardError::NumberLength { digits: 11 }
    );
    let twenty = card_with("1", 20);
    assert_eq!(
        Pan::parse(&twenty).unwrap_err(),
        CardError::NumberLength { digits: 20 }
    );
    let long = format!("4242424242424242{}", " ".repeat(60));
    let err = Pan::parse(&long).unwrap_err();
    assert_eq!(err, CardError::NumberInputTooLong { max_chars: 64 });
    assert_eq!(err.code(), "invalid_number");
}

#[test]
fn masked_shows_bin6_and_last4_only() {
    let visa = Pan::parse("4242424242424242").unwrap();
    assert_eq!(visa.masked(), "424242******4242");
    assert_eq!((visa.bin6(), visa.last4()), ("424242", "4242"));
    assert_eq!(
        Pan::parse("378282246310005").unwrap().masked(),
        "378282*****0005"
    );
    let twelve = card_with("1", 12);
    assert_eq!(
        Pan::parse(&twelve).unwrap().masked(),
        format!("{}**{}", &twelve[..6], &twelve[8..])
    );
}

#[test]
fn debug_and_display_never_contain_the_full_pan_or_cvc() {
    let pan = Pan::parse("4000056655665556").unwrap();
    let cvc = Cvc::parse("737", pan.brand()).unwrap();
    let card = CardData {
        pan: pan.clone(),
        expiry: Expiry::new(12, 2030).unwrap(),
    };
    let secret = Secret::new(String::from("4000056655665556"));
    let outputs = [
        format!("{pan:?}"),
        format!("{pan}"),
        format!("{cvc:?}"),
        format!("{card:?}"),
        format!("{card:#?}"),
        format!("{secret:?}"),
        format!("{secret}"),
    ];
    for out in &outputs {
        assert!(!out.contains("4000056655665556"), "{out}");
        assert!(!out.contains("737"), "{out}");
    }
    assert!(outputs[0].contains("400005******5556"), "{}", outputs[0]);
    assert!(outputs[3].contains("400005******5556"), "{}", outputs[3]);
}

#[test]
fn pans_compare_by_value() {
    let a = Pan::parse("4242 4242 4242 4242").unwrap();
    assert_eq!(a, Pan::parse("4242424242424242").unwrap());
    assert_ne!(a, Pan::parse("4111111111111111").unwrap());
    assert_ne!(a, Pan::parse(&card_with("424242424242", 13)).unwrap());
}

#[test]
fn expiry_accepts_two_and_four_digit_years() {
    let e = Expiry::new(12, 26).unwrap();
    assert_eq!((e.month, e.year), (12, 2026));
    assert_eq!(e.yymm(), "2612");
    assert_eq!(Expiry::new(1, 2030).unwrap().yymm(), "3001");
    assert_eq!(Expiry::new(3, 0).unwrap().year, 2000);
    assert_eq!(Expiry::new(3, 2099).unwrap().yymm(), "9903");
}

#[test]
fn expiry_rejects_bad_months_and_years_with_their_codes() {
    for month in [0, 13, -1, 256 + 1] {
        let err = Expiry::new(month, 2030).unwrap_err();
        assert_eq!(err, CardError::ExpiryMonth, "month {month}");
        assert_eq!(
            (err.code(), err.param()),
            ("invalid_expiry_month", "exp_month")
        );
    }
    for year in [100, 1999, 2100, -1, 65_536 + 26] {
        let err = Expiry::new(1, year).unwrap_err();
        assert_eq!(err, CardError::ExpiryYear, "year {year}");
        assert_eq!(
            (err.code(), err.param()),
            ("invalid_expiry_year", "exp_year")
        );
    }
}

#[test]
fn a_card_is_good_through_the_end_of_its_expiry_month() {
    let e = Expiry::new(6, 2026).unwrap();
    assert!(!e.is_expired_at(2026, 5));
    assert!(!e.is_expired_at(2026, 6));
    assert!(e.is_expired_at(2026, 7));
    assert!(e.is_expired_at(2027, 1));
    assert!(!e.is_expired_at(2025, 12));
}

#[test]
fn cvc_length_depends_on_the_brand() {
    assert_eq!(Cvc::parse("123", Brand::Visa).unwrap().expose(), "123");
    assert_eq!(Cvc::parse("1234", Brand::Amex).unwrap().expose(), "1234");
    assert!(Cvc::parse("123", Brand::Unknown).is_ok());
    assert!(Cvc::parse("1234", Brand::Unknown).is_ok());
    let cases: &[(&str, Brand, &str)] = &[
        ("1234", Brand::Visa, "3"),
        ("12", Brand::Mastercard, "3"),
        ("123", Brand::Amex, "4"),
        ("12a", Brand::Visa, "3"),
        ("", Brand::Jcb, "3"),
        ("12345", Brand::Unknown, "3 or 4"),
        ("１２３", Brand::Visa, "3"),
    ];
    for &(input, brand, expected) in cases {
        let err = Cvc::parse(input, brand).unwrap_err();
        assert_eq!(err, CardError::Cvc { expected }, "{input:?} for {brand}");
        assert_eq!((err.code(), err.param()), ("invalid_cvc", "cvc"));
    }
}

#[test]
fn every_number_error_maps_to_the_number_param() {
    let errors = [
        CardError::NumberNotDigits,
        CardError::NumberInputTooLong { max_chars: 64 },
        CardError::NumberLength { digits: 3 },
        CardError::IncorrectNumber,
    ];
    for err in errors {
        assert_eq!(err.param(), "number");
        assert!(err.to_string().starts_with("Your card number is"), "{err}");
    }
}

#[test]
fn brand_names_round_trip_through_as_str_and_serde() {
    let names: Vec<&str> = Brand::ALL.iter().map(|b| b.as_str()).collect();
    assert_eq!(
        names,
        [
            "visa",
            "mastercard",
            "amex",
            "jcb",
            "unionpay",
            "diners",
            "discover",
            "kr_domestic",
            "unknown"
        ]
    );
    for brand in Brand::ALL {
        assert_eq!(Brand::parse(brand.as_str()), Some(brand));
        let json = serde_json::to_string(&brand).unwrap();
        assert_eq!(json, format!("\"{}\"", brand.as_str()));
        assert_eq!(serde_json::from_str::<Brand>(&json).unwrap(), brand);
    }
    assert_eq!(Brand::parse("Visa"), None);
}
