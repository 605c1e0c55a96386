//! EMV card cryptography for card-present payments, pure (no I/O, no async).
//!
//! | module | what |
//! |---|---|
//! | [`key`] | [`DoubleKey`], the double-length 3DES key (odd parity, KCV), single-DES and 3DES blocks |
//! | [`mac`] | ISO/IEC 9797-1 MAC algorithm 3 with padding method 1 or 2 |
//! | [`derive`] | ICC master key (EMV option A) and the EMV common session key |
//! | [`arqc`] | the ARQC input (CDOL1 data + IAD, read from DE 55 tags), Visa CVN 18 ARQC, ARPC method 2 |
//! | [`cvc3`] | Mastercard CVC3 over a track 2 template |
//! | [`track2`] | the MST track 2 with dynamic data paygate's terminals and issuer simulator agree on |
//!
//! Every algorithm is checked against the pyemv vectors in `tests/vectors/arqc_vectors.json`
//! (MIT, HSM-checked; `tests/vectors/ORIGIN.txt`). DES itself is RustCrypto's `des` crate; the
//! EMV constructions on top of it are written here because no maintained Rust crate offers them.

pub mod arqc;
pub mod cvc3;
pub mod derive;
pub mod key;
pub mod mac;
pub mod track2;

pub use arqc::{ArqcData, arpc_method2, visa_cvn18_arqc, visa_cvn18_session_key};
pub use cvc3::{cvc3, icc_cvc3_key};
pub use derive::{common_session_key, icc_master_key_option_a};
pub use key::DoubleKey;
pub use track2::MstTrack2;

/// What an EMV input can be refused for; names the element and the rule, never a card value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmvError {
    #[error("{what}: {rule}")]
    Invalid {
        what: &'static str,
        rule: &'static str,
    },
}

impl EmvError {
    pub(crate) fn invalid(what: &'static str, rule: &'static str) -> EmvError {
        EmvError::Invalid { what, rule }
    }
}
