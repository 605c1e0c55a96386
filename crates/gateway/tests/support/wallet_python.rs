//! The independent wallet token generator (`tests/data/wallet_python/make_tokens.py`, PyPI
//! `cryptography`) in a venv of its own under the target dir; without python3 the tests that
//! use it fail, unless `PAYGATE_SKIP_PYTHON=1`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The venv's python, made once per target dir; `None` when `PAYGATE_SKIP_PYTHON=1`.
pub fn venv() -> Option<PathBuf> {
    if std::env::var("PAYGATE_SKIP_PYTHON").as_deref() == Ok("1") {
        eprintln!("skipped: PAYGATE_SKIP_PYTHON=1");
        return None;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wallet-tokens-venv");
    let py = dir.join("bin/python");
    if !dir.join(".installed").exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status();
        assert!(
            ok.is_ok_and(|s| s.success()),
            "python3 -m venv failed (or set PAYGATE_SKIP_PYTHON=1)"
        );
        let ok = Command::new(&py)
            .args(["-m", "pip", "install", "-q", "cryptography==46.0.7"])
            .status()
            .expect("pip runs");
        assert!(ok.success(), "pip install cryptography failed");
        std::fs::write(dir.join(".installed"), b"ok").unwrap();
    }
    Some(py)
}

/// Runs the generator; its document (PEMs, tokens, signing time).
pub fn generate(py: &Path, out: &Path) -> Value {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/wallet_python/make_tokens.py");
    let ok = Command::new(py)
        .arg(script)
        .arg(out)
        .status()
        .expect("python runs");
    assert!(ok.success(), "make_tokens.py failed");
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}
