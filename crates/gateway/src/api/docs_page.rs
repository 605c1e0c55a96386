//! `GET /docs`: the OpenAPI document ([`crate::api::openapi::document`]) as one HTML page,
//! rendered on the server (no JavaScript, nothing fetched from elsewhere). Per operation, grouped
//! by tag: its path, query and header parameters, its request body's fields (name, type,
//! required, limits and allowed values, description) and its responses (status, description,
//! schema). Everything shown is read from the document and HTML-escaped, so the page and
//! `/openapi.json` cannot disagree.

use serde_json::{Map, Value};
use std::fmt::Write;

/// A tag and its operations: (method, path, operation object).
type TagGroup<'a> = (String, Vec<(String, String, &'a Value)>);

/// The whole page.
pub fn render(doc: &Value) -> String {
    let mut tags: Vec<TagGroup> = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let tag = op["tags"][0].as_str().unwrap_or("operations").to_string();
            let entry = match tags.iter().position(|(t, _)| *t == tag) {
                Some(i) => &mut tags[i].1,
                None => {
                    tags.push((tag, Vec::new()));
                    &mut tags.last_mut().expect("just pushed").1
                }
            };
            entry.push((method.to_uppercase(), path.clone(), op));
        }
    }
    let mut toc = String::new();
    let mut body = String::new();
    for (tag, ops) in &tags {
        let _ = write!(toc, "<li><a href=\"#tag-{t}\">{t}</a></li>", t = esc(tag));
        let _ = writeln!(
            body,
            "<section aria-labelledby=\"tag-{t}\"><h2 id=\"tag-{t}\">{t}</h2>",
            t = esc(tag)
        );
        for (method, path, op) in ops {
            body.push_str(&operation(method, path, op));
        }
        body.push_str("</section>\n");
    }
    let title = esc(doc["info"]["title"].as_str().unwrap_or("API"));
    let version = esc(doc["info"]["version"].as_str().unwrap_or(""));
    let about = esc(doc["info"]["description"].as_str().unwrap_or(""));
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body>\
         <a class=\"skip\" href=\"#main\">Skip to the operations</a>\
         <header><h1>{title} <small>{version}</small></h1><p>{about}</p>\
         <p>The machine-readable contract: <a href=\"/openapi.json\">openapi.json</a> \
         (OpenAPI 3.1); this page is rendered from it.</p>\
         <nav aria-label=\"Resources\"><ul>{toc}</ul></nav></header>\
         <main id=\"main\">\n{body}</main></body></html>\n"
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:72rem;\
padding:0 1rem;line-height:1.4}.skip{position:absolute;left:-999px}.skip:focus{left:1rem}\
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}caption{text-align:left;\
font-weight:bold}th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;\
vertical-align:top}nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;\
padding:0}article{border-top:1px solid #ccc;margin-top:1rem}";

/// One operation: heading, parameters, request body, responses.
fn operation(method: &str, path: &str, op: &Value) -> String {
    let id = esc(op["operationId"].as_str().unwrap_or(""));
    let mut out = format!(
        "<article id=\"{id}\" aria-labelledby=\"{id}-title\"><h3 id=\"{id}-title\">\
         <code>{m}</code> <code>{p}</code></h3><p>{s} <small>(<code>{id}</code>)</small></p>\n",
        m = esc(method),
        p = esc(path),
        s = esc(op["summary"].as_str().unwrap_or("")),
    );
    out.push_str(&parameters(op["parameters"].as_array()));
    if let Some(body) = op.get("requestBody") {
        out.push_str(&request_body(body));
    }
    out.push_str(&responses(op["responses"].as_object()));
    out.push_str("</article>\n");
    out
}

fn parameters(params: Option<&Vec<Value>>) -> String {
    let Some(params) = params.filter(|p| !p.is_empty()) else {
        return "<p>No parameters.</p>\n".into();
    };
    let mut rows = String::new();
    for p in params {
        let schema = &p["schema"];
        let _ = writeln!(
            rows,
            "<tr><th scope=\"row\"><code>{name}</code></th><td>{place}</td><td>{ty}</td>\
             <td>{req}</td><td>{rules}</td><td>{desc}</td></tr>",
            name = esc(p["name"].as_str().unwrap_or("")),
            place = esc(p["in"].as_str().unwrap_or("")),
            ty = esc(&type_of(schema)),
            req = yes_no(p["required"].as_bool().unwrap_or(false)),
            rules = esc(&rules_of(schema)),
            desc = esc(description(p).or_else(|| description(schema)).unwrap_or("")),
        );
    }
    format!(
        "<table><caption>Parameters</caption><thead><tr><th scope=\"col\">Name</th>\
         <th scope=\"col\">In</th><th scope=\"col\">Type</th><th scope=\"col\">Required</th>\
         <th scope=\"col\">Limits</th><th scope=\"col\">Description</th></tr></thead>\
         <tbody>\n{rows}</tbody></table>\n"
    )
}

fn request_body(body: &Value) -> String {
    let content = body["content"].as_object().cloned().unwrap_or_default();
    let mut out = String::new();
    for (media, c) in &content {
        let schema = &c["schema"];
        let required: Vec<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut rows = String::new();
        let fields = |key: &str| schema[key].as_object().cloned().unwrap_or_default();
        for (name, field) in &fields("properties") {
            rows.push_str(&field_row(name, field, required.contains(&name.as_str())));
        }
        for (pattern, field) in &fields("patternProperties") {
            rows.push_str(&field_row(
                &format!("any key matching {pattern}"),
                field,
                false,
            ));
        }
        if rows.is_empty() {
            let _ = writeln!(out, "<p>Request body ({}): no fields.</p>", esc(media));
            continue;
        }
        let _ = write!(
            out,
            "<table><caption>Request body (<code>{media}</code>)</caption><thead><tr>\
             <th scope=\"col\">Field</th><th scope=\"col\">Type</th>\
             <th scope=\"col\">Required</th><th scope=\"col\">Limits</th>\
             <th scope=\"col\">Description</th></tr></thead><tbody>\n{rows}</tbody></table>\n",
            media = esc(media),
        );
    }
    out
}

fn field_row(name: &str, field: &Value, required: bool) -> String {
    format!(
        "<tr><th scope=\"row\"><code>{name}</code></th><td>{ty}</td><td>{req}</td>\
         <td>{rules}</td><td>{desc}</td></tr>\n",
        name = esc(name),
        ty = esc(&type_of(field)),
        req = yes_no(required),
        rules = esc(&rules_of(field)),
        desc = esc(description(field).unwrap_or("")),
    )
}

fn responses(responses: Option<&Map<String, Value>>) -> String {
    let mut rows = String::new();
    for (status, r) in responses.into_iter().flatten() {
        let schemas: Vec<String> = r["content"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(media, c)| format!("{} ({media})", type_of(&c["schema"])))
            .collect();
        let schema = if schemas.is_empty() {
            "no body".to_string()
        } else {
            schemas.join(", ")
        };
        let _ = writeln!(
            rows,
            "<tr><th scope=\"row\">{status}</th><td>{desc}</td><td>{schema}</td></tr>",
            status = esc(status),
            desc = esc(description(r).unwrap_or("")),
            schema = esc(&schema),
        );
    }
    format!(
        "<table><caption>Responses</caption><thead><tr><th scope=\"col\">Status</th>\
         <th scope=\"col\">Description</th><th scope=\"col\">Schema</th></tr></thead>\
         <tbody>\n{rows}</tbody></table>\n"
    )
}

fn description(v: &Value) -> Option<&str> {
    v["description"].as_str()
}

fn yes_no(b: bool) -> &'static str {
    if b { "required" } else { "optional" }
}

/// A schema's type as a reader says it: `integer`, `array of string`, `list of charge`, a
/// `$ref`'s component name, alternatives joined with "or".
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema["$ref"].as_str() {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    if let Some(c) = schema.get("const") {
        return format!("constant {c}");
    }
    if let Some(any) = schema["anyOf"].as_array().or(schema["oneOf"].as_array()) {
        let each: Vec<String> = any.iter().map(type_of).collect();
        return each.join(" or ");
    }
    let named = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => String::new(),
    };
    match named.as_str() {
        "array" => format!("array of {}", type_of(&schema["items"])),
        "object" if schema["properties"]["object"]["const"] == "list" => {
            format!(
                "list of {}",
                type_of(&schema["properties"]["data"]["items"])
            )
        }
        "" => "any".to_string(),
        _ => named,
    }
}

/// The schema's limits and allowed values, as the parser checks them.
fn rules_of(schema: &Value) -> String {
    let mut rules = Vec::new();
    let bound = |key: &str| schema[key].as_i64();
    if let Some(n) = bound("minimum") {
        rules.push(format!("at least {n}"));
    }
    if let Some(n) = bound("maximum") {
        rules.push(format!("at most {n}"));
    }
    match bound("minLength") {
        Some(1) => rules.push("not empty".to_string()),
        Some(n) => rules.push(format!("at least {n} characters")),
        None => {}
    }
    if let Some(n) = bound("maxLength") {
        rules.push(format!("at most {n} characters"));
    }
    if let Some(n) = bound("maxItems") {
        rules.push(format!("at most {n} items"));
    }
    if let Some(values) = schema["enum"].as_array() {
        let words: Vec<String> = values.iter().map(plain).collect();
        rules.push(format!("one of: {}", words.join(", ")));
    }
    if let Some(items) = schema.get("items").map(rules_of)
        && !items.is_empty()
    {
        rules.push(format!("each item {items}"));
    }
    rules.join("; ")
}

/// A JSON value as text, strings without their quotes.
fn plain(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// HTML-escapes text for element content and quoted attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_from_the_document_is_escaped() {
        let doc = json!({"info": {"title": "<x>"}, "paths": {"/a/{id}": {"post": {
            "operationId": "Op\"<", "summary": "a & b", "tags": ["t<"],
            "parameters": [{"name": "<n>", "in": "path", "required": true,
                "schema": {"type": "string"}}],
            "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
                "properties": {"k<": {"enum": ["<v>"], "description": "<b>x</b>"}}}}}},
            "responses": {"200": {"description": "<ok>"}}}}}});
        let page = render(&doc);
        for raw in [
            "<x>", "Op\"<", "a & b", "t<", "<n>", "k<", "<v>", "<b>", "<ok>",
        ] {
            assert!(!page.contains(raw), "{raw} unescaped");
        }
        assert!(page.contains("&lt;v&gt;") && page.contains("a &amp; b"));
    }

    #[test]
    fn types_and_rules_read_as_words() {
        let list = json!({"type": "object", "properties": {"object": {"const": "list"},
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/charge"}}}});
        assert_eq!(type_of(&list), "list of charge");
        let tags = json!({"type": "array", "maxItems": 4,
            "items": {"type": "string", "maxLength": 9}});
        assert_eq!(type_of(&tags), "array of string");
        assert_eq!(
            rules_of(&tags),
            "at most 4 items; each item at most 9 characters"
        );
        let when = json!({"anyOf": [{"type": "integer"}, {"type": "object"}]});
        assert_eq!(type_of(&when), "integer or object");
        let pick = json!({"type": "string", "enum": ["a", "b"]});
        assert_eq!(rules_of(&pick), "one of: a, b");
    }
}
