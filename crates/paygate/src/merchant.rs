//! `paygate merchant …`: create and list merchants.

use crate::config::DbArgs;
use clap::Subcommand;
use paygate_gateway::admin::{self, NewMerchant};

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
            store.close().await;
            let m = m?;
            if json {
                println!("{}", serde_json::to_string(&m).map_err(|e| e.to_string())?);
            } else {
                print_new(&m, "");
            }
            Ok(())
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
            store.close().await;
            println!("{}", b?);
            Ok(())
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
