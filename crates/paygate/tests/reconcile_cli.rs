//! `paygate reconcile` as an operator runs it against the network's acquirer report: clean
//! books pass, and every unmatched item is named on its own line and in `--json` — charge id,
//! RRN, STAN, amount, and which side is missing it.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_paygate");

/// A `paygate serve` process, killed if the test ends early.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN).args(args).output().expect("run paygate");
    let mut s = String::from_utf8_lossy(&out.stdout).to_string();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), s)
}

/// `paygate serve` with its in-process simulator; returns once it prints its address.
fn serve(data: &str) -> (Serve, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--data-dir", data, "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn paygate serve");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("paygate listening on ") {
                let _ = tx.send(url.to_string());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("paygate serve listens");
    (Serve(child), url)
}

async fn pay(base: &str, key: &str, amount: &str) -> Value {
    let form = [
        ("amount", amount),
        ("currency", "krw"),
        ("confirm", "true"),
        ("payment_method_data[type]", "card"),
        ("payment_method_data[card][number]", "4242424242424242"),
        ("payment_method_data[card][exp_month]", "12"),
        ("payment_method_data[card][exp_year]", "2034"),
        ("payment_method_data[card][cvc]", "123"),
    ];
    let client = reqwest::Client::new();
    let pi: Value = client
        .post(format!("{base}/v1/payment_intents"))
        .bearer_auth(key)
        .form(&form)
        .send()
        .await
        .expect("payment")
        .json()
        .await
        .expect("JSON");
    assert_eq!(pi["status"], "succeeded", "{pi}");
    let charge = pi["latest_charge"].as_str().expect("charge id");
    client
        .get(format!("{base}/v1/charges/{charge}"))
        .bearer_auth(key)
        .send()
        .await
        .expect("charge")
        .json()
        .await
        .expect("JSON")
}

fn sigterm(mut gw: Serve) {
    let st = Command::new("kill")
        .args(["-TERM", &gw.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(st.success());
    assert!(gw.0.wait().expect("exit").success());
}

fn report(sim_dir: &Path) -> Vec<Value> {
    let dir = sim_dir.to_str().unwrap();
    let out = Command::new(BIN)
        .args(["sim", "network", "report", "--data-dir", dir, "--json"])
        .output()
        .expect("run paygate");
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice::<Value>(&out.stdout)
        .expect("report JSON")
        .as_array()
        .cloned()
        .expect("an array of records")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_names_each_unmatched_item_and_the_side_missing_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("gw");
    let data_s = data.to_str().unwrap();
    let (ok, out) = run(&[
        "merchant",
        "create",
        "--name",
        "Shop",
        "--data-dir",
        data_s,
        "--json",
    ]);
    assert!(ok, "{out}");
    let first_line = out.lines().next().unwrap_or_default();
    let key = serde_json::from_str::<Value>(first_line).unwrap()["secret_key"]
        .as_str()
        .unwrap()
        .to_string();
    let (gw, base) = serve(data_s);
    let kept = pay(&base, &key, "3000").await;
    let dropped = pay(&base, &key, "12000").await;
    sigterm(gw);

    // The in-process simulator's report, as `paygate serve` left it, agrees with the books.
    let records = report(&data.join("network-sim"));
    assert_eq!(records.len(), 2, "{records:?}");
    let (ok, out) = run(&["reconcile", "--data-dir", data_s]);
    assert!(ok, "{out}");
    assert!(
        out.contains("2 charges, 2 network authorizations, 2 matched"),
        "{out}"
    );

    // A report that lacks one payment and holds an authorization the gateway never made.
    let rrn_of = |ch: &Value| {
        ch["payment_method_details"]["card"]["network_transaction_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let dropped_rrn = rrn_of(&dropped);
    let dropped_stan = records
        .iter()
        .find(|r| r["rrn"] == dropped_rrn.as_str())
        .and_then(|r| r["stan"].as_str())
        .expect("the dropped payment is in the report")
        .to_string();
    let mut edited: Vec<Value> = records
        .iter()
        .filter(|r| r["rrn"] != dropped_rrn.as_str())
        .cloned()
        .collect();
    let mut orphan = edited[0].clone();
    orphan["stan"] = "999999".into();
    orphan["rrn"] = "000000009999".into();
    orphan["amount"] = 777.into();
    edited.push(orphan);
    let file = dir.path().join("report.json");
    std::fs::write(&file, serde_json::to_string(&edited).unwrap()).unwrap();
    let file_s = file.to_str().unwrap();

    let (ok, out) = run(&[
        "reconcile",
        "--data-dir",
        data_s,
        "--network-report",
        file_s,
    ]);
    assert!(!ok, "disagreeing books exit non-zero: {out}");
    let missing = format!(
        "PROBLEM missing_at_network missing_on=network charge={} rrn={dropped_rrn} stan={dropped_stan} amount=12000 krw:",
        dropped["id"].as_str().unwrap()
    );
    assert!(out.contains(&missing), "{missing}\nnot in\n{out}");
    let orphan_line = "PROBLEM orphan_at_network missing_on=gateway charge=- rrn=000000009999 stan=999999 amount=777 410:";
    assert!(out.contains(orphan_line), "{orphan_line}\nnot in\n{out}");
    assert!(
        !out.contains(&rrn_of(&kept)),
        "the matched payment is not a problem: {out}"
    );

    let (ok, out) = run(&[
        "reconcile",
        "--data-dir",
        data_s,
        "--network-report",
        file_s,
        "--json",
    ]);
    assert!(!ok);
    let json_text = out.lines().next().expect("the JSON report line");
    let v: Value = serde_json::from_str(json_text).expect("JSON report");
    let problems = v["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 2, "{v}");
    let by_kind = |k: &str| problems.iter().find(|p| p["kind"] == k).cloned().unwrap();
    let m = by_kind("missing_at_network");
    assert_eq!(
        (
            &m["missing_on"],
            &m["charge"],
            &m["rrn"],
            &m["stan"],
            &m["amount"]
        ),
        (
            &Value::from("network"),
            &dropped["id"],
            &Value::from(dropped_rrn.as_str()),
            &Value::from(dropped_stan.as_str()),
            &Value::from(12_000)
        )
    );
    let o = by_kind("orphan_at_network");
    assert_eq!(
        (&o["missing_on"], &o["charge"], &o["stan"], &o["amount"]),
        (
            &Value::from("gateway"),
            &Value::Null,
            &Value::from("999999"),
            &Value::from(777)
        )
    );
}

#[test]
fn a_report_file_that_is_not_a_report_is_refused_naming_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("gw");
    let data_s = data.to_str().unwrap();
    let (ok, out) = run(&["merchant", "create", "--name", "Shop", "--data-dir", data_s]);
    assert!(ok, "{out}");
    let file = dir.path().join("report.json");
    std::fs::write(&file, r#"[{"kind": "purchase", "stan": "000001"}]"#).unwrap();
    let (ok, out) = run(&[
        "reconcile",
        "--data-dir",
        data_s,
        "--network-report",
        file.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(out.contains("not an acquirer report: record 0"), "{out}");
}
