//! The demo's counterparties, started in-process by `paygate serve` when they are not given:
//! the card network (`--network-addr`, journal under DATA_DIR/network-sim) and the 3-D Secure
//! Directory Server + ACS (`--three-ds-url`, data under DATA_DIR/3ds-sim) and the ISP 안전결제
//! server (`--isp-url`, data under DATA_DIR/isp-sim). They share the CAVV key of
//! DATA_DIR/sim-cavv.key (created once, 0600, 64 hex digits): the ACS and the ISP server
//! compute authentication values with it and the issuer verifies them. The gateway never holds that key and
//! never starts or depends on a simulator.
//!
//! A test-mode gateway with no `pages_csrf_key` configured keeps the payer pages' CSRF key in
//! DATA_DIR/pages-csrf.key (created once, 0600, base64 of 32 bytes), so a payer coming back
//! from the issuer's page after a restart still passes the CSRF check. Live mode never reads
//! it: there the key must be configured (the gateway refuses to start otherwise).
//!
//! With `test_clock` the gateway's `OffsetClock` and the in-process simulators' `SimClock`s
//! share one offset cell: one `POST /v1/test_helpers/test_clock/advance` moves them all.

use paygate_gateway::config::Config;
use paygate_payments::OffsetClock;
use paygate_sim_kit::clock::SimClock;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

/// The network simulator's directory under the data dir.
pub const SIM_DIR: &str = "network-sim";
/// The 3-D Secure simulator's directory under the data dir.
pub const THREE_DS_SIM_DIR: &str = "3ds-sim";
/// The ISP server simulator's directory under the data dir.
pub const ISP_SIM_DIR: &str = "isp-sim";
/// Data directory of the in-process SMS gateway simulator, under `data_dir`.
pub const SMS_SIM_DIR: &str = "sms-sim";
/// Data directory of the in-process bank simulator, under `data_dir`.
pub const BANK_SIM_DIR: &str = "bank-sim";
/// Data directory of the in-process mobile carrier simulator, under `data_dir`.
pub const CARRIER_SIM_DIR: &str = "carrier-sim";
/// The CAVV key file under the data dir.
pub const CAVV_KEY_FILE: &str = "sim-cavv.key";
/// The test-mode payer pages' CSRF key file under the data dir.
pub const PAGES_CSRF_KEY_FILE: &str = "pages-csrf.key";
/// Bytes of a generated payer pages' CSRF key.
const PAGES_CSRF_KEY_BYTES: usize = 32;

/// The simulators this process started.
pub struct Demo {
    pub network: Option<paygate_sim_network::SimHandle>,
    pub three_ds: Option<paygate_sim_threeds::Running>,
    pub isp: Option<paygate_sim_isp::Running>,
    pub sms: Option<paygate_sim_sms::Running>,
    pub carrier: Option<paygate_sim_carrier::Running>,
    /// The gateway's test clock (`test_clock`), whose offset the simulators above read.
    test_clock: Option<Arc<OffsetClock>>,
    pub bank: Option<paygate_sim_bank::Running>,
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Starts the simulators `cfg` does not name an address for and points `cfg` at them.
pub async fn start(cfg: &mut Config) -> Result<Demo, String> {
    let test_clock = cfg.test_clock.then(|| Arc::new(OffsetClock::new()));
    let clock = test_clock
        .as_ref()
        .map_or_else(SimClock::system, |c| SimClock::sharing(c.offset_cell()));
    let sms = start_sms(cfg, &clock).await?;
    let bank = start_bank(cfg, &clock).await?;
    let carrier = start_carrier(cfg, &clock).await?;
    if cfg.network_addr.is_some() && cfg.three_ds_url.is_some() && cfg.isp_url.is_some() {
        return Ok(Demo {
            network: None,
            three_ds: None,
            isp: None,
            sms,
            carrier,
            test_clock,
            bank,
        });
    }
    let key = cavv_key(&cfg.data_dir)?;
    let network = if cfg.network_addr.is_none() {
        let mut sim_cfg =
            paygate_sim_network::SimConfig::new(loopback(), cfg.data_dir.join(SIM_DIR));
        sim_cfg.profile = cfg
            .network_profile
            .parse()
            .map_err(|_| "network_profile must be ascii or binary".to_string())?;
        sim_cfg.cavv_key = Some(paygate_sim_network::CavvKey::new(key));
        sim_cfg.clock = clock.clone();
        let sim = paygate_sim_network::start(sim_cfg)
            .await
            .map_err(|e| format!("cannot start the network simulator: {e}"))?;
        cfg.network_addr = Some(sim.local_addr().to_string());
        Some(sim)
    } else {
        None
    };
    let three_ds = if cfg.three_ds_url.is_none() {
        let mut sim_cfg =
            paygate_sim_threeds::Config::new(loopback(), cfg.data_dir.join(THREE_DS_SIM_DIR), key);
        sim_cfg.clock = clock.clone();
        let sim = paygate_sim_threeds::start(sim_cfg)
            .await
            .map_err(|e| format!("cannot start the 3-D Secure simulator: {e}"))?;
        cfg.three_ds_url = Some(sim.base_url().to_string());
        Some(sim)
    } else {
        None
    };
    let isp = if cfg.isp_url.is_none() {
        let mut sim_cfg =
            paygate_sim_isp::Config::new(loopback(), cfg.data_dir.join(ISP_SIM_DIR), key);
        sim_cfg.clock = clock.clone();
        let sim = paygate_sim_isp::start(sim_cfg)
            .await
            .map_err(|e| format!("cannot start the ISP server simulator: {e}"))?;
        cfg.isp_url = Some(sim.base_url().to_string());
        Some(sim)
    } else {
        None
    };
    Ok(Demo {
        network,
        three_ds,
        isp,
        sms,
        carrier,
        test_clock,
        bank,
    })
}

/// The bank simulator (virtual accounts, transfers), unless `bank_addr` names one.
async fn start_bank(
    cfg: &mut Config,
    clock: &SimClock,
) -> Result<Option<paygate_sim_bank::Running>, String> {
    if cfg.bank_addr.is_some() {
        return Ok(None);
    }
    let sim = paygate_sim_bank::start(paygate_sim_bank::Config {
        listen: loopback(),
        data_dir: cfg.data_dir.join(BANK_SIM_DIR),
        now: paygate_sim_bank::clock_now(clock.clone()),
        notice_retry_ms: paygate_sim_bank::NOTICE_RETRY_MS_DEFAULT,
        pages_listen: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
    })
    .await
    .map_err(|e| format!("cannot start the bank simulator: {e}"))?;
    cfg.bank_addr = Some(sim.local_addr().to_string());
    Ok(Some(sim))
}

/// The mobile carrier simulator (sending its codes through the SMS gateway), unless
/// `carrier_url` names one.
async fn start_carrier(
    cfg: &mut Config,
    clock: &SimClock,
) -> Result<Option<paygate_sim_carrier::Running>, String> {
    if cfg.carrier_url.is_some() {
        return Ok(None);
    }
    let sim_cfg = paygate_sim_carrier::Config {
        listen: loopback(),
        data_dir: cfg.data_dir.join(CARRIER_SIM_DIR),
        sms_url: cfg.sms_url.clone(),
        clock: clock.clone(),
    };
    let sim = paygate_sim_carrier::start(sim_cfg)
        .await
        .map_err(|e| format!("cannot start the mobile carrier simulator: {e}"))?;
    cfg.carrier_url = Some(sim.base_url().to_string());
    Ok(Some(sim))
}

/// The SMS gateway simulator, unless `sms_url` names one.
async fn start_sms(
    cfg: &mut Config,
    clock: &SimClock,
) -> Result<Option<paygate_sim_sms::Running>, String> {
    if cfg.sms_url.is_some() {
        return Ok(None);
    }
    let mut sim_cfg = paygate_sim_sms::Config::new(loopback(), cfg.data_dir.join(SMS_SIM_DIR));
    sim_cfg.clock = clock.clone();
    let sim = paygate_sim_sms::start(sim_cfg)
        .await
        .map_err(|e| format!("cannot start the SMS gateway simulator: {e}"))?;
    cfg.sms_url = Some(sim.base_url().to_string());
    Ok(Some(sim))
}

impl Demo {
    /// The test clock the gateway must run on (`None` without `test_clock`).
    pub fn test_clock(&self) -> Option<Arc<OffsetClock>> {
        self.test_clock.clone()
    }

    /// Says where the simulators listen.
    pub fn print(&self) {
        if let Some(sim) = &self.network {
            println!("card network simulator on {}", sim.local_addr());
        }
        if let Some(sim) = &self.three_ds {
            println!("3-D Secure simulator (DS + ACS) on {}", sim.base_url());
        }
        if let Some(sim) = &self.isp {
            println!("ISP server simulator (CA + verifier) on {}", sim.base_url());
        }
        if let Some(sim) = &self.bank {
            println!("bank simulator (telegram link) on {}", sim.local_addr());
        }
        if let Some(sim) = &self.sms {
            println!("SMS gateway simulator on {}", sim.base_url());
        }
        if let Some(sim) = &self.carrier {
            println!("mobile carrier simulator on {}", sim.base_url());
        }
    }

    /// Stops the simulators.
    pub async fn shutdown(self) -> Result<(), String> {
        if let Some(sim) = self.network {
            sim.shutdown()
                .await
                .map_err(|e| format!("network simulator shutdown: {e}"))?;
        }
        if let Some(sim) = self.three_ds {
            sim.shutdown()
                .await
                .map_err(|e| format!("3-D Secure simulator shutdown: {e}"))?;
        }
        if let Some(sim) = self.isp {
            sim.shutdown()
                .await
                .map_err(|e| format!("ISP server simulator shutdown: {e}"))?;
        }
        if let Some(sim) = self.sms {
            sim.shutdown()
                .await
                .map_err(|e| format!("SMS gateway simulator shutdown: {e}"))?;
        }
        if let Some(sim) = self.carrier {
            sim.shutdown()
                .await
                .map_err(|e| format!("mobile carrier simulator shutdown: {e}"))?;
        }
        Ok(())
    }
}

/// Gives a test-mode gateway without a configured `pages_csrf_key` the key of
/// DATA_DIR/pages-csrf.key. Leaves `cfg` alone when a key is configured or a live-mode API key
/// exists (the gateway then requires a configured key and says so).
pub async fn pages_csrf_key(cfg: &mut Config) -> Result<(), String> {
    if !cfg.pages_csrf_key.is_empty() {
        return Ok(());
    }
    let store = paygate_gateway::open_store(cfg).await?;
    let live = paygate_gateway::pages::live_keys_exist(&store).await;
    store.close().await;
    if live? {
        return Ok(());
    }
    cfg.pages_csrf_key = vec![read_pages_csrf_key(&cfg.data_dir)?];
    Ok(())
}

/// DATA_DIR/pages-csrf.key, created on first start (32 random bytes in base64, the format of
/// `--pages-csrf-key`, readable by this user only).
fn read_pages_csrf_key(data_dir: &Path) -> Result<String, String> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let path = data_dir.join(PAGES_CSRF_KEY_FILE);
    create_once(data_dir, &path, "payer pages' CSRF key", |key| {
        format!("{}\n", b64.encode(key))
    })?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let key = text.trim();
    match b64.decode(key) {
        Ok(bytes) if bytes.len() >= PAGES_CSRF_KEY_BYTES => Ok(key.to_string()),
        _ => Err(format!(
            "{} must hold base64 of at least {PAGES_CSRF_KEY_BYTES} bytes",
            path.display()
        )),
    }
}

/// The simulators' CAVV key: DATA_DIR/sim-cavv.key, created on first start (32 random bytes
/// as 64 hex digits, readable by this user only).
fn cavv_key(data_dir: &Path) -> Result<[u8; 32], String> {
    let path = data_dir.join(CAVV_KEY_FILE);
    create_once(data_dir, &path, "simulators' CAVV key", |key| {
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        format!("{hex}\n")
    })?;
    paygate_sim_kit::key_file::read_key32(&path, "sim-cavv.key").map_err(|e| e.to_string())
}

/// Writes 32 random bytes, as `encode` spells them, to `path` unless it exists (0600).
fn create_once(
    data_dir: &Path,
    path: &Path,
    what: &str,
    encode: impl FnOnce(&[u8; 32]) -> String,
) -> Result<(), String> {
    if path.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| format!("random {what}: {e}"))?;
    paygate_gateway::write_private(path, &encode(&key))?;
    tracing::info!(path = %path.display(), "generated the {what}");
    Ok(())
}
