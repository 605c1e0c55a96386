//! Turning stored documents into API objects: internal fields (`_…`) removed, `expand[]` applied,
//! lists wrapped in Stripe's list envelope.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use paygate_store::{ListQuery, Page};
use serde_json::{Map, Value, json};

/// Deepest `expand` path accepted (`a.b.c.d`).
pub const MAX_EXPAND_DEPTH: usize = 4;
/// Most `expand` paths accepted in one request.
pub const MAX_EXPANDS: usize = 16;

/// The public view of a stored document: every top-level key starting with `_` removed.
pub fn public(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.retain(|k, _| !k.starts_with('_'));
    }
    v
}

/// Reads and checks `expand[]`.
pub fn expand_param(p: &mut Params) -> ApiResult<Vec<String>> {
    let paths = p.str_list("expand")?;
    if paths.len() > MAX_EXPANDS {
        return Err(ApiError::bad_param(
            "expand",
            format!("at most {MAX_EXPANDS} paths."),
        ));
    }
    for path in &paths {
        if path.split('.').count() > MAX_EXPAND_DEPTH {
            return Err(ApiError::bad_param(
                "expand",
                format!("'{path}' is deeper than {MAX_EXPAND_DEPTH} levels."),
            ));
        }
    }
    Ok(paths)
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

/// Reads Stripe's list parameters into a query for `kind`.
pub fn list_query(p: &mut Params, kind: &str) -> ApiResult<ListQuery> {
    const MAX_LIMIT: i64 = 100;
    let limit = p.int("limit")?.unwrap_or(10);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            "parameter_invalid_integer",
            format!("Invalid limit: must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let starting_after = p.str("starting_after")?.filter(|s| !s.is_empty());
    let ending_before = p.str("ending_before")?.filter(|s| !s.is_empty());
    if starting_after.is_some() && ending_before.is_some() {
        return Err(ApiError::invalid(
            "ending_before",
            "parameter_invalid",
            "You may only specify one of these parameters: starting_after, ending_before.",
        ));
    }
    let (created_gte, created_lte) = created_range(p)?;
    Ok(ListQuery {
        kind: kind.to_string(),
        parent: None,
        tag: None,
        created_gte,
        created_lte,
        limit: limit as usize,
        starting_after,
        ending_before,
    })
}

/// `created` as an exact value or `created[gte|gt|lte|lt]`.
fn created_range(p: &mut Params) -> ApiResult<(Option<i64>, Option<i64>)> {
    let Some(v) = p.root().get("created").cloned() else {
        return Ok((None, None));
    };
    if let Value::Object(_) = v {
        let mut sub = p
            .object("created")?
            .ok_or_else(|| ApiError::bad_param("created", "expected an object"))?;
        let gte = sub.int("gte")?.or(sub.int("gt")?.map(|x| x + 1));
        let lte = sub.int("lte")?.or(sub.int("lt")?.map(|x| x - 1));
        sub.deny_unknown()?;
        Ok((gte, lte))
    } else {
        let exact = p.int("created")?;
        Ok((exact, exact))
    }
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
