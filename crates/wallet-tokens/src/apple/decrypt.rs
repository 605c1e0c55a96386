//! Recovering the AES key and decrypting `paymentData.data`.
//!
//! - EC_v1: Z = ECDH(merchant P-256 key, ephemeral key) as the fixed 32-byte X coordinate
//!   (never trimmed of leading zeros), key = SHA-256(00000001 || Z || 0D || "id-aes256-GCM" ||
//!   "Apple" || SHA-256(merchant id)) — NIST SP 800-56A's single-step KDF with one round, written
//!   here because it is one hash call and no crate offers Apple's exact OtherInfo layout.
//! - RSA_v1: key = RSA-OAEP decryption of `header.wrappedKey`, OAEP hash SHA-256. Apple names
//!   the transform `RSA/ECB/OAEPWithSHA256AndMGF1Padding` without the MGF1 hash: most
//!   decoders use SHA-256, Java's provider reads that name as MGF1 over SHA-1. Both are
//!   tried, SHA-256 first (protocols.md §1.4; no public RSA_v1 token with its private key
//!   exists to settle it). A wrong MGF1 hash fails OAEP's own check, so the second try can
//!   never open a key the first one would have refused for another reason.
//! - Then AES-256-GCM with a **16-byte** all-zero IV and no AAD; the tag is the data's last 16
//!   bytes.

use aes_gcm::aead::consts::U16;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{AesGcm, aead};
use p256::pkcs8::DecodePublicKey;
use rsa::Oaep;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::keys::{ApplePayKey, Secret};
use crate::WalletError;

/// AES-256-GCM with Apple's 16-byte nonce.
type Aes256Gcm16 = AesGcm<aes_gcm::aes::Aes256, U16>;
const TAG_BYTES: usize = 16;

/// EC_v1's symmetric key from the ephemeral public key (DER SubjectPublicKeyInfo).
pub(crate) fn ec_key(
    key: &ApplePayKey,
    ephemeral_spki: &[u8],
) -> Result<Zeroizing<[u8; 32]>, WalletError> {
    let Secret::Ec(secret) = &key.secret else {
        return Err(WalletError::UnknownKey);
    };
    let ephemeral = p256::PublicKey::from_public_key_der(ephemeral_spki).map_err(|_| {
        WalletError::malformed("header.ephemeralPublicKey", "must be a P-256 public key")
    })?;
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), ephemeral.as_affine());
    Ok(kdf(
        shared.raw_secret_bytes().as_slice(),
        key.merchant_id_hash(),
    ))
}

/// The single-step KDF with Apple's OtherInfo (see the module docs).
pub(crate) fn kdf(z: &[u8], merchant_id_hash: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let mut h = Sha256::new();
    h.update([0, 0, 0, 1]);
    h.update(z);
    h.update([0x0d]);
    h.update(b"id-aes256-GCM");
    h.update(b"Apple");
    h.update(merchant_id_hash);
    Zeroizing::new(h.finalize().into())
}

/// RSA_v1's symmetric key, unwrapped from `header.wrappedKey`.
pub(crate) fn rsa_key(
    key: &ApplePayKey,
    wrapped: &[u8],
) -> Result<Zeroizing<[u8; 32]>, WalletError> {
    let Secret::Rsa(secret) = &key.secret else {
        return Err(WalletError::UnknownKey);
    };
    let bytes = Zeroizing::new(
        secret
            .decrypt(Oaep::<Sha256>::new(), wrapped)
            .or_else(|_| secret.decrypt(Oaep::<Sha256, Sha1>::new_with_mgf_hash(), wrapped))
            .map_err(|_| WalletError::Undecryptable)?,
    );
    let key: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| WalletError::Undecryptable)?;
    Ok(Zeroizing::new(key))
}

/// AES-256-GCM decryption of `data` (ciphertext || 16-byte tag), 16 zero bytes of IV, no AAD.
pub(crate) fn open_data(key: &[u8; 32], data: &[u8]) -> Result<Zeroizing<Vec<u8>>, WalletError> {
    if data.len() < TAG_BYTES {
        return Err(WalletError::Undecryptable);
    }
    let (ciphertext, tag) = data.split_at(data.len() - TAG_BYTES);
    let cipher = Aes256Gcm16::new(key.into());
    let nonce = aead::Nonce::<Aes256Gcm16>::default();
    let tag = <&aead::Tag<Aes256Gcm16>>::try_from(tag).map_err(|_| WalletError::Undecryptable)?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    cipher
        .decrypt_inout_detached(&nonce, b"", buf.as_mut_slice().into(), tag)
        .map_err(|_| WalletError::Undecryptable)?;
    Ok(buf)
}
