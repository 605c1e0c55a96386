//! Link metrics per counterparty: how long its answers take
//! (`paygate_link_request_duration_seconds`) and how many calls wait for one right now
//! (`paygate_link_in_flight`). The engine's connectors are wrapped in a [`MeteredConnector`]
//! when the state is built, so every call to a counterparty is measured in one place.

use super::exposition::{Exposition, Kind};
use super::histogram::Histogram;
use paygate_ledger::Counterparty;
use paygate_payments::{
    AuthorizationOutcome, AuthorizationRequest, BankAccount, BoxFuture, Connector, ConnectorError,
    ConnectorRef, FollowUpAnswer, FollowUpKind, PreparedAuthorization, PreparedFollowUp,
};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

const LINKS: usize = Counterparty::ALL.len();

/// One counterparty's link: latency of its answers and calls in flight.
struct LinkStats {
    latency: Histogram,
    in_flight: AtomicI64,
}

impl Default for LinkStats {
    fn default() -> Self {
        LinkStats {
            latency: Histogram::latency(),
            in_flight: AtomicI64::new(0),
        }
    }
}

#[derive(Default)]
pub struct LinkMetrics {
    links: [LinkStats; LINKS],
}

/// Counts a call in flight until dropped (answered, failed or abandoned), then records its
/// duration.
struct InFlight<'a> {
    link: &'a LinkStats,
    started: Instant,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.link.in_flight.fetch_sub(1, Ordering::Relaxed);
        let us = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.link.latency.observe(us);
    }
}

impl LinkMetrics {
    fn stats(&self, c: Counterparty) -> &LinkStats {
        let i = Counterparty::ALL.iter().position(|x| *x == c).unwrap_or(0);
        &self.links[i]
    }

    /// Runs the call `f` to the counterparty `c`, measured.
    pub async fn measure<T>(&self, c: Counterparty, f: impl Future<Output = T>) -> T {
        let link = self.stats(c);
        link.in_flight.fetch_add(1, Ordering::Relaxed);
        let _guard = InFlight {
            link,
            started: Instant::now(),
        };
        f.await
    }

    pub fn render(&self, e: &mut Exposition) {
        let name = "paygate_link_request_duration_seconds";
        let help = "Time a counterparty took to answer a call (authorization, capture, refund, reversal).";
        e.family(name, Kind::Histogram, help);
        for (c, l) in Counterparty::ALL.iter().zip(&self.links) {
            e.histogram(name, &[("counterparty", c.as_str())], &l.latency.snapshot());
        }
        let name = "paygate_link_in_flight";
        e.family(name, Kind::Gauge, "Calls waiting for a counterparty's answer now.");
        for (c, l) in Counterparty::ALL.iter().zip(&self.links) {
            let n = l.in_flight.load(Ordering::Relaxed);
            e.sample(name, &[("counterparty", c.as_str())], n);
        }
    }
}

/// A connector whose calls to its counterparty are measured in [`LinkMetrics`]; everything
/// else goes straight to the connector it wraps.
pub struct MeteredConnector {
    inner: Arc<dyn Connector>,
    metrics: Arc<LinkMetrics>,
}

impl MeteredConnector {
    pub fn wrap(inner: Arc<dyn Connector>, metrics: Arc<LinkMetrics>) -> Arc<dyn Connector> {
        Arc::new(MeteredConnector { inner, metrics })
    }
}

impl Connector for MeteredConnector {
    fn counterparty(&self) -> Counterparty {
        self.inner.counterparty()
    }

    fn prepare_authorization(
        &self,
        req: &AuthorizationRequest<'_>,
    ) -> Result<PreparedAuthorization, ConnectorError> {
        self.inner.prepare_authorization(req)
    }

    fn send_authorization(
        &self,
        prepared: PreparedAuthorization,
    ) -> BoxFuture<'_, AuthorizationOutcome> {
        let c = self.counterparty();
        Box::pin(
            self.metrics
                .measure(c, self.inner.send_authorization(prepared)),
        )
    }

    fn prepare_follow_up(
        &self,
        kind: FollowUpKind,
        original: &ConnectorRef,
        network_transaction_id: &str,
        amount: i64,
        currency_numeric: u16,
    ) -> Result<PreparedFollowUp, ConnectorError> {
        self.inner.prepare_follow_up(
            kind,
            original,
            network_transaction_id,
            amount,
            currency_numeric,
        )
    }

    fn prepare_transfer(
        &self,
        reference: &str,
        to: &BankAccount,
        amount: i64,
        currency_numeric: u16,
    ) -> Result<PreparedFollowUp, ConnectorError> {
        self.inner
            .prepare_transfer(reference, to, amount, currency_numeric)
    }

    fn prepare_payer_refund(
        &self,
        reference: &str,
        original: &ConnectorRef,
        amount: i64,
        currency_numeric: u16,
    ) -> Result<PreparedFollowUp, ConnectorError> {
        self.inner
            .prepare_payer_refund(reference, original, amount, currency_numeric)
    }

    fn send_follow_up(&self, prepared: PreparedFollowUp) -> BoxFuture<'_, FollowUpAnswer> {
        let c = self.counterparty();
        Box::pin(self.metrics.measure(c, self.inner.send_follow_up(prepared)))
    }

    fn resend_follow_up<'a>(&'a self, record: &'a ConnectorRef) -> BoxFuture<'a, FollowUpAnswer> {
        let c = self.counterparty();
        Box::pin(self.metrics.measure(c, self.inner.resend_follow_up(record)))
    }

    fn follow_up_amount(&self, record: &ConnectorRef) -> Result<i64, ConnectorError> {
        self.inner.follow_up_amount(record)
    }

    fn reverse<'a>(
        &'a self,
        reference: &'a ConnectorRef,
        amount: i64,
        currency_numeric: u16,
    ) -> BoxFuture<'a, Result<(), ConnectorError>> {
        let c = self.counterparty();
        Box::pin(
            self.metrics
                .measure(c, self.inner.reverse(reference, amount, currency_numeric)),
        )
    }
}
