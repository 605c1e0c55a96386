//! Black-box runs of the bench against a tiny fake merchant API (a hyper server on port 0),
//! with arguments parsed exactly as `paygate bench` parses them. The fake API is `fake_api`;
//! the flags alone, `cli`.

mod cli;
mod fake_api;

use clap::Parser;
use fake_api::{Behaviour, FakeApi};
use paygate_bench::{BenchArgs, BenchError, Mode, Summary};
use std::collections::HashSet;
use std::time::Duration;
use tokio::net::TcpListener;

const KEY: &str = "sk_test_bench";

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    bench: BenchArgs,
}

/// Parses `extra` after `--url` and `--secret-key`; warm-up and the bare phase are off unless
/// `extra` sets them, to keep every test short.
fn args(url: &str, extra: &[&str]) -> BenchArgs {
    let mut argv = vec!["bench", "--url", url, "--secret-key", KEY];
    for (flag, value) in [("--warmup", "0"), ("--bare-duration", "0")] {
        if !extra.contains(&flag) {
            argv.extend([flag, value]);
        }
    }
    argv.extend(extra);
    Cli::try_parse_from(argv).expect("valid arguments").bench
}

async fn measure(url: &str, extra: &[&str]) -> Summary {
    paygate_bench::measure(&args(url, extra), false)
        .await
        .expect("bench run")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_loop_run_of_one_second_makes_payments_with_five_percent_declines() {
    let api = FakeApi::start(Behaviour::Normal).await;
    let s = measure(&api.url, &["--concurrency", "4", "--duration", "1s"]).await;
    assert_eq!(s.mode, Mode::ClosedLoop);
    // How many payments fit in the second depends on the machine; what they were does not.
    assert!(s.payments > 0, "the run made payments");
    assert_eq!(
        s.payments,
        api.count(|s| &s.payments),
        "every payment sent was counted"
    );
    assert_eq!(
        s.declined,
        s.payments / 20,
        "every 20th payment uses the decline card"
    );
    assert_eq!(s.errors.total(), 0, "{:?}", s.errors);
    assert_eq!(s.latency_ms.count, s.payments);
    assert!(
        s.payments_per_s > 0.0 && s.latency_ms.p50 > 0.0 && s.latency_ms.p50 <= s.latency_ms.max
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_summary_is_one_line_with_the_required_keys_and_the_ratio_to_bare() {
    let api = FakeApi::start(Behaviour::Normal).await;
    let s = measure(
        &api.url,
        &[
            "--concurrency",
            "2",
            "--duration",
            "500ms",
            "--bare-duration",
            "300ms",
        ],
    )
    .await;
    assert!(
        api.count(|s| &s.healthz) > 10,
        "the bare phase ran against /healthz"
    );
    let mut out = Vec::new();
    paygate_bench::write_report(&s, true, &mut out).expect("write");
    let text = String::from_utf8(out).expect("utf-8");
    assert_eq!(text.lines().count(), 1, "{text}");
    let v: serde_json::Value =
        serde_json::from_str(text.lines().last().expect("a line")).expect("JSON");
    for key in ["payments_per_s", "bare_requests_per_s", "ratio_to_bare"] {
        assert!(v[key].as_f64().is_some_and(|x| x > 0.0), "{key} in {v}");
    }
    for key in ["p50", "p95", "p99", "max"] {
        assert!(
            v["latency_ms"][key].as_f64().is_some_and(|x| x > 0.0),
            "latency_ms.{key} in {v}"
        );
    }
    for kind in [
        "http_4xx",
        "http_5xx",
        "timeout",
        "connect",
        "client_overload",
        "unexpected_body",
    ] {
        assert_eq!(v["errors"][kind].as_u64(), Some(0), "errors.{kind} in {v}");
    }
    let ratio = v["payments_per_s"].as_f64().unwrap_or(0.0)
        / v["bare_requests_per_s"].as_f64().unwrap_or(1.0);
    assert!(
        (ratio - v["ratio_to_bare"].as_f64().unwrap_or(0.0)).abs() < 0.001,
        "{v}"
    );
    assert!(paygate_bench::render_human(&s).contains("vs bare"));
}

/// The open-loop schedule, checked by its outcome rather than by speed: payment `i` is
/// intended at `i / rate`, so a 1 s window at 200/s schedules exactly 200 payments (0 ms to
/// 995 ms); each is sent exactly once (its idempotency key carries its sequence number), none
/// is dropped or sent twice, and the report's rate is its count over the window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_at_a_fixed_rate_schedules_rate_times_duration_payments_and_sends_each_once() {
    let api = FakeApi::start(Behaviour::Normal).await;
    let s = measure(&api.url, &["--rate", "200", "--duration", "1s"]).await;
    assert_eq!(s.mode, Mode::OpenLoop);
    assert_eq!(s.rate_per_s, Some(200));
    let scheduled = 200;
    assert_eq!(
        s.payments + s.errors.total(),
        scheduled,
        "every scheduled payment is accounted for: {:?}",
        s.errors
    );
    assert_eq!(s.errors.total(), 0, "{:?}", s.errors);
    let sent = api.count(|s| &s.payments);
    assert_eq!(sent, scheduled, "the server saw each scheduled payment");
    assert_eq!(s.payments, sent);
    assert_eq!(s.declined, scheduled / 20, "every 20th payment declines");
    let mut seqs: Vec<u64> = api
        .seen
        .idempotency_keys
        .lock()
        .expect("lock")
        .iter()
        .map(|k| {
            k.rsplit('-')
                .next()
                .and_then(|n| n.parse().ok())
                .expect("bench-<run>-<seq>")
        })
        .collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (0..scheduled).collect::<Vec<_>>(),
        "payments 0..200, each sent once"
    );
    assert_eq!(s.payments_per_s, s.payments as f64 / s.duration_s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_latency_includes_queueing_behind_a_slow_server() {
    // One connection, 200 ms per payment, 10 payments/s intended: the server finishes one every
    // 200 ms while one is intended every 100 ms, so the n-th payment waits ~(n+1)*100 ms longer.
    // A client that measured from the actual send would report 200 ms for all of them.
    let api = FakeApi::start(Behaviour::SlowPayments(Duration::from_millis(200))).await;
    let s = measure(
        &api.url,
        &["--rate", "10", "--duration", "500ms", "--connections", "1"],
    )
    .await;
    assert_eq!(s.payments, 5);
    assert!(s.latency_ms.p50 >= 200.0, "p50 {}", s.latency_ms.p50);
    assert!(
        s.latency_ms.p50 >= 300.0,
        "queueing hidden: p50 {}",
        s.latency_ms.p50
    );
    assert!(
        s.latency_ms.max >= 550.0,
        "queueing hidden: max {}",
        s.latency_ms.max
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_loop_latency_against_a_slow_server_is_its_service_time() {
    let api = FakeApi::start(Behaviour::SlowPayments(Duration::from_millis(200))).await;
    let s = measure(&api.url, &["--concurrency", "1", "--duration", "500ms"]).await;
    // One worker waits for each answer: every payment the server saw was measured, and no
    // measured latency is shorter than the 200 ms the server holds each one (an upper bound
    // would be a statement about this machine's speed, not about the generator).
    assert!(s.payments >= 1);
    assert_eq!(s.payments, api.count(|s| &s.payments));
    assert_eq!(s.latency_ms.count, s.payments);
    assert!(s.latency_ms.p50 >= 200.0, "p50 {}", s.latency_ms.p50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_answering_500_is_counted_as_http_5xx_not_as_payments() {
    let api = FakeApi::start(Behaviour::Fails500).await;
    let s = measure(&api.url, &["--concurrency", "2", "--duration", "300ms"]).await;
    assert_eq!((s.payments, s.declined), (0, 0));
    assert!(s.errors.http_5xx > 0);
    assert_eq!(s.errors.total(), s.errors.http_5xx, "{:?}", s.errors);
    assert_eq!(s.errors.http_5xx, api.count(|s| &s.payments));
    assert!(paygate_bench::render_human(&s).contains("errors: http_5xx"));
}

/// The drain limit (3 x the request timeout) is counted from the end of the window: a
/// closed-loop run longer than it is not cut short, and its workers are not counted as
/// timeouts. (Before the fix every run longer than 30 s stopped at 30 s with 64 timeouts.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_loop_run_longer_than_the_drain_limit_runs_its_whole_window() {
    let api = FakeApi::start(Behaviour::SlowPayments(Duration::from_millis(20))).await;
    // Drain limit = 3 x 1 s; the window is longer. The request timeout is far above the
    // server's 20 ms so that a busy test machine does not turn answers into timeouts.
    let extra = [
        "--concurrency",
        "2",
        "--duration",
        "3200ms",
        "--request-timeout-ms",
        "1000",
    ];
    let s = measure(&api.url, &extra).await;
    assert!(
        s.duration_s >= 3.2,
        "the measured window was cut to {} s",
        s.duration_s
    );
    assert_eq!(s.errors.total(), 0, "{:?}", s.errors);
    // Every payment the server saw was counted, none was dropped at the end of the window.
    assert_eq!(s.payments, api.count(|s| &s.payments));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_slower_than_the_request_timeout_is_counted_as_timeout() {
    let api = FakeApi::start(Behaviour::SlowPayments(Duration::from_secs(2))).await;
    let extra = [
        "--concurrency",
        "2",
        "--duration",
        "250ms",
        "--request-timeout-ms",
        "100",
    ];
    let s = measure(&api.url, &extra).await;
    assert_eq!(s.payments, 0);
    assert!(s.errors.timeout >= 2, "{:?}", s.errors);
    assert_eq!(s.errors.total(), s.errors.timeout, "{:?}", s.errors);
    assert!(
        s.latency_ms.p50 >= 100.0,
        "a timed-out request took at least the timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_counts_client_overload_instead_of_slowing_down() {
    // 30 payments intended within 300 ms; the first two take 600 ms, so the other 28 find two
    // outstanding and must be counted, not sent late.
    let api = FakeApi::start(Behaviour::SlowPayments(Duration::from_millis(600))).await;
    let extra = [
        "--rate",
        "100",
        "--duration",
        "300ms",
        "--max-in-flight",
        "2",
        "--connections",
        "2",
    ];
    let s = measure(&api.url, &extra).await;
    assert_eq!(s.payments, 2, "only the two in flight were sent");
    assert_eq!(api.count(|s| &s.payments), 2);
    assert_eq!(s.errors.client_overload, 28, "{:?}", s.errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_is_not_a_payment_intent_is_counted_as_unexpected_body() {
    let api = FakeApi::start(Behaviour::Garbage).await;
    let s = measure(&api.url, &["--concurrency", "2", "--duration", "200ms"]).await;
    assert_eq!(s.payments, 0);
    assert!(s.errors.unexpected_body > 0);
    assert_eq!(s.errors.total(), s.errors.unexpected_body, "{:?}", s.errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captures_and_refunds_follow_approved_payments_each_with_its_own_idempotency_key() {
    let api = FakeApi::start(Behaviour::Normal).await;
    let extra = [
        "--concurrency",
        "2",
        "--duration",
        "500ms",
        "--capture-ratio-pct",
        "50",
        "--refund-ratio-pct",
        "50",
    ];
    let s = measure(&api.url, &extra).await;
    assert!(s.captures > 0 && s.refunds > 0, "{s:?}");
    assert_eq!(s.captures, api.count(|s| &s.captures));
    assert_eq!(
        s.captures,
        api.count(|s| &s.manual_payments),
        "every manual payment was captured"
    );
    assert_eq!(s.refunds, api.count(|s| &s.refunds));
    assert_eq!(s.follow_up_latency_ms.count, s.captures + s.refunds);
    assert_eq!(s.errors.total(), 0, "{:?}", s.errors);
    let keys = api.seen.idempotency_keys.lock().expect("lock").clone();
    assert_eq!(keys.len() as u64, s.payments + s.captures + s.refunds);
    assert_eq!(
        keys.iter().collect::<HashSet<_>>().len(),
        keys.len(),
        "idempotency keys repeat"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_flag_caps_the_sockets_the_server_sees() {
    let api = FakeApi::start(Behaviour::Normal).await;
    let s = measure(
        &api.url,
        &[
            "--concurrency",
            "8",
            "--connections",
            "2",
            "--duration",
            "300ms",
        ],
    )
    .await;
    assert!(s.payments > 0);
    assert_eq!(s.connections, 2);
    assert!(
        api.count(|s| &s.connections) <= 2,
        "{} sockets",
        api.count(|s| &s.connections)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_rss_is_reported_at_start_and_end() {
    let api = FakeApi::start(Behaviour::Normal).await;
    let pid = std::process::id().to_string();
    let s = measure(
        &api.url,
        &[
            "--concurrency",
            "1",
            "--duration",
            "100ms",
            "--server-pid",
            &pid,
        ],
    )
    .await;
    let rss = s.server_rss.expect("rss requested");
    assert!(
        rss.start_kib > 0 && rss.end_kib.is_some_and(|kib| kib > 0),
        "{rss:?}"
    );
    assert!(paygate_bench::render_human(&s).contains("server RSS"));
    let missing = args(
        &api.url,
        &["--duration", "100ms", "--server-pid", "4000000000"],
    );
    let error = paygate_bench::measure(&missing, false)
        .await
        .expect_err("no such process");
    assert!(matches!(error, BenchError::ServerRss { .. }), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_key_stops_the_run_before_any_payment() {
    let api = FakeApi::start(Behaviour::RejectsKey).await;
    let error = paygate_bench::measure(&args(&api.url, &["--duration", "1s"]), false)
        .await
        .expect_err("401");
    assert!(
        matches!(error, BenchError::KeyRejected { status: 401 }),
        "{error}"
    );
    assert_eq!(api.count(|s| &s.payments), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_fails_before_measuring() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let error = paygate_bench::measure(&args(&url, &["--duration", "1s"]), false)
        .await
        .expect_err("refused");
    assert!(matches!(error, BenchError::Unreachable { .. }), "{error}");
}

#[tokio::test]
async fn a_live_mode_key_is_refused_without_echoing_it() {
    let mut live = args("http://127.0.0.1:9", &[]);
    live.secret_key = "sk_live_do_not_print".to_owned();
    let error = paygate_bench::measure(&live, false)
        .await
        .expect_err("live key");
    let message = error.to_string();
    assert!(
        message.starts_with("secret_key: ") && !message.contains("do_not_print"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_receiver_registers_endpoints_and_reports_what_they_received() {
    let api = FakeApi::start(Behaviour::Normal).await;
    let s = measure(
        &api.url,
        &[
            "--rate",
            "40",
            "--duration",
            "1s",
            "--webhook-receiver",
            "--slow-endpoint-ms",
            "50",
        ],
    )
    .await;
    let w = s.webhooks.expect("a webhook report");
    assert!(s.approved > 0);
    assert_eq!(
        api.seen.webhook_urls.lock().unwrap().len(),
        2,
        "fast and slow"
    );
    assert_eq!(
        w.healthy_deliveries, s.approved,
        "one event per approved payment"
    );
    assert_eq!(
        w.healthy_lag_ms.count, s.approved,
        "every payment's lag measured"
    );
    assert_eq!(w.slow_deliveries, s.approved);
    assert_eq!(w.slow_endpoint_ms, Some(50));
    assert_eq!(
        api.count(|x| &x.webhooks_disabled),
        2,
        "endpoints disabled after"
    );
}
