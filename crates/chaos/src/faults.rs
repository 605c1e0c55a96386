//! The fault kinds and the seeded schedule: the same seed, cluster shape, duration and kinds
//! give the same schedule (`rand`'s `StdRng`, reproducible within one build).

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// One kind of fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// SIGKILL of a gateway, restarted when the fault ends.
    Kill,
    /// SIGSTOP of a gateway, SIGCONT when the fault ends.
    Pause,
    /// A link delays every chunk.
    Latency,
    /// A link cuts its connections in the middle of a message.
    CloseMidMessage,
    /// A link swallows everything.
    Blackhole,
    /// A link resets its connections.
    Reset,
    /// A link refuses everything (a partition).
    Partition,
    /// A simulator answers late (its admin listener's `late_ms`).
    SimLate,
    /// A simulator closes the connection instead of answering a share of requests.
    SimDrop,
    /// A simulator declines a share of what it would approve.
    SimDecline,
    /// A simulator answers a share of requests with garbage.
    SimGarbage,
    /// A simulator processes and never answers.
    SimSilent,
    /// `pg_terminate_backend` of the gateways' PostgreSQL sessions.
    PgTerminate,
    /// The gateway's store fails its next commits (`/v1/test_helpers/faults`), as a full
    /// disk would.
    StoreWriteFail,
    /// One gateway's clock runs 30–600 s ahead of the others' (`clock_skew_s` of
    /// `/v1/test_helpers/faults`). Ahead only: with two instances the other one is then behind
    /// it, and ahead is the side where another instance's fresh records look old to recovery.
    ClockSkew,
}

/// Every kind, in the order of the report.
pub const ALL: [Kind; 15] = [
    Kind::Kill,
    Kind::Pause,
    Kind::Latency,
    Kind::CloseMidMessage,
    Kind::Blackhole,
    Kind::Reset,
    Kind::Partition,
    Kind::SimLate,
    Kind::SimDrop,
    Kind::SimDecline,
    Kind::SimGarbage,
    Kind::SimSilent,
    Kind::PgTerminate,
    Kind::StoreWriteFail,
    Kind::ClockSkew,
];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Kill => "kill",
            Kind::Pause => "pause",
            Kind::Latency => "latency",
            Kind::CloseMidMessage => "close_mid_message",
            Kind::Blackhole => "blackhole",
            Kind::Reset => "reset",
            Kind::Partition => "partition",
            Kind::SimLate => "sim_late",
            Kind::SimDrop => "sim_drop",
            Kind::SimDecline => "sim_decline",
            Kind::SimGarbage => "sim_garbage",
            Kind::SimSilent => "sim_silent",
            Kind::PgTerminate => "pg_terminate",
            Kind::StoreWriteFail => "store_write_fail",
            Kind::ClockSkew => "clock_skew",
        }
    }

    /// Whether the kind acts on a link's proxy.
    pub fn on_link(self) -> bool {
        matches!(
            self,
            Kind::Latency | Kind::CloseMidMessage | Kind::Blackhole | Kind::Reset | Kind::Partition
        )
    }

    /// Whether the kind acts on a simulator's admin listener.
    pub fn on_simulator(self) -> bool {
        matches!(
            self,
            Kind::SimLate | Kind::SimDrop | Kind::SimDecline | Kind::SimGarbage | Kind::SimSilent
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Kind, String> {
        ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| {
            let names: Vec<&str> = ALL.iter().map(|k| k.name()).collect();
            format!("unknown fault kind {s:?}; one of {}", names.join(", "))
        })
    }
}

/// `--faults all` or a comma-separated list of kinds.
pub fn parse_kinds(text: &str) -> Result<Vec<Kind>, String> {
    if text.trim() == "all" {
        return Ok(ALL.to_vec());
    }
    let mut kinds = text
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<Vec<Kind>, String>>()?;
    kinds.sort();
    kinds.dedup();
    Ok(kinds)
}

/// What a planned fault acts on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "name")]
pub enum Target {
    /// Gateway instance by index.
    Gateway(usize),
    /// A link by name (`network`, `3ds`, `postgres`).
    Link(String),
    /// A simulator by name (`network`, `3ds`).
    Simulator(String),
    /// The store (every gateway's sessions, or the commits of one gateway).
    Store,
}

/// One fault of the schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Planned {
    /// Offset from the start of the workload.
    pub at_ms: u64,
    /// How long it stays in force before it is healed.
    pub hold_ms: u64,
    pub kind: Kind,
    pub target: Target,
    /// The kind's strength: latency ms, percentage, commits to fail, seconds of skew; 0 when
    /// it has none.
    pub amount: u64,
}

/// What the schedule may act on.
pub struct Shape<'a> {
    pub instances: usize,
    pub links: &'a [&'a str],
    pub simulators: &'a [&'a str],
}

/// The schedule for `duration_ms`: one fault at a time, each held 0.5–3 s, 0.3–1.5 s apart.
pub fn schedule(seed: u64, duration_ms: u64, kinds: &[Kind], shape: &Shape) -> Vec<Planned> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    let mut t = 1_000;
    if kinds.is_empty() {
        return out;
    }
    while t < duration_ms {
        let kind = kinds[rng.random_range(0..kinds.len())];
        let hold_ms = rng.random_range(500..=3_000).min(duration_ms - t);
        let (target, amount) = match kind {
            Kind::Kill | Kind::Pause => (Target::Gateway(rng.random_range(0..shape.instances)), 0),
            k if k.on_link() => {
                let link = shape.links[rng.random_range(0..shape.links.len())];
                let ms = if k == Kind::Latency {
                    rng.random_range(20..=800)
                } else {
                    0
                };
                (Target::Link(link.to_string()), ms)
            }
            k if k.on_simulator() => {
                let sim = shape.simulators[rng.random_range(0..shape.simulators.len())];
                let amount = match k {
                    Kind::SimLate => rng.random_range(100..=1_500),
                    Kind::SimSilent => 0,
                    _ => rng.random_range(10..=50),
                };
                (Target::Simulator(sim.to_string()), amount)
            }
            Kind::StoreWriteFail => (
                Target::Gateway(rng.random_range(0..shape.instances)),
                rng.random_range(1..=20),
            ),
            Kind::ClockSkew => (
                Target::Gateway(rng.random_range(0..shape.instances)),
                rng.random_range(30..=600),
            ),
            _ => (Target::Store, 0),
        };
        out.push(Planned {
            at_ms: t,
            hold_ms,
            kind,
            target,
            amount,
        });
        t += hold_ms + rng.random_range(300..=1_500);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: Shape = Shape {
        instances: 2,
        links: &["network", "postgres"],
        simulators: &["network"],
    };

    #[test]
    fn the_same_seed_gives_the_same_schedule_and_another_seed_another() {
        let a = schedule(7, 60_000, &ALL, &SHAPE);
        assert_eq!(a, schedule(7, 60_000, &ALL, &SHAPE));
        assert_ne!(a, schedule(8, 60_000, &ALL, &SHAPE));
        assert!(a.len() > 10, "{a:?}");
        assert!(a.iter().all(|p| p.at_ms + p.hold_ms <= 60_000));
        assert!(a.windows(2).all(|w| w[0].at_ms + w[0].hold_ms < w[1].at_ms));
    }

    #[test]
    fn only_the_kinds_asked_for_are_scheduled_and_targets_fit_the_kind() {
        let s = schedule(1, 30_000, &[Kind::Kill, Kind::Latency], &SHAPE);
        for p in &s {
            match p.kind {
                Kind::Kill => assert!(matches!(p.target, Target::Gateway(i) if i < 2)),
                Kind::Latency => assert!(matches!(p.target, Target::Link(_)) && p.amount >= 20),
                k => panic!("unexpected {k}"),
            }
        }
        assert!(
            s.iter().any(|p| p.kind == Kind::Kill) && s.iter().any(|p| p.kind == Kind::Latency)
        );
    }

    #[test]
    fn kinds_parse_by_name_and_an_unknown_one_is_named() {
        assert_eq!(
            parse_kinds("kill, latency").unwrap(),
            vec![Kind::Kill, Kind::Latency]
        );
        assert_eq!(parse_kinds("all").unwrap().len(), ALL.len());
        let e = parse_kinds("kill,meteor").unwrap_err();
        assert!(e.contains("\"meteor\"") && e.contains("sim_silent"), "{e}");
    }
}
