-- paygate store schema, version 1 (PostgreSQL).
-- Integers are unix seconds or minor units; JSON documents are TEXT (kept as written, cheaper than JSONB to store).

CREATE TABLE merchants (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created     BIGINT NOT NULL,
    settings    TEXT NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY NOT NULL,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    livemode    BOOLEAN NOT NULL,
    kind        TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    display     TEXT NOT NULL,
    created     BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX api_keys_by_merchant ON api_keys (merchant_id, created);

-- No foreign key to merchants: on PostgreSQL every insert would lock the merchant's row
-- (FOR KEY SHARE), and concurrent lockers of one hot row turn into multixacts; tenancy is
-- enforced by the scope filters of every query instead.
-- seq orders lists newest first.
CREATE TABLE objects (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    merchant_id TEXT NOT NULL,
    livemode    BOOLEAN NOT NULL,
    kind        TEXT NOT NULL,
    parent      TEXT,
    tag         TEXT,
    due         BIGINT,
    created     BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX objects_by_scope_kind ON objects (merchant_id, livemode, kind, seq);
CREATE INDEX objects_by_parent ON objects (parent) WHERE parent IS NOT NULL;
CREATE INDEX objects_by_due ON objects (kind, tag, due) WHERE due IS NOT NULL;

-- Outbox: events not yet fanned out to webhook endpoints.
CREATE TABLE pending_events (
    seq         BIGSERIAL PRIMARY KEY,
    event_id    TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    livemode    BOOLEAN NOT NULL,
    event_type  TEXT NOT NULL,
    created     BIGINT NOT NULL
);

CREATE TABLE deliveries (
    id               TEXT PRIMARY KEY NOT NULL,
    event_id         TEXT NOT NULL,
    endpoint_id      TEXT NOT NULL,
    merchant_id      TEXT NOT NULL,
    livemode         BOOLEAN NOT NULL,
    state            TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    first_attempt_at BIGINT NOT NULL,
    locked_by        TEXT,
    locked_until     BIGINT
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);

CREATE TABLE delivery_attempts (
    seq         BIGSERIAL PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES deliveries (id),
    event_id    TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    livemode    BOOLEAN NOT NULL,
    attempt_no  BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    status_code BIGINT,
    error       TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX delivery_attempts_by_scope ON delivery_attempts (merchant_id, livemode, seq);
CREATE INDEX delivery_attempts_by_event ON delivery_attempts (event_id);

CREATE TABLE idempotency (
    merchant_id  TEXT NOT NULL,
    livemode     BOOLEAN NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state        TEXT NOT NULL,
    owner        TEXT NOT NULL,
    status       BIGINT,
    body         TEXT,
    created      BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, livemode, idem_key)
);
CREATE INDEX idempotency_by_created ON idempotency (created);

CREATE TABLE attempts (
    id          TEXT PRIMARY KEY NOT NULL,
    merchant_id TEXT NOT NULL,
    livemode    BOOLEAN NOT NULL,
    owner_node  TEXT NOT NULL,
    state       TEXT NOT NULL,
    created     BIGINT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX attempts_by_owner ON attempts (owner_node, created);

-- No foreign key to merchants, for the same reason as objects.
CREATE TABLE vault_cards (
    id          TEXT PRIMARY KEY NOT NULL,
    merchant_id TEXT NOT NULL,
    kek_id      TEXT NOT NULL,
    wrapped_dek BYTEA NOT NULL,
    ciphertext  BYTEA NOT NULL,
    fingerprint TEXT NOT NULL,
    created     BIGINT NOT NULL
);
CREATE INDEX vault_cards_by_kek ON vault_cards (kek_id, id);

CREATE TABLE ledger_entries (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    reference   TEXT NOT NULL,
    created     BIGINT NOT NULL
);

-- amount: minor units, positive = debit, negative = credit.
CREATE TABLE ledger_postings (
    entry_id    TEXT NOT NULL REFERENCES ledger_entries (id),
    idx         BIGINT NOT NULL,
    account_key TEXT COLLATE "C" NOT NULL,
    currency    TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    PRIMARY KEY (entry_id, idx)
);

-- balance == sum of the account's postings (checked by ledger_verify).
CREATE TABLE ledger_balances (
    account_key TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    currency    TEXT NOT NULL,
    balance     BIGINT NOT NULL
);
