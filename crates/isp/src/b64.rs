//! The two base64 alphabets of the protocol: URL-safe without padding (JOSE) and standard
//! padded (signatures, authentication values).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::IspError;

/// base64url without padding.
pub(crate) fn url_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads base64url without padding; `what` names the part in the error.
pub(crate) fn url_decode(text: &str, what: &'static str) -> Result<Vec<u8>, IspError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| IspError::new(what, "is not base64url without padding"))
}

/// Standard base64 with padding.
pub(crate) fn std_encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Reads standard base64 with padding.
pub(crate) fn std_decode(text: &str, what: &'static str) -> Result<Vec<u8>, IspError> {
    STANDARD
        .decode(text)
        .map_err(|_| IspError::new(what, "is not standard base64"))
}
