//! The moving parts behind a [`super::Link`]: the shared state, the connection manager (writer
//! loop + reconnect), the reader task and the heartbeat.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use paygate_iso8583::{Message, Spec, decode, encode};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::{Notify, Semaphore, mpsc, oneshot, watch};
use tokio::time::{sleep, timeout};

use super::pending::Pending;
use super::{LinkConfig, LinkError, Unanswered};
use crate::card::{self, clock::Stamp, de, mti, rc};
use crate::frame::{self, FrameReader};

/// First reconnect delay, in milliseconds; doubles up to `reconnect_backoff_ms_max`.
const RECONNECT_BACKOFF_MS_MIN: u64 = 50;
/// Most bytes gathered into one socket write when several frames are queued.
const WRITE_BATCH_BYTES_MAX: usize = 64 * 1024;

/// One framed request waiting to be written.
#[derive(Debug)]
pub(super) struct Outgoing {
    stan: u32,
    id: u64,
    frame: Bytes,
}

/// How a request failed.
#[derive(Debug)]
pub(super) enum Failure {
    /// Nothing reached the socket.
    NotSent(LinkError),
    /// The request may have reached the network.
    Unknown(Unanswered),
}

impl Failure {
    /// As a plain error, for requests that are not authorizations (no reversal).
    pub(super) fn into_plain(self) -> LinkError {
        match self {
            Failure::NotSent(e) => e,
            Failure::Unknown(cause) => LinkError::NoAnswer { cause },
        }
    }
}

/// State shared by the link handles and its tasks.
pub(super) struct Shared {
    pub(super) cfg: LinkConfig,
    pub(super) spec: &'static Spec,
    pending: Mutex<Pending>,
    permits: Semaphore,
    out_tx: mpsc::Sender<Outgoing>,
    connected: watch::Sender<bool>,
    shutdown: watch::Sender<bool>,
    /// Wakes the connection manager to drop the current connection (failed echo).
    kill: Notify,
    epoch: Instant,
    /// Milliseconds since `epoch` when the last frame arrived.
    last_rx_ms: AtomicU64,
}

/// A reserved STAN; dropping it frees the STAN (late answers are then logged and ignored).
pub(super) struct StanLease {
    shared: Arc<Shared>,
    stan: u32,
    id: u64,
}

impl StanLease {
    /// The STAN as DE 11 carries it.
    pub(super) fn stan(&self) -> String {
        format!("{:06}", self.stan)
    }
}

impl Drop for StanLease {
    fn drop(&mut self) {
        self.shared.lock().release(self.stan, self.id);
    }
}

/// Opens the first connection and starts the tasks.
pub(super) async fn start(cfg: LinkConfig) -> Result<Arc<Shared>, LinkError> {
    let stream = connect(&cfg).await?;
    let (out_tx, out_rx) = mpsc::channel(cfg.max_in_flight);
    let shared = Arc::new(Shared {
        spec: cfg.profile.spec(),
        pending: Mutex::new(Pending::new(random_u32())),
        permits: Semaphore::new(cfg.max_in_flight),
        out_tx,
        // The first connection is up already: requests may go out before the manager runs.
        connected: watch::Sender::new(true),
        shutdown: watch::Sender::new(false),
        kill: Notify::new(),
        epoch: Instant::now(),
        last_rx_ms: AtomicU64::new(0),
        cfg,
    });
    tokio::spawn(manage(Arc::clone(&shared), stream, out_rx));
    tokio::spawn(heartbeat(Arc::clone(&shared)));
    Ok(shared)
}

async fn connect(cfg: &LinkConfig) -> Result<TcpStream, LinkError> {
    let limit = Duration::from_millis(cfg.connect_timeout_ms);
    let stream = timeout(limit, TcpStream::connect(&cfg.addr))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))??;
    // Requests are small and latency-bound; batching is done by the writer, not by Nagle.
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// A random starting STAN: std's hasher keys are seeded from the OS per process.
fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(u64::from(std::process::id()));
    u32::try_from(h.finish() % u64::from(super::MAX_STAN)).unwrap_or(0)
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn stop(&self) {
        self.shutdown.send_replace(true);
    }

    pub(super) fn is_connected(&self) -> bool {
        *self.connected.borrow()
    }

    pub(super) fn reserved(&self) -> usize {
        self.lock().len()
    }

    /// Reserves the next free STAN.
    pub(super) fn lease(self: &Arc<Self>) -> Result<StanLease, LinkError> {
        let (stan, id) = self.lock().reserve().ok_or(LinkError::Busy)?;
        Ok(StanLease {
            shared: Arc::clone(self),
            stan,
            id,
        })
    }

    /// Reserves a caller-chosen STAN (6 digits).
    pub(super) fn lease_exact(self: &Arc<Self>, stan: &str) -> Result<StanLease, LinkError> {
        let bad = |rule: &str| LinkError::InvalidRequest {
            field: "DE 11",
            rule: rule.to_owned(),
        };
        let n = parse_stan(stan.as_bytes()).ok_or_else(|| bad("must be 6 digits, not 000000"))?;
        self.try_lease_exact(n)
            .ok_or_else(|| bad("is already in flight"))
    }

    /// Reserves STAN `n`; `None` while another request of this link holds it (prepared, in
    /// flight, or being repeated).
    pub(super) fn try_lease_exact(self: &Arc<Self>, n: u32) -> Option<StanLease> {
        let id = self.lock().reserve_exact(n)?;
        Some(StanLease {
            shared: Arc::clone(self),
            stan: n,
            id,
        })
    }

    /// Sends `msg` (whose DE 11 is the lease's STAN) and waits for the message answering it,
    /// in a span `iso8583.exchange` (MTI, STAN, amount and the answer's DE 39 — never a card
    /// field).
    pub(super) async fn exchange(
        &self,
        lease: &StanLease,
        msg: &Message,
    ) -> Result<Message, Failure> {
        let span = tracing::debug_span!(
            "iso8583.exchange",
            iso8583.mti = msg.mti(),
            iso8583.stan = lease.stan,
            iso8583.amount = msg.get_str(de::AMOUNT),
            iso8583.response_code = tracing::field::Empty,
            error = tracing::field::Empty,
        );
        let answer =
            tracing::Instrument::instrument(self.exchange_once(lease, msg), span.clone()).await;
        match &answer {
            Ok(resp) => span.record("iso8583.response_code", resp.get_str(de::RESPONSE_CODE)),
            Err(_) => span.record("error", true),
        };
        answer
    }

    async fn exchange_once(&self, lease: &StanLease, msg: &Message) -> Result<Message, Failure> {
        let timeout_ms = self.cfg.request_timeout_ms;
        let limit = Duration::from_millis(timeout_ms);
        let _permit = match timeout(limit, self.permits.acquire()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_closed)) => return Err(Failure::NotSent(LinkError::Disconnected)),
            Err(_elapsed) => return Err(Failure::NotSent(LinkError::Busy)),
        };
        if !self.is_connected() {
            return Err(Failure::NotSent(LinkError::Disconnected));
        }
        let frame = framed(msg, self.spec).map_err(Failure::NotSent)?;
        let (tx, rx) = oneshot::channel();
        if !self.lock().arm(lease.stan, lease.id, tx) {
            let lost = LinkError::Protocol("STAN reservation lost before sending".to_owned());
            return Err(Failure::NotSent(lost));
        }
        let out = Outgoing {
            stan: lease.stan,
            id: lease.id,
            frame,
        };
        if self.out_tx.send(out).await.is_err() {
            return Err(Failure::NotSent(LinkError::Disconnected));
        }
        match timeout(limit, rx).await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(_dropped)) => Err(Failure::Unknown(Unanswered::ConnectionLost)),
            Err(_elapsed) => Err(Failure::Unknown(Unanswered::Timeout { timeout_ms })),
        }
    }

    /// One 0800 echo; any answer other than an 0810 with DE 39 = 00 is an error.
    pub(super) async fn echo(self: &Arc<Self>) -> Result<(), LinkError> {
        let lease = self.lease()?;
        let msg = card::build_echo(&lease.stan(), &Stamp::now())?;
        let resp = self
            .exchange(&lease, &msg)
            .await
            .map_err(Failure::into_plain)?;
        let outcome = card::parse_outcome(mti::NETWORK_MANAGEMENT, &lease.stan(), &resp)?;
        if outcome.response_code != rc::APPROVED {
            return Err(LinkError::Protocol(format!(
                "echo answered with DE 39 {}",
                outcome.response_code
            )));
        }
        Ok(())
    }

    /// Hands a received frame to the request waiting on its STAN.
    fn dispatch(&self, body: &[u8]) {
        let msg = match decode(body, self.spec) {
            Ok(msg) => msg,
            Err(e) => {
                tracing::warn!(error = %e, "undecodable message from the network ignored");
                return;
            }
        };
        let Some(stan) = msg.get(de::STAN).and_then(parse_stan) else {
            tracing::warn!(mti = msg.mti(), "message without a usable DE 11 ignored");
            return;
        };
        if let Err(msg) = self.lock().complete(stan, msg) {
            let mti = msg.mti();
            if mti == "0110" || mti == "0210" {
                tracing::warn!(stan, mti, "late answer ignored: the request was given up");
            } else {
                tracing::debug!(stan, mti, "answer for no waiting request ignored");
            }
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_rx_ms.store(ms, Ordering::Relaxed);
    }

    fn idle_ms(&self) -> u64 {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        now.saturating_sub(self.last_rx_ms.load(Ordering::Relaxed))
    }
}

/// DE 11 as a number: exactly 6 digits, not 000000.
pub(super) fn parse_stan(field: &[u8]) -> Option<u32> {
    if field.len() != 6 || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = field
        .iter()
        .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
    (n > 0).then_some(n)
}

fn framed(msg: &Message, spec: &Spec) -> Result<Bytes, LinkError> {
    let body = encode(msg, spec).map_err(|e| LinkError::InvalidRequest {
        field: "message",
        rule: e.to_string(),
    })?;
    let mut out = BytesMut::with_capacity(frame::LENGTH_HEADER_BYTES + body.len());
    frame::encode_into(&body, &mut out).map_err(|e| LinkError::InvalidRequest {
        field: "message",
        rule: e.to_string(),
    })?;
    Ok(out.freeze())
}

/// Owns the connection: runs it, and after a loss fails in-flight requests and reconnects with
/// capped exponential backoff until the link is dropped.
async fn manage(shared: Arc<Shared>, first: TcpStream, mut out_rx: mpsc::Receiver<Outgoing>) {
    let mut shutdown = shared.shutdown.subscribe();
    let mut stream = Some(first);
    let mut backoff_ms = RECONNECT_BACKOFF_MS_MIN;
    loop {
        if let Some(s) = stream.take() {
            shared.connected.send_replace(true);
            shared.touch();
            tracing::info!(addr = %shared.cfg.addr, "network link up");
            let why = run_connection(&shared, s, &mut out_rx, &mut shutdown).await;
            shared.connected.send_replace(false);
            let failed = shared.lock().fail_all();
            tracing::warn!(addr = %shared.cfg.addr, why, failed, "network link down");
            backoff_ms = RECONNECT_BACKOFF_MS_MIN;
        }
        if *shutdown.borrow() {
            return;
        }
        tokio::select! {
            _ = sleep(Duration::from_millis(backoff_ms)) => {}
            _ = shutdown.changed() => return,
        }
        match connect(&shared.cfg).await {
            Ok(s) => stream = Some(s),
            Err(e) => {
                tracing::warn!(addr = %shared.cfg.addr, error = %e, backoff_ms, "reconnect failed");
                backoff_ms = (backoff_ms * 2).min(shared.cfg.reconnect_backoff_ms_max);
            }
        }
    }
}

/// Writes queued frames (several per syscall when they pile up) until the connection ends;
/// returns why it ended.
async fn run_connection(
    shared: &Arc<Shared>,
    stream: TcpStream,
    out_rx: &mut mpsc::Receiver<Outgoing>,
    shutdown: &mut watch::Receiver<bool>,
) -> &'static str {
    let (rd, mut wr) = stream.into_split();
    let mut reader = tokio::spawn(read_loop(Arc::clone(shared), rd));
    let mut buf = BytesMut::with_capacity(WRITE_BATCH_BYTES_MAX);
    let why = loop {
        tokio::select! {
            _ = shutdown.changed() => break "link dropped",
            _ = shared.kill.notified() => break "echo failed",
            _ = &mut reader => break "read side ended",
            out = out_rx.recv() => {
                let Some(first) = out else { break "request queue closed" };
                fill_batch(shared, first, out_rx, &mut buf);
                if buf.is_empty() {
                    continue;
                }
                tokio::select! {
                    r = wr.write_all(&buf) => if r.is_err() { break "write failed" },
                    _ = shared.kill.notified() => break "echo failed",
                    _ = shutdown.changed() => break "link dropped",
                }
            }
        }
    };
    reader.abort();
    why
}

/// Gathers `first` and whatever else is queued (up to [`WRITE_BATCH_BYTES_MAX`]) into `buf`,
/// skipping requests that stopped waiting (timed out, or failed by a lost connection).
fn fill_batch(
    shared: &Shared,
    first: Outgoing,
    out_rx: &mut mpsc::Receiver<Outgoing>,
    buf: &mut BytesMut,
) {
    buf.clear();
    let pending = shared.lock();
    let mut next = Some(first);
    while let Some(o) = next.take() {
        if pending.is_waiting(o.stan, o.id) {
            buf.extend_from_slice(&o.frame);
        }
        if buf.len() < WRITE_BATCH_BYTES_MAX {
            next = out_rx.try_recv().ok();
        }
    }
}

async fn read_loop(shared: Arc<Shared>, rd: OwnedReadHalf) {
    let mut reader = FrameReader::new(rd);
    loop {
        match reader.read_frame().await {
            Ok(Some(body)) => {
                shared.touch();
                shared.dispatch(&body);
            }
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "network link read failed");
                return;
            }
        }
    }
}

/// Sends an echo whenever nothing arrived for `echo_interval_ms`; a failed echo drops the
/// connection so that the manager reconnects.
async fn heartbeat(shared: Arc<Shared>) {
    let interval_ms = shared.cfg.echo_interval_ms;
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            _ = sleep(Duration::from_millis(interval_ms)) => {}
            _ = shutdown.changed() => return,
        }
        if !shared.is_connected() || shared.idle_ms() < interval_ms {
            continue;
        }
        if let Err(e) = shared.echo().await {
            tracing::warn!(error = %e, "echo failed; dropping the connection");
            shared.kill.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stan_parsing_is_strict() {
        assert_eq!(parse_stan(b"000042"), Some(42));
        assert_eq!(parse_stan(b"999999"), Some(999_999));
        for bad in [&b"000000"[..], b"42", b"+00042", b"00004x", b"0000420"] {
            assert_eq!(parse_stan(bad), None, "{bad:?}");
        }
    }
}
