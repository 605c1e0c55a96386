//! The request parameters of each operation in the OpenAPI document, generated from the
//! parsers' own wire structs: every handler deserializes its request into a
//! `#[derive(Deserialize, JsonSchema)]` struct (`params::typed`), so the JSON Schema derived
//! from that struct is what the parser accepts — same names, same optionality, same rules
//! (`params::schema` gives each value type's schema from the constants its parser checks).
//!
//! Requests are form-encoded in Stripe's bracket notation, so the nested schema is
//! flattened into form keys: `shipping[address][line1]`, `expand[]`, `line_items[0][price]`,
//! and `metadata[<key>]` as a pattern. A nested key is required only when its parent is.

use crate::render::{NoFilters, Paging};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

/// How an operation's parameters are described: a function giving the nested JSON Schema of
/// the parser's wire struct (`form::<CreateForm>`, `list::<PiFilters>`).
pub type ParamsSchema = fn(&mut SchemaGenerator) -> Schema;

/// The parameters of a handler that reads the wire struct `T`.
pub fn form<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    T::json_schema(g)
}

/// The parameters of a list endpoint: paging (`limit`, `starting_after`, `ending_before`,
/// `created`, `expand`) and the filters struct `F`, as `render::list_request` reads them.
pub fn list<F: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    let mut merged = Paging::json_schema(g);
    let filters = F::json_schema(g);
    if let (Some(Value::Object(into)), Some(Value::Object(props))) =
        (merged.get_mut("properties"), filters.get("properties"))
    {
        into.extend(props.clone());
    }
    merged
}

/// A list that takes only paging parameters.
pub fn paging(g: &mut SchemaGenerator) -> Schema {
    list::<NoFilters>(g)
}

/// No parameters (`/healthz`).
pub fn none(_g: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({"type": "object", "properties": {}, "additionalProperties": false})
}

/// The nested schema of `params`, every subschema inlined.
pub fn nested(params: ParamsSchema) -> Value {
    let mut g = SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .into_generator();
    params(&mut g).to_value()
}

/// Flat form keys: exact names, name patterns (`metadata[<key>]`) and the required names.
#[derive(Default, Debug)]
pub struct FormKeys {
    pub properties: Map<String, Value>,
    pub patterns: Map<String, Value>,
    pub required: Vec<String>,
}

impl FormKeys {
    /// The flat keys of a nested parameter schema.
    pub fn of(schema: &Value) -> FormKeys {
        let mut keys = FormKeys::default();
        keys.add("", schema, true);
        keys
    }

    /// The request body schema (`application/x-www-form-urlencoded`).
    pub fn body_schema(&self) -> Value {
        let mut s = json!({
            "type": "object",
            "properties": self.properties,
            "additionalProperties": false,
        });
        if !self.patterns.is_empty() {
            s["patternProperties"] = Value::Object(self.patterns.clone());
        }
        if !self.required.is_empty() {
            s["required"] = json!(self.required);
        }
        s
    }

    /// The query parameters (patterns have no place in a parameter list and are left out).
    pub fn query_parameters(&self) -> Vec<Value> {
        self.properties
            .iter()
            .map(|(name, schema)| {
                let mut p = json!({"name": name, "in": "query",
                    "required": self.required.contains(name), "schema": schema});
                if schema["type"] == "array" {
                    p["style"] = json!("form");
                    p["explode"] = json!(true);
                }
                p
            })
            .collect()
    }

    fn add(&mut self, name: &str, schema: &Value, required: bool) {
        let schema = without_null(schema);
        if let Some(variants) = schema.get("anyOf").and_then(Value::as_array) {
            for v in variants {
                self.add(name, v, false);
            }
            return;
        }
        let child = |key: &str| {
            if name.is_empty() {
                key.to_string()
            } else {
                format!("{name}[{key}]")
            }
        };
        match schema.get("type").and_then(Value::as_str) {
            Some("object") => {
                let req: Vec<&str> = schema["required"]
                    .as_array()
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if let Some(props) = schema["properties"].as_object() {
                    for (k, v) in props {
                        self.add(&child(k), v, required && req.contains(&k.as_str()));
                    }
                }
                if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
                    self.patterns
                        .insert(key_pattern(name, "[^\\[\\]]+"), leaf(values));
                }
            }
            Some("array") if schema["items"]["type"] == "object" => {
                self.add(&child("0"), &schema["items"], required);
            }
            Some("array") => self.leaf(&format!("{name}[]"), &schema, required),
            Some(_) => self.leaf(name, &schema, required),
            // Any value (a free-form nested object read by a later stage).
            None => {
                self.patterns
                    .insert(key_pattern(name, ".+"), json!({"type": "string"}));
            }
        }
    }

    fn leaf(&mut self, name: &str, schema: &Value, required: bool) {
        self.properties.insert(name.to_string(), leaf(schema));
        if required {
            self.required.push(name.to_string());
        }
    }
}

/// `schema` without its `null` alternative (an `Option`'s "absent" is "not sent" in a form).
fn without_null(schema: &Value) -> Value {
    let mut s = schema.clone();
    if let Some(Value::Array(types)) = s.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            s["type"] = types[0].clone();
        }
    }
    if let Some(Value::Array(words)) = s.get_mut("enum") {
        words.retain(|w| !w.is_null());
    }
    if let Some(Value::Array(variants)) = s.get_mut("anyOf") {
        variants.retain(|v| v.get("type").is_none_or(|t| t != "null"));
        if variants.len() == 1 {
            let only = variants[0].clone();
            let mut merged = s.as_object().cloned().unwrap_or_default();
            merged.remove("anyOf");
            if let Value::Object(o) = only {
                merged.extend(o);
            }
            s = Value::Object(merged);
        }
    }
    s
}

/// A leaf's schema as documented: no `title`, no `null`.
fn leaf(schema: &Value) -> Value {
    let mut s = without_null(schema);
    if let Value::Object(o) = &mut s {
        o.remove("title");
    }
    s
}

/// The pattern of the keys `name[<key>]` whose key matches `key`.
fn key_pattern(name: &str, key: &str) -> String {
    let mut re = String::from("^");
    for c in name.chars() {
        if "[]\\^$.|?*+(){}".contains(c) {
            re.push('\\');
        }
        re.push(c);
    }
    format!("{re}\\[{key}\\]$")
}
