//! Wallet payment tokens as a merchant's gateway receives them online: Apple Pay `paymentData`
//! (EC_v1 and RSA_v1, [`apple`]) and Samsung Pay's 3-D Secure credential (a JWE with `RSA1_5` /
//! `A128GCM`, [`samsung`]). Each is checked (signature, chain to the trusted root, freshness)
//! and decrypted with the merchant's processing key into a [`WalletToken`]: the device token
//! (DPAN), its expiry, the one-time online cryptogram and the ECI.
//!
//! Pure: no I/O, no clock — the caller passes "now" (`UnixTime`), so tests run the public
//! vectors at their signing time. Every refusal is a [`WalletError`] with its own
//! [`WalletError::code`]. The replay check on the transaction id needs storage and is the
//! gateway's (`wallet_token_replayed`).
//!
//! Formats and pitfalls: `docs/WALLETS.md` and the protocol notes it cites (16-byte GCM IV for
//! Apple, fixed-length ECDH secret, Samsung's empty AAD).

pub mod apple;
mod error;
mod payload;
pub mod samsung;

pub use error::{KeyError, WalletError};
pub use payload::{Wallet, WalletToken};

/// Seconds since the Unix epoch (UTC): the injected "now".
pub type UnixTime = i64;
