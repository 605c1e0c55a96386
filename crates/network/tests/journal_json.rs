//! The journal's JSON shape, as the gateway's reconciliation and crash tests read it.

mod common;

use std::collections::BTreeSet;

use common::{TestSim, authorize, req};
use paygate_iso8583::Profile;
use paygate_sim_network::DEFAULT_OPEN_TO_BUY_MINOR;
use serde_json::Value;

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[tokio::test]
async fn journal_entries_have_the_documented_keys_and_integer_amounts() {
    let sim = TestSim::start(Profile::Ascii, DEFAULT_OPEN_TO_BUY_MINOR).await;
    let link = sim.link("PGJSON01").await;
    let out = authorize(&link, &req("4242424242424242", 12_345))
        .await
        .unwrap();
    let rrn = out.rrn.clone().unwrap();
    link.capture(&out.net_ref, &rrn, 10_000, 410).await.unwrap();
    link.refund(&out.net_ref, &rrn, 1_000, 410).await.unwrap();
    authorize(&link, &req("4000000000000002", 500))
        .await
        .unwrap();
    link.echo().await.unwrap();

    let json = serde_json::to_value(sim.journal()).unwrap();
    let entries = json.as_array().unwrap();
    let types: Vec<&str> = entries
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "authorization",
            "capture",
            "refund",
            "authorization",
            "echo"
        ]
    );

    let auth = &entries[0];
    let expected: BTreeSet<&str> = [
        "type",
        "mti",
        "stan",
        "transmitted_at",
        "terminal_id",
        "rrn",
        "amount",
        "currency",
        "response_code",
        "reversed",
        "captured_amount",
        "refunded_amount",
        "eci",
        "authentication",
    ]
    .into();
    assert_eq!(keys(auth), expected);
    // A card payment without 3-D Secure: no ECI, nothing to verify.
    assert_eq!(auth["eci"], serde_json::Value::Null);
    assert_eq!(auth["authentication"], "none");
    assert_eq!(auth["stan"], out.net_ref.stan.as_str());
    assert_eq!(auth["terminal_id"], "PGJSON01");
    assert_eq!(auth["rrn"], rrn.as_str());
    assert_eq!(auth["amount"], 12_345);
    assert!(
        auth["amount"].is_i64(),
        "amounts are integers in minor units"
    );
    assert_eq!(auth["currency"], "410");
    assert_eq!(auth["response_code"], "00");
    assert_eq!(auth["reversed"], false);
    assert_eq!(auth["captured_amount"], 10_000);
    assert_eq!(auth["refunded_amount"], 1_000);

    let capture = &entries[1];
    let expected: BTreeSet<&str> = [
        "type",
        "mti",
        "stan",
        "transmitted_at",
        "terminal_id",
        "rrn",
        "amount",
        "currency",
        "response_code",
        "original_stan",
        "original_transmitted_at",
        "original_found",
    ]
    .into();
    assert_eq!(keys(capture), expected);
    assert_eq!(capture["amount"], 10_000);
    assert_eq!(capture["original_stan"], out.net_ref.stan.as_str());
    assert_eq!(capture["original_found"], true);

    assert_eq!(entries[3]["response_code"], "05");
    assert_eq!(entries[3]["captured_amount"], 0);
    assert_eq!(
        keys(&entries[4]),
        ["type", "mti", "stan", "response_code"].into()
    );
}
