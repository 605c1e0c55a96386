//! Key-encrypting keys (KEKs) from configuration: one [`Kek`] per configured id, the
//! [`KeyRing`] that names the active one (new records) and keeps the others (old records,
//! until `paygate keys rotate-kek` re-wraps them), and fresh key generation.

use std::fmt;

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::aead::fill_random;
use crate::envelope::{KEK_ID_CHARS_MAX, KEKS_MAX, KEY_BYTES};
use crate::error::VaultError;
use crate::secret::Secret;

/// A key-encrypting key: an id (stored next to every record it wraps) and 32 key bytes.
pub struct Kek {
    pub(crate) id: String,
    pub(crate) key: Secret<[u8; KEY_BYTES]>,
}

impl Kek {
    /// Builds a KEK. The id must be 1..=64 characters of `[A-Za-z0-9_.-]`.
    pub fn new(id: &str, key: [u8; KEY_BYTES]) -> Result<Kek, VaultError> {
        let key = Secret::new(key);
        check_kek_id(id)?;
        Ok(Kek {
            id: id.to_owned(),
            key,
        })
    }

    /// Decodes a standard-base64 (padded) 32-byte key, as written by [`generate_key_b64`].
    pub fn from_b64(id: &str, key_b64: &str) -> Result<Kek, VaultError> {
        let bad = |reason| VaultError::KeyConfig {
            kek_id: id.to_owned(),
            reason,
        };
        let bytes = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(key_b64.trim())
                .map_err(|_| bad("key is not valid standard base64"))?,
        );
        let key: [u8; KEY_BYTES] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| bad("key must decode to exactly 32 bytes"))?;
        Kek::new(id, key)
    }

    /// The key id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kek")
            .field("id", &self.id)
            .field("key", &self.key)
            .finish()
    }
}

fn check_kek_id(id: &str) -> Result<(), VaultError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    if id.is_empty() || id.len() > KEK_ID_CHARS_MAX || !id.chars().all(ok_char) {
        return Err(VaultError::KeyConfig {
            kek_id: id.to_owned(),
            reason: "id must be 1 to 64 characters of A-Z a-z 0-9 _ . -",
        });
    }
    Ok(())
}

/// The configured KEKs, one of them active (used for new records and re-wraps); the
/// others only open older records until they are re-wrapped.
#[derive(Debug)]
pub struct KeyRing {
    pub(crate) keks: Vec<Kek>,
    active: usize,
}

impl KeyRing {
    /// Builds a ring from `(id, base64 key)` pairs. Fails on no keys, more than
    /// [`KEKS_MAX`], a bad id or key, a repeated id, or an `active_id` not among them.
    pub fn from_config(active_id: &str, keys: &[(String, String)]) -> Result<KeyRing, VaultError> {
        if keys.len() > KEKS_MAX {
            return Err(VaultError::TooManyKeys {
                max: KEKS_MAX,
                got: keys.len(),
            });
        }
        let keks = keys
            .iter()
            .map(|(id, b64)| Kek::from_b64(id, b64))
            .collect::<Result<Vec<_>, _>>()?;
        KeyRing::from_keks(active_id, keks)
    }

    /// Builds a ring from already-decoded KEKs (same rules as [`KeyRing::from_config`]).
    pub fn from_keks(active_id: &str, keks: Vec<Kek>) -> Result<KeyRing, VaultError> {
        if keks.is_empty() {
            return Err(VaultError::NoKeys);
        }
        if keks.len() > KEKS_MAX {
            return Err(VaultError::TooManyKeys {
                max: KEKS_MAX,
                got: keks.len(),
            });
        }
        for (i, k) in keks.iter().enumerate() {
            if keks[..i].iter().any(|earlier| earlier.id == k.id) {
                return Err(VaultError::DuplicateKekId {
                    kek_id: k.id.clone(),
                });
            }
        }
        let active = keks.iter().position(|k| k.id == active_id).ok_or_else(|| {
            VaultError::ActiveKekMissing {
                kek_id: active_id.to_owned(),
            }
        })?;
        Ok(KeyRing { keks, active })
    }

    /// Id of the KEK that wraps new DEKs.
    pub fn active_id(&self) -> &str {
        &self.keks[self.active].id
    }

    /// Ids of all KEKs, in configuration order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keks.iter().map(|k| k.id.as_str())
    }

    /// Whether a KEK with this id is configured.
    pub fn contains(&self, kek_id: &str) -> bool {
        self.get(kek_id).is_some()
    }

    pub(crate) fn active(&self) -> &Kek {
        &self.keks[self.active]
    }

    pub(crate) fn get(&self, kek_id: &str) -> Option<&Kek> {
        self.keks.iter().find(|k| k.id == kek_id)
    }
}

/// A new random 32-byte KEK as standard base64, for `paygate keys generate-kek` and demo
/// start-up.
///
/// # Panics
/// If the operating system's random number generator fails; see [`try_generate_key_b64`].
pub fn generate_key_b64() -> String {
    try_generate_key_b64().expect("the operating system random number generator failed")
}

/// Like [`generate_key_b64`], returning an error instead of panicking.
pub fn try_generate_key_b64() -> Result<String, VaultError> {
    let mut key = Zeroizing::new([0u8; KEY_BYTES]);
    fill_random(key.as_mut_slice())?;
    Ok(base64::engine::general_purpose::STANDARD.encode(key.as_slice()))
}
