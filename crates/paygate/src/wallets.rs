//! `paygate wallets easy-pay lock|unlock|audit --phone …`: the operator's view of the
//! 간편결제 wallets (payer-owned, keyed by phone): lock or unlock one, print its audit trail.
//! The phone is never printed in full.

use crate::config::DbArgs;
use clap::Subcommand;
use paygate_gateway::audit::operator::{Action, Subject};
use paygate_gateway::easy_pay::operator;
use paygate_payments::{Clock, SystemClock};
use paygate_wallet_tokens::Wallet;

/// `paygate wallets …`.
// The variants are the wallets' own names (easy pay, Apple Pay, Samsung Pay).
#[allow(clippy::enum_variant_names)]
#[derive(Subcommand)]
pub enum WalletsCmd {
    /// 간편결제 (easy_pay) wallets.
    #[command(subcommand, name = "easy-pay")]
    EasyPay(EasyPayCmd),
    /// Apple Pay processing keys (online tokens): add, list, remove.
    #[command(subcommand, name = "apple-pay")]
    ApplePay(crate::wallet_keys::WalletKeyCmd),
    /// Samsung Pay processing keys (online tokens): add, list, remove.
    #[command(subcommand, name = "samsung-pay")]
    SamsungPay(crate::wallet_keys::WalletKeyCmd),
}

/// Which wallet: its phone number and mode.
#[derive(clap::Args)]
pub struct Which {
    /// The wallet's mobile number (010-1234-5678).
    #[arg(long)]
    phone: String,
    /// The live-mode wallet (default: test mode).
    #[arg(long)]
    live: bool,
    #[command(flatten)]
    db: DbArgs,
}

/// `paygate wallets easy-pay …`.
#[derive(Subcommand)]
pub enum EasyPayCmd {
    /// Lock the wallet (no PIN is accepted until unlocked or the time passes).
    Lock {
        #[command(flatten)]
        which: Which,
        /// Lock for this many seconds (default: until unlocked).
        #[arg(long)]
        seconds: Option<i64>,
    },
    /// Lift a lock (also resets the wrong-PIN count).
    Unlock {
        #[command(flatten)]
        which: Which,
    },
    /// Print the wallet's audit trail, newest first.
    Audit {
        #[command(flatten)]
        which: Which,
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `paygate wallets` command.
pub async fn run(cmd: WalletsCmd) -> Result<(), String> {
    let cmd = match cmd {
        WalletsCmd::EasyPay(cmd) => cmd,
        WalletsCmd::ApplePay(c) => return crate::wallet_keys::run(Wallet::ApplePay, c).await,
        WalletsCmd::SamsungPay(c) => return crate::wallet_keys::run(Wallet::SamsungPay, c).await,
    };
    let (which, lock) = match &cmd {
        EasyPayCmd::Lock { which, seconds } => (
            which,
            Some(Some(seconds.unwrap_or(operator::OPERATOR_LOCK_S))),
        ),
        EasyPayCmd::Unlock { which } => (which, Some(None)),
        EasyPayCmd::Audit { which, .. } => (which, None),
    };
    let cfg = which.db.config()?;
    let vault = paygate_gateway::open_vault(&cfg)?;
    let store = paygate_gateway::open_store(&cfg).await?;
    let now = SystemClock.now();
    let result = match (lock, &cmd) {
        (Some(lock_for), _) => {
            match operator::set_lock(&store, &vault, &which.phone, which.live, lock_for, now).await
            {
                Ok(w) => {
                    let (action, detail) = match w.locked_until {
                        Some(until) => {
                            println!("{} {} locked until {until}", w.id, w.phone_masked);
                            (Action::WalletLock, format!("until={until}"))
                        }
                        None => {
                            println!("{} {} unlocked", w.id, w.phone_masked);
                            (Action::WalletUnlock, String::new())
                        }
                    };
                    let subject = Subject {
                        target: &w.id,
                        merchant: "",
                        detail: &detail,
                    };
                    crate::audit::record(&store, action, subject).await
                }
                Err(e) => Err(e),
            }
        }
        (None, EasyPayCmd::Audit { json, .. }) => {
            operator::audit(&store, &vault, &which.phone, which.live)
                .await
                .map(|entries| print_audit(&entries, *json))
        }
        (None, _) => Ok(()),
    };
    store.close().await;
    result
}

fn print_audit(entries: &[serde_json::Value], json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(entries).unwrap_or_default()
        );
        return;
    }
    for e in entries {
        println!(
            "{} {} {} {} pi={} merchant={}",
            e["created"],
            e["phone"].as_str().unwrap_or(""),
            e["event"].as_str().unwrap_or(""),
            e["actor"].as_str().unwrap_or(""),
            e["payment_intent"].as_str().unwrap_or("-"),
            e["merchant"].as_str().unwrap_or("-"),
        );
    }
}
