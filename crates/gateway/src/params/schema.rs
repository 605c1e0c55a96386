//! JSON Schemas of the typed parameter values, so a wire struct's `#[derive(JsonSchema)]`
//! describes exactly what its `#[derive(Deserialize)]` accepts: the OpenAPI document's
//! request schemas are generated from the parsers' own structs (`api::openapi_params`).
//!
//! Each schema states the value's rule as the parser checks it (the same constants): a
//! `Text<MAX>` is a string of at most `MAX` characters, a `OneOf<T>` one of `T::WORDS`, an
//! `Expand` at most `MAX_EXPANDS` paths, metadata at most `METADATA_MAX_KEYS` keys, ….

use super::typed::{
    Created, Email, Expand, Flag, Int, List, MAX_EXPANDS, METADATA_MAX_KEY_CHARS,
    METADATA_MAX_KEYS, METADATA_MAX_VALUE_CHARS, Metadata, OneOf, StatementDescriptor, Text, Words,
};
use paygate_ledger::{CHARGE_MINOR_UNITS_MAX, Currency};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use std::borrow::Cow;

/// Declares a value type's schema: always inlined (a form key, not a shared component).
macro_rules! value_schema {
    ($ty:ty, $name:literal, |$g:ident| $body:expr) => {
        impl JsonSchema for $ty {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }
            fn json_schema($g: &mut SchemaGenerator) -> Schema {
                $body
            }
        }
    };
}

value_schema!(Int, "Int", |_g| json_schema!({
    "type": "integer",
    "description": "An integer (decimal digits, optional leading '-'); never a float."
}));

/// A PaymentIntent's `amount` (`#[schemars(schema_with)]`): minor units of its currency,
/// between the smallest minimum charge of any currency and the eight-digit maximum; the
/// parser checks the currency's own minimum (`api::check_amount`).
pub(crate) fn charge_amount(_g: &mut SchemaGenerator) -> Schema {
    let min = Currency::ALL
        .iter()
        .map(Currency::min_charge_amount)
        .min()
        .unwrap_or(1);
    json_schema!({
        "type": "integer",
        "minimum": min,
        "maximum": CHARGE_MINOR_UNITS_MAX,
        "description": "Minor units of `currency` (an integer, never a float): at least the \
            currency's minimum charge (USD 50 = $0.50, KRW 100 = ₩100), at most 99,999,999."
    })
}

value_schema!(Flag, "Flag", |_g| json_schema!({"type": "boolean"}));

value_schema!(Email, "Email", |_g| json_schema!({
    "type": "string",
    "maxLength": 512,
    "description": "An email address (one '@', a dotted domain, no spaces); empty unsets it."
}));

value_schema!(
    StatementDescriptor,
    "StatementDescriptor",
    |_g| json_schema!({
        "type": "string",
        "maxLength": 22,
        "description": "At most 22 characters, at least one letter, none of < > \\ ' \" *."
    })
);

value_schema!(List, "List", |_g| json_schema!({
    "type": "array",
    "items": {"type": "string", "maxLength": 5000}
}));

value_schema!(Expand, "Expand", |_g| json_schema!({
    "type": "array",
    "maxItems": MAX_EXPANDS,
    "items": {"type": "string", "maxLength": 5000},
    "description": "Paths of related objects to expand in the response (at most 4 levels each)."
}));

value_schema!(Created, "Created", |_g| json_schema!({
    "description": "A creation time (unix seconds), exact or a range.",
    "anyOf": [
        {"type": "integer"},
        {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "gt": {"type": "integer"},
                "gte": {"type": "integer"},
                "lt": {"type": "integer"},
                "lte": {"type": "integer"}
            }
        }
    ]
}));

value_schema!(Metadata, "Metadata", |_g| json_schema!({
    "type": "object",
    "maxProperties": METADATA_MAX_KEYS,
    "propertyNames": {"minLength": 1, "maxLength": METADATA_MAX_KEY_CHARS, "pattern": "^[^\\[\\]]+$"},
    "additionalProperties": {"type": "string", "maxLength": METADATA_MAX_VALUE_CHARS},
    "description": "Key-value pairs stored on the object; an empty value removes a key."
}));

impl<const MAX: usize> JsonSchema for Text<MAX> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Text{MAX}").into()
    }
    fn json_schema(_g: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "maxLength": MAX})
    }
}

impl<T: Words> JsonSchema for OneOf<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        let words: Vec<&str> = T::WORDS.iter().map(|(w, _)| *w).collect();
        format!("OneOf_{}", words.join("_")).into()
    }
    fn json_schema(_g: &mut SchemaGenerator) -> Schema {
        let words: Vec<&str> = T::WORDS.iter().map(|(w, _)| *w).collect();
        json_schema!({"type": "string", "enum": words})
    }
}
