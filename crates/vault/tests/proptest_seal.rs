//! Property tests: any valid PAN survives seal/open; no input makes parsing panic.

use paygate_vault::{
    CardData, Expiry, KeyRing, Pan, Secret, Vault, generate_key_b64, luhn_check_digit,
};
use proptest::prelude::*;

/// Random digit strings of 11..=18 digits completed with their Luhn digit, kept when they
/// also satisfy the brand-length rules (most do: unknown prefixes allow 12..=19).
fn valid_pan() -> impl Strategy<Value = Pan> {
    (11usize..=18)
        .prop_flat_map(|len| proptest::collection::vec(0u8..10, len))
        .prop_filter_map("brand length rule", |digits| {
            let mut s: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            let check = luhn_check_digit(&s)?;
            s.push(char::from(b'0' + check));
            Pan::parse(&s).ok()
        })
}

fn vault() -> Vault {
    let keys = vec![("k1".to_owned(), generate_key_b64())];
    Vault::new(
        KeyRing::from_config("k1", &keys).unwrap(),
        Secret::new(vec![0x42; 32]),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn seal_then_open_round_trips_any_valid_card(
        pan in valid_pan(),
        month in 1i64..=12,
        year in 2000i64..=2099,
        record in "[a-z_]{1,20}[0-9]{0,12}",
    ) {
        let v = vault();
        let card = CardData { pan, expiry: Expiry::new(month, year).unwrap() };
        let sealed = v.seal(&record, &card).unwrap();
        prop_assert_eq!(v.open(&record, &sealed).unwrap(), card.clone());
        let other = format!("{record}x");
        prop_assert!(v.open(&other, &sealed).is_err());
        let shown = format!("{card:?}");
        prop_assert!(!shown.contains(card.pan.expose()));
    }

    #[test]
    fn parsing_any_string_never_panics_and_valid_results_keep_the_digits(s in "\\PC{0,40}") {
        if let Ok(pan) = Pan::parse(&s) {
            let digits: String = s.chars().filter(char::is_ascii_digit).collect();
            prop_assert_eq!(pan.expose(), digits.as_str());
        }
    }
}
