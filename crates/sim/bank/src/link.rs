//! The bank's end of the link: it accepts the gateway's TCP sessions, answers each request
//! telegram, and pushes deposit notices (입금통보) down the newest live session, again every
//! `notice_retry_ms` until the gateway acknowledges each one (1210).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use paygate_telegram::{Values, frame};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, Notify, mpsc, watch};

use crate::Now;
use crate::resp::Resp;
use crate::store::{Notice, Store};
use crate::wire::{self, Telegram, kind};

/// Most notices pushed in one round.
const NOTICES_PER_ROUND_MAX: usize = 64;
/// Telegrams queued for one session's writer.
const SESSION_QUEUE_MAX: usize = 1024;

/// What the sessions and the notice pump share.
pub struct Shared {
    pub store: Store,
    pub now: Now,
    /// New deposits wake the pump.
    pub wake: Notify,
    /// The newest session's writer queue.
    session: Mutex<Option<mpsc::Sender<Outgoing>>>,
    /// Fault for tests: the next notice is cut after half its bytes and the session closed.
    pub cut_next_notice: AtomicBool,
    notice_retry: Duration,
    /// Base URL of the bank's pages (계좌이체 login), when they are served.
    pub pages_url: Option<String>,
}

/// A telegram for a session's writer; `cut` sends half of it and closes.
struct Outgoing {
    bytes: Vec<u8>,
    cut: bool,
}

impl Shared {
    pub fn new(
        store: Store,
        now: Now,
        notice_retry: Duration,
        pages_url: Option<String>,
    ) -> Shared {
        Shared {
            store,
            now,
            wake: Notify::new(),
            session: Mutex::new(None),
            cut_next_notice: AtomicBool::new(false),
            notice_retry,
            pages_url,
        }
    }
}

/// Accepts sessions until `stop` turns true.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(session(stream, shared.clone(), stop.clone()));
                }
                Err(e) => tracing::warn!(error = %e, "bank sim: accept failed"),
            }
        }
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let (mut rd, mut wr) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<Outgoing>(SESSION_QUEUE_MAX);
    *shared.session.lock().await = Some(tx.clone());
    shared.wake.notify_one();
    let writer = tokio::spawn(async move {
        while let Some(out) = rx.recv().await {
            let Ok(framed) = frame::encode(&out.bytes) else {
                continue;
            };
            if out.cut {
                let _ = wr.write_all(&framed[..framed.len() / 2]).await;
                let _ = wr.shutdown().await;
                return;
            }
            if wr.write_all(&framed).await.is_err() {
                return;
            }
        }
    });
    loop {
        let read = tokio::select! {
            _ = stop.changed() => break,
            r = frame::read(&mut rd) => r,
        };
        let Ok(Some(body)) = read else { break };
        let Some(answer) = answer(&shared, &body) else {
            continue;
        };
        if tx
            .send(Outgoing {
                bytes: answer,
                cut: false,
            })
            .await
            .is_err()
        {
            break;
        }
    }
    writer.abort();
}

/// The answer to one request telegram (`None` for an acknowledgement, which has none).
fn answer(shared: &Shared, body: &[u8]) -> Option<Vec<u8>> {
    let req = match wire::read(body) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "bank sim: unreadable telegram");
            return None;
        }
    };
    let now = (shared.now)();
    if req.kind == kind::answer(kind::NOTICE) {
        if let Err(e) = shared.store.ack(req.get("deposit_id"), now) {
            tracing::warn!(error = %e, "bank sim: ack not stored");
        }
        return None;
    }
    let (resp, body) = match decide(shared, &req, now) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "bank sim: journal failed; no answer");
            return None;
        }
    };
    let t = Telegram {
        kind: kind::answer(req.kind),
        trace: req.trace,
        bank: req.bank.clone(),
        sent_at: wire::kst_stamp(now),
        resp: resp.code().to_string(),
        body,
    };
    wire::write(&t)
        .map_err(|e| tracing::error!(error = %e, "bank sim: answer not written"))
        .ok()
}

fn v(pairs: &[(&'static str, String)]) -> Values {
    pairs.iter().cloned().collect()
}

/// Applies one request; the answer code and body.
fn decide(shared: &Shared, req: &Telegram, now: i64) -> rusqlite::Result<(Resp, Values)> {
    let s = &shared.store;
    if crate::transfers::handles(req.kind) {
        return crate::transfers::decide(shared, req, now);
    }
    Ok(match req.kind {
        kind::ECHO => (Resp::Ok, Values::new()),
        kind::ISSUE => {
            let expires = wire::parse_kst_stamp(req.get("expires_at")).unwrap_or(0);
            let order = req.get("order_ref");
            let r = s.issue(
                &req.bank,
                order,
                req.amount("amount"),
                expires,
                req.get("holder"),
                now,
            )?;
            let (resp, account) = match r {
                Ok(i) => (Resp::Ok, i.account_no),
                Err(r) => (r, String::new()),
            };
            (
                resp,
                v(&[("account_no", account), ("order_ref", order.to_string())]),
            )
        }
        kind::DEPOSIT => {
            let r = s.deposit(
                req.get("account_no"),
                req.amount("amount"),
                req.get("depositor"),
                now,
            )?;
            match r {
                Ok(n) => {
                    shared.wake.notify_one();
                    (
                        Resp::Ok,
                        v(&[
                            ("deposit_id", n.deposit_id),
                            ("remaining", n.remaining.to_string()),
                        ]),
                    )
                }
                Err(r) => (
                    r,
                    v(&[("deposit_id", String::new()), ("remaining", "0".into())]),
                ),
            }
        }
        kind::TRANSFER => {
            let tref = req.get("transfer_ref");
            let (id, resp) = s.transfer(
                tref,
                &format!("{:0>3}", req.get("to_bank")),
                req.get("to_account"),
                req.get("holder"),
                req.amount("amount"),
                now,
            )?;
            (
                resp,
                v(&[("transfer_ref", tref.to_string()), ("transfer_id", id)]),
            )
        }
        kind::CLOSE => {
            let acct = req.get("account_no").to_string();
            let (resp, returned) = match s.close(&acct, now)? {
                Ok(r) => (Resp::Ok, r),
                Err(r) => (r, 0),
            };
            (
                resp,
                v(&[("account_no", acct), ("returned", returned.to_string())]),
            )
        }
        _ => (Resp::FormatError, Values::new()),
    })
}

/// The notice telegram of a deposit.
pub fn notice_telegram(n: &Notice, now: i64) -> Result<Vec<u8>, String> {
    let t = Telegram {
        kind: kind::NOTICE,
        trace: 0,
        bank: n.bank.clone(),
        sent_at: wire::kst_stamp(now),
        resp: Resp::Ok.code().to_string(),
        body: v(&[
            ("account_no", n.account_no.clone()),
            ("deposit_id", n.deposit_id.clone()),
            ("order_ref", n.order_ref.clone()),
            ("amount", n.amount.to_string()),
            ("remaining", n.remaining.to_string()),
            ("depositor", paygate_telegram::fit(&n.depositor, 30)),
            ("deposited_at", wire::kst_stamp(n.deposited_at)),
        ]),
    };
    wire::write(&t)
}

/// Pushes unacknowledged notices to the newest session, on a new deposit or a new session,
/// and again every `notice_retry` until each is acknowledged.
pub async fn pump(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = shared.wake.notified() => {}
            _ = tokio::time::sleep(shared.notice_retry) => {}
        }
        let Some(tx) = shared.session.lock().await.clone() else {
            continue;
        };
        if tx.is_closed() {
            continue;
        }
        let notices = match shared.store.unacked(NOTICES_PER_ROUND_MAX) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "bank sim: notices not read");
                continue;
            }
        };
        for n in notices {
            let Ok(bytes) = notice_telegram(&n, (shared.now)()) else {
                continue;
            };
            let cut = shared.cut_next_notice.swap(false, Ordering::SeqCst);
            if tx.send(Outgoing { bytes, cut }).await.is_err() || cut {
                break;
            }
        }
    }
}
