//! A batch of spans as an OTLP `ExportTraceServiceRequest` in the protobuf JSON mapping of the
//! OTLP/HTTP specification: ids in lowercase hex, 64-bit integers as decimal strings, enums as
//! numbers. Every string attribute passes the card-number mask (`paygate_vault::redact`): the
//! spans carry no card field, and a card number a client put in a URL path is masked as it is
//! in the logs.

use super::layer::{AttrValue, FinishedSpan};
use serde_json::{Value, json};

/// OTLP `Span.SpanKind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanKind {
    Internal = 1,
    Server = 2,
    Client = 3,
}

/// The kind of a span, by name: the API request is the server side, a counterparty round trip
/// the client side, the rest internal.
pub fn kind_of(name: &str) -> SpanKind {
    const CLIENT: [&str; 5] = [
        "iso8583.exchange",
        "three_ds.request",
        "bank.request",
        "carrier.request",
        "http.client",
    ];
    match name {
        "http.request" => SpanKind::Server,
        n if CLIENT.contains(&n) => SpanKind::Client,
        _ => SpanKind::Internal,
    }
}

/// OTLP `Status.StatusCode` ERROR.
const STATUS_ERROR: u8 = 2;

/// The request body for `spans`, from service `service_name`.
pub fn request_body(service_name: &str, spans: &[FinishedSpan]) -> Value {
    let spans: Vec<Value> = spans.iter().map(span).collect();
    json!({
        "resourceSpans": [{
            "resource": {"attributes": [attribute("service.name", &AttrValue::Str(service_name.to_string()))]},
            "scopeSpans": [{
                "scope": {"name": "paygate", "version": env!("CARGO_PKG_VERSION")},
                "spans": spans,
            }],
        }],
    })
}

fn span(s: &FinishedSpan) -> Value {
    let mut v = json!({
        "traceId": s.trace_id.to_string(),
        "spanId": s.span_id.to_string(),
        "name": s.name,
        "kind": kind_of(s.name) as u8,
        "startTimeUnixNano": s.start_ns.to_string(),
        "endTimeUnixNano": s.end_ns.to_string(),
        "attributes": s.attributes.iter().map(|(k, a)| attribute(k, a)).collect::<Vec<_>>(),
    });
    if let Some(parent) = s.parent {
        v["parentSpanId"] = parent.to_string().into();
    }
    if s.error {
        v["status"] = json!({"code": STATUS_ERROR});
    }
    v
}

fn attribute(key: &str, value: &AttrValue) -> Value {
    let value = match value {
        AttrValue::Str(s) => json!({"stringValue": paygate_vault::redact::mask_pans(s)}),
        AttrValue::Int(i) => json!({"intValue": i.to_string()}),
        AttrValue::Bool(b) => json!({"boolValue": b}),
        AttrValue::Double(d) => json!({"doubleValue": d}),
    };
    json!({"key": key, "value": value})
}

#[cfg(test)]
mod tests {
    use super::*;
    use paygate_gateway::trace_context::{SpanId, TraceId};

    #[test]
    fn a_span_is_encoded_in_the_otlp_json_mapping_with_card_numbers_masked() {
        let s = FinishedSpan {
            name: "http.request",
            trace_id: TraceId::parse("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            span_id: SpanId::parse("00f067aa0ba902b7").unwrap(),
            parent: SpanId::parse("1111111111111111"),
            start_ns: 1_700_000_000_000_000_000,
            end_ns: 1_700_000_000_000_500_000,
            attributes: vec![
                (
                    "url.path",
                    AttrValue::Str("/v1/charges/4242424242424242".into()),
                ),
                ("ops", AttrValue::Int(3)),
            ],
            error: true,
        };
        let body = request_body("paygate-test", &[s]);
        let rs = &body["resourceSpans"][0];
        assert_eq!(
            rs["resource"]["attributes"][0]["value"]["stringValue"],
            "paygate-test"
        );
        let span = &rs["scopeSpans"][0]["spans"][0];
        assert_eq!(span["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(span["parentSpanId"], "1111111111111111");
        assert_eq!(span["kind"], 2);
        assert_eq!(span["startTimeUnixNano"], "1700000000000000000");
        assert_eq!(span["status"]["code"], 2);
        let text = body.to_string();
        assert!(!text.contains("4242424242424242"), "{text}");
        assert!(text.contains("424242******4242"), "{text}");
        assert_eq!(span["attributes"][1]["value"]["intValue"], "3");
    }
}
