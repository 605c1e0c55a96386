//! Several `--url`s: the client spreads its connections over them round robin and, as a load
//! balancer does, takes a target out while its `GET /readyz` does not answer 200 (a draining
//! instance answers 503 while it still serves) or it refuses connections, and puts it back
//! when it answers 200 again. With one `--url` nothing is polled and the target is always used.

use bytes::Bytes;
use http_body_util::Empty;
use hyper::header::{HOST, HeaderValue};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::net::TcpStream;

/// How often each target's `/readyz` is asked (a load balancer's health-check interval).
pub(crate) const READYZ_INTERVAL: Duration = Duration::from_millis(100);
/// With several targets, a connection is closed after this many requests, so that load
/// spreads again over an instance that came back after a restart.
pub(crate) const MAX_REQUESTS_PER_CONNECTION: u32 = 64;

/// One server the bench sends to.
pub(crate) struct Target {
    pub addr: SocketAddr,
    /// `Host` header value (the URL's authority).
    pub host: HeaderValue,
}

/// The targets, which of them take requests, and the round-robin position.
pub(crate) struct Targets {
    list: Vec<Target>,
    ready: Vec<AtomicBool>,
    next: AtomicUsize,
}

impl Targets {
    /// All targets start ready; with more than one, a task polls `readyz` on each until the
    /// returned value is dropped.
    pub fn start(list: Vec<Target>, readyz: Uri, timeout: Duration) -> Arc<Self> {
        assert!(!list.is_empty(), "at least one --url is validated");
        let ready = list.iter().map(|_| AtomicBool::new(true)).collect();
        let targets = Arc::new(Self {
            list,
            ready,
            next: AtomicUsize::new(0),
        });
        if targets.list.len() > 1 {
            tokio::spawn(poll(Arc::downgrade(&targets), readyz, timeout));
        }
        targets
    }

    pub fn get(&self, index: usize) -> &Target {
        &self.list[index]
    }

    pub fn several(&self) -> bool {
        self.list.len() > 1
    }

    pub fn is_ready(&self, index: usize) -> bool {
        self.ready[index].load(Ordering::Relaxed)
    }

    /// Taken out until its `/readyz` answers 200 again (it refused a connection).
    pub fn mark_down(&self, index: usize) {
        if self.several() {
            self.ready[index].store(false, Ordering::Relaxed);
        }
    }

    /// The order in which to try targets for a new connection: the ready ones round robin,
    /// then the others (a stale view must not leave the client with nothing to try).
    pub fn connect_order(&self) -> Vec<usize> {
        let n = self.list.len();
        let first = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let rotated = (0..n).map(|k| (first + k) % n);
        let (mut order, down): (Vec<usize>, Vec<usize>) = rotated.partition(|&i| self.is_ready(i));
        order.extend(down);
        order
    }
}

/// Until `targets` is dropped: every [`READYZ_INTERVAL`], each target's readiness.
async fn poll(targets: Weak<Targets>, readyz: Uri, timeout: Duration) {
    let mut tick = tokio::time::interval(READYZ_INTERVAL);
    loop {
        tick.tick().await;
        let Some(targets) = targets.upgrade() else {
            return;
        };
        for (index, target) in targets.list.iter().enumerate() {
            let ok = tokio::time::timeout(timeout, answers_ready(target, readyz.clone()))
                .await
                .unwrap_or(false);
            targets.ready[index].store(ok, Ordering::Relaxed);
        }
    }
}

/// `GET readyz` on a connection of its own: true on 200.
async fn answers_ready(target: &Target, readyz: Uri) -> bool {
    let Ok(stream) = TcpStream::connect(target.addr).await else {
        return false;
    };
    let Ok((mut sender, connection)) =
        hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream)).await
    else {
        return false;
    };
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut request = Request::new(Empty::new());
    *request.uri_mut() = readyz;
    request.headers_mut().insert(HOST, target.host.clone());
    matches!(sender.send_request(request).await, Ok(r) if r.status() == 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(n: usize) -> Targets {
        Targets {
            list: (0..n)
                .map(|i| Target {
                    addr: SocketAddr::from(([127, 0, 0, 1], 1000 + i as u16)),
                    host: HeaderValue::from_static("h"),
                })
                .collect(),
            ready: (0..n).map(|_| AtomicBool::new(true)).collect(),
            next: AtomicUsize::new(0),
        }
    }

    #[test]
    fn connections_go_round_robin_and_to_a_target_taken_out_only_last() {
        let t = targets(3);
        assert_eq!(t.connect_order(), vec![0, 1, 2]);
        assert_eq!(t.connect_order(), vec![1, 2, 0]);
        t.mark_down(2);
        assert_eq!(t.connect_order(), vec![0, 1, 2]);
        assert_eq!(t.connect_order(), vec![0, 1, 2]);
        assert_eq!(t.connect_order(), vec![1, 0, 2]);
    }

    #[test]
    fn a_single_target_is_never_taken_out() {
        let t = targets(1);
        t.mark_down(0);
        assert!(t.is_ready(0));
    }
}
