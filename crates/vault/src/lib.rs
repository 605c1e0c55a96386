//! # paygate-vault: the card-data security boundary
//!
//! Everything that can see a full card number lives here:
//!
//! * [`Secret<T>`]: prints `[REDACTED]`, zeroizes on drop, has no `Serialize`.
//! * [`Pan`], [`Expiry`], [`Cvc`], [`Brand`]: parsed card fields (protocols.md §6). A `Pan`
//!   prints as `424242******4242`; a `Cvc` never prints and is never stored.
//! * [`Vault`]: envelope encryption (a fresh AES-256-GCM data key per record, wrapped by a
//!   configured key-encrypting key that is named in every record), key rotation by
//!   [`Vault::rewrap`], keyed fingerprints, and a start-up self-test [`Vault::check`].
//!
//! Errors are [`CardError`] (bad input from a cardholder; carries a Stripe-style `code` and
//! `param`) and [`VaultError`] (configuration or stored-data problems).
//!
//! ## Decisions worth knowing
//! * Every brand is held to the Luhn check. protocols.md §6.1 notes that some historic
//!   UnionPay `62` cards fail Luhn; such cards are rejected with `incorrect_number` until
//!   a real case makes an exception necessary.
//! * Maestro is not a [`Brand`] of its own: its prefixes fall under [`Brand::Unknown`]
//!   (general 12–19 length rule) or a scheme whose range they share.

mod aead;
mod card;
mod card_plaintext;
mod envelope;
mod error;
mod keyring;
pub mod redact;
mod secret;

pub use card::{
    Brand, CardError, Cvc, Expiry, PAN_INPUT_CHARS_MAX, PAN_LEN_MAX, PAN_LEN_MIN, Pan, luhn_check,
    luhn_check_digit,
};
pub use card_plaintext::CardData;
pub use envelope::{
    FINGERPRINT_CHARS, FINGERPRINT_KEY_BYTES_MIN, KEK_ID_CHARS_MAX, KEKS_MAX, KEY_BYTES,
    NONCE_BYTES, RECORD_ID_BYTES_MAX, SealedCard, TAG_BYTES, Vault,
};
pub use error::VaultError;
pub use keyring::{Kek, KeyRing, generate_key_b64, try_generate_key_b64};
pub use secret::Secret;
