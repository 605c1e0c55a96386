//! OpenTelemetry traces and JSON logs of `paygate serve`, checked against an OTLP/HTTP JSON
//! receiver in the test: one trace per payment with its HTTP, engine, store and ISO 8583 spans,
//! the trace id of the response's `traceparent` header, a caller's trace continued, the ids in
//! every log line, no card number anywhere; and payments unaffected by a collector that is down
//! (its dropped spans counted on `/metrics`). Sampling and https: `otlp_sampling_tls`.

mod common;

use common::otlp_receiver::{Receiver, metric, pay_traced};
use common::*;
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A card payment (optionally in the caller's trace): the intent and the response's
/// `traceparent` split into (trace id, span id).
async fn pay(gw: &Gateway, traceparent: Option<&str>) -> (Value, (String, String)) {
    pay_with(gw, traceparent, pay_form()).await
}

/// The frictionless 3-D Secure test card (docs/THREE_DS.md), authenticated whenever enrolled.
const THREE_DS_CARD: &str = "4000000000003055";

async fn pay_with(
    gw: &Gateway,
    traceparent: Option<&str>,
    form: String,
) -> (Value, (String, String)) {
    let (pi, tp) = pay_traced(gw, traceparent, form).await;
    assert_eq!(tp.flags, "01", "sampled: every trace is, by default");
    (pi, (tp.trace, tp.span))
}

fn by_name<'a>(spans: &'a [Value], name: &str) -> Vec<&'a Value> {
    spans.iter().filter(|s| s["name"] == name).collect()
}

fn attr<'a>(span: &'a Value, key: &str) -> &'a Value {
    span["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == key)
        .map_or(&Value::Null, |a| &a["value"])
}

/// The names of the spans from `span` up to the root of its trace.
fn ancestry(spans: &[Value], span: &Value) -> Vec<String> {
    let ids: HashMap<&str, &Value> = spans
        .iter()
        .map(|s| (s["spanId"].as_str().unwrap(), s))
        .collect();
    let mut names = Vec::new();
    let mut at = span;
    while let Some(parent) = at["parentSpanId"].as_str() {
        let Some(p) = ids.get(parent) else { break };
        names.push(p["name"].as_str().unwrap().to_owned());
        at = p;
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_is_one_trace_of_http_engine_store_and_network_spans() {
    let receiver = Receiver::start();
    let dir = tempfile::tempdir().unwrap();
    let gw = serve_with_merchant(
        dir.path(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url.as_str()),
            ("OTEL_SERVICE_NAME", "paygate-test"),
            ("PAYGATE_LOG_FORMAT", "json"),
            ("PAYGATE_LOG", "info"),
        ],
    );
    let (pi, (trace, http_span)) = pay(&gw, None).await;
    let pi_id = pi["id"].as_str().unwrap();
    let names = [
        "http.request",
        "payment",
        "engine.record",
        "engine.call",
        "engine.settle",
        "engine.commit_outcome",
        "store.commit",
        "iso8583.exchange",
    ];
    let spans = receiver.trace(&trace, &names);

    assert_payment_trace(&spans, &http_span, pi_id);

    // A caller's traceparent is continued: same trace, our request span its child.
    let caller_trace = "0af7651916cd43dd8448eb211c80319c";
    let caller_span = "b7ad6b7169203331";
    let (_, (trace2, _)) = pay(&gw, Some(&format!("00-{caller_trace}-{caller_span}-01"))).await;
    assert_eq!(trace2, caller_trace);
    let continued = receiver.trace(caller_trace, &names);
    let http2 = by_name(&continued, "http.request")[0];
    assert_eq!(http2["parentSpanId"], caller_span);

    // A frictionless 3-D Secure payment: the DS round trips are in the payment's trace too.
    let form = pay_form().replace(PAN, THREE_DS_CARD)
        + "&payment_method_options[card][request_three_d_secure]=any"
        + "&return_url=https%3A%2F%2Fshop.example%2Fdone";
    let (_, (trace3, _)) = pay_with(&gw, None, form).await;
    let with_3ds = receiver.trace(&trace3, &["three_ds.request", "iso8583.exchange"]);
    let areq = by_name(&with_3ds, "three_ds.request")[0];
    assert_eq!(areq["kind"], 3);
    assert_eq!(
        ancestry(&with_3ds, areq).last().map(String::as_str),
        Some("http.request")
    );

    // The logs: JSON lines naming the request's trace, request, merchant and payment.
    drop(gw.proc);
    let log = std::fs::read_to_string(dir.path().join("gw.log")).unwrap();
    assert_access_line(&log, &trace, pi_id);

    // No card number in what was exported nor logged.
    let exported = receiver.bodies.lock().unwrap().concat();
    assert!(
        !exported.contains(PAN),
        "a card number in the exported spans"
    );
    assert!(
        !exported.contains("cvc"),
        "a CVC field in the exported spans"
    );
    assert!(!log.contains(PAN), "a card number in the log");
    assert!(!log.contains(THREE_DS_CARD), "a card number in the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_succeed_while_the_collector_is_down() {
    // A port nothing listens on: every export fails.
    let down = format!("http://127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir().unwrap();
    let gw = serve_with_merchant(
        dir.path(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", down.as_str()),
            ("PAYGATE_LOG_FORMAT", "json"),
            ("PAYGATE_LOG", "info"),
        ],
    );
    for _ in 0..5 {
        pay(&gw, None).await;
    }
    // The exporter says it dropped spans (its first report is at once).
    let log_path = dir.path().join("gw.log");
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let log = std::fs::read_to_string(&log_path).unwrap();
        let report = log
            .lines()
            .find(|l| l.contains("OTLP export: spans dropped"));
        if let Some(line) = report {
            let v: Value = serde_json::from_str(line).unwrap();
            let logged = v["dropped_spans"].as_u64().unwrap();
            assert!(logged > 0, "{v}");
            assert_eq!(v["level"], "WARN");
            // And on /metrics, by reason: the collector did not take them.
            let metrics = printed(&gw.proc, "metrics on");
            let dropped = "paygate_otlp_spans_dropped_total";
            let failed = metric(&metrics, dropped, r#"{reason="export_failed"}"#).await;
            assert!(failed >= logged as f64, "{failed} < {logged}");
            let exported = "paygate_otlp_spans_exported_total";
            assert_eq!(metric(&metrics, exported, "").await, 0.0);
            break;
        }
        assert!(Instant::now() < until, "no drop report in {log}");
        std::thread::sleep(Duration::from_millis(100));
    }
    pay(&gw, None).await;
}

/// The payment's trace: one root, the request's span (the id the response named), every other
/// span under it; the engine's phases, the ISO 8583 round trip and the store commits in place.
fn assert_payment_trace(spans: &[Value], http_span: &str, pi_id: &str) {
    // One root, the request's span, whose id the response named; every other span's parent
    // is in the trace.
    let roots: Vec<&Value> = spans
        .iter()
        .filter(|s| s["parentSpanId"].is_null())
        .collect();
    assert_eq!(roots.len(), 1, "{spans:#?}");
    let http = roots[0];
    assert_eq!(
        (&http["name"], &http["spanId"], &http["kind"]),
        (&"http.request".into(), &http_span.into(), &2.into())
    );
    assert_eq!(attr(http, "http.response.status_code")["intValue"], "200");
    assert_eq!(attr(http, "payment_intent")["stringValue"], pi_id);
    assert!(
        attr(http, "merchant")["stringValue"]
            .as_str()
            .unwrap()
            .starts_with("acct_")
    );
    for s in spans {
        let root = ancestry(spans, s).last().cloned();
        if s != http {
            assert_eq!(root.as_deref(), Some("http.request"), "{s}");
        }
        let (start, end) = (
            s["startTimeUnixNano"].as_str().unwrap(),
            s["endTimeUnixNano"].as_str().unwrap(),
        );
        assert!(
            start.parse::<u64>().unwrap() <= end.parse::<u64>().unwrap(),
            "{s}"
        );
    }
    let payment = by_name(spans, "payment")[0];
    assert_eq!(attr(payment, "payment_intent")["stringValue"], pi_id);
    assert_eq!(attr(payment, "operation")["stringValue"], "authorizing");
    let exchange = by_name(spans, "iso8583.exchange")[0];
    assert_eq!(exchange["kind"], 3);
    assert_eq!(
        ancestry(spans, exchange)[..3],
        ["engine.call", "payment", "http.request"]
    );
    let mti = attr(exchange, "iso8583.mti")["stringValue"]
        .as_str()
        .unwrap();
    assert!(["0100", "0200"].contains(&mti), "{exchange}");
    assert_eq!(attr(exchange, "iso8583.response_code")["stringValue"], "00");
    assert_eq!(
        attr(exchange, "iso8583.amount")["stringValue"],
        "000000012000"
    );
    let commits: Vec<Vec<String>> = by_name(spans, "store.commit")
        .into_iter()
        .map(|s| ancestry(spans, s))
        .collect();
    for phase in ["engine.record", "engine.commit_outcome"] {
        assert!(
            commits.iter().any(|a| a[0] == phase),
            "no commit under {phase}: {commits:?}"
        );
    }
}

/// The request's access line in the JSON logs names its trace, request, merchant and payment.
fn assert_access_line(log: &str, trace: &str, pi_id: &str) {
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let access = lines
        .iter()
        .find(|v| v["target"] == "paygate::access" && v["trace_id"] == trace)
        .unwrap_or_else(|| panic!("no access line of trace {trace} in {log}"));
    assert_eq!(access["payment_intent"], pi_id, "{access}");
    assert!(
        access["request_id"].as_str().unwrap().starts_with("req_"),
        "{access}"
    );
    assert!(
        access["merchant"].as_str().unwrap().starts_with("acct_"),
        "{access}"
    );
}
