//! Request metrics per route template (axum's `MatchedPath`, never the raw path: bounded
//! label values), method and status: `paygate_http_requests_total` and the
//! `paygate_http_request_duration_seconds` histogram per route.

use super::exposition::{Exposition, Kind};
use super::histogram::{Histogram, LATENCY_BOUNDS_US, Snapshot, Unit};
use super::labels::{LabelTable, label_hash};
use axum::extract::MatchedPath;
use axum::http::{Method, Request};
use std::sync::atomic::{AtomicU64, Ordering};

/// The route label of a request no route matched (404s of unknown paths).
pub const UNMATCHED: &str = "unmatched";

/// (route, method, status) label sets kept; the API has ~200 routes, each answering a few
/// statuses.
const COUNTER_SLOTS: usize = 4_096;
/// Routes whose latency is kept.
const ROUTE_SLOTS: usize = 1_024;

/// The request methods the API serves; anything else is `OTHER`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options,
    Other,
}

impl HttpMethod {
    pub fn of(m: &Method) -> HttpMethod {
        match *m {
            Method::GET => HttpMethod::Get,
            Method::POST => HttpMethod::Post,
            Method::PUT => HttpMethod::Put,
            Method::PATCH => HttpMethod::Patch,
            Method::DELETE => HttpMethod::Delete,
            Method::HEAD => HttpMethod::Head,
            Method::OPTIONS => HttpMethod::Options,
            _ => HttpMethod::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Head => "HEAD",
            HttpMethod::Options => "OPTIONS",
            HttpMethod::Other => "OTHER",
        }
    }
}

/// The route template a request matched (`/v1/payment_intents/{id}`), `None` when no route
/// did: the route label, never the raw path, so its values stay bounded.
pub fn route_of<B>(req: &Request<B>) -> Option<MatchedPath> {
    req.extensions().get::<MatchedPath>().cloned()
}

/// A (route, method, status) label set.
type RequestKey = (Box<str>, HttpMethod, u16);

pub struct HttpMetrics {
    requests: LabelTable<RequestKey, AtomicU64>,
    latency: LabelTable<Box<str>, Histogram>,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        HttpMetrics {
            requests: LabelTable::new(COUNTER_SLOTS, AtomicU64::default),
            latency: LabelTable::new(ROUTE_SLOTS, Histogram::latency),
        }
    }
}

impl HttpMetrics {
    /// One answered request: its route template ([`route_of`]), method, status and duration.
    pub fn observe(&self, route: Option<&MatchedPath>, method: &Method, status: u16, us: u64) {
        let route = route.map_or(UNMATCHED, MatchedPath::as_str);
        let method = HttpMethod::of(method);
        let key = (route, method, status);
        let hit = self.requests.cell(
            label_hash(key),
            |k| (&*k.0, k.1, k.2) == key,
            || (route.into(), method, status),
        );
        if let Some(c) = hit {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let hit = self
            .latency
            .cell(label_hash(route), |k| &**k == route, || route.into());
        if let Some(h) = hit {
            h.observe(us);
        }
    }

    /// The latencies of every request, all routes together.
    pub fn latency_total(&self) -> Snapshot {
        let mut all = Snapshot::empty(LATENCY_BOUNDS_US, Unit::Micros);
        for (_, h) in self.latency.entries() {
            all.add(&h.snapshot());
        }
        all
    }

    /// Observations dropped because their label set found no slot.
    pub fn overflow(&self) -> u64 {
        self.requests.overflow() + self.latency.overflow()
    }

    pub fn render(&self, e: &mut Exposition) {
        let name = "paygate_http_requests_total";
        e.family(
            name,
            Kind::Counter,
            "API requests answered, by route template, method and status.",
        );
        let mut rows: Vec<(&RequestKey, u64)> = self
            .requests
            .entries()
            .map(|(k, c)| (k, c.load(Ordering::Relaxed)))
            .collect();
        rows.sort();
        for ((route, method, status), n) in rows {
            let status = status.to_string();
            let labels = [
                ("route", &**route),
                ("method", method.as_str()),
                ("status", &status),
            ];
            e.sample(name, &labels, n);
        }
        let name = "paygate_http_request_duration_seconds";
        e.family(
            name,
            Kind::Histogram,
            "API request latency, by route template.",
        );
        let mut routes: Vec<(&str, Snapshot)> = self
            .latency
            .entries()
            .map(|(k, h)| (&**k, h.snapshot()))
            .collect();
        routes.sort_by(|a, b| a.0.cmp(b.0));
        for (route, h) in routes {
            e.histogram(name, &[("route", route)], &h);
        }
    }
}
