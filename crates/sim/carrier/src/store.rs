//! The carrier's state and journal in SQLite (`carrier-sim.sqlite3` in the data directory):
//! one row per payment (its state machine) and an append-only journal, written in one
//! transaction per request before the answer goes out. Phone numbers are kept keyed (for the
//! monthly limit) and masked (for people), never in full; codes only as hashes.

use std::path::Path;
use std::sync::Mutex;

use paygate_sim_kit::{SimError, data_dir};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

/// File name of the database inside the data directory.
pub const JOURNAL_FILE: &str = "carrier-sim.sqlite3";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS payments (
    id             TEXT PRIMARY KEY,
    merchant       TEXT NOT NULL,
    reference      TEXT NOT NULL,
    carrier        TEXT NOT NULL,
    phone_key      TEXT NOT NULL,
    phone_masked   TEXT NOT NULL,
    amount         INTEGER NOT NULL,
    status         TEXT NOT NULL,
    code_hash      TEXT NOT NULL,
    code_expires   INTEGER NOT NULL,
    wrong_codes    INTEGER NOT NULL DEFAULT 0,
    resends        INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    charged_at     INTEGER,
    billing_month  TEXT,
    canceled_at    INTEGER,
    monthly_limit  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_by_phone ON payments (phone_key, billing_month);
CREATE INDEX IF NOT EXISTS payments_by_merchant ON payments (merchant, billing_month);
CREATE TABLE IF NOT EXISTS journal (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    event      TEXT NOT NULL,
    payment    TEXT NOT NULL,
    merchant   TEXT NOT NULL,
    phone      TEXT NOT NULL,
    amount     INTEGER NOT NULL,
    code       TEXT
);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
";

/// A payment's state at the carrier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A code was sent; waiting for it.
    CodeSent,
    /// The subscriber typed the right code; waiting for the charge.
    Verified,
    /// On this month's bill.
    Charged,
    /// Taken off the bill (cancelled in full), or voided before the charge.
    Canceled,
    /// Five wrong codes: the payment can no longer be confirmed.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::CodeSent => "code_sent",
            Status::Verified => "verified",
            Status::Charged => "charged",
            Status::Canceled => "canceled",
            Status::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Status {
        [
            Status::CodeSent,
            Status::Verified,
            Status::Charged,
            Status::Canceled,
            Status::Failed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
        .unwrap_or(Status::Failed)
    }
}

/// One payment row.
#[derive(Clone, Debug, Serialize)]
pub struct Payment {
    pub id: String,
    pub merchant: String,
    pub reference: String,
    pub carrier: String,
    #[serde(skip)]
    pub phone_key: String,
    pub phone_masked: String,
    pub amount: i64,
    pub status: Status,
    #[serde(skip)]
    pub code_hash: String,
    pub code_expires: i64,
    pub wrong_codes: i64,
    pub resends: i64,
    pub created_at: i64,
    pub charged_at: Option<i64>,
    pub billing_month: Option<String>,
    pub canceled_at: Option<i64>,
    /// The subscriber's monthly limit when the payment started.
    #[serde(skip)]
    pub monthly_limit: i64,
}

/// One journal line (`paygate sim carrier journal --json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Entry {
    pub seq: i64,
    /// Unix seconds (the carrier's clock).
    pub at: i64,
    /// `code_sent`, `code_resent`, `code_wrong`, `verified`, `locked`, `charged`,
    /// `charge_refused`, `canceled`, `voided`, `cancel_refused`, `refused`.
    pub event: String,
    pub payment: String,
    pub merchant: String,
    /// Masked: `010****5678`.
    pub phone: String,
    pub amount: i64,
    /// The refusal code, when the event is one.
    pub code: Option<String>,
}

/// The writing connection.
pub(crate) struct Store {
    conn: Mutex<Connection>,
}

const COLUMNS: &str = "id, merchant, reference, carrier, phone_key, phone_masked, amount, \
    status, code_hash, code_expires, wrong_codes, resends, created_at, charged_at, \
    billing_month, canceled_at, monthly_limit";

impl Store {
    /// Opens (creating) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Store, SimError> {
        let conn = data_dir::open_writer(dir, JOURNAL_FILE, SCHEMA)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    /// Runs `f` in one transaction. A refusal keeps what `f` wrote before it (the journal
    /// line, a wrong-code count): only a database failure rolls back.
    pub fn tx<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, crate::rules::Refusal>,
    ) -> Result<T, crate::rules::Refusal> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction()?;
        let out = f(&tx);
        if matches!(&out, Err(r) if r.status >= 500) {
            return out;
        }
        tx.commit()?;
        out
    }
}

/// The key the phone numbers are keyed with (random, made once per data directory).
pub fn phone_key_secret(tx: &Transaction<'_>) -> Result<String, rusqlite::Error> {
    if let Some(v) = tx
        .query_row(
            "SELECT value FROM secrets WHERE name = 'phone_key'",
            [],
            |r| r.get(0),
        )
        .optional()?
    {
        return Ok(v);
    }
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    let v = hex::encode(raw);
    tx.execute(
        "INSERT INTO secrets (name, value) VALUES ('phone_key', ?1)",
        params![v],
    )?;
    Ok(v)
}

pub fn insert(tx: &Transaction<'_>, p: &Payment) -> Result<(), rusqlite::Error> {
    tx.execute(
        &format!("INSERT INTO payments ({COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)"),
        params![
            p.id, p.merchant, p.reference, p.carrier, p.phone_key, p.phone_masked, p.amount,
            p.status.as_str(), p.code_hash, p.code_expires, p.wrong_codes, p.resends,
            p.created_at, p.charged_at, p.billing_month, p.canceled_at, p.monthly_limit
        ],
    )?;
    Ok(())
}

pub fn update(tx: &Transaction<'_>, p: &Payment) -> Result<(), rusqlite::Error> {
    tx.execute(
        "UPDATE payments SET status=?2, code_hash=?3, code_expires=?4, wrong_codes=?5, \
         resends=?6, charged_at=?7, billing_month=?8, canceled_at=?9 WHERE id=?1",
        params![
            p.id,
            p.status.as_str(),
            p.code_hash,
            p.code_expires,
            p.wrong_codes,
            p.resends,
            p.charged_at,
            p.billing_month,
            p.canceled_at
        ],
    )?;
    Ok(())
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Payment>, rusqlite::Error> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM payments WHERE id = ?1"),
        params![id],
        row,
    )
    .optional()
}

/// What the subscriber keyed `phone_key` has on the bill of `month`, all merchants.
pub fn billed(tx: &Transaction<'_>, phone_key: &str, month: &str) -> Result<i64, rusqlite::Error> {
    tx.query_row(
        "SELECT COALESCE(SUM(amount), 0) FROM payments WHERE phone_key = ?1 \
         AND billing_month = ?2 AND status = 'charged'",
        params![phone_key, month],
        |r| r.get(0),
    )
}

/// Every payment of `merchant` billed in `month`, in charge order.
pub fn of_month(
    conn: &Connection,
    merchant: &str,
    month: &str,
) -> Result<Vec<Payment>, rusqlite::Error> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM payments WHERE merchant = ?1 AND billing_month = ?2 \
         ORDER BY charged_at, id"
    ))?;
    let rows = stmt.query_map(params![merchant, month], row)?;
    rows.collect()
}

/// Appends an event about `p` to the journal.
pub fn journal(
    tx: &Transaction<'_>,
    at: i64,
    event: &str,
    p: &Payment,
    code: Option<&str>,
) -> Result<(), rusqlite::Error> {
    tx.execute(
        "INSERT INTO journal (at, event, payment, merchant, phone, amount, code) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![at, event, p.id, p.merchant, p.phone_masked, p.amount, code],
    )?;
    Ok(())
}

/// Every journal line, oldest first.
pub fn read_journal(conn: &Connection) -> Result<Vec<Entry>, rusqlite::Error> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, event, payment, merchant, phone, amount, code FROM journal ORDER BY seq",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Entry {
            seq: r.get(0)?,
            at: r.get(1)?,
            event: r.get(2)?,
            payment: r.get(3)?,
            merchant: r.get(4)?,
            phone: r.get(5)?,
            amount: r.get(6)?,
            code: r.get(7)?,
        })
    })?;
    rows.collect()
}

fn row(r: &rusqlite::Row<'_>) -> Result<Payment, rusqlite::Error> {
    Ok(Payment {
        id: r.get(0)?,
        merchant: r.get(1)?,
        reference: r.get(2)?,
        carrier: r.get(3)?,
        phone_key: r.get(4)?,
        phone_masked: r.get(5)?,
        amount: r.get(6)?,
        status: Status::parse(&r.get::<_, String>(7)?),
        code_hash: r.get(8)?,
        code_expires: r.get(9)?,
        wrong_codes: r.get(10)?,
        resends: r.get(11)?,
        created_at: r.get(12)?,
        charged_at: r.get(13)?,
        billing_month: r.get(14)?,
        canceled_at: r.get(15)?,
        monthly_limit: r.get(16)?,
    })
}
