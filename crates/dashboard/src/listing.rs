//! A list page's columns, declared once: the HTML table and the CSV export are both drawn from
//! the same [`Column`] table, over the same rows (the page's own query, filters and tenancy —
//! see [`List`]), so the export is exactly what the page shows.
//!
//! CSV (RFC 4180) is written here by hand: it is a few lines of quoting, and the part that
//! matters — neutralizing cells a spreadsheet would run as a formula (OWASP "CSV Injection")
//! — is not something a CSV crate does. The file starts with a UTF-8 byte-order mark so that
//! Excel reads Korean text as UTF-8.

use crate::catalog::T;
use crate::payments::{money, when};
use crate::users::Role;
use paygate_gateway::state::SharedState;
use paygate_payer_pages::Locale;
use paygate_payer_pages::html::Html;
use std::collections::HashMap;

/// The UTF-8 byte-order mark every export starts with.
pub const BOM: &str = "\u{feff}";

/// One cell's value; the HTML table and the CSV render it each their own way.
pub enum Cell {
    Text(String),
    /// An identifier (`<code>` in HTML).
    Code(String),
    /// A link to the object's page; the CSV gets the text.
    Link {
        href: String,
        text: String,
    },
    /// Minor units: formatted with the currency's exponent in HTML, the integer in CSV (the
    /// currency is a column of its own there).
    Money {
        minor: i64,
        currency: String,
    },
    /// Unix seconds: `YYYY-MM-DD hh:mm:ssZ` in both; empty when absent.
    Time(Option<i64>),
}

impl Cell {
    fn html(&self, h: &mut Html, l: Locale) {
        match self {
            Cell::Text(s) => {
                h.raw("<td>").text(s);
            }
            Cell::Code(s) => {
                h.raw("<td><code>").text(s).raw("</code>");
            }
            Cell::Link { href, text } => {
                h.raw("<td><a")
                    .attr("href", href)
                    .raw(">")
                    .text(text)
                    .raw("</a>");
            }
            Cell::Money { minor, currency } => {
                h.raw("<td class=\"num\">")
                    .text(&money(*minor, currency, l));
            }
            Cell::Time(t) => {
                h.raw("<td>").text(&t.map(when).unwrap_or_default());
            }
        }
        h.raw("</td>");
    }

    fn csv(&self) -> String {
        match self {
            Cell::Text(s) | Cell::Code(s) | Cell::Link { text: s, .. } => s.clone(),
            Cell::Money { minor, .. } => minor.to_string(),
            Cell::Time(t) => t.map(when).unwrap_or_default(),
        }
    }
}

/// Where a column appears.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Both,
    /// In the CSV only (e.g. the currency, which the HTML shows inside the amount).
    CsvOnly,
}

/// One column: its header on the page, its name in the CSV header, how a row fills it.
pub struct Column<R> {
    pub head: T,
    pub key: &'static str,
    pub cell: fn(&R) -> Cell,
    pub shown: Shown,
}

impl<R> Column<R> {
    pub const fn new(key: &'static str, head: T, cell: fn(&R) -> Cell) -> Column<R> {
        Column {
            head,
            key,
            cell,
            shown: Shown::Both,
        }
    }

    pub const fn csv_only(key: &'static str, head: T, cell: fn(&R) -> Cell) -> Column<R> {
        Column {
            head,
            key,
            cell,
            shown: Shown::CsvOnly,
        }
    }
}

/// A list the dashboard shows and exports: its columns and how its rows are found for a
/// viewer (only the merchants `role` sees) and the page's query string (filters, `mode`).
pub trait List {
    type Row: 'static;
    /// The file name of the export, without `.csv`; also the export's path segment.
    const NAME: &'static str;
    const COLUMNS: &'static [Column<Self::Row>];

    fn rows(
        st: &SharedState,
        role: &Role,
        q: &HashMap<String, String>,
    ) -> impl std::future::Future<Output = Result<Vec<Self::Row>, String>> + Send;
}

/// An HTML-only last column of buttons (forms) per row, e.g. resend or roll.
pub struct Actions<'a, R> {
    pub head: T,
    pub render: &'a dyn Fn(&mut Html, &R),
}

/// The `<table>` of `rows` under `cols` (CSV-only columns left out), or "None yet".
pub fn table<R>(
    h: &mut Html,
    l: Locale,
    cols: &[Column<R>],
    rows: &[R],
    actions: Option<Actions<'_, R>>,
) {
    if rows.is_empty() {
        h.raw("<p>").text(T::NoneYet.text(l)).raw("</p>");
        return;
    }
    let shown = || cols.iter().filter(|c| c.shown == Shown::Both);
    h.raw("<table><thead><tr>");
    for col in shown() {
        h.raw("<th scope=\"col\">")
            .text(col.head.text(l))
            .raw("</th>");
    }
    if let Some(a) = &actions {
        h.raw("<th scope=\"col\">")
            .text(a.head.text(l))
            .raw("</th>");
    }
    h.raw("</tr></thead><tbody>");
    for r in rows {
        h.raw("<tr>");
        for col in shown() {
            (col.cell)(r).html(h, l);
        }
        if let Some(a) = &actions {
            h.raw("<td>");
            (a.render)(h, r);
            h.raw("</td>");
        }
        h.raw("</tr>");
    }
    h.raw("</tbody></table>");
}

/// The link to a page's export, carrying the page's query string (its filters).
pub fn export_link(h: &mut Html, l: Locale, name: &str, raw_query: Option<&str>) {
    h.raw("<p><a class=\"export\"")
        .attr(
            "href",
            &format!("/dashboard/export/{name}?{}", raw_query.unwrap_or_default()),
        )
        .raw(">")
        .text(T::ExportCsv.text(l))
        .raw("</a></p>");
}

/// The CSV of `rows`: BOM, a header line of the columns' keys, one line per row, CRLF.
pub fn csv<R>(cols: &[Column<R>], rows: &[R]) -> String {
    let mut out = String::from(BOM);
    let line = |out: &mut String, cells: Vec<String>| {
        let cells: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    };
    line(&mut out, cols.iter().map(|c| c.key.to_string()).collect());
    for r in rows {
        line(&mut out, cols.iter().map(|c| (c.cell)(r).csv()).collect());
    }
    out
}

/// One CSV cell. Text a spreadsheet would run as a formula — starting with `=`, `+`, `-`, `@`,
/// tab or carriage return (OWASP) — gets a leading `'`, unless it is a plain integer (an
/// amount such as `-5000`, which no spreadsheet runs); then quoted when it holds a comma, a
/// quote or a line break, with quotes doubled (RFC 4180).
pub fn csv_cell(c: &str) -> String {
    let formula = c.starts_with(['=', '+', '-', '@', '\t', '\r']) && c.parse::<i64>().is_err();
    let c = if formula {
        format!("'{c}")
    } else {
        c.to_string()
    };
    if c.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_neutralized() {
        assert_eq!(csv_cell("pi_1"), "pi_1");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_cell("+1+cmd|' /C calc'!A0"), "'+1+cmd|' /C calc'!A0");
        assert_eq!(csv_cell("-2+3"), "'-2+3");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("-5000"), "-5000");
        assert_eq!(csv_cell("김,\"이\""), "\"김,\"\"이\"\"\"");
    }

    #[test]
    fn the_csv_starts_with_a_bom_and_the_keys_of_every_column() {
        const COLS: &[Column<(i64, &str)>] = &[
            Column::new("amount", T::Amount, |r| Cell::Money {
                minor: r.0,
                currency: r.1.to_string(),
            }),
            Column::csv_only("currency", T::Currency, |r| Cell::Text(r.1.to_string())),
        ];
        let out = csv(COLS, &[(-1500, "krw")]);
        assert_eq!(out, "\u{feff}amount,currency\r\n-1500,krw\r\n");
        let mut h = Html::new();
        table(&mut h, Locale::En, COLS, &[(-1500, "krw")], None);
        let html = h.into_string();
        assert!(
            html.contains(">Amount<") && !html.contains(">Currency<"),
            "{html}"
        );
    }
}
