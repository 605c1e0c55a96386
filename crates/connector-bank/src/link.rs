//! The gateway's TCP session with the bank: requests multiplexed by trace number (many in
//! flight, each answer matched to its request), deposit notices handed to the gateway's
//! [`NoticeSink`] and acknowledged (1210) only once the sink committed them, and reconnection
//! with backoff when the session drops (the bank then retransmits what was not acknowledged).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use paygate_payments::BoxFuture;
use paygate_telegram::{Values, frame};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};

use crate::wire::{self, Kind, Telegram};

/// Most telegrams queued for the writer.
const OUTBOX_MAX: usize = 1024;
/// Longest wait between two connection attempts.
const RECONNECT_BACKOFF_MS_MAX: u64 = 2_000;
/// First wait after a failed connection attempt.
const RECONNECT_BACKOFF_MS_MIN: u64 = 50;

/// A deposit notice (입금통보) as the bank sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositNotice {
    pub bank_code: String,
    pub account_number: String,
    /// The bank's id of the deposit: a notice delivered twice carries the same id.
    pub deposit_id: String,
    /// The order the account was issued for (the PaymentIntent id).
    pub order_ref: String,
    /// KRW.
    pub amount: i64,
    /// What is left to deposit after this one, as the bank counts it.
    pub remaining: i64,
    pub depositor: String,
    /// Unix seconds.
    pub deposited_at: i64,
}

/// Where notices go: the gateway commits the deposit, then the link acknowledges it. An
/// `Err` leaves the notice unacknowledged; the bank sends it again.
pub trait NoticeSink: Send + Sync {
    fn deliver(&self, notice: DepositNotice) -> BoxFuture<'_, Result<(), String>>;
}

/// Why a request has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// No session with the bank: the request was not sent.
    #[error("no session with the bank")]
    Down,
    /// Sent, but no answer in time: the outcome is unknown.
    #[error("no answer from the bank in {0} ms")]
    Timeout(u64),
    #[error("telegram not built: {0}")]
    Build(String),
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Telegram>>>>;

/// The session with the bank.
pub struct Link {
    outbox: watch::Receiver<Option<mpsc::Sender<Vec<u8>>>>,
    pending: Pending,
    trace: AtomicU64,
    sink: Arc<OnceLock<Arc<dyn NoticeSink>>>,
    timeout: Duration,
    now: Arc<dyn Fn() -> i64 + Send + Sync>,
}

impl Link {
    /// Starts the session (and its reconnection) with the bank at `addr`; requests wait up
    /// to `timeout` for an answer.
    pub fn connect(
        addr: SocketAddr,
        timeout: Duration,
        now: Arc<dyn Fn() -> i64 + Send + Sync>,
    ) -> Arc<Link> {
        let (tx, rx) = watch::channel(None);
        let pending: Pending = Arc::default();
        let sink = Arc::new(OnceLock::new());
        tokio::spawn(supervise(addr, tx, pending.clone(), sink.clone()));
        Arc::new(Link {
            outbox: rx,
            pending,
            trace: AtomicU64::new(seed_trace()),
            sink,
            timeout,
            now,
        })
    }

    /// Sets where notices go (once; notices before are left unacknowledged).
    pub fn set_sink(&self, sink: Arc<dyn NoticeSink>) {
        let _ = self.sink.set(sink);
    }

    /// Sends a request and waits for its answer. The request waits for a session at most
    /// the link's timeout too. Runs in a span `bank.request` (kind, bank, the answer's code).
    pub async fn request(
        &self,
        kind: Kind,
        bank: &str,
        body: Values,
    ) -> Result<Telegram, LinkError> {
        let span = tracing::debug_span!(
            "bank.request",
            bank.kind = ?kind,
            bank.code = bank,
            bank.response_code = tracing::field::Empty,
            error = tracing::field::Empty,
        );
        let answer =
            tracing::Instrument::instrument(self.request_once(kind, bank, body), span.clone())
                .await;
        match &answer {
            Ok(t) => span.record("bank.response_code", t.resp.as_str()),
            Err(_) => span.record("error", true),
        };
        answer
    }

    async fn request_once(
        &self,
        kind: Kind,
        bank: &str,
        body: Values,
    ) -> Result<Telegram, LinkError> {
        let ms = u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX);
        let trace = self.trace.fetch_add(1, Ordering::Relaxed) % 1_000_000_000_000;
        let t = Telegram {
            kind,
            is_answer: false,
            trace,
            bank: bank.to_string(),
            sent_at: wire::kst((self.now)()),
            resp: String::new(),
            body,
        };
        let bytes = wire::write(&t).map_err(LinkError::Build)?;
        let mut outbox = self.outbox.clone();
        let Ok(Ok(sender)) = tokio::time::timeout(self.timeout, async {
            outbox.wait_for(Option::is_some).await.map(|s| s.clone())
        })
        .await
        else {
            return Err(LinkError::Down);
        };
        let Some(sender) = sender else {
            return Err(LinkError::Down);
        };
        let (done, answer) = oneshot::channel();
        lock(&self.pending).insert(trace, done);
        if sender.send(bytes).await.is_err() {
            lock(&self.pending).remove(&trace);
            return Err(LinkError::Down);
        }
        match tokio::time::timeout(self.timeout, answer).await {
            Ok(Ok(a)) => Ok(a),
            _ => {
                lock(&self.pending).remove(&trace);
                Err(LinkError::Timeout(ms))
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A trace start that differs between processes, so a restarted gateway does not reuse the
/// numbers of answers still on the way.
fn seed_trace() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    u64::try_from(nanos % 1_000_000_000).unwrap_or(0) * 1000
}

/// Keeps a session open: connect, serve until it drops, back off, again.
async fn supervise(
    addr: SocketAddr,
    outbox: watch::Sender<Option<mpsc::Sender<Vec<u8>>>>,
    pending: Pending,
    sink: Arc<OnceLock<Arc<dyn NoticeSink>>>,
) {
    let mut backoff = RECONNECT_BACKOFF_MS_MIN;
    loop {
        if outbox.is_closed() {
            return;
        }
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                backoff = RECONNECT_BACKOFF_MS_MIN;
                let _ = stream.set_nodelay(true);
                session(stream, &outbox, &pending, &sink).await;
                let _ = outbox.send(None);
                tracing::warn!(%addr, "bank link: session ended; reconnecting");
            }
            Err(e) => tracing::debug!(%addr, error = %e, "bank link: connect failed"),
        }
        tokio::time::sleep(Duration::from_millis(backoff)).await;
        backoff = (backoff * 2).min(RECONNECT_BACKOFF_MS_MAX);
    }
}

async fn session(
    stream: TcpStream,
    outbox: &watch::Sender<Option<mpsc::Sender<Vec<u8>>>>,
    pending: &Pending,
    sink: &Arc<OnceLock<Arc<dyn NoticeSink>>>,
) {
    let (mut rd, mut wr) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(OUTBOX_MAX);
    let writer = tokio::spawn(async move {
        while let Some(body) = rx.recv().await {
            let Ok(framed) = frame::encode(&body) else {
                continue;
            };
            if wr.write_all(&framed).await.is_err() {
                return;
            }
        }
    });
    let _ = outbox.send(Some(tx.clone()));
    loop {
        let body = match frame::read(&mut rd).await {
            Ok(Some(b)) => b,
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(error = %e, "bank link: broken frame; dropping the session");
                break;
            }
        };
        let t = match wire::read(&body) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "bank link: unreadable telegram");
                continue;
            }
        };
        if t.is_answer {
            if let Some(done) = lock(pending).remove(&t.trace) {
                let _ = done.send(t);
            }
        } else if t.kind == Kind::Notice {
            tokio::spawn(receive_notice(t, tx.clone(), sink.get().cloned()));
        }
    }
    writer.abort();
}

/// Hands a notice to the sink and acknowledges it once the sink has committed it.
async fn receive_notice(t: Telegram, tx: mpsc::Sender<Vec<u8>>, sink: Option<Arc<dyn NoticeSink>>) {
    let Some(sink) = sink else { return };
    let notice = DepositNotice {
        bank_code: t.bank.clone(),
        account_number: t.field("account_no").to_string(),
        deposit_id: t.field("deposit_id").to_string(),
        order_ref: t.field("order_ref").to_string(),
        amount: t.number("amount"),
        remaining: t.number("remaining"),
        depositor: t.field("depositor").to_string(),
        deposited_at: wire::from_kst(t.field("deposited_at")).unwrap_or(0),
    };
    let id = notice.deposit_id.clone();
    if let Err(e) = sink.deliver(notice).await {
        tracing::warn!(deposit = %id, error = %e, "bank link: notice not committed; the bank sends it again");
        return;
    }
    let ack = Telegram {
        kind: Kind::Notice,
        is_answer: true,
        trace: t.trace,
        bank: t.bank,
        sent_at: t.sent_at,
        resp: "0000".into(),
        body: Values::from([("deposit_id", id)]),
    };
    if let Ok(bytes) = wire::write(&ack) {
        let _ = tx.send(bytes).await;
    }
}
