//! Typed request parameters: the parameter tree deserialized into a handler's own struct.
//!
//! Handlers declare `#[derive(Deserialize)] #[serde(deny_unknown_fields)]` structs whose
//! fields use the value types below; [`Params::typed`] deserializes the tree with
//! `serde_path_to_error`, so every error names the parameter in full bracket form
//! (`payment_method_data[card][number]`, `metadata[order]`, `expand[0]`) and the rule it
//! broke, and an unknown parameter is refused by name.
//!
//! Form values arrive as strings, JSON values typed; the value types accept both
//! (`amount=100` and `{"amount": 100}`), never a float for an integer.

use super::{Params, truncate};
use crate::error::{ApiError, ApiResult};
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

pub use super::metadata::{
    METADATA_MAX_KEY_CHARS, METADATA_MAX_KEYS, METADATA_MAX_VALUE_CHARS, Metadata,
};

/// Separates the parts of a rule error carried through serde's string-only custom errors:
/// NUL never occurs in a parameter (the parsers refuse it), so it cannot be forged.
const SEP: char = '\0';

/// A broken rule, as a serde error: `code`, an optional sub-key of the parameter (a
/// metadata key), and a message in which `{param}` stands for the parameter's full name.
pub(super) fn rule<E: de::Error>(
    code: &'static str,
    sub: Option<&str>,
    message: impl fmt::Display,
) -> E {
    E::custom(format_args!(
        "{SEP}{code}{SEP}{}{SEP}{message}",
        sub.unwrap_or("")
    ))
}

/// The error codes a rule may carry (`ApiError::code` is `&'static str`).
const RULE_CODES: &[&str] = &[
    "parameter_invalid",
    "parameter_invalid_integer",
    "parameter_invalid_boolean",
    "parameter_invalid_empty",
    "parameter_invalid_string_too_long",
    "email_invalid",
    "parameter_unsupported",
    "url_invalid",
];

impl Params {
    /// Deserializes every parameter into `T`, refusing what `T` does not name.
    pub fn typed<T: DeserializeOwned>(&mut self) -> ApiResult<T> {
        let keys: Vec<String> = self.root().keys().cloned().collect();
        self.allow(&keys.iter().map(String::as_str).collect::<Vec<_>>());
        from_tree(Value::Object(self.root().clone()), "")
    }
}

impl Params {
    /// One parameter through a typed value (for handlers still on the accessor API): its
    /// rules apply and its errors name it.
    pub fn field<T: DeserializeOwned>(&mut self, key: &str) -> ApiResult<Option<T>> {
        self.allow(&[key]);
        match self.root().get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => from_tree(v.clone(), key).map(Some),
        }
    }
}

/// Deserializes `tree` (whose path is `prefix`, empty at the top) into `T`.
pub fn from_tree<T: DeserializeOwned>(tree: Value, prefix: &str) -> ApiResult<T> {
    serde_path_to_error::deserialize(tree).map_err(|e| to_api_error(&e, prefix))
}

fn to_api_error(e: &serde_path_to_error::Error<serde_json::Error>, prefix: &str) -> ApiError {
    let mut param = prefix.to_string();
    for seg in e.path().iter() {
        let part = match seg {
            serde_path_to_error::Segment::Seq { index } => index.to_string(),
            serde_path_to_error::Segment::Map { key } => key.clone(),
            serde_path_to_error::Segment::Enum { variant } => variant.clone(),
            serde_path_to_error::Segment::Unknown => continue,
        };
        param = join(&param, &part);
    }
    let msg = e.inner().to_string();
    if let Some(rest) = msg.strip_prefix(SEP) {
        let mut parts = rest.splitn(3, SEP);
        let code = parts.next().unwrap_or_default();
        let sub = parts.next().unwrap_or_default();
        let message = parts.next().unwrap_or_default();
        if !sub.is_empty() {
            param = join(&param, sub);
        }
        let code = RULE_CODES
            .iter()
            .find(|c| **c == code)
            .copied()
            .unwrap_or("parameter_invalid");
        let param = truncate(&param);
        return ApiError::invalid(&param, code, message.replace("{param}", &param));
    }
    if let Some(field) = between(&msg, "unknown field `", "`") {
        // The path already ends with the unknown key when serde saw it as a map key.
        let named = param == field || param.ends_with(&format!("[{field}]"));
        let full = if named { param } else { join(&param, field) };
        return ApiError::unknown_param(&truncate(&full));
    }
    if let Some(field) = between(&msg, "missing field `", "`") {
        return ApiError::missing(&join(&param, field));
    }
    let param = truncate(&param);
    if let Some(expected) = msg.split(", expected ").nth(1) {
        let what = expected.replace('`', "");
        return ApiError::bad_param(&param, format!("expected {what}."));
    }
    ApiError::bad_param(&param, truncate(&msg))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}[{key}]")
    }
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &s[s.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

/// A scalar as text: a string, or a JSON number/boolean in its usual spelling.
struct ScalarText;

impl Visitor<'_> for ScalarText {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// An integer: a JSON integer or a decimal string (`-12`), never a float.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Int(pub i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Int, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v)
                    .map(Int)
                    .map_err(|_| rule(INT_CODE, None, "Invalid integer: {param} is too large."))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int, E> {
                Err(rule(INT_CODE, None, format_args!("Invalid integer: {v}")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                let digits = v.strip_prefix('-').unwrap_or(v);
                let ok = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
                ok.then(|| v.parse().ok())
                    .flatten()
                    .map(Int)
                    .ok_or_else(|| {
                        rule(
                            INT_CODE,
                            None,
                            format_args!("Invalid integer: {}", truncate(v)),
                        )
                    })
            }
        }
        d.deserialize_any(V)
    }
}

const INT_CODE: &str = "parameter_invalid_integer";

/// A boolean: JSON `true`/`false` or the strings `"true"`/`"false"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Flag, D::Error> {
        let text = d.deserialize_any(ScalarText)?;
        match text.as_str() {
            "true" => Ok(Flag(true)),
            "false" => Ok(Flag(false)),
            other => Err(rule(
                "parameter_invalid_boolean",
                None,
                format_args!("Invalid boolean: {}", truncate(other)),
            )),
        }
    }
}

/// Text of at most `MAX` characters (Stripe's `maxLength`); empty means "unset" where the
/// handler allows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text<const MAX: usize>(pub String);

impl<const MAX: usize> Text<MAX> {
    /// `None` for the empty string (Stripe's "unset this field").
    pub fn non_empty(self) -> Option<String> {
        Some(self.0).filter(|s| !s.is_empty())
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for Text<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = d.deserialize_any(ScalarText)?;
        check_len(&s, MAX)?;
        Ok(Text(s))
    }
}

fn check_len<E: de::Error>(s: &str, max: usize) -> Result<(), E> {
    let n = s.chars().count();
    if n > max {
        return Err(rule(
            "parameter_invalid_string_too_long",
            None,
            format_args!("Invalid {{param}}: must be at most {max} characters long (got {n})."),
        ));
    }
    Ok(())
}

/// An id or other short token (Stripe's `maxLength: 5000` strings).
pub type Id = Text<5000>;

/// An email address (≤ 512 characters): one `@`, a local part, a dotted domain, no spaces.
/// Empty means "unset".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(pub String);

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Email, D::Error> {
        let s = d.deserialize_any(ScalarText)?;
        check_len(&s, 512)?;
        if s.is_empty() || is_email(&s) {
            return Ok(Email(s));
        }
        Err(rule(
            "email_invalid",
            None,
            format_args!("Invalid email address: {}", truncate(&s)),
        ))
    }
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let labels_ok = domain.split('.').count() >= 2
        && domain
            .split('.')
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
    !local.is_empty()
        && labels_ok
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
}

/// A statement descriptor: ≤ 22 characters, at least one letter, none of `< > \ ' " *`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementDescriptor(pub String);

/// Characters card networks refuse in a statement descriptor.
const DESCRIPTOR_FORBIDDEN: &[char] = &['<', '>', '\\', '\'', '"', '*'];

impl<'de> Deserialize<'de> for StatementDescriptor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = d.deserialize_any(ScalarText)?;
        check_len(&s, 22)?;
        if let Some(c) = s.chars().find(|c| DESCRIPTOR_FORBIDDEN.contains(c)) {
            return Err(rule(
                "parameter_invalid",
                None,
                format_args!(
                    "Invalid {{param}}: the character {c:?} is not allowed (none of < > \\ ' \" *)."
                ),
            ));
        }
        if !s.is_empty() && !s.chars().any(char::is_alphabetic) {
            return Err(rule(
                "parameter_invalid",
                None,
                "Invalid {param}: must contain at least one letter.",
            ));
        }
        Ok(StatementDescriptor(s))
    }
}

/// One of a fixed set of words, each naming a value (`capture_method=manual`): for the
/// `Deserialize` of a parameter enum. Anything else is `parameter_invalid` listing the words.
pub fn one_of<'de, D: Deserializer<'de>, T: Copy>(
    d: D,
    words: &[(&str, T)],
) -> Result<T, D::Error> {
    let s = d.deserialize_any(ScalarText)?;
    if let Some((_, value)) = words.iter().find(|(w, _)| *w == s) {
        return Ok(*value);
    }
    let names: Vec<&str> = words.iter().map(|(w, _)| *w).collect();
    Err(rule(
        "parameter_invalid",
        None,
        format_args!(
            "Invalid {{param}}: must be one of {}; got '{}'",
            names.join(", "),
            truncate(&s)
        ),
    ))
}

/// A parameter enum: the words a request may spell its values with.
pub trait Words: Sized + Copy + 'static {
    /// Each accepted word and the value it names (several words may name one value).
    const WORDS: &'static [(&'static str, Self)];
}

/// A parameter that is one of `T`'s [`Words`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OneOf<T>(pub T);

impl<'de, T: Words> Deserialize<'de> for OneOf<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        one_of(d, T::WORDS).map(OneOf)
    }
}

/// A list of strings: `a[]=x&a[]=y`, `a[0]=x&a[1]=y`, a JSON array, or one string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct List(pub Vec<String>);

impl<'de> Deserialize<'de> for List {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<List, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = List;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<List, E> {
                Ok(List(if v.is_empty() {
                    Vec::new()
                } else {
                    vec![v.to_string()]
                }))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<List, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<Text<5000>>()? {
                    out.push(s.0);
                }
                Ok(List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<List, A::Error> {
                let mut items: Vec<(u32, String)> = Vec::new();
                while let Some(index) = map.next_key::<String>()? {
                    let i = index.parse::<u32>().map_err(|_| {
                        rule::<A::Error>(
                            "parameter_invalid",
                            Some(&index),
                            "Invalid {param}: list items are numbered from 0.",
                        )
                    })?;
                    items.push((i, map.next_value::<Text<5000>>()?.0));
                }
                items.sort_by_key(|(i, _)| *i);
                Ok(List(items.into_iter().map(|(_, s)| s).collect()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `expand[]`: at most 16 paths of at most 4 levels each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expand(pub Vec<String>);

/// Deepest `expand` path accepted (`a.b.c.d`).
pub const MAX_EXPAND_DEPTH: usize = 4;
/// Most `expand` paths accepted in one request.
pub const MAX_EXPANDS: usize = 16;

impl<'de> Deserialize<'de> for Expand {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Expand, D::Error> {
        let List(paths) = List::deserialize(d)?;
        if paths.len() > MAX_EXPANDS {
            return Err(rule(
                "parameter_invalid",
                None,
                format_args!("Invalid {{param}}: at most {MAX_EXPANDS} paths."),
            ));
        }
        if let Some(p) = paths
            .iter()
            .find(|p| p.split('.').count() > MAX_EXPAND_DEPTH)
        {
            return Err(rule(
                "parameter_invalid",
                None,
                format_args!(
                    "Invalid {{param}}: '{}' is deeper than {MAX_EXPAND_DEPTH} levels.",
                    truncate(p)
                ),
            ));
        }
        Ok(Expand(paths))
    }
}

/// `created`: an exact unix time or a range `created[gt|gte|lt|lte]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Created {
    pub gte: Option<i64>,
    pub lte: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreatedRange {
    gt: Option<Int>,
    gte: Option<Int>,
    lt: Option<Int>,
    lte: Option<Int>,
}

impl<'de> Deserialize<'de> for Created {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Created, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Created;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer or an object with gt, gte, lt, lte")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Created, E> {
                Ok(Created {
                    gte: Some(v),
                    lte: Some(v),
                })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Created, E> {
                Int::deserialize(de::value::U64Deserializer::<E>::new(v))
                    .and_then(|Int(v)| self.visit_i64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Created, E> {
                Int::deserialize(de::value::StrDeserializer::<E>::new(v))
                    .and_then(|Int(v)| self.visit_i64(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Created, A::Error> {
                let r = CreatedRange::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Created {
                    gte: r.gte.map(|x| x.0).or(r.gt.map(|x| x.0.saturating_add(1))),
                    lte: r.lte.map(|x| x.0).or(r.lt.map(|x| x.0.saturating_sub(1))),
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
#[path = "typed_tests.rs"]
mod tests;
