//! Events to webhook deliveries: fan-out, leased claims, results and the attempt log.

use std::collections::HashMap;

use serde_json::Value;

use super::OpError;
use crate::delivery_schedule::{DELIVERY_BACKOFF_BASE_S as BASE, DELIVERY_BACKOFF_MAX_S as MAX};
use crate::error::{ConflictKind, StoreError};
use crate::limits::ENDPOINTS_PER_MERCHANT_MAX;
use crate::sql::{Exec, ExecSql, Param, Sql, SqlBuilder, params};
use crate::types::{AttemptLogRow, DeliveryJob, OpResult, Scope};

static PENDING_EVENTS: Sql = Sql::split(
    "SELECT seq, event_id, merchant_id, livemode, event_type FROM pending_events ORDER BY seq LIMIT $1 \
     FOR UPDATE SKIP LOCKED",
    "SELECT seq, event_id, merchant_id, livemode, event_type FROM pending_events ORDER BY seq LIMIT $1",
);
static DELETE_PENDING_EVENT: Sql = Sql::new("DELETE FROM pending_events WHERE seq = $1");
static ENDPOINTS: Sql = Sql::new(
    "SELECT id, data FROM objects WHERE merchant_id = $1 AND livemode = $2 AND kind = 'webhook_endpoint' \
     ORDER BY seq LIMIT $3",
);
static INSERT_DELIVERY: Sql = Sql::new(
    "INSERT INTO deliveries (id, event_id, endpoint_id, merchant_id, livemode, state, attempts, \
     next_attempt_at, first_attempt_at, locked_by, locked_until) \
     VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, NULL, NULL)",
);
// A delivery is due at `now` ($3) when its schedule has come, or lies further ahead than the
// backoff after its attempts allows; a lease holds while it ends after `now` and no later than
// a lease taken now ($2): see `crate::delivery_schedule`. PostgreSQL's shift takes an INTEGER
// count; the cap of 20 doublings only guards the shift (the MAX is reached after 11).
macro_rules! due_pg {
    ($base:literal, $max:literal) => {
        concat!(
            "state = 'pending' AND (next_attempt_at <= $3 OR next_attempt_at > $3 + LEAST(CAST(",
            $base,
            " AS BIGINT) << CAST(LEAST(attempts, 20) AS INTEGER), CAST(",
            $max,
            " AS BIGINT))) AND (locked_until IS NULL OR locked_until <= $3 OR locked_until > $2)"
        )
    };
}
macro_rules! due_sqlite {
    ($base:literal, $max:literal) => {
        concat!(
            "state = 'pending' AND (next_attempt_at <= $3 OR next_attempt_at > $3 + MIN(",
            $base,
            " << MIN(attempts, 20), ",
            $max,
            ")) AND (locked_until IS NULL OR locked_until <= $3 OR locked_until > $2)"
        )
    };
}
// PostgreSQL: the CTE locks the chosen rows once (SKIP LOCKED passes over rows another
// process is claiming right now). SQLite: the writer holds the database write lock.
// $1 worker, $2 lease end, $3 now, $4 limit, $5 backoff base, $6 backoff max.
static CLAIM: Sql = Sql::split(
    concat!(
        "WITH due AS (SELECT id FROM deliveries WHERE ",
        due_pg!("$5", "$6"),
        " ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
     UPDATE deliveries d SET locked_by = $1, locked_until = $2 FROM due WHERE d.id = due.id \
     RETURNING d.id, d.event_id, d.endpoint_id, d.merchant_id, d.livemode, d.attempts, d.first_attempt_at"
    ),
    concat!(
        "UPDATE deliveries SET locked_by = $1, locked_until = $2 WHERE id IN (SELECT id FROM deliveries WHERE ",
        due_sqlite!("$5", "$6"),
        " ORDER BY next_attempt_at LIMIT $4) \
     RETURNING id, event_id, endpoint_id, merchant_id, livemode, attempts, first_attempt_at"
    ),
);
// The same claim for one endpoint ($5), by the `deliveries_by_endpoint` index; $6 backoff
// base, $7 backoff max.
static CLAIM_FOR_ENDPOINT: Sql = Sql::split(
    concat!(
        "WITH due AS (SELECT id FROM deliveries WHERE endpoint_id = $5 AND ",
        due_pg!("$6", "$7"),
        " ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
     UPDATE deliveries d SET locked_by = $1, locked_until = $2 FROM due WHERE d.id = due.id \
     RETURNING d.id, d.event_id, d.endpoint_id, d.merchant_id, d.livemode, d.attempts, d.first_attempt_at"
    ),
    concat!(
        "UPDATE deliveries SET locked_by = $1, locked_until = $2 WHERE id IN (SELECT id FROM deliveries \
     WHERE endpoint_id = $5 AND ",
        due_sqlite!("$6", "$7"),
        " ORDER BY next_attempt_at LIMIT $4) \
     RETURNING id, event_id, endpoint_id, merchant_id, livemode, attempts, first_attempt_at"
    ),
);
// Endpoints with due, unleased deliveries (a read: it takes no lease). $1 limit, $2 the end
// of a lease taken now, $3 now, $4 backoff base, $5 backoff max.
static DUE_ENDPOINTS: Sql = Sql::split(
    concat!(
        "SELECT DISTINCT endpoint_id FROM deliveries WHERE ",
        due_pg!("$4", "$5"),
        " LIMIT $1"
    ),
    concat!(
        "SELECT DISTINCT endpoint_id FROM deliveries WHERE ",
        due_sqlite!("$4", "$5"),
        " LIMIT $1"
    ),
);
// The outbox's backlog: events not yet fanned out, deliveries not yet finished.
static BACKLOG: Sql = Sql::new(
    "SELECT (SELECT COUNT(*) FROM pending_events), \
     (SELECT COUNT(*) FROM deliveries WHERE state = 'pending')",
);
static OBJECT_DATA: Sql = Sql::new("SELECT data FROM objects WHERE id = $1");
static FINISH_ATTEMPT: Sql = Sql::new(
    "UPDATE deliveries SET state = $2, attempts = $3, next_attempt_at = COALESCE($4, next_attempt_at), \
     locked_by = NULL, locked_until = NULL WHERE id = $1 RETURNING merchant_id, livemode",
);
static INSERT_ATTEMPT_LOG: Sql = Sql::new(
    "INSERT INTO delivery_attempts (delivery_id, event_id, endpoint_id, merchant_id, livemode, attempt_no, at, \
     status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
);
static EVENT_AND_ENDPOINT: Sql = Sql::new(
    "SELECT COUNT(*) FROM objects WHERE merchant_id = $3 AND livemode = $4 \
     AND ((id = $1 AND kind = 'event') OR (id = $2 AND kind = 'webhook_endpoint'))",
);

/// Delivery states accepted by [`crate::Op::DeliveryResult`].
pub(crate) const DELIVERY_STATES: [&str; 3] = ["pending", "succeeded", "failed"];

fn new_delivery_id() -> String {
    format!("whdel_{}", uuid::Uuid::now_v7().simple())
}

fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// An endpoint's subscription: enabled, and listening to `*` or the event type.
fn endpoint_wants(endpoint: &Value, event_type: &str) -> bool {
    let disabled = endpoint.get("status").and_then(Value::as_str) == Some("disabled");
    let listens = endpoint
        .get("enabled_events")
        .and_then(Value::as_array)
        .is_some_and(|events| {
            events
                .iter()
                .filter_map(Value::as_str)
                .any(|t| t == "*" || t == event_type)
        });
    !disabled && listens
}

/// Fans pending events out to deliveries (caller holds the transaction). Returns how many
/// events were taken off the outbox and the endpoints that got new deliveries.
pub(crate) async fn dispatch<E: Exec>(
    e: &mut E,
    limit: usize,
    now: i64,
) -> Result<(usize, Vec<String>), StoreError> {
    let mut targets: Vec<String> = Vec::new();
    let pending = e.rows(&PENDING_EVENTS, params![sql_limit(limit)]).await?;
    let mut endpoints: HashMap<(String, bool), Vec<(String, Value)>> = HashMap::new();
    let count = pending.len();
    for row in pending {
        let mut r = row.reader("pending_events");
        let (seq, event_id, merchant_id, livemode, event_type) =
            (r.int()?, r.text()?, r.text()?, r.bool()?, r.text()?);
        let scope = (merchant_id, livemode);
        if !endpoints.contains_key(&scope) {
            let found = load_endpoints(e, &scope.0, scope.1).await?;
            endpoints.insert(scope.clone(), found);
        }
        for (endpoint_id, data) in endpoints.get(&scope).into_iter().flatten() {
            if endpoint_wants(data, &event_type) {
                let id = new_delivery_id();
                let p = params![&id, &event_id, endpoint_id, &scope.0, scope.1, now];
                e.run(&INSERT_DELIVERY, p).await?;
                if !targets.contains(endpoint_id) {
                    targets.push(endpoint_id.clone());
                }
            }
        }
        e.run(&DELETE_PENDING_EVENT, params![seq]).await?;
    }
    Ok((count, targets))
}

async fn load_endpoints<E: Exec>(
    e: &mut E,
    merchant_id: &str,
    livemode: bool,
) -> Result<Vec<(String, Value)>, StoreError> {
    let max = sql_limit(ENDPOINTS_PER_MERCHANT_MAX);
    let mut out = Vec::new();
    for row in e
        .rows(&ENDPOINTS, params![merchant_id, livemode, max])
        .await?
    {
        let mut r = row.reader("objects");
        out.push((r.text()?, r.json()?));
    }
    Ok(out)
}

/// Leases due deliveries to `worker` until `now + lease_s` (caller holds the transaction).
pub(crate) async fn claim<E: Exec>(
    e: &mut E,
    worker: &str,
    now: i64,
    lease_s: i64,
    limit: usize,
) -> Result<Vec<DeliveryJob>, StoreError> {
    let until = now.saturating_add(lease_s);
    let p = params![worker, until, now, sql_limit(limit), BASE, MAX];
    let claimed = e.rows(&CLAIM, p).await?;
    let mut endpoint_cache: HashMap<String, Value> = HashMap::new();
    let mut jobs = jobs_from_rows(e, claimed, &mut endpoint_cache).await?;
    jobs.sort_by(|a, b| {
        a.first_attempt_at
            .cmp(&b.first_attempt_at)
            .then_with(|| a.delivery_id.cmp(&b.delivery_id))
    });
    Ok(jobs)
}

/// Leases, for each `(endpoint id, n)`, up to `n` of that endpoint's due deliveries, oldest
/// due first (caller holds the transaction). One busy endpoint's backlog never takes the
/// places of another endpoint's deliveries.
pub(crate) async fn claim_for_endpoints<E: Exec>(
    e: &mut E,
    worker: &str,
    now: i64,
    lease_s: i64,
    asks: &[(String, usize)],
) -> Result<Vec<DeliveryJob>, StoreError> {
    let until = now.saturating_add(lease_s);
    let mut endpoint_cache: HashMap<String, Value> = HashMap::new();
    let mut jobs = Vec::new();
    for (endpoint_id, n) in asks.iter().filter(|(_, n)| *n > 0) {
        let p = params![worker, until, now, sql_limit(*n), endpoint_id, BASE, MAX];
        let claimed = e.rows(&CLAIM_FOR_ENDPOINT, p).await?;
        let mut got = jobs_from_rows(e, claimed, &mut endpoint_cache).await?;
        got.sort_by_key(|j| j.first_attempt_at);
        jobs.append(&mut got);
    }
    Ok(jobs)
}

/// Endpoints that have due deliveries no worker holds (by leases of up to `lease_s`), at
/// most `limit`.
pub(crate) async fn due_endpoints<E: Exec>(
    e: &mut E,
    now: i64,
    lease_s: i64,
    limit: usize,
) -> Result<Vec<String>, StoreError> {
    let until = now.saturating_add(lease_s);
    let mut out = Vec::new();
    let p = params![sql_limit(limit), until, now, BASE, MAX];
    for row in e.rows(&DUE_ENDPOINTS, p).await? {
        out.push(row.reader("deliveries").text()?);
    }
    Ok(out)
}

/// The outbox's backlog: (events waiting for fan-out, deliveries still pending).
pub(crate) async fn backlog<E: Exec>(e: &mut E) -> Result<(i64, i64), StoreError> {
    let rows = e.rows(&BACKLOG, params![]).await?;
    let Some(row) = rows.into_iter().next() else {
        return Ok((0, 0));
    };
    let mut r = row.reader("deliveries");
    Ok((r.int()?, r.int()?))
}

async fn jobs_from_rows<E: Exec>(
    e: &mut E,
    claimed: Vec<crate::sql::Row>,
    endpoint_cache: &mut HashMap<String, Value>,
) -> Result<Vec<DeliveryJob>, StoreError> {
    let mut jobs = Vec::with_capacity(claimed.len());
    for row in claimed {
        let mut r = row.reader("deliveries");
        let (delivery_id, event_id, endpoint_id) = (r.text()?, r.text()?, r.text()?);
        let (merchant_id, livemode, attempts, first_attempt_at) =
            (r.text()?, r.bool()?, r.int()?, r.int()?);
        let event = object_data(e, &event_id).await?;
        let endpoint = match endpoint_cache.get(&endpoint_id) {
            Some(data) => data.clone(),
            None => {
                let data = object_data(e, &endpoint_id).await?;
                endpoint_cache.insert(endpoint_id.clone(), data.clone());
                data
            }
        };
        jobs.push(DeliveryJob {
            delivery_id,
            event_id,
            endpoint_id,
            merchant_id,
            livemode,
            attempt_no: attempts.saturating_add(1),
            event,
            endpoint,
            first_attempt_at,
        });
    }
    Ok(jobs)
}

/// An object's data, or `Null` when it is gone.
async fn object_data<E: Exec>(e: &mut E, id: &str) -> Result<Value, StoreError> {
    match e.first(&OBJECT_DATA, params![id]).await? {
        Some(row) => row.reader("objects").json(),
        None => Ok(Value::Null),
    }
}

/// Logs an attempt and moves the delivery to `state`, releasing its lease.
pub(crate) async fn record_delivery_result<E: Exec>(
    e: &mut E,
    delivery_id: &str,
    attempt: &AttemptLogRow,
    next_attempt_at: Option<i64>,
    state: &str,
) -> Result<OpResult, OpError> {
    let p = params![delivery_id, state, attempt.attempt_no, next_attempt_at];
    let Some(row) = e.rows(&FINISH_ATTEMPT, p).await?.into_iter().next() else {
        return Err(OpError::Conflict(ConflictKind::NotFound));
    };
    let mut r = row.reader("deliveries");
    let (merchant_id, livemode) = (r.text()?, r.bool()?);
    let p = params![
        delivery_id,
        &attempt.event_id,
        &attempt.endpoint_id,
        &merchant_id,
        livemode,
        attempt.attempt_no,
        attempt.at,
        attempt.status_code.map(i64::from),
        &attempt.error,
        attempt.duration_ms
    ];
    e.run(&INSERT_ATTEMPT_LOG, p).await?;
    Ok(OpResult::Done)
}

/// Queues a delivery of an existing event to an existing endpoint of the same scope.
pub(crate) async fn enqueue_delivery<E: Exec>(
    e: &mut E,
    event_id: &str,
    endpoint_id: &str,
    merchant_id: &str,
    livemode: bool,
    next_attempt_at: i64,
) -> Result<OpResult, OpError> {
    let found = match e
        .first(
            &EVENT_AND_ENDPOINT,
            params![event_id, endpoint_id, merchant_id, livemode],
        )
        .await?
    {
        Some(row) => row.reader("objects").int()?,
        None => 0,
    };
    if found != 2 {
        return Err(OpError::Conflict(ConflictKind::NotFound));
    }
    let id = new_delivery_id();
    e.run(
        &INSERT_DELIVERY,
        params![
            &id,
            event_id,
            endpoint_id,
            merchant_id,
            livemode,
            next_attempt_at
        ],
    )
    .await?;
    Ok(OpResult::Done)
}

/// The attempt log of one scope, newest first, optionally for one event and/or endpoint.
pub(crate) async fn list_attempts<E: Exec>(
    e: &mut E,
    scope: &Scope,
    event_id: Option<&str>,
    endpoint_id: Option<&str>,
    limit: usize,
) -> Result<Vec<AttemptLogRow>, StoreError> {
    let mut q = SqlBuilder::new(
        "SELECT delivery_id, event_id, endpoint_id, attempt_no, at, status_code, error, duration_ms \
         FROM delivery_attempts WHERE ",
    );
    q.push("merchant_id = ?", Param::from(&scope.merchant_id))
        .push(" AND livemode = ?", Param::Bool(scope.livemode));
    if let Some(id) = event_id {
        q.push(" AND event_id = ?", Param::Text(id));
    }
    if let Some(id) = endpoint_id {
        q.push(" AND endpoint_id = ?", Param::Text(id));
    }
    q.push(" ORDER BY seq DESC LIMIT ?", Param::Int(sql_limit(limit)));
    let (text, params) = q.finish(e.dialect());
    let mut out = Vec::new();
    for row in e.query(&text, &params).await? {
        let mut r = row.reader("delivery_attempts");
        out.push(AttemptLogRow {
            delivery_id: r.text()?,
            event_id: r.text()?,
            endpoint_id: r.text()?,
            attempt_no: r.int()?,
            at: r.int()?,
            status_code: r.opt_u16()?,
            error: r.opt_text()?,
            duration_ms: r.int()?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::endpoint_wants;
    use serde_json::json;

    #[test]
    fn endpoints_receive_subscribed_types_unless_disabled() {
        let all = json!({"enabled_events": ["*"], "status": "enabled"});
        let one = json!({"enabled_events": ["charge.succeeded"]});
        let off = json!({"enabled_events": ["*"], "status": "disabled"});
        assert!(endpoint_wants(&all, "charge.failed"));
        assert!(endpoint_wants(&one, "charge.succeeded"));
        assert!(!endpoint_wants(&one, "charge.failed"));
        assert!(!endpoint_wants(&off, "charge.succeeded"));
        assert!(!endpoint_wants(&json!({}), "charge.succeeded"));
    }
}
