//! Dashboard sessions: a random token in an HttpOnly, SameSite=Strict cookie (Secure when the
//! gateway's public URL is https); the store keeps only its SHA-256 as the session's id.
//! A session is in one [`Stage`]: after the password, the TOTP code is still owed; a new
//! session (a new token) is issued at each step, so a token known before the login
//! (fixation) is worth nothing after it. Idle for [`IDLE_S`] (the gateway's clock), a session
//! is over; logging out ends it in the store.

use crate::error::DashError;
use crate::users::platform_scope;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use paygate_store::{ObjectRow, Op, Store, WriteUnit};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const SESSION_KIND: &str = "dashboard_session";
/// The session cookie.
pub const COOKIE: &str = "pgdash_session";
/// The pre-login cookie the login form's CSRF token is bound to.
pub const LOGIN_COOKIE: &str = "pgdash_login";
/// Idle timeout: 15 minutes without a request ends a session.
pub const IDLE_S: i64 = 15 * 60;
/// Time to type the TOTP code after the password.
pub const TOTP_STAGE_S: i64 = 5 * 60;
/// `last_seen` is written again only after this long (one write a minute at most).
const TOUCH_S: i64 = 60;

/// Where a session is in the login.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The password was right; the TOTP code is owed.
    Totp,
    /// Logged in.
    Active,
    /// Logged out.
    Ended,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub user: String,
    pub stage: Stage,
    pub created: i64,
    pub last_seen: i64,
}

impl Session {
    /// Whether the session still counts at `now`.
    pub fn live(&self, now: i64) -> bool {
        match self.stage {
            Stage::Totp => now < self.created + TOTP_STAGE_S,
            Stage::Active => now < self.last_seen + IDLE_S,
            Stage::Ended => false,
        }
    }
}

/// A fresh random token (256 bits, base64url).
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the operating system's random source works");
    URL_SAFE_NO_PAD.encode(b)
}

/// The stored id of a token.
pub fn session_id(token: &str) -> String {
    format!(
        "dss_{}",
        &hex::encode(Sha256::digest(token.as_bytes()))[..40]
    )
}

/// The `Set-Cookie` value of `name=value` for the dashboard's path.
pub fn cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/dashboard; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    c
}

/// The value of cookie `name` in a `Cookie` header.
pub fn read_cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// The op writing a new session for `user` in `stage`; returns its token too.
pub fn start(user: &str, stage: Stage, now: i64) -> (String, Session, Op) {
    let token = new_token();
    let s = Session {
        id: session_id(&token),
        user: user.into(),
        stage,
        created: now,
        last_seen: now,
    };
    let scope = platform_scope();
    let op = Op::InsertObject(ObjectRow {
        id: s.id.clone(),
        merchant_id: scope.merchant_id,
        livemode: scope.livemode,
        kind: SESSION_KIND.into(),
        parent: Some(user.into()),
        tag: None,
        due: None,
        created: now,
        version: 1,
        data: serde_json::to_value(&s).expect("a session serializes"),
    });
    (token, s, op)
}

/// The op ending session `s` (read at `version`).
pub fn end_op(s: &Session, version: i64) -> Op {
    let mut ended = s.clone();
    ended.stage = Stage::Ended;
    Op::UpdateObject {
        id: s.id.clone(),
        expected_version: version,
        data: serde_json::to_value(&ended).expect("a session serializes"),
        tag: None,
        due: None,
    }
}

/// The live session of `token` at `now` and its version; touches `last_seen` once a minute.
pub async fn load(
    store: &Store,
    token: &str,
    now: i64,
) -> Result<Option<(Session, i64)>, DashError> {
    load_with(store, token, now, true).await
}

/// The same without touching `last_seen`: for what the page asks by itself (the live list's
/// stream and refresh), which must not keep an idle session alive.
pub async fn load_untouched(
    store: &Store,
    token: &str,
    now: i64,
) -> Result<Option<(Session, i64)>, DashError> {
    load_with(store, token, now, false).await
}

async fn load_with(
    store: &Store,
    token: &str,
    now: i64,
    touch: bool,
) -> Result<Option<(Session, i64)>, DashError> {
    let Some(row) = store
        .get_object(&platform_scope(), &session_id(token))
        .await?
    else {
        return Ok(None);
    };
    if row.kind != SESSION_KIND {
        return Ok(None);
    }
    let mut s: Session =
        serde_json::from_value(row.data).map_err(|e| DashError::Corrupt(e.to_string()))?;
    if !s.live(now) {
        return Ok(None);
    }
    let mut version = row.version;
    if touch && s.stage == Stage::Active && now - s.last_seen >= TOUCH_S {
        s.last_seen = now;
        let op = Op::UpdateObject {
            id: s.id.clone(),
            expected_version: version,
            data: serde_json::to_value(&s).expect("a session serializes"),
            tag: None,
            due: None,
        };
        // A concurrent request touched it first: just as good.
        if store.commit(WriteUnit::new(vec![op])).await.is_ok() {
            version += 1;
        }
    }
    Ok(Some((s, version)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_expire_by_the_clock() {
        let mut s = Session {
            id: "dss_x".into(),
            user: "du_x".into(),
            stage: Stage::Active,
            created: 1000,
            last_seen: 1000,
        };
        assert!(s.live(1000 + IDLE_S - 1) && !s.live(1000 + IDLE_S));
        s.stage = Stage::Totp;
        assert!(s.live(1000 + TOTP_STAGE_S - 1) && !s.live(1000 + TOTP_STAGE_S));
        s.stage = Stage::Ended;
        assert!(!s.live(1000));
    }

    #[test]
    fn cookies_are_strict_and_http_only() {
        assert_eq!(
            cookie(COOKIE, "t", true, None),
            "pgdash_session=t; Path=/dashboard; HttpOnly; SameSite=Strict; Secure"
        );
        assert_eq!(
            read_cookie(Some("a=1; pgdash_session=t2"), COOKIE),
            Some("t2")
        );
        assert_eq!(read_cookie(Some("xpgdash_session=t2"), COOKIE), None);
        assert_ne!(session_id(&new_token()), session_id(&new_token()));
    }
}
