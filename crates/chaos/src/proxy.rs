//! The fault-injecting TCP proxy put on every link of the cluster (gateway ↔ card network,
//! 3-D Secure, ISP server, SMS gateway, PostgreSQL). It forwards bytes both ways and, while a
//! [`LinkFault`] is in force, delays them, cuts a connection in the middle of a message,
//! swallows them, resets connections or refuses them all (a partition). The mode is read per
//! chunk, so a fault reaches connections that are already open.

use serde::Serialize;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Longest the proxy waits to connect upstream.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const CHUNK: usize = 16 * 1024;

/// What a link does to its traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LinkFault {
    /// Forwards at once.
    Healthy,
    /// Every chunk waits this long (both directions).
    Latency { ms: u64 },
    /// The next chunk of every connection is cut in half and the connection closed: a message
    /// lost in the middle.
    CloseMidMessage,
    /// Nothing gets through: new connections are accepted and never answered (closed when the
    /// link heals); open ones hold their bytes until then, as TCP retransmission would.
    Blackhole,
    /// Every connection, open or new, is reset (RST).
    Reset,
    /// Open connections are closed and new ones closed at once.
    Partition,
}

/// One link's proxy.
pub struct Proxy {
    pub name: String,
    pub addr: SocketAddr,
    mode: watch::Sender<LinkFault>,
    upstream_ports: Arc<Mutex<HashSet<u16>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream` (`HOST:PORT`).
    pub async fn start(name: &str, upstream: &str) -> Result<Proxy, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("proxy {name}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let (mode, rx) = watch::channel(LinkFault::Healthy);
        let upstream_ports = Arc::new(Mutex::new(HashSet::new()));
        let ports = upstream_ports.clone();
        let upstream = upstream.to_string();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let _ = client.set_nodelay(true);
                tokio::spawn(connection(
                    client,
                    upstream.clone(),
                    rx.clone(),
                    ports.clone(),
                ));
            }
        });
        Ok(Proxy {
            name: name.to_string(),
            addr,
            mode,
            upstream_ports,
            accept,
        })
    }

    /// Puts `fault` in force (`Healthy` heals).
    pub fn set(&self, fault: LinkFault) {
        self.mode.send_replace(fault);
    }

    /// Local ports of the proxy's open upstream connections (how PostgreSQL names the
    /// gateway's sessions: `pg_stat_activity.client_port`).
    pub fn upstream_ports(&self) -> Vec<u16> {
        self.upstream_ports
            .lock()
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }
}

async fn connection(
    client: TcpStream,
    upstream: String,
    mut mode: watch::Receiver<LinkFault>,
    ports: Arc<Mutex<HashSet<u16>>>,
) {
    let now = *mode.borrow_and_update();
    match now {
        LinkFault::Partition => return,
        LinkFault::Reset => {
            let _ = client.set_zero_linger();
            return;
        }
        LinkFault::Blackhole => return swallow(client, mode).await,
        _ => {}
    }
    let up = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&upstream)).await {
        Ok(Ok(up)) => up,
        _ => return,
    };
    let _ = up.set_nodelay(true);
    let port = up.local_addr().map(|a| a.port()).unwrap_or(0);
    if let Ok(mut s) = ports.lock() {
        s.insert(port);
    }
    let (cr, cw) = client.into_split();
    let (ur, uw) = up.into_split();
    tokio::select! {
        _ = pump(cr, uw, mode.clone()) => {}
        _ = pump(ur, cw, mode.clone()) => {}
    }
    if let Ok(mut s) = ports.lock() {
        s.remove(&port);
    }
}

/// A blackholed connection: read and drop everything until the link heals, then close.
async fn swallow(mut client: TcpStream, mut mode: watch::Receiver<LinkFault>) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        tokio::select! {
            r = client.read(&mut buf) => if matches!(r, Ok(0) | Err(_)) { return },
            c = mode.changed() => if c.is_err() || *mode.borrow() != LinkFault::Blackhole { return },
        }
    }
}

/// One direction. Returns when the connection is to be closed (EOF, error or a fault).
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    mut mode: watch::Receiver<LinkFault>,
) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = tokio::select! {
            r = from.read(&mut buf) => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            c = mode.changed() => {
                if c.is_err() {
                    return;
                }
                match *mode.borrow() {
                    LinkFault::Partition => return,
                    LinkFault::Reset => {
                        let _ = to.as_ref().set_zero_linger();
                        return;
                    }
                    _ => continue,
                }
            }
        };
        let fault = *mode.borrow();
        match fault {
            LinkFault::Healthy => {}
            LinkFault::Latency { ms } => tokio::time::sleep(Duration::from_millis(ms)).await,
            LinkFault::CloseMidMessage => {
                let _ = to.write_all(&buf[..n / 2]).await;
                return;
            }
            LinkFault::Blackhole => {
                // TCP retransmits what a blackhole eats: the bytes arrive once it heals.
                if !held_until_healed(&mut mode).await {
                    return;
                }
            }
            LinkFault::Reset => {
                let _ = to.as_ref().set_zero_linger();
                return;
            }
            LinkFault::Partition => return,
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// Waits while the link is blackholed; false when it then fails in a way that closes.
async fn held_until_healed(mode: &mut watch::Receiver<LinkFault>) -> bool {
    loop {
        match *mode.borrow_and_update() {
            LinkFault::Blackhole => {}
            LinkFault::Partition | LinkFault::Reset => return false,
            _ => return true,
        }
        if mode.changed().await.is_err() {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server; its address.
    async fn echo() -> String {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = s.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
        addr
    }

    async fn round_trip(s: &mut TcpStream, msg: &[u8]) -> Vec<u8> {
        s.write_all(msg).await.unwrap();
        let mut got = vec![0u8; msg.len()];
        s.read_exact(&mut got).await.unwrap();
        got
    }

    #[tokio::test]
    async fn a_healthy_link_forwards_both_ways_and_a_delayed_one_still_delivers() {
        let p = Proxy::start("t", &echo().await).await.unwrap();
        let mut s = TcpStream::connect(p.addr).await.unwrap();
        assert_eq!(round_trip(&mut s, b"0200").await, b"0200");
        assert_eq!(p.upstream_ports().len(), 1);
        p.set(LinkFault::Latency { ms: 5 });
        assert_eq!(round_trip(&mut s, b"0400").await, b"0400");
    }

    #[tokio::test]
    async fn a_message_cut_in_the_middle_arrives_half_then_the_connection_closes() {
        let p = Proxy::start("t", &echo().await).await.unwrap();
        let mut s = TcpStream::connect(p.addr).await.unwrap();
        assert_eq!(round_trip(&mut s, b"hello").await, b"hello");
        p.set(LinkFault::CloseMidMessage);
        s.write_all(b"0123456789").await.unwrap();
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got).await;
        assert!(got.len() < 10 && b"01234".starts_with(&got), "{got:?}");
    }

    #[tokio::test]
    async fn a_reset_or_a_partition_ends_open_connections_and_refuses_new_ones() {
        let p = Proxy::start("t", &echo().await).await.unwrap();
        for fault in [LinkFault::Reset, LinkFault::Partition] {
            p.set(LinkFault::Healthy);
            let mut open = TcpStream::connect(p.addr).await.unwrap();
            assert_eq!(round_trip(&mut open, b"ping").await, b"ping");
            p.set(fault);
            let mut buf = [0u8; 4];
            assert!(
                matches!(open.read(&mut buf).await, Ok(0) | Err(_)),
                "{fault:?}"
            );
            let mut new = TcpStream::connect(p.addr).await.unwrap();
            let _ = new.write_all(b"ping").await;
            assert!(
                matches!(new.read(&mut buf).await, Ok(0) | Err(_)),
                "{fault:?}"
            );
        }
    }

    #[tokio::test]
    async fn bytes_held_by_a_blackhole_arrive_once_it_heals() {
        let p = Proxy::start("t", &echo().await).await.unwrap();
        let mut s = TcpStream::connect(p.addr).await.unwrap();
        assert_eq!(round_trip(&mut s, b"a").await, b"a");
        p.set(LinkFault::Blackhole);
        s.write_all(b"held").await.unwrap();
        p.set(LinkFault::Healthy);
        let mut got = [0u8; 4];
        s.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"held");
    }
}
