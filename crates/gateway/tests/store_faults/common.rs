//! What the store-fault tests share: the captured log, `/readyz`, the fault switches, polling
//! and the network's authorizations.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Everything this test binary logs at WARN and above.
pub fn captured_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .with_writer(move || Capture(sink.clone()))
            .init();
        buf
    })
    .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn log_lines_with(log: &Arc<Mutex<Vec<u8>>>, needle: &str) -> Vec<String> {
    String::from_utf8_lossy(&log.lock().unwrap())
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_string)
        .collect()
}

pub async fn readyz(app: &TestApp) -> (StatusCode, Value) {
    let r = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

pub async fn set_faults(app: &TestApp, form: &[(&str, &str)]) -> Value {
    let (s, v) = app.post("/v1/test_helpers/faults", form).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// Polls `check` every 50 ms for up to `within`; true once it holds.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = Instant::now() + within;
    while Instant::now() < until {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// The network's authorization entries, newest last.
pub fn authorizations(app: &TestApp) -> Vec<Value> {
    let journal = paygate_sim_network::journal(&app.sim_dir()).expect("journal");
    let v = serde_json::to_value(journal).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "authorization")
        .cloned()
        .collect()
}
