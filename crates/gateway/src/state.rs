//! Shared state of one gateway process.

use crate::config::Config;
use crate::engine::connectors::Connectors;
use crate::metrics::Metrics;
use paygate_network::link::Link;
use paygate_payments::{Clock, SystemClock};
use paygate_store::{MerchantRow, Store};
use paygate_vault::{Cvc, Vault};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a CVC given with a saved PaymentMethod is kept in memory for its first confirm.
pub const CVC_TTL: Duration = Duration::from_secs(600);
/// Most CVCs held in memory at once.
pub const CVC_CACHE_MAX: usize = 100_000;
/// How long an API key or merchant lookup is trusted before it is read again (revocation delay).
pub const AUTH_CACHE_TTL: Duration = Duration::from_secs(2);

pub struct AppState {
    pub cfg: Config,
    pub store: Store,
    /// The card network link itself, for readiness (echo); payments go through `connectors`.
    pub link: Link,
    /// The connector of each counterparty the engine talks to (the card network over `link`).
    pub connectors: Connectors,
    pub vault: Vault,
    /// Where card data is sealed: in-process (default) or a remote `paygate vault serve`.
    pub card_vault: crate::card_vault::CardVault,
    /// CSRF keys and public URL of the payer pages (`/pay/…`).
    pub pages: crate::pages::PageSettings,
    pub metrics: Metrics,
    /// "Now" for every request, record and posting ([`SystemClock`] unless a test injects one).
    pub clock: Arc<dyn Clock>,
    /// The same clock as `clock` when the gateway runs with `--test-clock` (moved by
    /// `POST /v1/test_helpers/test_clock/advance`); `None` otherwise.
    pub test_clock: Option<Arc<paygate_payments::OffsetClock>>,
    /// `clock` itself when started by `start_on`: its skew is the test-mode clock-skew fault
    /// (`clock_skew_s` of `/v1/test_helpers/faults`); `None` in states built by hand.
    pub clock_skew: Option<Arc<paygate_payments::SkewedClock>>,
    pub limiter: crate::ratelimit::RateLimiter,
    /// Name resolution for webhook hosts (the SSRF guard's view of DNS; tests replace it).
    pub webhook_dns: crate::webhooks::Dns,
    /// The 3DS Server (안심클릭), when a Directory Server is configured (`three_ds_url`).
    pub three_ds: Option<Arc<paygate_three_ds::ThreeDsServer>>,
    /// Recovery records the in-process reverser is finishing (the sweep leaves them alone).
    pub undoing: crate::engine::undo::InHand,
    /// When this process first saw each recovery record (the sweep's notion of "stale").
    pub sightings: crate::engine::sightings::Sightings,
    /// The ISP server's client (안전결제), when `isp_url` is configured.
    pub isp: Option<Arc<crate::methods::isp::client::IspClient>>,
    /// The SMS gateway's client, when `sms_url` is configured (the easy_pay wallet needs it).
    pub sms: Option<Arc<crate::sms::SmsClient>>,
    /// The bank's connector (virtual accounts, transfers), when `bank_addr` is configured.
    pub bank: Option<Arc<paygate_connector_bank::BankConnector>>,
    /// The mobile carrier's client, when `carrier_url` is configured (the carrier page's
    /// code steps; the charge goes through the `Carrier` connector).
    pub carrier: Option<paygate_connector_carrier::CarrierClient>,
    /// Turns true when the server is asked to stop (set by `start_with_clock`; `None` for a
    /// state built without a server): long-lived responses such as the dashboard's
    /// server-sent events end on it so that the drain does not wait for them.
    pub shutdown: Option<tokio::sync::watch::Receiver<bool>>,
    /// Every API request's access-log line, for `GET /v1/request_log/stream`.
    pub request_log: crate::request_log::RequestLog,
    /// Turns true when the process is asked to stop: `/readyz` answers 503 from then on, so a
    /// load balancer takes the instance out while it still serves (the drain delay).
    pub draining: std::sync::atomic::AtomicBool,
    cvcs: Mutex<HashMap<String, (Cvc, Instant)>>,
    merchants: Mutex<HashMap<String, (MerchantRow, Instant)>>,
    pub(crate) keys: Mutex<HashMap<String, (paygate_store::ApiKeyRow, Instant)>>,
}

pub type SharedState = Arc<AppState>;

impl AppState {
    pub fn new(
        cfg: Config,
        store: Store,
        link: Link,
        connectors: Connectors,
        vault: Vault,
        pages: crate::pages::PageSettings,
    ) -> AppState {
        let metrics = Metrics::default();
        AppState {
            limiter: crate::ratelimit::RateLimiter::new(cfg.rate_limit_per_s),
            cfg,
            store,
            link,
            connectors: connectors.metered(&metrics.links),
            vault,
            card_vault: Default::default(),
            pages,
            metrics,
            clock: Arc::new(SystemClock),
            test_clock: None,
            clock_skew: None,
            webhook_dns: crate::webhooks::Dns::default(),
            three_ds: None,
            undoing: Default::default(),
            sightings: Default::default(),
            isp: None,
            sms: None,
            bank: None,
            carrier: None,
            shutdown: None,
            request_log: Default::default(),
            draining: std::sync::atomic::AtomicBool::new(false),
            cvcs: Mutex::new(HashMap::new()),
            merchants: Mutex::new(HashMap::new()),
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// Unix seconds now, from the state's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Keeps a CVC (never persisted) for the first authorization of a saved PaymentMethod.
    pub fn remember_cvc(&self, pm_id: &str, cvc: Cvc) {
        let mut m = self.cvcs.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() >= CVC_CACHE_MAX {
            let now = Instant::now();
            m.retain(|_, (_, at)| now.duration_since(*at) < CVC_TTL);
        }
        if m.len() < CVC_CACHE_MAX {
            m.insert(pm_id.to_string(), (cvc, Instant::now()));
        }
    }

    /// Takes (and forgets) the CVC of a PaymentMethod, if still fresh.
    pub fn take_cvc(&self, pm_id: &str) -> Option<Cvc> {
        let mut m = self.cvcs.lock().unwrap_or_else(|p| p.into_inner());
        match m.remove(pm_id) {
            Some((cvc, at)) if at.elapsed() < CVC_TTL => Some(cvc),
            _ => None,
        }
    }

    /// A merchant's row, cached briefly.
    pub async fn merchant(
        &self,
        id: &str,
    ) -> Result<Option<MerchantRow>, paygate_store::StoreError> {
        if let Some((row, at)) = self
            .merchants
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            && at.elapsed() < AUTH_CACHE_TTL
        {
            return Ok(Some(row.clone()));
        }
        let row = self.store.get_merchant(id).await?;
        if let Some(r) = &row {
            self.merchants
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id.to_string(), (r.clone(), Instant::now()));
        }
        Ok(row)
    }
}
