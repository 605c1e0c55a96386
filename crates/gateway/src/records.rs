//! Store ops that record objects and the events reporting them (the transactional outbox:
//! an event is written in the same unit as the change it reports).

use crate::ids::new_id;
use crate::render::public;
use paygate_store::{EventRow, ObjectRow, Op, Scope};
use serde_json::{Value, json};

/// Stripe API version reported on events.
pub const API_VERSION: &str = "2024-06-20";

/// An event carrying a snapshot of `object`, written in the same unit as the change it reports.
pub fn event(
    scope: &Scope,
    event_type: &str,
    object: &Value,
    idempotency_key: Option<&str>,
    now: i64,
) -> Op {
    let id = new_id("evt");
    let data = json!({
        "id": id,
        "object": "event",
        "api_version": API_VERSION,
        "created": now,
        "data": {"object": public(object.clone())},
        "livemode": scope.livemode,
        "pending_webhooks": 0,
        "request": {"id": crate::access_log::current_request_id(), "idempotency_key": idempotency_key},
        "type": event_type,
    });
    Op::InsertEvent(EventRow {
        id,
        merchant_id: scope.merchant_id.clone(),
        livemode: scope.livemode,
        event_type: event_type.to_string(),
        created: now,
        data,
    })
}

/// Inserts a new object document (version 0).
pub fn insert(scope: &Scope, kind: &str, parent: Option<&str>, data: &Value, now: i64) -> Op {
    Op::InsertObject(ObjectRow {
        id: data["id"].as_str().unwrap_or_default().to_string(),
        merchant_id: scope.merchant_id.clone(),
        livemode: scope.livemode,
        kind: kind.to_string(),
        parent: parent.map(str::to_string),
        tag: None,
        due: None,
        created: now,
        version: 0,
        data: data.clone(),
    })
}

/// Replaces an object document if it is still at `expected_version`.
pub fn update(id: &str, expected_version: i64, data: &Value) -> Op {
    Op::UpdateObject {
        id: id.to_string(),
        expected_version,
        data: data.clone(),
        tag: None,
        due: None,
    }
}

/// Fields of a PaymentIntent that only the merchant's bookkeeping changes (updates allowed in
/// every status, never part of a payment).
pub const BOOKKEEPING_FIELDS: [&str; 4] = ["metadata", "description", "receipt_email", "customer"];

/// Takes the bookkeeping fields of `stored` into `doc` (an outcome computed from an older
/// version of the same intent).
pub fn merge_bookkeeping(doc: &mut Value, stored: &Value) {
    for field in BOOKKEEPING_FIELDS {
        if let Some(v) = stored.get(field) {
            doc[field] = v.clone();
        }
    }
}
