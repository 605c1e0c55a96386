//! The vault as its own service (`paygate vault serve`, hybrid cloud): the card-data store and
//! its keyring behind a small JSON API spoken only over mutual TLS.
//!
//! - [`wire`]: the requests and answers, shared by both ends;
//! - [`mtls`]: the rustls configurations (TLS 1.2+, client certificate required and chained to
//!   the client CA; the server verified against a CA bundle);
//! - [`server`]: the vault's routes over the store and keyring;
//! - [`client`]: the gateway's client of a remote vault.

pub mod client;
pub mod mtls;
pub mod server;
pub mod wire;
