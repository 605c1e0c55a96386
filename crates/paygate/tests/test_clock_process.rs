//! The test clock across processes: `paygate serve --test-clock` (with its in-process card
//! network) and a separate `paygate sim sms --test-clock` are pushed to one time through the
//! harness helper; objects, journals and messages made afterwards carry the new time, and
//! neither clock goes back.

mod common;

use common::test_clock::{advance_everything_to, advance_gateway, advance_sim, gateway_clock};
use common::*;
use serde_json::Value;

const DAY: i64 = 86_400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_advance_moves_the_gateway_its_in_process_network_and_a_separate_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let sms_dir = dir.path().join("sms");
    let sms = spawn(
        &[
            "sim",
            "sms",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            sms_dir.to_str().unwrap(),
            "--admin-listen",
            "127.0.0.1:0",
            "--test-clock",
        ],
        &[],
        &dir.path().join("sms.log"),
        "admin listening on",
    );
    let sms_url = format!("http://{}", printed(&sms, "listening on"));
    let sms_admin = format!("http://{}", printed(&sms, "admin listening on"));
    let gw = serve_with_merchant(
        dir.path(),
        &[("PAYGATE_TEST_CLOCK", "1"), ("PAYGATE_SMS_URL", &sms_url)],
    );
    let (status, before) = gateway_clock(&gw.base, &gw.key).await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["object"], "test_clock");
    assert_eq!(before["offset_seconds"], 0, "{before}");

    // 40 days ahead, at a whole minute: gateway and simulator together.
    let target = (before["now"].as_i64().unwrap() + 40 * DAY) / 60 * 60 + 60;
    let views = advance_everything_to(&gw.base, &gw.key, &[&sms_admin], target).await;
    for v in &views {
        let now = v["now"].as_i64().unwrap();
        assert!((target..target + 30).contains(&now), "{v}");
        assert!(v["offset_seconds"].as_i64().unwrap() > 39 * DAY, "{v}");
    }

    // A payment made now is dated after the advance, at the gateway and at the in-process
    // card network (same offset).
    let (s, pi) = post(&gw.base, &gw.key, "after-advance-1", pay_form())
        .await
        .unwrap();
    assert_eq!(s, 200, "{pi}");
    assert_eq!(pi["status"], "succeeded", "{pi}");
    assert!(pi["created"].as_i64().unwrap() >= target, "{pi}");
    let report = network_report(&format!("{}/network-sim", gw.data));
    let recorded = report
        .iter()
        .find(|r| r["amount"] == 12000 && r["response_code"] == "00")
        .unwrap_or_else(|| panic!("no authorization in {report:?}"));
    assert!(
        recorded["recorded_at_ms"].as_i64().unwrap() >= target * 1000,
        "{recorded}"
    );

    // A message the separate simulator receives now is dated after the advance too.
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{sms_url}/v1/messages"))
        .json(&serde_json::json!({"phone": "01012345678", "body": "hello", "sender": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let inbox: Value = client
        .get(format!("{sms_url}/v1/messages?phone=01012345678"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        inbox["data"][0]["created_ms"].as_i64().unwrap() >= target * 1000,
        "{inbox}"
    );

    // Neither clock goes back; the refusals name the field.
    let back = format!("to={}", target - DAY);
    let (s, e) = advance_gateway(&gw.base, &gw.key, &back).await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["code"], "parameter_invalid", "{e}");
    assert_eq!(e["error"]["param"], "to", "{e}");
    let (s, e) = advance_sim(&sms_admin, &back).await;
    assert_eq!(s, 400, "{e}");
    assert!(e["error"].as_str().unwrap().starts_with("to:"), "{e}");
    let (s, e) = advance_sim(&sms_admin, "seconds=-5").await;
    assert_eq!(s, 400, "{e}");
    assert!(e["error"].as_str().unwrap().starts_with("seconds:"), "{e}");
    let (_, after) = gateway_clock(&gw.base, &gw.key).await;
    assert!(after["now"].as_i64().unwrap() >= target, "{after}");
    let sim_clock: Value = client
        .get(format!("{sms_admin}/clock"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(sim_clock["now"].as_i64().unwrap() >= target, "{sim_clock}");
}

/// `paygate sim network report --json` of the simulator whose data directory is `dir`.
fn network_report(dir: &str) -> Vec<Value> {
    let (ok, out) = cli(&["sim", "network", "report", "--data-dir", dir, "--json"]);
    assert!(ok, "{out}");
    serde_json::from_str::<Value>(&out)
        .unwrap_or_else(|e| panic!("report JSON: {e}: {out}"))
        .as_array()
        .cloned()
        .unwrap_or_default()
}
