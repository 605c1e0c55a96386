//! Group-commit throughput: typical 6-operation payment units from 64 concurrent committers.
//! Reports units/s (criterion "elem/s") and the batch sizes seen. SQLite always; PostgreSQL
//! too when a server answers at `PAYGATE_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`; a fresh schema, dropped afterwards).
//!
//! `cargo bench -p paygate-store --bench commit` (not part of CI beyond compiling).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use paygate_ledger::{Counterparty, Currency, capture};
use paygate_store::{
    AttemptRow, EventRow, MerchantRow, ObjectRow, Op, Scope, Store, StoreConfig, WriteUnit,
};
use serde_json::json;

const COMMITTERS: usize = 64;
const UNITS_PER_COMMITTER: usize = 16;
const UNITS_PER_ROUND: usize = COMMITTERS * UNITS_PER_COMMITTER;
const MERCHANTS: usize = 8;

fn object(id: String, merchant: &str, kind: &str, n: u64) -> ObjectRow {
    ObjectRow {
        id: id.clone(),
        merchant_id: merchant.to_owned(),
        livemode: false,
        kind: kind.to_owned(),
        parent: None,
        tag: Some("pending_settlement".to_owned()),
        due: Some(1_700_086_400),
        created: 1_700_000_000,
        version: 1,
        data: json!({
            "id": id, "object": kind, "amount": 10_000 + n, "currency": "krw", "status": "succeeded",
            "payment_method": "pm_card_visa", "metadata": { "order_id": format!("order_{n}") },
        }),
    }
}

/// The second commit of a payment: charge, payment intent, event, ledger entry, idempotent
/// response and crash-recovery record.
fn payment_unit(n: u64) -> WriteUnit {
    let merchant = format!("acct_{}", n % MERCHANTS as u64);
    let scope = Scope {
        merchant_id: merchant.clone(),
        livemode: false,
    };
    let entry = capture(
        format!("le_{n}"),
        Counterparty::CardNetwork,
        &merchant,
        false,
        Currency::KRW,
        10_000,
        290,
        format!("ch_{n}"),
    )
    .expect("valid capture");
    WriteUnit {
        ops: vec![
            Op::InsertObject(object(format!("pi_{n}"), &merchant, "payment_intent", n)),
            Op::InsertObject(object(format!("ch_{n}"), &merchant, "charge", n)),
            Op::InsertEvent(EventRow {
                id: format!("evt_{n}"),
                merchant_id: merchant.clone(),
                livemode: false,
                event_type: "charge.succeeded".to_owned(),
                created: 1_700_000_000,
                data: json!({ "id": format!("evt_{n}"), "type": "charge.succeeded", "data": { "object": { "id": format!("ch_{n}") } } }),
            }),
            Op::Ledger(entry, 1_700_000_000),
            Op::IdempotencyInsertDone {
                scope,
                key: format!("idem_{n}"),
                request_hash: "0f3a9c".to_owned(),
                status: 200,
                body: format!("{{\"id\":\"pi_{n}\",\"status\":\"succeeded\"}}"),
                created: 1_700_000_000,
            },
            Op::PutAttempt(AttemptRow {
                id: format!("att_{n}"),
                merchant_id: merchant,
                livemode: false,
                owner_node: "node_1".to_owned(),
                state: "approved".to_owned(),
                created: 1_700_000_000,
                data: json!({ "stan": n % 1_000_000 }),
            }),
        ],
    }
}

async fn round(store: &Store, next_id: &Arc<AtomicU64>) {
    let tasks: Vec<_> = (0..COMMITTERS)
        .map(|_| {
            let (store, next_id) = (store.clone(), Arc::clone(next_id));
            tokio::spawn(async move {
                for _ in 0..UNITS_PER_COMMITTER {
                    let n = next_id.fetch_add(1, Ordering::Relaxed);
                    store.commit(payment_unit(n)).await.expect("unit commits");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("committer task");
    }
}

fn sqlite_commit(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = StoreConfig::Sqlite {
        path: dir.path().join("bench.db"),
    };
    measure(c, &rt, "sqlite_commit", cfg);
}

fn postgres_commit(c: &mut Criterion) {
    let rt = runtime();
    let url =
        std::env::var("PAYGATE_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned());
    let schema = format!("paygate_bench_{}", std::process::id());
    let cfg = StoreConfig::Postgres {
        url: url.clone(),
        schema: Some(schema.clone()),
        pool_size: 4,
    };
    if rt
        .block_on(tokio_postgres::connect(&url, tokio_postgres::NoTls))
        .is_err()
    {
        println!("skipped postgres_commit: no PostgreSQL at {url}");
        return;
    }
    measure(c, &rt, "postgres_commit", cfg);
    rt.block_on(async {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(connection);
        client
            .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .await
            .expect("drop bench schema");
    });
}

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn measure(c: &mut Criterion, rt: &tokio::runtime::Runtime, name: &str, cfg: StoreConfig) {
    let store = rt.block_on(Store::open(cfg)).expect("open store");
    let merchants = (0..MERCHANTS)
        .map(|i| {
            Op::InsertMerchant(MerchantRow {
                id: format!("acct_{i}"),
                name: format!("m{i}"),
                created: 0,
                settings: json!({}),
            })
        })
        .collect();
    rt.block_on(store.commit(WriteUnit { ops: merchants }))
        .expect("merchants");
    let next_id = Arc::new(AtomicU64::new(0));
    let before = store.stats();
    let mut measured = Duration::ZERO;
    let mut rounds = 0u64;

    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(UNITS_PER_ROUND as u64));
    group.sample_size(10);
    group.bench_function("6_op_units_64_committers", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                rt.block_on(round(&store, &next_id));
            }
            let took = start.elapsed();
            measured += took;
            rounds += iters;
            took
        })
    });
    group.finish();

    let after = store.stats();
    let units = after.units - before.units;
    let batches = after.batches - before.batches;
    println!(
        "{name}: {units} units in {batches} transactions, {:.0} units/s overall, mean {:.1} units/batch, largest {}",
        (rounds as f64 * UNITS_PER_ROUND as f64) / measured.as_secs_f64().max(f64::EPSILON),
        units as f64 / batches.max(1) as f64,
        after.largest_batch_units,
    );
    rt.block_on(store.close());
}

criterion_group!(benches, sqlite_commit, postgres_commit);
criterion_main!(benches);
