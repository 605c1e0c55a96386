//! The store's behaviour, run against SQLite and PostgreSQL alike.

mod harness;

mod event_feed;
mod keys_and_merchants;
mod ledger;
mod list_filters;
mod objects;
mod outbox;
mod pg_tls;
mod records;
mod schema_versions;
mod writes;
