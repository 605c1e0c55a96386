//! Form bodies (`application/x-www-form-urlencoded`) with Stripe's bracket notation.

use super::{MAX_DEPTH, MAX_KEYS, truncate};
use crate::error::{ApiError, ApiResult};
use serde_json::{Map, Value};

/// Parses `application/x-www-form-urlencoded` with bracket notation into `root`.
///
/// Stricter than `url::form_urlencoded`: bytes that are not UTF-8 after percent-decoding and
/// NUL characters are refused (not replaced), and a scalar parameter given twice
/// (`amount=1&amount=2`) is refused by name.
pub fn parse_form_into(root: &mut Map<String, Value>, body: &[u8]) -> ApiResult<()> {
    let pairs = body.split(|b| *b == b'&').filter(|p| !p.is_empty());
    for (count, pair) in pairs.enumerate() {
        if count >= MAX_KEYS {
            return Err(ApiError::invalid(
                "body",
                "parameter_invalid",
                format!("Too many parameters (more than {MAX_KEYS})."),
            ));
        }
        let (raw_key, raw_value) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        let k = decode_component(raw_key, None)?;
        let v = decode_component(raw_value, Some(&k))?;
        let path = split_key(&k)?;
        insert_path(root, &path, Value::String(v), &k)?;
    }
    Ok(())
}

/// The `param` an error names for parameter `key`: the key (shortened), or `body` when the
/// name is empty, so that every refusal names what it refuses (found by the `http_form` fuzz
/// target: `=x` was refused with an empty `param`).
fn named(key: &str) -> String {
    if key.is_empty() {
        "body".to_owned()
    } else {
        truncate(key)
    }
}

/// Percent-decodes one form component (`+` is a space), refusing invalid UTF-8 and NUL.
/// `key` is the parameter a value belongs to (`None` while decoding the name itself).
fn decode_component(raw: &[u8], key: Option<&str>) -> ApiResult<String> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    let param = || match key {
        Some(k) => named(k),
        None => named(&String::from_utf8_lossy(&bytes)),
    };
    let text = String::from_utf8(bytes.clone()).map_err(|_| {
        ApiError::invalid(
            &param(),
            "parameter_invalid",
            "Invalid parameter: the value is not valid UTF-8.",
        )
    })?;
    check_no_nul(&text, &param())?;
    Ok(text)
}

fn check_no_nul(text: &str, param: &str) -> ApiResult<()> {
    if text.contains('\0') {
        return Err(ApiError::invalid(
            param,
            "parameter_invalid",
            format!("Invalid {param}: must not contain NUL characters."),
        ));
    }
    Ok(())
}

/// Refuses NUL characters anywhere in a JSON body (keys or string values), naming the parameter.
pub(super) fn check_json_nul(v: &Value, path: &str) -> ApiResult<()> {
    match v {
        Value::String(s) => check_no_nul(s, path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, x)| check_json_nul(x, &format!("{path}[{i}]"))),
        Value::Object(m) => m.iter().try_for_each(|(k, x)| {
            let name = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}[{k}]")
            };
            check_no_nul(k, &truncate(&name))?;
            check_json_nul(x, &name)
        }),
        _ => Ok(()),
    }
}

/// `a[b][]` -> ["a", "b", ""].
fn split_key(key: &str) -> ApiResult<Vec<String>> {
    let bad = || {
        let message = if key.is_empty() {
            "Malformed parameter: a name is empty (`=value` or `&&`).".to_owned()
        } else {
            format!("Malformed parameter name: {key}")
        };
        ApiError::invalid(&named(key), "parameter_invalid", message)
    };
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if head.is_empty() {
        return Err(bad());
    }
    let mut parts = vec![head.to_string()];
    while !rest.is_empty() {
        let close = rest.find(']').ok_or_else(bad)?;
        if !rest.starts_with('[') {
            return Err(bad());
        }
        parts.push(rest[1..close].to_string());
        rest = &rest[close + 1..];
        if parts.len() > MAX_DEPTH {
            return Err(bad());
        }
    }
    Ok(parts)
}

fn insert_path(
    node: &mut Map<String, Value>,
    path: &[String],
    v: Value,
    full: &str,
) -> ApiResult<()> {
    let conflict = || {
        ApiError::invalid(
            full,
            "parameter_invalid",
            format!("Conflicting values for parameter {full}"),
        )
    };
    let (first, rest) = path.split_first().ok_or_else(conflict)?;
    if rest.is_empty() {
        if node.contains_key(first) {
            return Err(ApiError::invalid(
                full,
                "parameter_invalid",
                format!("Invalid {full}: the parameter was given more than once."),
            ));
        }
        node.insert(first.clone(), v);
        return Ok(());
    }
    if rest.len() == 1 && rest[0].is_empty() {
        // `key[]=v`: append to a list.
        let entry = node
            .entry(first.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        return match entry {
            Value::Array(a) => {
                a.push(v);
                Ok(())
            }
            _ => Err(conflict()),
        };
    }
    let entry = node
        .entry(first.clone())
        .or_insert_with(|| Value::Object(Map::new()));
    match entry {
        // `key[0][x]=..`: numbered items stay an object keyed by index; list getters accept both.
        Value::Object(m) => insert_path(m, rest, v, full),
        Value::String(s) if s.is_empty() => {
            *entry = Value::Object(Map::new());
            match entry {
                Value::Object(m) => insert_path(m, rest, v, full),
                _ => Err(conflict()),
            }
        }
        _ => Err(conflict()),
    }
}
