//! The webhook outbox's side of [`Store`]: fanning pending events out to deliveries, leasing
//! due deliveries to workers (per endpoint or in bulk) and the delivery attempt log.

use crate::limits::{CLAIM_LIMIT_MAX, DISPATCH_LIMIT_MAX, LIST_LIMIT_MAX};
use crate::logic::outbox;
use crate::sql::{Exec, TxMode, block_ready};
use crate::{AttemptLogRow, Backend, DeliveryJob, Scope, Store, StoreError, postgres};

impl Store {
    /// Outbox fan-out: takes up to `limit` pending events (capped at `DISPATCH_LIMIT_MAX`),
    /// inserts one delivery due at `now` per subscribed, enabled webhook endpoint of the same
    /// merchant and mode, and removes the pending rows, in one transaction. Returns the
    /// number of events taken.
    pub async fn dispatch_events(&self, limit: usize, now: i64) -> Result<usize, StoreError> {
        Ok(self.dispatch_events_to(limit, now).await?.0)
    }

    /// [`Store::dispatch_events`], also naming the endpoints that got new deliveries.
    pub async fn dispatch_events_to(
        &self,
        limit: usize,
        now: i64,
    ) -> Result<(usize, Vec<String>), StoreError> {
        let limit = limit.min(DISPATCH_LIMIT_MAX);
        on_writer!(self, [], |e| outbox::dispatch(e, limit, now))
    }

    /// Leases, for each `(endpoint id, n)` (at most `CLAIM_LIMIT_MAX` in all), up to `n` due
    /// deliveries of that endpoint to `worker` until `now + lease_s`, in one transaction.
    /// Due and expired as [`crate::delivery_schedule`] says (a clock ahead of `now` wrote
    /// some schedules and leases). As
    /// with [`Store::claim_deliveries`], no delivery is leased to two workers at once.
    pub async fn claim_endpoint_deliveries(
        &self,
        worker: &str,
        now: i64,
        lease_s: i64,
        asks: Vec<(String, usize)>,
    ) -> Result<Vec<DeliveryJob>, StoreError> {
        let mut left = CLAIM_LIMIT_MAX;
        let asks: Vec<(String, usize)> = asks
            .into_iter()
            .map(|(id, n)| {
                let n = n.min(left);
                left -= n;
                (id, n)
            })
            .collect();
        on_writer!(self, [worker, asks], |e| outbox::claim_for_endpoints(
            e, &worker, now, lease_s, &asks
        ))
    }

    /// Endpoints with due deliveries that no worker holds (workers lease for up to
    /// `lease_s`), at most `limit` (capped at `CLAIM_LIMIT_MAX`). Due and held as a claim
    /// sees them ([`crate::delivery_schedule`]).
    pub async fn due_delivery_endpoints(
        &self,
        now: i64,
        lease_s: i64,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let limit = limit.min(CLAIM_LIMIT_MAX);
        on_reader!(self, [], |e| outbox::due_endpoints(e, now, lease_s, limit))
    }

    /// The outbox's backlog for the metrics: (events waiting for fan-out, deliveries still
    /// pending — due now or waiting for their retry).
    pub async fn outbox_backlog(&self) -> Result<(i64, i64), StoreError> {
        on_reader!(self, [], |e| outbox::backlog(e))
    }

    /// Leases up to `limit` due deliveries (capped at `CLAIM_LIMIT_MAX`) to `worker` until
    /// `now + lease_s`. No delivery is leased to two workers at once, across processes.
    pub async fn claim_deliveries(
        &self,
        worker: &str,
        now: i64,
        lease_s: i64,
        limit: usize,
    ) -> Result<Vec<DeliveryJob>, StoreError> {
        let limit = limit.min(CLAIM_LIMIT_MAX);
        on_writer!(self, [worker], |e| outbox::claim(
            e, &worker, now, lease_s, limit
        ))
    }

    /// The delivery attempt log of `scope`, newest first; `limit` capped at `LIST_LIMIT_MAX`.
    pub async fn list_delivery_attempts(
        &self,
        scope: &Scope,
        event_id: Option<&str>,
        endpoint_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AttemptLogRow>, StoreError> {
        let limit = limit.clamp(1, LIST_LIMIT_MAX);
        let (event_id, endpoint_id) = (event_id.map(str::to_owned), endpoint_id.map(str::to_owned));
        on_reader!(self, [scope, event_id, endpoint_id], |e| {
            outbox::list_attempts(
                e,
                &scope,
                event_id.as_deref(),
                endpoint_id.as_deref(),
                limit,
            )
        })
    }
}
