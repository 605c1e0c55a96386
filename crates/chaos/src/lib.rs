//! `paygate chaos`: starts its own cluster (N `paygate serve` processes, every simulator as a
//! process, a fault proxy on every link), drives a mixed workload while a seeded schedule
//! injects faults, heals everything, waits for recovery and checks the invariants a payment
//! gateway promises under any fault (docs/RELIABILITY.md). Non-zero exit on a violation.
//!
//! | module | what |
//! |---|---|
//! | `proc` | child processes: start, ready lines, SIGKILL / SIGSTOP / SIGCONT |
//! | `proxy` | the fault-injecting TCP proxy of every link |
//! | `cluster` | simulators, proxies, gateways, operator commands |
//! | `faults` | fault kinds and the seeded schedule |
//! | `inject` | applying and healing one fault |
//! | `api`, `workload` | the merchant's client and the mixed workload, every key's answers |
//! | `receiver` | the webhook endpoint checking signatures |
//! | `invariants` | the checks after the heal |
//! | `report` | the table and `--json` |

mod api;
mod cluster;
mod faults;
mod inject;
mod invariants;
mod proc;
mod proxy;
pub mod receiver;
mod report;
mod workload;

pub use cluster::StoreKind;
pub use faults::Kind;
pub use invariants::Violation;
pub use report::Summary;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Payment scenarios run after the heal, to see that the cluster answers without 5xx.
const AFTER_HEAL_SCENARIOS: u64 = 10;

#[derive(clap::Args, Debug, Clone)]
pub struct ChaosArgs {
    /// The gateways' store.
    #[arg(long, value_enum, default_value = "sqlite")]
    pub store: StoreKind,
    /// `paygate serve` processes (more than one needs `--store postgres`).
    #[arg(long, default_value_t = 1)]
    pub instances: usize,
    /// How long faults are injected under load (`90s`, `5m`).
    #[arg(long, default_value = "5m")]
    pub duration: String,
    /// Seed of the fault schedule and the workload (default: random, printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Fault kinds: `all` or a comma-separated list (kill, pause, latency, close_mid_message,
    /// blackhole, reset, partition, sim_late, sim_drop, sim_decline, sim_garbage, sim_silent,
    /// pg_terminate, store_write_fail, clock_skew).
    #[arg(long, default_value = "all")]
    pub faults: String,
    /// Concurrent clients of the workload.
    #[arg(long, default_value_t = 6)]
    pub clients: u64,
    /// PostgreSQL for `--store postgres` (a schema of its own is made and dropped).
    #[arg(
        long,
        env = "PAYGATE_CHAOS_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,
    /// Where logs and data go (default: a new directory under the system's temp dir).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Longest wait after the heal for recovery (nothing processing, every event delivered).
    #[arg(long, default_value = "90s")]
    pub recovery_timeout: String,
    /// Keep the work directory (and the PostgreSQL schema) even when the run is clean.
    #[arg(long)]
    pub keep: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `paygate chaos`: runs, prints, and fails naming the violations.
pub async fn main(args: ChaosArgs) -> Result<(), String> {
    let s = run(&args).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&s).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", report::render(&s));
    }
    if s.violations.is_empty() {
        return Ok(());
    }
    let mut names: Vec<&str> = s.violations.iter().map(|v| v.invariant.as_str()).collect();
    names.sort();
    names.dedup();
    Err(format!(
        "{} violation(s): {} (seed {})",
        s.violations.len(),
        names.join(", "),
        s.seed
    ))
}

fn duration_arg(name: &str, text: &str) -> Result<Duration, String> {
    paygate_bench::parse_duration(text).map_err(|e| format!("--{name}: {e}"))
}

/// Runs the whole experiment and returns its summary.
pub async fn run(args: &ChaosArgs) -> Result<Summary, String> {
    let duration = duration_arg("duration", &args.duration)?;
    let recovery_timeout = duration_arg("recovery-timeout", &args.recovery_timeout)?;
    if args.instances == 0 || (args.instances > 1 && args.store != StoreKind::Postgres) {
        return Err("--instances above 1 needs --store postgres (SQLite is one process's)".into());
    }
    let mut kinds = faults::parse_kinds(&args.faults)?;
    if args.store != StoreKind::Postgres {
        kinds.retain(|k| *k != Kind::PgTerminate);
    }
    let seed = args.seed.unwrap_or_else(rand::random);
    let dir = args.work_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("paygate-chaos-{seed}-{}", std::process::id()))
    });
    let schema = format!("chaos_{seed}_{}", std::process::id());
    let opts = cluster::Options {
        exe: std::env::current_exe().map_err(|e| e.to_string())?,
        dir: dir.clone(),
        store: args.store,
        instances: args.instances,
        database_url: args.database_url.clone(),
        schema: schema.clone(),
    };
    let mut c = cluster::Cluster::start(&opts).await?;
    let pg = (args.store == StoreKind::Postgres).then(|| args.database_url.clone());
    let result = experiment(
        &mut c,
        args,
        seed,
        duration,
        recovery_timeout,
        &kinds,
        pg.clone(),
    )
    .await;
    c.shutdown().await;
    let mut s = result?;
    s.work_dir = dir.display().to_string();
    if s.violations.is_empty() && !args.keep {
        if let Some(url) = &pg {
            drop_schema(url, &schema).await;
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(s)
}

async fn experiment(
    c: &mut cluster::Cluster,
    args: &ChaosArgs,
    seed: u64,
    duration: Duration,
    recovery_timeout: Duration,
    kinds: &[Kind],
    database_url: Option<String>,
) -> Result<Summary, String> {
    let bases: Vec<String> = c.gateways.iter().map(|g| g.base.clone()).collect();
    let book = Arc::new(workload::Book::new(api::Api::new(
        bases,
        c.secret_key.clone(),
    )));
    let receiver = receiver::Receiver::start().await?;
    subscribe(&book.api, &receiver).await?;
    let mut links = vec!["network", "3ds"];
    if database_url.is_some() {
        links.push(cluster::POSTGRES_LINK);
    }
    let shape = faults::Shape {
        instances: args.instances,
        links: &links,
        simulators: &["network", "3ds"],
    };
    let duration_ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    let plan = faults::schedule(seed, duration_ms, kinds, &shape);
    let tools = inject::Tools {
        http: reqwest::Client::new(),
        secret_key: c.secret_key.clone(),
        database_url,
    };
    let start = Instant::now();
    let clients: Vec<_> = (0..args.clients)
        .map(|id| {
            tokio::spawn(workload::client(
                book.clone(),
                seed,
                id,
                start + duration,
                workload::RETRY_BUDGET,
            ))
        })
        .collect();
    let mut injected: BTreeMap<String, u64> = BTreeMap::new();
    for p in &plan {
        tokio::time::sleep_until((start + Duration::from_millis(p.at_ms)).into()).await;
        if inject::apply(c, &tools, p).await? {
            *injected.entry(p.kind.name().to_string()).or_default() += 1;
        }
        tokio::time::sleep_until((start + Duration::from_millis(p.at_ms + p.hold_ms)).into()).await;
        inject::heal(c, &tools, p).await?;
    }
    tokio::time::sleep_until((start + duration).into()).await;
    inject::heal_all(c, &tools).await?;
    for t in clients {
        let _ = t.await;
    }
    let mut settled = invariants::wait_settled(&book.api, &receiver.seen, recovery_timeout).await;
    book.healed.store(true, Ordering::Relaxed);
    let mut retries = tokio::task::JoinSet::new();
    for i in book.unanswered() {
        let b = book.clone();
        retries.spawn(async move { b.send_until_final(i, Duration::from_secs(10)).await });
    }
    retries.join_all().await;
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
    for n in 0..AFTER_HEAL_SCENARIOS {
        workload::scenario(
            &book,
            &mut rng,
            &format!("chaos-{seed}-healed-{n}"),
            Duration::from_secs(10),
        )
        .await;
    }
    if settled {
        settled = invariants::wait_settled(&book.api, &receiver.seen, recovery_timeout).await;
    }
    let (violations, totals) = invariants::check(c, &book, &receiver.seen).await?;
    let k = &book.counts;
    let ld = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    Ok(Summary {
        seed,
        store: args.store,
        instances: args.instances,
        duration_ms,
        faults_total: injected.values().sum(),
        faults: injected,
        requests: report::Requests {
            total: ld(&k.requests),
            server_errors: ld(&k.server_errors),
            transport_errors: ld(&k.transport_errors),
            same_key_retries: ld(&k.same_key_retries),
            idempotency_keys: book.snapshot().len() as u64,
            after_heal: ld(&k.after_heal_requests),
            after_heal_server_errors: ld(&k.after_heal_server_errors),
        },
        totals,
        settled,
        violations,
        work_dir: String::new(),
    })
}

/// The receiver as a webhook endpoint for every event; its signing secret handed to it.
async fn subscribe(api: &api::Api, r: &receiver::Receiver) -> Result<(), String> {
    let body = format!("url={}&enabled_events[]=*", r.url);
    let v = api
        .post_json("/v1/webhook_endpoints", "chaos-webhook-endpoint", &body)
        .await?;
    let secret = v["secret"]
        .as_str()
        .ok_or_else(|| format!("webhook endpoint without a secret: {v}"))?;
    if let Ok(mut s) = r.seen.secret.write() {
        *s = secret.to_string();
    }
    Ok(())
}

async fn drop_schema(url: &str, schema: &str) {
    if let Ok(pg) = inject::pg_connect(url).await {
        let _ = pg
            .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .await;
    }
}
