//! Stripe metadata as a typed parameter value.

use super::truncate;
use super::typed::rule;
use serde::Deserialize;
use serde::Serialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Most metadata keys on one object.
pub const METADATA_MAX_KEYS: usize = 50;
/// Longest metadata key, in characters.
pub const METADATA_MAX_KEY_CHARS: usize = 40;
/// Longest metadata value, in characters.
pub const METADATA_MAX_VALUE_CHARS: usize = 500;

/// Stripe metadata: ≤ 50 keys, each non-empty, ≤ 40 characters and without brackets, with
/// string values of ≤ 500 characters. An empty value removes a key on update; the empty
/// string for the whole parameter (`metadata=`) is an empty update.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Metadata(pub Map<String, Value>);

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Metadata, D::Error> {
        d.deserialize_any(MetadataVisitor)
    }
}

struct MetadataVisitor;

impl<'de> Visitor<'de> for MetadataVisitor {
    type Value = Metadata;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of string keys and values")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Metadata, E> {
        if v.is_empty() {
            return Ok(Metadata::default());
        }
        Err(E::invalid_type(de::Unexpected::Str(v), &self))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Metadata, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            check_metadata_key(&key)?;
            let value = map.next_value::<MetadataValue>()?;
            if value.0.chars().count() > METADATA_MAX_VALUE_CHARS {
                return Err(rule(
                    "parameter_invalid",
                    Some(&key),
                    format_args!(
                        "Invalid {{param}}: metadata values can be at most {METADATA_MAX_VALUE_CHARS} characters."
                    ),
                ));
            }
            out.insert(key, Value::String(value.0));
            if out.len() > METADATA_MAX_KEYS {
                return Err(rule(
                    "parameter_invalid",
                    None,
                    format_args!("Invalid {{param}}: at most {METADATA_MAX_KEYS} keys."),
                ));
            }
        }
        Ok(Metadata(out))
    }
}

fn check_metadata_key<E: de::Error>(key: &str) -> Result<(), E> {
    let why = if key.is_empty() {
        "metadata keys must not be empty"
    } else if key.chars().count() > METADATA_MAX_KEY_CHARS {
        "metadata keys can be at most 40 characters"
    } else if key.contains(['[', ']']) {
        "metadata keys must not contain '[' or ']'"
    } else {
        return Ok(());
    };
    Err(rule(
        "parameter_invalid",
        None,
        format_args!("Invalid {{param}}: {why} (key '{}').", truncate(key)),
    ))
}

/// One metadata value: a string, or a JSON number/boolean as text; `null` is "remove".
struct MetadataValue(String);

impl<'de> Deserialize<'de> for MetadataValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<String>::deserialize(OptionText(d)).map(|s| MetadataValue(s.unwrap_or_default()))
    }
}

/// Adapts a deserializer so `Option<String>` also accepts numbers and booleans.
struct OptionText<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for OptionText<D> {
    type Error = D::Error;
    fn deserialize_any<V: Visitor<'de>>(self, _v: V) -> Result<V::Value, D::Error> {
        Err(de::Error::custom("metadata values must be strings"))
    }
    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        struct Opt<V>(V);
        impl<'de, V: Visitor<'de>> Visitor<'de> for Opt<V> {
            type Value = V::Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
                self.0.visit_none()
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<V::Value, E> {
                self.0.visit_some(de::value::StrDeserializer::<E>::new(s))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<V::Value, E> {
                self.0
                    .visit_some(de::value::StringDeserializer::<E>::new(n.to_string()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<V::Value, E> {
                self.0
                    .visit_some(de::value::StringDeserializer::<E>::new(n.to_string()))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<V::Value, E> {
                self.0
                    .visit_some(de::value::StringDeserializer::<E>::new(b.to_string()))
            }
        }
        self.0.deserialize_any(Opt(v))
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}
