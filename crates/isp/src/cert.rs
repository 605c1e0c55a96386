//! X.509 certificates of the ISP PKI: parsing, the P-256 key of a certificate, the
//! issuer-signature and validity checks the verifier runs, serials as lowercase hex.

use std::time::SystemTime;

use der::pem::LineEnding;
use der::{DecodePem, Encode, EncodePem};
use p256::ecdsa::VerifyingKey;
use p256::pkcs8::DecodePublicKey;
use spki::{ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;

use crate::{IspError, signature};

/// ecdsa-with-SHA256 (RFC 5758).
pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// commonName.
const CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// Parses one PEM certificate.
pub fn parse_pem(pem: &str) -> Result<Certificate, IspError> {
    Certificate::from_pem(pem.trim().as_bytes())
        .map_err(|_| IspError::new("certificate", "is not a PEM X.509 certificate"))
}

/// The PEM of a certificate.
pub fn to_pem(cert: &Certificate) -> Result<String, IspError> {
    cert.to_pem(LineEnding::LF)
        .map_err(|e| IspError::new("certificate", e.to_string()))
}

/// The P-256 key of a SubjectPublicKeyInfo.
pub fn p256_key(spki: &SubjectPublicKeyInfoOwned) -> Result<VerifyingKey, IspError> {
    let der = spki
        .to_der()
        .map_err(|e| IspError::new("key", e.to_string()))?;
    VerifyingKey::from_public_key_der(&der).map_err(|_| IspError::new("key", "must be P-256"))
}

/// The P-256 key the certificate certifies.
pub fn public_key(cert: &Certificate) -> Result<VerifyingKey, IspError> {
    p256_key(cert.tbs_certificate().subject_public_key_info())
}

/// Whether `issuer` signed `cert`: names chain, ecdsa-with-SHA256, signature over the TBS.
pub fn verify_issued_by(cert: &Certificate, issuer: &Certificate) -> Result<(), IspError> {
    let tbs = cert.tbs_certificate();
    if tbs.issuer() != issuer.tbs_certificate().subject() {
        return Err(IspError::new("certificate", "issuer name does not chain"));
    }
    if cert.signature_algorithm().oid != ECDSA_WITH_SHA256 {
        return Err(IspError::new(
            "certificate",
            "must be signed with ecdsa-with-SHA256",
        ));
    }
    let key = public_key(issuer)?;
    let tbs_der = tbs
        .to_der()
        .map_err(|e| IspError::new("certificate", e.to_string()))?;
    let sig = cert
        .signature()
        .as_bytes()
        .ok_or_else(|| IspError::new("certificate", "signature is not whole bytes"))?;
    signature::verify_der(&key, &tbs_der, sig)
        .map_err(|_| IspError::new("certificate", "issuer signature does not verify"))
}

/// Verifies `leaf` → `chain[0]` → … → the last of `chain`, which must be self-signed (the
/// trusted root, e.g. `GET /v1/ca` reversed: issuing CA first, root last).
pub fn verify_chain(leaf: &Certificate, chain: &[Certificate]) -> Result<(), IspError> {
    let mut current = leaf;
    for issuer in chain {
        verify_issued_by(current, issuer)?;
        current = issuer;
    }
    let root = chain
        .last()
        .ok_or_else(|| IspError::new("certificate", "no trust anchor given"))?;
    verify_issued_by(root, root)
}

/// Whether `now` is within notBefore..=notAfter.
pub fn is_valid_at(cert: &Certificate, now: SystemTime) -> bool {
    let v = cert.tbs_certificate().validity();
    v.not_before.to_system_time() <= now && now <= v.not_after.to_system_time()
}

/// The serial as lowercase hex, without a DER sign byte.
pub fn serial_hex(cert: &Certificate) -> String {
    let bytes = cert.tbs_certificate().serial_number().as_bytes();
    let bytes = match bytes {
        [0, rest @ ..] if !rest.is_empty() => rest,
        b => b,
    };
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The subject's commonName (the opaque card reference of a leaf).
pub fn subject_cn(cert: &Certificate) -> Option<String> {
    cert.tbs_certificate()
        .subject()
        .iter()
        .find(|atv| atv.oid == CN)
        .and_then(|atv| {
            der::asn1::Utf8StringRef::try_from(&atv.value)
                .map(|s| s.as_str().to_owned())
                .ok()
                .or_else(|| {
                    der::asn1::PrintableStringRef::try_from(&atv.value)
                        .map(|s| s.as_str().to_owned())
                        .ok()
                })
        })
}
