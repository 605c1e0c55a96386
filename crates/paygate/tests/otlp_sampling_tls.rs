//! The trace exporter's sampling and https, against OTLP receivers in the test: a ratio of 0
//! exports no trace of its own yet answers every request with a `traceparent` (flag `00`), and
//! follows a caller's sampled flag either way; an https collector whose certificate chains to
//! `OTEL_EXPORTER_OTLP_CERTIFICATE` gets the spans, one that does not (Mozilla's roots only)
//! gets none, and `/metrics` counts both.

mod common;

use common::otlp_receiver::{Receiver, metric, pay_traced};
use common::*;
use std::time::{Duration, Instant};

const EXPORTED: &str = "paygate_otlp_spans_exported_total";
const FAILED: (&str, &str) = (
    "paygate_otlp_spans_dropped_total",
    r#"{reason="export_failed"}"#,
);

/// Reads the metric until it is at least `min` (the exporter posts every 0.5 s).
async fn metric_reaches(metrics: &str, (name, labels): (&str, &str), min: f64) -> f64 {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let v = metric(metrics, name, labels).await;
        if v >= min {
            return v;
        }
        assert!(Instant::now() < until, "{name}{labels} stays at {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratio_zero_exports_no_trace_of_its_own_but_follows_a_sampled_caller() {
    let receiver = Receiver::start();
    let dir = tempfile::tempdir().unwrap();
    let gw = serve_with_merchant(
        dir.path(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url.as_str()),
            ("OTEL_SERVICE_NAME", "paygate-test"),
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0"),
        ],
    );
    // A trace of its own: not sampled, and the response says so.
    let (_, own) = pay_traced(&gw, None, pay_form()).await;
    assert_eq!(own.flags, "00");
    // A caller that did not sample: the same.
    let unsampled = "00-1bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    let (_, theirs) = pay_traced(&gw, Some(unsampled), pay_form()).await;
    assert_eq!(
        (theirs.trace.as_str(), theirs.flags.as_str()),
        ("1bf92f3577b34da6a3ce929d0e0e4736", "00")
    );
    // A caller that sampled: followed, whatever the ratio.
    let sampled = "00-2bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let (_, followed) = pay_traced(&gw, Some(sampled), pay_form()).await;
    assert_eq!(followed.flags, "01");
    let spans = receiver.trace(&followed.trace, &["http.request", "payment"]);
    assert!(spans.len() >= 2);

    // Spans are queued in the order they end: the earlier payments' would be there by now.
    let traces: Vec<String> = receiver
        .spans()
        .iter()
        .map(|s| s["traceId"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        traces.iter().all(|t| *t == followed.trace),
        "only the sampled caller's trace is exported: {traces:?}"
    );
    let metrics = printed(&gw.proc, "metrics on");
    let exported = metric_reaches(&metrics, (EXPORTED, ""), traces.len() as f64).await;
    assert_eq!(
        exported,
        traces.len() as f64,
        "unsampled spans are not counted"
    );
    assert_eq!(metric(&metrics, FAILED.0, FAILED.1).await, 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_collector_gets_the_spans_when_its_ca_is_configured() {
    let pki = tempfile::tempdir().unwrap();
    let ca = certs::ca(pki.path(), "otlp-ca");
    let (cert, key) = certs::issue(pki.path(), "otlp-ca", "collector", true);
    let receiver = Receiver::start_tls(&cert, &key);
    assert!(receiver.url.starts_with("https://"));

    let dir = tempfile::tempdir().unwrap();
    let gw = serve_with_merchant(
        dir.path(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url.as_str()),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.to_str().unwrap()),
            ("OTEL_SERVICE_NAME", "paygate-test"),
        ],
    );
    let (_, t) = pay_traced(&gw, None, pay_form()).await;
    assert_eq!(t.flags, "01");
    let spans = receiver.trace(&t.trace, &["http.request", "payment", "iso8583.exchange"]);
    let metrics = printed(&gw.proc, "metrics on");
    metric_reaches(&metrics, (EXPORTED, ""), spans.len() as f64).await;
    assert_eq!(metric(&metrics, FAILED.0, FAILED.1).await, 0.0);

    // Without the CA, the collector's certificate is not trusted: nothing reaches it, and the
    // batch counts as dropped.
    let before = receiver.bodies.lock().unwrap().len();
    let dir2 = tempfile::tempdir().unwrap();
    let untrusting = serve_with_merchant(
        dir2.path(),
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url.as_str())],
    );
    pay_traced(&untrusting, None, pay_form()).await;
    let metrics = printed(&untrusting.proc, "metrics on");
    metric_reaches(&metrics, FAILED, 1.0).await;
    assert_eq!(metric(&metrics, EXPORTED, "").await, 0.0);
    assert_eq!(receiver.bodies.lock().unwrap().len(), before);
}
