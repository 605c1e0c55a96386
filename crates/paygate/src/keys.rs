//! `paygate keys …`: API keys (create, list, revoke) and vault keys (generate, rotate).

use crate::audit;
use crate::config::{ConfigArgs, DbArgs};
use clap::Subcommand;
use paygate_gateway::admin::{self, Revoked};
use paygate_gateway::audit::operator::{Action, Subject};

#[derive(Subcommand)]
pub enum KeysCmd {
    /// Mint an API key for a merchant; the key is printed once, save it now.
    Create {
        #[arg(long)]
        merchant: String,
        /// Live-mode key (default test mode).
        #[arg(long)]
        live: bool,
        /// Publishable key (for browsers and apps) instead of a secret key.
        #[arg(long)]
        publishable: bool,
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        json: bool,
    },
    /// List a merchant's API keys: id, type, mode, created, revoked (never the key itself).
    List {
        #[arg(long)]
        merchant: String,
        #[command(flatten)]
        db: DbArgs,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API key by its id (`key_…`, see `keys list`).
    Revoke {
        #[arg(long)]
        id: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print a new random key-encrypting key (base64) for `vault_keks`.
    GenerateKek,
    /// Re-wrap every card's data key under the active KEK (safe while serving).
    // Boxed: the serve flags are large next to the other variants (clippy::large_enum_variant).
    RotateKek(Box<ConfigArgs>),
}

pub async fn run(cmd: KeysCmd) -> Result<(), String> {
    match cmd {
        KeysCmd::Create {
            merchant,
            live,
            publishable,
            db,
            json,
        } => {
            let cfg = db.config()?;
            let store = paygate_gateway::open_store(&cfg).await?;
            let made = admin::create_key(&store, &merchant, live, !publishable).await;
            let audited = match &made {
                Ok((_, id)) => {
                    let detail = format!(
                        "{} {}",
                        if publishable { "publishable" } else { "secret" },
                        if live { "live" } else { "test" }
                    );
                    let subject = Subject {
                        target: id,
                        merchant: &merchant,
                        detail: &detail,
                    };
                    audit::record(&store, Action::ApiKeyCreate, subject).await
                }
                Err(_) => Ok(()),
            };
            store.close().await;
            let (key, id) = made?;
            if json {
                println!("{}", serde_json::json!({"id": id, "key": key}));
            } else {
                println!("key id {id}\nkey    {key}");
                eprintln!(
                    "save the key now: paygate stores only its hash and cannot show it again"
                );
            }
            audited
        }
        KeysCmd::List { merchant, db, json } => list(&merchant, &db, json).await,
        KeysCmd::Revoke { id, db } => {
            let cfg = db.config()?;
            let store = paygate_gateway::open_store(&cfg).await?;
            let done = admin::revoke_key(&store, &id).await;
            let audited = match &done {
                Ok(Revoked::Now) => {
                    let subject = Subject {
                        target: &id,
                        ..Subject::default()
                    };
                    audit::record(&store, Action::ApiKeyRevoke, subject).await
                }
                _ => Ok(()),
            };
            store.close().await;
            match done? {
                Revoked::Now => println!("revoked {id}"),
                Revoked::Already => println!("{id} was already revoked"),
            }
            audited
        }
        KeysCmd::GenerateKek => {
            println!("{}", paygate_vault::generate_key_b64());
            Ok(())
        }
        KeysCmd::RotateKek(args) => {
            let cfg = args.config()?;
            let store = paygate_gateway::open_store(&cfg).await?;
            let vault = paygate_gateway::open_vault(&cfg)?;
            let n = admin::rotate_kek(&store, &vault).await;
            let audited = match &n {
                Ok(n) => audit_kek(&store, &vault, Action::KekRotate, "cli", *n).await,
                Err(_) => Ok(()),
            };
            store.close().await;
            println!("re-wrapped {} card data keys under the active KEK", n?);
            audited
        }
    }
}

/// Records a use of the vault's KEKs: the active KEK's id as the target, the ids of all
/// (never a key) and, for a rotation, how many data keys were re-wrapped.
pub async fn audit_kek(
    store: &paygate_store::Store,
    vault: &paygate_vault::Vault,
    action: Action,
    program: &str,
    rewrapped: u64,
) -> Result<(), String> {
    let ring = vault.key_ring();
    let ids: Vec<&str> = ring.ids().collect();
    let mut detail = format!("keks={}", ids.join(","));
    if action == Action::KekRotate {
        detail.push_str(&format!(" rewrapped={rewrapped}"));
    }
    let subject = Subject {
        target: ring.active_id(),
        merchant: "",
        detail: &detail,
    };
    audit::record_as(store, program, action, subject).await
}

async fn list(merchant: &str, db: &DbArgs, json: bool) -> Result<(), String> {
    let cfg = db.config()?;
    let store = paygate_gateway::open_store(&cfg).await?;
    let keys = admin::list_keys(&store, merchant).await;
    store.close().await;
    let keys = keys?;
    if !json {
        println!("ID\tTYPE\tMODE\tKEY\tCREATED\tREVOKED");
    }
    for k in &keys {
        if json {
            println!("{}", serde_json::to_string(k).map_err(|e| e.to_string())?);
        } else {
            println!(
                "{}\t{}\t{}\t{}\t{}\t{}",
                k.id,
                k.kind,
                k.mode,
                k.redacted,
                timestamp(k.created),
                k.revoked.map_or_else(|| "-".to_string(), timestamp)
            );
        }
    }
    Ok(())
}

/// Unix seconds as `2026-03-10T04:05:06Z`.
pub fn timestamp(unix_s: i64) -> String {
    let day = unix_s.div_euclid(86_400) * 86_400;
    let s = unix_s - day;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        paygate_gateway::settlement::format_date(day),
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}
