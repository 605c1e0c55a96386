//! The merchant's mixed workload: card payments (automatic and manual capture, approved,
//! declined and 3-D Secure frictionless cards), captures, partial refunds and retries of the
//! same idempotency key, each key's answers kept in the [`Book`] the invariants read.

use crate::api::{Answer, Api, Attempt};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a client keeps retrying one key during the faults before it leaves the key to
/// the heal (a real client would give up and retry later with the same key).
pub const RETRY_BUDGET: Duration = Duration::from_secs(20);

/// The cards and what they exercise: `(number, share in %, 3-D Secure requested)`.
const CARDS: [(&str, u32, bool); 5] = [
    ("4242424242424242", 55, false),
    ("5555555555554444", 15, false),
    ("4000000000000002", 10, false), // declined 05
    ("4000000000009995", 5, false),  // declined 51
    ("4000000000003055", 15, true),  // 3-D Secure frictionless
];

/// What a key was used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Create,
    Capture,
    Refund,
}

/// One idempotency key and every final answer it got.
#[derive(Clone, Debug, Serialize)]
pub struct KeyRecord {
    pub key: String,
    pub op: Op,
    pub path: String,
    #[serde(skip)]
    pub body: String,
    /// The payment intent a capture or refund acts on.
    pub intent: Option<String>,
    pub answers: Vec<Answer>,
}

/// Request counters, split at the heal.
#[derive(Default)]
pub struct Counts {
    pub requests: AtomicU64,
    pub server_errors: AtomicU64,
    pub transport_errors: AtomicU64,
    pub same_key_retries: AtomicU64,
    pub after_heal_requests: AtomicU64,
    pub after_heal_server_errors: AtomicU64,
    pub after_heal_transport_errors: AtomicU64,
}

pub struct Book {
    pub api: Api,
    pub keys: Mutex<Vec<KeyRecord>>,
    pub counts: Counts,
    pub healed: AtomicBool,
    /// Each 5xx after the heal: key, path, status, error code.
    pub after_heal_5xx: Mutex<Vec<String>>,
}

impl Book {
    pub fn new(api: Api) -> Book {
        Book {
            api,
            keys: Mutex::new(Vec::new()),
            counts: Counts::default(),
            healed: AtomicBool::new(false),
            after_heal_5xx: Mutex::new(Vec::new()),
        }
    }

    fn register(&self, r: KeyRecord) -> usize {
        let mut keys = self.keys.lock().expect("book lock");
        keys.push(r);
        keys.len() - 1
    }

    fn request(&self, i: usize) -> (String, String, String) {
        let keys = self.keys.lock().expect("book lock");
        (
            keys[i].path.clone(),
            keys[i].key.clone(),
            keys[i].body.clone(),
        )
    }

    fn count(&self, a: &Attempt, key: &str, path: &str) {
        let c = &self.counts;
        let healed = self.healed.load(Ordering::Relaxed);
        c.requests.fetch_add(1, Ordering::Relaxed);
        if healed {
            c.after_heal_requests.fetch_add(1, Ordering::Relaxed);
        }
        match a {
            Attempt::Answered(ans) if ans.http >= 500 => {
                c.server_errors.fetch_add(1, Ordering::Relaxed);
                if healed {
                    c.after_heal_server_errors.fetch_add(1, Ordering::Relaxed);
                    let line = format!(
                        "{path} key={key}: {} {}",
                        ans.http,
                        ans.code.as_deref().unwrap_or("-")
                    );
                    self.after_heal_5xx.lock().expect("lock").push(line);
                }
            }
            Attempt::Transport => {
                c.transport_errors.fetch_add(1, Ordering::Relaxed);
                if healed {
                    c.after_heal_transport_errors
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
            Attempt::Answered(_) => {}
        }
    }

    /// Sends key `i`'s request until it gets a final answer (kept) or `budget` runs out.
    pub async fn send_until_final(&self, i: usize, budget: Duration) -> Option<Answer> {
        let (path, key, body) = self.request(i);
        let until = Instant::now() + budget;
        let mut backoff = Duration::from_millis(50);
        loop {
            let a = self.api.post(&path, &key, &body).await;
            self.count(&a, &key, &path);
            if let Attempt::Answered(ans) = &a
                && ans.is_final()
            {
                self.keys.lock().expect("book lock")[i]
                    .answers
                    .push(ans.clone());
                return Some(ans.clone());
            }
            if Instant::now() + backoff > until {
                return None;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(1));
        }
    }

    /// Keys still without a final answer (their client gave up during the faults).
    pub fn unanswered(&self) -> Vec<usize> {
        let keys = self.keys.lock().expect("book lock");
        (0..keys.len())
            .filter(|&i| keys[i].answers.is_empty())
            .collect()
    }

    pub fn snapshot(&self) -> Vec<KeyRecord> {
        self.keys.lock().expect("book lock").clone()
    }
}

/// One client: payment scenarios one after another until `until`.
pub async fn client(book: Arc<Book>, seed: u64, id: u64, until: Instant, budget: Duration) {
    let mut rng = StdRng::seed_from_u64(seed ^ (id.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
    let mut n = 0u64;
    while Instant::now() < until {
        n += 1;
        scenario(&book, &mut rng, &format!("chaos-{seed}-{id}-{n}"), budget).await;
    }
}

/// A payment and what follows it: a retry of the same key, a capture, a partial refund.
pub async fn scenario(book: &Book, rng: &mut StdRng, key: &str, budget: Duration) {
    let body = create_body(rng, key);
    let i = book.register(KeyRecord {
        key: key.into(),
        op: Op::Create,
        path: "/v1/payment_intents".into(),
        body,
        intent: None,
        answers: Vec::new(),
    });
    let Some(a) = book.send_until_final(i, budget).await else {
        return;
    };
    if rng.random_ratio(15, 100) {
        book.counts.same_key_retries.fetch_add(1, Ordering::Relaxed);
        book.send_until_final(i, budget).await;
    }
    let Some(pi) = a.id.clone() else { return };
    let follow = match a.status.as_deref() {
        Some("requires_capture") if rng.random_ratio(85, 100) => Some((
            Op::Capture,
            format!("/v1/payment_intents/{pi}/capture"),
            String::new(),
        )),
        Some("succeeded") if rng.random_ratio(30, 100) => Some((
            Op::Refund,
            "/v1/refunds".to_string(),
            format!("payment_intent={pi}&amount=1000&metadata[chaos_key]={key}-refund"),
        )),
        _ => None,
    };
    if let Some((op, path, body)) = follow {
        let suffix = if op == Op::Capture {
            "capture"
        } else {
            "refund"
        };
        let k = KeyRecord {
            key: format!("{key}-{suffix}"),
            op,
            path,
            body,
            intent: Some(pi),
            answers: Vec::new(),
        };
        let j = book.register(k);
        book.send_until_final(j, budget).await;
    }
}

/// A confirm=true payment's form, tagged with its key in `metadata[chaos_key]`.
fn create_body(rng: &mut StdRng, key: &str) -> String {
    let mut pick = rng.random_range(0..100u32);
    let (card, _, three_ds) = CARDS
        .iter()
        .find(|(_, share, _)| {
            let hit = pick < *share;
            pick = pick.saturating_sub(*share);
            hit
        })
        .copied()
        .unwrap_or(CARDS[0]);
    let amount = rng.random_range(10..=50u32) * 1_000;
    let mut b = format!(
        "amount={amount}&currency=krw&confirm=true&metadata[chaos_key]={key}\
         &payment_method_data[type]=card&payment_method_data[card][number]={card}\
         &payment_method_data[card][exp_month]=12&payment_method_data[card][exp_year]=2034\
         &payment_method_data[card][cvc]=123"
    );
    if rng.random_ratio(30, 100) {
        b.push_str("&capture_method=manual");
    }
    if three_ds {
        b.push_str("&payment_method_options[card][request_three_d_secure]=any&return_url=http://127.0.0.1/chaos-return");
    }
    b
}
