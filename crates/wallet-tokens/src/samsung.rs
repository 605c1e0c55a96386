//! Samsung Pay's in-app / web credential: the SDK's `paymentCredential` JSON whose `3DS.data` is
//! a JWE in compact form, `RSA1_5` + `A128GCM`, encrypted to the merchant's RSA key named by
//! `kid` = base64 (standard, padded) of SHA-256 of the key's SubjectPublicKeyInfo.
//!
//! Unwrapped by hand rather than with a JOSE library because Samsung encrypts with an **empty**
//! GCM AAD where RFC 7516 requires the protected header's ASCII: every stock library rejects
//! these tokens (verified on the public vectors). The CEK is unwrapped with `rsa`'s
//! PKCS#1 v1.5 decryption, which uses implicit rejection (no padding oracle): a wrong CEK then
//! fails the GCM tag, reported as [`WalletError::Undecryptable`] like any other failure.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes128Gcm, aead};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Encrypt, PrivateKey};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{KeyError, UnixTime, WalletError, WalletToken, payload};

/// How far `utc` may be from now, either side (seconds).
pub const MAX_AGE_SECONDS: i64 = 5 * 60;

/// A merchant's Samsung Pay processing key. `Debug` shows only the `kid`.
#[derive(Clone)]
pub struct SamsungPayKey {
    kid: String,
    key: PrivateKey,
}

impl std::fmt::Debug for SamsungPayKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SamsungPayKey")
            .field("kid", &self.kid)
            .finish()
    }
}

impl SamsungPayKey {
    /// Reads an RSA private key (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY` PEM), 2048 bits
    /// or more.
    pub fn from_pem(pem: &str) -> Result<SamsungPayKey, KeyError> {
        let key = match PrivateKey::from_pkcs8_pem(pem) {
            Ok(k) => k,
            Err(e) => {
                use rsa::pkcs1::DecodeRsaPrivateKey;
                PrivateKey::from_pkcs1_pem(pem).map_err(|_| KeyError::Unreadable {
                    what: "private key",
                    rule: format!("expected an RSA private key in PKCS#8 or PKCS#1 PEM ({e})"),
                })?
            }
        };
        if key.size() < 256 {
            return Err(KeyError::Unsupported(
                "RSA keys must have 2048 bits or more",
            ));
        }
        let spki = key
            .to_public_key()
            .to_public_key_der()
            .map_err(|_| KeyError::Unsupported("the public key cannot be encoded"))?;
        let kid = STANDARD.encode(Sha256::digest(spki.as_bytes()));
        Ok(SamsungPayKey { kid, key })
    }

    /// The `kid` tokens encrypted to this key carry.
    pub fn kid(&self) -> &str {
        &self.kid
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    enc: String,
    kid: Option<String>,
}

/// The outer `paymentCredential` as far as this crate reads it.
#[derive(Deserialize)]
struct Credential {
    #[serde(rename = "3DS")]
    three_ds: ThreeDs,
}

#[derive(Deserialize)]
struct ThreeDs {
    data: String,
}

/// The JWE of `input`: the credential JSON's `3DS.data`, or `input` itself when it is a bare
/// compact JWE.
pub fn jwe_of(input: &str) -> Result<String, WalletError> {
    let trimmed = input.trim();
    if trimmed.starts_with('{') {
        let c: Credential = serde_json::from_str(trimmed)
            .map_err(|_| WalletError::malformed("samsung_pay_token", "must hold 3DS.data"))?;
        Ok(c.three_ds.data)
    } else {
        Ok(trimmed.to_owned())
    }
}

/// Picks the key by `kid`, decrypts and checks `utc` within [`MAX_AGE_SECONDS`] of `now`.
pub fn open(
    input: &str,
    keys: &[SamsungPayKey],
    now: UnixTime,
) -> Result<WalletToken, WalletError> {
    let jwe = jwe_of(input)?;
    let parts: Vec<&str> = jwe.split('.').collect();
    let [header, wrapped, iv, ciphertext, tag] = parts[..] else {
        return Err(WalletError::malformed(
            "samsung_pay_token",
            "must be a 5-part JWE",
        ));
    };
    let part = |field: &'static str, s: &str| {
        URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| WalletError::malformed(field, "must be base64url"))
    };
    let header: Header = serde_json::from_slice(&part("jwe.header", header)?)
        .map_err(|_| WalletError::malformed("jwe.header", "must be JSON"))?;
    if header.alg != "RSA1_5" || header.enc != "A128GCM" {
        return Err(WalletError::malformed(
            "jwe.header",
            "alg must be RSA1_5, enc A128GCM",
        ));
    }
    let kid = header
        .kid
        .ok_or(WalletError::malformed("jwe.header.kid", "is required"))?;
    let key = keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or(WalletError::UnknownKey)?;
    let cek = Zeroizing::new(
        key.key
            .decrypt(Pkcs1v15Encrypt, &part("jwe.encrypted_key", wrapped)?)
            .map_err(|_| WalletError::Undecryptable)?,
    );
    let plaintext = decrypt_gcm(
        &cek,
        &part("jwe.iv", iv)?,
        part("jwe.ciphertext", ciphertext)?,
        &part("jwe.tag", tag)?,
    )?;
    let token = payload::samsung(&plaintext)?;
    let age = token.created_at - now;
    if age.abs() > MAX_AGE_SECONDS {
        return Err(WalletError::Stale {
            age_seconds: age,
            max_seconds: MAX_AGE_SECONDS,
        });
    }
    Ok(token)
}

/// AES-128-GCM with a 12-byte IV and an EMPTY AAD (Samsung's, see the module docs).
fn decrypt_gcm(
    cek: &[u8],
    iv: &[u8],
    mut buf: Vec<u8>,
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>, WalletError> {
    let cipher = Aes128Gcm::new_from_slice(cek).map_err(|_| WalletError::Undecryptable)?;
    let nonce = <&aead::Nonce<Aes128Gcm>>::try_from(iv).map_err(|_| WalletError::Undecryptable)?;
    let tag = <&aead::Tag<Aes128Gcm>>::try_from(tag).map_err(|_| WalletError::Undecryptable)?;
    cipher
        .decrypt_inout_detached(nonce, b"", buf.as_mut_slice().into(), tag)
        .map_err(|_| WalletError::Undecryptable)?;
    Ok(Zeroizing::new(buf))
}
