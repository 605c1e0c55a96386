//! `paygate bench`'s flags as its parser reads them: the documented defaults, and conflicting
//! or out-of-range flags refused.

use super::{Cli, KEY, args};
use clap::Parser;
use std::time::Duration;

#[test]
fn cli_defaults_match_the_documented_ones() {
    let a = args(
        "http://127.0.0.1:1",
        &["--warmup", "2s", "--bare-duration", "5s"],
    );
    assert_eq!(a.duration, Duration::from_secs(30));
    assert_eq!(
        (a.warmup, a.bare_duration),
        (Duration::from_secs(2), Duration::from_secs(5))
    );
    assert_eq!((a.rate, a.concurrency, a.connections), (None, None, None));
    assert_eq!((a.currency.as_str(), a.amount), ("krw", 1000));
    assert_eq!(
        (a.decline_ratio_pct, a.capture_ratio_pct, a.refund_ratio_pct),
        (5, 0, 0)
    );
    assert_eq!(
        (a.request_timeout_ms, a.max_in_flight, a.json, a.server_pid),
        (10_000, 10_000, false, None)
    );
    assert!(
        !format!("{a:?}").contains(KEY),
        "Debug must not print the secret key"
    );
}

#[test]
fn cli_rejects_conflicting_and_out_of_range_flags() {
    let parse = |extra: &[&str]| {
        let mut argv = vec!["bench", "--url", "http://x", "--secret-key", KEY];
        argv.extend(extra);
        Cli::try_parse_from(argv)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(parse(&["--rate", "10", "--concurrency", "5"]).contains("cannot be used with"));
    assert!(parse(&["--decline-ratio-pct", "101"]).contains("--decline-ratio-pct"));
    assert!(parse(&["--concurrency", "0"]).contains("--concurrency"));
    assert!(parse(&["--connections", "5000"]).contains("--connections"));
    assert!(parse(&["--duration", "30"]).contains("missing unit"));
    assert!(parse(&["--duration", "2m"]).is_empty());
}
