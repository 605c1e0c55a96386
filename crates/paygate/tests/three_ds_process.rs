//! 3-D Secure with every party in its own process (`paygate sim network`, `paygate sim 3ds`,
//! `paygate serve`): a gateway SIGKILLed after the payer authenticated and before the
//! authorization's outcome was stored ends in exactly one outcome after its restart.

mod common;

use common::*;
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

const CARD: &str = "4000000000003220";

/// A form of a page: action and hidden fields.
struct Form {
    action: String,
    hidden: Vec<(String, String)>,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    let end = tag[at..].find('"')? + at;
    Some(
        tag[at..end]
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&"),
    )
}

fn read_form(page: &str) -> Form {
    let start = page
        .find("<form")
        .unwrap_or_else(|| panic!("a form in {page}"));
    let form = &page[start..];
    let form = &form[..form.find("</form>").unwrap_or(form.len())];
    let mut hidden = Vec::new();
    for input in form.split("<input").skip(1) {
        let tag = &input[..input.find('>').unwrap()];
        if attr(tag, "type").as_deref() == Some("hidden") {
            hidden.push((
                attr(tag, "name").unwrap(),
                attr(tag, "value").unwrap_or_default(),
            ));
        }
    }
    Form {
        action: attr(form, "action").unwrap(),
        hidden,
    }
}

async fn submit(b: &reqwest::Client, f: &Form, extra: &[(&str, &str)]) -> (u16, String) {
    let body = {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &f.hidden {
            s.append_pair(k, v);
        }
        for (k, v) in extra {
            s.append_pair(k, v);
        }
        s.finish()
    };
    let r = b
        .post(&f.action)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("form post");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

async fn get_pi(base: &str, key: &str, id: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{base}/v1/payment_intents/{id}"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The two simulators, each in its own process, sharing a CAVV key file.
struct Simulators {
    _network: Proc,
    _three_ds: Proc,
    network_addr: String,
    network_dir: String,
    three_ds_url: String,
}

fn start_simulators(dir: &std::path::Path) -> Simulators {
    let key_file = dir.join("cavv.key");
    std::fs::write(&key_file, format!("{}\n", "3c".repeat(32))).unwrap();
    let key_s = key_file.to_str().unwrap().to_string();
    let network_dir = dir.join("sim").to_str().unwrap().to_string();
    let tds_dir = dir.join("3ds").to_str().unwrap().to_string();
    let network_addr = format!("127.0.0.1:{}", free_port());
    let network = spawn(
        &[
            "sim",
            "network",
            "--listen",
            &network_addr,
            "--data-dir",
            &network_dir,
            "--cavv-key-file",
            &key_s,
        ],
        &[],
        &dir.join("sim.log"),
        "listening on",
    );
    let tds_addr = format!("127.0.0.1:{}", free_port());
    let three_ds = spawn(
        &[
            "sim",
            "3ds",
            "--listen",
            &tds_addr,
            "--data-dir",
            &tds_dir,
            "--cavv-key-file",
            &key_s,
        ],
        &[],
        &dir.join("3ds.log"),
        "listening on",
    );
    Simulators {
        _network: network,
        _three_ds: three_ds,
        network_addr,
        network_dir,
        three_ds_url: format!("http://{tds_addr}"),
    }
}

/// Like the payer's browser: the hand-off to the ACS, the password; returns the CRes form.
async fn authenticate(b: &reqwest::Client, pi: &Value) -> Form {
    let url = pi["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .unwrap();
    let page = b.get(url).send().await.unwrap().text().await.unwrap();
    let (_, page) = submit(b, &read_form(&page), &[]).await;
    let (_, page) = submit(
        b,
        &read_form(&page),
        &[("password", "1234"), ("action", "submit")],
    )
    .await;
    assert!(page.contains("cres-form"), "{page}");
    read_form(&page)
}

/// Waits until the network simulator approved an authorization.
async fn wait_for_approval(sim_dir: &str) {
    let t0 = Instant::now();
    while !journal(sim_dir)
        .iter()
        .any(|e| e["type"] == "authorization" && e["response_code"] == "00")
    {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no authorization reached the network"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the authorization is reversed and the intent back to
/// `requires_payment_method` with a `processing_error`.
async fn wait_recovered(base: &str, key: &str, id: &str, sim_dir: &str) {
    let t0 = Instant::now();
    loop {
        let pi = get_pi(base, key, id).await;
        let reversed = journal(sim_dir)
            .iter()
            .any(|e| e["type"] == "authorization" && e["reversed"] == true);
        if reversed && pi["status"] == "requires_payment_method" {
            assert_eq!(pi["last_payment_error"]["code"], "processing_error", "{pi}");
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "not recovered: {pi}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_after_the_challenge_ends_in_one_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let sims = start_simulators(dir.path());
    let data_s = dir.path().join("gw").to_str().unwrap().to_string();
    let sim_s = sims.network_dir.clone();
    let (_, key) = merchant(&data_s);
    let listen = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{listen}");
    let gw_args = [
        "serve",
        "--data-dir",
        &data_s,
        "--listen",
        &listen,
        "--metrics-listen",
        "127.0.0.1:0",
        "--network-addr",
        &sims.network_addr,
        "--three-ds-url",
        &sims.three_ds_url,
    ];
    let gw = spawn(
        &gw_args,
        &[("PAYGATE_FAULT_DELAY_AFTER_AUTH_MS", "30000")],
        &dir.path().join("gw1.log"),
        "listening on",
    );
    let body = pay_form().replace(PAN, CARD) + "&return_url=https%3A%2F%2Fshop.example%2Fdone";
    let (status, pi) = post(&base, &key, "3ds-crash-1", body).await.unwrap();
    assert_eq!(status, 200, "{pi}");
    assert_eq!(pi["status"], "requires_action", "{pi}");
    let id = pi["id"].as_str().unwrap().to_string();

    let b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cres = authenticate(&b, &pi).await;
    let back = tokio::spawn({
        let b = b.clone();
        async move { submit(&b, &cres, &[]).await }
    });
    // The network approved the authorization; the gateway dies before storing it.
    wait_for_approval(&sim_s).await;
    let auth = journal(&sim_s)
        .into_iter()
        .find(|e| e["type"] == "authorization")
        .unwrap();
    assert_eq!(auth["authentication"], "verified", "{auth}");
    let killed = Command::new("kill")
        .args(["-KILL", &gw.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    drop(gw);
    let _ = back.await;

    // Restarted: recovery reverses the authorization; the intent can be paid again.
    let _gw2 = spawn(&gw_args, &[], &dir.path().join("gw2.log"), "listening on");
    wait_recovered(&base, &key, &id, &sim_s).await;
    let standing = journal(&sim_s)
        .iter()
        .filter(|e| {
            e["type"] == "authorization" && e["response_code"] == "00" && e["reversed"] == false
        })
        .count();
    assert_eq!(standing, 0, "no charge stands");
    let (ok, out) = cli(&["ledger", "verify", "--data-dir", &data_s]);
    assert!(ok, "{out}");
}
