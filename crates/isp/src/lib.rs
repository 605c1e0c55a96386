//! The ISP 안전결제 protocol (issue 10, `/work/notes/isp-contract.md`): the messages exchanged
//! between a cardholder's ISP client, paygate and the card company's ISP server, and the
//! cryptography they rest on. Pure: no I/O, no async, no clock (callers pass the time).
//!
//! - [`signed_data`]: the payment text the cardholder signs ([`SignedData`]), parsed from the
//!   exact bytes that were signed;
//! - [`signature`]: ECDSA P-256 SHA-256 signatures, base64 DER on the wire;
//! - [`jwk`]: P-256 public keys as JWKs; [`jwe`]: JWE compact `ECDH-ES` + `A256GCM`, the
//!   envelope of the card data ([`card::CardPayload`]) to the ISP server;
//! - [`csr`]: PKCS#10 requests (built by clients, parsed and self-signature-checked by the
//!   server); [`cert`]: X.509 certificates (parsing, chain and validity checks, serials);
//! - [`check`]: [`IspCheck`], every refusal of the ISP server with its code and HTTP status.

mod b64;
pub mod ca;
pub mod card;
pub mod cert;
pub mod check;
pub mod csr;
pub mod jwe;
pub mod jwk;
pub mod signature;
pub mod signed_data;

pub use card::CardPayload;
pub use check::IspCheck;
pub use jwk::PublicJwk;
pub use p256;
pub use signed_data::{Expected, SignedData};
pub use x509_cert;

/// Why a message or key could not be read, built or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {reason}")]
pub struct IspError {
    /// What was being read or built (e.g. `"jwe"`, `"certificate"`, `"signed_data"`).
    pub what: &'static str,
    /// The rule it broke. Never holds key material or card data.
    pub reason: String,
}

impl IspError {
    pub(crate) fn new(what: &'static str, reason: impl Into<String>) -> IspError {
        IspError {
            what,
            reason: reason.into(),
        }
    }
}

/// Fills `buf` from the operating system's random source.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), IspError> {
    getrandom::fill(buf).map_err(|e| IspError::new("random", e.to_string()))
}
