//! Apple's detached CMS signature (`paymentData.signature`): the signer's certificate must carry
//! OID 1.2.840.113635.100.6.29, the intermediate 1.2.840.113635.100.6.2.14, and they must chain
//! to a trusted root (Apple Root CA - G3 built in) at the injected "now"; the signature covers
//! the signed attributes, whose messageDigest is SHA-256 of the signed bytes and whose
//! signingTime must be within [`MAX_AGE_SECONDS`] of now.
//!
//! The CMS structure is read with RustCrypto's `cms` (0.3, on `der` 0.8 / `x509-cert` 0.3 like
//! the rest of the workspace; its BER reader takes Apple's indefinite-length encoding). `cms`
//! verifies nothing itself: the checks below are the verification.

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use sha2::{Digest, Sha256, Sha384};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::time::Time;

use crate::{UnixTime, WalletError};

/// How far the signing time may be from now, either side (seconds): Apple's "a few minutes".
pub const MAX_AGE_SECONDS: i64 = 5 * 60;

const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// Marks Apple Pay's signing (leaf) certificate.
pub const LEAF_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113635.100.6.29");
/// Marks Apple's intermediate CA (Apple Application Integration CA - G3).
pub const INTERMEDIATE_OID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113635.100.6.2.14");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// Verifies `signature` (DER/BER CMS SignedData) over `content` with a chain to one of
/// `roots` at `now`; returns the signing time.
pub(crate) fn verify(
    signature: &[u8],
    content: &[u8],
    roots: &[Certificate],
    now: UnixTime,
) -> Result<UnixTime, WalletError> {
    let cms = || WalletError::malformed("signature", "must be a CMS SignedData");
    let info = ContentInfo::from_ber(signature).map_err(|_| cms())?;
    if info.content_type != SIGNED_DATA {
        return Err(cms());
    }
    // The content keeps Apple's indefinite-length BER inside: read it with BER rules too.
    let content_der = info.content.to_der().map_err(|_| cms())?;
    let signed = SignedData::from_ber(&content_der).map_err(|_| cms())?;
    let certs: Vec<&Certificate> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            cms::cert::CertificateChoices::Certificate(c) => Some(c),
            cms::cert::CertificateChoices::Other(_) => None,
        })
        .collect();
    let with_oid = |oid| certs.iter().copied().find(|c| has_extension(c, oid));
    let leaf = with_oid(LEAF_OID).ok_or(WalletError::UntrustedChain(
        "no Apple Pay leaf (OID 1.2.840.113635.100.6.29)",
    ))?;
    let intermediate = with_oid(INTERMEDIATE_OID).ok_or(WalletError::UntrustedChain(
        "no Apple intermediate (OID 1.2.840.113635.100.6.2.14)",
    ))?;
    let [signer] = signed.signer_infos.0.as_slice() else {
        return Err(WalletError::malformed(
            "signature",
            "must have exactly one signer",
        ));
    };
    let signed_at = verify_signer(signer, leaf, content)?;
    verify_chain(leaf, intermediate, roots, now)?;
    let age = signed_at - now;
    if age.abs() > MAX_AGE_SECONDS {
        return Err(WalletError::Stale {
            age_seconds: age,
            max_seconds: MAX_AGE_SECONDS,
        });
    }
    Ok(signed_at)
}

fn has_extension(cert: &Certificate, oid: ObjectIdentifier) -> bool {
    cert.tbs_certificate()
        .extensions()
        .is_some_and(|exts| exts.iter().any(|e| e.extn_id == oid))
}

/// The signer is the leaf, its messageDigest is SHA-256 of `content`, its signature verifies
/// over the DER of its signed attributes; returns the signingTime.
fn verify_signer(
    signer: &SignerInfo,
    leaf: &Certificate,
    content: &[u8],
) -> Result<UnixTime, WalletError> {
    if let SignerIdentifier::IssuerAndSerialNumber(id) = &signer.sid
        && (id.serial_number != *leaf.tbs_certificate().serial_number()
            || id.issuer != *leaf.tbs_certificate().issuer())
    {
        return Err(WalletError::InvalidSignature);
    }
    let attrs = signer.signed_attrs.as_ref().ok_or(WalletError::malformed(
        "signature",
        "must have signed attributes",
    ))?;
    let attr = |oid| {
        attrs
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
    };
    let digest: OctetString = attr(MESSAGE_DIGEST)
        .and_then(|v| v.decode_as().ok())
        .ok_or(WalletError::malformed(
            "signature",
            "must have a messageDigest",
        ))?;
    if digest.as_bytes() != Sha256::digest(content).as_slice() {
        return Err(WalletError::InvalidSignature);
    }
    let signing_time: Time =
        attr(SIGNING_TIME)
            .and_then(|v| v.decode_as().ok())
            .ok_or(WalletError::malformed(
                "signature",
                "must have a signingTime",
            ))?;
    let signed_attrs = attrs.to_der().map_err(|_| WalletError::InvalidSignature)?;
    let hash = Sha256::digest(&signed_attrs);
    let spki = leaf.tbs_certificate().subject_public_key_info();
    if !verify_prehashed(spki, &hash, signer.signature.as_bytes()) {
        return Err(WalletError::InvalidSignature);
    }
    Ok(unix(signing_time))
}

/// leaf ← intermediate ← one of `roots`, each signature verified, each certificate valid at
/// `now`.
fn verify_chain(
    leaf: &Certificate,
    intermediate: &Certificate,
    roots: &[Certificate],
    now: UnixTime,
) -> Result<(), WalletError> {
    if !issued_by(leaf, intermediate) {
        return Err(WalletError::UntrustedChain(
            "the leaf is not signed by the intermediate",
        ));
    }
    let root =
        roots
            .iter()
            .find(|r| issued_by(intermediate, r))
            .ok_or(WalletError::UntrustedChain(
                "the intermediate is not signed by a trusted root",
            ))?;
    for cert in [leaf, intermediate, root] {
        let validity = cert.tbs_certificate().validity();
        if now < unix(validity.not_before) || now > unix(validity.not_after) {
            return Err(WalletError::UntrustedChain(
                "a certificate is not valid now",
            ));
        }
    }
    Ok(())
}

/// Whether `issuer` names and signed `cert`.
fn issued_by(cert: &Certificate, issuer: &Certificate) -> bool {
    if cert.tbs_certificate().issuer() != issuer.tbs_certificate().subject() {
        return false;
    }
    let Ok(tbs) = cert.tbs_certificate().to_der() else {
        return false;
    };
    let hash: Vec<u8> = match cert.signature_algorithm().oid {
        ECDSA_SHA256 | RSA_SHA256 => Sha256::digest(&tbs).to_vec(),
        ECDSA_SHA384 => Sha384::digest(&tbs).to_vec(),
        _ => return false,
    };
    let Some(sig) = cert.signature().as_bytes() else {
        return false;
    };
    verify_prehashed(
        issuer.tbs_certificate().subject_public_key_info(),
        &hash,
        sig,
    )
}

/// Verifies an ECDSA (P-256, P-384; DER signature) or RSA PKCS#1 v1.5 (SHA-256) signature of
/// the hash `hash` with the key `spki`.
fn verify_prehashed(spki: &SubjectPublicKeyInfoOwned, hash: &[u8], sig: &[u8]) -> bool {
    let Some(point) = spki.subject_public_key.as_bytes() else {
        return false;
    };
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    if spki.algorithm.oid == RSA_ENCRYPTION {
        let Ok(der) = spki.to_der() else { return false };
        return crate::apple::keys::rsa_verify_sha256(&der, hash, sig);
    }
    match curve {
        Some(SECP256R1) => {
            let (Ok(key), Ok(sig)) = (
                p256::ecdsa::VerifyingKey::from_sec1_bytes(point),
                p256::ecdsa::Signature::from_der(sig),
            ) else {
                return false;
            };
            key.verify_prehash(hash, &sig).is_ok()
        }
        Some(SECP384R1) => {
            let (Ok(key), Ok(sig)) = (
                p384::ecdsa::VerifyingKey::from_sec1_bytes(point),
                p384::ecdsa::Signature::from_der(sig),
            ) else {
                return false;
            };
            key.verify_prehash(hash, &sig).is_ok()
        }
        _ => false,
    }
}

fn unix(t: Time) -> UnixTime {
    i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// Reads PEM certificates (one or more) as trust roots.
pub(crate) fn roots_from_pem(pem: &str) -> Result<Vec<Certificate>, der::Error> {
    Certificate::load_pem_chain(pem.as_bytes())
}
