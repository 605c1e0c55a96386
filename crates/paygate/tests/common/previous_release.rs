//! The previous release's `paygate`, built from git history for the upgrade test
//! (`tests/upgrade.rs`, docs/OPERATIONS.md "Upgrades").
//!
//! `git archive` of [`PREVIOUS_RELEASE`] is unpacked once into
//! `target/tmp/upgrade-v0.8.0/src` (never the network: the source is whatever this clone's
//! history says). A clone without that commit (shallow) skips the test with a loud message.
//!
//! **Cheap.** The old workspace is built into *this* build's target dir, so the third-party
//! crates both releases compile alike are found up to date: cargo names a registry crate's
//! files after its version, features, profile settings and dependencies, not after the
//! workspace that builds it. A crate matches when the old workspace resolves the same
//! features, so the old `paygate` is built the way CI builds this one: `cargo test --workspace
//! --no-run --test previous_release_build_only` (an empty test added to the old tree; building
//! an integration test builds its package's binary) resolves features as `cargo test
//! --workspace` does. Counted from cargo's unit graph for v0.8.0: after `cargo test
//! --workspace` it compiles 6 of its 286 third-party units (axum, serde_json, reqwest,
//! tracing-subscriber: features this build added), after `cargo test -p paygate` 23; a plain
//! `cargo build -p paygate` would compile 31 and 14. The old workspace's own 28 crates are
//! always compiled (README, "Test it", has the times). Before that, the old tree is made unable
//! to collide with this build's files:
//! - its workspace version becomes `0.8.0-previous` (in `Cargo.toml` and the path packages of
//!   `Cargo.lock`): cargo names a path crate's files after its name, version and path
//!   *relative to the workspace root*, so the old `paygate-ledger` 0.1.0 at `crates/ledger`
//!   would otherwise share this build's `libpaygate_ledger-<hash>.rlib`, and each build would
//!   rebuild the other's crates on every run;
//! - its binary is renamed `paygate-v0-8-0`, so it can never overwrite `target/debug/paygate`.
//!
//! Rejected: a target dir of its own (what this test did first) compiles all 286 third-party
//! units again; one seeded by a hardlinked copy of `target/debug/{deps,build,.fingerprint}` is
//! unsafe (cargo rewrites fingerprint files in place, through the link into this build's), and
//! a copy that does not keep modification times in build order makes cargo find every crate
//! stale. Sharing the dir takes cargo's build lock (`target/debug/.cargo-lock`), which the
//! outer `cargo test` has released by the time it runs tests.
//!
//! **Robust:** the crates that only the old `Cargo.lock` names may be missing from this
//! machine's cargo cache: `cargo fetch --frozen` checks offline, and when it fails
//! `cargo fetch --locked` downloads exactly the locked versions (checksums in the lock), then
//! the build runs `--frozen`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

/// The last release before this one (`git tag -a v0.8.0 1637d9a`).
pub const PREVIOUS_RELEASE: &str = "1637d9a34a89d0954ffb337178484cce61ce5b2c";
/// Its tag: names the unpacked tree, the old crates' version and the old binary.
pub const PREVIOUS_TAG: &str = "v0.8.0";
/// An empty integration test added to the old `paygate`: building it builds the binary, with
/// features resolved as `cargo test --workspace` resolves them (module doc).
const BUILD_ONLY_TEST: &str = "previous_release_build_only";

/// The previous release's `paygate`, built (or found up to date); `None` after a loud message
/// when this clone lacks its commit. `PAYGATE_PREVIOUS_BIN` names an already built one
/// instead (or, to check the test itself quickly, this build).
pub fn binary() -> Option<PathBuf> {
    if let Ok(bin) = std::env::var("PAYGATE_PREVIOUS_BIN") {
        return Some(PathBuf::from(bin));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let has_commit = Command::new("git")
        .current_dir(&root)
        .args(["cat-file", "-e", &format!("{PREVIOUS_RELEASE}^{{commit}}")])
        .status()
        .is_ok_and(|s| s.success());
    if !has_commit {
        eprintln!(
            "\n*** SKIPPED: the upgrade test needs commit {PREVIOUS_RELEASE} ({PREVIOUS_TAG}) in \
             the git history; this clone lacks it (shallow?). `git fetch --unshallow` to run \
             it. ***\n"
        );
        return None;
    }
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let target = tmp
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target dir");
    let base = tmp.join(format!("upgrade-{PREVIOUS_TAG}"));
    let src = base.join("src");
    unpack(&root, &src);
    let t0 = Instant::now();
    fetch_locked_crates(&src, target, &base.join("fetch.log"));
    let log = base.join("build.log");
    let out = cargo(
        &src,
        target,
        &["test", "--frozen", "--workspace", "--no-run"],
    )
    .args(["--test", BUILD_ONLY_TEST])
    .output()
    .unwrap();
    std::fs::write(&log, [&out.stdout[..], &out.stderr[..]].concat()).unwrap();
    assert!(
        out.status.success(),
        "building the previous release failed; see {}",
        log.display()
    );
    let compiled = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.trim_start().starts_with("Compiling "))
        .count();
    eprintln!(
        "previous release ({PREVIOUS_TAG}) built or found up to date in {:.0} s \
         ({compiled} crates compiled; {})",
        t0.elapsed().as_secs_f64(),
        log.display()
    );
    Some(target.join("debug").join(bin_name()))
}

/// `paygate-v0-8-0`: a name this build's binaries never have.
fn bin_name() -> String {
    format!("paygate-{}", PREVIOUS_TAG.replace('.', "-"))
}

/// `cargo ARGS` in the old tree with this build's target dir, in the environment the outer
/// cargo had: without the variables it sets for a test (`CARGO_MANIFEST_DIR`, `CARGO_PKG_*`,
/// …). Some build scripts (ring's) ask to be rerun when those change, and cargo compares them
/// with its own environment: left in, the two builds would rerun ring's build script and
/// rebuild everything above it for each other on every run.
fn cargo(src: &Path, target: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let set_for_tests = ["CARGO_MANIFEST_", "CARGO_PKG_", "CARGO_BIN_EXE_"]
            .iter()
            .any(|p| name.starts_with(p))
            || [
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
            ]
            .contains(&&*name);
        if set_for_tests {
            cmd.env_remove(&*name);
        }
    }
    cmd.current_dir(src)
        .args(args)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_INCREMENTAL", "0");
    cmd
}

/// Unpacks the old tree once and renames what would collide with this build (module doc);
/// a tree without the marker of this commit (an earlier layout, another commit) is unpacked
/// again.
fn unpack(root: &Path, src: &Path) {
    let marker = src.join(".paygate-previous-release");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == PREVIOUS_RELEASE) {
        return;
    }
    if src.exists() {
        std::fs::remove_dir_all(src).unwrap();
    }
    std::fs::create_dir_all(src).unwrap();
    let unpacked = Command::new("sh")
        .current_dir(root)
        .arg("-c")
        .arg(format!(
            "git archive {PREVIOUS_RELEASE} | tar -x -C '{}'",
            src.display()
        ))
        .status()
        .unwrap();
    assert!(unpacked.success(), "git archive of {PREVIOUS_RELEASE}");
    let version = format!("{}-previous", PREVIOUS_TAG.trim_start_matches('v'));
    let manifest = src.join("Cargo.toml");
    let (text, old_version) = set_workspace_version(&read(&manifest), &version);
    std::fs::write(manifest, text).unwrap();
    let lock = src.join("Cargo.lock");
    let text = set_path_package_versions(&read(&lock), &old_version, &version);
    std::fs::write(lock, text).unwrap();
    let manifest = src.join("crates/paygate/Cargo.toml");
    let text = read(&manifest);
    let from = "[[bin]]\nname = \"paygate\"\n";
    assert!(
        text.contains(from),
        "the old paygate manifest names its binary"
    );
    let to = format!("[[bin]]\nname = \"{}\"\n", bin_name());
    std::fs::write(manifest, text.replacen(from, &to, 1)).unwrap();
    let test = src.join(format!("crates/paygate/tests/{BUILD_ONLY_TEST}.rs"));
    std::fs::write(
        test,
        "//! Built only: it makes cargo build the binary (upgrade test).\n",
    )
    .unwrap();
    std::fs::write(marker, PREVIOUS_RELEASE).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// Replaces `version = "…"` under `[workspace.package]`; returns the old version.
fn set_workspace_version(manifest: &str, version: &str) -> (String, String) {
    let start = manifest
        .find("[workspace.package]\n")
        .expect("[workspace.package]");
    let at = start
        + manifest[start..]
            .find("\nversion = \"")
            .expect("its version")
        + 1;
    let end = at + manifest[at..].find('\n').unwrap();
    let old = manifest[at..end]
        .trim_start_matches("version = \"")
        .trim_end_matches('"');
    let new = format!(
        "{}version = \"{version}\"{}",
        &manifest[..at],
        &manifest[end..]
    );
    (new, old.to_string())
}

/// The lock's path packages (those without a `source`) at `old` get `version`.
fn set_path_package_versions(lock: &str, old: &str, version: &str) -> String {
    let from = format!("\nversion = \"{old}\"\n");
    let to = format!("\nversion = \"{version}\"\n");
    let blocks: Vec<String> = lock
        .split("\n[[package]]\n")
        .map(|b| {
            if b.contains("\nsource = ") {
                b.to_string()
            } else {
                b.replacen(&from, &to, 1)
            }
        })
        .collect();
    let joined = blocks.join("\n[[package]]\n");
    assert!(
        joined.contains(&to),
        "the lock names the workspace's crates"
    );
    joined
}

/// Makes sure every crate the old `Cargo.lock` names (for this host) is in cargo's cache.
fn fetch_locked_crates(src: &Path, target: &Path, log: &Path) {
    let host = host_triple();
    let offline = cargo(src, target, &["fetch", "--frozen", "--target", &host])
        .output()
        .unwrap();
    if offline.status.success() {
        return;
    }
    eprintln!(
        "fetching the crates only {PREVIOUS_TAG}'s Cargo.lock names (see {})",
        log.display()
    );
    let online = cargo(src, target, &["fetch", "--locked", "--target", &host])
        .output()
        .unwrap();
    let text = [offline.stderr, online.stdout, online.stderr].concat();
    std::fs::write(log, &text).unwrap();
    assert!(
        online.status.success(),
        "cargo fetch --locked failed; see {}",
        log.display()
    );
}

fn host_triple() -> String {
    let out: Output = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("-vV")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let host = text.lines().find_map(|l| l.strip_prefix("host: "));
    host.expect("rustc -vV names the host").to_string()
}
