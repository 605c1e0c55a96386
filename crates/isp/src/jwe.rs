//! JWE compact serialization with `alg=ECDH-ES` (direct key agreement) and `enc=A256GCM`
//! (RFC 7516, RFC 7518 §4.6): the envelope of the card data to the ISP server.
//!
//! `BASE64URL(header) . "" . BASE64URL(iv) . BASE64URL(ciphertext) . BASE64URL(tag)` where the
//! protected header is `{"alg":"ECDH-ES","enc":"A256GCM","kid",epk}`, the content key is the
//! Concat KDF (SHA-256; AlgorithmID "A256GCM", empty PartyUInfo/PartyVInfo, keydatalen 256) of
//! the ECDH shared secret, and the AAD is the ASCII of the header's base64url.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, aead};
use p256::ecdh::EphemeralSecret;
use p256::elliptic_curve::Generate;
use p256::{PublicKey, SecretKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::card::CardPayload;
use crate::jwk::PublicJwk;
use crate::{IspError, b64, fill_random};

const ALG: &str = "ECDH-ES";
const ENC: &str = "A256GCM";
const IV_BYTES: usize = 12;
const TAG_BYTES: usize = 16;

/// The protected header.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    enc: String,
    kid: String,
    epk: PublicJwk,
}

/// A decrypted JWE.
#[derive(Debug)]
pub struct Decrypted {
    /// The `kid` of the header (the recipient key it was encrypted to).
    pub kid: String,
    /// The plaintext, wiped on drop.
    pub plaintext: Zeroizing<Vec<u8>>,
}

/// The Concat KDF of RFC 7518 §4.6.2 for A256GCM with empty party infos: one SHA-256 round.
fn concat_kdf(z: &[u8]) -> Zeroizing<[u8; 32]> {
    concat_kdf_round(z, ENC.as_bytes(), b"", b"", 256)
}

/// One round (counter 1) of the Concat KDF: enough for keys up to 256 bits.
fn concat_kdf_round(
    z: &[u8],
    alg: &[u8],
    apu: &[u8],
    apv: &[u8],
    bits: u32,
) -> Zeroizing<[u8; 32]> {
    let len = |b: &[u8]| u32::try_from(b.len()).unwrap_or(u32::MAX).to_be_bytes();
    let mut h = Sha256::new();
    h.update(1u32.to_be_bytes());
    h.update(z);
    for part in [alg, apu, apv] {
        h.update(len(part));
        h.update(part);
    }
    h.update(bits.to_be_bytes());
    Zeroizing::new(h.finalize().into())
}

/// Encrypts `plaintext` to the recipient's public key, naming it `kid`.
pub fn encrypt(recipient: &PublicJwk, kid: &str, plaintext: &[u8]) -> Result<String, IspError> {
    let recipient = recipient.to_public_key()?;
    let ephemeral =
        EphemeralSecret::try_generate().map_err(|e| IspError::new("random", e.to_string()))?;
    let epk = PublicJwk::from_public_key(&ephemeral.public_key());
    let shared = ephemeral.diffie_hellman(&recipient);
    let key = concat_kdf(shared.raw_secret_bytes());
    let header = Header {
        alg: ALG.to_owned(),
        enc: ENC.to_owned(),
        kid: kid.to_owned(),
        epk,
    };
    let header_json =
        serde_json::to_vec(&header).map_err(|e| IspError::new("jwe", e.to_string()))?;
    let header_b64 = b64::url_encode(&header_json);
    let mut iv = [0u8; IV_BYTES];
    fill_random(&mut iv)?;
    let cipher = Aes256Gcm::new((&*key).into());
    let mut buf = Zeroizing::new(plaintext.to_vec());
    let tag = cipher
        .encrypt_inout_detached(
            &aead::Nonce::<Aes256Gcm>::from(iv),
            header_b64.as_bytes(),
            buf.as_mut_slice().into(),
        )
        .map_err(|_| IspError::new("jwe", "encryption failed"))?;
    Ok(format!(
        "{header_b64}..{}.{}.{}",
        b64::url_encode(&iv),
        b64::url_encode(&buf),
        b64::url_encode(&tag)
    ))
}

/// Decrypts a compact JWE with the recipient's secret key.
pub fn decrypt(secret: &SecretKey, compact: &str) -> Result<Decrypted, IspError> {
    let parts: Vec<&str> = compact.split('.').collect();
    let [header_b64, encrypted_key, iv, ciphertext, tag] = parts[..] else {
        return Err(IspError::new("jwe", "must have five dot-separated parts"));
    };
    if !encrypted_key.is_empty() {
        return Err(IspError::new("jwe", "ECDH-ES carries no encrypted key"));
    }
    let header: Header = serde_json::from_slice(&b64::url_decode(header_b64, "jwe header")?)
        .map_err(|_| IspError::new("jwe", "header must hold alg, enc, kid and epk"))?;
    if header.alg != ALG || header.enc != ENC {
        return Err(IspError::new("jwe", "alg must be ECDH-ES and enc A256GCM"));
    }
    let epk: PublicKey = header.epk.to_public_key()?;
    let iv = b64::url_decode(iv, "jwe iv")?;
    let tag = b64::url_decode(tag, "jwe tag")?;
    let mut buf = Zeroizing::new(b64::url_decode(ciphertext, "jwe ciphertext")?);
    let nonce = <&aead::Nonce<Aes256Gcm>>::try_from(iv.as_slice())
        .map_err(|_| IspError::new("jwe", "iv must be 12 bytes"))?;
    if tag.len() != TAG_BYTES {
        return Err(IspError::new("jwe", "tag must be 16 bytes"));
    }
    let tag = <&aead::Tag<Aes256Gcm>>::try_from(tag.as_slice())
        .map_err(|_| IspError::new("jwe", "tag must be 16 bytes"))?;
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), epk.as_affine());
    let key = concat_kdf(shared.raw_secret_bytes());
    Aes256Gcm::new((&*key).into())
        .decrypt_inout_detached(nonce, header_b64.as_bytes(), buf.as_mut_slice().into(), tag)
        .map_err(|_| IspError::new("jwe", "does not decrypt with this key"))?;
    Ok(Decrypted {
        kid: header.kid,
        plaintext: buf,
    })
}

/// Encrypts a card (the `card` field of enroll and verify).
pub fn encrypt_card(
    recipient: &PublicJwk,
    kid: &str,
    card: &CardPayload,
) -> Result<String, IspError> {
    let json = Zeroizing::new(card.to_json());
    encrypt(recipient, kid, &json)
}

/// Decrypts and parses a card; `kid` must be the server's key id.
pub fn decrypt_card(secret: &SecretKey, kid: &str, compact: &str) -> Result<CardPayload, IspError> {
    let d = decrypt(secret, compact)?;
    if d.kid != kid {
        return Err(IspError::new(
            "jwe",
            "kid is not this server's encryption key",
        ));
    }
    CardPayload::from_json(&d.plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let secret = SecretKey::generate();
        let jwk = PublicJwk::from_public_key(&secret.public_key());
        let jwe = encrypt(&jwk, "k1", b"hello").unwrap();
        let d = decrypt(&secret, &jwe).unwrap();
        assert_eq!(
            (d.kid.as_str(), d.plaintext.as_slice()),
            ("k1", &b"hello"[..])
        );
        let other = SecretKey::generate();
        assert!(decrypt(&other, &jwe).is_err());
        let mut parts: Vec<String> = jwe.split('.').map(str::to_owned).collect();
        parts[3] = b64::url_encode(b"HELLO");
        assert!(decrypt(&secret, &parts.join(".")).is_err());
        assert!(decrypt(&secret, "a.b.c").is_err());
    }

    /// RFC 7518 Appendix C: the Concat KDF example (A128GCM, "Alice", "Bob").
    #[test]
    fn concat_kdf_matches_rfc7518_appendix_c() {
        let z = [
            158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49,
            110, 163, 218, 128, 106, 72, 246, 218, 167, 121, 140, 254, 144, 196,
        ];
        let key = concat_kdf_round(&z, b"A128GCM", b"Alice", b"Bob", 128);
        assert_eq!(
            key[..16],
            [
                86, 170, 141, 234, 248, 35, 109, 32, 92, 34, 40, 205, 113, 167, 16, 26
            ]
        );
    }
}
