//! Shared helpers: a simulator on 127.0.0.1:0 with a fresh data directory, links to it, raw
//! sockets, journal look-ups.
#![allow(dead_code)] // each test binary uses a different subset

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use paygate_iso8583::{Message, Profile};
use paygate_network::frame;
use paygate_network::link::{
    AuthKind, AuthOutcome, AuthRequest, Link, LinkConfig, LinkError, NetRef,
};
use paygate_sim_network::{self as sim, AuthorizationEntry, JournalEntry, SimConfig, SimHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A running simulator and its data directory.
pub struct TestSim {
    pub handle: SimHandle,
    pub dir: tempfile::TempDir,
    pub profile: Profile,
    pub open_to_buy_minor: i64,
}

impl TestSim {
    pub async fn start(profile: Profile, open_to_buy_minor: i64) -> TestSim {
        let dir = tempfile::tempdir().expect("tempdir");
        let handle = start_in(
            dir.path(),
            "127.0.0.1:0".parse().unwrap(),
            profile,
            open_to_buy_minor,
        )
        .await;
        TestSim {
            handle,
            dir,
            profile,
            open_to_buy_minor,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// Stops the simulator and starts it again on the same data directory and address.
    pub async fn restart(self) -> TestSim {
        let addr = self.addr();
        let TestSim {
            handle,
            dir,
            profile,
            open_to_buy_minor,
        } = self;
        handle.shutdown().await.expect("clean shutdown");
        let handle = start_in(dir.path(), addr, profile, open_to_buy_minor).await;
        TestSim {
            handle,
            dir,
            profile,
            open_to_buy_minor,
        }
    }

    pub fn journal(&self) -> Vec<JournalEntry> {
        sim::journal(self.dir.path()).expect("journal")
    }

    /// The journal entry of the authorization named `net`.
    pub fn authorization(&self, net: &NetRef) -> AuthorizationEntry {
        self.journal()
            .into_iter()
            .find_map(|e| match e {
                JournalEntry::Authorization(a)
                    if a.stan == net.stan
                        && a.terminal_id == net.terminal_id
                        && a.transmitted_at == net.transmitted_at =>
                {
                    Some(a)
                }
                _ => None,
            })
            .expect("authorization in the journal")
    }

    pub async fn link(&self, terminal_id: &str) -> Link {
        Link::connect(link_config(self.addr(), terminal_id, self.profile))
            .await
            .expect("link connects")
    }
}

pub async fn start_in(dir: &Path, listen: SocketAddr, profile: Profile, otb: i64) -> SimHandle {
    let mut cfg = SimConfig::new(listen, dir);
    cfg.profile = profile;
    cfg.open_to_buy_minor = otb;
    // Rebinding the port of a simulator that just stopped can race its socket teardown.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match sim::start(cfg.clone()).await {
            Ok(h) => return h,
            Err(e) if Instant::now() < deadline => {
                eprintln!("simulator start retry: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("simulator does not start: {e}"),
        }
    }
}

/// Short timeouts so that timeout and reversal tests run fast.
pub fn link_config(addr: SocketAddr, terminal_id: &str, profile: Profile) -> LinkConfig {
    let mut cfg = LinkConfig::new(addr.to_string(), terminal_id, "123456");
    cfg.profile = profile;
    cfg.request_timeout_ms = 2_000;
    cfg.reconnect_backoff_ms_max = 200;
    cfg.reversal_retry_ms = 50;
    cfg.reversal_backoff_ms_max = 200;
    cfg.reversal_max_ms = 20_000;
    cfg
}

pub fn req(pan: &'static str, amount_minor: i64) -> AuthRequest<'static> {
    AuthRequest {
        kind: AuthKind::Authorization,
        pan,
        expiry_yymm: "3412",
        cvc: Some("123"),
        amount_minor,
        currency_numeric: 410,
        merchant_id: "shop-1",
        pos_entry_mode: "812",
        authentication: None,
        track2: None,
        icc: None,
        stored_credential: None,
        installments: None,
    }
}

pub async fn authorize(link: &Link, r: &AuthRequest<'_>) -> Result<AuthOutcome, LinkError> {
    let prepared = link.prepare_auth(r)?;
    link.send_auth(prepared).await
}

/// Authorizes and returns the outcome, panicking on a link error.
pub async fn code(link: &Link, pan: &'static str, amount_minor: i64) -> String {
    authorize(link, &req(pan, amount_minor))
        .await
        .expect("answered")
        .response_code
}

/// Waits until `cond` holds, up to 5 s.
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Writes one framed message on a raw socket.
pub async fn write_frame(stream: &mut TcpStream, body: &[u8]) {
    let mut out = bytes::BytesMut::new();
    frame::encode_into(body, &mut out).unwrap();
    stream.write_all(&out).await.unwrap();
}

/// Reads one framed message from a raw socket; `None` when the peer closed.
pub async fn read_frame(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let read = async {
        let mut len = [0u8; 2];
        stream.read_exact(&mut len).await.ok()?;
        let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
        stream.read_exact(&mut body).await.ok()?;
        Some(body)
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .expect("the simulator answers or closes within 5 s")
}

/// Whether the peer closed the connection (EOF or reset) within 5 s.
pub async fn closed_by_peer(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => true,
        Ok(Ok(_)) | Err(_) => false,
    }
}

/// A well-formed 0100 for `pan` with the given STAN, as the raw-socket tests send it.
pub fn raw_auth(pan: &str, stan: &str) -> Message {
    let mut m = Message::new("0100").unwrap();
    m.set_str(2, pan)
        .set_str(3, "000000")
        .set_str(4, "000000001000")
        .set_str(7, "0131235959")
        .set_str(11, stan)
        .set_str(14, "3412")
        .set_str(22, "812")
        .set_str(41, "RAWTEST1")
        .set_str(49, "410");
    m
}
