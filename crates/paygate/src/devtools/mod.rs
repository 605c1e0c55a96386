//! The developer CLI (docs/DEVELOPERS.md): `paygate listen` (forward the merchant's events to
//! a local URL), `paygate trigger` (fire an event through the API) and `paygate logs tail`
//! (the merchant's request log). All three talk to a running gateway over its public HTTP API
//! with a test-mode secret key.

pub mod listen;
pub mod logs;
pub mod sse;
pub mod trigger;

use serde_json::Value;
use std::time::Duration;

/// How long a plain API call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Which gateway and key the developer commands use.
#[derive(clap::Args, Clone)]
pub struct ApiArgs {
    /// A test-mode secret key of the merchant (`sk_test_…`); live keys are refused.
    #[arg(long, env = "PAYGATE_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// The gateway's base URL.
    #[arg(
        long,
        env = "PAYGATE_API_BASE",
        default_value = "http://127.0.0.1:8080"
    )]
    pub api_base: String,
}

/// A gateway client for the developer commands.
pub struct Api {
    base: String,
    key: String,
    http: reqwest::Client,
    /// No overall timeout: a stream lasts as long as the server keeps it.
    streams: reqwest::Client,
}

/// What the API answered: status, `Request-Id` and body.
pub struct Answer {
    pub status: u16,
    pub request_id: String,
    pub body: Value,
}

impl Api {
    /// A client for `args`, if its key is a test-mode secret key.
    pub fn new(args: &ApiArgs) -> Result<Api, String> {
        let key = args
            .api_key
            .clone()
            .ok_or("--api-key (or PAYGATE_API_KEY) is required: a test-mode secret key")?;
        check_test_secret_key(&key)?;
        let build = |timeout: Option<Duration>| {
            let b = reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT);
            let b = match timeout {
                Some(t) => b.timeout(t),
                None => b,
            };
            b.build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))
        };
        Ok(Api {
            base: args.api_base.trim_end_matches('/').to_string(),
            key,
            http: build(Some(CALL_TIMEOUT))?,
            streams: build(None)?,
        })
    }

    /// Sends `method path` with `form` (a POST's body; an `Idempotency-Key` when given).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(String, String)],
        idempotency_key: Option<&str>,
    ) -> Result<Answer, String> {
        let url = format!("{}{path}", self.base);
        let mut rb = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(&self.key);
        if method == reqwest::Method::POST {
            rb = rb.form(form);
        }
        if let Some(k) = idempotency_key {
            rb = rb.header("Idempotency-Key", k);
        }
        let resp = rb.send().await.map_err(|e| unreachable(&url, &e))?;
        let status = resp.status().as_u16();
        let request_id = header(&resp, "request-id");
        let body = resp.json().await.unwrap_or(Value::Null);
        Ok(Answer {
            status,
            request_id,
            body,
        })
    }

    /// Opens the server-sent event stream at `path` (after event `last_id` when given).
    pub async fn stream(&self, path: &str, last_id: Option<&str>) -> Result<sse::Reader, String> {
        let url = format!("{}{path}", self.base);
        let mut rb = self
            .streams
            .get(&url)
            .bearer_auth(&self.key)
            .header("accept", "text/event-stream");
        if let Some(id) = last_id {
            rb = rb.header("last-event-id", id);
        }
        let resp = rb.send().await.map_err(|e| unreachable(&url, &e))?;
        if !resp.status().is_success() {
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            return Err(format!("{url} answered {status}: {}", api_message(&body)));
        }
        Ok(sse::Reader::new(resp))
    }
}

/// The developer commands run against test mode only: a live key (or a publishable one) is
/// refused before anything is sent. The key itself is never printed.
pub fn check_test_secret_key(key: &str) -> Result<(), String> {
    if key.starts_with("sk_test_") {
        return Ok(());
    }
    if key.starts_with("sk_live_") {
        return Err(
            "--api-key: a live-mode key; listen, trigger and logs tail are development \
                    tools and take a test-mode secret key (sk_test_…) only"
                .into(),
        );
    }
    Err("--api-key: not a test-mode secret key (it must start with sk_test_)".into())
}

/// The API error's message (or the body itself when it is not an API error).
pub fn api_message(body: &Value) -> String {
    body["error"]["message"]
        .as_str()
        .map_or_else(|| body.to_string(), str::to_string)
}

fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string()
}

fn unreachable(url: &str, e: &reqwest::Error) -> String {
    format!("cannot reach {url}: {e}")
}

/// `2026-12-03 08:00:01` (UTC) for the printed lines.
pub fn timestamp(unix: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Unix seconds now.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Prints one JSON document on a line.
pub fn print_json(v: &Value) {
    println!("{v}");
}
