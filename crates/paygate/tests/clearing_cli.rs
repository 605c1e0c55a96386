//! The card network's daily clearing file as an operator uses it (docs/CLEARING.md):
//! `paygate sim network clearing` writes it from the simulator's journal, `paygate reconcile
//! --clearing FILE` finds a clean day clean, names every exception of a tampered file (table,
//! `--json`, `--csv`, exit status), and `--book-fees` books the interchange once, visible as a
//! `network_cost` balance transaction, with the ledger still verifying.

mod common;

use common::{Gateway, cli, serve_with_merchant};
use serde_json::Value;

const W: usize = 128;

fn set(line: &mut String, pos: usize, len: usize, value: &str) {
    assert_eq!(value.len(), len, "{value}");
    line.replace_range(pos - 1..pos - 1 + len, value);
}

fn num(line: &str, pos: usize, len: usize) -> i64 {
    line[pos - 1..pos - 1 + len].parse().unwrap()
}

/// Recomputes the trailer's counts and totals from the details (the documented layout).
fn retrail(lines: &mut [String]) {
    let n = lines.len();
    let details = &lines[1..n - 1];
    let of = |tc: &'static str| details.iter().filter(move |l| &l[1..3] == tc);
    let fee = |l: &String| num(l, 112, 12) * if &l[123..124] == "C" { -1 } else { 1 };
    let fees: i64 = details.iter().map(fee).sum();
    let amounts = |tc| of(tc).map(|l| num(l, 71, 12)).sum::<i64>();
    let t = format!(
        "T{:08}{:08}{:016}{:08}{:016}{:016}{}",
        details.len(),
        of("05").count(),
        amounts("05"),
        of("06").count(),
        amounts("06"),
        fees.abs(),
        if fees < 0 { "C" } else { "D" }
    );
    lines[n - 1] = format!("{t:<W$}");
}

async fn pay(gw: &Gateway, amount: &str) -> Value {
    let http = reqwest::Client::new();
    let form = [
        ("amount", amount),
        ("currency", "krw"),
        ("confirm", "true"),
        ("payment_method_data[type]", "card"),
        ("payment_method_data[card][number]", common::PAN),
        ("payment_method_data[card][exp_month]", "12"),
        ("payment_method_data[card][exp_year]", "2034"),
        ("payment_method_data[card][cvc]", "123"),
    ];
    let pi: Value = post(&http, gw, "/v1/payment_intents", &form).await;
    assert_eq!(pi["status"], "succeeded", "{pi}");
    let ch = pi["latest_charge"].as_str().unwrap();
    get(&http, gw, &format!("/v1/charges/{ch}")).await
}

async fn post(http: &reqwest::Client, gw: &Gateway, path: &str, form: &[(&str, &str)]) -> Value {
    let r = http
        .post(format!("{}{path}", gw.base))
        .bearer_auth(&gw.key)
        .form(form);
    r.send().await.unwrap().json().await.unwrap()
}

async fn get(http: &reqwest::Client, gw: &Gateway, path: &str) -> Value {
    let r = http.get(format!("{}{path}", gw.base)).bearer_auth(&gw.key);
    r.send().await.unwrap().json().await.unwrap()
}

fn stop(mut gw: Gateway) {
    let pid = gw.proc.child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert!(gw.proc.child.wait().unwrap().success());
}

fn rrn(ch: &Value) -> String {
    ch["payment_method_details"]["card"]["network_transaction_id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn utc_day(unix: i64) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap()
        .date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_day_reconciles_fees_book_once_and_each_tampering_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let gw = serve_with_merchant(dir.path(), &[]);
    let small = pay(&gw, "3000").await;
    let refunded = pay(&gw, "12000").await;
    let third = pay(&gw, "5000").await;
    let http = reqwest::Client::new();
    let charge = refunded["id"].as_str().unwrap();
    let re = post(
        &http,
        &gw,
        "/v1/refunds",
        &[("charge", charge), ("amount", "2000")],
    )
    .await;
    assert_eq!(re["status"], "succeeded", "{re}");
    let (data, key) = (gw.data.clone(), gw.key.clone());
    stop(gw);

    let day = utc_day(small["created"].as_i64().unwrap());
    let sim = format!("{data}/network-sim");
    let (ok, text) = cli(&[
        "sim",
        "network",
        "clearing",
        "--data-dir",
        &sim,
        "--date",
        &day,
    ]);
    assert!(ok, "{text}");
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert_eq!(
        lines.len(),
        6,
        "header, 3 sales, 1 credit, trailer:\n{text}"
    );
    assert!(lines.iter().all(|l| l.len() == W), "{text}");
    // Visa: 1.5 % + 10 on sales, 1.5 % back on credits: 55 + 190 + 85 − 30.
    let trailer = &lines[5];
    assert_eq!(
        (num(trailer, 2, 8), num(trailer, 58, 16), &trailer[73..74]),
        (4, 300, "D")
    );
    assert!(lines[1].contains(&rrn(&small)) && lines[1].contains("424242******4242"));
    let file = dir.path().join("clearing.txt");
    std::fs::write(&file, &text).unwrap();
    let file_s = file.to_str().unwrap();

    let (ok, out) = cli(&["reconcile", "--data-dir", &data, "--clearing", file_s]);
    assert!(ok, "{out}");
    assert!(out.contains("4 records, 4 matched, 0 exceptions"), "{out}");

    book_fees_once(dir.path(), &data, &key, file_s).await;
    tampered_files_name_each_exception(dir.path(), &data, &lines, [&small, &refunded, &third]);
}

/// `paygate serve` again on the data directory of a stopped gateway.
fn restart(dir: &std::path::Path, data: &str, key: &str) -> Gateway {
    let args = ["serve", "--data-dir", data, "--listen", "127.0.0.1:0"];
    let proc = common::spawn(&args, &[], &dir.join("gw2.log"), "paygate listening on");
    let base = proc.ready_line.rsplit(' ').next().unwrap().to_owned();
    Gateway {
        proc,
        data: data.to_owned(),
        key: key.to_owned(),
        base,
    }
}

async fn book_fees_once(dir: &std::path::Path, data: &str, key: &str, file: &str) {
    let args = [
        "reconcile",
        "--data-dir",
        data,
        "--clearing",
        file,
        "--book-fees",
        "--json",
    ];
    let (ok, out) = cli(&args);
    assert!(ok, "{out}");
    let v: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let booked = &v["fees_booked"][0];
    assert_eq!(
        (&booked["booking"], &booked["total"]["net"]),
        (&Value::from("booked"), &Value::from(300)),
        "{v}"
    );
    let (ok, out) = cli(&args);
    assert!(ok, "{out}");
    assert!(out.contains(r#""booking":"already_booked""#), "{out}");
    let (ok, out) = cli(&["ledger", "verify", "--data-dir", data]);
    assert!(ok, "{out}");

    let gw = restart(dir, data, key);
    let http = reqwest::Client::new();
    let list = get(&http, &gw, "/v1/balance_transactions?limit=100").await;
    let costs: Vec<&Value> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == "network_cost")
        .collect();
    assert_eq!(costs.len(), 1, "booked once: {list}");
    assert_eq!(
        (&costs[0]["amount"], &costs[0]["net"]),
        (&Value::from(-300), &Value::from(-300))
    );
    stop(gw);
}

fn tampered_files_name_each_exception(
    dir: &std::path::Path,
    data: &str,
    clean: &[String],
    [small, refunded, third]: [&Value; 3],
) {
    let mut lines = clean.to_vec();
    // Line 2 (small): 3000 presented as 3100, and its authorization dated ten days back.
    set(&mut lines[1], 71, 12, "000000003100");
    set(&mut lines[1], 86, 8, "20000101");
    // Line 3 (refunded): presented twice.
    lines.insert(3, clean[2].clone());
    // The credit (refunded's refund): gone. Line 4 (third): under an RRN nobody has.
    let credit = lines.iter().position(|l| &l[1..3] == "06").unwrap();
    lines.remove(credit);
    let third_line = lines.iter().position(|l| l.contains(&rrn(third))).unwrap();
    set(&mut lines[third_line], 4, 12, "999999999999");
    // A copy of small's sale for another merchant's acceptor id.
    let mut foreign = clean[1].clone();
    set(&mut foreign, 94, 15, "acct_someoneels");
    lines.insert(lines.len() - 1, foreign);
    retrail(&mut lines);
    let file = dir.join("tampered.txt");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let csv = dir.join("exceptions.csv");
    let (ok, out) = cli(&[
        "reconcile",
        "--data-dir",
        data,
        "--clearing",
        file.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert!(!ok, "exceptions exit non-zero: {out}");
    let row = |kind: &str, who: &Value| {
        out.lines()
            .any(|l| l.starts_with(kind) && l.contains(who["id"].as_str().unwrap()))
    };
    assert!(row("amount_mismatch", small), "{out}");
    assert!(row("late_presentment", small), "{out}");
    assert!(row("duplicate_presentment", refunded), "{out}");
    assert!(
        row("missing_at_network", refunded),
        "the refund was not credited: {out}"
    );
    assert!(row("missing_at_network", third), "{out}");
    let foreign_rows = out
        .lines()
        .filter(|l| l.starts_with("missing_at_paygate"))
        .count();
    assert_eq!(
        foreign_rows, 2,
        "the unknown RRN and the other merchant's record: {out}"
    );
    assert!(
        out.contains("999999999999") && out.contains("another merchant"),
        "{out}"
    );
    let csv = std::fs::read_to_string(&csv).unwrap();
    assert!(csv.starts_with("kind,line,rrn,merchant,charge,refund,amount,currency,detail\n"));
    assert_eq!(csv.lines().count(), 1 + 7, "{csv}");

    // A trailer that disagrees with the details is refused, naming line and field.
    let mut broken = clean.to_vec();
    set(&mut broken[5], 2, 8, "00000009");
    let file = dir.join("broken.txt");
    std::fs::write(&file, broken.join("\n")).unwrap();
    let (ok, out) = cli(&[
        "reconcile",
        "--data-dir",
        data,
        "--clearing",
        file.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(
        out.contains("line 6: detail count is 9, the details give 4"),
        "{out}"
    );
}
