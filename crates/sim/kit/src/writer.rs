//! The writer thread: the only place that decides and persists. It drains the job queue in
//! batches, applies each request sequentially inside one SQLite transaction (a savepoint per
//! request, so one failing request is answered with the counterparty's failure answer without
//! undoing the others), commits, and only then releases the answers to the connections — so an
//! answer is never sent for an effect that a crash of the simulator process could lose.

use rusqlite::Connection;
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use crate::{Counterparty, MAX_BATCH_REQUESTS};

/// One request for the writer, with where to send its answer.
#[derive(Debug)]
pub struct Job<Req, Ans> {
    /// The decoded request.
    pub request: Req,
    /// The connection's answer queue.
    pub reply: mpsc::Sender<Reply<Ans>>,
    /// The connection's in-flight slot, held until the answer is written.
    pub permit: OwnedSemaphorePermit,
}

/// The answer to one job (`answer` is `None` when nothing is to be sent).
#[derive(Debug)]
pub struct Reply<Ans> {
    /// What to send back.
    pub answer: Option<Ans>,
    /// The in-flight slot, freed once the answer is in the write buffer.
    pub permit: OwnedSemaphorePermit,
}

/// The writer's state: the journal connection and the counterparty's rules.
pub(crate) struct Writer<P> {
    conn: Connection,
    counterparty: P,
}

impl<P: Counterparty> Writer<P> {
    pub(crate) fn new(conn: Connection, counterparty: P) -> Self {
        Writer { conn, counterparty }
    }

    /// The thread body: runs until every job sender is gone.
    pub(crate) fn run(mut self, mut jobs: mpsc::Receiver<Job<P::Request, P::Answer>>) {
        let mut batch = Vec::with_capacity(MAX_BATCH_REQUESTS);
        while let Some(first) = jobs.blocking_recv() {
            batch.push(first);
            while batch.len() < MAX_BATCH_REQUESTS {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let answers = self.process(&batch);
            for (job, answer) in batch.drain(..).zip(answers) {
                // The connection may be gone; its answer then has nowhere to go.
                let _ = job.reply.try_send(Reply {
                    answer,
                    permit: job.permit,
                });
            }
        }
        tracing::info!("simulator journal writer stopped");
    }

    /// Applies a batch in one transaction; on a failed commit every request gets the failure
    /// answer and the counterparty reloads its in-memory state.
    fn process(&mut self, batch: &[Job<P::Request, P::Answer>]) -> Vec<Option<P::Answer>> {
        match self.apply_all(batch) {
            Ok(answers) => answers,
            Err(e) => {
                tracing::error!(error = %e, requests = batch.len(), "journal commit failed");
                self.counterparty.commit_failed(&self.conn);
                batch
                    .iter()
                    .map(|j| self.counterparty.failure(&j.request))
                    .collect()
            }
        }
    }

    fn apply_all(
        &mut self,
        batch: &[Job<P::Request, P::Answer>],
    ) -> rusqlite::Result<Vec<Option<P::Answer>>> {
        let mut tx = self.conn.transaction()?;
        self.counterparty.begin_batch();
        let mut answers = Vec::with_capacity(batch.len());
        for job in batch {
            let sp = tx.savepoint()?;
            match self.counterparty.apply(&sp, &job.request) {
                Ok(answer) => {
                    sp.commit()?;
                    answers.push(answer);
                }
                Err(e) => {
                    tracing::error!(error = %e, "request failed and was rolled back");
                    drop(sp);
                    answers.push(self.counterparty.failure(&job.request));
                }
            }
        }
        self.counterparty.end_batch(&tx)?;
        tx.commit()?;
        Ok(answers)
    }
}
