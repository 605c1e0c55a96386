//! A hash-chained, tamper-evident log in the store: each entry holds the SHA-256 of the
//! previous one, so an entry changed, removed or inserted afterwards breaks the chain at that
//! point. Shared by the dashboard's audit log (`paygate_dashboard::audit`) and the operator
//! audit log ([`super::operator`]); each is one [`Chain`] (its object kinds and id prefix).
//!
//! Storage: entries are objects of the chain's entry kind with ids `<prefix>_<seq>` in the
//! platform scope; the chain's head (last seq and hash) is one object whose version serializes
//! appends: an append that lost the race re-reads the head and tries again.

use paygate_store::{CommitError, ListQuery, ObjectRow, Op, Scope, Store, WriteUnit};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const APPEND_TRIES: usize = 8;
const PAGE_ROWS: usize = 100;

/// One chain's place in the store.
#[derive(Clone, Copy, Debug)]
pub struct Chain {
    /// The object kind of its entries.
    pub entry_kind: &'static str,
    /// The object kind and id of its head.
    pub head_kind: &'static str,
    pub head_id: &'static str,
    /// Entry ids are `<id_prefix>_<seq, 12 digits>`.
    pub id_prefix: &'static str,
}

/// Who did it, what, to what, from where.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Who: a dashboard user id (`du_…`), or the operating-system user of a CLI command.
    pub actor: String,
    /// The e-mail the actor used (dashboard), when there is one.
    pub email: String,
    /// What: `login`, `refund`, `merchant_create`, `kek_rotate`, …
    pub action: String,
    /// The object acted on (`pi_…`, `acct_…`, `key_…`), when there is one.
    pub target: String,
    /// The merchant of the object, when there is one.
    pub merchant: String,
    /// Where: the client's address as the gateway saw it, or `cli@<host>`.
    pub ip: String,
    /// Free detail (amount, outcome, key ids); never a secret.
    pub detail: String,
}

/// One link of the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    /// When: Unix seconds (the gateway's clock).
    pub at: i64,
    #[serde(flatten)]
    pub record: Record,
    /// The previous entry's hash ([`GENESIS`] for the first).
    pub prev: String,
    /// SHA-256 of this entry's other fields and `prev`.
    pub hash: String,
}

/// Why a chain could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("storage: {0}")]
    Store(#[from] paygate_store::StoreError),
    #[error("storage: {0}")]
    Commit(#[from] CommitError),
    /// A stored entry is not an entry any more (named by its object id).
    #[error("audit entry {0} is malformed")]
    Corrupt(String),
    #[error("the audit log's head kept changing; entry not written")]
    Contended,
}

/// The scope every chain lives in (the platform's, never a merchant's).
pub fn platform_scope() -> Scope {
    Scope {
        merchant_id: crate::easy_pay::PLATFORM.to_string(),
        livemode: false,
    }
}

/// The hash of an entry's content (everything but `hash`), in a fixed length-prefixed
/// encoding so that no two different entries hash alike.
pub fn entry_hash(seq: u64, at: i64, r: &Record, prev: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"paygate-audit-v1");
    h.update(seq.to_be_bytes());
    h.update(at.to_be_bytes());
    for field in [
        &r.actor,
        &r.email,
        &r.action,
        &r.target,
        &r.merchant,
        &r.ip,
        &r.detail,
        prev,
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

impl Chain {
    /// The object id of entry `seq`.
    pub fn entry_id(&self, seq: u64) -> String {
        format!("{}_{seq:012}", self.id_prefix)
    }

    /// Appends `record` at `now`; returns the entry written.
    pub async fn append(
        &self,
        store: &Store,
        now: i64,
        record: Record,
    ) -> Result<Entry, ChainError> {
        let scope = platform_scope();
        for _ in 0..APPEND_TRIES {
            let head = store.get_object(&scope, self.head_id).await?;
            let (seq, prev, head_version) = match &head {
                None => (1, GENESIS.to_string(), None),
                Some(row) => (
                    row.data["seq"].as_u64().unwrap_or(0) + 1,
                    row.data["hash"].as_str().unwrap_or(GENESIS).to_string(),
                    Some(row.version),
                ),
            };
            let hash = entry_hash(seq, now, &record, &prev);
            let entry = Entry {
                seq,
                at: now,
                record: record.clone(),
                prev,
                hash: hash.clone(),
            };
            let head_data = serde_json::json!({"seq": seq, "hash": hash});
            let head_write = match head_version {
                None => Op::InsertObject(row(self.head_id, self.head_kind, now, head_data)),
                Some(v) => Op::UpdateObject {
                    id: self.head_id.into(),
                    expected_version: v,
                    data: head_data,
                    tag: None,
                    due: None,
                },
            };
            let data = serde_json::to_value(&entry).expect("an entry serializes");
            let entry_row = row(&self.entry_id(seq), self.entry_kind, now, data);
            let unit = WriteUnit::new(vec![head_write, Op::InsertObject(entry_row)]);
            match store.commit(unit).await {
                Ok(_) => return Ok(entry),
                Err(CommitError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ChainError::Contended)
    }

    /// Every entry, oldest first.
    pub async fn entries(&self, store: &Store) -> Result<Vec<Entry>, ChainError> {
        let scope = platform_scope();
        let mut q = ListQuery::new(self.entry_kind, PAGE_ROWS);
        let mut out = Vec::new();
        loop {
            let page = store.list_objects(&scope, &q).await?;
            for r in &page.data {
                out.push(
                    serde_json::from_value::<Entry>(r.data.clone())
                        .map_err(|e| ChainError::Corrupt(format!("{} ({e})", r.id)))?,
                );
            }
            match (page.has_more, page.data.last()) {
                (true, Some(last)) => q.starting_after = Some(last.id.clone()),
                _ => break,
            }
        }
        out.sort_by_key(|e| e.seq);
        Ok(out)
    }

    /// Reads and checks the whole chain.
    pub async fn verify(&self, store: &Store) -> Result<Verdict, ChainError> {
        let all = self.entries(store).await?;
        let head = store
            .get_object(&platform_scope(), self.head_id)
            .await?
            .map(|r| {
                (
                    r.data["seq"].as_u64().unwrap_or(0),
                    r.data["hash"].as_str().unwrap_or_default().to_string(),
                )
            });
        Ok(check(&all, head))
    }
}

fn row(id: &str, kind: &str, now: i64, data: serde_json::Value) -> ObjectRow {
    let scope = platform_scope();
    ObjectRow {
        id: id.into(),
        merchant_id: scope.merchant_id,
        livemode: scope.livemode,
        kind: kind.into(),
        parent: None,
        tag: None,
        due: None,
        created: now,
        version: 1,
        data,
    }
}

/// What `verify` found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub entries: u64,
    /// The first broken link and why; `None` when the chain holds.
    pub broken: Option<(u64, String)>,
}

/// Checks the chain: contiguous sequence numbers from 1, each `prev` the previous `hash`,
/// each `hash` recomputed, and the head naming the last entry.
pub fn check(entries: &[Entry], head: Option<(u64, String)>) -> Verdict {
    let mut prev = GENESIS.to_string();
    for (i, e) in entries.iter().enumerate() {
        let want_seq = i as u64 + 1;
        let broken = if e.seq != want_seq {
            Some(format!("expected entry {want_seq}, found {}", e.seq))
        } else if e.prev != prev {
            Some("its prev is not the hash of the entry before".to_string())
        } else if entry_hash(e.seq, e.at, &e.record, &e.prev) != e.hash {
            Some("its content does not match its hash".to_string())
        } else {
            None
        };
        if let Some(why) = broken {
            return Verdict {
                entries: entries.len() as u64,
                broken: Some((want_seq, why)),
            };
        }
        prev = e.hash.clone();
    }
    let n = entries.len() as u64;
    let head_ok = match &head {
        None => n == 0,
        Some((seq, hash)) => *seq == n && *hash == prev,
    };
    Verdict {
        entries: n,
        broken: (!head_ok).then(|| (n + 1, "the chain's head names a later entry".to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<Entry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let record = Record {
                    actor: "du_1".into(),
                    action: "login".into(),
                    ip: "127.0.0.1".into(),
                    ..Record::default()
                };
                let hash = entry_hash(seq, 100 + seq as i64, &record, &prev);
                let e = Entry {
                    seq,
                    at: 100 + seq as i64,
                    record,
                    prev: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    fn head(c: &[Entry]) -> Option<(u64, String)> {
        c.last().map(|e| (e.seq, e.hash.clone()))
    }

    #[test]
    fn an_intact_chain_verifies_and_every_tampering_is_found() {
        let c = chain(4);
        assert_eq!(check(&c, head(&c)).broken, None);
        let mut edited = c.clone();
        edited[1].record.action = "refund".into();
        assert_eq!(check(&edited, head(&c)).broken.unwrap().0, 2);
        let mut removed = c.clone();
        removed.remove(2);
        assert_eq!(check(&removed, head(&c)).broken.unwrap().0, 3);
        let truncated = c[..3].to_vec();
        assert_eq!(check(&truncated, head(&c)).broken.unwrap().0, 4);
        let mut rehashed = c.clone();
        rehashed[0].record.ip = "10.0.0.1".into();
        rehashed[0].hash = entry_hash(1, rehashed[0].at, &rehashed[0].record, GENESIS);
        assert_eq!(check(&rehashed, head(&c)).broken.unwrap().0, 2);
    }
}
