//! Malformed, truncated and oversize input on raw sockets: the offending connection gets a 30 or
//! is closed, and every other connection keeps being served.

mod common;

use common::{TestSim, closed_by_peer, code, raw_auth, read_frame, write_frame};
use paygate_iso8583::{Profile, decode, encode};
use paygate_sim_network::{DEFAULT_OPEN_TO_BUY_MINOR, JournalEntry};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

async fn sim_and_raw() -> (TestSim, TcpStream) {
    let sim = TestSim::start(Profile::Ascii, DEFAULT_OPEN_TO_BUY_MINOR).await;
    let raw = TcpStream::connect(sim.addr()).await.unwrap();
    (sim, raw)
}

async fn still_serves(sim: &TestSim) {
    let link = sim.link("PGOTHER1").await;
    assert_eq!(code(&link, "4242424242424242", 100).await, "00");
}

#[tokio::test]
async fn garbage_after_a_readable_stan_is_answered_30_on_the_same_connection() {
    let (sim, mut raw) = sim_and_raw().await;
    let spec = Profile::Ascii.spec();
    let mut body = encode(&raw_auth("4242424242424242", "000321"), spec).unwrap();
    body.extend_from_slice(b"\x00garbage\xff");
    write_frame(&mut raw, &body).await;
    let resp = decode(&read_frame(&mut raw).await.expect("an answer"), spec).unwrap();
    assert_eq!(resp.mti(), "0110");
    assert_eq!(resp.get_str(11), Some("000321"));
    assert_eq!(resp.get_str(39), Some("30"));

    // A field that decodes but breaks its format (DE 4 not numeric) is a format error too.
    let mut bad = raw_auth("4242424242424242", "000322");
    bad.set_str(4, "00000000ABCD");
    write_frame(&mut raw, &encode(&bad, spec).unwrap()).await;
    let resp = decode(&read_frame(&mut raw).await.unwrap(), spec).unwrap();
    assert_eq!(
        (resp.get_str(11), resp.get_str(39)),
        (Some("000322"), Some("30"))
    );

    // The connection still works for a good request.
    write_frame(
        &mut raw,
        &encode(&raw_auth("4242424242424242", "000323"), spec).unwrap(),
    )
    .await;
    let resp = decode(&read_frame(&mut raw).await.unwrap(), spec).unwrap();
    assert_eq!(
        (resp.get_str(11), resp.get_str(39)),
        (Some("000323"), Some("00"))
    );
    let format_errors = sim
        .journal()
        .iter()
        .filter(|e| matches!(e, JournalEntry::FormatError(_)))
        .count();
    assert_eq!(format_errors, 2);
}

#[tokio::test]
async fn an_unreadable_frame_closes_only_its_connection() {
    let (sim, mut raw) = sim_and_raw().await;
    write_frame(&mut raw, b"this is not ISO 8583 at all").await;
    assert!(closed_by_peer(&mut raw).await);
    still_serves(&sim).await;
}

#[tokio::test]
async fn a_truncated_frame_closes_only_its_connection() {
    let (sim, mut raw) = sim_and_raw().await;
    raw.write_all(b"\x00\x64").await.unwrap();
    raw.write_all(b"0100abcdef").await.unwrap();
    raw.shutdown().await.unwrap();
    assert!(closed_by_peer(&mut raw).await);
    still_serves(&sim).await;
    assert!(
        sim.journal()
            .iter()
            .all(|e| !matches!(e, JournalEntry::FormatError(_)))
    );
}

#[tokio::test]
async fn an_oversize_length_header_closes_the_connection_at_once() {
    let (sim, mut raw) = sim_and_raw().await;
    raw.write_all(b"\xff\xff0100").await.unwrap();
    assert!(
        closed_by_peer(&mut raw).await,
        "closed without waiting for 65535 bytes"
    );
    still_serves(&sim).await;
}

#[tokio::test]
async fn a_connection_that_half_sent_a_frame_does_not_block_the_others() {
    let (sim, mut raw) = sim_and_raw().await;
    raw.write_all(b"\x00\x64012").await.unwrap();
    still_serves(&sim).await;
    drop(raw);
}
