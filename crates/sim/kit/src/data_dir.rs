//! A simulator's data directory holds its journal database. The writer thread owns the one
//! writing connection; readers (`journal`, `report`) open their own and may run while the
//! simulator serves.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::SimError;

/// Time a connection waits for a lock held by another connection, in milliseconds.
const BUSY_TIMEOUT_MS: u64 = 5_000;

/// Opens (creating the directory and the file) the journal `file` in `dir` for the writer
/// thread and applies `schema`.
///
/// WAL + synchronous=NORMAL: a commit survives a crash of the simulator process (the WAL is in
/// the OS page cache before the answers go out); only an OS crash or power loss can drop the
/// last commits — acceptable for a test counterparty, and it lets one thread commit thousands
/// of requests per second.
pub fn open_writer(dir: &Path, file: &str, schema: &str) -> Result<Connection, SimError> {
    std::fs::create_dir_all(dir)?;
    let conn = Connection::open(dir.join(file))?;
    conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.execute_batch(schema)?;
    Ok(conn)
}

/// Opens the existing journal `file` in `dir` for reading; [`SimError::NoJournal`] if absent.
pub fn open_reader(dir: &Path, file: &str) -> Result<Connection, SimError> {
    let path: PathBuf = dir.join(file);
    if !path.is_file() {
        return Err(SimError::NoJournal { path });
    }
    // Read-write so that a reader can replay the WAL of a writer that crashed.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&path, flags)?;
    conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))?;
    Ok(conn)
}
