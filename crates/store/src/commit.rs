//! The write side of [`Store`]: units committed alone, handed back on a conflict or many in
//! order, all through the group-committing writer; the write probe and its health.

use crate::*;

impl Store {
    /// Applies `unit` atomically, group-committed with concurrent units. Returns once the
    /// transaction is durable, with one result per op.
    pub async fn commit(&self, unit: WriteUnit) -> Result<Vec<OpResult>, CommitError> {
        validate::unit(&unit)?;
        if unit.ops.is_empty() {
            return Ok(Vec::new());
        }
        let span = self.commit_span(unit.ops.len());
        let result = self.commit_valid(unit).instrument(span).await;
        self.writes.observe(&result);
        result
    }

    /// The span of one commit (`store.commit`, for traces): the backend and the number of ops;
    /// it lasts until the group commit holding the unit is durable.
    fn commit_span(&self, ops: usize) -> tracing::Span {
        tracing::debug_span!("store.commit", db.system = self.backend_name(), ops)
    }

    async fn commit_valid(&self, unit: WriteUnit) -> Result<Vec<OpResult>, CommitError> {
        self.writes.faults.before_commit().await?;
        let reply = self.submit(unit).await?;
        // The unit comes back with its result and is freed here, not on the writer.
        reply.await.map_or(
            Err(CommitError::Store(StoreError::Closed)),
            |(result, _unit)| result,
        )
    }

    /// Whether the store could write at its last commit (see [`WriteHealth`]).
    pub fn write_health(&self) -> WriteHealth {
        self.writes.health()
    }

    /// The write faults tests inject (a delay before each unit commit, failing the next
    /// commits); the gateway allows them in test mode only.
    pub fn write_faults(&self) -> &WriteFaults {
        &self.writes.faults
    }

    /// Commits a unit that writes and deletes one row of its own (an in-flight idempotency
    /// key of the reserved merchant id `acct_store_probe`), so the storage really takes a
    /// transaction; its result updates [`Store::write_health`] like any commit.
    pub async fn probe_write(&self, node: &str, now: i64) -> Result<(), CommitError> {
        let scope = Scope {
            merchant_id: "acct_store_probe".into(),
            livemode: false,
        };
        let key = format!("write-probe-{node}");
        let unit = WriteUnit {
            ops: vec![
                Op::IdempotencyBegin {
                    scope: scope.clone(),
                    key: key.clone(),
                    request_hash: String::new(),
                    owner: node.to_string(),
                    created: now,
                },
                Op::IdempotencyRelease { scope, key },
            ],
        };
        self.commit(unit).await.map(|_| ())
    }

    /// [`Store::commit`] that hands the unit back when it was not written (`None` only when
    /// the store failed), so a caller can adjust the op that conflicted and submit it again
    /// without cloning every unit beforehand.
    pub async fn commit_returning(
        &self,
        unit: WriteUnit,
    ) -> (Result<Vec<OpResult>, CommitError>, Option<WriteUnit>) {
        if let Err(e) = validate::unit(&unit) {
            return (Err(e.into()), Some(unit));
        }
        if unit.ops.is_empty() {
            return (Ok(Vec::new()), None);
        }
        if let Err(e) = self.writes.faults.before_commit().await {
            let result = Err(CommitError::Store(e));
            self.writes.observe(&result);
            return (result, Some(unit));
        }
        let span = self.commit_span(unit.ops.len());
        let (result, back) = self.commit_returning_valid(unit).instrument(span).await;
        self.writes.observe(&result);
        (result, back)
    }

    async fn commit_returning_valid(
        &self,
        unit: WriteUnit,
    ) -> (Result<Vec<OpResult>, CommitError>, Option<WriteUnit>) {
        let reply = match self.submit(unit).await {
            Ok(r) => r,
            Err(e) => return (Err(e.into()), None),
        };
        match reply.await {
            Err(_) => (Err(CommitError::Store(StoreError::Closed)), None),
            Ok((result @ Ok(_), _)) => (result, None),
            Ok((result, prepared)) => (result, Some(prepared.into_unit())),
        }
    }

    /// Commits `units` in the order given (each atomic on its own, a failing one does not
    /// stop the others), sharing group commits; one result per unit, in order.
    pub async fn commit_many(
        &self,
        units: Vec<WriteUnit>,
    ) -> Vec<Result<Vec<OpResult>, CommitError>> {
        let mut results: Vec<Option<Result<Vec<OpResult>, CommitError>>> =
            Vec::with_capacity(units.len());
        let mut to_queue = Vec::with_capacity(units.len());
        for unit in units {
            match validate::unit(&unit) {
                Err(err) => results.push(Some(Err(CommitError::Store(err)))),
                Ok(()) if unit.ops.is_empty() => results.push(Some(Ok(Vec::new()))),
                Ok(()) => {
                    results.push(None);
                    to_queue.push(unit);
                }
            }
        }
        let span = self.commit_span(to_queue.iter().map(|u| u.ops.len()).sum());
        async {
            let mut replies = self.submit_ordered(to_queue).await.into_iter();
            for slot in results.iter_mut().filter(|slot| slot.is_none()) {
                *slot = Some(match replies.next() {
                    Some(Ok(reply)) => reply.await.map_or(
                        Err(CommitError::Store(StoreError::Closed)),
                        |(result, _unit)| result,
                    ),
                    Some(Err(err)) => Err(CommitError::Store(err)),
                    None => Err(CommitError::Store(StoreError::Closed)),
                });
            }
        }
        .instrument(span)
        .await;
        let results: Vec<_> = results
            .into_iter()
            .map(|r| r.unwrap_or(Err(CommitError::Store(StoreError::Closed))))
            .collect();
        if let Some(last) = results.last() {
            self.writes.observe(last);
        }
        results
    }

    /// Queues units so that they are applied in order; one reply (or queueing error) each.
    async fn submit_ordered(&self, units: Vec<WriteUnit>) -> Vec<Result<Reply, StoreError>> {
        let units: Vec<PreparedUnit> = units.into_iter().map(PreparedUnit::new).collect();
        match &*self.inner {
            // The one writer takes its queue in order.
            Backend::Sqlite(b) => {
                let mut replies = Vec::with_capacity(units.len());
                for unit in units {
                    replies.push(b.submit(unit).await);
                }
                replies
            }
            Backend::Postgres(b) => {
                let count = units.len();
                match b.submit_ordered(units).await {
                    Ok(replies) => replies.into_iter().map(Ok).collect(),
                    Err(err) => (0..count).map(|_| Err(err.clone())).collect(),
                }
            }
        }
    }

    async fn submit(&self, unit: WriteUnit) -> Result<Reply, StoreError> {
        let unit = PreparedUnit::new(unit);
        match &*self.inner {
            Backend::Sqlite(b) => b.submit(unit).await,
            Backend::Postgres(b) => b.submit(unit).await,
        }
    }
}
