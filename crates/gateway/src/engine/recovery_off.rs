//! The test-only switch that breaks crash recovery: `PAYGATE_TEST_DISABLE_RECOVERY=1` makes
//! [`super::recovery::recover`] do nothing (at start-up and in the stale-attempt sweep), so an
//! attempt a crash left behind is never reversed. It exists to prove that `paygate chaos`
//! notices a broken build (the orphaned authorization it then finds is the violation it must
//! name); it is honoured only in test mode — start-up fails while a live-mode API key exists.

use std::sync::atomic::{AtomicBool, Ordering};

/// The environment variable; `1` or `true` turns recovery off.
pub const ENV: &str = "PAYGATE_TEST_DISABLE_RECOVERY";

/// Process-wide, like the store's fault switches: recovery is one per process.
static OFF: AtomicBool = AtomicBool::new(false);

/// Reads [`ENV`] at start; `live`: a live-mode API key exists (then the switch is refused).
pub fn from_env(live: bool) -> Result<(), String> {
    let on = std::env::var(ENV).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
    if !on {
        return Ok(());
    }
    if live {
        return Err(format!(
            "{ENV} is a test-mode switch: refused because live-mode API keys exist"
        ));
    }
    tracing::warn!("{ENV} set: crash recovery is OFF (a deliberately broken build for tests)");
    OFF.store(true, Ordering::Relaxed);
    Ok(())
}

/// Whether recovery is switched off.
pub fn is_off() -> bool {
    OFF.load(Ordering::Relaxed)
}
