//! `paygate-fuzz`: runs the fuzz targets (scripts/fuzz.sh; docs/FUZZING.md).

use clap::{Parser, Subcommand};
use paygate_fuzz::runner::{self, Budget, Report};
use paygate_fuzz::targets::{TARGETS, Target, find};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "paygate-fuzz",
    about = "Fuzz paygate's parsers of outside input"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the targets.
    List,
    /// (Re)write the seed corpus `crates/fuzz/corpus/<target>/` from code and the vectors.
    Seed {
        /// The public test vectors (`../shared/vectors` beside the repository).
        #[arg(long, default_value = "../shared/vectors")]
        vectors: PathBuf,
    },
    /// Run one target, or `all` of them one after the other.
    Run {
        /// A target name (see `list`) or `all`.
        target: String,
        /// Seconds per target.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// At most this many executions per target.
        #[arg(long, default_value_t = u64::MAX)]
        execs: u64,
        /// Seed of the mutations; the same seed reproduces the same inputs.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where crashing inputs are written (`<dir>/<target>/<sha256>`).
        #[arg(long, default_value = "target/fuzz-crashes")]
        crashes: PathBuf,
        /// Print one JSON object per target instead of a table row.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::List => {
            for t in TARGETS {
                println!("{:<20} {}", t.name, t.about);
            }
            ExitCode::SUCCESS
        }
        Command::Seed { vectors } => {
            for (target, name, bytes) in paygate_fuzz::seed::seeds(&vectors) {
                let dir = paygate_fuzz::corpus_dir(target);
                if let Err(e) = std::fs::create_dir_all(&dir)
                    .and_then(|()| std::fs::write(dir.join(&name), bytes))
                {
                    eprintln!("cannot write {}/{name}: {e}", dir.display());
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        Command::Run {
            target,
            seconds,
            execs,
            seed,
            crashes,
            json,
        } => {
            let chosen: Vec<&Target> = if target == "all" {
                TARGETS.iter().collect()
            } else if let Some(t) = find(&target) {
                vec![t]
            } else {
                eprintln!("unknown target {target:?}; `paygate-fuzz list` shows them");
                return ExitCode::from(2);
            };
            let budget = Budget {
                duration: Duration::from_secs(seconds),
                max_execs: execs,
                seed,
            };
            if !json {
                println!(
                    "{:<20} {:>7} {:>11} {:>9} {:>7}",
                    "target", "corpus", "execs", "execs/s", "crashes"
                );
            }
            let mut crashed = false;
            for t in chosen {
                let corpus = runner::load_dir(&paygate_fuzz::corpus_dir(t.name));
                let report = runner::run(t, &corpus, &budget, &crashes);
                crashed |= !report.crashes.is_empty();
                print_report(&report, json, &crashes);
            }
            if crashed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

fn print_report(report: &Report, json: bool, crash_dir: &std::path::Path) {
    if json {
        println!("{}", serde_json::to_string(report).unwrap_or_default());
        return;
    }
    println!(
        "{:<20} {:>7} {:>11} {:>9} {:>7}",
        report.target,
        report.corpus_inputs,
        report.execs,
        report.execs_per_s,
        report.crashes.len()
    );
    for (kind, c) in &report.kinds {
        let example = crash_dir.join(report.target).join(&c.example);
        println!(
            "  {} inputs: {kind}\n    e.g. {}",
            c.count,
            example.display()
        );
    }
}
