//! Log output and panic messages with card numbers masked (PCI DSS 3.3.1, 3.4.1): every line
//! the process writes to stderr passes through `paygate_vault::redact::mask_pans`, and a panic
//! is reported through the same filter instead of Rust's default hook, which would print its
//! message verbatim.

use std::io::{IsTerminal, Write};

/// How log lines are written.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (colours on a terminal).
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the log subscriber (filter from `PAYGATE_LOG`, default `info`; every line through
/// [`Redacting`], with the ids of the request it belongs to, see [`crate::log_ids`]), the OTLP
/// exporter when `otlp` is configured, and the panic hook. The exporter is returned for its
/// final flush.
pub fn init(
    format: LogFormat,
    otlp: Option<crate::otlp::export::Settings>,
) -> Result<Option<crate::otlp::export::Exporter>, String> {
    use tracing_subscriber::filter::FilterExt;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{Layer, fmt};

    let filter = tracing_subscriber::EnvFilter::try_from_env("PAYGATE_LOG")
        .unwrap_or_else(|_| "info".into());
    // The spans carrying ids are always seen by the log layer, so a line names its request
    // whatever the level filter says of the spans themselves.
    let filter = filter.or(crate::log_ids::id_spans());
    let (exporter, queue) = match otlp {
        Some(settings) => {
            let (exporter, queue) = crate::otlp::export::Exporter::start(settings)?;
            (Some(exporter), Some(queue))
        }
        None => (None, None),
    };
    let registry = tracing_subscriber::registry()
        .with(crate::log_ids::IdsLayer.with_filter(crate::log_ids::id_spans()))
        .with(crate::otlp::layer::OtlpLayer::new(queue).filtered());
    let installed = match format {
        LogFormat::Text => registry
            .with(
                fmt::layer()
                    .with_writer(stderr)
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_filter(filter),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .event_format(crate::log_ids::JsonLines)
                    .fmt_fields(crate::log_ids::NoFields)
                    .with_writer(stderr)
                    .with_filter(filter),
            )
            .try_init(),
    };
    installed.map_err(|e| format!("cannot install the log subscriber: {e}"))?;
    install_panic_hook();
    Ok(exporter)
}

/// A writer with Luhn-valid card numbers masked in every write (`tracing_subscriber` writes one
/// formatted event per call, so a number is never split across two writes).
pub struct Redacting<W: Write>(pub W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self
                .0
                .write_all(paygate_vault::redact::mask_pans(text).as_bytes())?,
            Err(_) => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Stderr through [`Redacting`], for `tracing_subscriber`'s `with_writer`.
pub fn stderr() -> Redacting<std::io::Stderr> {
    Redacting(std::io::stderr())
}

/// What the panic hook reports: the message and location, card numbers masked.
pub fn panic_report(info: &std::panic::PanicHookInfo<'_>) -> String {
    let message = info
        .payload()
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| info.payload().downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    let at = info
        .location()
        .map(|l| format!("{}:{}", l.file(), l.line()))
        .unwrap_or_default();
    format!(
        "panic at {at}: {}",
        paygate_vault::redact::mask_pans(message)
    )
}

/// Installs the panic hook: [`panic_report`] to the log and to stderr (masked twice over).
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let report = panic_report(info);
        tracing::error!("{report}");
        let _ = writeln!(stderr(), "{report}");
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn every_write_is_masked_and_counted_as_written() {
        let mut w = Redacting(Vec::new());
        let line = b"WARN declined card 4242424242424242 amount=10000\n";
        assert_eq!(w.write(line).unwrap(), line.len());
        w.write_all("카드 5555 5555 5555 4444\n".as_bytes())
            .unwrap();
        let out = String::from_utf8(w.0).unwrap();
        assert_eq!(
            out,
            "WARN declined card 424242******4242 amount=10000\n카드 555555******4444\n"
        );
    }

    #[test]
    fn a_panic_message_with_a_card_number_is_reported_masked() {
        let seen = Arc::new(Mutex::new(String::new()));
        let sink = seen.clone();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            *sink.lock().unwrap() = panic_report(info);
        }));
        let caught = std::panic::catch_unwind(|| panic!("cannot parse card 4242424242424242"));
        std::panic::set_hook(previous);
        assert!(caught.is_err());
        let report = seen.lock().unwrap().clone();
        assert!(
            report.contains("cannot parse card 424242******4242"),
            "{report}"
        );
        assert!(!report.contains("4242424242424242"), "{report}");
        assert!(report.contains("redacting_log.rs:"), "{report}");
    }
}
