//! ISO/IEC 9797-1 MAC algorithm 3 (the "retail MAC"): single-DES CBC under K1 with a zero IV,
//! then the last block decrypted under K2 and encrypted again under K1.

use crate::key::{DoubleKey, des_decrypt, des_encrypt};

/// ISO/IEC 9797-1 padding methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// Method 1: zeros up to a whole block (none when already whole).
    Zeros,
    /// Method 2: one `80` byte, then zeros up to a whole block.
    Iso9797Method2,
}

/// Pads `data` to whole 8-byte blocks.
pub fn pad(data: &[u8], padding: Padding) -> Vec<u8> {
    let mut out = data.to_vec();
    if padding == Padding::Iso9797Method2 {
        out.push(0x80);
    }
    while !out.len().is_multiple_of(8) || out.is_empty() {
        out.push(0);
    }
    out
}

/// The 8-byte MAC of `data` under `key`.
pub fn mac_alg3(key: &DoubleKey, data: &[u8], padding: Padding) -> [u8; 8] {
    let (k1, k2) = (key.left(), key.right());
    let mut state = [0u8; 8];
    for block in pad(data, padding).chunks_exact(8) {
        for (s, b) in state.iter_mut().zip(block) {
            *s ^= b;
        }
        state = des_encrypt(k1, state);
    }
    des_encrypt(k1, des_decrypt(k2, state))
}
