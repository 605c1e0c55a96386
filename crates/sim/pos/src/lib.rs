//! `paygate sim pos`: a store terminal with a phone in front of it — a counterparty of the
//! gateway's POS listener, sharing only the ISO 8583 codec, the EMV cryptography and the
//! simulators' framing with it.
//!
//! | module | what |
//! |---|---|
//! | [`phone`] | the phone's side: DE 55 with a Visa CVN 18 ARQC (NFC), or the MST track 2 with a CVC3; the ARPC check |
//! | [`state`] | the terminal's state file: next STAN, the ATC per card (a phone's counter) |
//! | [`terminal`] | the messages (0200, 0400, 0500) and one exchange with a timeout |
//! | [`cli`] | the command line and its `--json` report |

pub mod cli;
pub mod phone;
pub mod state;
pub mod terminal;
