//! `/dashboard/login` (e-mail + password), `/dashboard/login/totp` (the code), `/dashboard/logout`.
//!
//! Each step that proves something issues a new session token (fixation: a token planted
//! before the login is never the logged-in one). Ten wrong passwords or codes in a row lock
//! the user for 30 minutes; a locked user is refused even with the right password. A wrong
//! address, a wrong password and a locked user look the same except for the lock notice.

use crate::audit::{self, Record};
use crate::catalog::T;
use crate::layout::{self, Chrome};
use crate::session::{self, COOKIE, LOGIN_COOKIE, Stage};
use crate::users::{self, User};
use crate::web::{self, see_other};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use paygate_gateway::state::SharedState;
use paygate_payer_pages::html::Html;
use paygate_payer_pages::{Locale, Nonce, Purpose};
use paygate_store::WriteUnit;

use crate::web::Peer;

fn chrome(locale: Locale) -> Chrome<'static> {
    Chrome {
        locale,
        nonce: Nonce::generate(),
        user: None,
    }
}

/// `GET /dashboard/login`.
pub async fn show(
    State(st): State<SharedState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    login_page(
        &st,
        &headers,
        web::locale(&headers, q.as_deref()),
        None,
        StatusCode::OK,
    )
}

fn login_page(
    st: &SharedState,
    headers: &HeaderMap,
    locale: Locale,
    error: Option<T>,
    status: StatusCode,
) -> Response {
    let pre = session::read_cookie(web::cookie_header(headers), LOGIN_COOKIE)
        .filter(|v| v.len() == 43)
        .map(str::to_string)
        .unwrap_or_else(session::new_token);
    let token = st.pages.csrf.issue(
        Purpose::DashboardLogin,
        &pre,
        st.clock.now() + session::IDLE_S,
    );
    let c = chrome(locale);
    let mut h = Html::new();
    if let Some(e) = error {
        layout::notice(&mut h, c.t(e), true);
    }
    h.raw("<form class=\"login\" method=\"post\" action=\"/dashboard/login\"><input type=\"hidden\" name=\"csrf\"")
        .attr("value", &token)
        .raw("><label for=\"email\">")
        .text(c.t(T::Email))
        .raw("</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required autofocus><label for=\"password\">")
        .text(c.t(T::Password))
        .raw("</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required><button class=\"button\" type=\"submit\">")
        .text(c.t(T::LogIn))
        .raw("</button></form>");
    let mut r = layout::page(&c, status, c.t(T::LoginTitle), h);
    let cookie = session::cookie(LOGIN_COOKIE, &pre, web::secure(st), None);
    if let Ok(v) = cookie.parse() {
        r.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
    r
}

/// `POST /dashboard/login`.
pub async fn submit(
    State(st): State<SharedState>,
    peer: Peer,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let locale = web::locale(&headers, q.as_deref());
    let f = web::form(&body);
    let now = st.clock.now();
    let pre = session::read_cookie(web::cookie_header(&headers), LOGIN_COOKIE).unwrap_or_default();
    let token = f.get("csrf").map(String::as_str).unwrap_or_default();
    if pre.is_empty()
        || st
            .pages
            .csrf
            .verify(token, Purpose::DashboardLogin, pre, now)
            .is_err()
    {
        return web::forbidden(locale, None);
    }
    let email = f.get("email").map(String::as_str).unwrap_or_default();
    let password = f.get("password").map(String::as_str).unwrap_or_default();
    let client = web::client(peer.0.as_ref(), &headers);
    let found = match users::by_email(&st.store, email).await {
        Ok(u) => u,
        Err(e) => return web::server_error(locale, &e.to_string()),
    };
    let Some((mut user, version)) = found else {
        // The same Argon2id work as for a real user, so timing does not tell addresses apart.
        let _ = paygate_gateway::easy_pay::pin::verify(password, &DUMMY_HASH);
        record(&st, now, "", email, "login_failed", "unknown user", &client).await;
        return login_page(
            &st,
            &headers,
            locale,
            Some(T::LoginFailed),
            StatusCode::UNAUTHORIZED,
        );
    };
    if user.locked(now) {
        record(
            &st,
            now,
            &user.id,
            &user.email,
            "login_refused",
            "locked",
            &client,
        )
        .await;
        return login_page(
            &st,
            &headers,
            locale,
            Some(T::Locked),
            StatusCode::FORBIDDEN,
        );
    }
    if !user.password_ok(password) {
        return failure(
            &st, &headers, locale, &mut user, version, "password", &client,
        )
        .await;
    }
    let (token, _, op) = session::start(&user.id, Stage::Totp, now);
    if let Err(e) = st.store.commit(WriteUnit::new(vec![op])).await {
        return web::server_error(locale, &e.to_string());
    }
    record(
        &st,
        now,
        &user.id,
        &user.email,
        "login_password_ok",
        "",
        &client,
    )
    .await;
    let secure = web::secure(&st);
    see_other(
        "/dashboard/login/totp",
        &[session::cookie(COOKIE, &token, secure, None)],
    )
}

/// An Argon2id hash of a random password, checked when the address is unknown.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    paygate_gateway::easy_pay::pin::hash(&session::new_token()).unwrap_or_default()
});

/// Counts a wrong password or code, locking at the tenth; answers the login page.
async fn failure(
    st: &SharedState,
    headers: &HeaderMap,
    locale: Locale,
    user: &mut User,
    version: i64,
    what: &str,
    client: &str,
) -> Response {
    let now = st.clock.now();
    let locked = user.record_failure(now);
    if let Err(e) = st
        .store
        .commit(WriteUnit::new(vec![users::update_op(user, version)]))
        .await
    {
        return web::server_error(locale, &e.to_string());
    }
    let detail = format!("wrong {what}");
    record(
        st,
        now,
        &user.id,
        &user.email,
        "login_failed",
        &detail,
        client,
    )
    .await;
    if locked {
        record(st, now, &user.id, &user.email, "locked", "", client).await;
        return login_page(st, headers, locale, Some(T::Locked), StatusCode::FORBIDDEN);
    }
    login_page(
        st,
        headers,
        locale,
        Some(T::LoginFailed),
        StatusCode::UNAUTHORIZED,
    )
}

async fn record(
    st: &SharedState,
    now: i64,
    actor: &str,
    email: &str,
    action: &str,
    detail: &str,
    client: &str,
) {
    let r = Record {
        actor: actor.into(),
        email: email.chars().take(254).collect(),
        action: action.into(),
        ip: client.into(),
        detail: detail.into(),
        ..Record::default()
    };
    if let Err(e) = audit::append(&st.store, now, r).await {
        tracing::error!(error = %e, "dashboard audit entry not written");
    }
}

/// The session of the password step, if the request has one.
async fn totp_stage(st: &SharedState, headers: &HeaderMap) -> Option<(session::Session, i64)> {
    let token = session::read_cookie(web::cookie_header(headers), COOKIE)?;
    match session::load(&st.store, token, st.clock.now()).await {
        Ok(Some(s)) if s.0.stage == Stage::Totp => Some(s),
        _ => None,
    }
}

/// `GET /dashboard/login/totp`.
pub async fn show_totp(
    State(st): State<SharedState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let locale = web::locale(&headers, q.as_deref());
    match totp_stage(&st, &headers).await {
        Some((s, _)) => totp_page(&st, locale, &s.id, None, StatusCode::OK),
        None => see_other("/dashboard/login", &[]),
    }
}

fn totp_page(
    st: &SharedState,
    locale: Locale,
    session_id: &str,
    error: Option<T>,
    status: StatusCode,
) -> Response {
    let c = chrome(locale);
    let mut h = Html::new();
    if let Some(e) = error {
        layout::notice(&mut h, c.t(e), true);
    }
    h.raw("<p>").text(c.t(T::TotpHint)).raw("</p>");
    h.raw("<form class=\"login\" method=\"post\" action=\"/dashboard/login/totp\"><input type=\"hidden\" name=\"csrf\"")
        .attr("value", &web::form_token(st, session_id))
        .raw("><label for=\"code\">")
        .text(c.t(T::TotpCode))
        .raw("</label><input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9]{6}\" maxlength=\"6\" required autofocus><button class=\"button\" type=\"submit\">")
        .text(c.t(T::Verify))
        .raw("</button></form>");
    layout::page(&c, status, c.t(T::TotpTitle), h)
}

/// `POST /dashboard/login/totp`.
pub async fn submit_totp(
    State(st): State<SharedState>,
    peer: Peer,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let locale = web::locale(&headers, q.as_deref());
    let Some((s, s_version)) = totp_stage(&st, &headers).await else {
        return see_other("/dashboard/login", &[]);
    };
    let f = web::form(&body);
    let now = st.clock.now();
    let token = f.get("csrf").map(String::as_str).unwrap_or_default();
    if st
        .pages
        .csrf
        .verify(token, Purpose::DashboardForm, &s.id, now)
        .is_err()
    {
        return web::forbidden(locale, None);
    }
    let client = web::client(peer.0.as_ref(), &headers);
    let (mut user, version) = match users::by_id(&st.store, &s.user).await {
        Ok(Some(u)) => u,
        Ok(None) => return see_other("/dashboard/login", &[]),
        Err(e) => return web::server_error(locale, &e.to_string()),
    };
    if user.locked(now) {
        record(
            &st,
            now,
            &user.id,
            &user.email,
            "login_refused",
            "locked",
            &client,
        )
        .await;
        return login_page(
            &st,
            &headers,
            locale,
            Some(T::Locked),
            StatusCode::FORBIDDEN,
        );
    }
    let secret = match user.totp(&st.vault) {
        Ok(s) => s,
        Err(e) => return web::server_error(locale, &e.to_string()),
    };
    let code = f.get("code").map(String::as_str).unwrap_or_default();
    let Some(step) = crate::totp::verify(&secret, code, now, user.last_totp_step) else {
        let r = failure(&st, &headers, locale, &mut user, version, "code", &client).await;
        if r.status() == StatusCode::FORBIDDEN {
            return r;
        }
        return totp_page(
            &st,
            locale,
            &s.id,
            Some(T::LoginFailed),
            StatusCode::UNAUTHORIZED,
        );
    };
    user.record_success();
    user.last_totp_step = Some(step);
    let (new_token, _, insert) = session::start(&user.id, Stage::Active, now);
    let unit = WriteUnit::new(vec![
        users::update_op(&user, version),
        session::end_op(&s, s_version),
        insert,
    ]);
    if let Err(e) = st.store.commit(unit).await {
        return web::server_error(locale, &e.to_string());
    }
    record(&st, now, &user.id, &user.email, "login", "", &client).await;
    let secure = web::secure(&st);
    see_other(
        "/dashboard/payments",
        &[
            session::cookie(COOKIE, &new_token, secure, None),
            session::cookie(LOGIN_COOKIE, "", secure, Some(0)),
        ],
    )
}

/// `POST /dashboard/logout`.
pub async fn logout(
    State(st): State<SharedState>,
    peer: Peer,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let v = match web::viewer(&st, &headers, q.as_deref(), peer.0.as_ref()).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if !v.csrf_ok(&st, &web::form(&body)) {
        return web::forbidden(v.locale, None);
    }
    let now = st.clock.now();
    let op = session::end_op(&v.session, v.session_version);
    if let Err(e) = st.store.commit(WriteUnit::new(vec![op])).await {
        return web::server_error(v.locale, &e.to_string());
    }
    record(&st, now, &v.user.id, &v.user.email, "logout", "", &v.client).await;
    see_other(
        "/dashboard/login",
        &[session::cookie(COOKIE, "", web::secure(&st), Some(0))],
    )
}
