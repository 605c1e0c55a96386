//! Captures and refunds the gateway can recover after a crash.
//!
//! A follow-up is *prepared* first — STAN and DE 7 allocated, message built, nothing sent — so
//! that the gateway can record its [`NetRef`] durably before [`Link::send_follow_up`]. After a
//! crash, [`Link::resend_follow_up`] sends the ISO repeat of exactly that message (0221 for a
//! 0220 capture, 0201 for a 0200 refund: same DE 7, 11, 41, same content) and returns the
//! network's recorded answer — or, if the network never saw the message, the answer of
//! processing it now, once.
//!
//! Answers are matched by STAN on the connection, so a repeat needs its old STAN free on *this*
//! link: it holds that STAN from its first attempt to its last, and while another request of this
//! link holds it the attempt is not sent ([`LinkError::StanInUse`]) and is retried with the same
//! backoff as an unanswered one.

use std::fmt;

use paygate_iso8583::Message;

use super::backoff::Backoff;
use super::transport::{Failure, StanLease, parse_stan};
use super::{Link, LinkError, NetRef, Outcome};
use crate::card::{self, FollowUp, FollowUpKind, clock::Stamp};

/// A capture or refund built and given its STAN and DE 7, not yet sent. Record `net_ref`
/// durably before [`Link::send_follow_up`]: after a crash it is what
/// [`Link::resend_follow_up`] repeats. Dropping it unsent frees the STAN.
pub struct PreparedFollowUp {
    /// How this follow-up is named on the network: its own MTI (0220 or 0200), STAN, DE 7 and
    /// acquirer id, and the **original's** terminal id — a follow-up travels under the DE 41 of
    /// the authorization it refers to, whichever process sends it.
    pub net_ref: NetRef,
    msg: Message,
    lease: StanLease,
}

impl fmt::Debug for PreparedFollowUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedFollowUp")
            .field("net_ref", &self.net_ref)
            .finish_non_exhaustive()
    }
}

impl Link {
    /// Allocates a STAN and DE 7 and builds the 0220 capture of `amount_minor` (at most the
    /// authorized amount) of the authorization `orig` whose answer carried `rrn`; nothing is
    /// sent.
    pub fn prepare_capture(
        &self,
        orig: &NetRef,
        rrn: &str,
        amount_minor: i64,
        currency_numeric: u16,
    ) -> Result<PreparedFollowUp, LinkError> {
        self.prepare_kind(
            FollowUpKind::Capture,
            orig,
            rrn,
            amount_minor,
            currency_numeric,
        )
    }

    /// Allocates a STAN and DE 7 and builds the 0200 refund (processing code 20) of
    /// `amount_minor` of the captured authorization or purchase `orig`; nothing is sent.
    pub fn prepare_refund(
        &self,
        orig: &NetRef,
        rrn: &str,
        amount_minor: i64,
        currency_numeric: u16,
    ) -> Result<PreparedFollowUp, LinkError> {
        self.prepare_kind(
            FollowUpKind::Refund,
            orig,
            rrn,
            amount_minor,
            currency_numeric,
        )
    }

    /// Sends a prepared capture or refund once and waits for its answer. Without one
    /// ([`LinkError::NoAnswer`]) the effect is unknown: repeat it with
    /// [`Link::resend_follow_up`].
    pub async fn send_follow_up(&self, p: PreparedFollowUp) -> Result<Outcome, LinkError> {
        let PreparedFollowUp {
            net_ref,
            msg,
            lease,
        } = p;
        let resp = self
            .shared
            .exchange(&lease, &msg)
            .await
            .map_err(Failure::into_plain)?;
        Ok(card::parse_outcome(&net_ref.mti, &net_ref.stan, &resp)?)
    }

    /// After a crash (or a [`LinkError::NoAnswer`]): sends the ISO repeat (0221 / 0201) of the
    /// follow-up named `own` — the persisted [`PreparedFollowUp::net_ref`] — with the same DE 7,
    /// 11, 32, 41 and the same content (`orig`, `rrn`, amount and currency as prepared), and
    /// returns the network's answer: the recorded one if the message was processed before, or
    /// the answer of processing it now if the network never saw it. Either way it takes effect
    /// at most once. Any link may send it, whatever its own terminal id.
    ///
    /// Attempts are repeated from `reversal_retry_ms` with backoff up to
    /// `reversal_backoff_ms_max` until an answer (any DE 39), for at most `reversal_max_ms`
    /// ([`LinkError::RepeatAbandoned`]). An attempt is not sent while `own.stan` is held by
    /// another request of this link ([`LinkError::StanInUse`]): it waits for it to end.
    /// [`LinkError::InvalidRequest`] (nothing sent) when `own` does not fit `kind` and `orig`.
    pub async fn resend_follow_up(
        &self,
        own: &NetRef,
        orig: &NetRef,
        rrn: &str,
        kind: FollowUpKind,
        amount_minor: i64,
        currency_numeric: u16,
    ) -> Result<Outcome, LinkError> {
        let f = FollowUp {
            orig,
            rrn: Some(rrn),
            amount_minor,
            currency_numeric,
        };
        let msg = card::build_follow_up_repeat(own, kind, &f)?;
        let stan = parse_stan(own.stan.as_bytes()).ok_or_else(|| LinkError::InvalidRequest {
            field: "own.stan",
            rule: "must be 6 digits, not 000000".to_owned(),
        })?;
        let mut backoff = Backoff::new(self.config());
        // Held from the first attempt that gets it until the end: between attempts the allocator
        // must not hand `own.stan` to a new request, which would be matched with a late answer
        // to an earlier attempt.
        let mut lease = None;
        loop {
            let error = match self.repeat_once(&mut lease, stan, &msg).await {
                Ok(outcome) => return Ok(outcome),
                Err(e @ LinkError::InvalidRequest { .. }) => return Err(e),
                Err(e) => e,
            };
            tracing::warn!(
                stan = %own.stan, terminal_id = %own.terminal_id, mti = msg.mti(),
                attempts = backoff.attempts() + 1, %error, "follow-up repeat unanswered; repeating"
            );
            let Some(delay) = backoff.after_failure() else {
                return Err(LinkError::RepeatAbandoned {
                    stan: own.stan.clone(),
                    attempts: backoff.attempts(),
                    elapsed_ms: backoff.elapsed_ms(),
                    last_error: error.to_string(),
                });
            };
            tokio::time::sleep(delay).await;
        }
    }

    /// Builds a capture, refund or reversal of `f.orig` under a fresh STAN; the message carries
    /// the original's DE 41.
    pub(super) fn prepare_follow_up(
        &self,
        request_mti: &str,
        processing: &str,
        f: &FollowUp<'_>,
    ) -> Result<PreparedFollowUp, LinkError> {
        let lease = self.shared.lease()?;
        let stamp = Stamp::now();
        let net_ref = NetRef {
            mti: request_mti.to_owned(),
            stan: lease.stan(),
            transmitted_at: stamp.transmitted_at.clone(),
            terminal_id: f.orig.terminal_id.clone(),
            acquirer_id: self.shared.cfg.acquirer_id.clone(),
        };
        let msg = card::build_follow_up(&net_ref, &stamp, processing, f)?;
        Ok(PreparedFollowUp {
            net_ref,
            msg,
            lease,
        })
    }

    fn prepare_kind(
        &self,
        kind: FollowUpKind,
        orig: &NetRef,
        rrn: &str,
        amount_minor: i64,
        currency_numeric: u16,
    ) -> Result<PreparedFollowUp, LinkError> {
        let f = FollowUp {
            orig,
            rrn: Some(rrn),
            amount_minor,
            currency_numeric,
        };
        self.prepare_follow_up(kind.mti(), kind.processing_code(), &f)
    }

    /// One attempt of a repeat: reserves `stan` on this link unless `lease` already holds it,
    /// sends `msg`, reads the answer.
    async fn repeat_once(
        &self,
        lease: &mut Option<StanLease>,
        stan: u32,
        msg: &Message,
    ) -> Result<Outcome, LinkError> {
        let held = match lease {
            Some(held) => held,
            None => lease.insert(self.shared.try_lease_exact(stan).ok_or_else(|| {
                LinkError::StanInUse {
                    stan: format!("{stan:06}"),
                }
            })?),
        };
        let resp = self
            .shared
            .exchange(held, msg)
            .await
            .map_err(Failure::into_plain)?;
        Ok(card::parse_outcome(msg.mti(), &held.stan(), &resp)?)
    }
}
