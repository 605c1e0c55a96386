//! The simulator's SQLite tables and the statements the writer thread runs on them. Only the
//! writer thread writes; [`crate::journal::read`] and [`crate::report::read`] open their own
//! connections.
//!
//! Cards are keyed by their masked PAN (first 6 + last 4 digits): the simulator never stores a
//! full card number, and the test cards are distinct under that mask.

use rusqlite::{Connection, OptionalExtension, params};

pub(crate) use crate::schema::SCHEMA;

/// How a request is named: its own DE 41, DE 11, DE 7 and MTI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    pub terminal_id: String,
    pub stan: String,
    pub transmitted_at: String,
    pub mti: String,
}

/// The answer recorded for a request, replayed when the same request arrives again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Recorded {
    pub response_code: String,
    pub rrn: Option<String>,
    pub approval_code: Option<String>,
    pub answered: bool,
    /// Last 4 digits of the funding card of a device-token authorization (DE 48.33).
    pub funding_last4: Option<String>,
}

/// The answer already given to the request `key`, if any (retransmissions are idempotent).
pub(crate) fn recorded_answer(db: &Connection, key: &Key) -> rusqlite::Result<Option<Recorded>> {
    let mut stmt = db.prepare_cached(
        // The funding card by a correlated subquery, not a LEFT JOIN: joined with the partial
        // index on wallet_tokens, the planner looks at the bound values and SQLite re-prepares
        // the statement at every step (a re-parse per request on the card path).
        "SELECT j.response_code, j.rrn, j.approval_code, j.answered,
                (SELECT substr(w.funding_card, -4) FROM wallet_tokens w WHERE w.auth_id = j.auth_id)
         FROM journal j
         WHERE j.terminal_id = ?1 AND j.stan = ?2 AND j.transmitted_at = ?3 AND j.mti = ?4",
    )?;
    stmt.query_row(
        params![key.terminal_id, key.stan, key.transmitted_at, key.mti],
        |r| {
            Ok(Recorded {
                response_code: r.get(0)?,
                rrn: r.get(1)?,
                approval_code: r.get(2)?,
                answered: r.get(3)?,
                funding_last4: r.get(4)?,
            })
        },
    )
    .optional()
}

/// Whether a reversal naming (terminal, STAN, DE 7) as its original was already received.
pub(crate) fn reversal_seen(
    db: &Connection,
    terminal_id: &str,
    stan: &str,
    transmitted_at: &str,
) -> rusqlite::Result<bool> {
    let mut stmt = db.prepare_cached(
        "SELECT 1 FROM journal WHERE kind = 'reversal' AND terminal_id = ?1
         AND original_stan = ?2 AND original_transmitted_at = ?3 LIMIT 1",
    )?;
    stmt.exists(params![terminal_id, stan, transmitted_at])
}

/// Whether a verified authorization already used the 3-D Secure dsTransID (a replay).
pub(crate) fn ds_trans_id_used(db: &Connection, ds_trans_id: &str) -> rusqlite::Result<bool> {
    db.prepare_cached(
        "SELECT 1 FROM authentications WHERE outcome = 'verified' AND ds_trans_id = ?1",
    )?
    .exists([ds_trans_id])
}

/// Records the 3-D Secure outcome of authorization `auth_id`; `used_ds_trans_id` (only for a
/// verified one) is what later replays are checked against.
pub(crate) fn insert_authentication(
    db: &Connection,
    auth_id: i64,
    eci: Option<&str>,
    outcome: crate::Authentication,
    used_ds_trans_id: Option<&str>,
) -> rusqlite::Result<()> {
    db.prepare_cached(
        "INSERT INTO authentications (auth_id, eci, outcome, ds_trans_id) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![auth_id, eci, outcome.as_str(), used_ds_trans_id])?;
    Ok(())
}

/// Whether an earlier device-token authorization already used the cryptogram of this digest.
pub(crate) fn cryptogram_used(db: &Connection, digest: &str) -> rusqlite::Result<bool> {
    db.prepare_cached(
        "SELECT 1 FROM wallet_tokens WHERE cryptogram = 'fresh' AND cryptogram_sha256 = ?1",
    )?
    .exists([digest])
}

/// A device-token authorization as the token service records it.
pub(crate) struct WalletTokenRow<'a> {
    pub dpan_masked: &'a str,
    pub funding_masked: &'a str,
    pub check: crate::CryptogramCheck,
    /// Only for a fresh cryptogram: what later replays are checked against.
    pub cryptogram_sha256: Option<&'a str>,
}

/// Records the device token of authorization `auth_id`.
pub(crate) fn insert_wallet_token(
    db: &Connection,
    auth_id: i64,
    row: &WalletTokenRow<'_>,
) -> rusqlite::Result<()> {
    db.prepare_cached(
        "INSERT INTO wallet_tokens (auth_id, dpan, funding_card, cryptogram, cryptogram_sha256)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        auth_id,
        row.dpan_masked,
        row.funding_masked,
        row.check.as_str(),
        row.cryptogram_sha256
    ])?;
    Ok(())
}

/// Records the program (DE 48.45) of authorization `auth_id`, when it named one.
pub(crate) fn insert_authentication_program(
    db: &Connection,
    auth_id: i64,
    program: &str,
) -> rusqlite::Result<()> {
    db.prepare_cached("INSERT INTO authentication_programs (auth_id, program) VALUES (?1, ?2)")?
        .execute(params![auth_id, program])?;
    Ok(())
}

/// Records how the card of the authorization `auth_id` was read at the terminal.
pub(crate) fn insert_card_present(
    db: &Connection,
    auth_id: i64,
    read_method: &str,
    wallet: Option<&str>,
    atc: u16,
    pan_masked: &str,
) -> rusqlite::Result<()> {
    db.prepare_cached(
        "INSERT INTO card_present (auth_id, read_method, wallet, atc, pan)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![auth_id, read_method, wallet, atc, pan_masked])?;
    Ok(())
}

/// Adds the columns a journal written by an older simulator lacks (`card_present.pan`).
pub(crate) fn migrate(db: &Connection) -> rusqlite::Result<()> {
    let has_pan = db
        .prepare("SELECT 1 FROM pragma_table_info('card_present') WHERE name = 'pan'")?
        .exists([])?;
    if !has_pan {
        db.execute("ALTER TABLE card_present ADD COLUMN pan TEXT", [])?;
    }
    Ok(())
}

/// The highest verified ATC of `card`, if it was ever read at a terminal.
pub(crate) fn last_atc(db: &Connection, card: &str) -> rusqlite::Result<Option<u16>> {
    db.prepare_cached("SELECT last_atc FROM card_counters WHERE card = ?1")?
        .query_row(params![card], |r| r.get(0))
        .optional()
}

/// Remembers `atc` as the highest verified counter of `card`.
pub(crate) fn save_atc(db: &Connection, card: &str, atc: u16) -> rusqlite::Result<()> {
    db.prepare_cached(
        "INSERT INTO card_counters (card, last_atc) VALUES (?1, ?2)
         ON CONFLICT (card) DO UPDATE SET last_atc = excluded.last_atc",
    )?
    .execute(params![card, atc])?;
    Ok(())
}

/// Records the instalments (할부) of the authorization `auth_id`.
pub(crate) fn insert_installments(
    db: &Connection,
    auth_id: i64,
    count: u8,
) -> rusqlite::Result<()> {
    db.prepare_cached("INSERT INTO installments (auth_id, count) VALUES (?1, ?2)")?
        .execute(params![auth_id, count])?;
    Ok(())
}

/// Records the credential-on-file data of the authorization `auth_id`.
pub(crate) fn insert_stored_credential(
    db: &Connection,
    auth_id: i64,
    usage: &str,
    original_rrn: Option<&str>,
) -> rusqlite::Result<()> {
    db.prepare_cached(
        "INSERT INTO stored_credentials (auth_id, usage, original_rrn) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![auth_id, usage, original_rrn])?;
    Ok(())
}

/// Records the card acceptor (DE 42) of the authorization `auth_id`.
pub(crate) fn insert_acceptor(
    db: &Connection,
    auth_id: i64,
    merchant: &str,
) -> rusqlite::Result<()> {
    db.prepare_cached("INSERT INTO acceptors (auth_id, merchant_id) VALUES (?1, ?2)")?
        .execute(params![auth_id, merchant])?;
    Ok(())
}

/// An authorization or purchase and its current state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AuthRow {
    pub id: i64,
    pub mti: String,
    pub card: String,
    pub currency: u16,
    pub amount_minor: i64,
    pub response_code: String,
    pub rrn: String,
    pub hold_minor: i64,
    pub captured_minor: i64,
    pub refunded_minor: i64,
    pub captures: i64,
    pub reversed: bool,
}

/// The authorization or purchase named by (terminal, STAN, DE 7).
pub(crate) fn find_auth(
    db: &Connection,
    terminal_id: &str,
    stan: &str,
    transmitted_at: &str,
) -> rusqlite::Result<Option<AuthRow>> {
    let mut stmt = db.prepare_cached(
        "SELECT id, mti, card, currency, amount_minor, response_code, rrn, hold_minor,
                captured_minor, refunded_minor, captures, reversed
         FROM authorizations WHERE terminal_id = ?1 AND stan = ?2 AND transmitted_at = ?3",
    )?;
    stmt.query_row(params![terminal_id, stan, transmitted_at], |r| {
        Ok(AuthRow {
            id: r.get(0)?,
            mti: r.get(1)?,
            card: r.get(2)?,
            currency: r.get(3)?,
            amount_minor: r.get(4)?,
            response_code: r.get(5)?,
            rrn: r.get(6)?,
            hold_minor: r.get(7)?,
            captured_minor: r.get(8)?,
            refunded_minor: r.get(9)?,
            captures: r.get(10)?,
            reversed: r.get(11)?,
        })
    })
    .optional()
}

/// Inserts a new authorization (its `id` is ignored) and returns its id.
pub(crate) fn insert_auth(db: &Connection, key: &Key, a: &AuthRow) -> rusqlite::Result<i64> {
    let mut stmt = db.prepare_cached(
        "INSERT INTO authorizations (terminal_id, stan, transmitted_at, mti, card, currency,
             amount_minor, response_code, rrn, hold_minor, captured_minor, refunded_minor,
             captures, reversed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    stmt.execute(params![
        key.terminal_id,
        key.stan,
        key.transmitted_at,
        a.mti,
        a.card,
        a.currency,
        a.amount_minor,
        a.response_code,
        a.rrn,
        a.hold_minor,
        a.captured_minor,
        a.refunded_minor,
        a.captures,
        a.reversed
    ])?;
    Ok(db.last_insert_rowid())
}

/// Writes back the mutable state of an authorization.
pub(crate) fn update_auth(db: &Connection, a: &AuthRow) -> rusqlite::Result<()> {
    let mut stmt = db.prepare_cached(
        "UPDATE authorizations SET hold_minor = ?2, captured_minor = ?3, refunded_minor = ?4,
             captures = ?5, reversed = ?6 WHERE id = ?1",
    )?;
    let changed = stmt.execute(params![
        a.id,
        a.hold_minor,
        a.captured_minor,
        a.refunded_minor,
        a.captures,
        a.reversed
    ])?;
    assert_eq!(
        changed, 1,
        "authorization {} vanished inside the writer",
        a.id
    );
    Ok(())
}

/// Open-to-buy left on (card, currency), creating the account with `limit_minor` on first use.
pub(crate) fn available(
    db: &Connection,
    card: &str,
    currency: u16,
    limit_minor: i64,
) -> rusqlite::Result<i64> {
    db.prepare_cached(
        "INSERT INTO accounts (card, currency, limit_minor, used_minor) VALUES (?1, ?2, ?3, 0)
         ON CONFLICT (card, currency) DO NOTHING",
    )?
    .execute(params![card, currency, limit_minor])?;
    db.prepare_cached(
        "SELECT limit_minor - used_minor FROM accounts WHERE card = ?1 AND currency = ?2",
    )?
    .query_row(params![card, currency], |r| r.get(0))
}

/// Adds `delta_minor` (negative to release) to the account's used amount. The CHECK constraint
/// turns a release of more than was used into an error: that would be a bookkeeping bug.
pub(crate) fn add_used(
    db: &Connection,
    card: &str,
    currency: u16,
    delta_minor: i64,
) -> rusqlite::Result<()> {
    let changed = db
        .prepare_cached(
            "UPDATE accounts SET used_minor = used_minor + ?3 WHERE card = ?1 AND currency = ?2",
        )?
        .execute(params![card, currency, delta_minor])?;
    assert_eq!(changed, 1, "account of an existing authorization vanished");
    Ok(())
}

/// One journal row.
#[derive(Clone, Debug, Default)]
pub(crate) struct JournalRow {
    pub kind: &'static str,
    pub mti: String,
    pub terminal_id: Option<String>,
    pub stan: Option<String>,
    pub transmitted_at: Option<String>,
    pub amount_minor: Option<i64>,
    pub currency: Option<u16>,
    pub response_code: String,
    pub rrn: Option<String>,
    pub approval_code: Option<String>,
    pub answered: bool,
    pub auth_id: Option<i64>,
    pub original_stan: Option<String>,
    pub original_transmitted_at: Option<String>,
    pub original_found: Option<bool>,
}

/// Appends a journal row.
pub(crate) fn append(db: &Connection, j: &JournalRow, recorded_at_ms: i64) -> rusqlite::Result<()> {
    let mut stmt = db.prepare_cached(
        "INSERT INTO journal (kind, mti, terminal_id, stan, transmitted_at, amount_minor,
             currency, response_code, rrn, approval_code, answered, auth_id, original_stan,
             original_transmitted_at, original_found, recorded_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?;
    stmt.execute(params![
        j.kind,
        j.mti,
        j.terminal_id,
        j.stan,
        j.transmitted_at,
        j.amount_minor,
        j.currency,
        j.response_code,
        j.rrn,
        j.approval_code,
        j.answered,
        j.auth_id,
        j.original_stan,
        j.original_transmitted_at,
        j.original_found,
        recorded_at_ms
    ])?;
    Ok(())
}

/// The next RRN counter value (1 on a new database).
pub(crate) fn load_next_rrn(db: &Connection) -> rusqlite::Result<u64> {
    let stored: Option<i64> = db
        .query_row("SELECT value FROM meta WHERE name = 'next_rrn'", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(stored.and_then(|v| u64::try_from(v).ok()).unwrap_or(1))
}

/// Stores the RRN counter (in the batch's transaction).
pub(crate) fn save_next_rrn(db: &Connection, next: u64) -> rusqlite::Result<()> {
    let value = i64::try_from(next).unwrap_or(i64::MAX);
    db.prepare_cached(
        "INSERT INTO meta (name, value) VALUES ('next_rrn', ?1)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![value])?;
    Ok(())
}
