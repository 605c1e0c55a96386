//! Webhook delivery metrics: deliveries that succeeded or were given up, failed attempts that
//! will be retried, and the lag from an event's creation to its delivery.

use super::exposition::{Exposition, Kind};
use super::histogram::{Histogram, LAG_BOUNDS_S, Unit};
use std::sync::atomic::{AtomicU64, Ordering};

pub struct WebhookMetrics {
    delivered: AtomicU64,
    abandoned: AtomicU64,
    retried: AtomicU64,
    lag: Histogram,
}

impl Default for WebhookMetrics {
    fn default() -> Self {
        WebhookMetrics {
            delivered: AtomicU64::default(),
            abandoned: AtomicU64::default(),
            retried: AtomicU64::default(),
            lag: Histogram::new(LAG_BOUNDS_S, Unit::Seconds),
        }
    }
}

/// How one delivery attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryResult {
    /// The endpoint answered 2xx, `lag_s` seconds after the event was created.
    Delivered { lag_s: u64 },
    /// It failed and will be retried.
    Retrying,
    /// It failed past the retry window: given up.
    Abandoned,
}

impl WebhookMetrics {
    pub fn attempt(&self, r: DeliveryResult) {
        match r {
            DeliveryResult::Delivered { lag_s } => {
                self.delivered.fetch_add(1, Ordering::Relaxed);
                self.lag.observe(lag_s);
            }
            DeliveryResult::Retrying => {
                self.retried.fetch_add(1, Ordering::Relaxed);
            }
            DeliveryResult::Abandoned => {
                self.abandoned.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub fn render(&self, e: &mut Exposition) {
        let counters = [
            (
                "paygate_webhook_deliveries_ok_total",
                "Webhook deliveries the endpoint accepted (2xx).",
                &self.delivered,
            ),
            (
                "paygate_webhook_deliveries_failed_total",
                "Webhook deliveries given up after the retry window.",
                &self.abandoned,
            ),
            (
                "paygate_webhook_delivery_retries_total",
                "Failed webhook delivery attempts that will be retried.",
                &self.retried,
            ),
        ];
        for (name, help, c) in counters {
            e.single(name, Kind::Counter, help, c.load(Ordering::Relaxed));
        }
        let name = "paygate_webhook_delivery_lag_seconds";
        let help = "Time from an event's creation to its successful delivery to an endpoint.";
        e.family(name, Kind::Histogram, help);
        e.histogram(name, &[], &self.lag.snapshot());
    }
}
