//! Wallet tokens as merchants forward them: Apple Pay `paymentData` (JSON, CMS signature,
//! ECDH/RSA key agreement, AES-GCM) and Samsung Pay credentials (JSON wrapper, compact JWE,
//! RSA key wrap, AES-GCM). The keys are the public test vectors' (checked in beside the
//! wallet-tokens tests with their licences): fuzzing needs real keys so that mutated tokens
//! reach the decryption and the payload parser, not secret ones.

use paygate_wallet_tokens::apple::{self, ApplePayKey, TrustRoots};
use paygate_wallet_tokens::samsung::{self, SamsungPayKey};
use std::sync::OnceLock;

/// The gala vector's signing time: its certificates verify only then.
pub const GALA_SIGNED_AT: i64 = 1_630_522_986;

macro_rules! vector {
    ($path:literal) => {
        include_str!(concat!("../../wallet-tokens/tests/vectors/", $path))
    };
}

/// The seeds of both targets: (target, file name, bytes).
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = vec![
        (
            "apple_pay_token",
            "gala.json".into(),
            vector!("applepay_gala/token.json"),
        ),
        (
            "apple_pay_token",
            "halturin.json".into(),
            vector!("applepay_halturin/token.json"),
        ),
        (
            "apple_pay_token",
            "processout-ec.json".into(),
            vector!("applepay_processout_sigonly/token-ec.json"),
        ),
        (
            "apple_pay_token",
            "processout-rsa.json".into(),
            vector!("applepay_processout_sigonly/token-rsa.json"),
        ),
    ];
    let samsung: serde_json::Value =
        serde_json::from_str(vector!("samsungpay_jwe/vectors.json")).unwrap_or_default();
    let jwes = samsung.as_array().cloned().unwrap_or_default();
    let mut owned: Vec<(&'static str, String, Vec<u8>)> = out
        .drain(..)
        .map(|(t, n, s)| (t, n, s.as_bytes().to_vec()))
        .collect();
    for v in jwes {
        let (Some(name), Some(jwe)) = (v["name"].as_str(), v["jwe"].as_str()) else {
            continue;
        };
        owned.push((
            "samsung_pay_token",
            format!("{name}.jwe"),
            jwe.as_bytes().to_vec(),
        ));
        let wrapped = serde_json::json!({"type": "S", "version": "100", "3DS": {"type": "S", "version": "100", "data": jwe}});
        owned.push((
            "samsung_pay_token",
            format!("{name}-credential.json"),
            wrapped.to_string().into_bytes(),
        ));
    }
    owned
}

fn apple_key() -> &'static ApplePayKey {
    static KEY: OnceLock<ApplePayKey> = OnceLock::new();
    KEY.get_or_init(|| {
        ApplePayKey::from_pem(
            vector!("applepay_gala/certificate.pem"),
            vector!("applepay_gala/private_key.pem"),
        )
        .expect("the gala vector's key loads")
    })
}

fn samsung_key() -> &'static SamsungPayKey {
    static KEY: OnceLock<SamsungPayKey> = OnceLock::new();
    KEY.get_or_init(|| {
        SamsungPayKey::from_pem(vector!("samsungpay_jwe/private_key_pkcs8.pem"))
            .expect("the Samsung Pay vector's key loads")
    })
}

/// An accepted Apple Pay token carries a card number of digits and a month 1–12.
pub fn apple_pay_token(input: &[u8]) {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let keys = std::slice::from_ref(apple_key());
    if let Ok(t) = apple::open(text, keys, &TrustRoots::apple(), GALA_SIGNED_AT + 60) {
        assert!(
            !t.dpan.is_empty() && t.dpan.bytes().all(|b| b.is_ascii_digit()),
            "an accepted token's DPAN is not digits"
        );
        assert!((1..=12).contains(&t.exp_month), "month out of range");
    }
}

/// An accepted Samsung Pay token carries a card number of digits and a month 1–12. The
/// vectors' `utc` is old: the age check is given the vectors' own times.
pub fn samsung_pay_token(input: &[u8]) {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let keys = std::slice::from_ref(samsung_key());
    for now in [1_700_557_639, 1_700_480_649] {
        if let Ok(t) = samsung::open(text, keys, now) {
            assert!(
                !t.dpan.is_empty() && t.dpan.bytes().all(|b| b.is_ascii_digit()),
                "an accepted token's DPAN is not digits"
            );
            assert!((1..=12).contains(&t.exp_month), "month out of range");
        }
    }
}
