//! Configuration: defaults < `paygate.toml` < `PAYGATE_*` environment < flags.
//! Every option is listed with its default in docs/CONFIG.md.

use clap::Args;
use paygate_gateway::config::Config;
use std::path::PathBuf;

/// Where the database is: the common flags of the operator commands.
#[derive(Args, Clone, Debug, Default)]
pub struct DbArgs {
    /// Data directory (SQLite database `paygate.db` lives here).
    #[arg(long, env = "PAYGATE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL; replaces SQLite.
    #[arg(long, env = "PAYGATE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// PostgreSQL schema.
    #[arg(long, env = "PAYGATE_DATABASE_SCHEMA")]
    pub database_schema: Option<String>,
    /// Configuration file (default ./paygate.toml when it exists).
    #[arg(long, env = "PAYGATE_CONFIG")]
    pub config: Option<PathBuf>,
}

impl DbArgs {
    pub fn config(&self) -> Result<Config, String> {
        let mut cfg = load_file(self.config.as_deref())?;
        if let Some(d) = &self.data_dir {
            cfg.data_dir = d.clone();
        }
        if let Some(u) = &self.database_url {
            cfg.database_url = Some(u.clone());
        }
        if let Some(s) = &self.database_schema {
            cfg.database_schema = Some(s.clone());
        }
        Ok(cfg)
    }
}

/// Flags of `paygate serve` (each also read from its `PAYGATE_*` variable).
#[derive(Args, Clone, Debug, Default)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// HTTP listen address (default 127.0.0.1:8080).
    #[arg(long, env = "PAYGATE_LISTEN")]
    pub listen: Option<String>,
    /// Prometheus `/metrics` listen address, apart from the API (default 127.0.0.1:9464;
    /// `off` disables).
    #[arg(long, env = "PAYGATE_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Listen address for store terminals (ISO 8583, docs/POS.md); off by default.
    #[arg(long, env = "PAYGATE_POS_LISTEN")]
    pub pos_listen: Option<String>,
    /// Card network address HOST:PORT; without it an in-process simulator starts.
    #[arg(long, env = "PAYGATE_NETWORK_ADDR")]
    pub network_addr: Option<String>,
    /// ISO 8583 profile on the link: ascii (default) or binary.
    #[arg(long, env = "PAYGATE_NETWORK_PROFILE")]
    pub network_profile: Option<String>,
    /// Authorization timeout before a payment is reversed, in ms (default 10000).
    #[arg(long, env = "PAYGATE_NETWORK_TIMEOUT_MS")]
    pub network_timeout_ms: Option<u64>,
    /// This process's id for crash recovery (default node-1).
    #[arg(long, env = "PAYGATE_NODE_ID")]
    pub node_id: Option<String>,
    /// On SIGTERM, answer `/readyz` with 503 and keep serving this many ms before the
    /// listener closes and in-flight requests drain (default 0): the time a load balancer
    /// needs to take the instance out (docs/OPERATIONS.md, "Rolling restart").
    #[arg(long, env = "PAYGATE_DRAIN_DELAY_MS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub drain_delay_ms: u64,
    /// Vault key-encrypting keys, `id:base64`, comma-separated; the first is active.
    #[arg(long, env = "PAYGATE_VAULT_KEKS", value_delimiter = ',')]
    pub vault_keks: Option<Vec<String>>,
    /// Card fingerprint HMAC key (base64).
    #[arg(long, env = "PAYGATE_FINGERPRINT_KEY")]
    pub fingerprint_key: Option<String>,
    /// Allow live-mode webhook endpoints on private networks.
    #[arg(long, env = "PAYGATE_WEBHOOKS_ALLOW_PRIVATE")]
    pub webhooks_allow_private: Option<bool>,
    /// Payer pages' CSRF key (base64, ≥ 32 bytes), optionally `,previous-key` during a
    /// rotation; required once live-mode keys exist (test mode: DATA_DIR/pages-csrf.key).
    #[arg(long, env = "PAYGATE_PAGES_CSRF_KEY", value_delimiter = ',')]
    pub pages_csrf_key: Option<Vec<String>>,
    /// Public base URL of the gateway for payer page links (default http://LISTEN-ADDR).
    #[arg(long, env = "PAYGATE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Base URL of the 3-D Secure Directory Server (e.g. http://127.0.0.1:7400); without it
    /// an in-process simulator starts.
    #[arg(long, env = "PAYGATE_THREE_DS_URL")]
    pub three_ds_url: Option<String>,
    /// Base URL of the ISP 안전결제 server (e.g. http://127.0.0.1:7500); without it an
    /// in-process simulator starts.
    #[arg(long, env = "PAYGATE_ISP_URL")]
    pub isp_url: Option<String>,
    /// Base URL of the SMS gateway (e.g. http://127.0.0.1:7600); without it an in-process
    /// simulator starts.
    #[arg(long, env = "PAYGATE_SMS_URL")]
    pub sms_url: Option<String>,
    /// Address of the bank's telegram link (virtual accounts, refunds to an account; e.g.
    /// 127.0.0.1:7700); without it an in-process bank simulator starts.
    #[arg(long, env = "PAYGATE_BANK_ADDR")]
    pub bank_addr: Option<String>,
    /// Base URL of the mobile carrier (휴대폰 소액결제); without it an in-process simulator
    /// starts.
    #[arg(long, env = "PAYGATE_CARRIER_URL")]
    pub carrier_url: Option<String>,
    /// Korean rule: KRW card payments at or above this amount run 3-D Secure under
    /// request_three_d_secure=automatic when the card is enrolled (off by default).
    #[arg(long, env = "PAYGATE_THREE_DS_REQUIRED_FROM_KRW")]
    pub three_ds_required_from_krw: Option<i64>,
    /// Seconds an intent waits in requires_action before it is canceled as abandoned
    /// (default 3600).
    #[arg(long, env = "PAYGATE_REQUIRES_ACTION_TTL_S")]
    pub requires_action_ttl_s: Option<i64>,
    /// Run on a test clock moved by `POST /v1/test_helpers/test_clock/advance` (with the
    /// in-process simulators); test instances only (docs/OPERATIONS.md "Test clock").
    #[arg(long, env = "PAYGATE_TEST_CLOCK", value_parser = clap::builder::BoolishValueParser::new())]
    pub test_clock: bool,
    /// Fault injection: hold approved authorizations this long before committing (chaos tests).
    #[arg(long, env = "PAYGATE_FAULT_DELAY_AFTER_AUTH_MS", hide = true)]
    pub fault_delay_after_auth_ms: Option<u64>,
    /// Fault injection (test mode only): fail the first N store commits (chaos tests).
    #[arg(long, env = "PAYGATE_FAULT_FAIL_NEXT_COMMITS", hide = true)]
    pub fault_fail_next_commits: Option<u64>,
    /// Fault injection (test mode only): delay every store commit this long, ms (chaos tests).
    #[arg(long, env = "PAYGATE_FAULT_COMMIT_DELAY_MS", hide = true)]
    pub fault_commit_delay_ms: Option<u64>,
    /// Fault injection: hold ISP payments this long between their verification at the ISP
    /// server and their authorization (chaos tests).
    #[arg(long, env = "PAYGATE_FAULT_DELAY_BEFORE_AUTH_MS", hide = true)]
    pub fault_delay_before_auth_ms: Option<u64>,
    /// TLS, request limits, the vault's key file.
    #[command(flatten)]
    pub security: crate::security_args::SecurityArgs,
}

impl ConfigArgs {
    pub fn config(&self) -> Result<Config, String> {
        let mut cfg = self.db.config()?;
        if let Some(v) = &self.listen {
            cfg.listen = v.clone();
        }
        if let Some(v) = &self.metrics_listen {
            cfg.metrics_listen = v.clone();
        }
        if let Some(v) = &self.network_addr {
            cfg.network_addr = Some(v.clone());
        }
        if let Some(v) = &self.network_profile {
            cfg.network_profile = v.clone();
        }
        if let Some(v) = self.network_timeout_ms {
            cfg.network_timeout_ms = v;
        }
        if let Some(v) = &self.node_id {
            cfg.node_id = v.clone();
        }
        if let Some(v) = &self.vault_keks {
            cfg.vault_keks = v.clone();
        }
        if let Some(v) = &self.fingerprint_key {
            cfg.fingerprint_key = Some(v.clone());
        }
        if let Some(v) = self.webhooks_allow_private {
            cfg.webhooks_allow_private = v;
        }
        if let Some(v) = &self.pages_csrf_key {
            cfg.pages_csrf_key = v.clone();
        }
        if let Some(v) = &self.public_url {
            cfg.public_url = Some(v.clone());
        }
        if let Some(v) = &self.three_ds_url {
            cfg.three_ds_url = Some(v.clone());
        }
        if let Some(v) = &self.isp_url {
            cfg.isp_url = Some(v.clone());
        }
        if let Some(v) = &self.sms_url {
            cfg.sms_url = Some(v.clone());
        }
        if let Some(v) = &self.bank_addr {
            cfg.bank_addr = Some(v.clone());
        }
        if let Some(v) = &self.carrier_url {
            cfg.carrier_url = Some(v.clone());
        }
        if let Some(v) = self.three_ds_required_from_krw {
            cfg.three_ds_required_from_krw = Some(v);
        }
        if let Some(v) = self.requires_action_ttl_s {
            cfg.requires_action_ttl_s = v;
        }
        if let Some(v) = self.fault_delay_after_auth_ms {
            cfg.fault_delay_after_auth_ms = v;
        }
        if let Some(v) = self.fault_fail_next_commits {
            cfg.fault_fail_next_commits = v;
        }
        if let Some(v) = self.fault_commit_delay_ms {
            cfg.fault_commit_delay_ms = v;
        }
        if let Some(v) = self.fault_delay_before_auth_ms {
            cfg.fault_delay_before_auth_ms = v;
        }
        self.security.apply(&mut cfg)?;
        if self.test_clock {
            cfg.test_clock = true;
        }
        Ok(cfg)
    }
}

fn load_file(path: Option<&std::path::Path>) -> Result<Config, String> {
    let default = PathBuf::from("paygate.toml");
    let (path, required) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (default, false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(_) if !required => Ok(Config::default()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}
