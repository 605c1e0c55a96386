//! A simulator's clock: the system time, or — with `--test-clock` — the system time plus an
//! offset that only grows, pushed forward over the admin listener (`GET /clock`,
//! `POST /clock/advance`; docs/OPERATIONS.md "Test clock"). Process tests move every process
//! (the gateway and each simulator) to the same time without waiting in real time.
//!
//! The offset is an `Arc<AtomicI64>` cell so that `paygate serve` can hand its in-process
//! simulators the very cell of the gateway's `OffsetClock`: one advance moves them all. Every
//! holder advances it with the same rule (add a positive amount, or raise it), so it never
//! shrinks.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The time a simulator decides with (journal times, expiries, business dates).
#[derive(Debug, Clone, Default)]
pub struct SimClock {
    /// `None`: the system clock; `Some`: the test clock's offset in seconds.
    offset_s: Option<Arc<AtomicI64>>,
}

/// Two clocks are equal when both are the system clock or both read the same offset cell.
impl PartialEq for SimClock {
    fn eq(&self, other: &SimClock) -> bool {
        match (&self.offset_s, &other.offset_s) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for SimClock {}

/// `--test-clock`, flattened into every simulator's command line.
#[derive(clap::Args, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClockArgs {
    /// Run on a test clock: system time plus an offset that only grows, moved forward over the
    /// admin listener (`POST /clock/advance`). For tests only.
    #[arg(long)]
    pub test_clock: bool,
}

impl ClockArgs {
    /// The clock the flag asks for.
    pub fn clock(self) -> SimClock {
        if self.test_clock {
            tracing::warn!("simulator runs on a test clock (--test-clock)");
            SimClock::test()
        } else {
            SimClock::system()
        }
    }
}

/// What `GET /clock` and `POST /clock/advance` answer (the gateway's test clock object).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockView {
    /// Always `test_clock`.
    pub object: &'static str,
    /// Unix seconds now, on this clock.
    pub now: i64,
    /// Seconds added to the system time.
    pub offset_seconds: i64,
}

/// `POST /clock/advance`: exactly one of `seconds` (> 0) and `to` (Unix s, ≥ now).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    /// Seconds to move forward.
    pub seconds: Option<i64>,
    /// Unix seconds to move to.
    pub to: Option<i64>,
}

impl SimClock {
    /// The system clock.
    pub fn system() -> SimClock {
        SimClock::default()
    }

    /// A test clock of its own, offset zero.
    pub fn test() -> SimClock {
        SimClock::sharing(Arc::new(AtomicI64::new(0)))
    }

    /// A test clock over a shared offset cell (the gateway's `OffsetClock::offset_cell`).
    pub fn sharing(offset_s: Arc<AtomicI64>) -> SimClock {
        SimClock {
            offset_s: Some(offset_s),
        }
    }

    /// True on a test clock.
    pub fn is_test(&self) -> bool {
        self.offset_s.is_some()
    }

    /// Seconds added to the system time (0 on the system clock).
    pub fn offset_seconds(&self) -> i64 {
        self.offset_s
            .as_ref()
            .map_or(0, |o| o.load(Ordering::SeqCst))
    }

    /// Now, as a `SystemTime` (certificate validity and the like).
    pub fn now_system(&self) -> SystemTime {
        let offset = self.offset_seconds();
        let d = Duration::from_secs(offset.unsigned_abs());
        if offset >= 0 {
            SystemTime::now() + d
        } else {
            SystemTime::now() - d
        }
    }

    /// Unix milliseconds now.
    pub fn now_ms(&self) -> i64 {
        let ms = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
        };
        ms.saturating_add(self.offset_seconds().saturating_mul(1000))
    }

    /// Unix seconds now.
    pub fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// The clock as the admin endpoint shows it.
    pub fn view(&self) -> ClockView {
        ClockView {
            object: "test_clock",
            now: self.now(),
            offset_seconds: self.offset_seconds(),
        }
    }

    /// Moves a test clock forward; the error names the field and the rule.
    pub fn advance(&self, a: Advance) -> Result<ClockView, String> {
        let Some(offset) = &self.offset_s else {
            return Err(
                "test_clock_disabled: the simulator was not started with --test-clock".into(),
            );
        };
        match (a.seconds, a.to) {
            (Some(s), None) if s > 0 => {
                offset.fetch_add(s, Ordering::SeqCst);
            }
            (Some(s), None) => {
                return Err(format!(
                    "seconds: must be a positive number of seconds; got {s}"
                ));
            }
            (None, Some(to)) => {
                let now = self.now();
                if to < now {
                    return Err(format!(
                        "to: must not be before the clock's now ({now}); got {to}"
                    ));
                }
                // `fetch_max`: a concurrent advance past `to` is kept, the offset never shrinks.
                offset.fetch_max(to - SimClock::system().now(), Ordering::SeqCst);
            }
            _ => return Err("seconds, to: give exactly one of them".into()),
        }
        tracing::warn!(
            offset_seconds = self.offset_seconds(),
            "simulator test clock advanced"
        );
        Ok(self.view())
    }
}

/// `GET /clock` and `POST /clock/advance` (JSON or form `seconds=` / `to=`; `400` with
/// `{"error": "..."}` naming the field, or `test_clock_disabled` without `--test-clock`).
pub fn admin_router(clock: SimClock) -> axum::Router {
    use axum::Json;
    use axum::http::{HeaderMap, StatusCode, header};
    use axum::routing::{get, post};
    let shown = clock.clone();
    axum::Router::new()
        .route("/clock", get(move || async move { Json(shown.view()) }))
        .route(
            "/clock/advance",
            post(
                move |headers: HeaderMap, body: axum::body::Bytes| async move {
                    let form = headers
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
                    let parsed: Result<Advance, String> = if form {
                        serde_urlencoded::from_bytes(&body).map_err(|e| e.to_string())
                    } else {
                        serde_json::from_slice(&body).map_err(|e| e.to_string())
                    };
                    match parsed.and_then(|a| clock.advance(a)) {
                        Ok(view) => (StatusCode::OK, Json(serde_json::json!(view))),
                        Err(e) => (
                            StatusCode::BAD_REQUEST,
                            Json(serde_json::json!({"error": e})),
                        ),
                    }
                },
            ),
        )
}

/// Serves [`admin_router`] alone on `listen` (a simulator without HTTP faults, such as the
/// bank's telegram link) until `shutdown` turns `true`; returns the bound address.
pub async fn serve_clock_admin(
    listen: std::net::SocketAddr,
    clock: SimClock,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<std::net::SocketAddr, crate::SimError> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let serve = axum::serve(listener, admin_router(clock)).with_graceful_shutdown(async move {
        let _ = shutdown.wait_for(|s| *s).await;
    });
    tokio::spawn(async move {
        if let Err(e) = serve.await {
            tracing::warn!(error = %e, "simulator clock admin listener stopped");
        }
    });
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_clock_only_moves_forward() {
        let c = SimClock::test();
        let start = c.now();
        let v = c
            .advance(Advance {
                seconds: Some(3_600),
                to: None,
            })
            .unwrap();
        assert!(v.now >= start + 3_600);
        assert_eq!(v.offset_seconds, 3_600);
        let to = v.now + 86_400;
        let v = c
            .advance(Advance {
                seconds: None,
                to: Some(to),
            })
            .unwrap();
        assert!((to..=to + 1).contains(&v.now), "{v:?}");
        let err = c
            .advance(Advance {
                seconds: None,
                to: Some(start),
            })
            .unwrap_err();
        assert!(err.starts_with("to:"), "{err}");
        let err = c
            .advance(Advance {
                seconds: Some(0),
                to: None,
            })
            .unwrap_err();
        assert!(err.starts_with("seconds:"), "{err}");
        let err = c
            .advance(Advance {
                seconds: Some(1),
                to: Some(to),
            })
            .unwrap_err();
        assert!(err.starts_with("seconds, to"), "{err}");
        assert!(c.advance(Advance::default()).is_err());
        assert!(c.offset_seconds() >= 86_400 + 3_600 - 1);
    }

    #[test]
    fn the_system_clock_refuses_to_move_and_shared_cells_move_together() {
        let sys = SimClock::system();
        assert!(!sys.is_test());
        let err = sys
            .advance(Advance {
                seconds: Some(5),
                to: None,
            })
            .unwrap_err();
        assert!(err.starts_with("test_clock_disabled"), "{err}");
        let cell = Arc::new(AtomicI64::new(0));
        let a = SimClock::sharing(Arc::clone(&cell));
        let b = SimClock::sharing(cell);
        a.advance(Advance {
            seconds: Some(120),
            to: None,
        })
        .unwrap();
        assert_eq!(b.offset_seconds(), 120);
        let skew = b.now_system().duration_since(SystemTime::now()).unwrap();
        assert!(skew >= Duration::from_secs(119), "{skew:?}");
    }
}
