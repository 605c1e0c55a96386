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
//! `serde_json`, hyper with rustls). OTLP/HTTP JSON is a stable part of the OTLP specification that
//! every collector (OpenTelemetry Collector, Jaeger, Tempo, …) accepts.
//!
//! The payment path never waits for the exporter: a finished span goes into a bounded queue
//! with `try_send`; when the queue is full (the collector is down or slow) the span is dropped
//! and counted (`paygate_otlp_spans_dropped_total` on `/metrics`), and the count is logged.
//! Sampling is decided at the head of each trace (`paygate_gateway::trace_context::sampled`:
//! a caller's flag, else the trace-id ratio of [`OtlpArgs::sample_ratio`]); a trace left out
//! is never queued. With no endpoint configured the layer is not installed
//! and the engine's spans (DEBUG level) are disabled at their call sites.

pub mod client;
pub mod encode;
pub mod export;
pub mod layer;

use clap::Args;
use std::path::PathBuf;

/// The tracing flags of `paygate serve`.
#[derive(Args, Clone, Debug, Default)]
pub struct OtlpArgs {
    /// OTLP/HTTP collector base URL, http:// or https:// (e.g. http://127.0.0.1:4318); spans
    /// are POSTed as JSON to `<endpoint>/v1/traces`. Off when unset.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// PEM file of the CA(s) an https collector's certificate must chain to (default: the
    /// Mozilla roots).
    #[arg(long, env = "OTEL_EXPORTER_OTLP_CERTIFICATE")]
    pub otlp_certificate: Option<PathBuf>,
    /// `service.name` of the exported spans.
    #[arg(long, env = "OTEL_SERVICE_NAME", default_value = "paygate")]
    pub otel_service_name: String,
    /// Ratio of traces sampled (0.0 to 1.0) that no caller's `traceparent` decided; a caller's
    /// sampled flag is followed. Overrides OTEL_TRACES_SAMPLER. Default 1.0.
    #[arg(long)]
    pub otlp_sample_ratio: Option<f64>,
    /// The standard sampler variable: parentbased_traceidratio (with OTEL_TRACES_SAMPLER_ARG),
    /// parentbased_always_on, parentbased_always_off.
    #[arg(long, env = "OTEL_TRACES_SAMPLER", hide = true)]
    pub otel_traces_sampler: Option<String>,
    /// The ratio of parentbased_traceidratio (default 1.0).
    #[arg(long, env = "OTEL_TRACES_SAMPLER_ARG", hide = true)]
    pub otel_traces_sampler_arg: Option<String>,
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
        let traces_url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
        let collector = client::Collector::new(&traces_url, self.otlp_certificate.as_deref())?;
        Ok(Some(export::Settings {
            collector,
            service_name: self.otel_service_name.clone(),
        }))
    }

    /// The ratio of root traces sampled: `--otlp-sample-ratio`, else `OTEL_TRACES_SAMPLER`
    /// (parent-based samplers only: a caller's decision is always followed), else 1.0.
    pub fn sample_ratio(&self) -> Result<f64, String> {
        let ratio = match (self.otlp_sample_ratio, self.otel_traces_sampler.as_deref()) {
            (Some(r), _) => r,
            (None, None) => 1.0,
            (None, Some(s)) => match s.trim() {
                "" | "parentbased_always_on" => 1.0,
                "parentbased_always_off" => 0.0,
                "parentbased_traceidratio" => match self.otel_traces_sampler_arg.as_deref() {
                    None => 1.0,
                    Some(a) => a.trim().parse().map_err(|_| {
                        format!("OTEL_TRACES_SAMPLER_ARG {a:?} must be a number from 0 to 1")
                    })?,
                },
                other => {
                    return Err(format!(
                        "OTEL_TRACES_SAMPLER {other:?} is not supported: use \
                         parentbased_traceidratio, parentbased_always_on or parentbased_always_off"
                    ));
                }
            },
        };
        if !(0.0..=1.0).contains(&ratio) {
            return Err(format!(
                "--otlp-sample-ratio {ratio} must be from 0 to 1 (the share of traces sampled)"
            ));
        }
        Ok(ratio)
    }
}
