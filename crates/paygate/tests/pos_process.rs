//! Store terminals against `paygate serve --pos-listen`, as processes: `paygate sim pos` plays
//! a terminal with a phone in front of it (a real CVN 18 ARQC over NFC, a real CVC3 on the MST
//! track), the in-process network simulator is the issuer. Each payment is checked at the
//! terminal (DE 39, the ARPC), in the API (a `card_present` PaymentIntent, tenancy), the ledger
//! and the reconciliation against the network's journal; a SIGKILL of the gateway while a
//! terminal waits ends with the terminal's reversal answered and nothing charged.

mod common;

use common::{BIN, Proc, cli, free_port, journal, merchant, printed, spawn};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

fn terminal(data: &str, acct: &str) -> (String, String) {
    let (ok, out) = cli(&[
        "terminal",
        "create",
        "--merchant",
        acct,
        "--data-dir",
        data,
        "--json",
    ]);
    assert!(ok, "{out}");
    let v: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(v["merchant"], acct);
    (
        v["terminal_id"].as_str().unwrap().into(),
        v["merchant_id"].as_str().unwrap().into(),
    )
}

fn serve(
    dir: &Path,
    data: &str,
    pos: &str,
    log: &str,
    env: &[(&str, &str)],
) -> (Proc, String, String) {
    let args = [
        "serve",
        "--data-dir",
        data,
        "--listen",
        "127.0.0.1:0",
        "--metrics-listen",
        "off",
        "--pos-listen",
        pos,
    ];
    let p = spawn(&args, env, &dir.join(log), "paygate listening on");
    let base = p.ready_line.rsplit(' ').next().unwrap().to_owned();
    let pos = printed(&p, "paygate pos listening on");
    (p, base, pos)
}

/// `paygate sim pos …` with the terminal's state file under `dir`; its JSON report.
fn pay(dir: &Path, pos: &str, tid: &str, extra: &[&str]) -> Value {
    let state = dir.join("terminal.json");
    let mut args = vec![
        "sim",
        "pos",
        "--host",
        pos,
        "--terminal",
        tid,
        "--state",
        state.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    let (ok, out) = cli(&args);
    assert!(ok, "{out}");
    serde_json::from_str(out.lines().last().unwrap()).unwrap()
}

async fn get(base: &str, key: &str, path: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminals_pay_refuse_and_reconcile_store_payments() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("gw").to_str().unwrap().to_owned();
    let (acct, key) = merchant(&data);
    let (other_acct, other_key) = merchant(&data);
    let (tid, mid) = terminal(&data, &acct);
    let (other_tid, _) = terminal(&data, &other_acct);
    let (gw, base, pos) = serve(dir.path(), &data, "127.0.0.1:0", "gw.log", &[]);
    let d = dir.path();

    let apple = pay(
        d,
        &pos,
        &tid,
        &[
            "--merchant-id",
            &mid,
            "--wallet",
            "apple_pay",
            "--amount",
            "12000",
        ],
    );
    assert_eq!(apple["response_code"], "00", "{apple}");
    assert_eq!(
        apple["arpc_valid"], true,
        "the issuer's ARPC reaches the terminal: {apple}"
    );
    let samsung = pay(
        d,
        &pos,
        &tid,
        &["--wallet", "samsung_pay", "--amount", "5000"],
    );
    assert_eq!(samsung["response_code"], "00", "{samsung}");
    assert_eq!(samsung["arpc_valid"], Value::Null);

    // A refund from the terminal (processing code 20, DE 90 naming the purchase); more than
    // what is left is refused 13.
    let rrn = apple["rrn"].as_str().unwrap();
    let refund = pay(d, &pos, &tid, &["--refund", rrn, "--amount", "5000"]);
    assert_eq!(refund["response_code"], "00", "{refund}");
    let too_much = pay(d, &pos, &tid, &["--refund", rrn, "--amount", "8000"]);
    assert_eq!(too_much["response_code"], "13", "{too_much}");

    // Refused reads: a tampered ARQC or CVC3 (82), a replayed counter (05).
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "--wallet",
                "apple_pay",
                "--amount",
                "100",
                "--corrupt-cryptogram",
            ],
            "82",
        ),
        (
            &["--wallet", "apple_pay", "--amount", "100", "--atc", "1"],
            "05",
        ),
        (
            &[
                "--wallet",
                "samsung_pay",
                "--amount",
                "100",
                "--corrupt-cryptogram",
            ],
            "82",
        ),
        (
            &["--wallet", "samsung_pay", "--amount", "100", "--atc", "1"],
            "05",
        ),
    ];
    for (args, code) in cases {
        let r = pay(d, &pos, &tid, args);
        assert_eq!(r["response_code"], code, "{args:?}: {r}");
    }
    // An unknown terminal, or a known one naming another merchant's DE 42: 03.
    let r = pay(d, &pos, "PNOSUCH1", &["--amount", "100"]);
    assert_eq!(r["response_code"], "03", "{r}");
    let r = pay(
        d,
        &pos,
        &other_tid,
        &["--merchant-id", &mid, "--amount", "100"],
    );
    assert_eq!(r["response_code"], "03", "{r}");

    // End-of-day totals (0500/0510): the host's sales and refunds of this terminal today.
    let totals = pay(d, &pos, &tid, &["--totals"]);
    assert_eq!(totals["response_code"], "00", "{totals}");
    assert_eq!(
        totals["totals"], "00020000000170000001000000005000",
        "{totals}"
    );

    // The merchant sees card_present PaymentIntents with their wallet and read method.
    let (_, charges) = get(&base, &key, "/v1/charges?limit=20").await;
    let succeeded: Vec<&Value> = charges["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "succeeded")
        .collect();
    assert_eq!(succeeded.len(), 2, "{charges}");
    let by_rrn = |rrn: &Value| {
        succeeded
            .iter()
            .find(|c| c["payment_method_details"]["card_present"]["network_transaction_id"] == *rrn)
            .copied()
            .unwrap()
    };
    let nfc = by_rrn(&apple["rrn"]);
    let details = &nfc["payment_method_details"];
    assert_eq!(details["type"], "card_present");
    assert_eq!(details["card_present"]["read_method"], "contactless_emv");
    assert_eq!(details["card_present"]["wallet"]["type"], "apple_pay");
    assert_eq!(details["card_present"]["wallet"]["dynamic_last4"], "0015");
    assert_eq!(
        details["card_present"]["last4"], "4242",
        "the funding card's: {details}"
    );
    assert_eq!(
        details["card_present"]["emv_auth_data"],
        apple["issuer_authentication_data"]
    );
    assert_eq!(nfc["amount"], 12000);
    assert_eq!(nfc["amount_refunded"], 5000, "{nfc}");
    let mst = &by_rrn(&samsung["rrn"])["payment_method_details"]["card_present"];
    assert_eq!(mst["read_method"], "magnetic_stripe_track2");
    assert_eq!(mst["wallet"]["type"], "samsung_pay");
    let pi_id = nfc["payment_intent"].as_str().unwrap();
    let (status, pi) = get(&base, &key, &format!("/v1/payment_intents/{pi_id}")).await;
    assert_eq!(
        (status, pi["status"].as_str()),
        (200, Some("succeeded")),
        "{pi}"
    );
    assert_eq!(pi["payment_method_types"][0], "card_present");
    assert_eq!(pi["metadata"]["terminal_id"], tid.as_str());
    let (status, _) = get(&base, &other_key, &format!("/v1/payment_intents/{pi_id}")).await;
    assert_eq!(status, 404, "another merchant never sees a store payment");
    let (_, events) = get(&base, &key, "/v1/events?type=payment_intent.succeeded").await;
    assert_eq!(events["data"].as_array().unwrap().len(), 2, "{events}");

    // The issuer journaled every read; ledger and reconciliation agree with it.
    drop(gw);
    let sim = Path::new(&data).join("network-sim");
    let entries = journal(sim.to_str().unwrap());
    let auths: Vec<&Value> = entries
        .iter()
        .filter(|e| e["type"] == "authorization")
        .collect();
    assert_eq!(auths.len(), 6, "{entries:?}");
    // Each read as the issuer checked it (`journal --json`'s card_present), reconciled with
    // the charges by RRN; no full number in the journal.
    let results: Vec<(&str, &str)> = auths
        .iter()
        .map(|e| {
            let cp = &e["card_present"];
            (
                cp["wallet"].as_str().unwrap_or_default(),
                cp["result"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [
            ("apple_pay", "approved"),
            ("samsung_pay", "approved"),
            ("apple_pay", "cryptogram_failed"),
            ("apple_pay", "declined"),
            ("samsung_pay", "cryptogram_failed"),
            ("samsung_pay", "declined"),
        ],
        "{auths:?}"
    );
    for (report, pan, method) in [
        (&apple, "489537******0015", "contactless_emv"),
        (&samsung, "539999******0018", "magnetic_stripe_track2"),
    ] {
        let entry = auths.iter().find(|e| e["rrn"] == report["rrn"]).unwrap();
        let cp = &entry["card_present"];
        assert_eq!(
            (cp["pan"].as_str(), cp["read_method"].as_str()),
            (Some(pan), Some(method))
        );
        assert_eq!(cp["atc"], report["atc"], "{entry} {report}");
        let charge = by_rrn(&report["rrn"]);
        assert_eq!(charge["amount"], entry["amount"]);
        assert_eq!(
            charge["payment_method_details"]["card_present"]["read_method"],
            cp["read_method"]
        );
    }
    let text = serde_json::to_string(&entries).unwrap();
    assert!(!text.contains("4895370000000015") && !text.contains("4242424242424242"));
    assert_eq!(
        entries.iter().filter(|e| e["type"] == "refund").count(),
        1,
        "{entries:?}"
    );
    let (ok, out) = cli(&["ledger", "verify", "--data-dir", &data]);
    assert!(ok, "{out}");
    let (ok, out) = cli(&["reconcile", "--data-dir", &data]);
    assert!(ok, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_while_a_terminal_waits_ends_in_its_reversal_and_no_charge() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("gw").to_str().unwrap().to_owned();
    let (acct, key) = merchant(&data);
    let (tid, _) = terminal(&data, &acct);
    // The terminal reconnects to the same address after the restart.
    let pos = format!("127.0.0.1:{}", free_port());
    let slow = [("PAYGATE_NETWORK_TIMEOUT_MS", "120000")];
    let (gw, _, _) = serve(dir.path(), &data, &pos, "gw1.log", &slow);
    // The issuer never answers this card: the gateway waits at the network.
    let state = dir.path().join("terminal.json");
    let terminal = Command::new(BIN)
        .args([
            "sim",
            "pos",
            "--host",
            &pos,
            "--terminal",
            &tid,
            "--state",
            state.to_str().unwrap(),
        ])
        .args([
            "--card",
            "4000000000000150",
            "--amount",
            "7000",
            "--timeout-ms",
            "3000",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let sim = Path::new(&data).join("network-sim");
    let mut seen = false;
    for _ in 0..1000 {
        if journal(sim.to_str().unwrap())
            .iter()
            .any(|e| e["type"] == "authorization")
        {
            seen = true;
            break;
        }
        std::thread::yield_now();
    }
    assert!(seen, "the purchase reached the issuer");
    drop(gw); // SIGKILL while the terminal waits
    let (_gw, base, _) = serve(dir.path(), &data, &pos, "gw2.log", &slow);
    let out = terminal.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["reversed"], true, "{report}");
    assert_eq!(report["response_code"], "00", "{report}");
    // The terminal's next purchase after its reversal is answered and paid.
    let next = pay(
        dir.path(),
        &pos,
        &tid,
        &[
            "--wallet",
            "apple_pay",
            "--amount",
            "1000",
            "--timeout-ms",
            "20000",
        ],
    );
    assert_eq!(next["response_code"], "00", "{next}");

    let (_, list) = get(&base, &key, "/v1/payment_intents?limit=10").await;
    let pis = list["data"].as_array().unwrap();
    assert_eq!(
        pis.len(),
        2,
        "one payment, not lost, not doubled, and the next: {list}"
    );
    assert_ne!(pis[1]["status"], "succeeded", "{list}");
    assert_eq!(pis[0]["status"], "succeeded", "{list}");
    let (_, charges) = get(&base, &key, "/v1/charges?limit=10").await;
    assert_eq!(
        charges["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "succeeded")
            .map(|c| c["amount"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [1000]
    );
    let entries = journal(sim.to_str().unwrap());
    assert!(
        entries.iter().any(|e| e["type"] == "reversal"),
        "the hold is released: {entries:?}"
    );
    let (ok, out) = cli(&["ledger", "verify", "--data-dir", &data]);
    assert!(ok, "{out}");
}
