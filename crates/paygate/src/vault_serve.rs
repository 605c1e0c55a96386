//! `paygate vault serve`: the vault (card-data store + keyring) as its own service over mutual
//! TLS, for a hybrid cloud where card data stays in a private zone (docs/OPERATIONS.md
//! "Hybrid cloud"). Its database (`--data-dir` or `--database-url`) holds only sealed cards;
//! its keys come from `PAYGATE_VAULT_KEKS`/`PAYGATE_FINGERPRINT_KEY` or `--vault-keks-file`,
//! as for `paygate serve`.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use paygate_gateway::listener::{self, ListenerConfig};
use paygate_gateway::vault_service::{mtls, server};
use paygate_payments::{Clock, SystemClock};

use crate::config::DbArgs;

#[derive(Subcommand)]
pub enum VaultCmd {
    /// Run the vault as its own service: seal, unseal, delete, key status over mutual TLS.
    Serve(Box<VaultServeArgs>),
}

#[derive(Args)]
pub struct VaultServeArgs {
    /// Listen address.
    #[arg(long, env = "PAYGATE_VAULT_LISTEN", default_value = "127.0.0.1:8443")]
    pub listen: String,
    /// PEM certificate chain the vault presents.
    #[arg(long, env = "PAYGATE_VAULT_TLS_CERT")]
    pub tls_cert: PathBuf,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "PAYGATE_VAULT_TLS_KEY")]
    pub tls_key: PathBuf,
    /// PEM CA bundle a client's certificate must chain to (no certificate: no handshake).
    #[arg(long, env = "PAYGATE_VAULT_CLIENT_CA")]
    pub client_ca: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
    /// Key-encrypting keys, `id:base64`, comma-separated; the first is active.
    #[arg(long, env = "PAYGATE_VAULT_KEKS", value_delimiter = ',')]
    pub vault_keks: Option<Vec<String>>,
    /// Card fingerprint HMAC key (base64).
    #[arg(long, env = "PAYGATE_FINGERPRINT_KEY")]
    pub fingerprint_key: Option<String>,
    /// The keys from a file outside the data directory (as `paygate serve --vault-keks-file`).
    #[arg(long, env = "PAYGATE_VAULT_KEKS_FILE")]
    pub vault_keks_file: Option<PathBuf>,
}

pub async fn run(cmd: VaultCmd) -> Result<(), String> {
    let VaultCmd::Serve(args) = cmd;
    let mut cfg = args.db.config()?;
    if let Some(keks) = &args.vault_keks {
        cfg.vault_keks = keks.clone();
    }
    if let Some(fp) = &args.fingerprint_key {
        cfg.fingerprint_key = Some(fp.clone());
    }
    if let Some(path) = &args.vault_keks_file {
        let (keks, fp) = crate::security_args::read_keys_file(path, &cfg.data_dir)?;
        cfg.vault_keks = keks;
        cfg.fingerprint_key = Some(fp);
    }
    let tls = mtls::server_config(&args.tls_cert, &args.tls_key, &args.client_ca)?;
    let vault = paygate_gateway::open_vault(&cfg)?;
    let store = paygate_gateway::open_store(&cfg).await?;
    let tcp = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("--listen {}: {e}", args.listen))?;
    let addr = tcp.local_addr().map_err(|e| e.to_string())?;
    let service = Arc::new(server::VaultService {
        store: store.clone(),
        vault,
        now: || SystemClock.now(),
    });
    let app = server::router(service);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let serving = tokio::spawn(async move {
        listener::serve(tcp, app, &ListenerConfig::default(), Some(tls), stopped).await;
    });
    println!("paygate vault listening on https://{addr} (mutual TLS)");
    crate::serve::wait_for_signal().await;
    tracing::info!("vault shutting down: draining in-flight requests");
    let _ = stop.send(true);
    let _ = serving.await;
    store.close().await;
    Ok(())
}
