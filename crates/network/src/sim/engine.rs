//! The writer thread: the only place that decides and persists. It drains the job queue in
//! batches, applies each request sequentially inside one SQLite transaction (a savepoint per
//! request, so one failing request is answered 96 without undoing the others), commits, and only
//! then releases the answers to the connections.

use std::path::Path;

use paygate_iso8583::Message;
use rusqlite::Connection;
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use super::cmd::{self, Ctx, Work};
use super::{MAX_BATCH_REQUESTS, SimError, store};
use crate::card::clock;

/// One request for the writer, with where to send its answer.
#[derive(Debug)]
pub(crate) struct Job {
    pub work: Work,
    pub reply: mpsc::Sender<Reply>,
    /// The connection's in-flight slot, held until the answer is written.
    pub permit: OwnedSemaphorePermit,
}

/// The answer to one job (`msg` is `None` when nothing is to be sent).
#[derive(Debug)]
pub(crate) struct Reply {
    pub msg: Option<Message>,
    pub permit: OwnedSemaphorePermit,
}

/// The writer's state.
pub(crate) struct Engine {
    conn: Connection,
    next_rrn: u64,
    open_to_buy_minor: i64,
}

impl Engine {
    /// Opens (creating) the journal in `data_dir`.
    pub(crate) fn open(data_dir: &Path, open_to_buy_minor: i64) -> Result<Engine, SimError> {
        let conn = store::open(data_dir)?;
        let next_rrn = store::load_next_rrn(&conn)?;
        Ok(Engine {
            conn,
            next_rrn,
            open_to_buy_minor,
        })
    }

    /// The thread body: runs until every job sender is gone.
    pub(crate) fn run(mut self, mut jobs: mpsc::Receiver<Job>) {
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
            for (job, msg) in batch.drain(..).zip(answers) {
                // The connection may be gone; its answer then has nowhere to go.
                let _ = job.reply.try_send(Reply {
                    msg,
                    permit: job.permit,
                });
            }
        }
        tracing::info!("network simulator journal writer stopped");
    }

    /// Applies a batch in one transaction; on a failed commit every request is answered 96 and
    /// the in-memory RRN counter is reloaded.
    fn process(&mut self, batch: &[Job]) -> Vec<Option<Message>> {
        match self.apply_all(batch) {
            Ok(answers) => answers,
            Err(e) => {
                tracing::error!(error = %e, requests = batch.len(), "journal commit failed");
                self.next_rrn = store::load_next_rrn(&self.conn).unwrap_or(self.next_rrn);
                batch
                    .iter()
                    .map(|j| cmd::failure_response(&j.work))
                    .collect()
            }
        }
    }

    fn apply_all(&mut self, batch: &[Job]) -> rusqlite::Result<Vec<Option<Message>>> {
        let mut tx = self.conn.transaction()?;
        let now_yymm = clock::current_yymm();
        let now_ms = now_ms();
        let mut answers = Vec::with_capacity(batch.len());
        for job in batch {
            let sp = tx.savepoint()?;
            let mut ctx = Ctx {
                db: &sp,
                next_rrn: &mut self.next_rrn,
                open_to_buy_minor: self.open_to_buy_minor,
                now_yymm,
                now_ms,
            };
            match cmd::handle(&mut ctx, &job.work) {
                Ok(answer) => {
                    sp.commit()?;
                    answers.push(answer);
                }
                Err(e) => {
                    tracing::error!(error = %e, "request failed and was rolled back; answered 96");
                    drop(sp);
                    answers.push(cmd::failure_response(&job.work));
                }
            }
        }
        store::save_next_rrn(&tx, self.next_rrn)?;
        tx.commit()?;
        Ok(answers)
    }
}

fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}
