//! PCI DSS software controls, one test per requirement, against the real `paygate` binary.
//! The TLS client is Python's `ssl` module (OpenSSL), independent of the server's rustls.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// `paygate serve` on `data` that must refuse to start; its output.
fn refused(data: &str, extra: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--data-dir", data, "--metrics-listen", "off"])
        .args(extra)
        .env_remove("PAYGATE_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run paygate serve");
    assert!(!out.status.success(), "paygate serve started");
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

fn keys_file(path: &Path) {
    let b64 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes, test only
    let text = format!(r#"{{"keks": ["kek-test:{b64}"], "fingerprint_key": "{b64}"}}"#);
    std::fs::write(path, text).unwrap();
}

#[test]
fn pci_3_6_1_and_4_2_1_live_mode_refuses_keys_beside_the_data_and_plain_http_in_public() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let (id, _) = merchant(d);
    let (ok, out) = cli(&[
        "keys",
        "create",
        "--merchant",
        &id,
        "--live",
        "--data-dir",
        d,
    ]);
    assert!(ok, "{out}");

    let out = refused(d, &["--listen", "127.0.0.1:0"], &[]);
    assert!(
        out.contains("PCI DSS 3.6.1") && out.contains("demo"),
        "{out}"
    );

    let inside = data.join("keys.json");
    keys_file(&inside);
    let inside_s = inside.to_str().unwrap();
    let out = refused(
        d,
        &["--listen", "127.0.0.1:0", "--vault-keks-file", inside_s],
        &[],
    );
    assert!(out.contains("inside the data directory"), "{out}");

    let outside = dir.path().join("keys.json");
    keys_file(&outside);
    let outside_s = outside.to_str().unwrap();
    let keys = ["--vault-keks-file", outside_s];
    let out = refused(d, &[&["--listen", "127.0.0.1:0"][..], &keys].concat(), &[]);
    assert!(out.contains("pages_csrf_key is required"), "{out}");

    let csrf = [(
        "PAYGATE_PAGES_CSRF_KEY",
        "cGFnZXMtY3NyZi1rZXktZm9yLXRlc3RzLW9ubHktMzJi",
    )];
    let public = [&["--listen", "0.0.0.0:0"][..], &keys].concat();
    let out = refused(d, &public, &csrf);
    assert!(out.contains("PCI DSS 4.2.1"), "{out}");

    let offloaded = [&public[..], &["--tls-offloaded"]].concat();
    let log = dir.path().join("gw.log");
    let gw = spawn(
        &["serve", "--data-dir", d, "--metrics-listen", "off"]
            .iter()
            .copied()
            .chain(offloaded.iter().copied())
            .collect::<Vec<_>>(),
        &csrf,
        &log,
        "paygate listening on",
    );
    assert!(
        gw.ready_line.contains("http://0.0.0.0:"),
        "{}",
        gw.ready_line
    );
}

/// A self-signed P-256 certificate for 127.0.0.1 made by the `openssl` command.
fn certificate(dir: &Path) -> (String, String) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args([
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (Debian's openssl package) makes the test certificate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert.to_str().unwrap().into(), key.to_str().unwrap().into())
}

const TLS_CLIENT: &str = r#"
import json, ssl, sys, urllib.request, base64
base, cafile, key = sys.argv[1], sys.argv[2], sys.argv[3]
out = {}
for name, lo, hi in [("tls1_1", ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_1),
                     ("tls1_2", ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2),
                     ("tls1_3", ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3)]:
    ctx = ssl.create_default_context(cafile=cafile)
    try:
        ctx.minimum_version, ctx.maximum_version = lo, hi
        with urllib.request.urlopen(base + "/healthz", context=ctx, timeout=10) as r:
            out[name] = r.status
    except Exception as e:
        out[name] = "refused: " + type(e).__name__
ctx = ssl.create_default_context(cafile=cafile)
body = "amount=5000&currency=krw&confirm=true&payment_method_data[type]=card&payment_method_data[card][number]=4242424242424242&payment_method_data[card][exp_month]=12&payment_method_data[card][exp_year]=2030&payment_method_data[card][cvc]=123"
req = urllib.request.Request(base + "/v1/payment_intents", data=body.encode(), method="POST")
req.add_header("Authorization", "Basic " + base64.b64encode((key + ":").encode()).decode())
with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
    out["payment"] = json.load(r)["status"]
print(json.dumps(out))
"#;

#[test]
fn pci_4_2_1_the_api_speaks_tls_1_2_or_1_3_only() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = certificate(dir.path());
    let gw = serve_with_merchant(
        dir.path(),
        &[("PAYGATE_TLS_CERT", &cert), ("PAYGATE_TLS_KEY", &key)],
    );
    assert!(gw.base.starts_with("https://"), "{}", gw.base);
    let out = Command::new("python3")
        .args(["-c", TLS_CLIENT, &gw.base, &cert, &gw.key])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["tls1_1"]
            .as_str()
            .is_some_and(|s| s.starts_with("refused")),
        "{v}"
    );
    assert_eq!(v["tls1_2"], 200, "{v}");
    assert_eq!(v["tls1_3"], 200, "{v}");
    assert_eq!(v["payment"], "succeeded", "{v}");
    // Plain HTTP on the TLS port gets no HTTP answer.
    let addr = gw.base.trim_start_matches("https://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
}

/// Reads what the server sends until it closes (at most 10 s).
fn answer(s: &mut TcpStream) -> String {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

#[test]
fn pci_6_4_slow_clients_are_cut_off_and_card_numbers_never_reach_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let gw = serve_with_merchant(
        dir.path(),
        &[
            ("PAYGATE_HEADER_READ_TIMEOUT_MS", "300"),
            ("PAYGATE_BODY_READ_TIMEOUT_MS", "300"),
        ],
    );
    let addr = gw.base.trim_start_matches("http://");
    // A header that never ends: the connection is closed, nothing is answered.
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"POST /v1/payment_intents HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let got = answer(&mut s);
    assert!(!got.contains("200"), "{got}");
    // A body that never ends: 408, naming the body.
    let mut s = TcpStream::connect(addr).unwrap();
    let head = format!(
        "POST /v1/payment_intents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\namount=10",
        gw.key
    );
    s.write_all(head.as_bytes()).unwrap();
    let got = answer(&mut s);
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(
        got.contains("request_timeout") && got.contains("\"param\":\"body\""),
        "{got}"
    );
    // PCI DSS 3.3.1: a card number in a URL reaches the access log masked.
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(
        format!("GET /v1/charges/{PAN} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    let _ = answer(&mut s);
    drop(gw.proc);
    let log = std::fs::read_to_string(dir.path().join("gw.log")).unwrap();
    assert!(
        log.contains("/v1/charges/424242******4242"),
        "the path was logged masked"
    );
    assert!(!log.contains(PAN), "a full card number in the log");
}

#[test]
fn json_logs_are_one_object_per_line_with_the_request_id_and_no_card_number() {
    let dir = tempfile::tempdir().unwrap();
    let gw = serve_with_merchant(
        dir.path(),
        &[("PAYGATE_LOG_FORMAT", "json"), ("PAYGATE_LOG", "info")],
    );
    let addr = gw.base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(
        format!("GET /v1/charges/{PAN} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    let got = answer(&mut s);
    let request_id = got
        .lines()
        .find_map(|l| l.strip_prefix("request-id: "))
        .expect("a Request-Id header")
        .trim()
        .to_owned();
    drop(gw.proc);
    let log = std::fs::read_to_string(dir.path().join("gw.log")).unwrap();
    assert!(!log.contains(PAN), "a full card number in the log");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let access = lines
        .iter()
        .find(|v| v["target"] == "paygate::access" && v["request_id"] == request_id.as_str())
        .unwrap_or_else(|| panic!("no access line for {request_id} in {log}"));
    assert_eq!(access["path"], "/v1/charges/424242******4242");
    assert_eq!(access["status"], 401);
    assert!(
        access["timestamp"].is_string() && access["level"] == "INFO",
        "{access}"
    );
}

/// `paygate args… --data-dir data` as the operating-system user `user`: success, stdout+stderr.
fn operator(user: &str, data: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .args(args)
        .args(["--data-dir", data])
        .env("USER", user)
        .env_remove("SUDO_USER")
        .output()
        .expect("run paygate");
    let mut s = String::from_utf8_lossy(&out.stdout).to_string();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), s)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The operator audit log as `paygate audit export --json` prints it.
fn audit_entries(data: &str) -> Vec<serde_json::Value> {
    let (ok, out) = operator("reader", data, &["audit", "export", "--json"]);
    assert!(ok, "{out}");
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn pci_10_2_1_operator_actions_and_key_use_are_recorded_with_who_what_when_where() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d").to_str().unwrap().to_string();
    let before = now();
    let (ok, out) = operator(
        "alice",
        &data,
        &["merchant", "create", "--name", "Audit shop", "--json"],
    );
    assert!(ok, "{out}");
    let m: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let merchant = m["id"].as_str().unwrap();
    let (ok, out) = operator(
        "bob",
        &data,
        &["keys", "create", "--merchant", merchant, "--json"],
    );
    assert!(ok, "{out}");
    let key: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let key_id = key["id"].as_str().unwrap();
    let (ok, out) = operator("bob", &data, &["keys", "revoke", "--id", key_id]);
    assert!(ok, "{out}");
    let (ok, out) = operator(
        "carol",
        &data,
        &["terminal", "create", "--merchant", merchant],
    );
    assert!(ok, "{out}");
    let (ok, out) = operator("carol", &data, &["keys", "rotate-kek"]);
    assert!(ok, "{out}");
    // A starting server loads the vault's KEKs: key use, recorded as `serve@host`.
    let port = free_port().to_string();
    let listen = format!("127.0.0.1:{port}");
    let gw = spawn(
        &[
            "serve",
            "--data-dir",
            &data,
            "--listen",
            &listen,
            "--metrics-listen",
            "off",
        ],
        &[("USER", "paygate-svc")],
        &dir.path().join("serve.log"),
        "paygate listening on",
    );
    drop(gw);
    let after = now();

    let entries = audit_entries(&data);
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "merchant_create",
            "api_key_create",
            "api_key_revoke",
            "terminal_create",
            "kek_rotate",
            "kek_load"
        ]
    );
    let who: Vec<&str> = entries
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(
        who,
        ["alice", "bob", "bob", "carol", "carol", "paygate-svc"]
    );
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["seq"], i as u64 + 1);
        let at = e["at"].as_i64().unwrap();
        assert!((before..=after).contains(&at), "when: {e}");
        let origin = if i == 5 { "serve@" } else { "cli@" };
        assert!(e["ip"].as_str().unwrap().starts_with(origin), "where: {e}");
    }
    assert_eq!(entries[0]["target"], merchant);
    assert_eq!(entries[1]["target"], key_id);
    assert_eq!(entries[1]["merchant"], merchant);
    assert_eq!(entries[2]["target"], key_id);
    assert!(
        entries[3]["target"].as_str().unwrap().starts_with("tml_"),
        "{}",
        entries[3]
    );
    assert!(
        entries[4]["detail"].as_str().unwrap().contains("keks="),
        "{}",
        entries[4]
    );
    // Key ids, never keys.
    let text = serde_json::to_string(&entries).unwrap();
    for secret in [&m["secret_key"], &m["publishable_key"], &key["key"]] {
        assert!(
            !text.contains(secret.as_str().unwrap()),
            "a key in the audit log"
        );
    }
    let (ok, out) = operator("auditor", &data, &["audit", "verify"]);
    assert!(
        ok && out.contains("operator audit log intact: 6 entries"),
        "{out}"
    );
}

/// Runs `sql` on the gateway's SQLite database directly, as someone with the file would.
fn tamper(data: &str, sql: &str) {
    let db = rusqlite::Connection::open(Path::new(data).join("paygate.db")).unwrap();
    assert_eq!(db.execute(sql, []).unwrap(), 1, "{sql}");
}

#[test]
fn pci_10_3_2_an_audit_row_edited_or_deleted_in_the_database_fails_verify_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d").to_str().unwrap().to_string();
    let (ok, out) = operator(
        "alice",
        &data,
        &["merchant", "create", "--name", "Audit shop", "--json"],
    );
    assert!(ok, "{out}");
    let m: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let merchant = m["id"].as_str().unwrap();
    for _ in 0..3 {
        let (ok, out) = operator("bob", &data, &["keys", "create", "--merchant", merchant]);
        assert!(ok, "{out}");
    }
    let (ok, out) = operator("auditor", &data, &["audit", "verify"]);
    assert!(ok && out.contains("intact: 4 entries"), "{out}");

    // Someone rewrites who did entry 2.
    tamper(
        &data,
        "UPDATE objects SET data = json_set(data, '$.actor', 'mallory') WHERE id = 'oae_000000000002'",
    );
    let (ok, out) = operator("auditor", &data, &["audit", "verify"]);
    assert!(!ok, "verify passed an edited entry: {out}");
    assert!(
        out.contains("broken at entry 2 (oae_000000000002)")
            && out.contains("does not match its hash"),
        "{out}"
    );
    let (ok, out) = operator("auditor", &data, &["audit", "verify", "--json"]);
    assert!(!ok);
    let v: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(v["broken"][0], 2, "{v}");

    // Deleting it instead breaks the chain at the same place.
    tamper(&data, "DELETE FROM objects WHERE id = 'oae_000000000002'");
    let (ok, out) = operator("auditor", &data, &["audit", "verify"]);
    assert!(
        !ok && out.contains("broken at entry 2 (oae_000000000002)"),
        "{out}"
    );
    assert!(out.contains("expected entry 2, found 3"), "{out}");

    // And cutting the newest entry leaves the head naming a later one.
    let dir2 = tempfile::tempdir().unwrap();
    let data2 = dir2.path().join("d").to_str().unwrap().to_string();
    let (ok, out) = operator("alice", &data2, &["merchant", "create", "--name", "Second"]);
    assert!(ok, "{out}");
    tamper(&data2, "DELETE FROM objects WHERE id = 'oae_000000000001'");
    let (ok, out) = operator("auditor", &data2, &["audit", "verify"]);
    assert!(
        !ok && out.contains("broken at entry 1 (oae_000000000001)"),
        "{out}"
    );
}
