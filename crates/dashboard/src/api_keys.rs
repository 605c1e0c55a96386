//! `/dashboard/api_keys`: the viewer's merchants' API keys (type, mode, the redacted key,
//! created, revoked; exportable as CSV, never a secret) with roll and revoke. A rolled key's successor is shown on the answer
//! page this once (never stored in clear: the gateway keeps its hash) and never written to the
//! audit log, which records the key ids. Another merchant's key id is a 404.

use crate::audit::{self, Record};
use crate::catalog::T;
use crate::layout;
use crate::listing::{self, Cell, Column, List};
use crate::payments::merchants;
use crate::users::Role;
use crate::web::{self, Viewer};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use paygate_gateway::admin::{self, KeyInfo};
use paygate_gateway::state::SharedState;
use paygate_payer_pages::html::Html;
use std::collections::HashMap;

/// What the page does to a key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Roll,
    Revoke,
}

impl Action {
    fn parse(s: &str) -> Option<Action> {
        match s {
            "roll" => Some(Action::Roll),
            "revoke" => Some(Action::Revoke),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Action::Roll => "api_key_roll",
            Action::Revoke => "api_key_revoke",
        }
    }
}

/// Every key of the merchants the viewer sees, as (merchant, key).
async fn keys(st: &SharedState, role: &Role) -> Result<Vec<(String, KeyInfo)>, String> {
    let mut out = Vec::new();
    for m in merchants(st, role).await? {
        for k in admin::list_keys(&st.store, &m).await? {
            out.push((m.clone(), k));
        }
    }
    Ok(out)
}

/// The API keys list: the redacted key only (the gateway keeps no key in clear).
pub struct ApiKeys;

impl List for ApiKeys {
    type Row = (String, KeyInfo);
    const NAME: &'static str = "api_keys";
    const COLUMNS: &'static [Column<(String, KeyInfo)>] = &[
        Column::new("id", T::Id, |(_, k)| Cell::Code(k.id.clone())),
        Column::new("merchant", T::Merchant, |(m, _)| Cell::Text(m.clone())),
        Column::new("type", T::Type, |(_, k)| Cell::Text(k.kind.clone())),
        Column::new("mode", T::Mode, |(_, k)| Cell::Text(k.mode.to_string())),
        Column::new("key", T::Key, |(_, k)| Cell::Code(k.redacted.clone())),
        Column::new("created", T::Created, |(_, k)| Cell::Time(Some(k.created))),
        Column::new("revoked", T::RevokedAt, |(_, k)| Cell::Time(k.revoked)),
    ];

    /// Every mode: the page has no mode filter.
    async fn rows(
        st: &SharedState,
        role: &Role,
        _: &HashMap<String, String>,
    ) -> Result<Vec<(String, KeyInfo)>, String> {
        keys(st, role).await
    }
}

/// `GET /dashboard/api_keys`.
pub async fn list(
    State(st): State<SharedState>,
    peer: web::Peer,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let v = match web::viewer(&st, &headers, raw.as_deref(), peer.0.as_ref()).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    page(&st, &v, None).await
}

/// The list, with `shown` above it: a notice, and the new key when one was just made.
async fn page(st: &SharedState, v: &Viewer, shown: Option<(T, Option<String>)>) -> Response {
    let all = match keys(st, &v.user.role).await {
        Ok(k) => k,
        Err(e) => return web::server_error(v.locale, &e),
    };
    let c = v.chrome();
    let t = |k: T| c.t(k);
    let mut h = Html::new();
    if let Some((note, key)) = shown {
        layout::notice(&mut h, t(note), false);
        if let Some(key) = key {
            h.raw("<p><label for=\"new-key\">")
                .text(t(T::Key))
                .raw("</label><input id=\"new-key\" readonly size=\"60\"")
                .attr("value", &key)
                .raw("></p>");
        }
    }
    let buttons = |h: &mut Html, (_, k): &(String, KeyInfo)| {
        if k.revoked.is_some() {
            return;
        }
        for (a, label, class) in [
            ("roll", T::Roll, "button"),
            ("revoke", T::Revoke, "button button-danger"),
        ] {
            h.raw("<form method=\"post\"")
                .attr("action", &format!("/dashboard/api_keys/{}/{a}", k.id))
                .raw("><input type=\"hidden\" name=\"csrf\"")
                .attr("value", &v.csrf)
                .raw("><button type=\"submit\"")
                .attr("class", class)
                .attr("aria-label", &format!("{} {}", t(label), k.id))
                .raw(">")
                .text(t(label))
                .raw("</button></form>");
        }
    };
    let actions = listing::Actions {
        head: T::Status,
        render: &buttons,
    };
    listing::export_link(&mut h, v.locale, ApiKeys::NAME, None);
    listing::table(&mut h, v.locale, ApiKeys::COLUMNS, &all, Some(actions));
    layout::page(&c, StatusCode::OK, t(T::ApiKeys), h)
}

/// `POST /dashboard/api_keys/{id}/{roll|revoke}`.
pub async fn run(
    State(st): State<SharedState>,
    peer: web::Peer,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let v = match web::viewer(&st, &headers, raw.as_deref(), peer.0.as_ref()).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if !v.csrf_ok(&st, &web::form(&body)) {
        return web::forbidden(v.locale, Some((&v.user.email, &v.csrf)));
    }
    let all = match keys(&st, &v.user.role).await {
        Ok(k) => k,
        Err(e) => return web::server_error(v.locale, &e),
    };
    let found = all.iter().find(|(_, k)| k.id == id && k.revoked.is_none());
    let (Some((merchant, _)), Some(action)) = (found, Action::parse(&action)) else {
        return web::not_found(&v);
    };
    let result = match action {
        Action::Roll => admin::roll_key(&st.store, merchant, &id)
            .await
            .map(|(key, new_id)| (Some(key), new_id)),
        Action::Revoke => admin::revoke_key(&st.store, &id)
            .await
            .map(|_| (None, String::new())),
    };
    paygate_gateway::auth::forget_key(&st, &id);
    let record = Record {
        actor: v.user.id.clone(),
        email: v.user.email.clone(),
        action: match &result {
            Ok(_) => action.name().to_string(),
            Err(_) => format!("{}_failed", action.name()),
        },
        target: id.clone(),
        merchant: merchant.clone(),
        ip: v.client.clone(),
        // The new key's id, never the key.
        detail: match &result {
            Ok((_, new_id)) => new_id.clone(),
            Err(e) => e.chars().take(300).collect(),
        },
    };
    audit::record(&st, record).await;
    match result {
        Ok((Some(key), _)) => page(&st, &v, Some((T::NewKeyOnce, Some(key)))).await,
        Ok((None, _)) => page(&st, &v, Some((T::KeyRevoked, None))).await,
        Err(e) => web::server_error(v.locale, &e),
    }
}
