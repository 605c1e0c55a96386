//! The simulator's state and journal in SQLite (`threeds-sim.sqlite3` in the data directory):
//! one row per transaction, updated as it goes (it is the journal too), and the lockout of each
//! card. Cards are named by their fingerprint ([`crate::cavv`]) and last four digits only: no
//! PAN, password or CAVV is ever written.
//!
//! One connection behind a mutex: every statement is a short indexed write or read, and a
//! transaction's state changes are conditional updates (`WHERE state = …`), so a challenge
//! ended by the payer and by the timeout sweep at once ends only once.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use paygate_sim_kit::{SimError, data_dir};
use rusqlite::{Connection, OptionalExtension, params};

/// File name of the database inside the data directory.
pub const JOURNAL_FILE: &str = "threeds-sim.sqlite3";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS transactions (
    seq                      INTEGER PRIMARY KEY,
    acs_trans_id             TEXT NOT NULL UNIQUE,
    three_ds_server_trans_id TEXT NOT NULL,
    ds_trans_id              TEXT NOT NULL,
    card_fingerprint         TEXT NOT NULL,
    last4                    TEXT NOT NULL,
    amount_minor             INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency                 TEXT NOT NULL,
    exponent                 INTEGER NOT NULL,
    merchant_name            TEXT NOT NULL,
    message_version          TEXT NOT NULL,
    three_ds_server_url      TEXT NOT NULL,
    notification_url         TEXT NOT NULL,
    flow                     TEXT NOT NULL CHECK (flow IN ('frictionless', 'challenge')),
    state                    TEXT NOT NULL CHECK (state IN ('awaiting_creq', 'challenging', 'ended')),
    trans_status             TEXT,
    trans_status_reason      TEXT,
    eci                      TEXT,
    interactions             INTEGER NOT NULL DEFAULT 0,
    challenge_cancel         TEXT,
    session_data             TEXT,
    created_at_ms            INTEGER NOT NULL,
    creq_deadline_ms         INTEGER,
    challenge_deadline_ms    INTEGER,
    ended_at_ms              INTEGER,
    rreq_delivery            TEXT,
    message_category         TEXT NOT NULL DEFAULT '01' CHECK (message_category IN ('01', '02'))
);
CREATE INDEX IF NOT EXISTS transactions_open ON transactions (state) WHERE state <> 'ended';
CREATE TABLE IF NOT EXISTS lockouts (
    card_fingerprint TEXT PRIMARY KEY,
    failures         INTEGER NOT NULL,
    locked_until_ms  INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Where a transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// ARes C sent; the browser's first CReq has not arrived.
    AwaitingCreq,
    /// The challenge page is shown.
    Challenging,
    /// Final: its transStatus is known.
    Ended,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::AwaitingCreq => "awaiting_creq",
            State::Challenging => "challenging",
            State::Ended => "ended",
        }
    }

    fn parse(s: &str) -> State {
        match s {
            "awaiting_creq" => State::AwaitingCreq,
            "challenging" => State::Challenging,
            _ => State::Ended,
        }
    }
}

/// How the transaction was authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Answered in the ARes (Y, N or U) without the cardholder.
    Frictionless,
    /// ARes C, then the password challenge.
    Challenge,
}

impl Flow {
    /// The journal's name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Flow::Frictionless => "frictionless",
            Flow::Challenge => "challenge",
        }
    }
}

/// One transaction as stored.
#[derive(Clone, Debug)]
pub(crate) struct Tx {
    pub acs_trans_id: String,
    pub three_ds_server_trans_id: String,
    pub ds_trans_id: String,
    pub card_fingerprint: String,
    pub last4: String,
    pub amount_minor: u64,
    pub currency: String,
    pub exponent: u8,
    pub merchant_name: String,
    pub message_version: String,
    pub three_ds_server_url: String,
    pub notification_url: String,
    pub flow: Flow,
    pub state: State,
    pub trans_status: Option<String>,
    pub trans_status_reason: Option<String>,
    pub eci: Option<String>,
    pub interactions: u32,
    pub challenge_cancel: Option<String>,
    pub session_data: Option<String>,
    pub created_at_ms: i64,
    pub creq_deadline_ms: Option<i64>,
    pub challenge_deadline_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
    pub rreq_delivery: Option<String>,
    /// `messageCategory` of the AReq: "01" payment, "02" non-payment (a card being added).
    pub message_category: String,
}

/// The final outcome written when a transaction ends.
#[derive(Clone, Debug)]
pub(crate) struct Ending {
    pub trans_status: &'static str,
    pub reason: Option<&'static str>,
    pub eci: Option<String>,
    pub challenge_cancel: Option<&'static str>,
    pub rreq_delivery: Option<String>,
}

const COLUMNS: &str = "acs_trans_id, three_ds_server_trans_id, ds_trans_id, card_fingerprint,
    last4, amount_minor, currency, exponent, merchant_name, message_version, three_ds_server_url,
    notification_url, flow, state, trans_status, trans_status_reason, eci, interactions,
    challenge_cancel, session_data, created_at_ms, creq_deadline_ms, challenge_deadline_ms,
    ended_at_ms, rreq_delivery, message_category";

/// The database.
pub(crate) struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating) the database in `dir`.
    pub(crate) fn open(dir: &Path) -> Result<Store, SimError> {
        let conn = data_dir::open_writer(dir, JOURNAL_FILE, SCHEMA)?;
        add_message_category(&conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-written row (each call is one
        // statement), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a new transaction.
    pub(crate) fn insert(&self, t: &Tx) -> rusqlite::Result<()> {
        let sql = format!(
            "INSERT INTO transactions ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,
             ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)"
        );
        self.conn().prepare_cached(&sql)?.execute(params![
            t.acs_trans_id,
            t.three_ds_server_trans_id,
            t.ds_trans_id,
            t.card_fingerprint,
            t.last4,
            i64::try_from(t.amount_minor).unwrap_or(i64::MAX),
            t.currency,
            t.exponent,
            t.merchant_name,
            t.message_version,
            t.three_ds_server_url,
            t.notification_url,
            t.flow.as_str(),
            t.state.as_str(),
            t.trans_status,
            t.trans_status_reason,
            t.eci,
            t.interactions,
            t.challenge_cancel,
            t.session_data,
            t.created_at_ms,
            t.creq_deadline_ms,
            t.challenge_deadline_ms,
            t.ended_at_ms,
            t.rreq_delivery,
            t.message_category
        ])?;
        Ok(())
    }

    /// The transaction `acs_trans_id`, if known.
    pub(crate) fn get(&self, acs_trans_id: &str) -> rusqlite::Result<Option<Tx>> {
        let sql = format!("SELECT {COLUMNS} FROM transactions WHERE acs_trans_id = ?1");
        self.conn()
            .prepare_cached(&sql)?
            .query_row([acs_trans_id], row)
            .optional()
    }

    /// Every transaction in arrival order (the journal).
    pub(crate) fn all(conn: &Connection) -> rusqlite::Result<Vec<Tx>> {
        let sql = format!("SELECT {COLUMNS} FROM transactions ORDER BY seq");
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], row)?;
        rows.collect()
    }

    /// awaiting_creq → challenging, with the challenge deadline and the session data; false if
    /// the transaction was not awaiting its CReq.
    pub(crate) fn start_challenge(
        &self,
        acs_trans_id: &str,
        deadline_ms: i64,
        session_data: Option<&str>,
    ) -> rusqlite::Result<bool> {
        let n = self
            .conn()
            .prepare_cached(
                "UPDATE transactions SET state = 'challenging', challenge_deadline_ms = ?2,
                 session_data = ?3
             WHERE acs_trans_id = ?1 AND state = 'awaiting_creq'",
            )?
            .execute(params![acs_trans_id, deadline_ms, session_data])?;
        Ok(n == 1)
    }

    /// Counts one password entry of a running challenge; the new count.
    pub(crate) fn count_interaction(&self, acs_trans_id: &str) -> rusqlite::Result<u32> {
        self.conn()
            .prepare_cached(
                "UPDATE transactions SET interactions = interactions + 1
                 WHERE acs_trans_id = ?1 AND state = 'challenging' RETURNING interactions",
            )?
            .query_row([acs_trans_id], |r| r.get(0))
            .optional()
            .map(Option::unwrap_or_default)
    }

    /// Ends a transaction that has not ended yet; false if it already had (someone else ended
    /// it first).
    pub(crate) fn end(
        &self,
        acs_trans_id: &str,
        e: &Ending,
        now_ms: i64,
    ) -> rusqlite::Result<bool> {
        let n = self.conn().prepare_cached(
            "UPDATE transactions SET state = 'ended', trans_status = ?2, trans_status_reason = ?3,
                 eci = ?4, challenge_cancel = ?5, rreq_delivery = ?6, ended_at_ms = ?7
             WHERE acs_trans_id = ?1 AND state <> 'ended'",
        )?
        .execute(params![
            acs_trans_id,
            e.trans_status,
            e.reason,
            e.eci,
            e.challenge_cancel,
            e.rreq_delivery,
            now_ms
        ])?;
        Ok(n == 1)
    }

    /// Records what became of the RReq of an ended transaction.
    pub(crate) fn set_delivery(&self, acs_trans_id: &str, delivery: &str) -> rusqlite::Result<()> {
        self.conn()
            .prepare_cached("UPDATE transactions SET rreq_delivery = ?2 WHERE acs_trans_id = ?1")?
            .execute(params![acs_trans_id, delivery])?;
        Ok(())
    }

    /// Open transactions past a deadline at `now_ms`: (acsTransID, whether the CReq was
    /// awaited), at most `limit`.
    pub(crate) fn expired(&self, now_ms: i64, limit: u32) -> rusqlite::Result<Vec<(String, bool)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT acs_trans_id, state = 'awaiting_creq' FROM transactions
             WHERE (state = 'awaiting_creq' AND creq_deadline_ms < ?1)
                OR (state = 'challenging' AND challenge_deadline_ms < ?1)
             LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![now_ms, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    }

    /// Whether the card is locked at `now_ms`, and its wrong passwords in a row.
    pub(crate) fn lockout(&self, fingerprint: &str, now_ms: i64) -> rusqlite::Result<(bool, u32)> {
        read_lockout(&self.conn(), fingerprint, now_ms)
    }

    /// Counts a wrong password for the card in one step (two browser tabs cannot both read
    /// the old count); the card locks until `now_ms + lock_ms` when the count reaches
    /// `max_failures`. The new count.
    pub(crate) fn wrong_password(
        &self,
        fingerprint: &str,
        now_ms: i64,
        max_failures: u32,
        lock_ms: i64,
    ) -> rusqlite::Result<u32> {
        let conn = self.conn();
        let (_, before) = read_lockout(&conn, fingerprint, now_ms)?;
        let failures = before + 1;
        let until = if failures >= max_failures {
            now_ms.saturating_add(lock_ms)
        } else {
            0
        };
        write_lockout(&conn, fingerprint, failures, until)?;
        Ok(failures)
    }

    /// Forgets the card's wrong passwords (after the right one).
    pub(crate) fn clear_lockout(&self, fingerprint: &str) -> rusqlite::Result<()> {
        write_lockout(&self.conn(), fingerprint, 0, 0)
    }
}

fn read_lockout(
    conn: &Connection,
    fingerprint: &str,
    now_ms: i64,
) -> rusqlite::Result<(bool, u32)> {
    let found: Option<(u32, i64)> = conn
        .prepare_cached(
            "SELECT failures, locked_until_ms FROM lockouts WHERE card_fingerprint = ?1",
        )?
        .query_row([fingerprint], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match found {
        Some((failures, until)) if until > now_ms => (true, failures),
        // A lock that has run out starts the count afresh.
        Some((_, until)) if until > 0 => (false, 0),
        Some((failures, _)) => (false, failures),
        None => (false, 0),
    })
}

fn write_lockout(
    conn: &Connection,
    fingerprint: &str,
    failures: u32,
    locked_until_ms: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO lockouts (card_fingerprint, failures, locked_until_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (card_fingerprint) DO UPDATE
         SET failures = excluded.failures, locked_until_ms = excluded.locked_until_ms",
    )?
    .execute(params![fingerprint, failures, locked_until_ms])?;
    Ok(())
}

/// A journal written before non-payment authentications existed gets their column (every
/// earlier transaction was a payment).
fn add_message_category(conn: &Connection) -> rusqlite::Result<()> {
    let has: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info('transactions') WHERE name = 'message_category'",
        [],
        |r| r.get(0),
    )?;
    if !has {
        conn.execute_batch(
            "ALTER TABLE transactions ADD COLUMN message_category TEXT NOT NULL DEFAULT '01'",
        )?;
    }
    Ok(())
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Tx> {
    let flow: String = r.get(12)?;
    let state: String = r.get(13)?;
    Ok(Tx {
        acs_trans_id: r.get(0)?,
        three_ds_server_trans_id: r.get(1)?,
        ds_trans_id: r.get(2)?,
        card_fingerprint: r.get(3)?,
        last4: r.get(4)?,
        amount_minor: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
        currency: r.get(6)?,
        exponent: r.get(7)?,
        merchant_name: r.get(8)?,
        message_version: r.get(9)?,
        three_ds_server_url: r.get(10)?,
        notification_url: r.get(11)?,
        flow: if flow == "challenge" {
            Flow::Challenge
        } else {
            Flow::Frictionless
        },
        state: State::parse(&state),
        trans_status: r.get(14)?,
        trans_status_reason: r.get(15)?,
        eci: r.get(16)?,
        interactions: r.get(17)?,
        challenge_cancel: r.get(18)?,
        session_data: r.get(19)?,
        created_at_ms: r.get(20)?,
        creq_deadline_ms: r.get(21)?,
        challenge_deadline_ms: r.get(22)?,
        ended_at_ms: r.get(23)?,
        rreq_delivery: r.get(24)?,
        message_category: r.get(25)?,
    })
}
