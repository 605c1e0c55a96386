//! A merchant's Apple Pay payment processing key: the certificate Apple issued (its public key
//! hash selects the key, its merchant identifier feeds the KDF) and the private key (P-256 for
//! EC_v1, RSA for RSA_v1), checked to belong together.

use std::fmt;

use der::asn1::{ObjectIdentifier, Utf8StringRef};
use der::{Decode, DecodePem, Encode};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{Pkcs1v15Sign, PrivateKey, PublicKey};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use crate::{KeyError, UnixTime};

/// Extension of the merchant certificate holding the merchant identifier's SHA-256 as 64 hex
/// characters (a DER UTF8String).
const MERCHANT_ID_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113635.100.6.32");
/// The subject's UID attribute: the merchant identifier in clear (fallback).
const UID_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.9.2342.19200300.100.1.1");

/// The private half of a processing key.
#[derive(Clone)]
pub(crate) enum Secret {
    /// EC_v1: P-256.
    Ec(p256::SecretKey),
    /// RSA_v1.
    Rsa(Box<PrivateKey>),
}

/// A merchant's Apple Pay processing key. `Debug` shows only the key hash.
#[derive(Clone)]
pub struct ApplePayKey {
    public_key_hash: [u8; 32],
    merchant_id_hash: [u8; 32],
    not_after: UnixTime,
    pub(crate) secret: Secret,
}

impl fmt::Debug for ApplePayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplePayKey")
            .field("public_key_hash", &self.public_key_hash_b64())
            .finish()
    }
}

fn unreadable(what: &'static str, e: impl fmt::Display) -> KeyError {
    KeyError::Unreadable {
        what,
        rule: e.to_string(),
    }
}

impl ApplePayKey {
    /// Reads the processing certificate and its private key (PEM: `EC PRIVATE KEY`, `RSA
    /// PRIVATE KEY` or PKCS#8 `PRIVATE KEY`).
    pub fn from_pem(certificate_pem: &str, private_key_pem: &str) -> Result<ApplePayKey, KeyError> {
        let cert = Certificate::from_pem(certificate_pem.as_bytes())
            .map_err(|e| unreadable("certificate", e))?;
        let tbs = cert.tbs_certificate();
        let spki = tbs
            .subject_public_key_info()
            .to_der()
            .map_err(|e| unreadable("certificate", e))?;
        let secret = read_secret(private_key_pem)?;
        let own_spki = match &secret {
            Secret::Ec(k) => {
                use p256::pkcs8::EncodePublicKey;
                k.public_key().to_public_key_der().map(|d| d.into_vec())
            }
            Secret::Rsa(k) => {
                use rsa::pkcs8::EncodePublicKey;
                k.to_public_key().to_public_key_der().map(|d| d.into_vec())
            }
        }
        .map_err(|_| KeyError::Unsupported("the public key cannot be encoded"))?;
        if own_spki != spki {
            return Err(KeyError::Mismatch);
        }
        let merchant_id_hash = merchant_id_hash(&cert).ok_or(KeyError::Unreadable {
            what: "certificate",
            rule:
                "has neither the merchant identifier extension (1.2.840.113635.100.6.32) nor a UID"
                    .to_owned(),
        })?;
        let not_after = i64::try_from(tbs.validity().not_after.to_unix_duration().as_secs())
            .unwrap_or(i64::MAX);
        Ok(ApplePayKey {
            public_key_hash: Sha256::digest(&spki).into(),
            merchant_id_hash,
            not_after,
            secret,
        })
    }

    /// `header.publicKeyHash` of the tokens encrypted to this key, base64.
    pub fn public_key_hash_b64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(self.public_key_hash)
    }

    pub(crate) fn public_key_hash(&self) -> &[u8; 32] {
        &self.public_key_hash
    }

    /// SHA-256 of the merchant identifier (the KDF's PartyVInfo).
    pub(crate) fn merchant_id_hash(&self) -> &[u8; 32] {
        &self.merchant_id_hash
    }

    /// When the processing certificate expires (Unix seconds).
    pub fn not_after(&self) -> UnixTime {
        self.not_after
    }
}

fn read_secret(pem: &str) -> Result<Secret, KeyError> {
    if let Ok(k) = p256::SecretKey::from_sec1_pem(pem) {
        return Ok(Secret::Ec(k));
    }
    if let Ok(k) = p256::SecretKey::from_pkcs8_pem(pem) {
        return Ok(Secret::Ec(k));
    }
    if let Ok(k) = PrivateKey::from_pkcs8_pem(pem) {
        return Ok(Secret::Rsa(Box::new(k)));
    }
    use rsa::pkcs1::DecodeRsaPrivateKey;
    match PrivateKey::from_pkcs1_pem(pem) {
        Ok(k) => Ok(Secret::Rsa(Box::new(k))),
        Err(e) => Err(unreadable(
            "private key",
            format_args!("expected a P-256 or RSA private key ({e})"),
        )),
    }
}

/// The merchant identifier hash: extension 1.2.840.113635.100.6.32 (64 hex characters), else
/// SHA-256 of the subject's UID.
fn merchant_id_hash(cert: &Certificate) -> Option<[u8; 32]> {
    let tbs = cert.tbs_certificate();
    let from_ext = tbs.extensions().and_then(|exts| {
        let ext = exts.iter().find(|e| e.extn_id == MERCHANT_ID_OID)?;
        let text = Utf8StringRef::from_der(ext.extn_value.as_bytes()).ok()?;
        let bytes = hex::decode(text.as_str()).ok()?;
        <[u8; 32]>::try_from(bytes).ok()
    });
    from_ext.or_else(|| {
        tbs.subject().iter().find_map(|atv| {
            (atv.oid == UID_OID).then(|| {
                let value = atv.value.value();
                Sha256::digest(value).into()
            })
        })
    })
}

/// RSA PKCS#1 v1.5 verification of a SHA-256 hash with the key of SPKI `spki_der`.
pub(crate) fn rsa_verify_sha256(spki_der: &[u8], hash: &[u8], sig: &[u8]) -> bool {
    PublicKey::from_public_key_der(spki_der)
        .is_ok_and(|k| k.verify(Pkcs1v15Sign::new::<Sha256>(), hash, sig).is_ok())
}
