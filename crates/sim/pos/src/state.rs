//! The terminal's durable state (a JSON file): the next STAN, and the phone's ATC per card —
//! written (temporary file, fsync, rename) before a message goes out, so a counter is never
//! used twice even if the terminal dies mid-payment.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub next_stan: u32,
    /// Last ATC used, by the card's last four digits and length (never the full number).
    pub atc: BTreeMap<String, u16>,
    /// Approved purchases by RRN: the STAN and DE 7 a refund names in DE 90.
    #[serde(default)]
    pub purchases: BTreeMap<String, (String, String)>,
}

fn card_key(pan: &str) -> String {
    format!("{}x{}", pan.len(), &pan[pan.len().saturating_sub(4)..])
}

impl State {
    pub fn load(path: &Path) -> Result<State, String> {
        match std::fs::read(path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State {
                next_stan: 1,
                ..State::default()
            }),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), String> {
        let tmp = path.with_extension("tmp");
        let text = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        let mut f = std::fs::File::create(&tmp).map_err(|e| e.to_string())?;
        f.write_all(&text)
            .and_then(|()| f.sync_all())
            .map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, path).map_err(|e| e.to_string())
    }

    /// The next STAN (000001–999999, wrapping).
    pub fn take_stan(&mut self) -> String {
        let stan = self.next_stan.clamp(1, 999_999);
        self.next_stan = stan % 999_999 + 1;
        format!("{stan:06}")
    }

    /// The phone's next ATC for `pan` (or `forced`, to replay a counter on purpose).
    pub fn take_atc(&mut self, pan: &str, forced: Option<u16>) -> u16 {
        let entry = self.atc.entry(card_key(pan)).or_insert(0);
        let atc = forced.unwrap_or(entry.saturating_add(1));
        *entry = (*entry).max(atc);
        atc
    }
}
