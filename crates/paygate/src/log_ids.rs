//! The ids every log line of a request carries: `trace_id`, `request_id`, `merchant` and
//! `payment_intent`, read from the spans the line was written in (the request's span
//! `http.request`, the engine's `payment`). [`IdsLayer`] keeps them per span as they are
//! recorded; [`JsonLines`] writes one JSON object per event with its fields and those ids.

use std::fmt;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// The span fields copied into every log line written inside the span.
const ID_FIELDS: [&str; 4] = ["trace_id", "request_id", "merchant", "payment_intent"];

/// The ids a span carries (by [`ID_FIELDS`] position).
#[derive(Default)]
struct Ids([Option<String>; 4]);

impl Visit for Ids {
    fn record_str(&mut self, field: &Field, value: &str) {
        if let Some(i) = ID_FIELDS.iter().position(|f| *f == field.name()) {
            self.0[i] = Some(value.to_string());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if ID_FIELDS.contains(&field.name()) {
            self.record_str(field, &format!("{value:?}"));
        }
    }
}

/// The spans that carry ids (decided once per call site).
pub fn id_spans() -> tracing_subscriber::filter::FilterFn<fn(&tracing::Metadata<'_>) -> bool> {
    tracing_subscriber::filter::filter_fn(carries_ids as fn(&tracing::Metadata<'_>) -> bool)
}

fn carries_ids(m: &tracing::Metadata<'_>) -> bool {
    m.is_span() && m.fields().iter().any(|f| ID_FIELDS.contains(&f.name()))
}

/// Keeps each id-carrying span's [`Ids`].
pub struct IdsLayer;

impl<S> Layer<S> for IdsLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut ids = Ids::default();
        attrs.record(&mut ids);
        span.extensions_mut().insert(ids);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        if let Some(ids) = span.extensions_mut().get_mut::<Ids>() {
            values.record(ids);
        }
    }
}

/// One JSON object per line: `timestamp`, `level`, `target`, the event's fields (`message`
/// first among them), then the ids of the spans it was written in (the innermost span's
/// value wins; an event's own field of the same name wins over both).
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut line = serde_json::Map::new();
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        line.insert("timestamp".into(), now.into());
        line.insert("level".into(), meta.level().as_str().into());
        line.insert("target".into(), meta.target().into());
        for span in ctx.event_scope().into_iter().flat_map(|s| s.from_root()) {
            if let Some(ids) = span.extensions().get::<Ids>() {
                for (name, value) in ID_FIELDS.iter().zip(&ids.0) {
                    if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
                        line.insert((*name).into(), v.as_str().into());
                    }
                }
            }
        }
        event.record(&mut JsonFields(&mut line));
        writeln!(writer, "{}", serde_json::Value::Object(line))
    }
}

/// Span fields left unformatted: in JSON mode the fmt layer prints none ([`IdsLayer`] keeps
/// the ids lines need).
pub struct NoFields;

impl<'w> FormatFields<'w> for NoFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        _: Writer<'w>,
        _: R,
    ) -> fmt::Result {
        Ok(())
    }
}

/// An event's fields into the line: numbers and booleans as JSON values, the rest as strings.
struct JsonFields<'a>(&'a mut serde_json::Map<String, serde_json::Value>);

impl Visit for JsonFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redacting_log::Redacting;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::layer::SubscriberExt;

    /// A writer into a shared buffer, through the card-number mask.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_line_carries_the_ids_of_its_spans_and_no_card_number() {
        let out = Buffer::default();
        let sink = out.clone();
        let subscriber = tracing_subscriber::registry()
            .with(IdsLayer.with_filter(id_spans()))
            .with(
                tracing_subscriber::fmt::layer()
                    .event_format(JsonLines)
                    .fmt_fields(NoFields)
                    .with_writer(move || Redacting(sink.clone())),
            );
        tracing::subscriber::with_default(subscriber, || {
            let request = tracing::info_span!(
                "http.request",
                trace_id = "4bf92f3577b34da6a3ce929d0e0e4736",
                request_id = "req_1",
                merchant = tracing::field::Empty,
                payment_intent = tracing::field::Empty,
            );
            let _r = request.enter();
            request.record("merchant", "acct_1");
            let payment = tracing::info_span!("payment", payment_intent = "pi_1");
            let _p = payment.enter();
            tracing::warn!(status = 402, "declined card 4242424242424242");
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(line["request_id"], "req_1");
        assert_eq!(line["merchant"], "acct_1");
        assert_eq!(line["payment_intent"], "pi_1");
        assert_eq!(line["status"], 402);
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["message"], "declined card 424242******4242");
        assert!(!text.contains("4242424242424242"), "{text}");
    }
}
