//! `paygate wallets apple-pay|samsung-pay add|list|remove`: a merchant's wallet processing keys
//! (`paygate_gateway::wallet_tokens::keys`). The private key is read from a file, sealed by the
//! vault and never printed; `list` shows each key's id and its public key hash / kid. Rotation:
//! add the new key, let both be active while the wallet switches, then remove the old one.

use crate::audit;
use crate::config::DbArgs;
use clap::Subcommand;
use paygate_gateway::audit::operator::{Action, Subject};
use paygate_gateway::wallet_tokens::keys::{self, NewKey};
use paygate_payments::{Clock, SystemClock};
use paygate_store::Scope;
use paygate_wallet_tokens::Wallet;
use std::path::PathBuf;

/// Whose keys: the merchant, its mode and the database.
#[derive(clap::Args)]
pub struct Owner {
    /// The merchant (`acct_…`).
    #[arg(long)]
    merchant: String,
    /// The live-mode keys (default: test mode).
    #[arg(long)]
    live: bool,
    #[command(flatten)]
    db: DbArgs,
}

/// `paygate wallets apple-pay|samsung-pay …`.
#[derive(Subcommand)]
pub enum WalletKeyCmd {
    /// Add a processing key (several may be active: rotation with overlap).
    Add {
        #[command(flatten)]
        owner: Owner,
        /// Apple Pay: the payment processing certificate (PEM) Apple issued.
        #[arg(long)]
        certificate: Option<PathBuf>,
        /// The private key (PEM) of the certificate / the Samsung Pay RSA key.
        #[arg(long)]
        private_key: PathBuf,
        /// Apple Pay, test mode only: trust this root (PEM) besides Apple Root CA - G3.
        #[arg(long)]
        trust_root: Option<PathBuf>,
    },
    /// List the active keys.
    List {
        #[command(flatten)]
        owner: Owner,
        #[arg(long)]
        json: bool,
    },
    /// Remove a key by its id (`wk_…`).
    Remove {
        #[command(flatten)]
        owner: Owner,
        /// The key's id.
        #[arg(long)]
        id: String,
    },
}

fn mode(live: bool) -> &'static str {
    if live { "live" } else { "test" }
}

fn read(path: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs a key command for `wallet`.
pub async fn run(wallet: Wallet, cmd: WalletKeyCmd) -> Result<(), String> {
    let owner = match &cmd {
        WalletKeyCmd::Add { owner, .. }
        | WalletKeyCmd::List { owner, .. }
        | WalletKeyCmd::Remove { owner, .. } => owner,
    };
    let cfg = owner.db.config()?;
    let vault = paygate_gateway::open_vault(&cfg)?;
    let store = paygate_gateway::open_store(&cfg).await?;
    let scope = Scope {
        merchant_id: owner.merchant.clone(),
        livemode: owner.live,
    };
    let result = match &cmd {
        WalletKeyCmd::Add {
            certificate,
            private_key,
            trust_root,
            ..
        } => {
            let certificate = certificate.as_ref().map(read).transpose()?;
            let trust_root = trust_root.as_ref().map(read).transpose()?;
            let key = NewKey {
                wallet,
                certificate_pem: certificate.as_deref(),
                private_key_pem: &read(private_key)?,
                trust_root_pem: trust_root.as_deref(),
            };
            match store.get_merchant(&scope.merchant_id).await {
                Ok(Some(_)) => {
                    match keys::add(&store, &vault, &scope, key, SystemClock.now()).await {
                        Ok(k) => {
                            println!("{} {} {}", k.id, k.wallet, k.key_id);
                            let detail = format!("{} {} {}", k.wallet, mode(owner.live), k.key_id);
                            let subject = Subject {
                                target: &k.id,
                                merchant: &scope.merchant_id,
                                detail: &detail,
                            };
                            audit::record(&store, Action::WalletKeyAdd, subject).await
                        }
                        Err(e) => Err(e),
                    }
                }
                Ok(None) => Err(format!("no merchant {}", scope.merchant_id)),
                Err(e) => Err(e.to_string()),
            }
        }
        WalletKeyCmd::List { json, .. } => {
            keys::list(&store, &scope, Some(wallet)).await.map(|ks| {
                if *json {
                    println!("{}", serde_json::to_string_pretty(&ks).unwrap_or_default());
                }
                for k in ks.iter().filter(|_| !*json) {
                    println!("{} {} {} created={}", k.id, k.wallet, k.key_id, k.created);
                }
            })
        }
        WalletKeyCmd::Remove { id, .. } => match keys::remove(&store, &scope, id).await {
            Ok(()) => {
                println!("{id} removed");
                let detail = format!("{} {}", wallet.as_str(), mode(owner.live));
                let subject = Subject {
                    target: id,
                    merchant: &scope.merchant_id,
                    detail: &detail,
                };
                audit::record(&store, Action::WalletKeyRemove, subject).await
            }
            Err(e) => Err(e),
        },
    };
    store.close().await;
    result
}
