//! A table of text cells under column headers from the catalog (every list page's body), and
//! the objects of one kind that a viewer's merchants hold (operators see every merchant's).

use crate::catalog::T;
use crate::payments::merchants;
use crate::users::Role;
use paygate_gateway::state::SharedState;
use paygate_payer_pages::Locale;
use paygate_payer_pages::html::Html;
use paygate_store::{ListFilter, ListQuery, ObjectRow, Scope};

/// Most objects of one kind a page lists per merchant.
pub const PAGE_LIMIT: usize = 50;

/// A `<table>` with `heads` as column headers and `rows` as text (escaped), or "None yet".
pub fn table(h: &mut Html, l: Locale, heads: &[T], rows: &[Vec<String>]) {
    if rows.is_empty() {
        h.raw("<p>").text(T::NoneYet.text(l)).raw("</p>");
        return;
    }
    h.raw("<table><thead><tr>");
    for col in heads {
        h.raw("<th scope=\"col\">").text(col.text(l)).raw("</th>");
    }
    h.raw("</tr></thead><tbody>");
    for r in rows {
        h.raw("<tr>");
        for cell in r {
            h.raw("<td>").text(cell).raw("</td>");
        }
        h.raw("</tr>");
    }
    h.raw("</tbody></table>");
}

/// Whether the page shows live-mode objects (`?mode=live`; test mode otherwise).
pub fn livemode(q: &std::collections::HashMap<String, String>) -> bool {
    q.get("mode").is_some_and(|m| m == "live")
}

/// The newest objects of `kind` (not deleted) of every merchant `role` sees, newest first.
pub async fn objects(
    st: &SharedState,
    role: &Role,
    kind: &str,
    livemode: bool,
) -> Result<Vec<ObjectRow>, String> {
    let mut out = Vec::new();
    for m in merchants(st, role).await? {
        let scope = Scope {
            merchant_id: m,
            livemode,
        };
        let mut q = ListQuery::new(kind, PAGE_LIMIT);
        q.filters.push(ListFilter::FieldAbsent("deleted"));
        let page = st
            .store
            .list_objects(&scope, &q)
            .await
            .map_err(|e| e.to_string())?;
        out.extend(page.data);
    }
    out.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
    Ok(out)
}

/// A JSON string field, or empty.
pub fn s(v: &serde_json::Value, field: &str) -> String {
    v[field].as_str().unwrap_or_default().to_string()
}
