//! `paygate merchant …`: create and list merchants.

use crate::audit;
use crate::config::DbArgs;
use clap::Subcommand;
use paygate_gateway::admin::{self, NewMerchant};
use paygate_gateway::audit::operator::{Action, Subject};

#[derive(Subcommand)]
pub enum MerchantCmd {
    /// Create a merchant with test-mode keys (printed once: save them).
    Create {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set the hosted checkout page's branding (docs/CHECKOUT.md); "" removes a part.
    Branding {
        #[arg(long)]
        merchant: String,
        /// The name the page shows (default: the merchant's name).
        #[arg(long)]
        display_name: Option<String>,
        /// The buttons' colour, `#RRGGBB`.
        #[arg(long)]
        color: Option<String>,
        /// The logo, an absolute https URL.
        #[arg(long)]
        logo_url: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List merchants.
    List {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(cmd: MerchantCmd) -> Result<(), String> {
    match cmd {
        MerchantCmd::Create { name, db, json } => {
            let cfg = db.config()?;
            let store = paygate_gateway::open_store(&cfg).await?;
            let m = admin::create_merchant(&store, &cfg, &name).await;
            let audited = match &m {
                Ok(m) => audit_created(&store, m, &name, "cli").await,
                Err(_) => Ok(()),
            };
            store.close().await;
            let m = m?;
            // The keys are printed even when the audit entry failed: they exist now.
            if json {
                println!("{}", serde_json::to_string(&m).map_err(|e| e.to_string())?);
            } else {
                print_new(&m, "");
            }
            audited
        }
        MerchantCmd::Branding {
            merchant,
            display_name,
            color,
            logo_url,
            db,
        } => {
            let cfg = db.config()?;
            let store = paygate_gateway::open_store(&cfg).await?;
            let b = admin::set_branding(
                &store,
                &merchant,
                display_name.as_deref(),
                color.as_deref(),
                logo_url.as_deref(),
            )
            .await;
            let audited = match &b {
                Ok(view) => {
                    let detail = view.to_string();
                    let subject = Subject {
                        target: &merchant,
                        merchant: &merchant,
                        detail: &detail,
                    };
                    audit::record(&store, Action::MerchantBranding, subject).await
                }
                Err(_) => Ok(()),
            };
            store.close().await;
            println!("{}", b?);
            audited
        }
        MerchantCmd::List { db, json } => {
            let cfg = db.config()?;
            let store = paygate_gateway::open_store(&cfg).await?;
            let list = store.list_merchants().await.map_err(|e| e.to_string());
            store.close().await;
            for m in &list? {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"id": m.id, "name": m.name, "created": m.created})
                    );
                } else {
                    println!("{}\t{}", m.id, m.name);
                }
            }
            Ok(())
        }
    }
}

/// Records a new merchant in the operator audit log: its id, name and its keys' ids (never a
/// key); `program` is `cli` or `serve` (the demo merchant of a first start).
pub async fn audit_created(
    store: &paygate_store::Store,
    m: &NewMerchant,
    name: &str,
    program: &str,
) -> Result<(), String> {
    let detail = format!(
        "name={name} keys={},{}",
        m.secret_key_id, m.publishable_key_id
    );
    let subject = Subject {
        target: &m.id,
        merchant: &m.id,
        detail: &detail,
    };
    audit::record_as(store, program, Action::MerchantCreate, subject).await
}

/// A new merchant's id and keys, each key with its id, and where they will never be shown again.
pub fn print_new(m: &NewMerchant, indent: &str) {
    println!("{indent}merchant        {}", m.id);
    println!(
        "{indent}secret key      {}  (id {})",
        m.secret_key, m.secret_key_id
    );
    println!(
        "{indent}publishable key {}  (id {})",
        m.publishable_key, m.publishable_key_id
    );
    println!(
        "{indent}save these keys now: paygate keeps only their hashes (list them with \
         `paygate keys list --merchant {}`)",
        m.id
    );
}
