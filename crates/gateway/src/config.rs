//! Gateway configuration. Sources, weakest first: built-in defaults, `paygate.toml`, `PAYGATE_*`
//! environment variables, command-line flags (the binary merges them; see docs/CONFIG.md).

use serde::Deserialize;
use std::path::PathBuf;

/// Everything the gateway needs at start-up.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the SQLite database and the in-process simulator's journal live.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of SQLite.
    pub database_url: Option<String>,
    /// PostgreSQL schema (tests use one each); default `public`.
    pub database_schema: Option<String>,
    /// PostgreSQL connections for reads and background transactions (group commits have
    /// their own); default [`default_pool_size`].
    pub database_pool_size: usize,
    /// HTTP listen address.
    pub listen: String,
    /// Card network (ISO 8583) address, required by [`crate::start`]; when absent,
    /// `paygate serve` starts an in-process simulator and fills it in.
    pub network_addr: Option<String>,
    /// ISO 8583 profile on the link: `ascii` or `binary`.
    pub network_profile: String,
    /// Authorization timeout on the link before the payment is reversed.
    pub network_timeout_ms: u64,
    /// Identity of this process for crash recovery (several processes on one PostgreSQL need distinct ids).
    pub node_id: String,
    /// Key-encrypting keys as `id:base64-32-bytes`; the first one is active.
    pub vault_keks: Vec<String>,
    /// Key for card fingerprints (base64, ≥ 32 bytes).
    pub fingerprint_key: Option<String>,
    /// Allow webhook endpoints on loopback/private networks in live mode (SSRF guard).
    pub webhooks_allow_private: bool,
    /// Webhook delivery: total retry window.
    pub webhook_retry_window_s: i64,
    /// Webhook delivery: HTTP timeout per attempt.
    pub webhook_timeout_ms: u64,
    /// Default fee for new merchants, basis points.
    pub default_fee_bps: u32,
    /// Default fixed fee for new merchants, minor units of the payment currency.
    pub default_fee_fixed_minor: i64,
    /// Settlement delay for new merchants (D+N days).
    pub default_settle_days: i64,
    /// Seconds after which another process may recover an unfinished payment attempt.
    pub attempt_stale_s: i64,
    /// Requests per second allowed per API key (token bucket); 0 disables.
    pub rate_limit_per_s: u32,
    /// Run the daily settlement job inside `serve`.
    pub settle_daily: bool,
    /// Fault injection (chaos tests): hold every approved authorization this long before its
    /// outcome is committed, widening the window in which a crash must not lose a payment.
    pub fault_delay_after_auth_ms: u64,
}

/// Sized to the machine: two connections per CPU plus four for background work, at most 32.
/// A payment reads through the pool once (its idempotency key); the rest of its work is in the
/// group commits, which run on their own connections.
pub fn default_pool_size() -> usize {
    let cpus = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    (2 * cpus + 4).min(32)
}

impl Default for Config {
    fn default() -> Config {
        Config {
            data_dir: PathBuf::from("./paygate-data"),
            database_url: None,
            database_schema: None,
            database_pool_size: default_pool_size(),
            listen: "127.0.0.1:8080".into(),
            network_addr: None,
            network_profile: "ascii".into(),
            network_timeout_ms: 10_000,
            node_id: "node-1".into(),
            vault_keks: Vec::new(),
            fingerprint_key: None,
            webhooks_allow_private: false,
            webhook_retry_window_s: 3 * 24 * 3600,
            webhook_timeout_ms: 10_000,
            default_fee_bps: 290,
            default_fee_fixed_minor: 0,
            default_settle_days: 2,
            attempt_stale_s: 120,
            rate_limit_per_s: 0,
            settle_daily: true,
            fault_delay_after_auth_ms: 0,
        }
    }
}
