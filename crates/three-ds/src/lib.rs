//! # paygate-three-ds: the 3DS Server of 안심클릭 / EMV 3-D Secure 2.2.0
//!
//! The gateway side of payer authentication. It speaks the EMV 3DS 2.2.0 JSON messages with a
//! Directory Server (DS) and, through the payer's browser, with the issuer's Access Control
//! Server (ACS); it has no HTTP server of its own (the gateway routes the RReq and the browser's
//! return to it) and keeps no per-transaction state (the caller stores a
//! [`PendingAuthentication`] durably, so a challenge survives a restart).
//!
//! ## The flow
//!
//! 1. **Card ranges** — [`ThreeDsServer::refresh_card_ranges`] sends a PReq and caches the PRes
//!    (at start and every few minutes: [`ThreeDsServer::spawn_card_range_refresh`]). [`ThreeDsServer::enrollment`] says whether a
//!    PAN is enrolled and whether its issuer requires authentication (`acsInfoInd` "80"); a PAN
//!    in no range is not enrolled.
//! 2. **AReq** — [`ThreeDsServer::authenticate`] sends the AReq (card, amount, merchant,
//!    browser data, `threeDSServerURL`, `notificationURL`) and reads the ARes:
//!    - Y / A → [`AuthenticationStart::Frictionless`]: authorize at once;
//!    - C → [`AuthenticationStart::Challenge`]: the caller stores `pending` and sends the
//!      browser to `acs_url` with the form field `creq` (base64url CReq);
//!    - N / U / R → [`AuthenticationStart::Failed`];
//!    - DS unreachable or too slow → [`AuthenticationStart::Unavailable`] (never a hang:
//!      [`Timeouts`]); an Erro or an invalid ARes → [`Error`] naming the code or the field.
//! 3. **RReq + CRes** — when the challenge ends the ACS sends the RReq through the DS to
//!    `threeDSServerURL`: [`ThreeDsServer::handle_rreq`] (or `read_rreq` + `answer_rreq`)
//!    validates it against the stored record and returns the RRes/Erro to answer and, the first
//!    time, the final [`Outcome`] with the record to store. Then the browser posts `cres` to the
//!    notificationURL: [`ThreeDsServer::read_cres`] decodes it and [`CresResult::accept`]
//!    matches it to the record (the RReq's result is the one trusted; a second CRes is
//!    refused as a replay).
//! 4. **Authorization** — a Y or A [`Outcome`] gives [`Outcome::authorization_data`]: ECI,
//!    CAVV and dsTransID, which the card connector sends in ISO 8583 DE 48.42 / 48.43 / 48.44
//!    (`docs/iso8583.md`); the ECI follows the brand ([`eci::EciScheme`]).
//!
//! Every received message is validated ([`messages::read`]): required fields per message type
//! and `transStatus`, formats (UUIDs, 2-digit codes, the 28-character base64 CAVV), and ids
//! that must match the transaction; refusals are [`ValidationError`]s that name the field and
//! map to an Erro (101 / 102 / 201 / 203 / 301). No PAN, CAVV or password appears in logs or
//! `Debug` output.

pub mod card_ranges;
mod client;
mod config;
pub mod eci;
pub mod messages;
mod outcome;
mod results;
mod server;

pub use card_ranges::{CardRanges, Enrollment};
pub use client::{CallMeter, Timeouts, TransportError};
pub use config::{
    AuthenticationPurpose, AuthenticationRequest, BrowserInfo, MERCHANT_NAME_MAX, Requestor,
    merchant_name,
};
pub use eci::EciScheme;
pub use messages::{ChallengeInd, ChallengeWindowSize, TransStatus, ValidationError};
pub use outcome::{AuthenticationStart, Challenge, Error, Outcome, PendingAuthentication};
pub use results::{CresAccepted, CresResult, RreqHandled, RreqResult};
pub use server::ThreeDsServer;
