//! Link metrics per counterparty: how long its answers take
//! (`paygate_link_request_duration_seconds`) and how many calls wait for one right now
//! (`paygate_link_in_flight`). The engine's connectors are wrapped in a [`MeteredConnector`]
//! when the state is built, the JSON-over-HTTP clients of the ISP server and the SMS gateway
//! and the 3DS Server's client towards the Directory Server carry a [`Meter`], and the carrier
//! page measures its code steps (request a code, send it again, confirm it) with
//! [`LinkMetrics::measure`], so every call to a counterparty is measured where it goes out.

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

/// A counterparty the gateway calls out to (the `counterparty` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    CardNetwork,
    Bank,
    MobileCarrier,
    /// The card company's ISP server (안전결제 verification, enrolment).
    Isp,
    /// The SMS gateway (carrier codes, notices).
    Sms,
    /// The 3-D Secure Directory Server (안심클릭: card ranges, authentication requests; the
    /// ACS is reached through it, and by the payer's browser).
    ThreeDs,
}

impl Link {
    pub const ALL: [Link; 6] = [
        Link::CardNetwork,
        Link::Bank,
        Link::MobileCarrier,
        Link::Isp,
        Link::Sms,
        Link::ThreeDs,
    ];

    /// The link of a connector's counterparty.
    pub fn of(c: Counterparty) -> Link {
        match c {
            Counterparty::CardNetwork => Link::CardNetwork,
            Counterparty::Bank => Link::Bank,
            Counterparty::Carrier => Link::MobileCarrier,
        }
    }

    /// The label value: the counterparty's own name where it has one.
    pub fn as_str(self) -> &'static str {
        match self {
            Link::CardNetwork => Counterparty::CardNetwork.as_str(),
            Link::Bank => Counterparty::Bank.as_str(),
            Link::MobileCarrier => Counterparty::Carrier.as_str(),
            Link::Isp => "isp",
            Link::Sms => "sms",
            Link::ThreeDs => "three_ds",
        }
    }
}

const LINKS: usize = Link::ALL.len();

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

/// A call to a counterparty, started: counted in flight until [`LinkMetrics::end`].
#[derive(Clone, Copy)]
struct Started {
    link: Link,
    at: Instant,
}

/// Ends its call when dropped (answered, failed or abandoned).
struct InFlight<'a> {
    metrics: &'a LinkMetrics,
    call: Started,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.metrics.end(self.call);
    }
}

/// [`InFlight`] holding its metrics (for a client outside this crate: [`Meter`]).
struct OwnedInFlight {
    metrics: Arc<LinkMetrics>,
    call: Started,
}

impl Drop for OwnedInFlight {
    fn drop(&mut self) {
        self.metrics.end(self.call);
    }
}

impl LinkMetrics {
    fn stats(&self, l: Link) -> &LinkStats {
        let i = Link::ALL.iter().position(|x| *x == l).unwrap_or(0);
        &self.links[i]
    }

    fn start(&self, link: Link) -> Started {
        self.stats(link).in_flight.fetch_add(1, Ordering::Relaxed);
        Started {
            link,
            at: Instant::now(),
        }
    }

    fn end(&self, call: Started) {
        let stats = self.stats(call.link);
        stats.in_flight.fetch_sub(1, Ordering::Relaxed);
        let us = u64::try_from(call.at.elapsed().as_micros()).unwrap_or(u64::MAX);
        stats.latency.observe(us);
    }

    /// Runs the call `f` to the counterparty `l`, measured.
    pub async fn measure<T>(&self, l: Link, f: impl Future<Output = T>) -> T {
        let _guard = InFlight {
            metrics: self,
            call: self.start(l),
        };
        f.await
    }

    pub fn render(&self, e: &mut Exposition) {
        let name = "paygate_link_request_duration_seconds";
        let help = "Time a counterparty took to answer a call (the connectors' authorizations, captures, refunds, reversals; every ISP, SMS and 3-D Secure DS call; the carrier's code steps).";
        e.family(name, Kind::Histogram, help);
        for (c, l) in Link::ALL.iter().zip(&self.links) {
            e.histogram(name, &[("counterparty", c.as_str())], &l.latency.snapshot());
        }
        let name = "paygate_link_in_flight";
        e.family(
            name,
            Kind::Gauge,
            "Calls waiting for a counterparty's answer now.",
        );
        for (c, l) in Link::ALL.iter().zip(&self.links) {
            let n = l.in_flight.load(Ordering::Relaxed);
            e.sample(name, &[("counterparty", c.as_str())], n);
        }
    }
}

/// What a client measures its calls to one counterparty with.
#[derive(Clone)]
pub struct Meter {
    link: Link,
    metrics: Arc<LinkMetrics>,
}

impl Meter {
    pub fn new(link: Link, metrics: Arc<LinkMetrics>) -> Meter {
        Meter { link, metrics }
    }

    /// Runs the call `f`, measured.
    pub async fn measure<T>(&self, f: impl Future<Output = T>) -> T {
        self.metrics.measure(self.link, f).await
    }
}

/// The 3DS Server's calls to the Directory Server, measured as [`Link::ThreeDs`]'s.
impl paygate_three_ds::CallMeter for Meter {
    fn start(&self) -> Box<dyn Send> {
        Box::new(OwnedInFlight {
            metrics: self.metrics.clone(),
            call: self.metrics.start(self.link),
        })
    }
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Meter({})", self.link.as_str())
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
        let c = Link::of(self.counterparty());
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
        let c = Link::of(self.counterparty());
        Box::pin(self.metrics.measure(c, self.inner.send_follow_up(prepared)))
    }

    fn resend_follow_up<'a>(&'a self, record: &'a ConnectorRef) -> BoxFuture<'a, FollowUpAnswer> {
        let c = Link::of(self.counterparty());
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
        let c = Link::of(self.counterparty());
        Box::pin(
            self.metrics
                .measure(c, self.inner.reverse(reference, amount, currency_numeric)),
        )
    }
}
