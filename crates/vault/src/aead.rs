//! AES-256-GCM as the envelope uses it: a fresh random nonce per seal, the output laid out as
//! nonce ‖ ciphertext ‖ tag, plaintexts opened into zeroized buffers.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, aead};
use zeroize::{Zeroize, Zeroizing};

use crate::envelope::{KEY_BYTES, NONCE_BYTES, TAG_BYTES};
use crate::error::VaultError;

/// AES-256-GCM with a fresh random nonce; returns nonce ‖ ciphertext ‖ tag.
pub(crate) fn aead_seal(
    key: &[u8; KEY_BYTES],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let cipher = Aes256Gcm::new(key.into());
    let mut nonce = [0u8; NONCE_BYTES];
    fill_random(&mut nonce)?;
    // Capacity for the whole output up front: the plaintext is encrypted in place and the
    // vector never reallocates, so no stray plaintext copy is left on the heap.
    let mut out = Vec::with_capacity(NONCE_BYTES + plaintext.len() + TAG_BYTES);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let nonce = aead::Nonce::<Aes256Gcm>::from(nonce);
    match cipher.encrypt_inout_detached(&nonce, aad, out[NONCE_BYTES..].as_mut().into()) {
        Ok(tag) => {
            out.extend_from_slice(&tag);
            Ok(out)
        }
        Err(_) => {
            out.zeroize();
            Err(VaultError::Encrypt)
        }
    }
}

/// Inverse of [`aead_seal`]; the caller has checked `blob` holds at least nonce and tag.
pub(crate) fn aead_open(
    key: &[u8; KEY_BYTES],
    aad: &[u8],
    blob: &[u8],
) -> Result<Zeroizing<Vec<u8>>, ()> {
    let cipher = Aes256Gcm::new(key.into());
    let (nonce, rest) = blob.split_at(NONCE_BYTES);
    let (ct, tag) = rest.split_at(rest.len() - TAG_BYTES);
    let nonce = <&aead::Nonce<Aes256Gcm>>::try_from(nonce).map_err(|_| ())?;
    let tag = <&aead::Tag<Aes256Gcm>>::try_from(tag).map_err(|_| ())?;
    let mut buf = Zeroizing::new(ct.to_vec());
    cipher
        .decrypt_inout_detached(nonce, aad, buf.as_mut_slice().into(), tag)
        .map_err(|_| ())?;
    Ok(buf)
}

/// Fills `buf` from the operating system's random source.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), VaultError> {
    getrandom::fill(buf).map_err(|_| VaultError::Random)
}
