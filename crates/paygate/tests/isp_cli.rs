//! `paygate sim isp` and the `paygate isp enroll|pay` client as cardholders and operators run
//! them: separate processes, secrets from the environment, the wallet file's sealing and its
//! lockout, the ISP server's journal; and `paygate serve` starting its in-process ISP server.

mod common;

use std::process::Command;

use common::*;
use serde_json::Value;

const PASSWORD: &str = "isp-pass-1234";

/// `paygate args…` with `env`; success and stdout + stderr.
fn run(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for var in [
        "PAYGATE_ISP_CARD_NUMBER",
        "PAYGATE_ISP_CARD_EXPIRY",
        "PAYGATE_ISP_CARD_CVC",
        "PAYGATE_ISP_PASSWORD",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run paygate");
    let mut s = String::from_utf8_lossy(&out.stdout).to_string();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), s)
}

fn card_env<'a>(number: &'a str, password: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("PAYGATE_ISP_CARD_NUMBER", number),
        ("PAYGATE_ISP_CARD_EXPIRY", "12/34"),
        ("PAYGATE_ISP_CARD_CVC", "123"),
        ("PAYGATE_ISP_PASSWORD", password),
    ]
}

/// A `paygate sim isp` process; its base URL and data directory.
fn isp_sim(dir: &std::path::Path) -> (Proc, String, String) {
    let key = dir.join("cavv.key");
    std::fs::write(&key, "cd".repeat(32)).unwrap();
    let data = dir.join("isp").to_str().unwrap().to_owned();
    let proc = spawn(
        &[
            "sim",
            "isp",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            &data,
            "--cavv-key-file",
            key.to_str().unwrap(),
        ],
        &[],
        &dir.join("isp.log"),
        "listening on",
    );
    let url = format!("http://{}", printed(&proc, "listening on"));
    (proc, url, data)
}

fn isp_journal(data: &str) -> Vec<Value> {
    let (ok, out) = run(
        &["sim", "isp", "journal", "--data-dir", data, "--json"],
        &[],
    );
    assert!(ok, "{out}");
    serde_json::from_str(&out).unwrap()
}

fn enroll(isp_url: &str, wallet: &str, number: &str) -> (bool, String) {
    run(
        &["isp", "enroll", "--isp-url", isp_url, "--wallet", wallet],
        &card_env(number, PASSWORD),
    )
}

/// `paygate isp pay` against a paygate that is not there: the wallet opens (or not) before
/// anything goes over the network.
fn pay_offline(wallet: &str, password: &str) -> (bool, String) {
    run(
        &[
            "isp",
            "pay",
            "--url",
            "http://127.0.0.1:9",
            "--publishable-key",
            "pk_test_x",
            "--payment-intent",
            "pi_x",
            "--client-secret",
            "pi_x_secret_y",
            "--wallet",
            wallet,
        ],
        &[("PAYGATE_ISP_PASSWORD", password)],
    )
}

#[test]
fn enroll_writes_a_sealed_wallet_and_the_server_journals_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, url, data) = isp_sim(dir.path());
    let wallet = dir.path().join("wallet.json");
    let wallet = wallet.to_str().unwrap();
    let (ok, out) = enroll(&url, wallet, PAN);
    assert!(ok, "{out}");
    assert!(out.contains("enrolled card ••••4242"), "{out}");
    assert!(!out.contains(PAN) && !out.contains(PASSWORD), "{out}");

    let text = std::fs::read_to_string(wallet).unwrap();
    assert!(!text.contains(PAN) && !text.contains("\"123\"") && !text.contains(PASSWORD));
    assert!(!text.contains("PRIVATE KEY"));
    let w: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(w["format"], "paygate-isp-wallet-v1");
    assert!(
        w["certificate"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    assert_eq!(w["serial"].as_str().unwrap().len(), 32);
    assert_eq!(w["last4"], "4242");
    assert_eq!(w["kdf"]["alg"], "argon2id");
    assert!(w["kdf"]["m_cost"].as_u64().unwrap() >= 19 * 1024);
    assert_eq!(w["failed_tries"], 0);
    assert!(w["locked_until"].is_null());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(wallet).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "wallet readable by its owner only");
    }

    let j = isp_journal(&data);
    assert_eq!(j.len(), 1);
    assert_eq!(
        (j[0]["kind"].as_str(), j[0]["result"].as_str()),
        (Some("enroll"), Some("issued"))
    );
    assert_eq!(j[0]["serial"], w["serial"]);
    assert_eq!(j[0]["last4"], "4242");

    // A second enrolment into the same file is refused; the file is unchanged.
    let (ok, out) = enroll(&url, wallet, PAN);
    assert!(!ok && out.contains("exists"), "{out}");
    assert_eq!(std::fs::read_to_string(wallet).unwrap(), text);
}

#[test]
fn enroll_refusals_are_clear_and_write_no_wallet() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, url, data) = isp_sim(dir.path());
    let wallet = dir.path().join("w.json");
    let wallet = wallet.to_str().unwrap();
    let (ok, out) = enroll(&url, wallet, "4000000000009979");
    assert!(!ok && out.contains("isp_card_declined"), "{out}");
    assert!(!std::path::Path::new(wallet).exists());
    let mut env = card_env(PAN, PASSWORD);
    env[1].1 = "13/34";
    let (ok, out) = run(
        &["isp", "enroll", "--isp-url", &url, "--wallet", wallet],
        &env,
    );
    assert!(!ok && out.contains("PAYGATE_ISP_CARD_EXPIRY"), "{out}");
    let (ok, out) = run(
        &["isp", "enroll", "--isp-url", &url, "--wallet", wallet],
        &card_env(PAN, "short"),
    );
    assert!(!ok && out.contains("at least 6"), "{out}");
    assert!(!std::path::Path::new(wallet).exists());
    let j = isp_journal(&data);
    assert_eq!(j.len(), 1, "only the declined card reached the server");
    assert_eq!(j[0]["result"], "isp_card_declined");
}

#[test]
fn five_wrong_passwords_lock_the_wallet_for_30_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, url, _) = isp_sim(dir.path());
    let path = dir.path().join("wallet.json");
    let wallet = path.to_str().unwrap();
    assert!(enroll(&url, wallet, PAN).0);

    // The right password opens it: the command gets as far as paygate (not running).
    let (ok, out) = pay_offline(wallet, PASSWORD);
    assert!(!ok && out.contains("--url http://127.0.0.1:9"), "{out}");
    assert!(!out.contains("wrong ISP password"), "{out}");

    for tries in 1..=4 {
        let (ok, out) = pay_offline(wallet, "not-the-password");
        assert!(
            !ok && out.contains(&format!("wrong ISP password ({tries} of 5")),
            "{out}"
        );
        let w: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(w["failed_tries"], tries);
    }
    let (ok, out) = pay_offline(wallet, "not-the-password");
    assert!(!ok && out.contains("locked until"), "{out}");
    // Locked: even the right password is refused, without a try being counted.
    let (ok, out) = pay_offline(wallet, PASSWORD);
    assert!(!ok && out.contains("locked until"), "{out}");
    let mut w: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let until = time::OffsetDateTime::parse(
        w["locked_until"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = until - time::OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::minutes(29) && left <= time::Duration::minutes(30),
        "{left}"
    );

    // Thirty minutes later (the lock's end moved into the past): the right password opens it
    // and clears the lock.
    w["locked_until"] = Value::from("2020-01-01T00:00:00Z");
    std::fs::write(&path, w.to_string()).unwrap();
    let (ok, out) = pay_offline(wallet, PASSWORD);
    assert!(!ok && out.contains("--url http://127.0.0.1:9"), "{out}");
    let w: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        (w["failed_tries"].as_u64(), w["locked_until"].is_null()),
        (Some(0), true)
    );

    // A tampered sealed card does not open (AES-GCM), counted as a wrong try.
    let mut w = w;
    let mut sealed = w["card"].as_str().unwrap().to_owned();
    let flipped = if &sealed[20..21] == "A" { "B" } else { "A" };
    sealed.replace_range(20..21, flipped);
    w["card"] = Value::from(sealed);
    std::fs::write(&path, w.to_string()).unwrap();
    let (ok, out) = pay_offline(wallet, PASSWORD);
    assert!(!ok && out.contains("wrong ISP password (1 of 5"), "{out}");
}

#[test]
fn serve_starts_an_isp_server_unless_given_one() {
    let dir = tempfile::tempdir().unwrap();
    let gw = serve_with_merchant(dir.path(), &[]);
    // The simulators' lines follow "listening on".
    let line = "ISP server simulator (CA + verifier) on";
    for _ in 0..100 {
        if stdout_of(&gw.proc).contains(line) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let url = printed(&gw.proc, line);
    let (ok, out) = run(
        &[
            "isp",
            "enroll",
            "--isp-url",
            &url,
            "--wallet",
            dir.path().join("w.json").to_str().unwrap(),
        ],
        &card_env(PAN, PASSWORD),
    );
    assert!(ok, "{out}");
    let journal = isp_journal(&format!("{}/isp-sim", gw.data));
    assert_eq!(journal.len(), 1);

    let other = tempfile::tempdir().unwrap();
    let gw2 = serve_with_merchant(other.path(), &[("PAYGATE_ISP_URL", "http://127.0.0.1:9")]);
    // The 3-D Secure simulator's line comes just before where the ISP server's would.
    for _ in 0..100 {
        if stdout_of(&gw2.proc).contains("3-D Secure simulator") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        !stdout_of(&gw2.proc).contains("ISP server simulator"),
        "{}",
        stdout_of(&gw2.proc)
    );
    assert!(!std::path::Path::new(&format!("{}/isp-sim", gw2.data)).exists());
}
