//! The `tracing_subscriber` layer that turns paygate's spans into OTLP spans: ids and start
//! time when a span opens, its fields as attributes, end time when it closes, then the finished
//! span into the exporter's queue (never waiting: a full queue drops it, counted). A trace the
//! head sampler left out (`trace_context::sampled`) is followed for its ids, never queued.

use super::export::Queue;
use paygate_gateway::trace_context::{
    PARENT_SPAN_ID_FIELD, SAMPLED_FIELD, SPAN_ID_FIELD, SpanId, TRACE_ID_FIELD, TraceId,
    ratio_sampled,
};
use std::time::{SystemTime, UNIX_EPOCH};
use tracing::Subscriber;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::FilterFn;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// An attribute's value (OTLP `AnyValue`).
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    Str(String),
    Int(i64),
    Bool(bool),
    Double(f64),
}

/// A finished span, as exported.
#[derive(Clone, Debug)]
pub struct FinishedSpan {
    pub name: &'static str,
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent: Option<SpanId>,
    pub start_ns: u64,
    pub end_ns: u64,
    pub attributes: Vec<(&'static str, AttrValue)>,
    /// The span recorded `error = true`: status ERROR.
    pub error: bool,
}

/// What the layer keeps in an open span's extensions: the span, and whether its trace is
/// sampled (exported).
struct Open(FinishedSpan, bool);

/// Records paygate's spans for the exporter (none without one: see [`filter`]).
pub struct OtlpLayer {
    queue: Option<Queue>,
}

impl OtlpLayer {
    pub fn new(queue: Option<Queue>) -> OtlpLayer {
        OtlpLayer { queue }
    }

    /// The layer with its filter: the spans of paygate's crates (targets `paygate…`), at every
    /// level, when exporting; nothing otherwise, decided once per call site, so that with no
    /// exporter the DEBUG spans cost nothing. (Not an `Option` layer: `tracing_subscriber`
    /// treats a `None` layer as interested in every call site.) Events are not exported: they
    /// are in the logs, with the trace id.
    pub fn filtered<S>(self) -> tracing_subscriber::filter::Filtered<Self, FilterFn<Pick>, S>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let pick: Pick = if self.queue.is_some() {
            exported
        } else {
            nothing
        };
        self.with_filter(tracing_subscriber::filter::filter_fn(pick))
    }
}

type Pick = fn(&tracing::Metadata<'_>) -> bool;

fn exported(m: &tracing::Metadata<'_>) -> bool {
    m.is_span() && m.target().starts_with("paygate")
}

fn nothing(_: &tracing::Metadata<'_>) -> bool {
    false
}

impl<S> Layer<S> for OtlpLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let inherited = span.parent().and_then(|p| {
            p.extensions()
                .get::<Open>()
                .map(|o| (o.0.trace_id, o.0.span_id, o.1))
        });
        // A span that names its ids (the request's, see `trace_context`) keeps them and its
        // sampling decision; the others continue their parent's trace; a root span of no
        // request starts a trace the ratio decides.
        let (trace_id, parent, sampled) = match (fields.trace_id, inherited) {
            (Some(t), _) => (
                t,
                fields.parent_span_id,
                fields.sampled.unwrap_or_else(|| ratio_sampled(t)),
            ),
            (None, Some((t, p, sampled))) => (t, Some(p), sampled),
            (None, None) => {
                let t = TraceId::random();
                (t, None, ratio_sampled(t))
            }
        };
        let open = FinishedSpan {
            name: span.name(),
            trace_id,
            span_id: fields.span_id.unwrap_or_else(SpanId::random),
            parent,
            start_ns: now_ns(),
            end_ns: 0,
            attributes: fields.attributes,
            error: fields.error,
        };
        span.extensions_mut().insert(Open(open, sampled));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::default();
        values.record(&mut fields);
        if let Some(Open(open, true)) = span.extensions_mut().get_mut::<Open>() {
            open.attributes.append(&mut fields.attributes);
            open.error |= fields.error;
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(Open(mut done, true)) = span.extensions_mut().remove::<Open>() else {
            return;
        };
        done.end_ns = now_ns();
        if let Some(queue) = &self.queue {
            queue.push(done);
        }
    }
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// A span's fields: the ids by their names, `error`, the rest as attributes.
#[derive(Default)]
struct Fields {
    trace_id: Option<TraceId>,
    span_id: Option<SpanId>,
    parent_span_id: Option<SpanId>,
    sampled: Option<bool>,
    error: bool,
    attributes: Vec<(&'static str, AttrValue)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            TRACE_ID_FIELD => self.trace_id = TraceId::parse(value),
            SPAN_ID_FIELD => self.span_id = SpanId::parse(value),
            PARENT_SPAN_ID_FIELD => self.parent_span_id = SpanId::parse(value),
            name => self
                .attributes
                .push((name, AttrValue::Str(value.to_string()))),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.attributes.push((field.name(), AttrValue::Int(value)));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        let v =
            i64::try_from(value).map_or_else(|_| AttrValue::Str(value.to_string()), AttrValue::Int);
        self.attributes.push((field.name(), v));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if field.name() == "error" {
            self.error |= value;
        } else if field.name() == SAMPLED_FIELD {
            self.sampled = Some(value);
        } else {
            self.attributes.push((field.name(), AttrValue::Bool(value)));
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.attributes
            .push((field.name(), AttrValue::Double(value)));
    }
}
