//! ECDSA P-256 with SHA-256 over the exact signed bytes; signatures travel as standard base64
//! of their DER encoding.

use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};

use crate::{IspError, b64};

/// Signs `message`; returns base64 of the DER signature.
pub fn sign(key: &SigningKey, message: &[u8]) -> String {
    let sig: Signature = key.sign(message);
    let der: DerSignature = sig.to_der();
    b64::std_encode(der.as_bytes())
}

/// The DER bytes of a base64 signature (what replay detection hashes).
pub fn decode(signature_b64: &str) -> Result<Vec<u8>, IspError> {
    let der = b64::std_decode(signature_b64.trim(), "signature")?;
    Signature::from_der(&der)
        .map_err(|_| IspError::new("signature", "is not a DER ECDSA signature"))?;
    Ok(der)
}

/// Verifies a base64 DER signature of `message` by `key`.
pub fn verify(key: &VerifyingKey, message: &[u8], signature_b64: &str) -> Result<(), IspError> {
    let der = decode(signature_b64)?;
    verify_der(key, message, &der)
}

/// Verifies a DER signature of `message` by `key`.
pub fn verify_der(key: &VerifyingKey, message: &[u8], der: &[u8]) -> Result<(), IspError> {
    let sig = Signature::from_der(der)
        .map_err(|_| IspError::new("signature", "is not a DER ECDSA signature"))?;
    key.verify(message, &sig)
        .map_err(|_| IspError::new("signature", "does not verify"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::Generate;

    #[test]
    fn sign_verify_and_refuse() {
        let key = SigningKey::generate();
        let sig = sign(&key, b"text");
        verify(key.verifying_key(), b"text", &sig).unwrap();
        assert!(verify(key.verifying_key(), b"text ", &sig).is_err());
        let other = SigningKey::generate();
        assert!(verify(other.verifying_key(), b"text", &sig).is_err());
        assert!(verify(key.verifying_key(), b"text", "not base64!").is_err());
        assert!(verify(key.verifying_key(), b"text", "AAAA").is_err());
    }
}
