//! Expand/contract upgrade on PostgreSQL (docs/OPERATIONS.md, "Upgrades"): the previous
//! release (tag `v0.8.0`, commit [`PREVIOUS_RELEASE`]) creates the schema and serves under
//! `paygate bench` load; this build starts beside it on the same schema (running its
//! migrations), the old process gets SIGTERM, and the load goes on against this build alone.
//! No request fails, the ledger verifies, the books agree with the card network, and a payment
//! the old build made is refunded by this one.
//!
//! The previous release is built from git history once into
//! `target/tmp/upgrade-v0.8.0/` (its own target dir, kept across runs; `--offline`). A clone
//! without that commit (shallow) skips the test with a loud message. `PAYGATE_PREVIOUS_BIN`
//! names an already built previous release instead (or, to check the test itself quickly,
//! this build).
//!
//! Ignored by default until the first build's cost on CI is measured (README, test time):
//! `cargo test -p paygate --test upgrade -- --ignored`.

mod common;

use common::BIN;
use common::pg_cluster::{Cluster, Stop, finish_bench, refund, start_bench, stop};
use common::{pay_form, post};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// `v0.8.0`: the last release before this one (`git tag -a v0.8.0 1637d9a`).
const PREVIOUS_RELEASE: &str = "1637d9a34a89d0954ffb337178484cce61ce5b2c";

#[test]
#[ignore = "builds v0.8.0 from git history first (cost not yet measured on CI): run with --ignored"]
fn the_previous_release_and_this_build_serve_one_database_through_an_upgrade() {
    let Some(old) = previous_release_binary() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path(), "upgrade", &old);
    let mut gws = [cluster.gateway(&old, 0), cluster.gateway(Path::new(BIN), 1)];
    cluster.start_gateway(&mut gws[0], 0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (status, paid_by_old) = rt
        .block_on(post(
            &gws[0].url(),
            &cluster.key,
            "upgrade-old-1",
            pay_form(),
        ))
        .unwrap();
    assert_eq!(status, 200, "{paid_by_old}");
    // The bench knows both addresses from the start; the new one refuses connections until
    // it starts, so the load goes to the old build alone, then to both, then to the new one.
    let bench = start_bench(&cluster.key, &[&gws[0], &gws[1]], "12s");
    std::thread::sleep(Duration::from_secs(2));
    cluster.start_gateway(&mut gws[1], 0);
    std::thread::sleep(Duration::from_secs(3));
    stop(&mut gws[0], Stop::Closes);
    let approved = finish_bench(bench);
    let (status, refunded) = rt.block_on(refund(
        &gws[1].url(),
        &cluster.key,
        paid_by_old["id"].as_str().unwrap(),
    ));
    assert_eq!(status, 200, "{refunded}");
    assert_eq!(refunded["status"], "succeeded", "{refunded}");
    stop(&mut gws[1], Stop::Drains);
    // The bench's approved payments plus the one paid by the old build (each one capture
    // entry) and its refund (one entry).
    assert_eq!(cluster.verified_ledger_entries(), approved + 2);
    cluster.assert_reconciled();
    cluster.drop_schema();
}

/// The previous release's `paygate`, built once from git history; `None` (after a loud
/// message) when this clone does not have that commit.
fn previous_release_binary() -> Option<PathBuf> {
    if let Ok(bin) = std::env::var("PAYGATE_PREVIOUS_BIN") {
        return Some(PathBuf::from(bin));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("upgrade-v0.8.0");
    let bin = base.join("target/debug/paygate");
    let has_commit = Command::new("git")
        .current_dir(&root)
        .args(["cat-file", "-e", &format!("{PREVIOUS_RELEASE}^{{commit}}")])
        .status()
        .is_ok_and(|s| s.success());
    if !has_commit {
        eprintln!(
            "\n*** SKIPPED: the upgrade test needs commit {PREVIOUS_RELEASE} (v0.8.0) in the \
             git history; this clone lacks it (shallow?). `git fetch --unshallow` to run it. ***\n"
        );
        return None;
    }
    let src = base.join("src");
    if !src.join("Cargo.toml").exists() {
        std::fs::create_dir_all(&src).unwrap();
        let unpacked = Command::new("sh")
            .current_dir(&root)
            .arg("-c")
            .arg(format!(
                "git archive {PREVIOUS_RELEASE} | tar -x -C '{}'",
                src.display()
            ))
            .status()
            .unwrap();
        assert!(unpacked.success(), "git archive of {PREVIOUS_RELEASE}");
    }
    // Cargo skips the build when it is up to date, so later runs cost a second.
    let t0 = Instant::now();
    let log = base.join("build.log");
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&src)
        .args(["build", "--offline", "-p", "paygate", "--bin", "paygate"])
        .env("CARGO_TARGET_DIR", base.join("target"))
        .env("CARGO_INCREMENTAL", "0")
        .output()
        .unwrap();
    std::fs::write(&log, [out.stdout, out.stderr].concat()).unwrap();
    assert!(
        out.status.success(),
        "building the previous release failed; see {}",
        log.display()
    );
    eprintln!(
        "previous release (v0.8.0) built or found up to date in {:.0} s",
        t0.elapsed().as_secs_f64()
    );
    Some(bin)
}
