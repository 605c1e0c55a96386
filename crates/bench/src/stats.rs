//! What one phase of the run observed: outcome counts, errors by kind and latency histograms.

use crate::histogram::Histogram;
use serde::Serialize;
use std::time::Duration;

/// Why a request did not get the answer the API promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// A 4xx other than the expected 402 card decline.
    Http4xx,
    /// Any 5xx.
    Http5xx,
    /// No complete response within `request_timeout_ms` (or still running at the drain limit).
    Timeout,
    /// The TCP connection could not be opened.
    Connect,
    /// The connection broke mid-request (reset, closed before the response was complete).
    Transport,
    /// Open loop only: `max_in_flight` requests were outstanding, so this one was never sent.
    ClientOverload,
    /// A response whose status or body is not what the API promises (bad JSON, wrong status
    /// value, a 402 that is not a card error, an oversized body, an approved decline card).
    UnexpectedBody,
}

/// Errors by kind. An expected card decline (402 `card_error`) is not an error and is counted in
/// [`crate::Summary::declined`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ErrorCounts {
    /// 4xx other than the expected 402 card decline.
    pub http_4xx: u64,
    /// 5xx.
    pub http_5xx: u64,
    /// No complete response within the request timeout.
    pub timeout: u64,
    /// TCP connect failed.
    pub connect: u64,
    /// The connection broke mid-request.
    pub transport: u64,
    /// Open loop: dropped at the client because `max_in_flight` requests were outstanding.
    pub client_overload: u64,
    /// Status or body not what the API promises.
    pub unexpected_body: u64,
}

impl ErrorCounts {
    /// Sum over all kinds.
    pub fn total(&self) -> u64 {
        self.by_kind().iter().map(|(_, n)| n).sum()
    }

    /// `(json name, count)` for every kind, in a fixed order.
    pub fn by_kind(&self) -> [(&'static str, u64); 7] {
        [
            ("http_4xx", self.http_4xx),
            ("http_5xx", self.http_5xx),
            ("timeout", self.timeout),
            ("connect", self.connect),
            ("transport", self.transport),
            ("client_overload", self.client_overload),
            ("unexpected_body", self.unexpected_body),
        ]
    }

    pub(crate) fn add(&mut self, kind: ErrorKind, n: u64) {
        let slot = match kind {
            ErrorKind::Http4xx => &mut self.http_4xx,
            ErrorKind::Http5xx => &mut self.http_5xx,
            ErrorKind::Timeout => &mut self.timeout,
            ErrorKind::Connect => &mut self.connect,
            ErrorKind::Transport => &mut self.transport,
            ErrorKind::ClientOverload => &mut self.client_overload,
            ErrorKind::UnexpectedBody => &mut self.unexpected_body,
        };
        *slot += n;
    }
}

/// The result of one request as the counters see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Payment intent confirmed (`succeeded`, or `requires_capture` for manual capture).
    Approved,
    /// 402 `card_error`: an answered payment, not an error.
    Declined,
    /// Capture of a manual-capture payment intent answered 2xx.
    Captured,
    /// Refund answered 2xx.
    Refunded,
    /// `GET /healthz` answered 2xx.
    BareOk,
    /// Anything else.
    Failed(ErrorKind),
}

/// Which histogram a latency belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timed {
    /// The phase's main request: the payment (from its intended start) or the bare request.
    Main,
    /// A capture or refund after a payment (from its own start).
    FollowUp,
}

/// Everything one phase counted inside its measurement window.
#[derive(Debug, Default)]
pub(crate) struct PhaseStats {
    pub latency: Histogram,
    pub follow_up_latency: Histogram,
    pub approved: u64,
    pub declined: u64,
    pub captured: u64,
    pub refunded: u64,
    pub bare_ok: u64,
    pub errors: ErrorCounts,
}

impl PhaseStats {
    /// Counts one request; `latency` is `None` for requests that were never sent.
    pub fn record(&mut self, timed: Timed, latency: Option<Duration>, outcome: Outcome) {
        if let Some(latency) = latency {
            let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
            match timed {
                Timed::Main => self.latency.record_us(us),
                Timed::FollowUp => self.follow_up_latency.record_us(us),
            }
        }
        match outcome {
            Outcome::Approved => self.approved += 1,
            Outcome::Declined => self.declined += 1,
            Outcome::Captured => self.captured += 1,
            Outcome::Refunded => self.refunded += 1,
            Outcome::BareOk => self.bare_ok += 1,
            Outcome::Failed(kind) => self.errors.add(kind, 1),
        }
    }

    /// Main requests that got the answer the API promises (payments: approved + declined).
    pub fn answered(&self) -> u64 {
        self.approved + self.declined + self.bare_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_sorts_outcomes_and_latencies() {
        let mut s = PhaseStats::default();
        s.record(
            Timed::Main,
            Some(Duration::from_millis(2)),
            Outcome::Approved,
        );
        s.record(
            Timed::Main,
            Some(Duration::from_millis(3)),
            Outcome::Declined,
        );
        s.record(
            Timed::FollowUp,
            Some(Duration::from_millis(1)),
            Outcome::Captured,
        );
        s.record(
            Timed::Main,
            None,
            Outcome::Failed(ErrorKind::ClientOverload),
        );
        s.record(
            Timed::Main,
            Some(Duration::from_millis(9)),
            Outcome::Failed(ErrorKind::Http5xx),
        );
        assert_eq!(
            (s.approved, s.declined, s.captured, s.answered()),
            (1, 1, 1, 2)
        );
        assert_eq!(s.latency.count(), 3);
        assert_eq!(s.follow_up_latency.count(), 1);
        assert_eq!(s.errors.client_overload, 1);
        assert_eq!(s.errors.http_5xx, 1);
        assert_eq!(s.errors.total(), 2);
    }
}
