//! Reconciliation of the gateway's books against the card network's report.
//!
//! The network is read through [`CounterpartyReport`]: the acquirer report of
//! `paygate_network::report` (one record per authorization, purchase, capture, refund and
//! reversal; `paygate sim network report --json` writes it, and so would a real acquirer host
//! adapted to paygate), never a simulator's own tables. The report's follow-ups are folded onto
//! their authorization ([`paygate_network::report::authorizations`]), giving each one's
//! *current* state (reversed, captured, refunded). [`reconcile`] walks every card-network charge (the
//! carrier's are reconciled against its settlement file, [`carrier`]) of every
//! merchant in both modes, pairs it with its authorization, and lists every disagreement as a
//! [`Problem`] naming the item (charge id, RRN, STAN, amount) and the side that lacks it; an
//! empty list is the proof that both books agree.
//!
//! # Pairing
//!
//! A succeeded charge keeps its network transaction under `_net` ([`crate::models::NetState`]):
//! the RRN of the answer and the `net_ref` of the request. It is paired with the network
//! authorization that has the same `rrn` **and** the same (`terminal_id`, `stan`,
//! `transmitted_at`) as `_net.net_ref` — the RRN alone could name another message in a report
//! that gathers several networks, and the message key alone could meet an answer the gateway
//! never saw. A declined charge has no `_net`; it is paired by the RRN the network answered
//! with (`payment_method_details.card.network_transaction_id`, or `.isp.` for an ISP charge).
//!
//! # Problems
//!
//! | kind | what disagrees |
//! |---|---|
//! | `missing_at_network` | a succeeded charge for which the network has no *approved* authorization with its RRN and message key (none at all, declined, or the RRN / message key belongs to another message — the detail says which) |
//! | `captured_mismatch` | the charge's `amount_captured` ≠ the network's captured amount |
//! | `refunded_mismatch` | the sum of the charge's succeeded `refund` objects ≠ the network's refunded amount |
//! | `reversal_mismatch` | the gateway canceled the authorization (charge `refunded` and not `captured`) but the network did not reverse it, or the network reversed it and the gateway did not cancel |
//! | `decline_mismatch` | a failed charge that carries a network response code, whose authorization the network approved (`response_code` "00") |
//! | `orphan_at_network` | an approved, unreversed authorization at the network that no charge is paired with: money held or taken without the merchant knowing. All terminals are reported; the detail gives terminal id, STAN, DE 7 and amounts |
//!
//! `missing_at_network` items are missing on the network's side, `orphan_at_network` items on
//! the gateway's ([`Problem::missing_on`]); the other kinds are two records that disagree.
//!
//! How the network's report accounts for amounts, which the checks rely on:
//! - a **0200 purchase** (automatic capture) is captured at once: `captured_amount` = the
//!   authorized amount from the approval on, so it agrees with the charge's
//!   `amount_captured`; a reversal (void) sets it back to 0;
//! - a **0100 authorization** has `captured_amount` 0 until its one 0220 capture, then the
//!   captured amount (a partial capture releases the rest of the hold). The charge reports that
//!   released rest in `amount_refunded` (Stripe's convention), which is why refunds are compared
//!   as the sum of refund objects, never as `amount_refunded`;
//! - `refunded_amount` is the sum of the approved 0200/20 refunds; `reversed` is set by a 0400
//!   and sets `captured_amount` to 0.
//!
//! A charge with a status other than `succeeded` or `failed` is counted and otherwise skipped
//! (the flows write no other). A failed charge without a network response code never got an
//! answer; its authorization, if the network approved it, was reversed by the link — and if
//! that reversal never landed, the authorization shows up as `orphan_at_network`.
//!
//! # Consistency
//!
//! The report is read before the store is walked. On a gateway that is taking payments, a
//! payment between the two reads shows up as a `missing_at_network` (charge newer than the
//! report) and a payment in flight as an `orphan_at_network` (its detail then names the
//! gateway's unfinished attempt). Reconcile a quiet gateway, or re-run and keep only the
//! problems that persist.

pub mod carrier;
pub mod clearing;
mod problems;
mod refund_totals;

use crate::models::{Charge, NetState};
use paygate_network::report::{AuthorizationState, CounterpartyReport, ReportKind, authorizations};
use paygate_store::{ADMIN_LIST_MAX_ROWS, ListQuery, Scope, Store};
use problems::Item;
pub use problems::{Problem, ReconcileReport, Side, kind};
use refund_totals::RefundTotals;
use serde_json::Value;
use std::collections::HashMap;

/// Objects per page when walking charges and refunds (the store's largest page).
pub const PAGE_LIMIT: usize = 100;

/// DE 39 of an approval.
const APPROVED: &str = "00";

/// Compares every charge in `store` with the network's `report`. `Err` when the report or
/// the books cannot be read completely.
pub async fn reconcile(
    store: &Store,
    report: &dyn CounterpartyReport,
) -> Result<ReconcileReport, String> {
    let records = report.records().map_err(|e| e.to_string())?;
    let auths = authorizations(&records);
    let mut network = Network::index(&auths);
    let mut report = ReconcileReport {
        network_authorizations: network.auths.len() as u64,
        ..ReconcileReport::default()
    };
    let merchants = store
        .list_merchants()
        .await
        .map_err(|e| format!("listing merchants: {e}"))?;
    if merchants.len() >= ADMIN_LIST_MAX_ROWS {
        // A truncated walk would report the other merchants' payments as orphans.
        return Err(format!(
            "{} merchants reach the store's listing cap of {ADMIN_LIST_MAX_ROWS}: some may be missing, \
             so the reconciliation would be incomplete",
            merchants.len()
        ));
    }
    for m in &merchants {
        for livemode in [false, true] {
            let scope = Scope {
                merchant_id: m.id.clone(),
                livemode,
            };
            check_scope(store, &scope, &mut network, &mut report).await?;
        }
    }
    let attempts = open_authorizations(store).await?;
    report_orphans(&network, &attempts, &mut report);
    Ok(report)
}

/// (terminal id, STAN, DE 7): how the network names a request.
type MsgKey = (String, String, String);

fn entry_key(a: &AuthorizationState) -> MsgKey {
    (
        a.terminal_id.clone(),
        a.stan.clone(),
        a.transmitted_at.clone(),
    )
}

/// The network's authorizations, indexed, and which of them a charge claimed.
struct Network<'a> {
    auths: Vec<&'a AuthorizationState>,
    by_rrn: HashMap<&'a str, Vec<usize>>,
    by_msg: HashMap<MsgKey, Vec<usize>>,
    claimed: Vec<bool>,
}

/// Where a succeeded charge's network transaction was found.
enum Found {
    /// Same RRN and same message key.
    Exact(usize),
    /// The message is known under another RRN.
    SameMessage(usize),
    /// The RRN belongs to another message.
    SameRrn(usize),
    Nothing,
}

impl<'a> Network<'a> {
    fn index(auths: &'a [AuthorizationState]) -> Network<'a> {
        let mut net = Network {
            auths: Vec::new(),
            by_rrn: HashMap::new(),
            by_msg: HashMap::new(),
            claimed: Vec::new(),
        };
        for a in auths {
            let same = net
                .by_msg
                .get(&entry_key(a))
                .into_iter()
                .flatten()
                .any(|&i| net.auths[i].rrn == a.rrn);
            if same {
                // The same authorization reported twice shows the same current state.
                continue;
            }
            let i = net.auths.len();
            net.auths.push(a);
            net.claimed.push(false);
            net.by_rrn.entry(a.rrn.as_str()).or_default().push(i);
            net.by_msg.entry(entry_key(a)).or_default().push(i);
        }
        net
    }

    fn locate(&self, rrn: &str, msg: &MsgKey) -> Found {
        let by_rrn = self.by_rrn.get(rrn).map(Vec::as_slice).unwrap_or_default();
        if let Some(&i) = by_rrn.iter().find(|&&i| entry_key(self.auths[i]) == *msg) {
            return Found::Exact(i);
        }
        if let Some(&i) = self.by_msg.get(msg).and_then(|v| v.first()) {
            return Found::SameMessage(i);
        }
        by_rrn
            .first()
            .map_or(Found::Nothing, |&i| Found::SameRrn(i))
    }

    /// Claims the authorization of a succeeded charge: same RRN and same message key. `Err`
    /// says what the network has instead.
    fn pair(&mut self, net: &NetState) -> Result<&'a AuthorizationState, String> {
        let r = card_ref(net)?;
        let msg: MsgKey = (
            r.terminal_id.clone(),
            r.stan.clone(),
            r.transmitted_at.clone(),
        );
        let msg_text = format!(
            "terminal {} stan {} transmitted {}",
            r.terminal_id, r.stan, r.transmitted_at
        );
        match self.locate(&net.rrn, &msg) {
            Found::Exact(i) => {
                self.claimed[i] = true;
                Ok(self.auths[i])
            }
            Found::SameMessage(i) => {
                // The message is accounted for by this charge (no orphan); only the RRN differs.
                self.claimed[i] = true;
                Err(format!(
                    "the network answered {msg_text} with RRN {}, not {}",
                    self.auths[i].rrn, net.rrn
                ))
            }
            Found::SameRrn(i) => {
                let a = self.auths[i];
                Err(format!(
                    "RRN {} at the network belongs to terminal {} stan {} transmitted {}, not to this charge's {msg_text}",
                    net.rrn, a.terminal_id, a.stan, a.transmitted_at
                ))
            }
            Found::Nothing => Err(format!(
                "the network has no authorization with RRN {} ({msg_text})",
                net.rrn
            )),
        }
    }

    /// Claims the authorization a declined charge's RRN names, if the network has one.
    fn claim_by_rrn(&mut self, rrn: &str) -> Option<&'a AuthorizationState> {
        let i = self.by_rrn.get(rrn).and_then(|v| v.first().copied())?;
        self.claimed[i] = true;
        Some(self.auths[i])
    }
}

fn mode(scope: &Scope) -> &'static str {
    if scope.livemode { "live" } else { "test" }
}

/// Walks every charge of one merchant and mode, newest first, a page at a time.
async fn check_scope(
    store: &Store,
    scope: &Scope,
    network: &mut Network<'_>,
    report: &mut ReconcileReport,
) -> Result<(), String> {
    let refunds = RefundTotals::load(store, scope).await?;
    let mut q = ListQuery::new("charge", PAGE_LIMIT);
    loop {
        let page = store.list_objects(scope, &q).await.map_err(|e| {
            format!(
                "listing charges of {} ({} mode): {e}",
                scope.merchant_id,
                mode(scope)
            )
        })?;
        for row in &page.data {
            let ch: Charge = serde_json::from_value(row.data.clone()).map_err(|e| {
                format!("charge {}: the stored document does not parse: {e}", row.id)
            })?;
            // Charges of other counterparties (the bank's virtual accounts) are reconciled
            // with their own counterparty's journal (`reconcile_bank`).
            if ch.processor != paygate_ledger::Counterparty::CardNetwork {
                continue;
            }
            report.charges_checked += 1;
            match ch.status.as_str() {
                "succeeded" => check_succeeded(&ch, &refunds, network, report),
                "failed" => check_declined(&ch, network, report),
                _ => {}
            }
        }
        match (page.has_more, page.data.last()) {
            (true, Some(last)) => q.starting_after = Some(last.id.clone()),
            _ => return Ok(()),
        }
    }
}

/// Pairs a succeeded charge with its approved authorization and compares their states.
fn check_succeeded(
    ch: &Charge,
    refunds: &RefundTotals,
    network: &mut Network<'_>,
    report: &mut ReconcileReport,
) {
    let Some(net) = &ch.net else {
        let detail = "succeeded charge without a network reference (_net)".to_string();
        report.push(kind::MISSING_AT_NETWORK, Item::charge(ch, None), detail);
        return;
    };
    let a = match network.pair(net) {
        Ok(a) => a,
        Err(detail) => {
            let item = Item::charge(ch, Some(&net.rrn));
            report.push(kind::MISSING_AT_NETWORK, item, detail);
            return;
        }
    };
    report.matched += 1;
    if a.response_code != APPROVED {
        let detail = format!(
            "the network declined this authorization with {}",
            a.response_code
        );
        let item = Item::charge(ch, Some(&net.rrn));
        report.push(kind::MISSING_AT_NETWORK, item, detail);
        return;
    }
    compare_states(ch, a, &net.rrn, report);
    let refunded = refunds.of(&ch.id);
    if refunded != a.refunded_amount {
        let detail = refund_detail(ch, refunded, a.refunded_amount);
        let item = Item::charge(ch, Some(&net.rrn));
        report.push(kind::REFUNDED_MISMATCH, item, detail);
    }
}

/// Reversal and capture of a paired charge against its authorization.
fn compare_states(ch: &Charge, a: &AuthorizationState, rrn: &str, report: &mut ReconcileReport) {
    let canceled = ch.refunded && !ch.captured;
    if canceled != a.reversed {
        let detail = if canceled {
            format!(
                "the gateway canceled the authorization but the network did not reverse it ({} {} still held or taken)",
                a.amount, ch.currency
            )
        } else {
            format!(
                "the network reversed the authorization but the gateway did not cancel it (charge captured: {})",
                ch.captured
            )
        };
        report.push(kind::REVERSAL_MISMATCH, Item::charge(ch, Some(rrn)), detail);
    }
    if ch.amount_captured != a.captured_amount {
        let detail = format!(
            "captured {} {} at the gateway, {} at the network ({} {})",
            ch.amount_captured,
            ch.currency,
            a.captured_amount,
            a.kind.mti(),
            purchase_note(a)
        );
        report.push(kind::CAPTURED_MISMATCH, Item::charge(ch, Some(rrn)), detail);
    }
}

fn purchase_note(a: &AuthorizationState) -> &'static str {
    if a.kind == ReportKind::Purchase {
        "purchase, captured on approval"
    } else {
        "authorization, captured by its 0220"
    }
}

fn refund_detail(ch: &Charge, refunded: i64, at_network: i64) -> String {
    let mut detail = format!(
        "succeeded refunds total {refunded} {} at the gateway, {at_network} at the network",
        ch.currency
    );
    if ch.refund_reserved > 0 {
        detail.push_str(&format!(
            "; {} is reserved by a refund still talking to the network",
            ch.refund_reserved
        ));
    }
    detail
}

/// A declined charge that carries a network response code must not be approved at the network.
fn check_declined(ch: &Charge, network: &mut Network<'_>, report: &mut ReconcileReport) {
    let Some(code) = ch
        .outcome
        .get("network_decline_code")
        .and_then(Value::as_str)
    else {
        return; // never answered by the network: nothing to pair
    };
    let kind = ch.payment_method_details["type"].as_str().unwrap_or("card");
    let rrn = ch.payment_method_details[kind]["network_transaction_id"]
        .as_str()
        .unwrap_or_default();
    if rrn.is_empty() {
        return;
    }
    let Some(a) = network.claim_by_rrn(rrn) else {
        return; // nothing at the network under this RRN agrees with a decline
    };
    report.matched += 1;
    if a.response_code == APPROVED {
        let detail = format!(
            "the gateway recorded decline {code} but the network approved {} {} (reversed: {}, captured {}, refunded {})",
            a.amount, ch.currency, a.reversed, a.captured_amount, a.refunded_amount
        );
        report.push(kind::DECLINE_MISMATCH, Item::charge(ch, Some(rrn)), detail);
    }
}

/// Message keys of authorizations the gateway has sent but not finished (crash-recovery
/// records), with the record id: an orphan among them is in flight or awaiting recovery.
async fn open_authorizations(store: &Store) -> Result<HashMap<MsgKey, String>, String> {
    let rows = store
        .attempts(None)
        .await
        .map_err(|e| format!("listing unfinished attempts: {e}"))?;
    let mut open = HashMap::new();
    for row in rows {
        let r = &row.data["net_ref"];
        if let (Some(t), Some(s), Some(d)) = (
            r["terminal_id"].as_str(),
            r["stan"].as_str(),
            r["transmitted_at"].as_str(),
        ) {
            open.insert((t.to_string(), s.to_string(), d.to_string()), row.id);
        }
    }
    Ok(open)
}

/// Approved, unreversed authorizations that no charge claimed.
fn report_orphans(
    network: &Network<'_>,
    open: &HashMap<MsgKey, String>,
    report: &mut ReconcileReport,
) {
    for (i, a) in network.auths.iter().enumerate() {
        if network.claimed[i] || a.response_code != APPROVED || a.reversed {
            continue;
        }
        let mut detail = format!(
            "approved {} with no charge at the gateway: terminal {} stan {} transmitted {}, amount {} (currency {}), captured {}, refunded {}",
            a.kind.mti(),
            a.terminal_id,
            a.stan,
            a.transmitted_at,
            a.amount,
            a.currency,
            a.captured_amount,
            a.refunded_amount
        );
        if let Some(attempt) = open.get(&entry_key(a)) {
            detail.push_str(&format!("; the gateway's unfinished attempt {attempt} names it (in flight, or recovery will reverse it)"));
        }
        report.push(kind::ORPHAN_AT_NETWORK, Item::network(a), detail);
    }
}

/// The card network's name of a charge's authorization (terminal, STAN, transmission time):
/// this reconciliation is against the card network's report, so it reads the card
/// connector's reference.
pub(crate) fn card_ref(net: &NetState) -> Result<paygate_network::link::NetRef, String> {
    serde::Deserialize::deserialize(&net.net_ref.0)
        .map_err(|e| format!("not a card network reference: {e}"))
}
