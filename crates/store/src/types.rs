//! Rows, write operations and their results: the vocabulary shared by both backends.

use serde_json::Value;

/// Which merchant and mode (live or test) a request acts for. Every tenant-owned read and
/// write is filtered by both fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    /// Merchant id (`acct_...`).
    pub merchant_id: String,
    /// `true` for live mode, `false` for test mode.
    pub livemode: bool,
}

/// A group of operations applied atomically: all of them or none.
#[derive(Debug, Clone, Default)]
pub struct WriteUnit {
    /// The operations, applied in order.
    pub ops: Vec<Op>,
}

impl WriteUnit {
    /// A unit of the given operations.
    pub fn new(ops: Vec<Op>) -> Self {
        WriteUnit { ops }
    }
}

/// One write operation. Expected failures are reported as
/// [`crate::CommitError::Conflict`] naming the operation's index.
#[derive(Debug, Clone)]
pub enum Op {
    /// Insert a merchant; `ObjectExists` if the id is taken.
    InsertMerchant(MerchantRow),
    /// Replace a merchant's settings; `NotFound` if there is no such merchant.
    UpdateMerchantSettings {
        /// Merchant id.
        id: String,
        /// New settings document.
        settings: Value,
    },
    /// Insert an API key; `ObjectExists` if the id or the key hash is taken.
    InsertApiKey(ApiKeyRow),
    /// Mark an API key revoked. Already revoked: [`OpResult::Exists`]; unknown: `NotFound`.
    RevokeApiKey {
        /// API key id.
        id: String,
        /// Unix seconds.
        revoked_at: i64,
    },
    /// Insert an object; `ObjectExists` if the id exists (for any merchant).
    InsertObject(ObjectRow),
    /// Replace an object's data, tag and due (all three become exactly the given values;
    /// `None` clears the column) and add one to its version. `VersionMismatch` if the stored
    /// version is not `expected_version`, `NotFound` if there is no such object.
    UpdateObject {
        /// Object id.
        id: String,
        /// The version the caller read.
        expected_version: i64,
        /// New document.
        data: Value,
        /// New tag (see [`ObjectRow::tag`]).
        tag: Option<String>,
        /// New due time (see [`ObjectRow::due`]).
        due: Option<i64>,
    },
    /// Insert an event: an object of kind `"event"` whose tag is the event type, plus an
    /// outbox row that [`crate::Store::dispatch_events`] fans out to webhook endpoints.
    InsertEvent(EventRow),
    /// Post a ledger entry at `created` (unix seconds): the entry, its postings and the
    /// balance of every account it touches. The same id with the same kind, reference and
    /// postings again gives [`OpResult::Exists`] and changes nothing; with anything different,
    /// `LedgerEntryDiffers`.
    Ledger(paygate_ledger::Entry, i64),
    /// Record an in-flight idempotency key; `IdempotencyKeyExists` if it exists.
    IdempotencyBegin {
        /// Tenant.
        scope: Scope,
        /// Client-supplied key.
        key: String,
        /// Hash of the request, to detect reuse of a key for another request.
        request_hash: String,
        /// Node/request that owns the key while in flight.
        owner: String,
        /// Unix seconds.
        created: i64,
    },
    /// Store the response of a key and mark it done; `NotFound` if the key is not recorded.
    IdempotencyFinish {
        /// Tenant.
        scope: Scope,
        /// Client-supplied key.
        key: String,
        /// HTTP status of the response.
        status: u16,
        /// Response body.
        body: String,
    },
    /// Record a key directly as done (simple requests); `IdempotencyKeyExists` if it exists.
    IdempotencyInsertDone {
        /// Tenant.
        scope: Scope,
        /// Client-supplied key.
        key: String,
        /// Hash of the request.
        request_hash: String,
        /// HTTP status of the response.
        status: u16,
        /// Response body.
        body: String,
        /// Unix seconds.
        created: i64,
    },
    /// Forget an in-flight key so that a retry may run again. A done key is kept; when no
    /// in-flight row was there the result is [`OpResult::Exists`] (nothing to release).
    IdempotencyRelease {
        /// Tenant.
        scope: Scope,
        /// Client-supplied key.
        key: String,
    },
    /// Insert or replace a crash-recovery record.
    PutAttempt(AttemptRow),
    /// Set (or clear) an object's parent, e.g. a PaymentMethod attached to a Customer;
    /// `NotFound` if the object does not exist.
    SetParent {
        /// Object id.
        id: String,
        /// New parent id, or `None` to detach.
        parent: Option<String>,
    },
    /// Delete a crash-recovery record; [`OpResult::Exists`] if it was already gone.
    DeleteAttempt {
        /// Attempt id.
        id: String,
    },
    /// Insert a vault card; `ObjectExists` if the id exists.
    InsertVaultCard(VaultCardRow),
    /// Delete a vault card; [`OpResult::Exists`] if it was already gone.
    DeleteVaultCard {
        /// Vault card id.
        id: String,
    },
    /// Re-wrap a card's data key under another key-encrypting key. `VersionMismatch` if the
    /// card is not wrapped under `expected_kek_id` any more, `NotFound` if there is no card.
    RewrapVaultCard {
        /// Vault card id.
        id: String,
        /// The KEK id the caller unwrapped with.
        expected_kek_id: String,
        /// The new KEK id.
        kek_id: String,
        /// The data key wrapped under the new KEK.
        wrapped_dek: Vec<u8>,
    },
    /// Log one webhook delivery attempt and set the delivery's state; releases its lease.
    /// `NotFound` if there is no such delivery.
    DeliveryResult {
        /// Delivery id from [`DeliveryJob::delivery_id`].
        delivery_id: String,
        /// What happened on this attempt.
        attempt: AttemptLogRow,
        /// When to try again; `None` when finished (succeeded or gave up).
        next_attempt_at: Option<i64>,
        /// `"pending"`, `"succeeded"` or `"failed"`.
        state: String,
    },
    /// Queue a (re)delivery of an event to one endpoint (manual resend).
    EnqueueDelivery {
        /// Event id.
        event_id: String,
        /// Webhook endpoint id.
        endpoint_id: String,
        /// Owner of the event and endpoint.
        merchant_id: String,
        /// Mode of the event and endpoint.
        livemode: bool,
        /// Unix seconds.
        next_attempt_at: i64,
    },
}

impl Op {
    /// Short stable name, for logs and errors.
    pub fn name(&self) -> &'static str {
        match self {
            Op::InsertMerchant(_) => "insert_merchant",
            Op::UpdateMerchantSettings { .. } => "update_merchant_settings",
            Op::InsertApiKey(_) => "insert_api_key",
            Op::RevokeApiKey { .. } => "revoke_api_key",
            Op::InsertObject(_) => "insert_object",
            Op::UpdateObject { .. } => "update_object",
            Op::InsertEvent(_) => "insert_event",
            Op::Ledger(..) => "ledger",
            Op::IdempotencyBegin { .. } => "idempotency_begin",
            Op::IdempotencyFinish { .. } => "idempotency_finish",
            Op::IdempotencyInsertDone { .. } => "idempotency_insert_done",
            Op::IdempotencyRelease { .. } => "idempotency_release",
            Op::PutAttempt(_) => "put_attempt",
            Op::SetParent { .. } => "set_parent",
            Op::DeleteAttempt { .. } => "delete_attempt",
            Op::InsertVaultCard(_) => "insert_vault_card",
            Op::DeleteVaultCard { .. } => "delete_vault_card",
            Op::RewrapVaultCard { .. } => "rewrap_vault_card",
            Op::DeliveryResult { .. } => "delivery_result",
            Op::EnqueueDelivery { .. } => "enqueue_delivery",
        }
    }
}

/// Result of one applied operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpResult {
    /// The operation changed the database.
    Done,
    /// The desired state was already there; nothing changed (ledger entry repeated, API key
    /// already revoked, attempt already deleted, no in-flight idempotency key to release).
    Exists,
}

/// A stored JSON document with the columns the gateway filters on.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectRow {
    /// Globally unique id (`pi_...`, `ch_...`).
    pub id: String,
    /// Owner.
    pub merchant_id: String,
    /// Live or test mode.
    pub livemode: bool,
    /// Object type (`"payment_intent"`, `"event"`, `"webhook_endpoint"`, ...).
    pub kind: String,
    /// Id of the object this one belongs to (a refund's charge), for listing children.
    pub parent: Option<String>,
    /// Free label used with `due` for work queues (`list_due`) and list filters.
    pub tag: Option<String>,
    /// Unix seconds at which the tagged work is due.
    pub due: Option<i64>,
    /// Unix seconds.
    pub created: i64,
    /// Optimistic-concurrency version, starts at the inserted value (usually 1).
    pub version: i64,
    /// The document.
    pub data: Value,
}

/// A list request over objects of one kind in one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Object type to list.
    pub kind: String,
    /// Only children of this object.
    pub parent: Option<String>,
    /// Only objects with this tag.
    pub tag: Option<String>,
    /// Only objects created at or after (unix seconds).
    pub created_gte: Option<i64>,
    /// Only objects created at or before (unix seconds).
    pub created_lte: Option<i64>,
    /// Page size, 1..=100 (values outside are clamped).
    pub limit: usize,
    /// Objects older than this object id.
    pub starting_after: Option<String>,
    /// Objects newer than this object id.
    pub ending_before: Option<String>,
    /// Further conditions, all of which must hold.
    pub filters: Vec<ListFilter>,
}

/// A condition on listed objects beyond kind, parent, tag and creation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListFilter {
    /// A top-level field of the document equals `value` (as text). The field name is code,
    /// never client input (lowercase ASCII and `_`).
    FieldEq { field: &'static str, value: String },
    /// A top-level field of the document is absent or null (`deleted` leaves tombstones out).
    FieldAbsent(&'static str),
    /// The tag is one of these (an empty list matches nothing).
    TagIn(Vec<String>),
    /// The tag starts with this text (`charge.` for the event type pattern `charge.*`).
    TagPrefix(String),
    /// Events: `true` keeps those whose every webhook delivery succeeded (or that had none),
    /// `false` those with a delivery still pending or failed.
    DeliverySuccess(bool),
}

impl ListQuery {
    /// First page of `kind`, `limit` objects, no filters.
    pub fn new(kind: &str, limit: usize) -> Self {
        ListQuery {
            kind: kind.to_owned(),
            parent: None,
            tag: None,
            created_gte: None,
            created_lte: None,
            limit,
            starting_after: None,
            ending_before: None,
            filters: Vec::new(),
        }
    }
}

/// One page of a list, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The objects, newest first.
    pub data: Vec<ObjectRow>,
    /// Whether more objects lie beyond this page in the direction of the query.
    pub has_more: bool,
}

/// An event to record and deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// Event id (`evt_...`).
    pub id: String,
    /// Owner.
    pub merchant_id: String,
    /// Live or test mode.
    pub livemode: bool,
    /// Event type (`"payment_intent.succeeded"`).
    pub event_type: String,
    /// Unix seconds.
    pub created: i64,
    /// The event object as delivered.
    pub data: Value,
}

/// A merchant account.
#[derive(Debug, Clone, PartialEq)]
pub struct MerchantRow {
    /// Merchant id (`acct_...`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Unix seconds.
    pub created: i64,
    /// Settings document.
    pub settings: Value,
}

/// An API key, stored by hash only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    /// Key id.
    pub id: String,
    /// Owner.
    pub merchant_id: String,
    /// Live or test key.
    pub livemode: bool,
    /// `"secret"` or `"publishable"`.
    pub kind: String,
    /// Hash of the key; unique.
    pub key_hash: String,
    /// Masked form for display, e.g. `"sk_test_...abcd"`.
    pub display: String,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds, once revoked.
    pub revoked_at: Option<i64>,
}

/// A recorded idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRow {
    /// Hash of the request that first used the key.
    pub request_hash: String,
    /// `"in_flight"` or `"done"`.
    pub state: String,
    /// Who runs the request while in flight (empty for keys inserted done).
    pub owner: String,
    /// Response status once done.
    pub status: Option<u16>,
    /// Response body once done.
    pub body: Option<String>,
    /// Unix seconds.
    pub created: i64,
}

/// A crash-recovery record of work in progress on a node.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRow {
    /// Attempt id.
    pub id: String,
    /// Owner.
    pub merchant_id: String,
    /// Live or test mode.
    pub livemode: bool,
    /// Node that runs the attempt.
    pub owner_node: String,
    /// Step reached.
    pub state: String,
    /// Unix seconds.
    pub created: i64,
    /// Whatever the node needs to resume or reverse the attempt.
    pub data: Value,
}

/// An encrypted card record (the store never sees plaintext card data).
#[derive(Clone, PartialEq, Eq)]
pub struct VaultCardRow {
    /// Vault card id.
    pub id: String,
    /// Owner.
    pub merchant_id: String,
    /// Id of the key-encrypting key the data key is wrapped under.
    pub kek_id: String,
    /// The data-encryption key, wrapped.
    pub wrapped_dek: Vec<u8>,
    /// The card data, encrypted under the data key.
    pub ciphertext: Vec<u8>,
    /// Keyed fingerprint of the card number, for duplicate detection.
    pub fingerprint: String,
    /// Unix seconds.
    pub created: i64,
}

impl std::fmt::Debug for VaultCardRow {
    // Key material and ciphertext are opaque bytes; their length is all a log needs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultCardRow")
            .field("id", &self.id)
            .field("merchant_id", &self.merchant_id)
            .field("kek_id", &self.kek_id)
            .field("wrapped_dek_len", &self.wrapped_dek.len())
            .field("ciphertext_len", &self.ciphertext.len())
            .field("fingerprint", &self.fingerprint)
            .field("created", &self.created)
            .finish()
    }
}

/// A webhook delivery handed to one worker under a lease.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryJob {
    /// Delivery id, for [`Op::DeliveryResult`].
    pub delivery_id: String,
    /// Event id.
    pub event_id: String,
    /// Endpoint id.
    pub endpoint_id: String,
    /// Owner.
    pub merchant_id: String,
    /// Live or test mode.
    pub livemode: bool,
    /// Number of this attempt, 1 for the first.
    pub attempt_no: i64,
    /// The event object data (`Null` if the event object is missing).
    pub event: Value,
    /// The endpoint object data with url and secret (`Null` if the endpoint is missing).
    pub endpoint: Value,
    /// Unix seconds at which the delivery was first due.
    pub first_attempt_at: i64,
}

/// One logged webhook delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptLogRow {
    /// Delivery id.
    pub delivery_id: String,
    /// Event id.
    pub event_id: String,
    /// Endpoint id.
    pub endpoint_id: String,
    /// 1 for the first attempt.
    pub attempt_no: i64,
    /// Unix seconds.
    pub at: i64,
    /// HTTP status, if a response came back.
    pub status_code: Option<u16>,
    /// Transport error text, if none did.
    pub error: Option<String>,
    /// How long the attempt took.
    pub duration_ms: i64,
}

/// Result of [`crate::Store::ledger_verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerReport {
    /// Number of entries checked.
    pub entries: u64,
    /// Number of balance rows checked.
    pub accounts: u64,
    /// One line per problem: the entry id or account key, expected and actual values.
    pub problems: Vec<String>,
}
