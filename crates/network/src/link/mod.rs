//! The acquirer side of the card network: one TCP connection carrying length-framed ISO 8583
//! messages, with many requests in flight matched by STAN (DE 11).
//!
//! - **Bounded**: at most `max_in_flight` requests await answers; a request that cannot get a
//!   slot within `request_timeout_ms` fails with [`LinkError::Busy`] without being sent.
//! - **Never a false approval**: an authorization without a trustworthy answer in time (timeout,
//!   connection lost with the request in flight, malformed answer) is reversed — a 0400 with
//!   DE 90 is repeated with capped backoff until a 0410 arrives — and `send_auth` returns
//!   [`LinkError::TimedOut`] carrying the [`ReversalHandle`]. A late 0110 is logged and ignored.
//! - **Self-healing**: an idle link sends 0800 echoes every `echo_interval_ms`; a failed echo or
//!   read drops the connection, in-flight requests fail, and the link reconnects with capped
//!   exponential backoff.
//!
//! - **Recoverable follow-ups**: captures and refunds can be prepared ([`Link::prepare_capture`],
//!   [`Link::prepare_refund`]) so that the gateway records their [`NetRef`] before
//!   [`Link::send_follow_up`]; after a crash [`Link::resend_follow_up`] repeats exactly that
//!   message and learns its outcome (see `follow_up`).
//!
//! Requests that fail with [`LinkError::Disconnected`], [`LinkError::Busy`],
//! [`LinkError::StanInUse`] or [`LinkError::InvalidRequest`] were never written to the socket.

mod backoff;
mod config;
mod follow_up;
mod pending;
mod reversal;
mod transport;

use std::fmt;
use std::sync::Arc;

use paygate_iso8583::Message;

use crate::card::{self, CardError, FollowUp, clock::Stamp, de, mti, processing_code};
pub use crate::card::{
    AuthKind, AuthOutcome, AuthRequest, AuthenticationProgram, CardAuthentication, FollowUpKind,
    NetRef, Outcome, StoredCredential, StoredCredentialUsage,
};
pub use config::*;
pub use follow_up::PreparedFollowUp;
pub use pending::MAX_STAN;
pub use reversal::ReversalHandle;
use transport::{Failure, Shared, StanLease};

/// Why a request that was (or may have been) sent got no trustworthy answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unanswered {
    /// No answer within `request_timeout_ms`.
    #[error("no answer within {timeout_ms} ms")]
    Timeout {
        /// The timeout that elapsed, in milliseconds.
        timeout_ms: u64,
    },
    /// The connection was lost while the request was queued or in flight.
    #[error("connection lost with the request in flight")]
    ConnectionLost,
    /// An answer arrived but broke a rule (wrong MTI, amount, missing approval code...).
    #[error("untrustworthy answer: {0}")]
    BadResponse(String),
}

/// Errors of the link.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// An authorization's outcome is unknown (see [`Unanswered`]); it is being reversed and is
    /// never to be reported approved. Await `reversal` to learn when the reversal is answered.
    #[error("authorization outcome unknown ({cause}); a reversal is running")]
    TimedOut {
        /// The running reversal of the authorization.
        reversal: ReversalHandle,
        /// Why the answer is missing.
        cause: Unanswered,
    },
    /// A capture, refund, reversal attempt, echo or raw request got no answer; its effect at the
    /// network is unknown. Repeat a capture or refund with [`Link::resend_follow_up`].
    #[error("request outcome unknown: {cause}")]
    NoAnswer {
        /// Why the answer is missing.
        cause: Unanswered,
    },
    /// The link is down (reconnecting); the request was not sent.
    #[error("link is disconnected; the request was not sent")]
    Disconnected,
    /// All `max_in_flight` slots stayed busy for `request_timeout_ms`; the request was not sent.
    #[error("in-flight bound reached; the request was not sent")]
    Busy,
    /// A repeat must carry its original STAN, and another request of this link holds that STAN
    /// (answers are matched by STAN on the connection); the repeat was not sent.
    /// [`Link::resend_follow_up`] waits for the STAN to be free.
    #[error("STAN {stan} is held by another request on this link; the repeat was not sent")]
    StanInUse {
        /// The STAN (DE 11) the repeat needs.
        stan: String,
    },
    /// An answer to a capture, refund, echo or raw request broke a rule.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// A request value breaks a rule; nothing was sent.
    #[error("invalid request: {field}: {rule}")]
    InvalidRequest {
        /// The offending field.
        field: &'static str,
        /// The rule it broke.
        rule: String,
    },
    /// A [`LinkConfig`] field breaks a rule.
    #[error("invalid link config: {field}: {rule}")]
    InvalidConfig {
        /// The offending field.
        field: &'static str,
        /// The rule it broke.
        rule: String,
    },
    /// A reversal was repeated for `reversal_max_ms` without a 0410; reconciliation must settle
    /// the original.
    #[error("reversal abandoned after {attempts} attempts over {elapsed_ms} ms")]
    ReversalAbandoned {
        /// Attempts made.
        attempts: u32,
        /// Time spent, in milliseconds.
        elapsed_ms: u64,
    },
    /// A capture or refund was repeated for `reversal_max_ms` without an answer: its outcome at
    /// the network is still unknown; repeat it later or let reconciliation settle it.
    #[error(
        "follow-up STAN {stan} repeated {attempts} times over {elapsed_ms} ms without an answer \
         (last: {last_error}); its outcome is unknown"
    )]
    RepeatAbandoned {
        /// DE 11 of the follow-up.
        stan: String,
        /// Attempts made.
        attempts: u32,
        /// Time spent, in milliseconds.
        elapsed_ms: u64,
        /// Why the last attempt failed.
        last_error: String,
    },
    /// The first connection could not be established.
    #[error("cannot connect to the network: {0}")]
    Io(#[from] std::io::Error),
}

impl From<CardError> for LinkError {
    fn from(e: CardError) -> Self {
        match e {
            CardError::Invalid { field, rule } => LinkError::InvalidRequest { field, rule },
            CardError::Response { .. } => LinkError::Protocol(e.to_string()),
        }
    }
}

/// A handle on one network connection; cheap to clone. The connection and its background tasks
/// stop when the last clone (and the last running reversal) is dropped.
#[derive(Clone)]
pub struct Link {
    shared: Arc<Shared>,
    _life: Arc<LifeGuard>,
}

/// Stops the background tasks when the last [`Link`] clone goes away.
struct LifeGuard(Arc<Shared>);

impl Drop for LifeGuard {
    fn drop(&mut self) {
        self.0.stop();
    }
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link")
            .field("addr", &self.shared.cfg.addr)
            .field("terminal_id", &self.shared.cfg.terminal_id)
            .field("connected", &self.shared.is_connected())
            .finish()
    }
}

/// An authorization built and given its STAN and DE 7, not yet sent. Record `net_ref` durably
/// before [`Link::send_auth`]: after a crash it is what a reversal names. Dropping it unsent frees
/// the STAN.
pub struct PreparedAuth {
    /// How the authorization is named on the network.
    pub net_ref: NetRef,
    kind: AuthKind,
    msg: Message,
    amount_minor: i64,
    currency_numeric: u16,
    lease: StanLease,
}

impl PreparedAuth {
    /// The message as it will go on the wire (its layout is checked in tests; it holds card
    /// data, so it is never logged).
    pub fn message(&self) -> &Message {
        &self.msg
    }

    /// The amount, in minor units.
    pub fn amount_minor(&self) -> i64 {
        self.amount_minor
    }

    /// The ISO 4217 numeric currency.
    pub fn currency_numeric(&self) -> u16 {
        self.currency_numeric
    }
}

impl fmt::Debug for PreparedAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedAuth")
            .field("net_ref", &self.net_ref)
            .field("amount_minor", &self.amount_minor)
            .field("currency_numeric", &self.currency_numeric)
            .finish_non_exhaustive()
    }
}

impl Link {
    /// Checks `cfg`, opens the connection and starts the writer, reader and heartbeat tasks.
    /// Fails if the first connection cannot be made; later losses reconnect in the background.
    pub async fn connect(cfg: LinkConfig) -> Result<Link, LinkError> {
        cfg.validate()?;
        let shared = transport::start(cfg).await?;
        Ok(Link {
            _life: Arc::new(LifeGuard(Arc::clone(&shared))),
            shared,
        })
    }

    /// The configuration this link runs with.
    pub fn config(&self) -> &LinkConfig {
        &self.shared.cfg
    }

    /// Whether the connection is currently up.
    pub fn is_connected(&self) -> bool {
        self.shared.is_connected()
    }

    /// STANs currently reserved (prepared or awaiting an answer).
    pub fn in_flight(&self) -> usize {
        self.shared.reserved()
    }

    /// Allocates a STAN and DE 7 and builds the 0100/0200; nothing is sent.
    pub fn prepare_auth(&self, req: &AuthRequest<'_>) -> Result<PreparedAuth, LinkError> {
        let lease = self.shared.lease()?;
        let stamp = Stamp::now();
        let net_ref = self.own_ref(req.kind.mti(), &lease, &stamp);
        let msg = card::build_auth(req, &net_ref, &stamp, self.shared.spec)?;
        Ok(PreparedAuth {
            net_ref,
            kind: req.kind,
            msg,
            amount_minor: req.amount_minor,
            currency_numeric: req.currency_numeric,
            lease,
        })
    }

    /// Sends a prepared authorization and waits for its answer. Without a trustworthy answer
    /// in time it starts the reversal and returns [`LinkError::TimedOut`]; it never returns an
    /// approval after that. An account verification reserves nothing, so a lost answer is
    /// [`LinkError::NoAnswer`] and nothing is reversed.
    pub async fn send_auth(&self, p: PreparedAuth) -> Result<AuthOutcome, LinkError> {
        let PreparedAuth {
            net_ref,
            kind,
            msg,
            amount_minor,
            currency_numeric,
            lease,
        } = p;
        let cause = match self.shared.exchange(&lease, &msg).await {
            Ok(resp) => {
                match card::parse_auth_response(&net_ref, amount_minor, &resp, self.shared.spec) {
                    Ok(outcome) => return Ok(outcome),
                    Err(e) => Unanswered::BadResponse(e.to_string()),
                }
            }
            Err(Failure::NotSent(e)) => return Err(e),
            Err(Failure::Unknown(cause)) => cause,
        };
        drop(lease);
        if kind.is_verification() {
            return Err(LinkError::NoAnswer { cause });
        }
        tracing::warn!(
            stan = %net_ref.stan, terminal_id = %net_ref.terminal_id, %cause,
            "authorization outcome unknown; reversing"
        );
        let reversal = ReversalHandle::spawn(self.clone(), net_ref, amount_minor, currency_numeric);
        Err(LinkError::TimedOut { reversal, cause })
    }

    /// Captures `amount_minor` (at most the authorized amount) of the authorization `orig`
    /// whose answer carried `rrn`: a 0220 advice. The rest of the hold is released.
    /// [`Link::prepare_capture`] + [`Link::send_follow_up`]; use those when the capture must be
    /// recoverable after a crash.
    pub async fn capture(
        &self,
        orig: &NetRef,
        rrn: &str,
        amount_minor: i64,
        currency_numeric: u16,
    ) -> Result<Outcome, LinkError> {
        let prepared = self.prepare_capture(orig, rrn, amount_minor, currency_numeric)?;
        self.send_follow_up(prepared).await
    }

    /// Refunds `amount_minor` of the captured purchase or authorization `orig`: a 0200 with
    /// processing code 20. The network refuses (13) refunds beyond what was captured.
    /// [`Link::prepare_refund`] + [`Link::send_follow_up`]; use those when the refund must be
    /// recoverable after a crash.
    pub async fn refund(
        &self,
        orig: &NetRef,
        rrn: &str,
        amount_minor: i64,
        currency_numeric: u16,
    ) -> Result<Outcome, LinkError> {
        let prepared = self.prepare_refund(orig, rrn, amount_minor, currency_numeric)?;
        self.send_follow_up(prepared).await
    }

    /// Reverses (voids) the authorization or purchase `orig`: 0400s with DE 90 repeated from
    /// `reversal_retry_ms` with backoff up to `reversal_backoff_ms_max` until a 0410 arrives
    /// (whatever its DE 39), for at most `reversal_max_ms` ([`LinkError::ReversalAbandoned`]).
    /// Each attempt has its own STAN; the network treats repeats as one reversal.
    pub async fn reverse(
        &self,
        orig: &NetRef,
        amount_minor: i64,
        currency_numeric: u16,
    ) -> Result<Outcome, LinkError> {
        reversal::repeat_until_answered(self, orig, amount_minor, currency_numeric).await
    }

    /// One 0400 attempt; [`Link::reverse`] repeats it.
    async fn reverse_once(
        &self,
        orig: &NetRef,
        amount_minor: i64,
        currency_numeric: u16,
    ) -> Result<Outcome, LinkError> {
        let f = FollowUp {
            orig,
            rrn: None,
            amount_minor,
            currency_numeric,
        };
        let prepared = self.prepare_follow_up(mti::REVERSAL, processing_code::PURCHASE, &f)?;
        self.send_follow_up(prepared).await
    }

    /// Sends an 0800 echo (DE 70 = 301) and expects an 0810 with DE 39 = 00.
    pub async fn echo(&self) -> Result<(), LinkError> {
        self.shared.echo().await
    }

    /// Sends any request and returns the message answering its STAN. Sets DE 11 when absent;
    /// a given DE 11 must be 6 digits and not in flight.
    pub async fn send(&self, mut msg: Message) -> Result<Message, LinkError> {
        let lease = match msg.get_str(de::STAN) {
            Some(stan) => self.shared.lease_exact(stan)?,
            None => self.shared.lease()?,
        };
        msg.set_str(de::STAN, &lease.stan());
        self.shared
            .exchange(&lease, &msg)
            .await
            .map_err(Failure::into_plain)
    }

    fn own_ref(&self, request_mti: &str, lease: &StanLease, stamp: &Stamp) -> NetRef {
        NetRef {
            mti: request_mti.to_owned(),
            stan: lease.stan(),
            transmitted_at: stamp.transmitted_at.clone(),
            terminal_id: self.shared.cfg.terminal_id.clone(),
            acquirer_id: self.shared.cfg.acquirer_id.clone(),
        }
    }
}
