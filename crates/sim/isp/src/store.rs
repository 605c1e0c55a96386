//! State and journal in SQLite (`isp-sim.sqlite3` in the data directory): the CA
//! certificates, each enrolled card (opaque reference ↔ keyed PAN fingerprint ↔ serial ↔
//! certificate), the signatures already used, and the journal of every enroll, verify and
//! revoke. No PAN, CVC or private key is written; cards appear as fingerprint and last four.
//!
//! One connection behind a mutex; a verification's replay check and its journal line are one
//! transaction, so two verifications of one signature cannot both pass.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use paygate_sim_kit::{SimError, data_dir};
use rusqlite::{Connection, OptionalExtension, params};

use crate::journal::JournalEntry;

/// File name of the database inside the data directory.
pub const JOURNAL_FILE: &str = "isp-sim.sqlite3";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ca_certificates (
    name TEXT PRIMARY KEY,
    pem  TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cards (
    serial           TEXT PRIMARY KEY,
    card_ref         TEXT NOT NULL UNIQUE,
    card_fingerprint TEXT NOT NULL,
    last4            TEXT NOT NULL,
    certificate      TEXT NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    revoked_at_ms    INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS used_signatures (
    signature_sha256 TEXT PRIMARY KEY,
    verification_id  TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS journal (
    seq             INTEGER PRIMARY KEY,
    at_ms           INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('enroll', 'verify', 'revoke')),
    result          TEXT NOT NULL,
    serial          TEXT,
    card_ref        TEXT,
    last4           TEXT,
    verification_id TEXT,
    transaction_id  TEXT,
    payment_intent  TEXT,
    merchant        TEXT,
    amount          INTEGER,
    currency        TEXT,
    eci             TEXT
);
";

/// An enrolled card as stored.
#[derive(Clone, Debug)]
pub(crate) struct CardRow {
    pub serial: String,
    pub card_ref: String,
    pub card_fingerprint: String,
    pub last4: String,
    pub certificate: String,
    pub created_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

/// The database.
pub(crate) struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating) the database in `dir`.
    pub(crate) fn open(dir: &Path) -> Result<Store, SimError> {
        let conn = data_dir::open_writer(dir, JOURNAL_FILE, SCHEMA)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    /// The connection; a panic while holding it cannot leave a half-written transaction
    /// (SQLite rolls it back), so a poisoned lock is still usable.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn ca_certificate(&self, name: &str) -> rusqlite::Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT pem FROM ca_certificates WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()
    }

    pub(crate) fn put_ca_certificate(&self, name: &str, pem: &str) -> rusqlite::Result<()> {
        self.conn().execute(
            "INSERT INTO ca_certificates (name, pem) VALUES (?1, ?2)",
            params![name, pem],
        )?;
        Ok(())
    }

    /// The card bound to a certificate serial.
    pub(crate) fn card(&self, serial: &str) -> rusqlite::Result<Option<CardRow>> {
        self.conn()
            .prepare_cached(
                "SELECT serial, card_ref, card_fingerprint, last4, certificate, created_at_ms,
                        revoked_at_ms FROM cards WHERE serial = ?1",
            )?
            .query_row([serial], |r| {
                Ok(CardRow {
                    serial: r.get(0)?,
                    card_ref: r.get(1)?,
                    card_fingerprint: r.get(2)?,
                    last4: r.get(3)?,
                    certificate: r.get(4)?,
                    created_at_ms: r.get(5)?,
                    revoked_at_ms: r.get(6)?,
                })
            })
            .optional()
    }

    /// Records an enrolled card and its journal line in one transaction.
    pub(crate) fn enrolled(&self, card: &CardRow, entry: &JournalEntry) -> rusqlite::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO cards (serial, card_ref, card_fingerprint, last4, certificate,
                                created_at_ms, revoked_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)",
            params![
                card.serial,
                card.card_ref,
                card.card_fingerprint,
                card.last4,
                card.certificate,
                card.created_at_ms
            ],
        )?;
        insert_journal(&tx, entry)?;
        tx.commit()
    }

    /// Marks a certificate revoked (idempotent: the first revocation time stays) and journals
    /// it; `false` when the serial is unknown (journaled too).
    pub(crate) fn revoke(&self, serial: &str, entry: &JournalEntry) -> rusqlite::Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let known = tx.execute(
            "UPDATE cards SET revoked_at_ms = COALESCE(revoked_at_ms, ?2) WHERE serial = ?1",
            params![serial, entry.at_ms],
        )? == 1;
        insert_journal(&tx, entry)?;
        tx.commit()?;
        Ok(known)
    }

    /// Records a verification's use of a signature and its journal line; `false` (and only
    /// the journal line `replayed`) if the signature was used before.
    pub(crate) fn use_signature(
        &self,
        signature_sha256: &str,
        verified: &JournalEntry,
        replayed: &JournalEntry,
    ) -> rusqlite::Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let fresh = tx.execute(
            "INSERT INTO used_signatures (signature_sha256, verification_id) VALUES (?1, ?2)
             ON CONFLICT (signature_sha256) DO NOTHING",
            params![signature_sha256, verified.verification_id],
        )? == 1;
        insert_journal(&tx, if fresh { verified } else { replayed })?;
        tx.commit()?;
        Ok(fresh)
    }

    /// Appends one journal line.
    pub(crate) fn journal(&self, entry: &JournalEntry) -> rusqlite::Result<()> {
        insert_journal(&self.conn(), entry)
    }

    /// Every journal line, in order.
    pub(crate) fn read_journal(conn: &Connection) -> rusqlite::Result<Vec<JournalEntry>> {
        let mut stmt = conn.prepare(
            "SELECT seq, at_ms, kind, result, serial, card_ref, last4, verification_id,
                    transaction_id, payment_intent, merchant, amount, currency, eci
             FROM journal ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(JournalEntry {
                seq: r.get(0)?,
                at_ms: r.get(1)?,
                kind: r.get(2)?,
                result: r.get(3)?,
                serial: r.get(4)?,
                card_ref: r.get(5)?,
                last4: r.get(6)?,
                verification_id: r.get(7)?,
                transaction_id: r.get(8)?,
                payment_intent: r.get(9)?,
                merchant: r.get(10)?,
                amount: r.get(11)?,
                currency: r.get(12)?,
                eci: r.get(13)?,
            })
        })?;
        rows.collect()
    }
}

fn insert_journal(conn: &Connection, e: &JournalEntry) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO journal (at_ms, kind, result, serial, card_ref, last4, verification_id,
                              transaction_id, payment_intent, merchant, amount, currency, eci)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        e.at_ms,
        e.kind,
        e.result,
        e.serial,
        e.card_ref,
        e.last4,
        e.verification_id,
        e.transaction_id,
        e.payment_intent,
        e.merchant,
        e.amount,
        e.currency,
        e.eci
    ])?;
    Ok(())
}
