//! Fuzzing on stable Rust for every parser of outside input (issue 15 §4).
//!
//! `cargo fuzz` needs a nightly compiler for its sanitizer coverage, and none can be installed
//! where paygate is built, so this crate is a small mutation fuzzer instead: a checked-in
//! corpus per target (`corpus/<target>/`, real messages from the test vectors), seeded
//! AFL-style mutations (`mutate`), a property check per target (`targets`) and a runner that
//! catches panics and keeps crashing inputs (`runner`). Without coverage feedback it finds
//! what a corpus close to real traffic and many cheap mutations find — out-of-bounds slicing,
//! overflowing lengths, round-trip disagreements — and says so in docs/FUZZING.md.
//!
//! A crash, once fixed, is copied to `regressions/<target>/`, which the crate's tests replay.

pub mod mutate;
pub mod runner;
pub mod seed;
pub mod targets;
pub mod wallet_targets;

use std::path::PathBuf;

/// `crates/fuzz/corpus/<target>`: the seed inputs.
pub fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

/// `crates/fuzz/regressions/<target>`: inputs that once crashed, replayed by the tests.
pub fn regressions_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(target)
}
