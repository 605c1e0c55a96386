//! The journal as operators and tests read it (`paygate sim sms journal --data-dir DIR
//! --json`): every accepted message, in arrival order.

use std::path::Path;

use paygate_sim_kit::{SimError, data_dir};
use serde::{Deserialize, Serialize};

use crate::store::{JOURNAL_FILE, Store};

/// One accepted message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// `sms_…`, the id the `POST` answered.
    pub id: String,
    /// Destination number as sent (digits only).
    pub phone: String,
    /// The text.
    pub body: String,
    /// Sender name or number.
    pub sender: String,
    /// Arrival, ms since the Unix epoch.
    pub created_ms: i64,
}

/// Reads every message of the journal in `data_dir`, oldest first.
pub fn read(data_dir: &Path) -> Result<Vec<Message>, SimError> {
    let conn = data_dir::open_reader(data_dir, JOURNAL_FILE)?;
    Ok(Store::read_all(&conn)?)
}
