//! `paygate serve` flags of its PCI DSS controls: TLS on the API listener, the request limits
//! against slow clients, and a key file for the vault kept away from the data.

use clap::Args;
use paygate_gateway::config::Config;
use std::path::{Path, PathBuf};

#[derive(Args, Clone, Debug, Default)]
pub struct SecurityArgs {
    /// PEM certificate chain for TLS on the API listener (TLS 1.2 and 1.3 only).
    #[arg(long, env = "PAYGATE_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "PAYGATE_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// A proxy or load balancer in front terminates TLS (lets a live-mode gateway listen
    /// without --tls-cert on a non-loopback address).
    #[arg(long, env = "PAYGATE_TLS_OFFLOADED")]
    pub tls_offloaded: bool,
    /// A request's header must arrive within this many ms or the connection closes (default 10000).
    #[arg(long, env = "PAYGATE_HEADER_READ_TIMEOUT_MS")]
    pub header_read_timeout_ms: Option<u64>,
    /// A request's body must arrive within this many ms or the answer is 408 (default 10000).
    #[arg(long, env = "PAYGATE_BODY_READ_TIMEOUT_MS")]
    pub body_read_timeout_ms: Option<u64>,
    /// Connections served at once (default 4096).
    #[arg(long, env = "PAYGATE_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// The vault's keys from a file (JSON `{"keks": ["id:base64", …], "fingerprint_key":
    /// "base64"}`, the active KEK first) that must not be inside the data directory.
    #[arg(long, env = "PAYGATE_VAULT_KEKS_FILE")]
    pub vault_keks_file: Option<PathBuf>,
    /// A remote vault (`paygate vault serve`), `https://HOST:PORT`, reached over mutual TLS;
    /// needs --vault-ca, --vault-client-cert and --vault-client-key. Default: embedded vault.
    #[arg(long, env = "PAYGATE_VAULT_URL")]
    pub vault_url: Option<String>,
    /// PEM CA bundle the remote vault's certificate must chain to.
    #[arg(long, env = "PAYGATE_VAULT_CA")]
    pub vault_ca: Option<PathBuf>,
    /// PEM certificate this gateway presents to the remote vault.
    #[arg(long, env = "PAYGATE_VAULT_CLIENT_CERT")]
    pub vault_client_cert: Option<PathBuf>,
    /// PEM private key of --vault-client-cert.
    #[arg(long, env = "PAYGATE_VAULT_CLIENT_KEY")]
    pub vault_client_key: Option<PathBuf>,
}

impl SecurityArgs {
    /// Applies the flags given to `cfg` (after the data directory is known).
    pub fn apply(&self, cfg: &mut Config) -> Result<(), String> {
        let l = &mut cfg.listener;
        if self.tls_cert.is_some() {
            l.tls_cert.clone_from(&self.tls_cert);
        }
        if self.tls_key.is_some() {
            l.tls_key.clone_from(&self.tls_key);
        }
        l.tls_offloaded |= self.tls_offloaded;
        if let Some(v) = self.header_read_timeout_ms {
            l.header_read_timeout_ms = v;
        }
        if let Some(v) = self.body_read_timeout_ms {
            l.body_read_timeout_ms = v;
        }
        if let Some(v) = self.max_connections {
            l.max_connections = v;
        }
        self.apply_remote_vault(cfg)?;
        if let Some(path) = &self.vault_keks_file {
            let (keks, fingerprint) = read_keys_file(path, &cfg.data_dir)?;
            cfg.vault_keks = keks;
            cfg.fingerprint_key = Some(fingerprint);
        }
        Ok(())
    }
}

impl SecurityArgs {
    /// `--vault-url` and its three files: all four or none.
    fn apply_remote_vault(&self, cfg: &mut Config) -> Result<(), String> {
        let files = (
            &self.vault_ca,
            &self.vault_client_cert,
            &self.vault_client_key,
        );
        match (&self.vault_url, files) {
            (None, (None, None, None)) => Ok(()),
            (Some(url), (Some(ca), Some(cert), Some(key))) => {
                cfg.remote_vault = Some(paygate_gateway::config::RemoteVault {
                    url: url.clone(),
                    ca: ca.clone(),
                    client_cert: cert.clone(),
                    client_key: key.clone(),
                });
                Ok(())
            }
            _ => Err(
                "--vault-url, --vault-ca, --vault-client-cert and --vault-client-key \
                      go together (mutual TLS to the remote vault)"
                    .into(),
            ),
        }
    }
}

/// The KEKs and fingerprint key of `path`, refused when it lies inside `data_dir`
/// (PCI DSS 3.6.1: keys are not stored beside the data they protect).
pub(crate) fn read_keys_file(
    path: &Path,
    data_dir: &Path,
) -> Result<(Vec<String>, String), String> {
    let file = std::fs::canonicalize(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Ok(data) = std::fs::canonicalize(data_dir)
        && file.starts_with(&data)
    {
        return Err(format!(
            "PCI DSS 3.6.1: the vault key file {} is inside the data directory {}; keep keys \
             away from the data they protect",
            path.display(),
            data_dir.display()
        ));
    }
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let keks: Vec<String> = v["keks"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let fingerprint = v["fingerprint_key"].as_str().unwrap_or_default().to_owned();
    if keks.is_empty() || fingerprint.is_empty() {
        return Err(format!(
            "{}: needs \"keks\" (at least one \"id:base64\") and \"fingerprint_key\"",
            path.display()
        ));
    }
    Ok((keks, fingerprint))
}
