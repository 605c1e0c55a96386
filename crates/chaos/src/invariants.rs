//! After the heal: wait for the cluster to settle, then check what must hold under any fault.
//!
//! | invariant | violation names |
//! |---|---|
//! | every idempotency key → at most one payment holding money (at most one refund), and the client's final answer matches it | `duplicate_payment`, `duplicate_refund`, `replay_differs`, `answer_mismatch`, `unanswered_key` |
//! | the ledger balances (`paygate ledger verify`) | `ledger_unbalanced` |
//! | every approved, unreversed authorization at the network belongs to exactly one succeeded payment and vice versa (`paygate reconcile` against the network simulator's journal) | the reconcile problem's kind: `orphan_at_network`, `missing_at_network`, `captured_mismatch`, …; `payment_stuck_processing` |
//! | every event delivered to the subscribed endpoint at least once with a valid signature | `event_not_delivered`, `bad_signature` |
//! | no request answered 5xx after the heal | `server_error_after_heal` |

use crate::api::{Answer, Api};
use crate::cluster::Cluster;
use crate::receiver::Received;
use crate::workload::{Book, KeyRecord, Op};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Serialize)]
pub struct Violation {
    pub invariant: String,
    pub detail: String,
}

fn v(invariant: &str, detail: impl Into<String>) -> Violation {
    Violation {
        invariant: invariant.into(),
        detail: detail.into(),
    }
}

/// What the books hold at the end.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Totals {
    pub payments: usize,
    pub succeeded: usize,
    pub requires_capture: usize,
    pub refunds: usize,
    pub events: usize,
    pub events_delivered: usize,
    pub ledger_entries: u64,
    /// Keys whose intent was recovered after a crash and whose retry made a second intent.
    pub reruns_after_recovery: usize,
}

/// Waits (up to `timeout`) until no payment is `processing` and every event has reached the
/// receiver; true when it got there.
pub async fn wait_settled(api: &Api, received: &Received, timeout: Duration) -> bool {
    let until = Instant::now() + timeout;
    loop {
        let quiet = match (
            api.list_all("/v1/payment_intents").await,
            api.list_all("/v1/events").await,
        ) {
            (Ok(pis), Ok(events)) => {
                let delivered = received.valid.lock().map(|s| s.clone()).unwrap_or_default();
                !pis.iter().any(|p| p["status"] == "processing")
                    && events
                        .iter()
                        .all(|e| e["id"].as_str().is_some_and(|id| delivered.contains(id)))
            }
            _ => false,
        };
        if quiet {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

pub async fn check(
    c: &Cluster,
    book: &Book,
    received: &Received,
) -> Result<(Vec<Violation>, Totals), String> {
    let mut out = Vec::new();
    let mut totals = Totals::default();
    let pis = book.api.list_all("/v1/payment_intents").await?;
    let refunds = book.api.list_all("/v1/refunds").await?;
    totals.payments = pis.len();
    totals.succeeded = pis.iter().filter(|p| p["status"] == "succeeded").count();
    totals.requires_capture = pis
        .iter()
        .filter(|p| p["status"] == "requires_capture")
        .count();
    totals.refunds = refunds.len();
    for p in pis.iter().filter(|p| p["status"] == "processing") {
        out.push(v(
            "payment_stuck_processing",
            format!("{} is still processing after the heal", p["id"]),
        ));
    }
    keys(
        &book.snapshot(),
        &pis,
        &refunds,
        &mut totals.reruns_after_recovery,
        &mut out,
    );
    ledger(c, &mut out, &mut totals).await?;
    network(c, &mut out).await?;
    webhooks(book, received, &mut out, &mut totals).await?;
    for line in book
        .after_heal_5xx
        .lock()
        .map(|l| l.clone())
        .unwrap_or_default()
    {
        out.push(v("server_error_after_heal", line));
    }
    Ok((out, totals))
}

/// Objects by their `metadata[chaos_key]`.
fn by_key(objects: &[Value]) -> HashMap<String, Vec<&Value>> {
    let mut m: HashMap<String, Vec<&Value>> = HashMap::new();
    for o in objects {
        if let Some(k) = o["metadata"]["chaos_key"].as_str() {
            m.entry(k.to_string()).or_default().push(o);
        }
    }
    m
}

/// Statuses an intent may have now, given the status its create answered.
fn compatible(answered: &str, now: &str) -> bool {
    match answered {
        "succeeded" => now == "succeeded",
        "requires_capture" => matches!(now, "requires_capture" | "succeeded" | "canceled"),
        "requires_payment_method" => now == "requires_payment_method",
        _ => true,
    }
}

fn made<'a>(by: &'a HashMap<String, Vec<&'a Value>>, key: &str) -> &'a [&'a Value] {
    by.get(key).map_or(&[], |m| m.as_slice())
}

fn keys(
    records: &[KeyRecord],
    pis: &[Value],
    refunds: &[Value],
    reruns: &mut usize,
    out: &mut Vec<Violation>,
) {
    let pis_by_key = by_key(pis);
    let refunds_by_key = by_key(refunds);
    let pi_by_id: HashMap<&str, &Value> = pis
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    for r in records {
        let Some(last) = r.answers.last() else {
            out.push(v(
                "unanswered_key",
                format!("{} ({:?}) never got a final answer", r.key, r.op),
            ));
            continue;
        };
        if r.answers.iter().any(|a| a != last) {
            out.push(v(
                "replay_differs",
                format!("{}: answers {:?}", r.key, r.answers),
            ));
        }
        match r.op {
            Op::Create => create_key(&r.key, last, made(&pis_by_key, &r.key), reruns, out),
            Op::Refund => refund_key(&r.key, last, made(&refunds_by_key, &r.key), out),
            Op::Capture => {
                let now = r
                    .intent
                    .as_deref()
                    .and_then(|id| pi_by_id.get(id))
                    .and_then(|p| p["status"].as_str());
                if last.status.as_deref() == Some("succeeded") && now != Some("succeeded") {
                    out.push(v(
                        "answer_mismatch",
                        format!("{}: capture answered succeeded, intent is {now:?}", r.key),
                    ));
                }
            }
        }
    }
}

/// Statuses of an intent that holds or took the payer's money (or may have: `processing`).
fn holds_money(pi: &Value) -> bool {
    matches!(
        pi["status"].as_str(),
        Some("succeeded" | "requires_capture" | "processing")
    )
}

/// A create's key: at most one intent holding money, the client's final answer names that one
/// (or, when none holds money, one the key made) in a status the answer allows. An intent the
/// key made before a crash, recovered to `requires_payment_method`, and a second one the
/// retry then made (the documented rerun: docs/OPERATIONS.md "Stop and restart") is counted
/// in `reruns`, not a violation: the payer was charged once and the client knows the one.
fn create_key(
    key: &str,
    last: &Answer,
    made: &[&Value],
    reruns: &mut usize,
    out: &mut Vec<Violation>,
) {
    let ids = |objs: &[&Value]| {
        objs.iter()
            .filter_map(|o| o["id"].as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let holding: Vec<&Value> = made.iter().copied().filter(|p| holds_money(p)).collect();
    if holding.len() > 1 {
        out.push(v(
            "duplicate_payment",
            format!("{key} holds money in {}: {}", holding.len(), ids(&holding)),
        ));
        return;
    }
    if made.len() > 1 {
        *reruns += 1;
    }
    let answered = made.iter().find(|p| p["id"].as_str() == last.id.as_deref());
    let named_right = match (answered, holding.first()) {
        (None, _) => last.id.is_none() && made.is_empty(),
        (Some(a), Some(h)) => a["id"] == h["id"],
        (Some(_), None) => true,
    };
    if !named_right {
        out.push(v(
            "answer_mismatch",
            format!(
                "{key}: the client was answered {:?}, the books hold {}",
                last.id,
                ids(made)
            ),
        ));
        return;
    }
    if let (Some(p), Some(answered_status)) = (answered, last.status.as_deref()) {
        let now = p["status"].as_str().unwrap_or("");
        if !compatible(answered_status, now) {
            out.push(v(
                "answer_mismatch",
                format!("{key}: answered {answered_status}, the intent is {now}"),
            ));
        }
    }
}

/// A refund's key: at most one refund, the one its final answer named.
fn refund_key(key: &str, last: &Answer, made: &[&Value], out: &mut Vec<Violation>) {
    if made.len() > 1 {
        let ids: Vec<&str> = made.iter().filter_map(|o| o["id"].as_str()).collect();
        out.push(v(
            "duplicate_refund",
            format!("{key} made {}: {}", made.len(), ids.join(", ")),
        ));
        return;
    }
    let obj_id = made.first().and_then(|o| o["id"].as_str());
    if last.id.as_deref() != obj_id {
        out.push(v(
            "answer_mismatch",
            format!(
                "{key}: the client was answered {:?}, the books hold {obj_id:?}",
                last.id
            ),
        ));
    }
}

async fn ledger(c: &Cluster, out: &mut Vec<Violation>, totals: &mut Totals) -> Result<(), String> {
    let text = c.operator(&["ledger", "verify", "--json"]).await?;
    let r: Value =
        serde_json::from_str(text.trim()).map_err(|e| format!("ledger verify: {e}: {text}"))?;
    totals.ledger_entries = r["entries"].as_u64().unwrap_or(0);
    for p in r["problems"].as_array().into_iter().flatten() {
        out.push(v("ledger_unbalanced", p.to_string()));
    }
    Ok(())
}

async fn network(c: &Cluster, out: &mut Vec<Violation>) -> Result<(), String> {
    let dir = c.simulator("network").data_dir.display().to_string();
    let text = c
        .operator(&["reconcile", "--network-journal", &dir, "--json"])
        .await?;
    let r: Value =
        serde_json::from_str(text.trim()).map_err(|e| format!("reconcile: {e}: {text}"))?;
    for p in r["problems"].as_array().into_iter().flatten() {
        let kind = p["kind"].as_str().unwrap_or("reconcile_problem");
        let detail = format!(
            "charge={} rrn={} stan={} amount={}: {}",
            p["charge"].as_str().unwrap_or("-"),
            p["rrn"].as_str().unwrap_or("-"),
            p["stan"].as_str().unwrap_or("-"),
            p["amount"],
            p["detail"].as_str().unwrap_or("")
        );
        out.push(v(kind, detail));
    }
    Ok(())
}

async fn webhooks(
    book: &Book,
    received: &Received,
    out: &mut Vec<Violation>,
    totals: &mut Totals,
) -> Result<(), String> {
    let events = book.api.list_all("/v1/events").await?;
    let delivered = received.valid.lock().map(|s| s.clone()).unwrap_or_default();
    totals.events = events.len();
    for e in &events {
        let id = e["id"].as_str().unwrap_or("");
        if delivered.contains(id) {
            totals.events_delivered += 1;
        } else {
            out.push(v(
                "event_not_delivered",
                format!("{id} ({})", e["type"].as_str().unwrap_or("?")),
            ));
        }
    }
    let bad = received.bad_signatures.load(Ordering::Relaxed);
    if bad > 0 {
        out.push(v(
            "bad_signature",
            format!("{bad} deliveries without a valid Stripe-Signature"),
        ));
    }
    Ok(())
}
