//! paygate's side of the card network: what the gateway sends and how it reads the answers.
//!
//! - [`frame`]: 2-byte big-endian length framing with an explicit `Incomplete` outcome.
//! - [`card`]: pure mapping between gateway requests and ISO 8583 messages (no sockets).
//! - [`link`]: the acquirer link — many requests in flight matched by STAN, timeouts that
//!   reverse, heartbeat, reconnect.
//! - [`report`]: the acquirer report format and the [`report::CounterpartyReport`] trait that
//!   reconciliation reads.
//! - [`clearing`]: our reader of the network's daily clearing file (fixed-width records with
//!   interchange fees, docs/CLEARING.md).
//!
//! The card-network simulator is not here: it is a counterparty of its own in
//! `crates/sim/network` (`paygate-sim-network`), which shares only the ISO 8583 codec with
//! this crate. Protocol choices (profiles, data elements, DE 48 subelements, response codes,
//! the report format) are documented in `docs/iso8583.md`; the simulator's test cards in
//! `docs/test-cards.md`.

pub mod card;
pub mod clearing;
pub mod frame;
pub mod link;
pub mod report;
