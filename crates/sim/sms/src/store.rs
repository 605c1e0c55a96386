//! The journal in SQLite (`sms-sim.sqlite3` in the data directory): one row per accepted
//! message, committed before the `202` goes out.

use std::path::Path;
use std::sync::Mutex;

use paygate_sim_kit::{SimError, data_dir};
use rusqlite::{Connection, params};

use crate::journal::Message;

/// File name of the database inside the data directory.
pub const JOURNAL_FILE: &str = "sms-sim.sqlite3";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    phone      TEXT NOT NULL,
    body       TEXT NOT NULL,
    sender     TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_phone ON messages (phone, seq);
";

/// Most messages one inbox read returns.
pub const INBOX_MAX: usize = 100;

/// The writing connection.
pub(crate) struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating) the journal in `dir`.
    pub fn open(dir: &Path) -> Result<Store, SimError> {
        let conn = data_dir::open_writer(dir, JOURNAL_FILE, SCHEMA)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends `m` to the journal.
    pub fn insert(&self, m: &Message) -> Result<(), rusqlite::Error> {
        self.lock().execute(
            "INSERT INTO messages (id, phone, body, sender, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![m.id, m.phone, m.body, m.sender, m.created_ms],
        )?;
        Ok(())
    }

    /// The newest [`INBOX_MAX`] messages to `phone`, newest first.
    pub fn inbox(&self, phone: &str) -> Result<Vec<Message>, rusqlite::Error> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, phone, body, sender, created_ms FROM messages WHERE phone = ?1 \
             ORDER BY seq DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![phone, INBOX_MAX as i64], row)?;
        rows.collect()
    }

    /// Every message, oldest first.
    pub fn read_all(conn: &Connection) -> Result<Vec<Message>, rusqlite::Error> {
        let mut stmt =
            conn.prepare("SELECT id, phone, body, sender, created_ms FROM messages ORDER BY seq")?;
        let rows = stmt.query_map([], row)?;
        rows.collect()
    }
}

fn row(r: &rusqlite::Row<'_>) -> Result<Message, rusqlite::Error> {
    Ok(Message {
        id: r.get(0)?,
        phone: r.get(1)?,
        body: r.get(2)?,
        sender: r.get(3)?,
        created_ms: r.get(4)?,
    })
}
