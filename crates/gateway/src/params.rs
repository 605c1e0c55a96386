//! Request parameters: form bodies with Stripe's bracket notation and JSON bodies become one
//! JSON tree, read through typed getters that name the parameter in every error.
//!
//! Written by hand because the Stripe libraries' encoding (`a[b][c]=v`, `expand[]=x`,
//! `items[0][price]=x`, empty value to unset) is the contract, and the same tree must come out
//! of a JSON body; serde_qs and friends disagree with Stripe on arrays and empty values.

use crate::error::{ApiError, ApiResult};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

mod form;
mod metadata;
pub(crate) mod schema;
pub mod typed;

use form::check_json_nul;
pub use form::parse_form_into;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Deepest accepted bracket nesting.
pub const MAX_DEPTH: usize = 8;
/// Most keys accepted in one body.
pub const MAX_KEYS: usize = 512;

/// Parsed parameters with a record of what the handler read, so unknown ones can be refused.
#[derive(Debug, Clone, Default)]
pub struct Params {
    root: Map<String, Value>,
    used: BTreeSet<String>,
}

impl Params {
    pub fn from_map(root: Map<String, Value>) -> Params {
        Params {
            root,
            used: BTreeSet::new(),
        }
    }

    /// Parses a body according to its content type (form when not JSON), plus the query string.
    pub fn parse(
        content_type: Option<&str>,
        body: &[u8],
        query: Option<&str>,
    ) -> ApiResult<Params> {
        if body.len() > MAX_BODY_BYTES {
            return Err(ApiError::invalid(
                "body",
                "request_too_large",
                format!("Request body is larger than {MAX_BODY_BYTES} bytes."),
            ));
        }
        let mut root = Map::new();
        if let Some(q) = query {
            parse_form_into(&mut root, q.as_bytes())?;
        }
        let is_json = content_type.is_some_and(|c| c.trim_start().starts_with("application/json"));
        if is_json && !body.is_empty() {
            let v: Value = serde_json::from_slice(body).map_err(|e| {
                ApiError::invalid(
                    "body",
                    "parameter_invalid",
                    format!("Invalid JSON body: {e}"),
                )
            })?;
            check_json_nul(&v, "")?;
            match v {
                Value::Object(m) => {
                    for (k, v) in m {
                        root.insert(k, v);
                    }
                }
                _ => {
                    return Err(ApiError::invalid(
                        "body",
                        "parameter_invalid",
                        "The JSON body must be an object.",
                    ));
                }
            }
        } else {
            parse_form_into(&mut root, body)?;
        }
        Ok(Params::from_map(root))
    }

    pub fn is_empty(&self) -> bool {
        self.root.is_empty()
    }

    pub fn root(&self) -> &Map<String, Value> {
        &self.root
    }

    fn take(&mut self, key: &str) -> Option<&Value> {
        self.used.insert(key.to_string());
        match self.root.get(key) {
            Some(Value::Null) => None,
            other => other,
        }
    }

    /// Marks a parameter as accepted without reading it (it is read elsewhere).
    pub fn allow(&mut self, keys: &[&str]) {
        for k in keys {
            self.used.insert((*k).to_string());
        }
    }

    /// Refuses any top-level parameter the handler did not read or allow.
    pub fn deny_unknown(&self) -> ApiResult<()> {
        match self.root.keys().find(|k| !self.used.contains(k.as_str())) {
            Some(k) => Err(ApiError::unknown_param(k)),
            None => Ok(()),
        }
    }

    pub fn str(&mut self, key: &str) -> ApiResult<Option<String>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(ApiError::bad_param(key, "expected a string.")),
        }
    }

    pub fn req_str(&mut self, key: &str) -> ApiResult<String> {
        match self.str(key)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(ApiError::missing(key)),
        }
    }

    /// An integer; accepts JSON numbers and decimal strings. Never a float.
    pub fn int(&mut self, key: &str) -> ApiResult<Option<i64>> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => parse_int(v).map(Some).ok_or_else(|| {
                ApiError::invalid(
                    key,
                    "parameter_invalid_integer",
                    format!("Invalid integer: {}", short(v)),
                )
            }),
        }
    }

    pub fn req_int(&mut self, key: &str) -> ApiResult<i64> {
        self.int(key)?.ok_or_else(|| ApiError::missing(key))
    }

    pub fn bool(&mut self, key: &str) -> ApiResult<Option<bool>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" => Ok(Some(true)),
            Some(Value::String(s)) if s == "false" => Ok(Some(false)),
            Some(v) => Err(ApiError::invalid(
                key,
                "parameter_invalid_boolean",
                format!("Invalid boolean: {}", short(v)),
            )),
        }
    }

    /// One of a fixed set of words.
    pub fn enum_str(&mut self, key: &str, allowed: &[&str]) -> ApiResult<Option<String>> {
        match self.str(key)? {
            None => Ok(None),
            Some(s) if allowed.contains(&s.as_str()) => Ok(Some(s)),
            Some(s) => Err(ApiError::invalid(
                key,
                "parameter_invalid",
                format!(
                    "Invalid {key}: must be one of {}; got '{}'",
                    allowed.join(", "),
                    truncate(&s)
                ),
            )),
        }
    }

    /// A nested object (`a[b]=..`), as a sub-`Params` whose errors carry the `a[b]` path.
    pub fn object(&mut self, key: &str) -> ApiResult<Option<Sub>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Sub {
                path: key.to_string(),
                inner: Params::from_map(m.clone()),
            })),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(_) => Err(ApiError::bad_param(key, "expected an object.")),
        }
    }

    /// A list of strings (`expand[]=a&expand[]=b`, `expand[0]=a`, or a JSON array).
    pub fn str_list(&mut self, key: &str) -> ApiResult<Vec<String>> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(ApiError::bad_param(key, "expected a list of strings.")),
                })
                .collect(),
            Some(Value::Object(m)) => m
                .values()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(ApiError::bad_param(key, "expected a list of strings.")),
                })
                .collect(),
            Some(Value::String(s)) if s.is_empty() => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(_) => Err(ApiError::bad_param(key, "expected a list of strings.")),
        }
    }

    /// Stripe metadata, checked by [`typed::Metadata`]'s rules. An empty string (`metadata=`)
    /// is an empty update.
    pub fn metadata(&mut self) -> ApiResult<Option<Map<String, Value>>> {
        match self.take("metadata") {
            None => Ok(None),
            Some(v) => {
                let m: typed::Metadata = typed::from_tree(v.clone(), "metadata")?;
                Ok(Some(m.0))
            }
        }
    }
}

/// A nested parameter object; errors name the full path (`payment_method_data[card][number]`).
#[derive(Debug, Clone)]
pub struct Sub {
    pub path: String,
    pub inner: Params,
}

impl Sub {
    fn name(&self, key: &str) -> String {
        format!("{}[{}]", self.path, key)
    }
    fn rename(&self, key: &str, mut e: ApiError) -> ApiError {
        let full = self.name(key);
        if e.param.as_deref() == Some(key) {
            e.message = e.message.replace(key, &full);
            e.param = Some(full);
        }
        e
    }
    pub fn str(&mut self, key: &str) -> ApiResult<Option<String>> {
        let r = self.inner.str(key);
        r.map_err(|e| self.rename(key, e))
    }
    pub fn req_str(&mut self, key: &str) -> ApiResult<String> {
        let r = self.inner.req_str(key);
        r.map_err(|e| self.rename(key, e))
    }
    pub fn int(&mut self, key: &str) -> ApiResult<Option<i64>> {
        let r = self.inner.int(key);
        r.map_err(|e| self.rename(key, e))
    }
    pub fn req_int(&mut self, key: &str) -> ApiResult<i64> {
        let r = self.inner.req_int(key);
        r.map_err(|e| self.rename(key, e))
    }
    pub fn enum_str(&mut self, key: &str, allowed: &[&str]) -> ApiResult<Option<String>> {
        let r = self.inner.enum_str(key, allowed);
        r.map_err(|e| self.rename(key, e))
    }
    pub fn object(&mut self, key: &str) -> ApiResult<Option<Sub>> {
        let name = self.name(key);
        match self.inner.object(key) {
            Ok(Some(mut s)) => {
                s.path = name;
                Ok(Some(s))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(self.rename(key, e)),
        }
    }
    pub fn allow(&mut self, keys: &[&str]) {
        self.inner.allow(keys)
    }
    pub fn deny_unknown(&self) -> ApiResult<()> {
        match self
            .inner
            .root
            .keys()
            .find(|k| !self.inner.used.contains(k.as_str()))
        {
            Some(k) => Err(ApiError::unknown_param(&self.name(k))),
            None => Ok(()),
        }
    }
}

fn parse_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty()
                || !t
                    .bytes()
                    .enumerate()
                    .all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'))
            {
                return None;
            }
            t.parse().ok()
        }
        _ => None,
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) => truncate(s),
        other => truncate(&other.to_string()),
    }
}

/// A client-supplied value cut for echoing in an error.
pub fn truncate(s: &str) -> String {
    crate::error::echo(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(s: &str) -> Value {
        let mut m = Map::new();
        parse_form_into(&mut m, s.as_bytes()).unwrap();
        Value::Object(m)
    }

    #[test]
    fn bracket_notation_builds_nested_objects_and_lists() {
        let v = form(
            "amount=1000&metadata[order]=42&payment_method_data[card][number]=4242&expand[]=a&expand[]=b",
        );
        assert_eq!(
            v,
            json!({"amount":"1000","metadata":{"order":"42"},
                   "payment_method_data":{"card":{"number":"4242"}},"expand":["a","b"]})
        );
    }

    #[test]
    fn numbered_lists_are_read_as_lists() {
        let mut p = Params::parse(None, b"expand[0]=x&expand[1]=y", None).unwrap();
        assert_eq!(p.str_list("expand").unwrap(), vec!["x", "y"]);
    }

    #[test]
    fn integers_are_never_floats() {
        let mut p = Params::parse(None, b"amount=10.5", None).unwrap();
        let e = p.int("amount").unwrap_err();
        assert_eq!(e.param.as_deref(), Some("amount"));
        let mut p = Params::parse(Some("application/json"), br#"{"amount": 1.5}"#, None).unwrap();
        assert!(p.int("amount").is_err());
        let mut p = Params::parse(Some("application/json"), br#"{"amount": 1500}"#, None).unwrap();
        assert_eq!(p.int("amount").unwrap(), Some(1500));
    }

    #[test]
    fn nested_errors_name_the_full_path() {
        let mut p = Params::parse(None, b"payment_method_data[card][exp_month]=x", None).unwrap();
        let mut pmd = p.object("payment_method_data").unwrap().unwrap();
        let mut card = pmd.object("card").unwrap().unwrap();
        let e = card.int("exp_month").unwrap_err();
        assert_eq!(
            e.param.as_deref(),
            Some("payment_method_data[card][exp_month]")
        );
    }

    #[test]
    fn malformed_names_and_unknown_params_are_refused() {
        assert!(Params::parse(None, b"a[b=1", None).is_err());
        assert!(Params::parse(None, b"[x]=1", None).is_err());
        let mut p = Params::parse(None, b"amount=1&bogus=2", None).unwrap();
        p.int("amount").unwrap();
        assert_eq!(
            p.deny_unknown().unwrap_err().param.as_deref(),
            Some("bogus")
        );
    }
}
