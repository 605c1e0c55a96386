//! The public vectors (tests/vectors/*, each with its licence and ORIGIN.txt), run at their
//! signing time (the leaf certificates have long expired), and tampered variants of them.

use paygate_wallet_tokens::apple::{self, ApplePayKey, TrustRoots};
use paygate_wallet_tokens::samsung::{self, SamsungPayKey};
use paygate_wallet_tokens::{Wallet, WalletError};

const GALA_SIGNED_AT: i64 = 1_630_522_986; // 2021-09-01T19:03:06Z
const HALTURIN_SIGNED_AT: i64 = 1_414_439_503; // 2014-10-27T19:51:43Z
const PROCESSOUT_EC_SIGNED_AT: i64 = 1_485_974_706; // 2017-02-01T18:45:06Z
const PROCESSOUT_RSA_SIGNED_AT: i64 = 1_485_986_213; // 2017-02-01T21:56:53Z

fn vector(path: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/vectors/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn apple_key(dir: &str) -> ApplePayKey {
    ApplePayKey::from_pem(
        &vector(&format!("{dir}/certificate.pem")),
        &vector(&format!("{dir}/private_key.pem")),
    )
    .unwrap()
}

/// The token's JSON with `edit` applied to its parsed value.
fn edited(json: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    edit(&mut v);
    v.to_string()
}

#[test]
fn gala_mastercard_token_decrypts_at_its_signing_time() {
    let key = apple_key("applepay_gala");
    let t = apple::open(
        &vector("applepay_gala/token.json"),
        &[key],
        &TrustRoots::apple(),
        GALA_SIGNED_AT + 60,
    )
    .unwrap();
    assert_eq!(t.wallet, Wallet::ApplePay);
    assert_eq!(t.dpan, "5353756319181169");
    assert_eq!((t.exp_month, t.exp_year), (9, 2024));
    assert_eq!(t.cryptogram, "AMwBRjPWDnAgAA7Rls7mAoABFA==");
    assert_eq!(t.eci, None);
    assert_eq!(
        (t.amount_minor, t.currency.as_deref()),
        (Some(100), Some("840"))
    );
    assert_eq!(t.created_at, GALA_SIGNED_AT);
    assert_eq!(t.dynamic_last4(), "1169");
    let debug = format!("{t:?}");
    assert!(
        !debug.contains("5353756319181169") && !debug.contains("AMwBRjPW"),
        "{debug}"
    );
}

#[test]
fn halturin_visa_token_decrypts_with_its_eci_normalised() {
    let key = apple_key("applepay_halturin");
    let t = apple::open(
        &vector("applepay_halturin/token.json"),
        &[key],
        &TrustRoots::apple(),
        HALTURIN_SIGNED_AT,
    )
    .unwrap();
    assert_eq!(t.dpan, "4109370251004320");
    assert_eq!(t.eci.as_deref(), Some("05"));
    assert_eq!(t.cryptogram, "Af9x/QwAA/DjmU65oyc1MAABAAA=");
    assert_eq!((t.exp_month, t.exp_year), (7, 2020));
}

#[test]
fn a_key_is_chosen_by_its_public_key_hash_among_several() {
    let keys = [apple_key("applepay_halturin"), apple_key("applepay_gala")];
    let t = apple::open(
        &vector("applepay_gala/token.json"),
        &keys,
        &TrustRoots::apple(),
        GALA_SIGNED_AT,
    )
    .unwrap();
    assert_eq!(t.dpan, "5353756319181169");
    let err = apple::open(
        &vector("applepay_gala/token.json"),
        &keys[..1],
        &TrustRoots::apple(),
        GALA_SIGNED_AT,
    );
    assert_eq!(err.unwrap_err(), WalletError::UnknownKey);
}

#[test]
fn the_signing_time_must_be_within_five_minutes_and_the_chain_valid_now() {
    let key = apple_key("applepay_gala");
    let token = vector("applepay_gala/token.json");
    let roots = TrustRoots::apple();
    let late = apple::open(
        &token,
        std::slice::from_ref(&key),
        &roots,
        GALA_SIGNED_AT + 301,
    )
    .unwrap_err();
    assert_eq!(late.code(), "wallet_token_stale");
    let early = apple::open(
        &token,
        std::slice::from_ref(&key),
        &roots,
        GALA_SIGNED_AT - 301,
    )
    .unwrap_err();
    assert_eq!(early.code(), "wallet_token_stale");
    // Today the leaf certificate has expired: the chain is refused before freshness.
    let today = apple::open(&token, &[key], &roots, 1_790_000_000).unwrap_err();
    assert_eq!(today.code(), "wallet_token_untrusted_chain");
}

#[test]
fn tampered_tokens_are_refused_with_their_own_codes() {
    let key = apple_key("applepay_gala");
    let token = vector("applepay_gala/token.json");
    let open = |json: &str| {
        apple::open(
            json,
            std::slice::from_ref(&key),
            &TrustRoots::apple(),
            GALA_SIGNED_AT,
        )
        .unwrap_err()
    };
    // One byte of the ciphertext changed: the messageDigest no longer matches.
    let data = edited(&token, |v| {
        let d = v["data"].as_str().unwrap();
        let flipped = if d.starts_with('A') { "B" } else { "A" };
        v["data"] = format!("{flipped}{}", &d[1..]).into();
    });
    assert_eq!(open(&data), WalletError::InvalidSignature);
    // Another transaction id: signed over, so the signature fails too.
    let txid = edited(&token, |v| {
        v["header"]["transactionId"] = "00".repeat(32).into();
    });
    assert_eq!(open(&txid), WalletError::InvalidSignature);
    // Another key hash: the signature holds (not signed over) but no key matches.
    let hash = edited(&token, |v| {
        v["header"]["publicKeyHash"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into();
    });
    assert_eq!(open(&hash), WalletError::UnknownKey);
    let garbage = edited(&token, |v| v["signature"] = "MIAG".into());
    assert_eq!(open(&garbage).code(), "wallet_token_malformed");
    assert_eq!(
        open("{\"version\":\"EC_v1\"}").code(),
        "wallet_token_malformed"
    );
}

#[test]
fn a_chain_to_another_root_is_untrusted() {
    // The gala token against a root that did not issue Apple's intermediate (gala's merchant
    // certificate stands in for "some other root").
    let other = TrustRoots::from_pem(&vector("applepay_gala/certificate.pem")).unwrap();
    let err = apple::open(
        &vector("applepay_gala/token.json"),
        &[apple_key("applepay_gala")],
        &other,
        GALA_SIGNED_AT,
    )
    .unwrap_err();
    assert_eq!(err.code(), "wallet_token_untrusted_chain");
}

#[test]
fn processout_ec_and_rsa_signatures_verify_without_their_keys() {
    // No private keys are public for these: the signature and chain hold, then no key matches.
    for (file, at) in [
        ("token-ec.json", PROCESSOUT_EC_SIGNED_AT),
        ("token-rsa.json", PROCESSOUT_RSA_SIGNED_AT),
    ] {
        let token = vector(&format!("applepay_processout_sigonly/{file}"));
        let err = apple::open(&token, &[], &TrustRoots::apple(), at).unwrap_err();
        assert_eq!(err, WalletError::UnknownKey, "{file}");
        let stale = apple::open(&token, &[], &TrustRoots::apple(), at + 3_600).unwrap_err();
        assert_eq!(stale.code(), "wallet_token_stale", "{file}");
    }
}

#[derive(serde::Deserialize)]
struct SamsungVector {
    name: String,
    jwe: String,
    expected_plaintext: String,
}

fn samsung_vectors() -> (SamsungPayKey, Vec<SamsungVector>) {
    let key = SamsungPayKey::from_pem(&vector("samsungpay_jwe/private_key_pkcs8.pem")).unwrap();
    (
        key,
        serde_json::from_str(&vector("samsungpay_jwe/vectors.json")).unwrap(),
    )
}

#[test]
fn samsung_vectors_decrypt_with_an_empty_aad() {
    let (key, vectors) = samsung_vectors();
    assert_eq!(key.kid(), "BOtxf/GbQW9Lca7qnmZl4FcHFiE/AdZmYXWtx9j2KVk=");
    for v in vectors {
        let expected: serde_json::Value = serde_json::from_str(&v.expected_plaintext).unwrap();
        let utc_ms: i64 = expected["utc"].as_str().unwrap().parse().unwrap();
        // Bare JWE and the SDK's paymentCredential wrapper alike.
        let wrapped = serde_json::json!({"method": "3DS", "card_last4digits": "0312", "3DS": {"type": "S", "version": "100", "data": v.jwe}}).to_string();
        for input in [v.jwe.clone(), wrapped] {
            let t = samsung::open(&input, std::slice::from_ref(&key), utc_ms / 1000).unwrap();
            assert_eq!(t.wallet, Wallet::SamsungPay);
            assert_eq!(t.dpan, expected["tokenPAN"].as_str().unwrap(), "{}", v.name);
            assert_eq!(t.cryptogram, expected["cryptogram"].as_str().unwrap());
            assert_eq!(t.eci.as_deref(), Some("05"));
            assert_eq!(t.currency.as_deref(), Some("USD"));
            assert_eq!(t.amount_minor, Some(106_000));
            let exp = expected["tokenPanExpiration"].as_str().unwrap();
            assert_eq!(format!("{:02}{:02}", t.exp_month, t.exp_year % 100), exp);
        }
        let stale =
            samsung::open(&v.jwe, std::slice::from_ref(&key), utc_ms / 1000 + 301).unwrap_err();
        assert_eq!(stale.code(), "wallet_token_stale");
    }
}

#[test]
fn samsung_tampered_unknown_and_malformed_tokens_are_refused() {
    let (key, vectors) = samsung_vectors();
    let jwe = &vectors[0].jwe;
    let now = 1_700_557_639;
    let parts: Vec<&str> = jwe.split('.').collect();
    // A changed ciphertext fails the GCM tag.
    let mut ct = parts[3].to_owned();
    let flipped = if ct.starts_with('A') { "B" } else { "A" };
    ct.replace_range(..1, flipped);
    let tampered = [parts[0], parts[1], parts[2], &ct, parts[4]].join(".");
    let err = samsung::open(&tampered, std::slice::from_ref(&key), now).unwrap_err();
    assert_eq!(err.code(), "wallet_token_undecryptable");
    // A key with another kid.
    let other = SamsungPayKey::from_pem(&rsa_test_key()).unwrap();
    let err = samsung::open(jwe, &[other], now).unwrap_err();
    assert_eq!(err.code(), "wallet_token_unknown_key");
    assert_eq!(
        samsung::open("a.b.c", &[key], now).unwrap_err().code(),
        "wallet_token_malformed"
    );
}

/// A second RSA-2048 test key (made with `openssl genpkey` for these tests; no other use).
fn rsa_test_key() -> String {
    vector("other_rsa_key.pem")
}
