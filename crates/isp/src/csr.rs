//! PKCS#10 certificate requests: clients build one for their P-256 key; the ISP server parses
//! it and checks its self-signature (proof the client holds the private key).

use std::str::FromStr;

use der::pem::LineEnding;
use der::{DecodePem, Encode, EncodePem};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use x509_cert::builder::{Builder, RequestBuilder};
use x509_cert::name::Name;
use x509_cert::request::CertReq;

use crate::cert::{ECDSA_WITH_SHA256, p256_key};
use crate::{IspError, signature};

/// Subject clients put in their request (the server names the certificate itself).
pub const CLIENT_SUBJECT: &str = "CN=ISP client";

/// A PEM PKCS#10 request for `key`, self-signed with ECDSA-SHA256.
pub fn build(key: &SigningKey) -> Result<String, IspError> {
    let subject =
        Name::from_str(CLIENT_SUBJECT).map_err(|e| IspError::new("csr", e.to_string()))?;
    let builder = RequestBuilder::new(subject).map_err(|e| IspError::new("csr", e.to_string()))?;
    let req = builder
        .build::<_, DerSignature>(key)
        .map_err(|e| IspError::new("csr", e.to_string()))?;
    req.to_pem(LineEnding::LF)
        .map_err(|e| IspError::new("csr", e.to_string()))
}

/// Parses a PEM request and checks it: ECDSA-SHA256, a P-256 key, a valid self-signature.
/// Returns the requested public key.
pub fn parse_and_verify(pem: &str) -> Result<VerifyingKey, IspError> {
    let req = CertReq::from_pem(pem.trim().as_bytes())
        .map_err(|_| IspError::new("csr", "is not a PEM PKCS#10 certificate request"))?;
    if req.algorithm.oid != ECDSA_WITH_SHA256 {
        return Err(IspError::new(
            "csr",
            "must be signed with ecdsa-with-SHA256",
        ));
    }
    let key =
        p256_key(&req.info.public_key).map_err(|_| IspError::new("csr", "key must be P-256"))?;
    let info = req
        .info
        .to_der()
        .map_err(|e| IspError::new("csr", e.to_string()))?;
    let sig = req
        .signature
        .as_bytes()
        .ok_or_else(|| IspError::new("csr", "signature bit string is not whole bytes"))?;
    signature::verify_der(&key, &info, sig)
        .map_err(|_| IspError::new("csr", "self-signature does not verify"))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::Generate;

    #[test]
    fn build_parse_and_refuse_a_forged_request() {
        let key = SigningKey::generate();
        let pem = build(&key).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
        assert_eq!(&parse_and_verify(&pem).unwrap(), key.verifying_key());
        // Another key's signature over the same info.
        let mut req = CertReq::from_pem(pem.as_bytes()).unwrap();
        let other = build(&SigningKey::generate()).unwrap();
        req.signature = CertReq::from_pem(other.as_bytes()).unwrap().signature;
        let forged = req.to_pem(LineEnding::LF).unwrap();
        assert!(parse_and_verify(&forged).is_err());
        assert!(parse_and_verify("not pem").is_err());
    }
}
