//! Envelope encryption of card data: a fresh data-encryption key (DEK) per record, wrapped
//! by a key-encrypting key (KEK) from configuration.
//!
//! Layout of a [`SealedCard`] (all AES-256-GCM, 96-bit random nonce, 128-bit tag):
//!
//! | field         | bytes                          | key  | associated data                      |
//! |---------------|--------------------------------|------|--------------------------------------|
//! | `ciphertext`  | nonce(12) ‖ ct(card) ‖ tag(16) | DEK  | `record_id`                          |
//! | `wrapped_dek` | nonce(12) ‖ ct(32) ‖ tag(16)   | KEK  | `"dek|" + record_id + "|" + kek_id`  |
//! | `kek_id`      | text                           | –    | –                                    |
//!
//! The associated data binds a ciphertext to its record: a sealed card copied onto another
//! record does not open. KEK ids may not contain `|`, so the wrapped-DEK associated data
//! splits unambiguously at its last `|`. What the card ciphertext holds is
//! [`crate::card_plaintext`].

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::aead::{aead_open, aead_seal, fill_random};
use crate::card::{Expiry, Pan};
use crate::card_plaintext::{CardData, decode_card, encode_card};
use crate::error::VaultError;
use crate::keyring::{Kek, KeyRing};
use crate::secret::Secret;

/// KEK and DEK length: AES-256.
pub const KEY_BYTES: usize = 32;
/// AES-GCM nonce length (96 bits, the size GCM is defined for).
pub const NONCE_BYTES: usize = 12;
/// AES-GCM tag length.
pub const TAG_BYTES: usize = 16;
/// Most KEKs a key ring may hold (rotation keeps a handful, never hundreds).
pub const KEKS_MAX: usize = 32;
/// Longest KEK id, in characters (`[A-Za-z0-9_.-]`).
pub const KEK_ID_CHARS_MAX: usize = 64;
/// Longest record id, in bytes.
pub const RECORD_ID_BYTES_MAX: usize = 128;
/// Shortest accepted fingerprint key (HMAC-SHA256 gains nothing beyond its block, but a
/// short key could be brute-forced together with the small PAN space).
pub const FINGERPRINT_KEY_BYTES_MIN: usize = 32;
/// Length of a card fingerprint, in base62 characters (≈ 95 bits).
pub const FINGERPRINT_CHARS: usize = 16;
/// Largest card ciphertext accepted by [`Vault::open`]; a v1 record is 52 bytes.
const CARD_CIPHERTEXT_BYTES_MAX: usize = 256;
/// Largest sealed private key (nonce + DER + tag): an RSA-4096 PKCS#8 key is about 2.4 KiB.
const PRIVATE_KEY_BYTES_MAX: usize = 8 * 1024;
const WRAPPED_DEK_BYTES: usize = NONCE_BYTES + KEY_BYTES + TAG_BYTES;
/// Record id used by [`Vault::check`].
const SELF_TEST_RECORD_ID: &str = "vault-self-test";

/// An encrypted card record, safe to store and log (it contains no plaintext).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SealedCard {
    /// Id of the KEK that wraps the DEK.
    pub kek_id: String,
    /// nonce ‖ AES-256-GCM(KEK, DEK) ‖ tag.
    pub wrapped_dek: Vec<u8>,
    /// nonce ‖ AES-256-GCM(DEK, card plaintext v1) ‖ tag.
    pub ciphertext: Vec<u8>,
}

/// The card-data vault: seals and opens card records, and computes keyed fingerprints.
/// It is the only code that turns ciphertext back into a [`Pan`].
pub struct Vault {
    ring: KeyRing,
    fingerprint_key: Secret<Vec<u8>>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("ring", &self.ring)
            .field("fingerprint_key", &self.fingerprint_key)
            .finish()
    }
}

impl Vault {
    /// Builds a vault. Nothing is checked here; call [`Vault::check`] at start-up.
    pub fn new(ring: KeyRing, fingerprint_key: Secret<Vec<u8>>) -> Vault {
        Vault {
            ring,
            fingerprint_key,
        }
    }

    /// The key ring (ids only are visible).
    pub fn key_ring(&self) -> &KeyRing {
        &self.ring
    }

    /// Encrypts `card` for the record `record_id` under a fresh DEK wrapped by the active
    /// KEK.
    pub fn seal(&self, record_id: &str, card: &CardData) -> Result<SealedCard, VaultError> {
        self.seal_with(self.ring.active(), record_id, card)
    }

    /// Decrypts a record. A wrong record id, an unknown KEK, any flipped byte or a
    /// malformed field gives an error, never a panic.
    pub fn open(&self, record_id: &str, sealed: &SealedCard) -> Result<CardData, VaultError> {
        check_record_id(record_id)?;
        let kek = self.kek_for(sealed)?;
        let dek = unwrap_dek(kek, record_id, &sealed.wrapped_dek)?;
        let plaintext = open_card_ciphertext(&dek, record_id, &sealed.ciphertext)?;
        decode_card(&plaintext)
    }

    /// Encrypts a short secret other than card data (a webhook signing secret) for the
    /// record `record_id`, in the same envelope as a card; its ciphertext's associated data is
    /// `"secret|" + record_id`, so a sealed secret never opens as a card or the reverse.
    pub fn seal_secret(&self, record_id: &str, secret: &[u8]) -> Result<SealedCard, VaultError> {
        self.seal_bytes(
            record_id,
            &secret_aad(record_id),
            secret,
            CARD_CIPHERTEXT_BYTES_MAX,
        )
    }

    /// Decrypts a secret sealed by [`Vault::seal_secret`] for the same record.
    pub fn open_secret(
        &self,
        record_id: &str,
        sealed: &SealedCard,
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        self.open_bytes(
            record_id,
            &secret_aad(record_id),
            sealed,
            CARD_CIPHERTEXT_BYTES_MAX,
        )
    }

    /// Encrypts a merchant's private key (DER, up to 8 KiB: a wallet processing key) for the
    /// record `record_id`; associated data `"private_key|" + record_id`, so it never opens as
    /// a card or another secret.
    pub fn seal_private_key(&self, record_id: &str, der: &[u8]) -> Result<SealedCard, VaultError> {
        self.seal_bytes(
            record_id,
            &private_key_aad(record_id),
            der,
            PRIVATE_KEY_BYTES_MAX,
        )
    }

    /// Decrypts a private key sealed by [`Vault::seal_private_key`] for the same record.
    pub fn open_private_key(
        &self,
        record_id: &str,
        sealed: &SealedCard,
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        self.open_bytes(
            record_id,
            &private_key_aad(record_id),
            sealed,
            PRIVATE_KEY_BYTES_MAX,
        )
    }

    fn seal_bytes(
        &self,
        record_id: &str,
        aad: &[u8],
        secret: &[u8],
        max: usize,
    ) -> Result<SealedCard, VaultError> {
        check_record_id(record_id)?;
        if secret.len() + NONCE_BYTES + TAG_BYTES > max {
            return Err(VaultError::Malformed {
                field: "secret",
                reason: "is too long",
            });
        }
        let kek = self.ring.active();
        let mut dek = Zeroizing::new([0u8; KEY_BYTES]);
        fill_random(dek.as_mut_slice())?;
        let ciphertext = aead_seal(&dek, aad, secret)?;
        let wrapped_dek = wrap_dek(kek, record_id, &dek)?;
        Ok(SealedCard {
            kek_id: kek.id.clone(),
            wrapped_dek,
            ciphertext,
        })
    }

    fn open_bytes(
        &self,
        record_id: &str,
        aad: &[u8],
        sealed: &SealedCard,
        max: usize,
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        check_record_id(record_id)?;
        let kek = self.kek_for(sealed)?;
        let dek = unwrap_dek(kek, record_id, &sealed.wrapped_dek)?;
        let ct = &sealed.ciphertext;
        if ct.len() < NONCE_BYTES + TAG_BYTES || ct.len() > max {
            return Err(VaultError::Malformed {
                field: "ciphertext",
                reason: "has the wrong length",
            });
        }
        aead_open(&dek, aad, ct).map_err(|()| VaultError::Decrypt {
            field: "ciphertext",
        })
    }

    /// Re-wraps the DEK under the active KEK, keeping the card ciphertext byte for byte.
    /// `None` if the record is already under the active KEK (nothing to do; not checked
    /// further). Otherwise the card ciphertext is authenticated with the unwrapped DEK
    /// before re-wrapping, so a damaged record is reported instead of being carried over.
    pub fn rewrap(
        &self,
        record_id: &str,
        sealed: &SealedCard,
    ) -> Result<Option<SealedCard>, VaultError> {
        check_record_id(record_id)?;
        let active = self.ring.active();
        if sealed.kek_id == active.id {
            return Ok(None);
        }
        let dek = unwrap_dek(self.kek_for(sealed)?, record_id, &sealed.wrapped_dek)?;
        open_card_ciphertext(&dek, record_id, &sealed.ciphertext)?;
        let wrapped_dek = wrap_dek(active, record_id, &dek)?;
        Ok(Some(SealedCard {
            kek_id: active.id.clone(),
            wrapped_dek,
            ciphertext: sealed.ciphertext.clone(),
        }))
    }

    /// Keyed card fingerprint: HMAC-SHA256(fingerprint key, PAN digits), its first 128 bits
    /// written as 16 base62 characters (`0-9A-Za-z`). Stable for one key, unrelated across
    /// keys, and useless for a brute force over the PAN space without the key.
    pub fn fingerprint(&self, pan: &Pan) -> String {
        let mut mac = self.fingerprint_mac();
        mac.update(pan.expose().as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut head = [0u8; 16];
        head.copy_from_slice(&digest[..16]);
        base62_16(u128::from_be_bytes(head))
    }

    /// HMAC-SHA256 under the fingerprint key, ready for its input.
    fn fingerprint_mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(self.fingerprint_key.expose_secret())
            .expect("HMAC accepts keys of any length")
    }

    /// Keyed hash of a secret that must be found again but never read back (a payer's phone
    /// number, a one-time code): HMAC-SHA256 under the fingerprint key over `purpose`, a NUL
    /// and `data`, hex. `purpose` separates the uses: one value hashed for two purposes gives
    /// unrelated results, and none equals a card fingerprint.
    pub fn keyed_hash(&self, purpose: &str, data: &[u8]) -> String {
        let mut mac = self.fingerprint_mac();
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Start-up self-test: the fingerprint key is long enough, and for every KEK a test
    /// card seals, opens to the same data, and does not open under another record id.
    pub fn check(&self) -> Result<(), VaultError> {
        let got_bytes = self.fingerprint_key.expose_secret().len();
        if got_bytes < FINGERPRINT_KEY_BYTES_MIN {
            return Err(VaultError::FingerprintKey {
                min_bytes: FINGERPRINT_KEY_BYTES_MIN,
                got_bytes,
            });
        }
        let card = CardData {
            pan: Pan::parse("4242424242424242").expect("the self-test PAN is valid"),
            expiry: Expiry::new(12, 2099).expect("the self-test expiry is valid"),
        };
        for kek in &self.ring.keks {
            let fail = |reason: String| VaultError::SelfTest {
                kek_id: kek.id.clone(),
                reason,
            };
            let sealed = self
                .seal_with(kek, SELF_TEST_RECORD_ID, &card)
                .map_err(|e| fail(e.to_string()))?;
            let opened = self
                .open(SELF_TEST_RECORD_ID, &sealed)
                .map_err(|e| fail(e.to_string()))?;
            if opened != card {
                return Err(fail("round trip returned different card data".into()));
            }
            if self.open("vault-self-test-other", &sealed).is_ok() {
                return Err(fail("record id is not bound to the ciphertext".into()));
            }
        }
        Ok(())
    }

    fn seal_with(
        &self,
        kek: &Kek,
        record_id: &str,
        card: &CardData,
    ) -> Result<SealedCard, VaultError> {
        check_record_id(record_id)?;
        let mut dek = Zeroizing::new([0u8; KEY_BYTES]);
        fill_random(dek.as_mut_slice())?;
        let plaintext = encode_card(card);
        let ciphertext = aead_seal(&dek, record_id.as_bytes(), &plaintext)?;
        let wrapped_dek = wrap_dek(kek, record_id, &dek)?;
        Ok(SealedCard {
            kek_id: kek.id.clone(),
            wrapped_dek,
            ciphertext,
        })
    }

    fn kek_for(&self, sealed: &SealedCard) -> Result<&Kek, VaultError> {
        self.ring
            .get(&sealed.kek_id)
            .ok_or_else(|| VaultError::UnknownKek {
                kek_id: sealed.kek_id.clone(),
            })
    }
}

fn check_record_id(record_id: &str) -> Result<(), VaultError> {
    if record_id.is_empty() || record_id.len() > RECORD_ID_BYTES_MAX {
        return Err(VaultError::RecordId {
            max_bytes: RECORD_ID_BYTES_MAX,
        });
    }
    Ok(())
}

fn secret_aad(record_id: &str) -> Vec<u8> {
    format!("secret|{record_id}").into_bytes()
}

fn private_key_aad(record_id: &str) -> Vec<u8> {
    format!("private_key|{record_id}").into_bytes()
}

fn dek_aad(record_id: &str, kek_id: &str) -> Vec<u8> {
    format!("dek|{record_id}|{kek_id}").into_bytes()
}

fn wrap_dek(kek: &Kek, record_id: &str, dek: &[u8; KEY_BYTES]) -> Result<Vec<u8>, VaultError> {
    aead_seal(kek.key.expose_secret(), &dek_aad(record_id, &kek.id), dek)
}

fn unwrap_dek(
    kek: &Kek,
    record_id: &str,
    wrapped: &[u8],
) -> Result<Zeroizing<[u8; KEY_BYTES]>, VaultError> {
    if wrapped.len() != WRAPPED_DEK_BYTES {
        return Err(VaultError::Malformed {
            field: "wrapped_dek",
            reason: "must be exactly 60 bytes (nonce, key, tag)",
        });
    }
    let aad = dek_aad(record_id, &kek.id);
    let plain =
        aead_open(kek.key.expose_secret(), &aad, wrapped).map_err(|()| VaultError::Decrypt {
            field: "wrapped_dek",
        })?;
    let mut dek = Zeroizing::new([0u8; KEY_BYTES]);
    // Length is fixed by the check above: 60 - 12 - 16 = 32.
    dek.copy_from_slice(&plain);
    Ok(dek)
}

fn open_card_ciphertext(
    dek: &[u8; KEY_BYTES],
    record_id: &str,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let malformed = |reason| VaultError::Malformed {
        field: "ciphertext",
        reason,
    };
    if ciphertext.len() < NONCE_BYTES + TAG_BYTES {
        return Err(malformed("is shorter than nonce and tag"));
    }
    if ciphertext.len() > CARD_CIPHERTEXT_BYTES_MAX {
        return Err(malformed("is longer than 256 bytes"));
    }
    aead_open(dek, record_id.as_bytes(), ciphertext).map_err(|()| VaultError::Decrypt {
        field: "ciphertext",
    })
}

/// Sixteen base62 digits of `v` (most significant first); 62^16 ≈ 2^95.3, so the top
/// bits are dropped and the bias left is negligible.
fn base62_16(mut v: u128) -> String {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = [0u8; FINGERPRINT_CHARS];
    for slot in out.iter_mut().rev() {
        // `v % 62` < 62, so the cast cannot truncate.
        *slot = ALPHABET[(v % 62) as usize];
        v /= 62;
    }
    out.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::generate_key_b64;

    #[test]
    fn an_authentic_record_with_corrupt_plaintext_is_reported_as_corrupt() {
        let keys = vec![("k".to_owned(), generate_key_b64())];
        let vault = Vault::new(
            KeyRing::from_config("k", &keys).unwrap(),
            Secret::new(vec![1; 32]),
        );
        let dek = [9u8; KEY_BYTES];
        let sealed = SealedCard {
            kek_id: "k".into(),
            wrapped_dek: wrap_dek(vault.ring.active(), "r1", &dek).unwrap(),
            ciphertext: aead_seal(&dek, b"r1", b"\x01\x02no").unwrap(),
        };
        assert_eq!(vault.open("r1", &sealed), Err(VaultError::CorruptPlaintext));
    }

    #[test]
    fn base62_writes_sixteen_digits_most_significant_first() {
        assert_eq!(base62_16(0), "0000000000000000");
        assert_eq!(base62_16(61), "000000000000000z");
        assert_eq!(base62_16(62), "0000000000000010");
        assert_eq!(base62_16(u128::MAX).len(), FINGERPRINT_CHARS);
    }
}
