//! paygate as the acquirer host of store terminals (`paygate serve --pos-listen ADDR`): ISO
//! 8583 from terminals on the card network's codec and framing (2-byte length header, `ascii`
//! profile, DE 55 as upper-case hex; docs/iso8583.md, "Terminals").
//!
//! | module | what |
//! |---|---|
//! | [`terminals`] | the registry: a terminal (DE 41/42) per merchant, `03` for any other |
//! | [`terminal_request`] | the gateway's reading of a terminal's fields and card read |
//! | [`read`] | the read the engine relays (DE 55 / DE 35) and the charge's `card_present` details |
//! | [`purchase`] | a 0200 purchase as a PaymentIntent through the engine's `Authorize` |
//! | [`refund`] | a 0200 with processing code 20: the purchase named by DE 90 refunded |
//! | [`reversal`] | a 0400 from a terminal that timed out: nothing, a marker, or a full refund |
//! | [`totals`] | 0500 → 0510: today's sales and refunds of the terminal in DE 48 |
//! | [`answer`] | the 0210 from what the engine committed |
//! | [`listener`] | the TCP listener, one task per terminal connection |

pub mod answer;
pub mod listener;
pub mod purchase;
pub mod read;
pub mod refund;
pub mod reversal;
pub mod terminal_request;
pub mod terminals;
pub mod totals;

pub use listener::serve;
