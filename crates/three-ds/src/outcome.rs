//! What an authentication produced: its [`Outcome`], how it started ([`AuthenticationStart`]),
//! the record the caller keeps while a challenge runs ([`PendingAuthentication`]) and the
//! errors of the 3DS Server ([`Error`]).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::client::TransportError;
use crate::eci::EciScheme;
use crate::messages::{
    AuthenticationValue, ChallengeCancel, ChallengeInd, ReceivedErro, TransStatus, ValidationError,
};

/// The result of an authentication, from a frictionless ARes or from the RReq after a
/// challenge. It holds the CAVV: store it like card data's neighbours (needed until the
/// authorization is sent), never log it (`Debug` redacts it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Y, A, N, U or R.
    pub trans_status: TransStatus,
    /// Why, for N, U and R (2 digits, e.g. "11" ACS unavailable).
    pub trans_status_reason: Option<String>,
    /// The ECI the ACS gave (Y and A; sometimes N/U).
    pub eci: Option<String>,
    /// The CAVV / AAV, for Y and A.
    pub authentication_value: Option<AuthenticationValue>,
    /// The DS's id of the transaction (DE 48.44 of the authorization).
    pub ds_trans_id: Uuid,
    /// The ACS's id of the transaction (absent when the DS answered alone).
    pub acs_trans_id: Option<Uuid>,
    /// The protocol version, "2.2.0".
    pub message_version: String,
    /// Why a challenge ended without the cardholder's answer (RReq only).
    pub challenge_cancel: Option<ChallengeCancel>,
}

impl Outcome {
    /// Whether the payment may go on as authenticated (Y) or attempted (A): the liability
    /// shifts to the issuer and the authorization carries ECI, CAVV and dsTransID.
    pub fn is_authenticated_or_attempted(&self) -> bool {
        self.trans_status.carries_cavv()
    }

    /// What the authorization carries (DE 48.42/43/44) for a Y or A result; `None` otherwise
    /// (the caller decides whether to authorize without, e.g. with ECI 07 after U).
    pub fn authorization_data(&self) -> Option<paygate_payments::Authentication> {
        let (eci, cavv) = (self.eci.as_ref()?, self.authentication_value.as_ref()?);
        self.is_authenticated_or_attempted()
            .then(|| paygate_payments::Authentication {
                eci: eci.clone(),
                cavv: Some(cavv.expose().to_owned()),
                ds_trans_id: Some(self.ds_trans_id.hyphenated().to_string()),
                version: self.message_version.clone(),
                program: paygate_payments::AuthenticationProgram::ThreeDSecure,
            })
    }
}

/// How an authentication went on after the AReq.
#[derive(Debug)]
pub enum AuthenticationStart {
    /// Y or A without a challenge: authorize with [`Outcome::authorization_data`].
    Frictionless(Outcome),
    /// C: send the payer's browser to the ACS. Store `pending` durably first: the RReq and the
    /// CRes are checked against it, possibly by another process after a restart.
    Challenge(Box<Challenge>),
    /// N, U or R: the issuer did not authenticate the payer (see `trans_status_reason`).
    Failed(Outcome),
    /// The DS could not be asked (unreachable, timed out, not HTTP 200): 3DS was not done.
    Unavailable(String),
}

/// A challenge to run in the payer's browser.
#[derive(Debug)]
pub struct Challenge {
    /// Where the browser POSTs the form field `creq`.
    pub acs_url: String,
    /// The CReq, base64url without padding: the value of the form field `creq`.
    pub creq: String,
    /// The ACS's id of the transaction.
    pub acs_trans_id: Uuid,
    /// The DS's id of the transaction.
    pub ds_trans_id: Uuid,
    /// What the caller stores until the RReq and the CRes arrive.
    pub pending: PendingAuthentication,
}

/// A challenge in progress as the caller stores it (serde): the ids the AReq/ARes exchanged
/// and what was sent, handed back to [`crate::ThreeDsServer::answer_rreq`] and
/// [`crate::CresResult::accept`], which return it updated (`result` set by the RReq,
/// `cres_received` by the CRes): a second RReq or CRes for a finished transaction is
/// recognised from them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuthentication {
    /// Our id of the transaction.
    pub three_ds_server_trans_id: Uuid,
    /// The DS's id.
    pub ds_trans_id: Uuid,
    /// The ACS's id.
    pub acs_trans_id: Uuid,
    /// The version agreed, "2.2.0".
    pub message_version: String,
    /// Which ECI table the card follows (checked against the RReq's ECI).
    pub eci_scheme: EciScheme,
    /// What the merchant asked for.
    pub challenge_ind: ChallengeInd,
    /// The ACS's challenge URL.
    pub acs_url: String,
    /// Where the browser returns with `cres`.
    pub notification_url: String,
    /// The final result, once the RReq was accepted.
    pub result: Option<Outcome>,
    /// Whether the browser already came back with the CRes.
    #[serde(default)]
    pub cres_received: bool,
}

impl PendingAuthentication {
    /// Whether the RReq has been accepted.
    pub fn is_finished(&self) -> bool {
        self.result.is_some()
    }
}

/// Why the 3DS Server could not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A value given to the 3DS Server breaks a rule (names the field).
    #[error("invalid 3-D Secure request: {field}: {rule}")]
    InvalidRequest {
        /// The field, e.g. "browser.color_depth".
        field: &'static str,
        /// The rule it broke.
        rule: &'static str,
    },
    /// Another component answered (or the ACS put in `cres`) an Erro.
    #[error("3-D Secure error {}", erro_summary(.0))]
    Erro(Box<ReceivedErro>),
    /// A received message broke the contract (names the field and the Erro code).
    #[error("invalid 3-D Secure message: {0}")]
    InvalidMessage(ValidationError),
    /// A second CRes for a transaction whose payer already came back (a replayed `cres`).
    #[error("the CRes of this 3-D Secure transaction was already received")]
    CresReplayed,
    /// A CRes arrived before the RReq of its transaction was accepted.
    #[error("the results (RReq) of this 3-D Secure transaction have not arrived")]
    ResultsPending,
    /// The DS could not be asked (PReq only; an AReq answers
    /// [`AuthenticationStart::Unavailable`]).
    #[error(transparent)]
    Transport(TransportError),
}

fn erro_summary(e: &ReceivedErro) -> String {
    format!(
        "{} from component {}: {}",
        e.error_code,
        e.error_component,
        e.error_detail.as_deref().unwrap_or("-")
    )
}

impl From<ValidationError> for Error {
    fn from(e: ValidationError) -> Self {
        Error::InvalidMessage(e)
    }
}
