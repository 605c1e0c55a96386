//! `paygate dashboard user create|list` and `paygate dashboard audit verify|export`: the
//! dashboard's users (created here only; the password comes from
//! `PAYGATE_DASHBOARD_PASSWORD` or the first line of standard input, never an argument) and
//! its hash-chained audit log. A new user's TOTP secret is printed once, as an `otpauth://`
//! URI (and, with `--qr FILE`, as a QR code in SVG) for the authenticator app.

use crate::config::DbArgs;
use clap::Subcommand;
use paygate_dashboard::{audit, totp, users};
use paygate_gateway::audit::operator::{Action, Subject};
use paygate_payments::{Clock, SystemClock};

#[derive(Subcommand)]
pub enum DashboardCmd {
    /// Dashboard users.
    #[command(subcommand)]
    User(UserCmd),
    /// The dashboard's audit log.
    #[command(subcommand)]
    Audit(AuditCmd),
}

#[derive(Subcommand)]
pub enum UserCmd {
    /// Create a user: a merchant's (`--merchant acct_…`) or an operator (`--operator`).
    Create {
        #[arg(
            long,
            required_unless_present = "operator",
            conflicts_with = "operator"
        )]
        merchant: Option<String>,
        #[arg(long)]
        operator: bool,
        #[arg(long)]
        email: String,
        /// Also write the enrolment QR code (SVG) to this file (0600).
        #[arg(long, value_name = "FILE")]
        qr: Option<std::path::PathBuf>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List users (address, role, lock).
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Check the chain; non-zero exit naming the first broken entry.
    Verify {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print every entry, oldest first, as JSON lines.
    Export {
        #[command(flatten)]
        db: DbArgs,
    },
}

fn read_password() -> Result<String, String> {
    if let Ok(p) = std::env::var("PAYGATE_DASHBOARD_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Runs a `paygate dashboard` command.
pub async fn run(cmd: DashboardCmd) -> Result<(), String> {
    let db = match &cmd {
        DashboardCmd::User(UserCmd::Create { db, .. } | UserCmd::List { db, .. })
        | DashboardCmd::Audit(AuditCmd::Verify { db, .. } | AuditCmd::Export { db }) => db,
    };
    let cfg = db.config()?;
    let store = paygate_gateway::open_store(&cfg).await?;
    let result = match cmd {
        DashboardCmd::User(UserCmd::Create {
            merchant,
            email,
            qr,
            json,
            ..
        }) => {
            let vault = paygate_gateway::open_vault(&cfg)?;
            create(&store, &vault, merchant, &email, qr, json).await
        }
        DashboardCmd::User(UserCmd::List { json, .. }) => list(&store, json).await,
        DashboardCmd::Audit(AuditCmd::Verify { json, .. }) => verify(&store, json).await,
        DashboardCmd::Audit(AuditCmd::Export { .. }) => export(&store).await,
    };
    store.close().await;
    result
}

async fn create(
    store: &paygate_store::Store,
    vault: &paygate_vault::Vault,
    merchant: Option<String>,
    email: &str,
    qr: Option<std::path::PathBuf>,
    json: bool,
) -> Result<(), String> {
    let role = match merchant {
        Some(merchant) => users::Role::Merchant { merchant },
        None => users::Role::Operator,
    };
    let password = read_password()?;
    let now = SystemClock.now();
    let (user, secret) = users::create(store, vault, email, role, &password, now)
        .await
        .map_err(|e| e.to_string())?;
    let uri = totp::otpauth_uri(&secret, "paygate", &user.email);
    if let Some(path) = qr {
        let svg = totp::qr_svg(&uri)?;
        paygate_gateway::write_private(&path, &svg)?;
    }
    let rec = audit::Record {
        actor: "cli".into(),
        action: "user_create".into(),
        target: user.id.clone(),
        email: user.email.clone(),
        merchant: match &user.role {
            users::Role::Merchant { merchant } => merchant.clone(),
            users::Role::Operator => String::new(),
        },
        ..audit::Record::default()
    };
    let merchant = rec.merchant.clone();
    audit::append(store, now, rec)
        .await
        .map_err(|e| e.to_string())?;
    let subject = Subject {
        target: &user.id,
        merchant: &merchant,
        detail: if merchant.is_empty() {
            "role=operator"
        } else {
            "role=merchant"
        },
    };
    let audited = crate::audit::record(store, Action::DashboardUserCreate, subject).await;
    if json {
        let mut v = serde_json::to_value(&user.role).unwrap_or_default();
        v["id"] = user.id.clone().into();
        v["email"] = user.email.clone().into();
        v["otpauth_uri"] = uri.as_str().into();
        println!("{v}");
    } else {
        println!("created {} {}", user.id, user.email);
        println!("add this to the authenticator app (shown once):");
        println!("{}", uri.as_str());
    }
    audited
}

async fn list(store: &paygate_store::Store, json: bool) -> Result<(), String> {
    let all = users::list(store).await.map_err(|e| e.to_string())?;
    for u in all {
        let role = match &u.role {
            users::Role::Operator => "operator".to_string(),
            users::Role::Merchant { merchant } => merchant.clone(),
        };
        if json {
            println!(
                "{}",
                serde_json::json!({"id": u.id, "email": u.email, "role": role, "locked_until": u.locked_until})
            );
        } else {
            println!(
                "{} {} {role} locked_until={:?}",
                u.id, u.email, u.locked_until
            );
        }
    }
    Ok(())
}

async fn verify(store: &paygate_store::Store, json: bool) -> Result<(), String> {
    let v = audit::verify(store).await.map_err(|e| e.to_string())?;
    if json {
        println!("{}", serde_json::to_string(&v).unwrap_or_default());
    }
    match v.broken {
        None => {
            if !json {
                println!("audit log intact: {} entries", v.entries);
            }
            Ok(())
        }
        Some((seq, why)) => Err(format!("audit log broken at entry {seq}: {why}")),
    }
}

async fn export(store: &paygate_store::Store) -> Result<(), String> {
    for e in audit::entries(store).await.map_err(|e| e.to_string())? {
        println!("{}", serde_json::to_string(&e).unwrap_or_default());
    }
    Ok(())
}
