-- paygate store schema, version 1 (SQLite).
-- Integers are unix seconds or minor units; JSON documents are TEXT; booleans are 0/1.
-- Tables keyed by a text id are WITHOUT ROWID: one B-tree per row instead of a rowid table
-- plus a primary-key index (fewer page writes per commit).

CREATE TABLE merchants (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created     INTEGER NOT NULL,
    settings    TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY NOT NULL,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    livemode    INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    display     TEXT NOT NULL,
    created     INTEGER NOT NULL,
    revoked_at  INTEGER
) WITHOUT ROWID;
CREATE INDEX api_keys_by_merchant ON api_keys (merchant_id, created);

-- No foreign key to merchants: on PostgreSQL every insert would lock the merchant's row
-- (FOR KEY SHARE), and concurrent lockers of one hot row turn into multixacts; tenancy is
-- enforced by the scope filters of every query instead.
-- seq orders lists newest first. A plain rowid (no AUTOINCREMENT: that costs a
-- sqlite_sequence update per insert) grows monotonically because objects are never deleted.
CREATE TABLE objects (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    merchant_id TEXT NOT NULL,
    livemode    INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    parent      TEXT,
    tag         TEXT,
    due         INTEGER,
    created     INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX objects_by_scope_kind ON objects (merchant_id, livemode, kind, seq);
CREATE INDEX objects_by_parent ON objects (parent) WHERE parent IS NOT NULL;
CREATE INDEX objects_by_due ON objects (kind, tag, due) WHERE due IS NOT NULL;

-- Outbox: events not yet fanned out to webhook endpoints.
-- seq only orders the queue roughly by arrival: a reused rowid is harmless here.
CREATE TABLE pending_events (
    seq         INTEGER PRIMARY KEY,
    event_id    TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    livemode    INTEGER NOT NULL,
    event_type  TEXT NOT NULL,
    created     INTEGER NOT NULL
);

CREATE TABLE deliveries (
    id               TEXT PRIMARY KEY NOT NULL,
    event_id         TEXT NOT NULL,
    endpoint_id      TEXT NOT NULL,
    merchant_id      TEXT NOT NULL,
    livemode         INTEGER NOT NULL,
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    first_attempt_at INTEGER NOT NULL,
    locked_by        TEXT,
    locked_until     INTEGER
) WITHOUT ROWID;
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);

CREATE TABLE delivery_attempts (
    seq         INTEGER PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES deliveries (id),
    event_id    TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    livemode    INTEGER NOT NULL,
    attempt_no  INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status_code INTEGER,
    error       TEXT,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX delivery_attempts_by_scope ON delivery_attempts (merchant_id, livemode, seq);
CREATE INDEX delivery_attempts_by_event ON delivery_attempts (event_id);

CREATE TABLE idempotency (
    merchant_id  TEXT NOT NULL,
    livemode     INTEGER NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state        TEXT NOT NULL,
    owner        TEXT NOT NULL,
    status       INTEGER,
    body         TEXT,
    created      INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, livemode, idem_key)
) WITHOUT ROWID;
CREATE INDEX idempotency_by_created ON idempotency (created);

CREATE TABLE attempts (
    id          TEXT PRIMARY KEY NOT NULL,
    merchant_id TEXT NOT NULL,
    livemode    INTEGER NOT NULL,
    owner_node  TEXT NOT NULL,
    state       TEXT NOT NULL,
    created     INTEGER NOT NULL,
    data        TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX attempts_by_owner ON attempts (owner_node, created);

-- No foreign key to merchants, for the same reason as objects.
CREATE TABLE vault_cards (
    id          TEXT PRIMARY KEY NOT NULL,
    merchant_id TEXT NOT NULL,
    kek_id      TEXT NOT NULL,
    wrapped_dek BLOB NOT NULL,
    ciphertext  BLOB NOT NULL,
    fingerprint TEXT NOT NULL,
    created     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX vault_cards_by_kek ON vault_cards (kek_id, id);

CREATE TABLE ledger_entries (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    reference   TEXT NOT NULL,
    created     INTEGER NOT NULL
) WITHOUT ROWID;

-- amount: minor units, positive = debit, negative = credit.
CREATE TABLE ledger_postings (
    entry_id    TEXT NOT NULL REFERENCES ledger_entries (id),
    idx         INTEGER NOT NULL,
    account_key TEXT NOT NULL,
    currency    TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    PRIMARY KEY (entry_id, idx)
) WITHOUT ROWID;

-- balance == sum of the account's postings (checked by ledger_verify).
CREATE TABLE ledger_balances (
    account_key TEXT PRIMARY KEY NOT NULL,
    currency    TEXT NOT NULL,
    balance     INTEGER NOT NULL
) WITHOUT ROWID;
