//! Turning stored documents into API objects: internal fields (`_…`) removed, `expand[]` applied,
//! lists wrapped in Stripe's list envelope.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::params::typed::{Created, Expand, Id, Int, Text, from_tree};
use paygate_store::{ListQuery, Page};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

pub use crate::params::typed::{MAX_EXPAND_DEPTH, MAX_EXPANDS};

/// The public view of a stored document: every top-level key starting with `_` removed, and
/// shaped as Stripe's published schema has the object (see [`conform`]).
pub fn public(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.retain(|k, _| !k.starts_with('_'));
        conform(m);
    }
    v
}

/// A required field and the value it has when a stored document lacks it.
type FieldDefault = (&'static str, fn() -> Value);

/// Fields Stripe's OpenAPI schema requires that paygate's stored documents do not carry,
/// with the value they have for paygate's objects; and `null`s Stripe omits. Checked for
/// every object kind by `tests/stripe_schema.rs`.
fn conform(m: &mut Map<String, Value>) {
    let defaults: &[FieldDefault] = match m.get("object").and_then(Value::as_str) {
        Some("charge") => &[
            ("billing_details", || {
                json!({"address": {"city": null, "country": null, "line1": null, "line2": null,
                                   "postal_code": null, "state": null},
                       "email": null, "name": null, "phone": null})
            }),
            ("disputed", || json!(false)),
        ],
        // Payouts come out of the card balance and are reconciled by nobody but the merchant.
        Some("payout") => &[
            ("reconciliation_status", || json!("not_applicable")),
            ("source_type", || json!("card")),
        ],
        Some("refund") => {
            if m.get("failure_reason").is_some_and(Value::is_null) {
                m.remove("failure_reason");
            }
            &[]
        }
        _ => &[],
    };
    for (field, value) in defaults {
        if !m.contains_key(*field) {
            m.insert((*field).to_string(), value());
        }
    }
}

/// The fields of a PaymentIntent a publishable key sees (Stripe.js's client view): no
/// metadata, customer, charges or amounts received.
const PI_CLIENT_FIELDS: &[&str] = &[
    "id",
    "object",
    "amount",
    "automatic_payment_methods",
    "canceled_at",
    "cancellation_reason",
    "capture_method",
    "client_secret",
    "confirmation_method",
    "created",
    "currency",
    "description",
    "last_payment_error",
    "livemode",
    "next_action",
    "payment_method",
    "payment_method_types",
    "processing",
    "receipt_email",
    "setup_future_usage",
    "shipping",
    "status",
];

/// A public PaymentIntent reduced to its client view.
pub fn client_view(mut pi: Value) -> Value {
    if let Value::Object(m) = &mut pi {
        m.retain(|k, _| PI_CLIENT_FIELDS.contains(&k.as_str()));
    }
    pi
}

/// What a publishable key may see of a response body: a PaymentIntent (also one carried by an
/// error) reduced to its client view; other objects as they are.
pub fn client_body(mut body: Value) -> Value {
    if body["object"] == "payment_intent" {
        return client_view(body);
    }
    if body["object"] == "setup_intent" {
        return setup_client_view(body);
    }
    if let Some(pi) = body.pointer_mut("/error/payment_intent") {
        *pi = client_view(pi.take());
    }
    if let Some(si) = body.pointer_mut("/error/setup_intent") {
        *si = setup_client_view(si.take());
    }
    body
}

/// A public SetupIntent reduced to its client view.
fn setup_client_view(mut si: Value) -> Value {
    if let Value::Object(m) = &mut si {
        m.retain(|k, _| crate::setup_intents::CLIENT_FIELDS.contains(&k.as_str()));
    }
    si
}

/// Checks the `client_secret` a publishable key must give to see or confirm an intent:
/// none → 403 `secret_key_required`; another → 400 naming `client_secret`.
pub fn check_client_secret(pi: &Value, given: Option<&str>) -> ApiResult<()> {
    let Some(given) = given.filter(|s| !s.is_empty()) else {
        return Err(crate::auth::secret_key_required());
    };
    let expected = pi["client_secret"].as_str().unwrap_or_default();
    let same = given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Err(ApiError::invalid(
            "client_secret",
            "parameter_invalid",
            "The client_secret provided does not match the client_secret associated with the PaymentIntent.",
        ));
    }
    Ok(())
}

/// A publishable key may expand only `payment_method` (as Stripe.js does).
pub fn check_client_expand(expands: &[String]) -> ApiResult<()> {
    match expands.iter().find(|e| e.as_str() != "payment_method") {
        Some(e) => Err(ApiError::bad_param(
            "expand",
            format!(
                "a publishable key may expand only payment_method, not '{}'.",
                crate::error::echo(e)
            ),
        )),
        None => Ok(()),
    }
}

/// Reads and checks `expand[]` (old accessor API).
pub fn expand_param(p: &mut Params) -> ApiResult<Vec<String>> {
    p.allow(&["expand"]);
    match p.root().get("expand") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => Ok(from_tree::<Expand>(v.clone(), "expand")?.0),
    }
}

/// Applies expansions to one public object.
pub async fn expand(
    st: &crate::state::AppState,
    caller: &Caller,
    mut obj: Value,
    paths: &[String],
) -> ApiResult<Value> {
    for path in paths {
        let parts: Vec<&str> = path.split('.').collect();
        expand_path(st, caller, &mut obj, &parts, path).await?;
    }
    Ok(obj)
}

async fn expand_path(
    st: &crate::state::AppState,
    caller: &Caller,
    obj: &mut Value,
    parts: &[&str],
    full: &str,
) -> ApiResult<()> {
    let Some((first, rest)) = parts.split_first() else {
        return Ok(());
    };
    let Some(field) = obj.get_mut(*first) else {
        return Err(ApiError::bad_param(
            "expand",
            format!("This property cannot be expanded ({full})."),
        ));
    };
    if let Value::String(id) = field.clone() {
        let row = st.store.get_object(&caller.scope(), &id).await?;
        *field = match row {
            Some(r) => public(r.data),
            None => Value::Null,
        };
    } else if field.is_null() {
        return Ok(());
    } else if !field.is_object() && !field.is_array() {
        return Err(ApiError::bad_param(
            "expand",
            format!("This property cannot be expanded ({full})."),
        ));
    }
    if rest.is_empty() {
        return Ok(());
    }
    if let Value::Array(items) = field {
        for item in items {
            Box::pin(expand_path(st, caller, item, rest, full)).await?;
        }
        return Ok(());
    }
    Box::pin(expand_path(st, caller, field, rest, full)).await
}

/// Reads Stripe's list parameters into a query for `kind` (old accessor API, for handlers
/// not yet on typed parameters).
pub fn list_query(p: &mut Params, kind: &str) -> ApiResult<ListQuery> {
    let mut paging = Map::new();
    for k in PAGING_KEYS.iter().filter(|k| **k != "expand") {
        if let Some(v) = p.root().get(*k) {
            paging.insert((*k).to_string(), v.clone());
        }
    }
    p.allow(&PAGING_KEYS);
    let paging: Paging = from_tree(Value::Object(paging), "")?;
    paging.query(kind)
}

/// The list parameters every list takes.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Paging {
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    limit: Option<Int>,
    starting_after: Option<Id>,
    ending_before: Option<Id>,
    created: Option<Created>,
    expand: Option<Expand>,
}

const PAGING_KEYS: [&str; 5] = [
    "limit",
    "starting_after",
    "ending_before",
    "created",
    "expand",
];

/// Most objects in one page.
pub const MAX_LIMIT: i64 = 100;

impl Paging {
    fn query(self, kind: &str) -> ApiResult<ListQuery> {
        let limit = self.limit.map_or(10, |l| l.0);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid(
                "limit",
                "parameter_invalid_integer",
                format!("Invalid limit: must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let starting_after = self.starting_after.and_then(Text::non_empty);
        let ending_before = self.ending_before.and_then(Text::non_empty);
        if starting_after.is_some() && ending_before.is_some() {
            return Err(ApiError::invalid(
                "ending_before",
                "parameter_invalid",
                "You may only specify one of these parameters: starting_after, ending_before.",
            ));
        }
        let created = self.created.unwrap_or_default();
        let mut q = ListQuery::new(kind, limit as usize);
        q.created_gte = created.gte;
        q.created_lte = created.lte;
        q.starting_after = starting_after;
        q.ending_before = ending_before;
        Ok(q)
    }
}

/// A list request: the store query (paging applied), the `expand[]` paths, and the
/// endpoint's own filter parameters `F` (a `deny_unknown_fields` struct, so an unknown list
/// parameter is refused by name).
pub struct ListRequest<F> {
    pub query: ListQuery,
    pub expand: Vec<String>,
    pub filters: F,
}

/// An endpoint that takes no filters beyond paging.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoFilters {}

/// Reads a list request for objects of `kind`.
pub fn list_request<F: DeserializeOwned>(p: &mut Params, kind: &str) -> ApiResult<ListRequest<F>> {
    let (mut paging, mut rest) = (Map::new(), Map::new());
    for (k, v) in p.root() {
        let side = if PAGING_KEYS.contains(&k.as_str()) {
            &mut paging
        } else {
            &mut rest
        };
        side.insert(k.clone(), v.clone());
    }
    let keys: Vec<String> = p.root().keys().cloned().collect();
    p.allow(&keys.iter().map(String::as_str).collect::<Vec<_>>());
    let mut paging: Paging = from_tree(Value::Object(paging), "")?;
    let expand = paging.expand.take().unwrap_or_default().0;
    let filters: F = from_tree(Value::Object(rest), "")?;
    Ok(ListRequest {
        query: paging.query(kind)?,
        expand,
        filters,
    })
}

/// Stripe's list envelope, with `data.…` expansions applied to each item.
pub async fn list_envelope(
    st: &crate::state::AppState,
    caller: &Caller,
    url: &str,
    page: Page,
    expands: &[String],
) -> ApiResult<Value> {
    let item_paths: Vec<String> = expands
        .iter()
        .filter_map(|e| e.strip_prefix("data.").map(str::to_string))
        .collect();
    if let Some(bad) = expands.iter().find(|e| !e.starts_with("data.")) {
        return Err(ApiError::bad_param(
            "expand",
            format!(
                "This property cannot be expanded ({bad}); list expansions start with 'data.'."
            ),
        ));
    }
    let mut data = Vec::with_capacity(page.data.len());
    for row in page.data {
        data.push(expand(st, caller, public(row.data), &item_paths).await?);
    }
    let mut m = Map::new();
    m.insert("object".into(), json!("list"));
    m.insert("data".into(), Value::Array(data));
    m.insert("has_more".into(), json!(page.has_more));
    m.insert("url".into(), json!(url));
    Ok(Value::Object(m))
}
