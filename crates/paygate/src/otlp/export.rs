//! The exporter: a bounded queue the layer fills without waiting, and a thread of its own that
//! gathers spans into batches and POSTs them to the collector. A batch the collector does not
//! take is dropped (counted and logged, at most every [`REPORT_EVERY`]): traces are a
//! diagnostic, never worth slowing or failing a payment for. The counts are the gateway's
//! process-wide [`SPANS`] (`paygate_otlp_spans_exported_total`,
//! `paygate_otlp_spans_dropped_total` on `/metrics`).

use super::client::{Collector, PostClient};
use super::encode;
use super::layer::FinishedSpan;
use paygate_gateway::metrics::traces::{DropReason, SPANS};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::{Duration, Instant};

/// Finished spans waiting for the exporter, at most (then new ones are dropped).
const QUEUE_MAX: usize = 16_384;
/// Spans per POST, at most.
const BATCH_MAX: usize = 512;
/// How long a batch gathers after its first span.
const BATCH_WAIT: Duration = Duration::from_millis(500);
/// Dropped spans are logged at most this often.
const REPORT_EVERY: Duration = Duration::from_secs(30);

/// Where and as whom spans are exported.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `<endpoint>/v1/traces`, and how it is reached.
    pub collector: Collector,
    /// The resource's `service.name`.
    pub service_name: String,
}

enum Msg {
    Span(FinishedSpan),
    /// Send what is queued, then acknowledge.
    Flush(SyncSender<()>),
}

/// The layer's end of the queue.
#[derive(Clone)]
pub struct Queue {
    tx: SyncSender<Msg>,
}

impl Queue {
    /// Queues a finished span, or drops it (counted) when the queue is full.
    pub fn push(&self, span: FinishedSpan) {
        if self.tx.try_send(Msg::Span(span)).is_err() {
            SPANS.dropped(DropReason::QueueFull, 1);
        }
    }
}

/// The running exporter (for the final flush at shutdown).
pub struct Exporter {
    queue: Queue,
}

impl Exporter {
    /// Starts the exporter thread; the queue goes to the layer.
    pub fn start(settings: Settings) -> Result<(Exporter, Queue), String> {
        let (tx, rx) = sync_channel(QUEUE_MAX);
        let queue = Queue { tx };
        std::thread::Builder::new()
            .name("otlp-export".into())
            .spawn(move || run(&settings, &rx))
            .map_err(|e| format!("cannot start the OTLP exporter: {e}"))?;
        Ok((
            Exporter {
                queue: queue.clone(),
            },
            queue,
        ))
    }

    /// Sends the spans queued so far, waiting at most `wait` (at shutdown).
    pub fn flush(&self, wait: Duration) {
        let (ack, acked) = sync_channel(1);
        if self.queue.tx.try_send(Msg::Flush(ack)).is_ok() {
            let _ = acked.recv_timeout(wait);
        }
    }
}

fn run(settings: &Settings, rx: &Receiver<Msg>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let Ok(rt) = rt else {
        tracing::error!("OTLP exporter not started: no runtime");
        return;
    };
    let client: PostClient = {
        let _in = rt.enter();
        settings.collector.client()
    };
    let mut report = Report::default();
    let mut batch = Vec::with_capacity(BATCH_MAX);
    loop {
        let (flush, closed) = gather(rx, &mut batch);
        if !batch.is_empty() {
            let body = encode::request_body(&settings.service_name, &batch);
            let body = serde_json::to_vec(&body).unwrap_or_default();
            let n = batch.len() as u64;
            match rt.block_on(client.post(body)) {
                Ok(()) => SPANS.exported(n),
                Err(e) => {
                    SPANS.dropped(DropReason::ExportFailed, n);
                    report.last_error = e;
                }
            }
            batch.clear();
        }
        report.maybe_log(SPANS.dropped_total());
        if let Some(ack) = flush {
            let _ = ack.try_send(());
        }
        if closed {
            return;
        }
    }
}

/// Waits for a first message, then gathers spans for up to [`BATCH_WAIT`] or [`BATCH_MAX`]
/// spans. Returns a flush request that ended the gathering, and whether the queue is closed.
fn gather(rx: &Receiver<Msg>, batch: &mut Vec<FinishedSpan>) -> (Option<SyncSender<()>>, bool) {
    match rx.recv() {
        Ok(Msg::Span(s)) => batch.push(s),
        Ok(Msg::Flush(ack)) => return (Some(ack), false),
        Err(_) => return (None, true),
    }
    let deadline = Instant::now() + BATCH_WAIT;
    while batch.len() < BATCH_MAX {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Msg::Span(s)) => batch.push(s),
            Ok(Msg::Flush(ack)) => return (Some(ack), false),
            Err(RecvTimeoutError::Timeout) => break,
            Err(RecvTimeoutError::Disconnected) => return (None, true),
        }
    }
    (None, false)
}

/// Logs the dropped spans when their count grew, at most every [`REPORT_EVERY`].
#[derive(Default)]
struct Report {
    logged: u64,
    at: Option<Instant>,
    last_error: String,
}

impl Report {
    fn maybe_log(&mut self, dropped: u64) {
        let due = self.at.is_none_or(|at| at.elapsed() >= REPORT_EVERY);
        if dropped > self.logged && due {
            tracing::warn!(
                dropped_spans = dropped,
                last_error = %self.last_error,
                "OTLP export: spans dropped (collector down or queue full); payments are not affected"
            );
            self.logged = dropped;
            self.at = Some(Instant::now());
        }
    }
}
