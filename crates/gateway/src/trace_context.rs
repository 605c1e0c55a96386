//! W3C Trace Context (<https://www.w3.org/TR/trace-context/>): the trace and span ids of a
//! request and its `traceparent` header (`00-<32 hex trace id>-<16 hex span id>-<flags>`).
//!
//! The gateway decides the ids of every API request itself, whether an exporter runs or not:
//! the request's span carries them as the fields `trace_id`, `span_id` and (when a caller sent a
//! `traceparent`) `parent_span_id`; the JSON logs print the trace id and the OTLP exporter
//! (`paygate serve --otlp-endpoint`) uses the same ids, so the id a client reads in the
//! response's `traceparent` header is the one in the logs and in the trace backend.
//!
//! Sampling is decided here too, once per trace, at its head ([`sampled`]): parent-based (a
//! caller's `traceparent` flag is followed) and otherwise by ratio, from the trace id alone,
//! so every process that sees the trace decides the same. The request's span carries the
//! decision ([`SAMPLED_FIELD`]); the exporter exports only sampled spans, and the response's
//! `traceparent` says which.

use rand::RngExt;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// The span fields that carry the ids (the exporter reads them back by these names).
pub const TRACE_ID_FIELD: &str = "trace_id";
pub const SPAN_ID_FIELD: &str = "span_id";
pub const PARENT_SPAN_ID_FIELD: &str = "parent_span_id";
/// The span field that carries the head's sampling decision (`true`: recorded and exported).
pub const SAMPLED_FIELD: &str = "sampled";

/// Trace ids are compared by their last 56 bits, as the OpenTelemetry specification's
/// `TraceIdRatioBased` sampler does (W3C Trace Context level 2 makes them random).
const RATIO_BITS: u32 = 56;

/// A root trace is sampled when its id's last 56 bits are below this: ratio × 2^56 (2^56,
/// every trace, unless [`set_sample_ratio`] said otherwise).
static THRESHOLD: AtomicU64 = AtomicU64::new(1 << RATIO_BITS);

/// Sets the ratio of root traces (no caller's `traceparent`) sampled, 0.0 to 1.0, for the
/// process (the exporter and the request's `traceparent` are process-wide).
pub fn set_sample_ratio(ratio: f64) {
    let ratio = if ratio.is_nan() {
        1.0
    } else {
        ratio.clamp(0.0, 1.0)
    };
    // Exact for 0 and 1; a 2^-56 rounding in between.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let threshold = (ratio * (1u64 << RATIO_BITS) as f64).round() as u64;
    THRESHOLD.store(threshold, Ordering::Relaxed);
}

/// Whether a trace is sampled, decided at its head: the caller's flag when it sent a
/// `traceparent` (parent-based), else the ratio applied to the trace id (deterministic).
pub fn sampled(caller: Option<TraceParent>, trace_id: TraceId) -> bool {
    match caller {
        Some(c) => c.sampled,
        None => ratio_sampled(trace_id),
    }
}

/// The ratio sampler's decision for a root trace.
pub fn ratio_sampled(trace_id: TraceId) -> bool {
    let mut low = [0u8; 8];
    low[1..].copy_from_slice(&trace_id.0[9..]);
    u64::from_be_bytes(low) < THRESHOLD.load(Ordering::Relaxed)
}

/// A 16-byte trace id (never all zeros).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TraceId(pub [u8; 16]);

/// An 8-byte span id (never all zeros).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SpanId(pub [u8; 8]);

impl TraceId {
    /// A new random id.
    pub fn random() -> TraceId {
        TraceId(nonzero(|| rand::rng().random::<u128>()).to_be_bytes())
    }

    /// Parses 32 lowercase or uppercase hex digits (not all zeros).
    pub fn parse(hex: &str) -> Option<TraceId> {
        parse_hex::<16>(hex).map(TraceId)
    }
}

impl SpanId {
    /// A new random id.
    pub fn random() -> SpanId {
        SpanId(nonzero(|| rand::rng().random::<u64>()).to_be_bytes())
    }

    /// Parses 16 hex digits (not all zeros).
    pub fn parse(hex: &str) -> Option<SpanId> {
        parse_hex::<8>(hex).map(SpanId)
    }
}

fn nonzero<T: PartialEq + Default>(draw: impl Fn() -> T) -> T {
    loop {
        let v = draw();
        if v != T::default() {
            return v;
        }
    }
}

fn parse_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    (out != [0u8; N]).then_some(out)
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// A `traceparent` header: version 00, the trace, the caller's (or our) span, sampled or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceParent {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub sampled: bool,
}

impl TraceParent {
    /// Parses a `traceparent` value; `None` for anything malformed (the request then starts
    /// a trace of its own, as the specification asks). A version other than 00 is read by
    /// its first four fields, as the specification asks of future versions.
    pub fn parse(value: &str) -> Option<TraceParent> {
        let mut parts = value.trim().split('-');
        let version = parts.next()?;
        let (trace, span, flags) = (parts.next()?, parts.next()?, parts.next()?);
        let version_ok =
            version.len() == 2 && version.bytes().all(|b| b.is_ascii_hexdigit()) && version != "ff";
        if !version_ok || (version == "00" && parts.next().is_some()) || flags.len() != 2 {
            return None;
        }
        let flags = u8::from_str_radix(flags, 16).ok()?;
        Some(TraceParent {
            trace_id: TraceId::parse(trace)?,
            span_id: SpanId::parse(span)?,
            sampled: flags & 1 == 1,
        })
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flags = u8::from(self.sampled);
        write!(f, "00-{}-{}-{flags:02x}", self.trace_id, self.span_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_reads_back_as_written() {
        let v = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let tp = TraceParent::parse(v).unwrap();
        assert_eq!(tp.trace_id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(tp.span_id.to_string(), "00f067aa0ba902b7");
        assert!(tp.sampled);
        assert_eq!(tp.to_string(), v);
        let unsampled = TraceParent::parse(&v.replace("-01", "-00")).unwrap();
        assert!(!unsampled.sampled);
    }

    #[test]
    fn malformed_traceparents_are_refused() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_ratio_reads_the_last_56_bits_of_the_trace_id() {
        let id = |hex: &str| TraceId::parse(hex).unwrap();
        let (low, high) = (
            id("ffffffffffffffffff00000000000001"),
            id("000000000000000000ffffffffffffff"),
        );
        let caller = |sampled| {
            Some(TraceParent {
                trace_id: low,
                span_id: SpanId::random(),
                sampled,
            })
        };
        // One test owns the process-wide ratio (no other unit test sets it).
        set_sample_ratio(0.5);
        assert!(ratio_sampled(low));
        assert!(!ratio_sampled(high));
        assert!(!sampled(caller(false), low), "the caller's flag wins");
        assert!(sampled(caller(true), high));
        set_sample_ratio(0.0);
        assert!(!ratio_sampled(low));
        set_sample_ratio(1.0);
        assert!(ratio_sampled(high) && ratio_sampled(low));
    }

    #[test]
    fn random_ids_are_well_formed_and_differ() {
        let (a, b) = (TraceId::random(), TraceId::random());
        assert_ne!(a, b);
        assert_eq!(TraceId::parse(&a.to_string()), Some(a));
        let s = SpanId::random();
        assert_eq!(SpanId::parse(&s.to_string()), Some(s));
    }
}
