//! Envelope encryption: round trips, record binding, tampering, rotation, fingerprints.

use paygate_vault::{
    CardData, Expiry, KeyRing, Pan, SealedCard, Secret, Vault, VaultError, generate_key_b64,
};

fn card(number: &str) -> CardData {
    CardData {
        pan: Pan::parse(number).unwrap(),
        expiry: Expiry::new(4, 2031).unwrap(),
    }
}

fn ring(active: &str, keys: &[(&str, &str)]) -> KeyRing {
    let keys: Vec<(String, String)> = keys
        .iter()
        .map(|(id, k)| ((*id).to_owned(), (*k).to_owned()))
        .collect();
    KeyRing::from_config(active, &keys).unwrap()
}

fn fp_key(byte: u8) -> Secret<Vec<u8>> {
    Secret::new(vec![byte; 32])
}

fn vault_with_one_key() -> Vault {
    Vault::new(ring("k1", &[("k1", &generate_key_b64())]), fp_key(7))
}

#[test]
fn seal_then_open_returns_the_same_card() {
    let vault = vault_with_one_key();
    let c = card("4242424242424242");
    let sealed = vault.seal("card_1", &c).unwrap();
    assert_eq!(sealed.kek_id, "k1");
    assert_eq!(sealed.wrapped_dek.len(), 12 + 32 + 16);
    assert_eq!(vault.open("card_1", &sealed).unwrap(), c);
}

#[test]
fn sealed_card_holds_no_plaintext_digits() {
    let vault = vault_with_one_key();
    let sealed = vault.seal("card_1", &card("4242424242424242")).unwrap();
    let json = serde_json::to_string(&sealed).unwrap();
    assert!(!json.contains("4242424242424242"));
    assert!(!sealed.ciphertext.windows(4).any(|w| w == b"4242"));
    assert_eq!(serde_json::from_str::<SealedCard>(&json).unwrap(), sealed);
}

#[test]
fn sealing_twice_gives_different_ciphertexts() {
    let vault = vault_with_one_key();
    let c = card("5555555555554444");
    let a = vault.seal("card_1", &c).unwrap();
    let b = vault.seal("card_1", &c).unwrap();
    assert_ne!(a.ciphertext, b.ciphertext);
    assert_ne!(a.wrapped_dek, b.wrapped_dek);
}

#[test]
fn opening_under_another_record_id_fails() {
    let vault = vault_with_one_key();
    let sealed = vault.seal("card_1", &card("4242424242424242")).unwrap();
    let err = vault.open("card_2", &sealed).unwrap_err();
    assert_eq!(
        err,
        VaultError::Decrypt {
            field: "wrapped_dek"
        }
    );
}

#[test]
fn a_card_ciphertext_moved_to_another_record_fails_even_with_that_records_dek() {
    // Record A keeps its own wrapped DEK but gets B's card ciphertext: the DEK opens, the
    // card ciphertext must not (wrong DEK and wrong associated data).
    let vault = vault_with_one_key();
    let a = vault.seal("card_a", &card("4242424242424242")).unwrap();
    let b = vault.seal("card_b", &card("5555555555554444")).unwrap();
    let mixed = SealedCard {
        ciphertext: b.ciphertext,
        ..a
    };
    let err = vault.open("card_a", &mixed).unwrap_err();
    assert_eq!(
        err,
        VaultError::Decrypt {
            field: "ciphertext"
        }
    );
}

#[test]
fn flipping_any_bit_of_any_byte_is_detected() {
    let vault = vault_with_one_key();
    let sealed = vault.seal("card_1", &card("378282246310005")).unwrap();
    for i in 0..sealed.wrapped_dek.len() {
        let mut t = sealed.clone();
        t.wrapped_dek[i] ^= 0x01;
        assert!(vault.open("card_1", &t).is_err(), "wrapped_dek byte {i}");
    }
    for i in 0..sealed.ciphertext.len() {
        let mut t = sealed.clone();
        t.ciphertext[i] ^= 0x80;
        assert!(vault.open("card_1", &t).is_err(), "ciphertext byte {i}");
    }
}

#[test]
fn truncated_or_empty_fields_are_malformed_not_panics() {
    let vault = vault_with_one_key();
    let sealed = vault.seal("card_1", &card("4242424242424242")).unwrap();
    let mut t = sealed.clone();
    t.wrapped_dek.pop();
    assert!(matches!(
        vault.open("card_1", &t),
        Err(VaultError::Malformed {
            field: "wrapped_dek",
            ..
        })
    ));
    for len in [0, 1, 27] {
        let mut t = sealed.clone();
        t.ciphertext.truncate(len);
        assert!(
            matches!(
                vault.open("card_1", &t),
                Err(VaultError::Malformed {
                    field: "ciphertext",
                    ..
                })
            ),
            "length {len}"
        );
    }
    let mut t = sealed.clone();
    t.ciphertext.truncate(28); // nonce + tag, no body: authenticates nothing
    assert_eq!(
        vault.open("card_1", &t).unwrap_err(),
        VaultError::Decrypt {
            field: "ciphertext"
        }
    );
    let mut t = sealed;
    t.ciphertext.resize(300, 0);
    assert!(matches!(
        vault.open("card_1", &t),
        Err(VaultError::Malformed {
            field: "ciphertext",
            ..
        })
    ));
}

#[test]
fn an_unknown_or_swapped_kek_id_fails() {
    let (k1, k2) = (generate_key_b64(), generate_key_b64());
    let vault = Vault::new(ring("k1", &[("k1", &k1), ("k2", &k2)]), fp_key(1));
    let sealed = vault.seal("card_1", &card("4242424242424242")).unwrap();
    let unknown = SealedCard {
        kek_id: "k9".into(),
        ..sealed.clone()
    };
    assert_eq!(
        vault.open("card_1", &unknown).unwrap_err(),
        VaultError::UnknownKek {
            kek_id: "k9".into()
        }
    );
    let swapped = SealedCard {
        kek_id: "k2".into(),
        ..sealed
    };
    assert_eq!(
        vault.open("card_1", &swapped).unwrap_err(),
        VaultError::Decrypt {
            field: "wrapped_dek"
        }
    );
}

#[test]
fn record_ids_must_be_1_to_128_bytes() {
    let vault = vault_with_one_key();
    let c = card("4242424242424242");
    assert_eq!(
        vault.seal("", &c).unwrap_err(),
        VaultError::RecordId { max_bytes: 128 }
    );
    assert!(vault.seal(&"r".repeat(129), &c).is_err());
    let sealed = vault.seal(&"r".repeat(128), &c).unwrap();
    assert_eq!(vault.open(&"r".repeat(128), &sealed).unwrap(), c);
}

#[test]
fn rewrap_moves_a_record_to_the_new_kek_so_the_old_one_can_be_removed() {
    let (old, new) = (generate_key_b64(), generate_key_b64());
    let before = Vault::new(ring("old", &[("old", &old)]), fp_key(3));
    let c = card("6011111111111117");
    let sealed = before.seal("card_9", &c).unwrap();

    let during = Vault::new(ring("new", &[("old", &old), ("new", &new)]), fp_key(3));
    assert_eq!(
        during.open("card_9", &sealed).unwrap(),
        c,
        "old records still open"
    );
    let rewrapped = during
        .rewrap("card_9", &sealed)
        .unwrap()
        .expect("needs rewrap");
    assert_eq!(rewrapped.kek_id, "new");
    assert_eq!(
        rewrapped.ciphertext, sealed.ciphertext,
        "card ciphertext untouched"
    );
    assert_ne!(rewrapped.wrapped_dek, sealed.wrapped_dek);
    assert_eq!(
        during.rewrap("card_9", &rewrapped).unwrap(),
        None,
        "already active"
    );

    let after = Vault::new(ring("new", &[("new", &new)]), fp_key(3));
    assert_eq!(after.open("card_9", &rewrapped).unwrap(), c);
    assert_eq!(
        after.open("card_9", &sealed).unwrap_err(),
        VaultError::UnknownKek {
            kek_id: "old".into()
        }
    );
}

#[test]
fn rewrap_refuses_a_damaged_record_or_the_wrong_record_id() {
    let (old, new) = (generate_key_b64(), generate_key_b64());
    let before = Vault::new(ring("old", &[("old", &old)]), fp_key(3));
    let sealed = before.seal("card_9", &card("6011111111111117")).unwrap();
    let during = Vault::new(ring("new", &[("old", &old), ("new", &new)]), fp_key(3));
    let mut damaged = sealed.clone();
    let last = damaged.ciphertext.len() - 1;
    damaged.ciphertext[last] ^= 1;
    assert_eq!(
        during.rewrap("card_9", &damaged).unwrap_err(),
        VaultError::Decrypt {
            field: "ciphertext"
        }
    );
    assert!(during.rewrap("card_8", &sealed).is_err());
}

#[test]
fn fingerprint_is_stable_keyed_and_alphanumeric() {
    let key = generate_key_b64();
    let a = Vault::new(ring("k", &[("k", &key)]), fp_key(1));
    let a_again = Vault::new(ring("k", &[("k", &generate_key_b64())]), fp_key(1));
    let b = Vault::new(ring("k", &[("k", &key)]), fp_key(2));
    let pan = Pan::parse("4242424242424242").unwrap();
    let spaced = Pan::parse("4242 4242 4242 4242").unwrap();
    let fp = a.fingerprint(&pan);
    assert_eq!(fp.len(), 16);
    assert!(fp.chars().all(|c| c.is_ascii_alphanumeric()), "{fp}");
    assert_eq!(fp, a.fingerprint(&spaced));
    assert_eq!(
        fp,
        a_again.fingerprint(&pan),
        "depends on the fingerprint key only"
    );
    assert_ne!(
        fp,
        b.fingerprint(&pan),
        "another key gives another fingerprint"
    );
    assert_ne!(fp, a.fingerprint(&Pan::parse("4111111111111111").unwrap()));
}

#[test]
fn fingerprint_matches_an_independent_hmac_sha256() {
    // Computed with Python's hmac/hashlib: HMAC-SHA256(key = 32 bytes of 0x01,
    // "4242424242424242") = 8984a966ab533ca04480dcf8843cef56..., whose first 16 bytes as a
    // big-endian integer, written as 16 base62 digits (0-9A-Za-z), are below.
    let vault = Vault::new(ring("k", &[("k", &generate_key_b64())]), fp_key(1));
    let fp = vault.fingerprint(&Pan::parse("4242424242424242").unwrap());
    assert_eq!(fp, "j4Y9DuUi1GECmPSg");
}

#[test]
fn check_passes_for_a_good_vault_and_names_a_short_fingerprint_key() {
    let v = Vault::new(
        ring(
            "a",
            &[("a", &generate_key_b64()), ("b", &generate_key_b64())],
        ),
        fp_key(9),
    );
    v.check().unwrap();
    let short = Vault::new(
        ring("a", &[("a", &generate_key_b64())]),
        Secret::new(vec![1; 16]),
    );
    assert_eq!(
        short.check().unwrap_err(),
        VaultError::FingerprintKey {
            min_bytes: 32,
            got_bytes: 16
        }
    );
}

#[test]
fn key_ring_configuration_errors_name_the_key_and_rule() {
    let good = generate_key_b64();
    let cfg = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).into(), (*b).into()))
            .collect()
    };
    assert_eq!(
        KeyRing::from_config("k", &[]).unwrap_err(),
        VaultError::NoKeys
    );
    assert_eq!(
        KeyRing::from_config("x", &cfg(&[("k", &good)])).unwrap_err(),
        VaultError::ActiveKekMissing { kek_id: "x".into() }
    );
    assert_eq!(
        KeyRing::from_config("k", &cfg(&[("k", &good), ("k", &good)])).unwrap_err(),
        VaultError::DuplicateKekId { kek_id: "k".into() }
    );
    let bad_cases: &[(&str, &str, &str)] = &[
        ("k", "not base64!", "key is not valid standard base64"),
        ("k", "AAAA", "key must decode to exactly 32 bytes"),
        (
            "a|b",
            &good,
            "id must be 1 to 64 characters of A-Z a-z 0-9 _ . -",
        ),
        (
            "",
            &good,
            "id must be 1 to 64 characters of A-Z a-z 0-9 _ . -",
        ),
    ];
    for &(id, key, reason) in bad_cases {
        let err = KeyRing::from_config(id, &cfg(&[(id, key)])).unwrap_err();
        assert_eq!(
            err,
            VaultError::KeyConfig {
                kek_id: id.into(),
                reason
            },
            "{id:?}"
        );
        assert!(!err.to_string().contains(&good), "{err}");
    }
    let many: Vec<(String, String)> = (0..33).map(|i| (format!("k{i}"), good.clone())).collect();
    assert_eq!(
        KeyRing::from_config("k0", &many).unwrap_err(),
        VaultError::TooManyKeys { max: 32, got: 33 }
    );
}

#[test]
fn key_ring_reports_ids_and_debug_never_shows_keys() {
    let (k1, k2) = (generate_key_b64(), generate_key_b64());
    let r = ring("k2", &[("k1", &k1), ("k2", &k2)]);
    assert_eq!(r.active_id(), "k2");
    assert_eq!(r.ids().collect::<Vec<_>>(), ["k1", "k2"]);
    assert!(r.contains("k1") && !r.contains("k3"));
    let vault = Vault::new(r, fp_key(5));
    let dbg = format!("{vault:?}");
    assert!(dbg.contains("k1") && dbg.contains("[REDACTED]"), "{dbg}");
    assert!(!dbg.contains(&k1) && !dbg.contains(&k2), "{dbg}");
    assert!(!dbg.contains("5, 5"), "fingerprint key bytes leaked: {dbg}");
}

#[test]
fn generated_keys_are_32_random_bytes_in_base64() {
    use base64::Engine as _;
    let a = generate_key_b64();
    let b = generate_key_b64();
    assert_ne!(a, b);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&a)
        .unwrap();
    assert_eq!(bytes.len(), 32);
}

#[test]
fn a_sealed_secret_opens_only_for_its_record_and_never_as_a_card() {
    let v = vault_with_one_key();
    let sealed = v.seal_secret("we_1", b"whsec_abc").unwrap();
    assert_eq!(
        v.open_secret("we_1", &sealed).unwrap().as_slice(),
        b"whsec_abc"
    );
    assert!(!sealed.ciphertext.windows(5).any(|w| w == b"whsec"));
    assert!(
        v.open_secret("we_2", &sealed).is_err(),
        "bound to its record"
    );
    assert!(v.open("we_1", &sealed).is_err(), "not a card");
    let card = v.seal("we_1", &card("4242424242424242")).unwrap();
    assert!(
        v.open_secret("we_1", &card).is_err(),
        "a card is not a secret"
    );
}
