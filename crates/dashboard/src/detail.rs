//! `/dashboard/payments/{id}`: one payment — its fields, metadata, charge (card as brand and
//! last 4 only), refunds and events as a timeline — and the refund, capture and cancel
//! actions: a confirmation page whose form carries the session's CSRF token and a fresh
//! idempotency key, then the gateway's own API handler for the operation (the same
//! validation, engine phases, ledger postings and events as `POST /v1/…`), acting as the
//! payment's merchant. A resubmitted confirmation replays the stored result.

use crate::api_call;
use crate::audit::{self, Record};
use crate::catalog::T;
use crate::layout;
use crate::payments::{metadata, money, visible, when};
use crate::web::{self, Viewer};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use paygate_gateway::state::SharedState;
use paygate_payer_pages::html::Html;
use paygate_store::{ListFilter, ListQuery, ObjectRow, Scope};
use serde_json::{Map, Value};

use crate::web::Peer;

/// The operations the page offers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Refund,
    Capture,
    Cancel,
}

impl Action {
    fn parse(s: &str) -> Option<Action> {
        match s {
            "refund" => Some(Action::Refund),
            "capture" => Some(Action::Capture),
            "cancel" => Some(Action::Cancel),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Action::Refund => "refund",
            Action::Capture => "capture",
            Action::Cancel => "cancel",
        }
    }

    fn label(self) -> T {
        match self {
            Action::Refund => T::Refund,
            Action::Capture => T::Capture,
            Action::Cancel => T::Cancel,
        }
    }

    /// Which actions a payment in `status` offers (the transition table has the last word).
    fn offered(status: &str) -> &'static [Action] {
        match status {
            "succeeded" => &[Action::Refund],
            "requires_capture" => &[Action::Capture, Action::Cancel],
            "requires_payment_method" | "requires_confirmation" | "requires_action" => {
                &[Action::Cancel]
            }
            _ => &[],
        }
    }
}

fn scope_of(row: &ObjectRow) -> Scope {
    Scope {
        merchant_id: row.merchant_id.clone(),
        livemode: row.livemode,
    }
}

/// `GET /dashboard/payments/{id}`.
pub async fn show(
    State(st): State<SharedState>,
    peer: Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let v = match web::viewer(&st, &headers, raw.as_deref(), peer.0.as_ref()).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let pi = match visible(&st, &v, &id).await {
        Ok(Some(pi)) => pi,
        Ok(None) => return web::not_found(&v),
        Err(e) => return web::server_error(v.locale, &e),
    };
    match detail_html(&st, &v, &pi, raw.as_deref()).await {
        Ok(h) => {
            let c = v.chrome();
            layout::page(&c, StatusCode::OK, c.t(T::PaymentTitle), h)
        }
        Err(e) => web::server_error(v.locale, &e),
    }
}

async fn detail_html(
    st: &SharedState,
    v: &Viewer,
    pi: &ObjectRow,
    raw: Option<&str>,
) -> Result<Html, String> {
    let t = |k: T| k.text(v.locale);
    let d = &pi.data;
    let scope = scope_of(pi);
    let mut h = Html::new();
    if web::query(raw).contains_key("done") {
        layout::notice(&mut h, t(T::Done), false);
    }
    let status = d["status"].as_str().unwrap_or_default();
    let amount = money(
        d["amount"].as_i64().unwrap_or(0),
        d["currency"].as_str().unwrap_or("krw"),
        v.locale,
    );
    h.raw("<dl><dt>")
        .text(t(T::Id))
        .raw("</dt><dd><code>")
        .text(&pi.id)
        .raw("</code></dd>");
    h.raw("<dt>")
        .text(t(T::Merchant))
        .raw("</dt><dd>")
        .text(&pi.merchant_id)
        .raw("</dd>");
    h.raw("<dt>")
        .text(t(T::Amount))
        .raw("</dt><dd>")
        .text(&amount)
        .raw("</dd>");
    h.raw("<dt>")
        .text(t(T::Status))
        .raw("</dt><dd>")
        .text(status)
        .raw("</dd>");
    h.raw("<dt>")
        .text(t(T::Created))
        .raw("</dt><dd>")
        .text(&when(pi.created))
        .raw("</dd>");
    h.raw("<dt>").text(t(T::Description)).raw("</dt><dd>");
    h.text(d["description"].as_str().unwrap_or("")).raw("</dd>");
    let charge = match d["latest_charge"].as_str() {
        Some(ch) => st
            .store
            .get_object(&scope, ch)
            .await
            .map_err(|e| e.to_string())?,
        None => None,
    };
    if let Some(ch) = &charge {
        let pmd = &ch.data["payment_method_details"];
        let kind = pmd["type"].as_str().unwrap_or("card");
        let card = if pmd[kind]["last4"].is_string() {
            &pmd[kind]
        } else {
            &pmd["card"]
        };
        h.raw("<dt>").text(t(T::Method)).raw("</dt><dd>").text(kind);
        if let Some(l4) = card["last4"].as_str() {
            h.raw(" · ")
                .text(card["brand"].as_str().unwrap_or(""))
                .raw(" <span aria-hidden=\"true\">••••</span> ")
                .text(l4);
        }
        h.raw("</dd>");
    }
    h.raw("</dl><h2>").text(t(T::Metadata)).raw("</h2><dl>");
    for (k, val) in metadata(d) {
        h.raw("<dt>")
            .text(&k)
            .raw("</dt><dd>")
            .text(&val)
            .raw("</dd>");
    }
    h.raw("</dl>");
    let offered = Action::offered(status);
    if !offered.is_empty() {
        h.raw("<p>");
        for a in offered {
            h.raw("<a class=\"button\"")
                .attr(
                    "href",
                    &format!("/dashboard/payments/{}/{}", pi.id, a.name()),
                )
                .raw(">")
                .text(t(a.label()))
                .raw("</a> ");
        }
        h.raw("</p>");
    }
    timeline(
        st,
        v,
        &mut h,
        &scope,
        &pi.id,
        charge.as_ref().map(|c| c.id.as_str()),
    )
    .await?;
    Ok(h)
}

/// Events of the payment and its charge (newest first), and its refunds.
async fn timeline(
    st: &SharedState,
    v: &Viewer,
    h: &mut Html,
    scope: &Scope,
    pi: &str,
    charge: Option<&str>,
) -> Result<(), String> {
    let t = |k: T| k.text(v.locale);
    if let Some(ch) = charge {
        let mut q = ListQuery::new("refund", 100);
        q.filters.push(ListFilter::FieldEq {
            field: "charge",
            value: ch.to_string(),
        });
        let refunds = st
            .store
            .list_objects(scope, &q)
            .await
            .map_err(|e| e.to_string())?;
        h.raw("<h2>").text(t(T::Refunds)).raw("</h2><ul>");
        for r in &refunds.data {
            let amt = money(
                r.data["amount"].as_i64().unwrap_or(0),
                r.data["currency"].as_str().unwrap_or("krw"),
                v.locale,
            );
            h.raw("<li><code>")
                .text(&r.id)
                .raw("</code> ")
                .text(&amt)
                .raw(" · ");
            h.text(r.data["status"].as_str().unwrap_or_default())
                .raw("</li>");
        }
        h.raw("</ul>");
    }
    let events = st
        .store
        .list_objects(scope, &ListQuery::new("event", 100))
        .await
        .map_err(|e| e.to_string())?;
    h.raw("<h2>").text(t(T::Timeline)).raw("</h2><ol>");
    for e in &events.data {
        let obj = e.data["data"]["object"]["id"].as_str().unwrap_or_default();
        let related =
            obj == pi || Some(obj) == charge || e.data["data"]["object"]["payment_intent"] == pi;
        if related {
            h.raw("<li><time>").text(&when(e.created)).raw("</time> ");
            h.text(e.data["type"].as_str().unwrap_or_default())
                .raw(" <code>")
                .text(&e.id)
                .raw("</code></li>");
        }
    }
    h.raw("</ol>");
    Ok(())
}

/// `GET /dashboard/payments/{id}/{action}`: the confirmation step.
pub async fn confirm(
    State(st): State<SharedState>,
    peer: Peer,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let v = match web::viewer(&st, &headers, raw.as_deref(), peer.0.as_ref()).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (pi, action) = match (visible(&st, &v, &id).await, Action::parse(&action)) {
        (Ok(Some(pi)), Some(a)) => (pi, a),
        (Err(e), _) => return web::server_error(v.locale, &e),
        _ => return web::not_found(&v),
    };
    confirm_page(&v, &pi, action, None)
}

fn confirm_page(v: &Viewer, pi: &ObjectRow, action: Action, error: Option<&str>) -> Response {
    let c = v.chrome();
    let t = |k: T| c.t(k);
    let mut h = Html::new();
    if let Some(e) = error {
        layout::notice(&mut h, &format!("{}: {e}", t(T::Failed)), true);
    }
    let question = match action {
        Action::Refund => T::ConfirmRefund,
        Action::Capture => T::ConfirmCapture,
        Action::Cancel => T::ConfirmCancel,
    };
    let amount = pi.data["amount"].as_i64().unwrap_or(0);
    h.raw("<p>")
        .text(t(question))
        .raw(" <code>")
        .text(&pi.id)
        .raw("</code> ");
    h.text(&money(
        amount,
        pi.data["currency"].as_str().unwrap_or("krw"),
        v.locale,
    ))
    .raw("</p>");
    h.raw("<form method=\"post\"")
        .attr(
            "action",
            &format!("/dashboard/payments/{}/{}", pi.id, action.name()),
        )
        .raw("><input type=\"hidden\" name=\"csrf\"")
        .attr("value", &v.csrf)
        .raw("><input type=\"hidden\" name=\"idempotency_key\"")
        .attr("value", &crate::session::new_token())
        .raw(">");
    if action == Action::Refund {
        h.raw("<label for=\"amount\">")
            .text(t(T::Amount))
            .raw("</label>");
        h.raw("<input id=\"amount\" name=\"amount\" inputmode=\"numeric\" required")
            .attr("value", &amount.to_string())
            .raw(">");
    }
    h.raw("<p><button class=\"button button-danger\" type=\"submit\">")
        .text(t(T::Confirm))
        .raw("</button> <a")
        .attr("href", &format!("/dashboard/payments/{}", pi.id))
        .raw(">")
        .text(t(T::Back))
        .raw("</a></p></form>");
    layout::page(&c, StatusCode::OK, t(action.label()), h)
}

/// `POST /dashboard/payments/{id}/{action}`: runs it through the gateway's API handler.
pub async fn run(
    State(st): State<SharedState>,
    peer: Peer,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let v = match web::viewer(&st, &headers, raw.as_deref(), peer.0.as_ref()).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let f = web::form(&body);
    if !v.csrf_ok(&st, &f) {
        return web::forbidden(v.locale, Some((&v.user.email, &v.csrf)));
    }
    let (pi, action) = match (visible(&st, &v, &id).await, Action::parse(&action)) {
        (Ok(Some(pi)), Some(a)) => (pi, a),
        (Err(e), _) => return web::server_error(v.locale, &e),
        _ => return web::not_found(&v),
    };
    let mut params = Map::new();
    let path = match action {
        Action::Refund => {
            params.insert("payment_intent".into(), Value::String(pi.id.clone()));
            let amt = f.get("amount").cloned().unwrap_or_default();
            params.insert("amount".into(), Value::String(amt));
            "/v1/refunds".to_string()
        }
        Action::Capture => format!("/v1/payment_intents/{}/capture", pi.id),
        Action::Cancel => format!("/v1/payment_intents/{}/cancel", pi.id),
    };
    let key = f.get("idempotency_key");
    let target = (Method::POST, path);
    let req =
        match api_call::as_merchant(&st, &v, &pi.merchant_id, pi.livemode, target, params, key)
            .await
        {
            Ok(Some(r)) => r,
            Ok(None) => return web::not_found(&v),
            Err(e) => return web::server_error(v.locale, &e),
        };
    let s = State(st.clone());
    let resp = match action {
        Action::Refund => paygate_gateway::api::refunds::create(s, req).await,
        Action::Capture => {
            paygate_gateway::api::payment_intents::capture(s, Path(pi.id.clone()), req).await
        }
        Action::Cancel => {
            paygate_gateway::api::payment_intents::cancel(s, Path(pi.id.clone()), req).await
        }
    };
    let result = api_call::answer(resp).await;
    let ok = result.is_ok();
    let detail = match &result {
        Ok(obj) => obj["id"].as_str().unwrap_or_default().to_string(),
        Err(m) => m.clone(),
    };
    let name = action.name();
    let record = Record {
        actor: v.user.id.clone(),
        email: v.user.email.clone(),
        action: if ok {
            name.to_string()
        } else {
            format!("{name}_failed")
        },
        target: pi.id.clone(),
        merchant: pi.merchant_id.clone(),
        ip: v.client.clone(),
        detail: detail.clone(),
    };
    audit::record(&st, record).await;
    if ok {
        web::see_other(&format!("/dashboard/payments/{}?done=1", pi.id), &[])
    } else {
        let mut r = confirm_page(&v, &pi, action, Some(&detail));
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        r
    }
}
