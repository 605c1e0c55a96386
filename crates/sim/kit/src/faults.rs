//! Faults a running simulator injects on request (issue 15 §2), shared by every simulator:
//! answer late by N ms, drop N % of answers (close the connection without answering),
//! decline N % of authorizations with a given code, go silent (read, never answer), return
//! garbage for N % of answers (a frame the peer cannot parse).
//!
//! The settings live in one [`Faults`] a simulator shares between its connections and its
//! rules; [`admin_router`] sets them over HTTP (`GET`/`POST /faults`, JSON
//! [`FaultSettings`]), on the listener a simulator opens with `--admin-listen ADDR`. Each
//! percentage draw is the next value of a seeded sequence (`seed`), so a run repeats.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Longest `late_ms`.
pub const LATE_MS_MAX: u64 = 120_000;

/// The faults in force, as the admin endpoint shows and takes them (a `POST` sets only the
/// fields it names).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSettings {
    /// Every answer waits this long before it is written, ms (at most [`LATE_MS_MAX`]).
    #[serde(default)]
    pub late_ms: u64,
    /// Percent of answers replaced by closing the connection.
    #[serde(default)]
    pub drop_pct: u8,
    /// Percent of authorizations declined with `decline_code` (journaled as declined).
    #[serde(default)]
    pub decline_pct: u8,
    /// The code of injected declines (one the simulator knows; its default otherwise).
    #[serde(default)]
    pub decline_code: Option<String>,
    /// Read requests and never answer them.
    #[serde(default)]
    pub silent: bool,
    /// Percent of answers replaced by a frame of bytes that is no message.
    #[serde(default)]
    pub garbage_pct: u8,
    /// Seed of the percentage draws (the same seed repeats the same choices).
    #[serde(default)]
    pub seed: u64,
}

/// What happens to one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Written (after `late`).
    Send,
    /// The connection is closed instead.
    Drop,
    /// Never written.
    Silent,
    /// Replaced by garbage.
    Garbage,
}

/// The live fault settings of one simulator.
pub struct Faults {
    settings: Mutex<FaultSettings>,
    /// Decline codes this simulator can journal; `decline_code` must be one, the first is
    /// the default.
    decline_codes: &'static [&'static str],
    draws: AtomicU64,
    silent: AtomicBool,
    late_ms: AtomicU64,
}

impl Faults {
    /// No faults; `decline_codes` are the codes an injected decline may carry (first = default).
    pub fn new(decline_codes: &'static [&'static str]) -> Arc<Faults> {
        Arc::new(Faults {
            settings: Mutex::new(FaultSettings::default()),
            decline_codes,
            draws: AtomicU64::new(0),
            silent: AtomicBool::new(false),
            late_ms: AtomicU64::new(0),
        })
    }

    /// The settings in force.
    pub fn get(&self) -> FaultSettings {
        self.lock().clone()
    }

    /// Replaces the settings; an error names the field and the rule.
    pub fn set(&self, s: FaultSettings) -> Result<(), String> {
        for (field, pct) in [
            ("drop_pct", s.drop_pct),
            ("decline_pct", s.decline_pct),
            ("garbage_pct", s.garbage_pct),
        ] {
            if pct > 100 {
                return Err(format!("{field}: a percentage from 0 to 100; got {pct}"));
            }
        }
        if s.late_ms > LATE_MS_MAX {
            return Err(format!("late_ms: at most {LATE_MS_MAX}; got {}", s.late_ms));
        }
        if let Some(code) = &s.decline_code
            && !self.decline_codes.contains(&code.as_str())
        {
            return Err(format!(
                "decline_code: one of {:?}; got {code:?}",
                self.decline_codes
            ));
        }
        self.draws.store(s.seed, Ordering::SeqCst);
        self.silent.store(s.silent, Ordering::SeqCst);
        self.late_ms.store(s.late_ms, Ordering::SeqCst);
        tracing::warn!(settings = ?s, "simulator faults set");
        *self.lock() = s;
        Ok(())
    }

    /// The fate of the next answer, and how long to wait before writing it.
    pub fn answer(&self) -> (Fate, Duration) {
        let late = Duration::from_millis(self.late_ms.load(Ordering::Relaxed));
        if self.silent.load(Ordering::Relaxed) {
            return (Fate::Silent, late);
        }
        let (drop_pct, garbage_pct) = {
            let s = self.lock();
            (s.drop_pct, s.garbage_pct)
        };
        let fate = if self.draw(drop_pct) {
            Fate::Drop
        } else if self.draw(garbage_pct) {
            Fate::Garbage
        } else {
            Fate::Send
        };
        (fate, late)
    }

    /// The code to decline the next authorization with, when the draw says so.
    pub fn decline(&self) -> Option<&'static str> {
        let (pct, code) = {
            let s = self.lock();
            (s.decline_pct, s.decline_code.clone())
        };
        if !self.draw(pct) {
            return None;
        }
        let code = code.as_deref().unwrap_or(self.decline_codes[0]);
        self.decline_codes.iter().copied().find(|c| *c == code)
    }

    /// True with probability `pct` %, from the seeded sequence.
    fn draw(&self, pct: u8) -> bool {
        if pct == 0 {
            return false;
        }
        let n = self.draws.fetch_add(1, Ordering::Relaxed);
        splitmix64(n) % 100 < u64::from(pct)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultSettings> {
        self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults")
            .field("settings", &self.get())
            .finish()
    }
}

/// SplitMix64: a well-mixed 64-bit value per counter value.
fn splitmix64(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `GET /faults` (the settings) and `POST /faults` (a JSON [`FaultSettings`]; `400` with
/// `{"error": "..."}` naming the field when a rule is broken).
pub fn admin_router(faults: Arc<Faults>) -> axum::Router {
    use axum::Json;
    use axum::http::StatusCode;
    use axum::routing::get;
    axum::Router::new().route(
        "/faults",
        get({
            let f = Arc::clone(&faults);
            move || async move { Json(f.get()) }
        })
        .post(move |body: axum::body::Bytes| async move {
            let parsed: Result<FaultSettings, _> = serde_json::from_slice(&body);
            match parsed
                .map_err(|e| e.to_string())
                .and_then(|s| faults.set(s))
            {
                Ok(()) => (StatusCode::OK, Json(serde_json::json!(faults.get()))),
                Err(e) => (
                    StatusCode::BAD_REQUEST,
                    Json(serde_json::json!({"error": e})),
                ),
            }
        }),
    )
}

/// An axum middleware (`axum::middleware::from_fn_with_state(faults, faults::http)`) that
/// applies the faults to an HTTP simulator's answers: late, silent (never answered), garbage
/// (`200` with a body that is no JSON message) and drop (the request is processed, then the
/// connection is closed without an answer).
pub async fn http(
    axum::extract::State(faults): axum::extract::State<Arc<Faults>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (fate, late) = faults.answer();
    if !late.is_zero() {
        tokio::time::sleep(late).await;
    }
    match fate {
        Fate::Send => next.run(req).await,
        Fate::Silent => std::future::pending().await,
        Fate::Garbage => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            GARBAGE_BODY,
        )
            .into_response(),
        Fate::Drop => {
            drop(next.run(req).await);
            // Unwinding out of the connection's task makes the server close the connection
            // without writing a response (`resume_unwind` runs no panic hook: nothing printed).
            std::panic::resume_unwind(Box::new("fault: connection dropped"))
        }
    }
}

/// An answer that is no message.
pub const GARBAGE_BODY: &[u8] = b"\xff\x00garbage\x7f\x80 not a message";

/// Serves [`admin_router`] and the clock's routes ([`crate::clock::admin_router`]) on
/// `listener` until `shutdown` turns true.
pub async fn serve_admin(
    listener: tokio::net::TcpListener,
    faults: Arc<Faults>,
    clock: crate::clock::SimClock,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let app = admin_router(faults).merge(crate::clock::admin_router(clock));
    let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = shutdown.wait_for(|s| *s).await;
    });
    if let Err(e) = serve.await {
        tracing::warn!(error = %e, "simulator admin listener stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_follow_the_seed_and_rules_name_the_field() {
        let f = Faults::new(&["05", "51"]);
        let s = FaultSettings {
            drop_pct: 30,
            seed: 7,
            ..FaultSettings::default()
        };
        f.set(s.clone()).unwrap();
        let first: Vec<Fate> = (0..200).map(|_| f.answer().0).collect();
        let drops = first.iter().filter(|x| **x == Fate::Drop).count();
        assert!((30..=90).contains(&drops), "{drops} of 200 at 30 %");
        f.set(s).unwrap();
        let again: Vec<Fate> = (0..200).map(|_| f.answer().0).collect();
        assert_eq!(first, again, "the seed repeats the run");
        let bad = FaultSettings {
            decline_pct: 101,
            ..FaultSettings::default()
        };
        assert!(f.set(bad).unwrap_err().starts_with("decline_pct"));
        let bad = FaultSettings {
            decline_code: Some("99".into()),
            ..FaultSettings::default()
        };
        assert!(f.set(bad).unwrap_err().starts_with("decline_code"));
        f.set(FaultSettings {
            decline_pct: 100,
            decline_code: Some("51".into()),
            ..FaultSettings::default()
        })
        .unwrap();
        assert_eq!(f.decline(), Some("51"));
    }
}
