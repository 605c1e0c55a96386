//! paygate's card-network side.
//!
//! - [`frame`]: 2-byte big-endian length framing with an explicit `Incomplete` outcome.
//! - [`card`]: pure mapping between gateway requests and ISO 8583 messages (no sockets).
//! - [`link`]: the acquirer link — many requests in flight matched by STAN, timeouts that
//!   reverse, heartbeat, reconnect.
//! - [`sim`]: the card-network simulator (`paygate sim network`) and its SQLite journal.
//! - [`cli`]: the `paygate sim network` command-line glue.
//!
//! Protocol choices (profiles, data elements, DE 48 subelements, response codes) are documented
//! in `docs/iso8583.md`; the simulator's test cards in `docs/test-cards.md`.

pub mod card;
pub mod cli;
pub mod frame;
pub mod link;
pub mod sim;
