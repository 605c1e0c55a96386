//! The operator audit log (PCI DSS 10.2): every operator command that changes state (merchants,
//! API keys, vault key rotation, wallet keys, wallet locks, terminals, dashboard users) and
//! every use of the key-encrypting keys that matters (loaded at start-up, rotated), each with
//! who (the operating-system user, and the one behind `sudo`), what ([`Action`], target,
//! merchant, detail), when (the clock) and where (`cli@<host>` or `serve@<host>`), appended
//! to its own hash chain ([`OPERATOR`]); `paygate audit verify|export` read it back.
//!
//! A command's entry is written after its action committed: the action is never undone for
//! want of its entry, but the command then fails naming the missing entry, so the operator
//! knows the trail has a gap (and `verify` still holds: a gap is an entry never written, not
//! a broken one).

use super::chain::{Chain, ChainError, Entry, Record};
use paygate_store::Store;

/// The operator audit log's place in the store.
pub const OPERATOR: Chain = Chain {
    entry_kind: "operator_audit",
    head_kind: "operator_audit_head",
    head_id: "oah_chain",
    id_prefix: "oae",
};

/// What an operator did, or which key was used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    MerchantCreate,
    MerchantBranding,
    ApiKeyCreate,
    ApiKeyRevoke,
    /// The vault's KEKs were loaded by a starting server (key use, PCI DSS 10.2.1.x).
    KekLoad,
    /// Every card's data key re-wrapped under the active KEK.
    KekRotate,
    WalletKeyAdd,
    WalletKeyRemove,
    WalletLock,
    WalletUnlock,
    TerminalCreate,
    DashboardUserCreate,
}

impl Action {
    /// The name stored in the entry (never renamed once written).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::MerchantCreate => "merchant_create",
            Action::MerchantBranding => "merchant_branding",
            Action::ApiKeyCreate => "api_key_create",
            Action::ApiKeyRevoke => "api_key_revoke",
            Action::KekLoad => "kek_load",
            Action::KekRotate => "kek_rotate",
            Action::WalletKeyAdd => "wallet_key_add",
            Action::WalletKeyRemove => "wallet_key_remove",
            Action::WalletLock => "wallet_lock",
            Action::WalletUnlock => "wallet_unlock",
            Action::TerminalCreate => "terminal_create",
            Action::DashboardUserCreate => "dashboard_user_create",
        }
    }
}

/// Who runs this process, and on which host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    /// `alice`, or `root (sudo: alice)`.
    pub user: String,
    /// `cli@<host>` for a command, `serve@<host>` for the server.
    pub origin: String,
}

impl Operator {
    /// The operating-system user of this process (`USER`/`LOGNAME`, else the uid) and the
    /// host name; `program` is `cli` or `serve`.
    pub fn of_this_process(program: &str) -> Operator {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let mut user = env("USER")
            .or_else(|| env("LOGNAME"))
            .or_else(uid)
            .unwrap_or_else(|| "unknown".into());
        if let Some(sudo) = env("SUDO_USER") {
            user = format!("{user} (sudo: {sudo})");
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .or_else(|| env("HOSTNAME"))
            .unwrap_or_else(|| "unknown".into());
        Operator {
            user,
            origin: format!("{program}@{host}"),
        }
    }
}

/// `uid <n>` from `/proc/self/status` (Linux), when no user name is in the environment.
fn uid() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(1).map(|n| format!("uid {n}"))
}

/// What was acted on.
#[derive(Clone, Debug, Default)]
pub struct Subject<'a> {
    /// The object (`acct_…`, `key_…`, `wk_…`, `term_…`, `du_…`), or a KEK id.
    pub target: &'a str,
    pub merchant: &'a str,
    /// Never a secret: ids, counts, modes.
    pub detail: &'a str,
}

/// Appends one operator action at `now` (Unix seconds).
pub async fn record(
    store: &Store,
    now: i64,
    who: &Operator,
    action: Action,
    subject: Subject<'_>,
) -> Result<Entry, ChainError> {
    let rec = Record {
        actor: who.user.clone(),
        email: String::new(),
        action: action.as_str().into(),
        target: subject.target.into(),
        merchant: subject.merchant.into(),
        ip: who.origin.clone(),
        detail: subject.detail.into(),
    };
    OPERATOR.append(store, now, rec).await
}
