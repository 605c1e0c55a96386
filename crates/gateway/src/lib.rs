//! paygate's gateway: the payment engine (`engine`: every operation in the same three phases,
//! with crash recovery), the Stripe-compatible merchant API over it, webhooks and settlement.
//!
//! The path of one payment is described in `docs/ARCHITECTURE.md`.

pub mod access_log;
pub mod admin;
pub mod api;
pub mod audit;
pub mod auth;
mod background;
pub mod bank_transfer_pages;
pub mod card_vault;
pub mod cards;
pub mod checkout;
pub mod checkout_pages;
pub mod config;
pub mod easy_pay;
pub mod easy_pay_pages;
pub mod engine;
pub mod error;
pub mod http;
pub mod ids;
pub mod isp_pages;
pub mod json_client;
pub mod listener;
pub mod methods;
pub mod metrics;
mod metrics_listener;
pub mod mobile_carrier_pages;
pub mod models;
pub mod otp;
pub mod pages;
pub mod params;
pub mod payer_flow;
pub mod pos;
pub mod postings;
pub mod ratelimit;
pub mod reconcile;
pub mod reconcile_bank;
pub mod records;
pub mod render;
pub mod request_log;
pub mod response;
pub mod settlement;
pub mod setup_intents;
pub mod sms;
pub mod state;
pub mod store_health;
pub mod three_ds;
pub mod trace_context;
pub mod vault_service;
pub mod virtual_accounts;
pub mod wallet_tokens;
pub mod webhooks;

use crate::config::Config;
use crate::metrics_listener::{bind_metrics, spawn_metrics};
use crate::state::{AppState, SharedState};
use base64::Engine;
use paygate_iso8583::Profile;
use paygate_network::link::{Link, LinkConfig};
use paygate_store::{Store, StoreConfig};
use paygate_vault::{KeyRing, Secret, Vault};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// paygate's acquiring institution id (DE 32).
const ACQUIRER_ID: &str = "123456";
/// How long shutdown waits for in-flight requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens the configured database (SQLite under `data_dir` unless a PostgreSQL URL is given).
pub async fn open_store(cfg: &Config) -> Result<Store, String> {
    let sc = match &cfg.database_url {
        Some(url) => StoreConfig::Postgres {
            url: url.clone(),
            schema: cfg.database_schema.clone(),
            pool_size: cfg.database_pool_size,
        },
        None => StoreConfig::Sqlite {
            path: private_database_file(&cfg.data_dir)?,
        },
    };
    Store::open(sc)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))
}

/// The vault from configured keys; without any, keys generated once into
/// `data_dir/vault-keys.json` (0600) so that the embedded demo starts with no set-up.
pub fn open_vault(cfg: &Config) -> Result<Vault, String> {
    let (keks, fp) = if cfg.vault_keks.is_empty() {
        demo_keys(&cfg.data_dir)?
    } else {
        let fp = cfg
            .fingerprint_key
            .clone()
            .ok_or("vault_keks are configured but fingerprint_key is not")?;
        (cfg.vault_keks.clone(), fp)
    };
    let mut pairs = Vec::new();
    for k in &keks {
        let (id, key) = k
            .split_once(':')
            .ok_or_else(|| "each vault KEK must be written 'id:base64key'".to_string())?;
        pairs.push((id.to_string(), key.to_string()));
    }
    let active = pairs.first().map(|p| p.0.clone()).ok_or("no vault KEK")?;
    let ring = KeyRing::from_config(&active, &pairs).map_err(|e| e.to_string())?;
    let fp = base64::engine::general_purpose::STANDARD
        .decode(fp.trim())
        .map_err(|e| format!("fingerprint_key is not base64: {e}"))?;
    let vault = Vault::new(ring, Secret::new(fp));
    vault
        .check()
        .map_err(|e| format!("vault self-check failed: {e}"))?;
    Ok(vault)
}

fn demo_keys(dir: &Path) -> Result<(Vec<String>, String), String> {
    let path = dir.join("vault-keys.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let keks = v["keks"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let fp = v["fingerprint_key"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        return Ok((keks, fp));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let keks = vec![format!("kek-1:{}", paygate_vault::generate_key_b64())];
    let fp = paygate_vault::generate_key_b64();
    let text = serde_json::json!({"keks": keks, "fingerprint_key": fp}).to_string();
    write_private(&path, &text)?;
    tracing::warn!(path = %path.display(), "generated demo vault keys; configure vault_keks in production");
    Ok((keks, fp))
}

/// The SQLite file under `dir`, made readable by this user only before SQLite opens it: the
/// directory 0700, `paygate.db` 0600 (SQLite gives its `-wal` and `-shm` files the database
/// file's mode). Files an older version left readable to others are tightened.
fn private_database_file(dir: &Path) -> Result<std::path::PathBuf, String> {
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    let db = dir.join("paygate.db");
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| io(dir, e))?;
        }
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&db)
            .map_err(|e| io(&db, e))?;
        for name in [
            "paygate.db",
            "paygate.db-wal",
            "paygate.db-shm",
            "vault-keys.json",
        ] {
            let p = dir.join(name);
            if let Ok(meta) = std::fs::metadata(&p)
                && meta.permissions().mode() & 0o077 != 0
            {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| io(&p, e))?;
            }
        }
    }
    Ok(db)
}

/// Writes a new file readable by its owner only (0600), refusing to overwrite one: for keys
/// and other secrets paygate generates on first start.
pub fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A running gateway.
pub struct Server {
    pub addr: SocketAddr,
    /// Where `GET /metrics` is served (`None` when `metrics_listen = "off"`).
    pub metrics_addr: Option<SocketAddr>,
    pub state: SharedState,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Starts everything `paygate serve` runs: database, vault, network link to `network_addr`,
/// recovery, webhook workers, settlement job, HTTP. The gateway never starts a simulator
/// (it does not depend on one): `paygate serve` starts the demo's in-process simulator and
/// passes its address here.
pub async fn start(cfg: Config) -> Result<Server, String> {
    start_with_test_clock(cfg, None).await
}

/// [`start`] on the system clock, or with `test_clock` in the configuration on an
/// [`OffsetClock`](paygate_payments::OffsetClock): `shared`'s when given (`paygate serve` hands
/// the same one to its in-process simulators), a new one otherwise.
pub async fn start_with_test_clock(
    cfg: Config,
    shared: Option<Arc<paygate_payments::OffsetClock>>,
) -> Result<Server, String> {
    start_with_test_clock_and_routes(cfg, shared, &[]).await
}

/// [`start_with_test_clock`], also serving `extra` routes on the API's listener (what
/// `paygate serve` runs: the dashboard beside the API).
pub async fn start_with_test_clock_and_routes(
    cfg: Config,
    shared: Option<Arc<paygate_payments::OffsetClock>>,
    extra: &[ExtraRoutes],
) -> Result<Server, String> {
    let test_clock = match (cfg.test_clock, shared) {
        (false, _) => None,
        (true, Some(c)) => Some(c),
        (true, None) => Some(Arc::new(paygate_payments::OffsetClock::new())),
    };
    let clock: Arc<dyn paygate_payments::Clock> = match &test_clock {
        Some(c) => c.clone(),
        None => Arc::new(paygate_payments::SystemClock),
    };
    start_on(cfg, clock, test_clock, extra).await
}

/// [`start`] with the clock the gateway reads "now" from (requests, records, postings, the
/// settlement job, recovery): tests drive a running server through time with a
/// `ManualClock`.
pub async fn start_with_clock(
    cfg: Config,
    clock: Arc<dyn paygate_payments::Clock>,
) -> Result<Server, String> {
    start_on(cfg, clock, None, &[]).await
}

/// Routes a crate above the gateway serves beside the API (the dashboard's `/dashboard/…`),
/// built from the running state.
pub type ExtraRoutes = fn(SharedState) -> axum::Router;

/// [`start_with_clock`], also serving `extra` routes on the API's listener.
pub async fn start_with_routes(
    cfg: Config,
    clock: Arc<dyn paygate_payments::Clock>,
    extra: &[ExtraRoutes],
) -> Result<Server, String> {
    start_on(cfg, clock, None, extra).await
}

async fn start_on(
    cfg: Config,
    clock: Arc<dyn paygate_payments::Clock>,
    test_clock: Option<Arc<paygate_payments::OffsetClock>>,
    extra: &[ExtraRoutes],
) -> Result<Server, String> {
    let store = open_store(&cfg).await?;
    let live = pages::live_keys_exist(&store).await?;
    if live && cfg.vault_keks.is_empty() {
        return Err(
            "PCI DSS 3.6.1: live-mode keys exist and the vault's keys would be the demo \
                    keys in the data directory; give vault_keks + fingerprint_key \
                    (PAYGATE_VAULT_KEKS, PAYGATE_FINGERPRINT_KEY) or --vault-keks-file outside \
                    the data directory"
                .into(),
        );
    }
    let vault = open_vault(&cfg)?;
    let link = connect_link(&cfg).await?;
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", cfg.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let metrics_listener = bind_metrics(&cfg).await?;
    let metrics_addr = match &metrics_listener {
        Some(l) => Some(l.local_addr().map_err(|e| e.to_string())?),
        None => None,
    };
    let tls = cfg.listener.tls()?;
    if live {
        cfg.listener.check_live(&addr)?;
    }
    api::test_faults::from_config(&cfg, &store, live)?;
    let page_settings = pages::PageSettings::from_config(&cfg, addr, live, tls.is_some())?;
    api::test_clock::refuse_with_live_keys(test_clock.is_some(), live)?;
    if test_clock.is_some() {
        tracing::warn!("the gateway runs on a test clock (test_clock): for tests only");
    }
    engine::recovery_off::from_env(live)?;
    let isp = cfg
        .isp_url
        .as_deref()
        .map(methods::isp::client::IspClient::new)
        .transpose()?;
    let sms = cfg
        .sms_url
        .as_deref()
        .map(sms::SmsClient::new)
        .transpose()?;
    let bank = virtual_accounts::connect(&cfg, &clock)?;
    let carrier = methods::mobile_carrier::client(&cfg)?;
    let card_vault = card_vault::CardVault::from_config(cfg.remote_vault.as_ref())?;
    let mut connectors = engine::connectors::Connectors::new().register(Arc::new(
        paygate_connector_card::CardConnector::new(link.clone()),
    ));
    // One registry line per counterparty: the connector of each payment method's.
    if let Some(b) = &bank {
        connectors = connectors.register(b.clone());
    }
    if let Some(c) = &carrier {
        connectors = connectors.register(Arc::new(
            paygate_connector_carrier::CarrierConnector::new(c.clone()),
        ));
    }
    let mut state = AppState::new(cfg, store, link, connectors, vault, page_settings);
    state.card_vault = card_vault;
    let skewed = Arc::new(paygate_payments::SkewedClock::new(clock));
    state.clock = skewed.clone();
    state.clock_skew = Some(skewed);
    state.test_clock = test_clock;
    let links = &state.metrics.links;
    state.three_ds = three_ds::server(&state.cfg, &state.pages, links)?;
    state.isp = isp.map(|c| Arc::new(c.metered(links)));
    state.sms = sms.map(|c| Arc::new(c.metered(links)));
    state.bank = bank;
    state.carrier = carrier;
    let (tx, rx) = watch::channel(false);
    state.shutdown = Some(rx.clone());
    let state: SharedState = Arc::new(state);
    virtual_accounts::listen(&state);
    recover_at_start(&state).await;
    let mut tasks = Vec::new();
    tasks.push(tokio::spawn(webhooks::run(state.clone(), rx.clone())));
    tasks.push(tokio::spawn(background::run(state.clone(), rx.clone())));
    tasks.push(store_health::spawn_probe(state.clone(), rx.clone()));
    if let Some(tds) = state.three_ds.clone() {
        tasks.push(spawn_card_ranges(tds, rx.clone()).await);
    }
    if let Some(l) = metrics_listener {
        tasks.push(spawn_metrics(l, state.clone(), rx.clone()));
    }
    tasks.push(spawn_api(listener, tls, state.clone(), rx.clone(), extra));
    Ok(Server {
        addr,
        metrics_addr,
        state,
        shutdown: tx,
        tasks,
    })
}

/// Finishes the payments a previous run left unfinished; a failure leaves them to the sweeper.
async fn recover_at_start(state: &SharedState) {
    match engine::recovery::recover(state, None).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            recovered = n,
            "recovered unfinished payments from a previous run"
        ),
        Err(e) => tracing::warn!(error = %e, "start-up recovery failed; the sweeper will retry"),
    }
}

/// Connects the ISO 8583 link to the card network (acquirer host).
async fn connect_link(cfg: &Config) -> Result<Link, String> {
    let profile: Profile = cfg
        .network_profile
        .parse()
        .map_err(|_| "network_profile must be ascii or binary".to_string())?;
    let network_addr = cfg
        .network_addr
        .clone()
        .ok_or("network_addr is required: the address of the card network (acquirer host)")?;
    let mut lc = LinkConfig::new(network_addr, terminal_id(), ACQUIRER_ID);
    lc.profile = profile;
    lc.request_timeout_ms = cfg.network_timeout_ms;
    Link::connect(lc)
        .await
        .map_err(|e| format!("cannot reach the card network: {e}"))
}

/// Serves the API (with the access log) until shutdown, draining in-flight requests.
fn spawn_api(
    listener: tokio::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    state: SharedState,
    rx: watch::Receiver<bool>,
    extra: &[ExtraRoutes],
) -> tokio::task::JoinHandle<()> {
    let settings = state.cfg.listener.clone();
    let mut app = api::router(state.clone());
    for routes in extra {
        app = app.merge(routes(state.clone()));
    }
    let app = app
        .merge(pages::router(state.clone()))
        .merge(three_ds::pages::router(state.clone()))
        .merge(isp_pages::router(state.clone()))
        .merge(easy_pay_pages::router(state.clone()))
        .merge(checkout_pages::router(state.clone()))
        .layer(axum::middleware::from_fn(
            checkout_pages::cors::publishable_cors,
        ))
        .merge(mobile_carrier_pages::router(state.clone()))
        .merge(bank_transfer_pages::router(state.clone()))
        .layer(axum::middleware::from_fn_with_state(
            state,
            access_log::observe,
        ));
    tokio::spawn(async move { listener::serve(listener, app, &settings, tls, rx).await })
}

/// Loads the 3-D Secure card ranges (a DS that is down is logged: cards count as not
/// enrolled until a later refresh succeeds) and keeps refreshing them until shutdown.
async fn spawn_card_ranges(
    tds: Arc<paygate_three_ds::ThreeDsServer>,
    mut rx: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    if let Err(e) = tds.refresh_card_ranges().await {
        tracing::warn!(error = %e, "3-D Secure card ranges not loaded at start; retrying later");
    }
    let every = three_ds::CARD_RANGE_REFRESH;
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        let refresh = tds.spawn_card_range_refresh(every);
        let _ = rx.wait_for(|v| *v).await;
        refresh.abort();
    })
}

/// A terminal id (DE 41) unique to this process, so STANs of several processes never collide.
fn terminal_id() -> String {
    format!("PG{}", &ids::random_base62(6).to_uppercase())
}

impl Server {
    /// Starts answering `/readyz` with 503 while still serving everything else, so a load
    /// balancer stops sending new requests before [`Server::shutdown`] stops accepting.
    pub fn begin_drain(&self) {
        self.state
            .draining
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Stops accepting, drains in-flight requests, stops workers, closes the database.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = tokio::time::timeout(DRAIN_TIMEOUT, t).await;
        }
        self.state.store.close().await;
    }

    /// Resolves when shutdown was requested by `signal`.
    pub fn trigger(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}
