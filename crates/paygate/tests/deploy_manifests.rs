//! The deployment files under `deploy/` (Helm chart, compose file, Prometheus alerts, Grafana
//! dashboard) checked against real tools and the real binary by `deploy/check/validate.py`:
//! Helm's own template engine (helm-python-sdk) renders the chart for every values file, the
//! manifests are validated against the Kubernetes schemas (kubernetes-validate), the compose
//! file against the Compose Specification (compose-spec), the alert
//! rules by `promtool check rules` and `promtool test rules`, and every metric a rule or panel
//! names must be one this build's `GET /metrics` exports.
//!
//! The test makes its own venv under the target dir (pip, from PyPI). It needs python3 and
//! `promtool` (Debian's `prometheus` package; `bash .ci/run` installs it); without them it
//! fails, unless `PAYGATE_SKIP_PYTHON=1`.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Pinned: Helm v4.2.3's engine as a library, the Kubernetes 1.25–1.37 schemas, the Compose
/// Specification (bindings of the `compose_spec` crate).
const PIP_PACKAGES: [&str; 4] = [
    "helm-python-sdk==0.2.2",
    "kubernetes-validate==1.37.0",
    "compose-spec==0.2.1",
    "PyYAML==6.0.3",
];

/// How long one validator run may take before it is killed.
const RUN_LIMIT: Duration = Duration::from_secs(120);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn promtool() -> String {
    std::env::var("PAYGATE_PROMTOOL").unwrap_or_else(|_| "promtool".into())
}

/// The venv's python, made once per target dir; `None` when Python tests are skipped.
fn venv() -> Option<PathBuf> {
    if std::env::var("PAYGATE_SKIP_PYTHON").as_deref() == Ok("1") {
        eprintln!("skipped: PAYGATE_SKIP_PYTHON=1");
        return None;
    }
    let found = Command::new(promtool()).arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "promtool not found: apt-get install prometheus (bash .ci/run does), or set PAYGATE_PROMTOOL"
    );
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("deploy-venv-2");
    let py = dir.join("bin/python");
    let marker = dir.join(".installed");
    if !marker.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status();
        assert!(
            ok.is_ok_and(|s| s.success()),
            "python3 -m venv failed: install python3 and python3-venv (or set PAYGATE_SKIP_PYTHON=1)"
        );
        let ok = Command::new(&py)
            .args(["-m", "pip", "install", "-q"])
            .args(PIP_PACKAGES)
            .status()
            .expect("pip runs");
        assert!(ok.success(), "pip install {PIP_PACKAGES:?} failed");
        std::fs::write(&marker, b"ok").unwrap();
    }
    Some(py)
}

/// What a freshly started gateway answers on `GET /metrics`, written to `dir/metrics.txt`.
async fn scrape_metrics(dir: &Path) -> PathBuf {
    let listen = format!("127.0.0.1:{}", free_port());
    let data = dir.join("gw");
    let gw = spawn(
        &[
            "serve",
            "--data-dir",
            data.to_str().unwrap(),
            "--listen",
            &listen,
            "--metrics-listen",
            "127.0.0.1:0",
        ],
        &[],
        &dir.join("gw.log"),
        "listening on",
    );
    let text = reqwest::get(printed(&gw, "metrics on"))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics body");
    assert!(text.contains("# TYPE paygate_"), "{text}");
    let path = dir.join("metrics.txt");
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs the validator with `args`, killed after [`RUN_LIMIT`]; (exit success, its output).
fn validate(py: &Path, metrics: &Path, args: &[&str], out_dir: &Path) -> (bool, String) {
    let out_path = out_dir.join(format!("validate-{}.out", args.len()));
    let out = std::fs::File::create(&out_path).unwrap();
    let mut child = Command::new(py)
        .arg(root().join("deploy/check/validate.py"))
        .args(["--paygate", BIN, "--promtool", &promtool(), "--metrics"])
        .arg(metrics)
        .args(args)
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .stdin(Stdio::null())
        .spawn()
        .expect("start python");
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = std::fs::read_to_string(&out_path).unwrap_or_default();
    (status.is_some_and(|s| s.success()), text)
}

/// The chart renders for every values file into schema-valid manifests that keep its promises,
/// the compose file's commands and variables are the binary's, and the alerts and dashboard
/// parse and name only exported metrics. Then a rule naming a metric the gateway does not
/// export is caught.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_files_render_validate_and_name_only_exported_metrics() {
    let Some(py) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let metrics = scrape_metrics(dir.path()).await;

    let (ok, out) = validate(&py, &metrics, &[], dir.path());
    assert!(ok, "deploy/check/validate.py failed:\n{out}");
    for line in [
        "chart values-eks.yaml:",
        "chart values-aks.yaml:",
        "chart values-gke.yaml:",
        "chart values-hybrid.yaml:",
    ] {
        assert!(out.contains(line), "{line} not validated:\n{out}");
    }
    assert!(out.contains("\n0 failures"), "{out}");

    // The same alert rules with one metric renamed to one that does not exist must fail.
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    let rules = std::fs::read_to_string(root().join("deploy/prometheus/alerts.yaml")).unwrap();
    let renamed = rules.replace(
        "paygate_store_failed_batches_total",
        "paygate_db_errors_total",
    );
    assert_ne!(rules, renamed);
    std::fs::write(bad.join("alerts.yaml"), renamed).unwrap();
    std::fs::copy(
        root().join("deploy/prometheus/alerts.test.yaml"),
        bad.join("alerts.test.yaml"),
    )
    .unwrap();
    let alerts = bad.join("alerts.yaml");
    let (ok, out) = validate(
        &py,
        &metrics,
        &["--only", "prometheus", "--alerts", alerts.to_str().unwrap()],
        dir.path(),
    );
    assert!(
        !ok,
        "a rule on a metric that is not exported passed:\n{out}"
    );
    assert!(
        out.contains("alert PaygateDatabaseErrors: metric paygate_db_errors_total is not exported"),
        "{out}"
    );
    assert!(out.contains("promtool test rules"), "{out}");
}
