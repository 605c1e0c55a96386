//! Gateway configuration. Sources, weakest first: built-in defaults, `paygate.toml`, `PAYGATE_*`
//! environment variables, command-line flags (the binary merges them; see docs/CONFIG.md).

use serde::Deserialize;
use std::path::PathBuf;

/// Everything the gateway needs at start-up. Its `Debug` form redacts every secret (KEKs, the
/// fingerprint key, the database URL's password), so a logged configuration leaks none.
#[derive(Clone, Deserialize)]
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
    /// Listen address of `GET /metrics` (Prometheus), never the API's; `off` disables it.
    pub metrics_listen: String,
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
    /// How often the background job sweeps stale attempts and checks whether a new day is to
    /// be settled.
    pub sweep_interval_ms: u64,
    /// Fault injection (chaos tests): hold every approved authorization this long before its
    /// outcome is committed, widening the window in which a crash must not lose a payment.
    pub fault_delay_after_auth_ms: u64,
    /// Fault injection (test mode only): the first N unit commits fail with an injected
    /// storage error; at run time `POST /v1/test_helpers/faults` sets it.
    pub fault_fail_next_commits: u64,
    /// Fault injection (test mode only): every unit commit waits this long first (at most
    /// 60 000); at run time `POST /v1/test_helpers/faults` sets it.
    pub fault_commit_delay_ms: u64,
    /// Fault injection (chaos tests): hold every ISP payment this long between its
    /// verification at the ISP server and its authorization, widening the window in which a
    /// crash must leave the intent retryable and nothing charged.
    pub fault_delay_before_auth_ms: u64,
    /// Keys of the payer pages' CSRF tokens (base64, ≥ 32 bytes): the first signs, a second
    /// (the previous key during a rotation) is still accepted. Required once any live-mode API
    /// key exists; otherwise a key is generated per process with a warning.
    pub pages_csrf_key: Vec<String>,
    /// The gateway's public base URL (`https://pay.example.com`), used to build absolute
    /// `/pay/…` URLs for payers; default `http://<listen address>`.
    pub public_url: Option<String>,
    /// Base URL of the 3-D Secure Directory Server (`{base}/ds/preq`, `{base}/ds/areq`);
    /// without it 3DS is not offered (`paygate serve` starts its in-process simulator and
    /// fills it in).
    pub three_ds_url: Option<String>,
    /// Base URL of the ISP 안전결제 server (card company's CA + verifier: `{base}/v1/verify`,
    /// `{base}/v1/enroll`, …); without it ISP is not offered (`paygate serve` starts its
    /// in-process simulator and fills it in).
    pub isp_url: Option<String>,
    /// Base URL of the SMS gateway (`{base}/v1/messages`); without it the easy_pay wallet is
    /// not offered (`paygate serve` starts its in-process simulator and fills it in).
    pub sms_url: Option<String>,
    /// Address of the bank's telegram link (virtual accounts, deposit notices, transfers to
    /// refund accounts); without it `virtual_account` is not offered (`paygate serve` starts
    /// its in-process bank simulator and fills it in).
    pub bank_addr: Option<String>,
    /// Base URL of the mobile carrier (휴대폰 소액결제: `{base}/v1/payments`, …); without it
    /// mobile_carrier is not offered (`paygate serve` starts its in-process simulator).
    pub carrier_url: Option<String>,
    /// `threeDSRequestorID` assigned to paygate by the DS.
    pub three_ds_requestor_id: String,
    /// `acquirerBIN` sent in the AReq (digits).
    pub three_ds_acquirer_bin: String,
    /// Merchant category code sent in the AReq (4 digits).
    pub three_ds_mcc: String,
    /// Korean rule of `request_three_d_secure=automatic`: KRW card payments at or above this
    /// amount are authenticated when the card is enrolled (off when absent; 300000 was the
    /// historical figure).
    pub three_ds_required_from_krw: Option<i64>,
    /// Seconds an intent may wait in `requires_action` before it is canceled as abandoned.
    pub requires_action_ttl_s: i64,
    /// The API listener: TLS, timeouts, connection limit (`[listener]`).
    pub listener: crate::listener::ListenerConfig,
    /// A remote vault (`paygate vault serve`) instead of the embedded one (`[remote_vault]`,
    /// `--vault-url` …; hybrid cloud, docs/OPERATIONS.md).
    pub remote_vault: Option<RemoteVault>,
    /// Run on a test clock (system time plus an offset that only grows, moved by
    /// `POST /v1/test_helpers/test_clock/advance`); for test instances only, refused while
    /// live-mode API keys exist.
    pub test_clock: bool,
}

/// Where `/metrics` listens unless configured: loopback only, Prometheus' port for exporters.
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:9464";

impl Config {
    /// The metrics listen address, or `None` when `metrics_listen = "off"`.
    pub fn metrics_addr(&self) -> Option<&str> {
        let a = self.metrics_listen.trim();
        (!a.eq_ignore_ascii_case("off")).then_some(a)
    }
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
            metrics_listen: DEFAULT_METRICS_LISTEN.into(),
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
            sweep_interval_ms: 30_000,
            fault_delay_after_auth_ms: 0,
            fault_fail_next_commits: 0,
            fault_commit_delay_ms: 0,
            fault_delay_before_auth_ms: 0,
            pages_csrf_key: Vec::new(),
            public_url: None,
            three_ds_url: None,
            isp_url: None,
            sms_url: None,
            bank_addr: None,
            carrier_url: None,
            three_ds_requestor_id: "paygate-3ds-requestor".into(),
            three_ds_acquirer_bin: "123456".into(),
            three_ds_mcc: "5999".into(),
            three_ds_required_from_krw: None,
            requires_action_ttl_s: 3600,
            listener: crate::listener::ListenerConfig::default(),
            remote_vault: None,
            test_clock: false,
        }
    }
}

/// Shown in place of a secret.
const REDACTED: &str = "<redacted>";

/// `postgres://user:secret@host/db` → `postgres://user:<redacted>@host/db`; a URL that does not
/// parse is redacted whole (it may still hold a password).
fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some(REDACTED));
            }
            for (k, _) in u.query_pairs() {
                if k.eq_ignore_ascii_case("password") {
                    return format!("{}://{REDACTED}", u.scheme());
                }
            }
            u.to_string()
        }
        Err(_) => REDACTED.to_string(),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Destructured so that a new field cannot be added without deciding how it prints.
        let Config {
            data_dir,
            database_url,
            database_schema,
            database_pool_size,
            listen,
            metrics_listen,
            network_addr,
            network_profile,
            network_timeout_ms,
            node_id,
            vault_keks,
            fingerprint_key,
            webhooks_allow_private,
            webhook_retry_window_s,
            webhook_timeout_ms,
            default_fee_bps,
            default_fee_fixed_minor,
            default_settle_days,
            attempt_stale_s,
            rate_limit_per_s,
            settle_daily,
            sweep_interval_ms,
            fault_delay_after_auth_ms,
            fault_fail_next_commits,
            fault_commit_delay_ms,
            fault_delay_before_auth_ms,
            pages_csrf_key,
            public_url,
            three_ds_url,
            isp_url,
            sms_url,
            bank_addr,
            carrier_url,
            three_ds_requestor_id,
            three_ds_acquirer_bin,
            three_ds_mcc,
            three_ds_required_from_krw,
            requires_action_ttl_s,
            listener,
            remote_vault,
            test_clock,
        } = self;
        // A KEK prints as its id only: `kek-1:<redacted>`.
        let keks: Vec<String> = vault_keks
            .iter()
            .map(|k| match k.split_once(':') {
                Some((id, _)) => format!("{id}:{REDACTED}"),
                None => REDACTED.to_string(),
            })
            .collect();
        let mut d = f.debug_struct("Config");
        plain_fields!(
            d;
            data_dir, database_schema, database_pool_size, listen, metrics_listen, network_addr,
            network_profile, network_timeout_ms, node_id, webhooks_allow_private,
            webhook_retry_window_s, webhook_timeout_ms, default_fee_bps, default_fee_fixed_minor,
            default_settle_days, attempt_stale_s, rate_limit_per_s, settle_daily,
            sweep_interval_ms, fault_delay_after_auth_ms, fault_fail_next_commits,
            fault_commit_delay_ms, fault_delay_before_auth_ms, public_url, three_ds_url, isp_url, sms_url, bank_addr,
            carrier_url,
            three_ds_requestor_id, three_ds_acquirer_bin, three_ds_mcc,
            three_ds_required_from_krw, requires_action_ttl_s, listener, remote_vault,
            test_clock,
        );
        let csrf_keys: Vec<&str> = pages_csrf_key.iter().map(|_| REDACTED).collect();
        d.field("database_url", &database_url.as_deref().map(redact_url))
            .field("vault_keks", &keks)
            .field(
                "fingerprint_key",
                &fingerprint_key.as_ref().map(|_| REDACTED),
            )
            .field("pages_csrf_key", &csrf_keys)
            .finish()
    }
}

/// Where the remote vault is and the mutual-TLS files to reach it (all four or none).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteVault {
    /// `https://vault.internal:8443`.
    pub url: String,
    /// PEM CA bundle the vault's certificate must chain to.
    pub ca: PathBuf,
    /// PEM certificate this gateway presents.
    pub client_cert: PathBuf,
    /// PEM private key of `client_cert`.
    pub client_key: PathBuf,
}

/// Adds fields that print as they are (nothing secret in them) to a `DebugStruct`.
macro_rules! plain_fields {
    ($d:ident; $($name:ident),* $(,)?) => {
        $( $d.field(stringify!($name), $name); )*
    };
}
use plain_fields;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_keks_the_fingerprint_key_the_csrf_key_and_the_database_password() {
        let cfg = Config {
            vault_keks: vec![
                "kek-2:S2VrU2VjcmV0TnVtYmVyVHdvLi4uLi4uLi4uLi4uLi4=".into(),
                "kek-1:T2xkS2VrU2VjcmV0Li4uLi4uLi4uLi4uLi4uLi4uLi4=".into(),
            ],
            fingerprint_key: Some("RmluZ2VycHJpbnRTZWNyZXQuLi4uLi4uLi4uLi4uLi4=".into()),
            database_url: Some("postgres://paygate:hunter2-db-pass@db.internal:5432/pay".into()),
            pages_csrf_key: vec!["UGFnZXNDc3JmU2VjcmV0Li4uLi4uLi4uLi4uLi4uLi4=".into()],
            ..Config::default()
        };
        let text = format!("{cfg:?}");
        for secret in [
            "S2VrU2VjcmV0TnVtYmVyVHdvLi4uLi4uLi4uLi4uLi4=",
            "T2xkS2VrU2VjcmV0Li4uLi4uLi4uLi4uLi4uLi4uLi4=",
            "RmluZ2VycHJpbnRTZWNyZXQuLi4uLi4uLi4uLi4uLi4=",
            "hunter2-db-pass",
            "UGFnZXNDc3JmU2VjcmV0Li4uLi4uLi4uLi4uLi4uLi4=",
        ] {
            assert!(!text.contains(secret), "{secret} printed in {text}");
        }
        assert!(text.contains("kek-2:<redacted>"), "{text}");
        assert!(text.contains("db.internal"), "the host still shows: {text}");
        let pretty = format!("{cfg:#?}");
        assert!(!pretty.contains("hunter2-db-pass"));
    }

    #[test]
    fn a_password_in_the_query_or_an_unparsable_url_is_redacted_too() {
        assert!(!redact_url("postgres://u@h/db?password=sekrit").contains("sekrit"));
        assert_eq!(redact_url("host=h password=sekrit"), REDACTED);
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn metrics_can_be_turned_off() {
        let mut cfg = Config::default();
        assert_eq!(cfg.metrics_addr(), Some(DEFAULT_METRICS_LISTEN));
        cfg.metrics_listen = "off".into();
        assert_eq!(cfg.metrics_addr(), None);
    }
}
