//! The fuzz targets in CI: the checked-in corpus is what `paygate-fuzz seed` writes, every
//! past crash still passes, a short exec-bounded run of every target finds nothing, and the
//! harness does catch a parser that panics.

use paygate_fuzz::runner::{self, Budget};
use paygate_fuzz::targets::{TARGETS, Target};
use std::path::PathBuf;
use std::time::Duration;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
}

#[test]
fn the_checked_in_corpus_is_what_the_seed_command_writes() {
    let seeds = paygate_fuzz::seed::seeds(&vectors());
    for target in TARGETS {
        let n = seeds.iter().filter(|(t, _, _)| *t == target.name).count();
        assert!(n > 0, "no seed for target {}", target.name);
    }
    for (target, name, bytes) in seeds {
        let path = paygate_fuzz::corpus_dir(target).join(&name);
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| {
            panic!("{} missing ({e}); run `paygate-fuzz seed`", path.display())
        });
        assert_eq!(
            on_disk,
            bytes,
            "{} differs from its seed; run `paygate-fuzz seed`",
            path.display()
        );
    }
}

#[test]
fn past_crashes_stay_fixed_and_a_short_run_of_every_target_finds_nothing() {
    let crash_dir = std::env::temp_dir().join(format!("paygate-fuzz-{}", std::process::id()));
    for target in TARGETS {
        let regressions = runner::load_dir(&paygate_fuzz::regressions_dir(target.name));
        for input in &regressions {
            (target.check)(input);
        }
        let corpus = runner::load_dir(&paygate_fuzz::corpus_dir(target.name));
        let budget = Budget {
            duration: Duration::from_secs(60),
            max_execs: 20_000,
            seed: 1,
        };
        let report = runner::run(target, &corpus, &budget, &crash_dir);
        assert_eq!(
            report.execs, 20_000,
            "{}: the run stopped early",
            target.name
        );
        assert!(
            report.crashes.is_empty(),
            "{}: {:?}",
            target.name,
            report.kinds
        );
    }
}

fn panics_on_a_seven(input: &[u8]) {
    assert!(!input.contains(&b'7'), "a seven");
}

#[test]
fn the_harness_catches_a_parser_that_panics_and_keeps_the_input() {
    let target = Target {
        name: "broken",
        about: "test",
        check: panics_on_a_seven,
    };
    let crash_dir =
        std::env::temp_dir().join(format!("paygate-fuzz-broken-{}", std::process::id()));
    let budget = Budget {
        duration: Duration::from_secs(60),
        max_execs: 5_000,
        seed: 3,
    };
    let report = runner::run(
        &target,
        &[b"0123456".to_vec(), b"abc".to_vec()],
        &budget,
        &crash_dir,
    );
    assert!(
        !report.crashes.is_empty(),
        "the seven in the corpus was not caught"
    );
    let kind = report.kinds.keys().next().expect("a crash kind");
    assert!(kind.starts_with("a seven at "), "{kind}");
    let saved =
        std::fs::read(crash_dir.join("broken").join(&report.crashes[0])).expect("saved input");
    assert!(saved.contains(&b'7'));
    let _ = std::fs::remove_dir_all(&crash_dir);
}
