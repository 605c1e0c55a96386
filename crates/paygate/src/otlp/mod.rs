//! OpenTelemetry traces over OTLP/HTTP with JSON encoding (`POST {endpoint}/v1/traces`,
//! `Content-Type: application/json`), off unless `--otlp-endpoint` or the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` names a collector.
//!
//! The process's `tracing` spans are the trace: `http.request` (the API request, continuing a
//! caller's W3C `traceparent`), `payment` and `engine.<phase>` (the payment engine), `store.commit`
//! (each group-committed write), and one span per counterparty round trip (`iso8583.exchange`,
//! `three_ds.request`, `bank.request`, `carrier.request`, `http.client`). [`layer::OtlpLayer`]
//! records the spans of paygate's crates, [`export`] batches them on a thread of its own and
//! posts them.
//!
//! Written by hand rather than with `opentelemetry` + `opentelemetry_sdk` +
//! `opentelemetry-otlp` + `tracing-opentelemetry`: those pull in tonic/prost (or an HTTP stack
//! and protobuf code of their own) and several minutes of build on the project's CI machine, for
//! what is here a few hundred lines on dependencies paygate already has (`tracing-subscriber`,
//! `serde_json`, `reqwest`). OTLP/HTTP JSON is a stable part of the OTLP specification that
//! every collector (OpenTelemetry Collector, Jaeger, Tempo, …) accepts.
//!
//! The payment path never waits for the exporter: a finished span goes into a bounded queue
//! with `try_send`; when the queue is full (the collector is down or slow) the span is dropped
//! and counted, and the count is logged. With no endpoint configured the layer is not installed
//! and the engine's spans (DEBUG level) are disabled at their call sites.

pub mod encode;
pub mod export;
pub mod layer;

use clap::Args;

/// The tracing flags of `paygate serve`.
#[derive(Args, Clone, Debug, Default)]
pub struct OtlpArgs {
    /// OTLP/HTTP collector base URL, plain http (e.g. http://127.0.0.1:4318); spans are POSTed
    /// as JSON to `<endpoint>/v1/traces`. Off when unset.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// `service.name` of the exported spans.
    #[arg(long, env = "OTEL_SERVICE_NAME", default_value = "paygate")]
    pub otel_service_name: String,
}

impl OtlpArgs {
    /// The exporter's settings, or `None` when no endpoint is configured (an empty value
    /// counts as unset, as the OpenTelemetry specification asks).
    pub fn settings(&self) -> Result<Option<export::Settings>, String> {
        let Some(endpoint) = self
            .otlp_endpoint
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        else {
            return Ok(None);
        };
        // Plain HTTP: the collector is the node's agent or the pod's sidecar, which forwards
        // over TLS (paygate's HTTP client is built without a TLS stack).
        if !endpoint.starts_with("http://") {
            return Err(format!(
                "--otlp-endpoint {endpoint:?} must be an http:// URL (a local collector)"
            ));
        }
        Ok(Some(export::Settings {
            traces_url: format!("{}/v1/traces", endpoint.trim_end_matches('/')),
            service_name: self.otel_service_name.clone(),
        }))
    }
}
