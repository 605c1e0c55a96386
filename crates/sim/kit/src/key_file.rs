//! Secret keys the simulators read from files (`--cavv-key-file PATH`): one line of hex digits.
//! The key never appears in an error message, only the file's path and the rule it broke.

use std::path::Path;

use crate::SimError;

/// Reads a 32-byte key written as 64 hex digits (surrounding whitespace ignored) from `path`;
/// `flag` names the option in the error.
pub fn read_key32(path: &Path, flag: &'static str) -> Result<[u8; 32], SimError> {
    let text = std::fs::read_to_string(path).map_err(|e| SimError::Config {
        field: flag,
        rule: format!("cannot read {}: {e}", path.display()),
    })?;
    let hex = text.trim().as_bytes();
    let bad = || SimError::Config {
        field: flag,
        rule: format!("{} must hold exactly 64 hex digits", path.display()),
    };
    if hex.len() != 64 {
        return Err(bad());
    }
    let mut key = [0u8; 32];
    for (byte, pair) in key.iter_mut().zip(hex.chunks_exact(2)) {
        let hi = nibble(pair[0]).ok_or_else(bad)?;
        let lo = nibble(pair[1]).ok_or_else(bad)?;
        *byte = hi << 4 | lo;
    }
    Ok(key)
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_64_hex_digits_and_refuses_anything_else() {
        let dir = std::env::temp_dir().join(format!("kit-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("k");
        std::fs::write(&path, format!("{}\n", "0f".repeat(32))).unwrap();
        assert_eq!(read_key32(&path, "--k").unwrap(), [0x0f; 32]);
        std::fs::write(&path, "0f".repeat(31)).unwrap();
        assert!(read_key32(&path, "--k").is_err(), "62 digits");
        std::fs::write(&path, format!("{}zz", "0f".repeat(31))).unwrap();
        assert!(read_key32(&path, "--k").is_err(), "not hex");
        assert!(read_key32(&dir.join("missing"), "--k").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
