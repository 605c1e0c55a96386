//! Dashboard users: an operator (every merchant) or a merchant's user (that merchant only),
//! each with an Argon2id password (the same hashing as the wallet PIN,
//! `paygate_gateway::easy_pay::pin`) and a TOTP secret sealed by the vault, and the lockout
//! rule: 10 wrong passwords or codes in a row lock the user for 30 minutes.
//!
//! Storage: an object of kind [`USER_KIND`] in the platform scope, its id derived from the
//! e-mail address (so an address is taken once, by the store's unique id).

use crate::error::DashError;
use crate::totp::TotpSecret;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use paygate_gateway::easy_pay::pin;
use paygate_store::{ListFilter, ListQuery, ObjectRow, Op, Scope, Store, WriteUnit};
use paygate_vault::{SealedCard, Vault};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const USER_KIND: &str = "dashboard_user";
/// Wrong passwords or codes in a row before the lock.
pub const MAX_FAILURES: u32 = 10;
/// How long the lock lasts.
pub const LOCK_S: i64 = 30 * 60;
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Where dashboard users, sessions and the audit log live: the platform's scope (test mode
/// flag false; a user is not per mode).
pub fn platform_scope() -> Scope {
    paygate_gateway::audit::chain::platform_scope()
}

/// What a user may see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Role {
    /// Every merchant's objects.
    Operator,
    /// One merchant's objects only.
    Merchant { merchant: String },
}

impl Role {
    /// Whether this role may see `merchant_id`'s objects.
    pub fn sees(&self, merchant_id: &str) -> bool {
        match self {
            Role::Operator => true,
            Role::Merchant { merchant } => merchant == merchant_id,
        }
    }
}

/// The stored user.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    #[serde(flatten)]
    pub role: Role,
    /// Argon2id, PHC-style string.
    pub password: String,
    /// The TOTP secret sealed by the vault (record id = user id).
    pub totp_sealed: SealedJson,
    #[serde(default)]
    pub failed_logins: u32,
    #[serde(default)]
    pub locked_until: Option<i64>,
    /// The last TOTP step accepted: a code is good once.
    #[serde(default)]
    pub last_totp_step: Option<i64>,
    pub created: i64,
}

/// A vault-sealed secret as stored in a document (base64 fields).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SealedJson {
    pub kek_id: String,
    pub wrapped_dek: String,
    pub ciphertext: String,
}

/// The id of the user with this (normalized) address.
pub fn user_id(email: &str) -> String {
    let h = Sha256::digest(normalize_email(email).as_bytes());
    format!("du_{}", &hex::encode(h)[..24])
}

fn normalize_email(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

/// Checks an e-mail address's shape (one `@`, something on both sides, no spaces, ≤ 254).
pub fn check_email(email: &str) -> Result<String, DashError> {
    let e = normalize_email(email);
    let ok = e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(e.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !d.contains('@'));
    if ok {
        Ok(e)
    } else {
        Err(DashError::invalid("email", "must be an e-mail address"))
    }
}

/// Checks a new password: at least [`MIN_PASSWORD_CHARS`] characters, at most 1024.
pub fn check_password(pw: &str) -> Result<(), DashError> {
    let n = pw.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(DashError::invalid(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if n > 1024 {
        return Err(DashError::invalid(
            "password",
            "must be at most 1024 characters",
        ));
    }
    Ok(())
}

impl User {
    /// Whether the user is locked at `now`.
    pub fn locked(&self, now: i64) -> bool {
        self.locked_until.is_some_and(|t| now < t)
    }

    /// Counts a wrong password or code; the tenth in a row locks for [`LOCK_S`]. Returns
    /// whether this failure locked the user.
    pub fn record_failure(&mut self, now: i64) -> bool {
        self.failed_logins += 1;
        if self.failed_logins >= MAX_FAILURES {
            self.failed_logins = 0;
            self.locked_until = Some(now + LOCK_S);
            return true;
        }
        false
    }

    /// A successful login clears the count (the lock, if past, is cleared too).
    pub fn record_success(&mut self) {
        self.failed_logins = 0;
        self.locked_until = None;
    }

    pub fn password_ok(&self, password: &str) -> bool {
        pin::verify(password, &self.password)
    }

    /// The TOTP secret, opened from the vault.
    pub fn totp(&self, vault: &Vault) -> Result<TotpSecret, DashError> {
        let d = |s: &str| {
            B64.decode(s)
                .map_err(|e| DashError::Corrupt(format!("totp secret: {e}")))
        };
        let sealed = SealedCard {
            kek_id: self.totp_sealed.kek_id.clone(),
            wrapped_dek: d(&self.totp_sealed.wrapped_dek)?,
            ciphertext: d(&self.totp_sealed.ciphertext)?,
        };
        let plain = vault.open_secret(&self.id, &sealed)?;
        Ok(TotpSecret::from_bytes(plain.to_vec()))
    }

    fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a user serializes")
    }

    pub fn from_row(row: &ObjectRow) -> Result<User, DashError> {
        serde_json::from_value(row.data.clone()).map_err(|e| DashError::Corrupt(e.to_string()))
    }
}

/// Creates a user; the new TOTP secret is returned once (to be shown as an enrolment URI).
pub async fn create(
    store: &Store,
    vault: &Vault,
    email: &str,
    role: Role,
    password: &str,
    now: i64,
) -> Result<(User, TotpSecret), DashError> {
    let email = check_email(email)?;
    check_password(password)?;
    if let Role::Merchant { merchant } = &role
        && store.get_merchant(merchant).await?.is_none()
    {
        return Err(DashError::invalid(
            "merchant",
            format!("no merchant {merchant}"),
        ));
    }
    let id = user_id(&email);
    let secret = TotpSecret::generate();
    let sealed = vault.seal_secret(&id, secret.as_bytes())?;
    let user = User {
        id: id.clone(),
        email,
        role,
        password: pin::hash(password).map_err(DashError::Other)?,
        totp_sealed: SealedJson {
            kek_id: sealed.kek_id,
            wrapped_dek: B64.encode(&sealed.wrapped_dek),
            ciphertext: B64.encode(&sealed.ciphertext),
        },
        failed_logins: 0,
        locked_until: None,
        last_totp_step: None,
        created: now,
    };
    let scope = platform_scope();
    let row = ObjectRow {
        id,
        merchant_id: scope.merchant_id,
        livemode: scope.livemode,
        kind: USER_KIND.into(),
        parent: None,
        tag: None,
        due: None,
        created: now,
        version: 1,
        data: user.to_value(),
    };
    match store
        .commit(WriteUnit::new(vec![Op::InsertObject(row)]))
        .await
    {
        Ok(_) => Ok((user, secret)),
        Err(paygate_store::CommitError::Conflict { .. }) => Err(DashError::invalid(
            "email",
            "a dashboard user with this address exists",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The user with this address and its version.
pub async fn by_email(store: &Store, email: &str) -> Result<Option<(User, i64)>, DashError> {
    by_id(store, &user_id(email)).await
}

/// The user with this id and its version.
pub async fn by_id(store: &Store, id: &str) -> Result<Option<(User, i64)>, DashError> {
    match store.get_object(&platform_scope(), id).await? {
        Some(row) if row.kind == USER_KIND => Ok(Some((User::from_row(&row)?, row.version))),
        _ => Ok(None),
    }
}

/// The operation replacing the stored user read at `version`.
pub fn update_op(user: &User, version: i64) -> Op {
    Op::UpdateObject {
        id: user.id.clone(),
        expected_version: version,
        data: user.to_value(),
        tag: None,
        due: None,
    }
}

/// Every user (for the operator's CLI listing), newest first.
pub async fn list(store: &Store) -> Result<Vec<User>, DashError> {
    let mut q = ListQuery::new(USER_KIND, 100);
    q.filters.push(ListFilter::FieldAbsent("deleted"));
    let mut out = Vec::new();
    loop {
        let page = store.list_objects(&platform_scope(), &q).await?;
        for row in &page.data {
            out.push(User::from_row(row)?);
        }
        match (page.has_more, page.data.last()) {
            (true, Some(last)) => q.starting_after = Some(last.id.clone()),
            _ => return Ok(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: "du_x".into(),
            email: "a@b.example".into(),
            role: Role::Operator,
            password: String::new(),
            totp_sealed: SealedJson {
                kek_id: String::new(),
                wrapped_dek: String::new(),
                ciphertext: String::new(),
            },
            failed_logins: 0,
            locked_until: None,
            last_totp_step: None,
            created: 0,
        }
    }

    #[test]
    fn the_tenth_failure_locks_for_thirty_minutes() {
        let mut u = user();
        for _ in 0..9 {
            assert!(!u.record_failure(100));
        }
        assert!(!u.locked(100));
        assert!(u.record_failure(100));
        assert!(u.locked(100) && u.locked(100 + LOCK_S - 1) && !u.locked(100 + LOCK_S));
    }

    #[test]
    fn emails_and_passwords_are_checked() {
        assert_eq!(check_email(" A@B.example ").unwrap(), "a@b.example");
        for bad in [
            "",
            "a",
            "a@b",
            "@b.example",
            "a b@c.example",
            "a@b@c.example",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert!(check_password("short").is_err());
        assert!(check_password("long enough password").is_ok());
        assert_eq!(user_id("A@b.example"), user_id("a@b.example"));
    }

    #[test]
    fn roles_see_their_merchants() {
        let m = Role::Merchant {
            merchant: "acct_1".into(),
        };
        assert!(m.sees("acct_1") && !m.sees("acct_2") && Role::Operator.sees("acct_2"));
    }
}
