//! Link behaviour beyond single requests: echo, heartbeat, reconnect, raw sends.

mod common;

use std::time::Duration;

use common::{TestSim, code, link_config};
use paygate_iso8583::{Message, Profile};
use paygate_network::link::{Link, LinkConfig, LinkError};
use paygate_sim_network::{DEFAULT_OPEN_TO_BUY_MINOR, JournalEntry};

const VISA: &str = "4242424242424242";

#[tokio::test]
async fn echo_is_answered_0810_00() {
    let sim = TestSim::start(Profile::Binary, DEFAULT_OPEN_TO_BUY_MINOR).await;
    let link = sim.link("PGLINK01").await;
    link.echo().await.unwrap();
    let mut raw = Message::new("0800").unwrap();
    raw.set_str(7, "0131235959").set_str(70, "301");
    let resp = link.send(raw).await.unwrap();
    assert_eq!(resp.mti(), "0810");
    assert_eq!(resp.get_str(39), Some("00"));
    assert_eq!(resp.get_str(70), Some("301"));
}

#[tokio::test]
async fn an_idle_link_sends_heartbeat_echoes() {
    let sim = TestSim::start(Profile::Ascii, DEFAULT_OPEN_TO_BUY_MINOR).await;
    let mut cfg = link_config(sim.addr(), "PGLINK02", Profile::Ascii);
    cfg.echo_interval_ms = 100;
    let _link = Link::connect(cfg).await.unwrap();
    common::eventually("two heartbeat echoes", || {
        sim.journal()
            .iter()
            .filter(|e| matches!(e, JournalEntry::Echo(_)))
            .count()
            >= 2
    })
    .await;
}

#[tokio::test]
async fn the_link_reconnects_after_the_network_restarts() {
    let sim = TestSim::start(Profile::Ascii, DEFAULT_OPEN_TO_BUY_MINOR).await;
    let link = sim.link("PGLINK03").await;
    assert_eq!(code(&link, VISA, 100).await, "00");
    let addr = sim.addr();
    let TestSim { handle, dir, .. } = sim;
    handle.shutdown().await.unwrap();
    common::eventually("the link notices", || !link.is_connected()).await;
    let err = common::authorize(&link, &common::req(VISA, 100))
        .await
        .unwrap_err();
    assert!(matches!(err, LinkError::Disconnected), "{err:?}");

    let handle =
        common::start_in(dir.path(), addr, Profile::Ascii, DEFAULT_OPEN_TO_BUY_MINOR).await;
    common::eventually("the link reconnects", || link.is_connected()).await;
    assert_eq!(code(&link, VISA, 100).await, "00");
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn connect_refuses_a_bad_config_and_an_unreachable_address() {
    let bad = LinkConfig::new("127.0.0.1:9", "TOO-LONG-ID", "123456");
    assert!(matches!(
        Link::connect(bad).await,
        Err(LinkError::InvalidConfig {
            field: "terminal_id",
            ..
        })
    ));
    let sim = TestSim::start(Profile::Ascii, DEFAULT_OPEN_TO_BUY_MINOR).await;
    let addr = sim.addr();
    sim.handle.shutdown().await.unwrap();
    let mut cfg = LinkConfig::new(addr.to_string(), "PGLINK04", "123456");
    cfg.connect_timeout_ms = 1_000;
    let result = tokio::time::timeout(Duration::from_secs(5), Link::connect(cfg)).await;
    assert!(matches!(result, Ok(Err(LinkError::Io(_)))));
}

#[tokio::test]
async fn a_raw_send_refuses_a_stan_already_in_flight() {
    let sim = TestSim::start(Profile::Ascii, DEFAULT_OPEN_TO_BUY_MINOR).await;
    let link = sim.link("PGLINK05").await;
    let prepared = link.prepare_auth(&common::req(VISA, 100)).unwrap();
    let mut raw = Message::new("0800").unwrap();
    raw.set_str(7, "0131235959")
        .set_str(11, &prepared.net_ref.stan)
        .set_str(70, "301");
    let err = link.send(raw).await.unwrap_err();
    assert!(
        matches!(err, LinkError::InvalidRequest { field: "DE 11", .. }),
        "{err:?}"
    );
    assert_eq!(link.in_flight(), 1);
    drop(prepared);
    assert_eq!(
        link.in_flight(),
        0,
        "dropping a prepared authorization frees its STAN"
    );
}
