//! The demo's counterparties, started in-process by `paygate serve` when they are not given:
//! the card network (`--network-addr`, journal under DATA_DIR/network-sim) and the 3-D Secure
//! Directory Server + ACS (`--three-ds-url`, data under DATA_DIR/3ds-sim). Both simulators
//! share the CAVV key of DATA_DIR/sim-cavv.key (created once, 0600, 64 hex digits): the ACS
//! computes CAVVs with it and the issuer verifies them. The gateway never holds that key and
//! never starts or depends on a simulator.

use paygate_gateway::config::Config;
use std::net::SocketAddr;
use std::path::Path;

/// The network simulator's directory under the data dir.
pub const SIM_DIR: &str = "network-sim";
/// The 3-D Secure simulator's directory under the data dir.
pub const THREE_DS_SIM_DIR: &str = "3ds-sim";
/// The CAVV key file under the data dir.
pub const CAVV_KEY_FILE: &str = "sim-cavv.key";

/// The simulators this process started.
pub struct Demo {
    pub network: Option<paygate_sim_network::SimHandle>,
    pub three_ds: Option<paygate_sim_threeds::Running>,
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Starts the simulators `cfg` does not name an address for and points `cfg` at them.
pub async fn start(cfg: &mut Config) -> Result<Demo, String> {
    if cfg.network_addr.is_some() && cfg.three_ds_url.is_some() {
        return Ok(Demo {
            network: None,
            three_ds: None,
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
        let sim = paygate_sim_network::start(sim_cfg)
            .await
            .map_err(|e| format!("cannot start the network simulator: {e}"))?;
        cfg.network_addr = Some(sim.local_addr().to_string());
        Some(sim)
    } else {
        None
    };
    let three_ds = if cfg.three_ds_url.is_none() {
        let sim_cfg =
            paygate_sim_threeds::Config::new(loopback(), cfg.data_dir.join(THREE_DS_SIM_DIR), key);
        let sim = paygate_sim_threeds::start(sim_cfg)
            .await
            .map_err(|e| format!("cannot start the 3-D Secure simulator: {e}"))?;
        cfg.three_ds_url = Some(sim.base_url().to_string());
        Some(sim)
    } else {
        None
    };
    Ok(Demo { network, three_ds })
}

impl Demo {
    /// Says where the simulators listen.
    pub fn print(&self) {
        if let Some(sim) = &self.network {
            println!("card network simulator on {}", sim.local_addr());
        }
        if let Some(sim) = &self.three_ds {
            println!("3-D Secure simulator (DS + ACS) on {}", sim.base_url());
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
        Ok(())
    }
}

/// The simulators' CAVV key: DATA_DIR/sim-cavv.key, created on first start (32 random bytes
/// as 64 hex digits, readable by this user only).
fn cavv_key(data_dir: &Path) -> Result<[u8; 32], String> {
    let path = data_dir.join(CAVV_KEY_FILE);
    if !path.exists() {
        std::fs::create_dir_all(data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| format!("random CAVV key: {e}"))?;
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        write_private(&path, &format!("{hex}\n"))?;
        tracing::info!(path = %path.display(), "generated the simulators' CAVV key");
    }
    paygate_sim_kit::key_file::read_key32(&path, "sim-cavv.key").map_err(|e| e.to_string())
}

fn write_private(path: &Path, text: &str) -> Result<(), String> {
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
