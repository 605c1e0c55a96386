//! What can go wrong in the vault and its key ring.

/// Why a vault or key-ring operation failed. Messages never contain key material or card
/// data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The key ring configuration has no keys.
    #[error("key ring: at least one KEK is required")]
    NoKeys,
    /// More than [`KEKS_MAX`](crate::KEKS_MAX) keys were configured.
    #[error("key ring: at most {max} KEKs are allowed, got {got}")]
    TooManyKeys {
        /// The limit.
        max: usize,
        /// How many were configured.
        got: usize,
    },
    /// A KEK entry is malformed (bad id or key encoding).
    #[error("key ring: KEK `{kek_id}`: {reason}")]
    KeyConfig {
        /// The id as configured.
        kek_id: String,
        /// The rule broken.
        reason: &'static str,
    },
    /// Two KEKs share an id.
    #[error("key ring: KEK id `{kek_id}` appears more than once")]
    DuplicateKekId {
        /// The repeated id.
        kek_id: String,
    },
    /// The active KEK id is not among the configured keys.
    #[error("key ring: active KEK `{kek_id}` is not among the configured keys")]
    ActiveKekMissing {
        /// The configured active id.
        kek_id: String,
    },
    /// A sealed card names a KEK that is not in the ring (removed too early, or foreign).
    #[error("sealed card: KEK `{kek_id}` is not in the key ring")]
    UnknownKek {
        /// The id from the sealed card.
        kek_id: String,
    },
    /// The record id is empty or longer than [`RECORD_ID_BYTES_MAX`](crate::RECORD_ID_BYTES_MAX).
    #[error("record_id: must be 1 to {max_bytes} bytes long")]
    RecordId {
        /// The limit.
        max_bytes: usize,
    },
    /// A sealed field has an impossible length.
    #[error("sealed card: {field} {reason}")]
    Malformed {
        /// `wrapped_dek` or `ciphertext`.
        field: &'static str,
        /// The rule broken.
        reason: &'static str,
    },
    /// AEAD authentication failed.
    #[error(
        "sealed card: {field} failed authentication (wrong record id, wrong key or tampered data)"
    )]
    Decrypt {
        /// `wrapped_dek` or `ciphertext`.
        field: &'static str,
    },
    /// The card plaintext authenticated but does not decode as a valid card.
    #[error("sealed card: decrypted card data is not a valid version-1 card record")]
    CorruptPlaintext,
    /// AES-GCM refused to encrypt (cannot happen for the sizes used here).
    #[error("vault: encryption failed")]
    Encrypt,
    /// The operating system's random number generator failed.
    #[error("vault: the operating system random number generator failed")]
    Random,
    /// The fingerprint key is shorter than [`FINGERPRINT_KEY_BYTES_MIN`](crate::FINGERPRINT_KEY_BYTES_MIN).
    #[error("fingerprint key: must be at least {min_bytes} bytes, got {got_bytes}")]
    FingerprintKey {
        /// The limit.
        min_bytes: usize,
        /// The configured length.
        got_bytes: usize,
    },
    /// The start-up self-test failed for a KEK.
    #[error("vault self-test: KEK `{kek_id}`: {reason}")]
    SelfTest {
        /// The KEK under test.
        kek_id: String,
        /// What went wrong.
        reason: String,
    },
}
