//! `/dashboard/charts`: what people would rather look at than read — payments per day,
//! approved amount per day (one chart per currency, minor units read with the currency's
//! exponent) and approval rate per method over the last [`DAYS`] days, decline reasons (from the charges of
//! the viewer's merchants), and the API's latency p50/p99 (the gateway's own histogram, the
//! one `/metrics` exposes). Server-rendered SVG with a table of the same numbers ([`svg`]).

use crate::catalog::T;
use crate::layout;
use crate::payments::{merchants, money};
use crate::svg::{self, Chart, Series};
use crate::tables;
use crate::users::Role;
use crate::web;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use paygate_gateway::state::SharedState;
use paygate_payer_pages::Locale;
use paygate_payer_pages::html::Html;
use paygate_store::{ListQuery, Scope};
use serde_json::Value;
use std::collections::BTreeMap;

/// How many days the charts cover (today, UTC, and the days before).
pub const DAYS: i64 = 14;
/// Most charges read per merchant for one page (pages of 100).
const MAX_CHARGES: usize = 1_000;
const DAY_S: i64 = 86_400;

/// Attempts (approved or declined) and approvals per method per day, and declines by reason.
pub struct Tally {
    /// The first second of the first day.
    start: i64,
    /// Per method: per day `(attempted, approved)`.
    pub methods: BTreeMap<String, Vec<(i64, i64)>>,
    /// Per currency, per method: the approved amount per day, in minor units (amounts in
    /// different currencies never add up).
    pub amounts: BTreeMap<String, BTreeMap<String, Vec<i64>>>,
    pub declines: BTreeMap<String, i64>,
}

impl Tally {
    pub fn new(now: i64) -> Tally {
        Tally {
            start: now - now.rem_euclid(DAY_S) - (DAYS - 1) * DAY_S,
            methods: BTreeMap::new(),
            amounts: BTreeMap::new(),
            declines: BTreeMap::new(),
        }
    }

    /// Counts one charge document created at `created`; pending ones (not decided yet) and
    /// those outside the window are left out.
    pub fn add(&mut self, created: i64, charge: &Value) {
        let day = (created - self.start).div_euclid(DAY_S);
        let approved = match charge["status"].as_str() {
            Some("succeeded") => true,
            Some("failed") => false,
            _ => return,
        };
        if !(0..DAYS).contains(&day) {
            return;
        }
        let method = charge["payment_method_details"]["type"]
            .as_str()
            .unwrap_or("card");
        let days = self
            .methods
            .entry(method.to_string())
            .or_insert_with(|| vec![(0, 0); DAYS as usize]);
        days[day as usize].0 += 1;
        if approved {
            days[day as usize].1 += 1;
            let currency = charge["currency"].as_str().unwrap_or("krw");
            let per_day = self
                .amounts
                .entry(currency.to_string())
                .or_default()
                .entry(method.to_string())
                .or_insert_with(|| vec![0; DAYS as usize]);
            per_day[day as usize] += charge["amount"].as_i64().unwrap_or(0);
            return;
        }
        let reason = charge["outcome"]["reason"]
            .as_str()
            .or(charge["failure_code"].as_str())
            .unwrap_or("unknown");
        *self.declines.entry(reason.to_string()).or_default() += 1;
    }

    /// `MM-DD` of each day.
    pub fn labels(&self) -> Vec<String> {
        let fmt = time::macros::format_description!("[month]-[day]");
        (0..DAYS)
            .map(|d| {
                time::OffsetDateTime::from_unix_timestamp(self.start + d * DAY_S)
                    .ok()
                    .and_then(|t| t.format(&fmt).ok())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// Attempts per method per day.
    pub fn volume(&self) -> Vec<Series> {
        self.series(|(attempted, _)| Some(attempted))
    }

    /// Approved per mille of attempts, per method per day (`None` on a day without any).
    pub fn approval(&self) -> Vec<Series> {
        self.series(|(attempted, approved)| (attempted > 0).then(|| approved * 1000 / attempted))
    }

    /// The approved amount per method per day in `currency` (minor units).
    pub fn amount(&self, currency: &str) -> Vec<Series> {
        self.amounts
            .get(currency)
            .into_iter()
            .flatten()
            .map(|(m, days)| Series {
                name: m.clone(),
                values: days.iter().map(|a| Some(*a)).collect(),
            })
            .collect()
    }

    fn series(&self, value: impl Fn((i64, i64)) -> Option<i64>) -> Vec<Series> {
        self.methods
            .iter()
            .map(|(m, days)| Series {
                name: m.clone(),
                values: days.iter().map(|d| value(*d)).collect(),
            })
            .collect()
    }
}

/// Reads the charges of the viewer's merchants created in the window.
async fn tally(st: &SharedState, role: &Role, livemode: bool) -> Result<Tally, String> {
    let mut t = Tally::new(st.clock.now());
    for m in merchants(st, role).await? {
        let scope = Scope {
            merchant_id: m,
            livemode,
        };
        let mut after = None;
        let mut read = 0;
        while read < MAX_CHARGES {
            let mut q = ListQuery::new("charge", 100);
            q.created_gte = Some(t.start);
            q.starting_after = after.take();
            let page = st
                .store
                .list_objects(&scope, &q)
                .await
                .map_err(|e| e.to_string())?;
            read += page.data.len();
            for row in &page.data {
                t.add(row.created, &row.data);
            }
            match page.data.last() {
                Some(last) if page.has_more => after = Some(last.id.clone()),
                _ => break,
            }
        }
    }
    Ok(t)
}

fn count(v: i64) -> String {
    v.to_string()
}

/// Per mille as a percentage with one decimal (`975` → `97.5%`).
pub fn percent(pm: i64) -> String {
    format!("{}.{}%", pm / 10, pm % 10)
}

/// Microseconds as milliseconds with one decimal (`2500` → `2.5 ms`).
pub fn millis(us: i64) -> String {
    format!("{}.{} ms", us / 1000, us % 1000 / 100)
}

/// `GET /dashboard/charts`.
pub async fn show(
    State(st): State<SharedState>,
    peer: web::Peer,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let v = match web::viewer(&st, &headers, raw.as_deref(), peer.0.as_ref()).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let live = tables::livemode(&web::query(raw.as_deref()));
    let t = match tally(&st, &v.user.role, live).await {
        Ok(t) => t,
        Err(e) => return web::server_error(v.locale, &e),
    };
    let c = v.chrome();
    let mut h = Html::new();
    method_charts(&mut h, v.locale, &t);
    declines_chart(&mut h, v.locale, &t);
    latency_chart(&mut h, v.locale, &st);
    layout::page(&c, StatusCode::OK, c.t(T::Charts), h)
}

fn chart<'a>(
    l: Locale,
    id: &'a str,
    title: T,
    desc: T,
    labels: &'a [String],
    series: &'a [Series],
) -> Chart<'a> {
    Chart {
        id,
        title: title.text(l),
        desc: desc.text(l),
        labels,
        series,
        format: &count,
        label_head: T::Day.text(l),
        table_summary: T::DataTable.text(l),
    }
}

fn no_data(h: &mut Html, l: Locale, title: T) {
    h.raw("<h2>")
        .text(title.text(l))
        .raw("</h2><p>")
        .text(T::NoData.text(l))
        .raw("</p>");
}

fn method_charts(h: &mut Html, l: Locale, t: &Tally) {
    if t.methods.is_empty() {
        no_data(h, l, T::ChartVolume);
        no_data(h, l, T::ChartApproval);
        return;
    }
    let labels = t.labels();
    let volume = t.volume();
    svg::bars(
        h,
        &chart(
            l,
            "volume",
            T::ChartVolume,
            T::ChartVolumeDesc,
            &labels,
            &volume,
        ),
    );
    for currency in t.amounts.keys() {
        let series = t.amount(currency);
        let id = format!("amount-{currency}");
        let title = format!("{} · {}", T::ChartAmount.text(l), currency.to_uppercase());
        let in_currency = |v: i64| money(v, currency, l);
        let mut c = chart(l, &id, T::ChartAmount, T::ChartAmountDesc, &labels, &series);
        c.title = &title;
        c.format = &in_currency;
        svg::bars(h, &c);
    }
    let approval = t.approval();
    let mut c = chart(
        l,
        "approval",
        T::ChartApproval,
        T::ChartApprovalDesc,
        &labels,
        &approval,
    );
    c.format = &percent;
    svg::lines(h, &c);
}

fn declines_chart(h: &mut Html, l: Locale, t: &Tally) {
    if t.declines.is_empty() {
        return no_data(h, l, T::ChartDeclines);
    }
    let mut reasons: Vec<(&String, &i64)> = t.declines.iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let labels: Vec<String> = reasons.iter().map(|(r, _)| (*r).clone()).collect();
    let series = [Series {
        name: T::Count.text(l).to_string(),
        values: reasons.iter().map(|(_, n)| Some(**n)).collect(),
    }];
    let mut c = chart(
        l,
        "declines",
        T::ChartDeclines,
        T::ChartDeclinesDesc,
        &labels,
        &series,
    );
    c.label_head = T::Reason.text(l);
    svg::hbars(h, &c);
}

fn latency_chart(h: &mut Html, l: Locale, st: &SharedState) {
    let m = &st.metrics;
    let (Some(p50), Some(p99)) = (m.latency_quantile_us(500), m.latency_quantile_us(990)) else {
        return no_data(h, l, T::ChartLatency);
    };
    let labels = ["p50".to_string(), "p99".to_string()];
    let series = [Series {
        name: T::Latency.text(l).to_string(),
        values: vec![i64::try_from(p50).ok(), i64::try_from(p99).ok()],
    }];
    let mut c = chart(
        l,
        "latency",
        T::ChartLatency,
        T::ChartLatencyDesc,
        &labels,
        &series,
    );
    c.label_head = T::Quantile.text(l);
    c.format = &millis;
    svg::hbars(h, &c);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn charges_are_counted_per_method_and_day_with_reasons() {
        let now = 1_900_000_000; // 2030-03-17T17:46:40Z
        let mut t = Tally::new(now);
        let ok = json!({"status": "succeeded", "payment_method_details": {"type": "card"},
                        "amount": 15000, "currency": "krw"});
        let usd = json!({"status": "succeeded", "payment_method_details": {"type": "card"},
                         "amount": 1999, "currency": "usd"});
        t.add(now, &usd);
        let no = json!({"status": "failed", "payment_method_details": {"type": "card"},
                        "failure_code": "card_declined", "outcome": {"reason": "insufficient_funds"}});
        let pending = json!({"status": "pending", "payment_method_details": {"type": "card"}});
        for c in [&ok, &ok, &ok, &no, &pending] {
            t.add(now, c);
        }
        t.add(now - DAYS * DAY_S, &ok); // before the window
        let card = &t.methods["card"];
        assert_eq!(card[13], (5, 4));
        assert_eq!(t.amount("krw")[0].values[13], Some(45_000));
        assert_eq!(t.amount("usd")[0].values[13], Some(1999));
        assert_eq!(t.amount("krw")[0].values[12], Some(0));
        assert_eq!(card[..13].iter().map(|d| d.0).sum::<i64>(), 0);
        assert_eq!(t.approval()[0].values[13], Some(800));
        assert_eq!(t.approval()[0].values[12], None);
        assert_eq!(t.declines["insufficient_funds"], 1);
        assert_eq!(t.labels()[13], "03-17");
        assert_eq!(t.labels()[0], "03-04");
    }

    #[test]
    fn numbers_read_without_floats() {
        assert_eq!(percent(975), "97.5%");
        assert_eq!(percent(1000), "100.0%");
        assert_eq!(millis(2_500), "2.5 ms");
        assert_eq!(millis(500), "0.5 ms");
    }
}
