//! The merchant's HTTP client of the cluster: form POSTs with an `Idempotency-Key` sent to
//! one gateway after another (as a load balancer would), paged reads of list endpoints.

use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Longest one request may take (a stopped gateway holds it until it is continued).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// What one request got back.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Answer {
    pub http: u16,
    /// The object's `id` (or the payment intent an error names).
    pub id: Option<String>,
    /// The object's `status`.
    pub status: Option<String>,
    /// The error's `code`.
    pub code: Option<String>,
}

impl Answer {
    fn of(http: u16, v: &Value) -> Answer {
        let s = |v: &Value| v.as_str().map(str::to_string);
        let err = &v["error"];
        Answer {
            http,
            id: s(&v["id"]).or_else(|| s(&err["payment_intent"]["id"])),
            status: s(&v["status"]).or_else(|| s(&err["payment_intent"]["status"])),
            code: s(&err["code"]),
        }
    }

    /// A final answer: what a client would act on (not a failure of the gateway, a key in
    /// flight or a rate limit, after which the client retries with the same key).
    pub fn is_final(&self) -> bool {
        (200..300).contains(&self.http)
            || ((400..500).contains(&self.http) && !matches!(self.http, 409 | 429))
    }
}

/// The outcome of one attempt: an answer, or a transport failure.
#[derive(Clone, Debug)]
pub enum Attempt {
    Answered(Answer),
    Transport,
}

pub struct Api {
    http: reqwest::Client,
    pub bases: Vec<String>,
    key: String,
    next: AtomicUsize,
}

impl Api {
    pub fn new(bases: Vec<String>, key: String) -> Api {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .pool_max_idle_per_host(4)
            .build()
            .expect("a plain HTTP client builds");
        Api {
            http,
            bases,
            key,
            next: AtomicUsize::new(0),
        }
    }

    /// The next gateway, round robin.
    fn base(&self) -> &str {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        &self.bases[i % self.bases.len()]
    }

    /// One POST of a form with an idempotency key.
    pub async fn post(&self, path: &str, key: &str, body: &str) -> Attempt {
        let r = self
            .http
            .post(format!("{}{path}", self.base()))
            .bearer_auth(&self.key)
            .header("Idempotency-Key", key)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
            .await;
        match r {
            Ok(r) => {
                let http = r.status().as_u16();
                match r.json::<Value>().await {
                    Ok(v) => Attempt::Answered(Answer::of(http, &v)),
                    Err(e) if http >= 500 => Attempt::Answered(Answer {
                        http,
                        id: None,
                        status: None,
                        code: Some(e.to_string()),
                    }),
                    Err(_) => Attempt::Transport,
                }
            }
            Err(_) => Attempt::Transport,
        }
    }

    /// A POST whose whole answer matters (set-up requests); `Err` unless it is a 200.
    pub async fn post_json(&self, path: &str, key: &str, body: &str) -> Result<Value, String> {
        let r = self
            .http
            .post(format!("{}{path}", self.base()))
            .bearer_auth(&self.key)
            .header("Idempotency-Key", key)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| format!("POST {path}: {e}"))?;
        let http = r.status().as_u16();
        let v: Value = r.json().await.map_err(|e| format!("POST {path}: {e}"))?;
        if http == 200 {
            Ok(v)
        } else {
            Err(format!("POST {path}: {http} {v}"))
        }
    }

    /// A GET of one object or page; `Err` names the failure.
    pub async fn get(&self, path_and_query: &str) -> Result<Value, String> {
        let r = self
            .http
            .get(format!("{}{path_and_query}", self.base()))
            .bearer_auth(&self.key)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let http = r.status().as_u16();
        let v: Value = r.json().await.map_err(|e| e.to_string())?;
        if http == 200 {
            Ok(v)
        } else {
            Err(format!("GET {path_and_query}: {http} {v}"))
        }
    }

    /// Every object of a list endpoint (`/v1/payment_intents`, `/v1/events`, …), all pages.
    pub async fn list_all(&self, path: &str) -> Result<Vec<Value>, String> {
        let mut out: Vec<Value> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let q = match &after {
                Some(a) => format!("{path}?limit=100&starting_after={a}"),
                None => format!("{path}?limit=100"),
            };
            let page = self.get(&q).await?;
            let data = page["data"].as_array().cloned().unwrap_or_default();
            after = data
                .last()
                .and_then(|o| o["id"].as_str())
                .map(str::to_string);
            out.extend(data);
            if !page["has_more"].as_bool().unwrap_or(false) || after.is_none() {
                return Ok(out);
            }
        }
    }
}
