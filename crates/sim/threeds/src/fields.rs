//! Field rules of the JSON messages the DS receives, as a table per message: each field is a
//! name, a [`Rule`] and whether it is required. [`check`] reads a whole message against its
//! table and reports every missing field (Erro 201) or, when none is missing, every malformed
//! one (Erro 203), by name.

use serde_json::{Map, Value};

use crate::erro::{Component, Erro, ErrorCode};
use crate::messages::VERSION;

/// What a field's string value must look like.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Rule {
    /// A UUID in canonical 8-4-4-4-12 hex form.
    Uuid,
    /// Free text of 1..=max characters.
    Text(usize),
    /// `min..=max` ASCII digits.
    Digits(usize, usize),
    /// One of these exact values.
    OneOf(&'static [&'static str]),
    /// An absolute http(s) URL of at most 2048 characters.
    Url,
    /// YYYYMMDDHHMMSS, a real date and time.
    DateTime14,
    /// YYMM with a month 01..=12.
    Yymm,
    /// 13..=19 digits passing the Luhn check.
    Pan,
    /// Optional sign and 1..=5 digits (browser time-zone offset in minutes).
    TzOffset,
}

/// One row of a message's field table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    pub name: &'static str,
    pub rule: Rule,
    pub required: bool,
}

/// A required field.
pub(crate) const fn req(name: &'static str, rule: Rule) -> Field {
    Field {
        name,
        rule,
        required: true,
    }
}

/// An optional field (checked when present).
pub(crate) const fn opt(name: &'static str, rule: Rule) -> Field {
    Field {
        name,
        rule,
        required: false,
    }
}

/// Parses `body` as a JSON object whose `messageType` is `expected` and whose
/// `messageVersion` is 2.2.0, then checks it against `table`.
pub(crate) fn check(
    body: &[u8],
    expected: &str,
    table: &[Field],
) -> Result<Map<String, Value>, Box<Erro>> {
    let erro =
        |code, detail: &str, received: &str| Erro::new(Component::Ds, code, detail, received);
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return Err(Box::new(erro(ErrorCode::MessageInvalid, "message", "")));
    };
    let server_id = map.get("threeDSServerTransID").and_then(Value::as_str);
    let with_id = |e: Erro| Box::new(e.with_ids(server_id.filter(|s| is_uuid(s)), None, None));
    let received = match map.get("messageType") {
        Some(Value::String(t)) => t.clone(),
        _ => String::new(),
    };
    if received != expected {
        return Err(with_id(erro(
            ErrorCode::MessageInvalid,
            "messageType",
            &received,
        )));
    }
    match map.get("messageVersion") {
        None | Some(Value::Null) => {
            return Err(with_id(erro(
                ErrorCode::RequiredMissing,
                "messageVersion",
                &received,
            )));
        }
        Some(Value::String(v)) if v == VERSION => {}
        Some(_) => {
            return Err(with_id(erro(
                ErrorCode::VersionNotSupported,
                "messageVersion",
                &received,
            )));
        }
    }
    let mut missing = Vec::new();
    let mut malformed = Vec::new();
    for f in table {
        match map.get(f.name) {
            None | Some(Value::Null) => {
                if f.required {
                    missing.push(f.name);
                }
            }
            Some(Value::String(s)) if valid(f.rule, s) => {}
            Some(_) => malformed.push(f.name),
        }
    }
    if !missing.is_empty() {
        return Err(with_id(erro(
            ErrorCode::RequiredMissing,
            &missing.join(","),
            &received,
        )));
    }
    if !malformed.is_empty() {
        return Err(with_id(erro(
            ErrorCode::FormatInvalid,
            &malformed.join(","),
            &received,
        )));
    }
    Ok(map)
}

/// The string value of a field [`check`] accepted (empty if it was optional and absent).
pub(crate) fn text(map: &Map<String, Value>, name: &str) -> String {
    map.get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn valid(rule: Rule, s: &str) -> bool {
    match rule {
        Rule::Uuid => is_uuid(s),
        Rule::Text(max) => !s.is_empty() && s.chars().count() <= max,
        Rule::Digits(min, max) => (min..=max).contains(&s.len()) && all_digits(s),
        Rule::OneOf(values) => values.contains(&s),
        Rule::Url => is_http_url(s),
        Rule::DateTime14 => {
            s.len() == 14
                && all_digits(s)
                && time::PrimitiveDateTime::parse(s, DATE_TIME_14).is_ok()
        }
        Rule::Yymm => {
            s.len() == 4 && all_digits(s) && (1..=12).contains(&s[2..].parse::<u8>().unwrap_or(0))
        }
        Rule::Pan => (13..=19).contains(&s.len()) && all_digits(s) && luhn(s),
        Rule::TzOffset => {
            let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
            (1..=5).contains(&digits.len()) && all_digits(digits)
        }
    }
}

const DATE_TIME_14: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year][month][day][hour][minute][second]");

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// Canonical lowercase-or-uppercase hex UUID, 8-4-4-4-12.
pub(crate) fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn is_http_url(s: &str) -> bool {
    s.len() <= 2048
        && url::Url::parse(s)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

fn luhn(pan: &str) -> bool {
    let sum: u32 = pan
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                d
            } else if d >= 5 {
                2 * d - 9
            } else {
                2 * d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_accept_and_refuse() {
        assert!(valid(Rule::Pan, "4000000000003220"));
        assert!(!valid(Rule::Pan, "4000000000003221"));
        assert!(!valid(Rule::Pan, "400000000000"));
        assert!(valid(Rule::DateTime14, "20261202041500"));
        assert!(!valid(Rule::DateTime14, "20261302041500"));
        assert!(valid(Rule::Yymm, "3412"));
        assert!(!valid(Rule::Yymm, "3413"));
        assert!(valid(Rule::Uuid, "8a880dc0-d2d2-4067-bcb1-b08d1690b26e"));
        assert!(!valid(Rule::Uuid, "8a880dc0d2d24067bcb1b08d1690b26e"));
        assert!(valid(Rule::Url, "http://127.0.0.1:9/3ds/rreq"));
        assert!(!valid(Rule::Url, "javascript:alert(1)"));
        assert!(valid(Rule::TzOffset, "-540"));
        assert!(!valid(Rule::TzOffset, "UTC"));
    }
}
