//! The simulator's rules on the kit's writer thread: each request is decided and journaled by
//! [`crate::cmd`] inside the batch's transaction; the RRN counter is saved with each batch.

use std::path::Path;

use paygate_iso8583::Message;
use paygate_sim_kit::clock::SimClock;
use paygate_sim_kit::faults::Faults;
use paygate_sim_kit::{Counterparty, SimError, data_dir};
use rusqlite::Connection;
use std::sync::Arc;

use crate::cmd::{self, Ctx, Work};
use crate::{CavvKey, JOURNAL_FILE, store, wire};

/// The writer's state besides its connection.
pub(crate) struct Engine {
    cavv_key: Option<CavvKey>,
    /// Injected declines come from here.
    faults: Arc<Faults>,
    /// The journal's times and the expiry month come from here (`--test-clock` moves it).
    clock: SimClock,
    next_rrn: u64,
    open_to_buy_minor: i64,
    now_yymm: u16,
    now_ms: i64,
}

impl Engine {
    /// Opens (creating) the journal in `dir`; the writer's connection and the engine.
    pub(crate) fn open(
        dir: &Path,
        open_to_buy_minor: i64,
        cavv_key: Option<CavvKey>,
        faults: Arc<Faults>,
        clock: SimClock,
    ) -> Result<(Connection, Engine), SimError> {
        let conn = data_dir::open_writer(dir, JOURNAL_FILE, store::SCHEMA)?;
        store::migrate(&conn)?;
        let next_rrn = store::load_next_rrn(&conn)?;
        let engine = Engine {
            cavv_key,
            faults,
            clock,
            next_rrn,
            open_to_buy_minor,
            now_yymm: 0,
            now_ms: 0,
        };
        Ok((conn, engine))
    }
}

impl Counterparty for Engine {
    type Request = Work;
    type Answer = Message;

    fn begin_batch(&mut self) {
        self.now_ms = self.clock.now_ms();
        self.now_yymm = wire::yymm_at(self.now_ms.div_euclid(1000));
    }

    fn apply(&mut self, db: &Connection, work: &Work) -> rusqlite::Result<Option<Message>> {
        let mut ctx = Ctx {
            db,
            cavv_key: self.cavv_key.as_ref(),
            faults: &self.faults,
            next_rrn: &mut self.next_rrn,
            open_to_buy_minor: self.open_to_buy_minor,
            now_yymm: self.now_yymm,
            now_ms: self.now_ms,
        };
        cmd::handle(&mut ctx, work)
    }

    /// Answered 96 (system malfunction): the request's effects were rolled back.
    fn failure(&self, work: &Work) -> Option<Message> {
        cmd::failure_response(work)
    }

    fn end_batch(&mut self, db: &Connection) -> rusqlite::Result<()> {
        store::save_next_rrn(db, self.next_rrn)
    }

    fn commit_failed(&mut self, db: &Connection) {
        self.next_rrn = store::load_next_rrn(db).unwrap_or(self.next_rrn);
    }
}
