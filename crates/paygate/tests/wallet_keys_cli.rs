//! `paygate wallets apple-pay|samsung-pay add|list|remove`: merchants' processing keys through
//! the binary — rotation with overlap (two active, then the old one removed), refusals (a key
//! twice, a key not the certificate's, `--trust-root` in live mode), and the private key never
//! in clear in the data directory.

mod common;

use common::*;
use serde_json::Value;
use std::path::PathBuf;

fn vector(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../wallet-tokens/tests/vectors")
        .join(path)
        .to_str()
        .unwrap()
        .to_owned()
}

fn list(wallet: &str, acct: &str, data: &str) -> Vec<Value> {
    let (ok, out) = cli(&[
        "wallets",
        wallet,
        "list",
        "--merchant",
        acct,
        "--data-dir",
        data,
        "--json",
    ]);
    assert!(ok, "{out}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn keys_rotate_with_overlap_and_stay_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("gw");
    let data = data.to_str().unwrap();
    let (acct, _) = merchant(data);
    let add = |cert: &str, key: &str, extra: &[&str]| {
        let mut args = vec![
            "wallets",
            "apple-pay",
            "add",
            "--merchant",
            &acct,
            "--data-dir",
            data,
        ];
        args.extend(["--certificate", cert, "--private-key", key]);
        args.extend(extra);
        cli(&args)
    };
    let gala = (
        vector("applepay_gala/certificate.pem"),
        vector("applepay_gala/private_key.pem"),
    );
    let halturin = (
        vector("applepay_halturin/certificate.pem"),
        vector("applepay_halturin/private_key.pem"),
    );
    let (ok, out) = add(&gala.0, &gala.1, &[]);
    assert!(ok && out.starts_with("wk_"), "{out}");
    let old_id = out.split_whitespace().next().unwrap().to_owned();
    // The new key beside the old one: both active.
    let (ok, out) = add(
        &halturin.0,
        &halturin.1,
        &["--trust-root", &vector("applepay_gala/AppleRootCA-G3.pem")],
    );
    assert!(ok, "{out}");
    let keys = list("apple-pay", &acct, data);
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(
        keys.iter()
            .all(|k| k["key_id"].as_str().is_some_and(|h| h.len() == 44))
    );
    // Refusals: the same key again, a key that is not the certificate's, a live trust root.
    let (ok, out) = add(&gala.0, &gala.1, &[]);
    assert!(!ok && out.contains("already active"), "{out}");
    let (ok, out) = add(&gala.0, &halturin.1, &[]);
    assert!(!ok && out.contains("does not belong"), "{out}");
    let (ok, out) = add(&gala.0, &gala.1, &["--live", "--trust-root", &gala.0]);
    assert!(!ok && out.contains("test mode"), "{out}");
    // The old key removed: one left.
    let (ok, out) = cli(&[
        "wallets",
        "apple-pay",
        "remove",
        "--merchant",
        &acct,
        "--data-dir",
        data,
        "--id",
        &old_id,
    ]);
    assert!(ok, "{out}");
    let keys = list("apple-pay", &acct, data);
    assert_eq!(keys.len(), 1);
    assert_ne!(keys[0]["id"], old_id.as_str());
    // Samsung Pay: selected by kid.
    let (ok, out) = cli(&[
        "wallets",
        "samsung-pay",
        "add",
        "--merchant",
        &acct,
        "--data-dir",
        data,
        "--private-key",
        &vector("samsungpay_jwe/private_key_pkcs8.pem"),
    ]);
    assert!(
        ok && out.contains("BOtxf/GbQW9Lca7qnmZl4FcHFiE/AdZmYXWtx9j2KVk="),
        "{out}"
    );
    // Another merchant's id is unknown.
    let (ok, _) = cli(&[
        "wallets",
        "samsung-pay",
        "add",
        "--merchant",
        "acct_nobody",
        "--data-dir",
        data,
        "--private-key",
        &vector("samsungpay_jwe/private_key_pkcs8.pem"),
    ]);
    assert!(!ok);
    // No private key in clear anywhere under the data directory.
    for pem in [
        &gala.1,
        &halturin.1,
        &vector("samsungpay_jwe/private_key_pkcs8.pem"),
    ] {
        let text = std::fs::read_to_string(pem).unwrap();
        let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
        let probe = &body[..40];
        for file in walk(std::path::Path::new(data)) {
            let bytes = std::fs::read(&file).unwrap_or_default();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(probe),
                "{} holds a private key in clear",
                file.display()
            );
        }
    }
}
