//! Runs one target: corpus entries as they are, then seeded mutations of them until the time
//! or execution budget is spent. A panic (a property broken, an index out of bounds, an
//! overflow in a debug build) is a crash: the input is written to the crash directory under
//! its SHA-256 and the run goes on, so one run reports every distinct crash it meets.

use crate::mutate::mutate;
use crate::targets::Target;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long and how reproducibly to run.
#[derive(Clone, Debug)]
pub struct Budget {
    /// Stop after this long (wall clock).
    pub duration: Duration,
    /// Stop after this many executions, whichever comes first.
    pub max_execs: u64,
    /// The seed of the mutation sequence: the same seed and corpus give the same inputs.
    pub seed: u64,
}

/// What one run did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    pub target: &'static str,
    pub seed: u64,
    pub corpus_inputs: usize,
    pub execs: u64,
    pub elapsed_ms: u128,
    pub execs_per_s: u64,
    /// SHA-256 (hex) of every distinct crashing input; each is saved under the crash directory.
    pub crashes: Vec<String>,
    /// Each distinct panic (message and source location) with one crashing input's SHA-256
    /// and how many inputs hit it.
    pub kinds: BTreeMap<String, CrashKind>,
}

/// One distinct panic.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CrashKind {
    pub example: String,
    pub count: u64,
}

/// The last panic's message and location, set by the runner's panic hook.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Runs `target` over `corpus` (never empty: an empty input stands in) within `budget`,
/// saving crashing inputs under `crash_dir/<target>/`.
pub fn run(target: &Target, corpus: &[Vec<u8>], budget: &Budget, crash_dir: &Path) -> Report {
    let empty = [Vec::new()];
    let corpus = if corpus.is_empty() {
        &empty[..]
    } else {
        corpus
    };
    let mut rng = SmallRng::seed_from_u64(budget.seed);
    let started = Instant::now();
    let mut execs = 0u64;
    let mut crashes = BTreeSet::new();
    let mut kinds: BTreeMap<String, CrashKind> = BTreeMap::new();
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()));
        let message = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| {
                info.payload()
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
            })
            .unwrap_or_default();
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(format!("{message}{}", at.unwrap_or_default()));
        }
    }));
    let mut attempt = |input: &[u8]| {
        if catch_unwind(AssertUnwindSafe(|| (target.check)(input))).is_err() {
            let sha = save_crash(crash_dir, target.name, input);
            let kind = LAST_PANIC
                .lock()
                .ok()
                .and_then(|mut l| l.take())
                .unwrap_or_default();
            kinds
                .entry(kind)
                .or_insert_with(|| CrashKind {
                    example: sha.clone(),
                    count: 0,
                })
                .count += 1;
            crashes.insert(sha);
        }
    };
    for input in corpus {
        attempt(input);
        execs += 1;
    }
    while execs < budget.max_execs && started.elapsed() < budget.duration {
        let a = &corpus[rng.random_range(0..corpus.len())];
        let b = &corpus[rng.random_range(0..corpus.len())];
        let input = mutate(&mut rng, a, b);
        attempt(&input);
        execs += 1;
    }
    std::panic::set_hook(previous_hook);
    let elapsed = started.elapsed();
    Report {
        target: target.name,
        seed: budget.seed,
        corpus_inputs: corpus.len(),
        execs,
        elapsed_ms: elapsed.as_millis(),
        execs_per_s: (execs as f64 / elapsed.as_secs_f64().max(1e-9)) as u64,
        crashes: crashes.into_iter().collect(),
        kinds,
    }
}

fn save_crash(crash_dir: &Path, target: &str, input: &[u8]) -> String {
    let name = hex::encode(Sha256::digest(input));
    let dir = crash_dir.join(target);
    if std::fs::create_dir_all(&dir).is_ok() {
        // Best effort: the report names the crash even when the file cannot be written.
        let _ = std::fs::write(dir.join(&name), input);
    }
    name
}

/// The files of `dir` (sorted by name, so a run is reproducible), or none when it is missing.
pub fn load_dir(dir: &Path) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}
