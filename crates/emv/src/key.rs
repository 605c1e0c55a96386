//! The double-length (112-bit) 3DES key of EMV, and the DES block operations on it.

use des::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use des::{Des, TdesEde2};
use zeroize::Zeroize;

use crate::EmvError;

/// A double-length DES key `K1 || K2` (3DES EDE with K3 = K1). Zeroized on drop; `Debug`
/// shows only the key check value.
#[derive(Clone)]
pub struct DoubleKey([u8; 16]);

impl Drop for DoubleKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl DoubleKey {
    pub fn new(bytes: [u8; 16]) -> DoubleKey {
        DoubleKey(bytes)
    }

    /// 32 hexadecimal characters.
    pub fn from_hex(text: &str) -> Result<DoubleKey, EmvError> {
        let mut bytes = [0u8; 16];
        hex::decode_to_slice(text, &mut bytes)
            .map_err(|_| EmvError::invalid("key", "must be 32 hexadecimal characters"))?;
        Ok(DoubleKey(bytes))
    }

    /// Two 8-byte halves.
    pub fn from_halves(left: [u8; 8], right: [u8; 8]) -> DoubleKey {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&left);
        bytes[8..].copy_from_slice(&right);
        DoubleKey(bytes)
    }

    pub fn left(&self) -> [u8; 8] {
        self.0[..8].try_into().expect("16-byte key")
    }

    pub fn right(&self) -> [u8; 8] {
        self.0[8..].try_into().expect("16-byte key")
    }

    /// The same key with every byte's lowest bit set so the byte has odd parity, as EMV
    /// derivations require.
    pub fn with_odd_parity(mut self) -> DoubleKey {
        for byte in self.0.iter_mut() {
            let high = *byte & 0xFE;
            *byte = high | u8::from(high.count_ones() % 2 == 0);
        }
        self
    }

    /// 3DES EDE encryption of one block.
    pub fn encrypt(&self, block: [u8; 8]) -> [u8; 8] {
        let cipher = TdesEde2::new_from_slice(&self.0).expect("16-byte 3DES key");
        let mut block = block.into();
        cipher.encrypt_block(&mut block);
        block.into()
    }

    /// The first 2 bytes of the encryption of a zero block, as upper-case hex (the usual
    /// 4-digit key check value).
    pub fn kcv(&self) -> String {
        hex::encode_upper(&self.encrypt([0; 8])[..2])
    }

    /// The key as 32 upper-case hexadecimal characters (for test tooling only).
    pub fn to_hex(&self) -> String {
        hex::encode_upper(self.0)
    }
}

impl std::fmt::Debug for DoubleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DoubleKey(kcv {})", self.kcv())
    }
}

/// Single-DES encryption of one block.
pub fn des_encrypt(key: [u8; 8], block: [u8; 8]) -> [u8; 8] {
    let cipher = Des::new_from_slice(&key).expect("8-byte DES key");
    let mut block = block.into();
    cipher.encrypt_block(&mut block);
    block.into()
}

/// Single-DES decryption of one block.
pub fn des_decrypt(key: [u8; 8], block: [u8; 8]) -> [u8; 8] {
    let cipher = Des::new_from_slice(&key).expect("8-byte DES key");
    let mut block = block.into();
    cipher.decrypt_block(&mut block);
    block.into()
}
