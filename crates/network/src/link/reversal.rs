//! Reversals that repeat until the network answers.

use std::fmt;

use tokio::task::JoinHandle;

use super::backoff::Backoff;
use super::{Link, LinkError, NetRef, Outcome};

/// A reversal running in the background (spawned when an authorization's outcome is unknown).
/// Dropping the handle does not stop the reversal.
pub struct ReversalHandle {
    // Boxed: the handle travels inside `LinkError`, which should stay small.
    original: Box<NetRef>,
    task: JoinHandle<Result<Outcome, LinkError>>,
}

impl ReversalHandle {
    /// Starts reversing `original` on `link` (the task keeps the link alive until it ends).
    pub(super) fn spawn(
        link: Link,
        original: NetRef,
        amount_minor: i64,
        currency_numeric: u16,
    ) -> Self {
        let orig = original.clone();
        let task = tokio::spawn(async move {
            let result = link.reverse(&orig, amount_minor, currency_numeric).await;
            match &result {
                Ok(o) => tracing::info!(
                    stan = %orig.stan, terminal_id = %orig.terminal_id,
                    response_code = %o.response_code, "reversal answered"
                ),
                Err(e) => tracing::error!(
                    stan = %orig.stan, terminal_id = %orig.terminal_id, error = %e,
                    "reversal not answered; reconciliation must settle the original"
                ),
            }
            result
        });
        ReversalHandle {
            original: Box::new(original),
            task,
        }
    }

    /// The authorization being reversed.
    pub fn original(&self) -> &NetRef {
        &self.original
    }

    /// Whether the reversal has ended (answered or abandoned).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits for the 0410 (any DE 39) or for the reversal to be abandoned.
    pub async fn wait(self) -> Result<Outcome, LinkError> {
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(LinkError::Protocol(format!("reversal task failed: {e}"))),
        }
    }
}

impl fmt::Debug for ReversalHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReversalHandle")
            .field("original", &self.original)
            .field("finished", &self.task.is_finished())
            .finish()
    }
}

/// Repeats 0400s for `orig` until one is answered by a 0410, with backoff from
/// `reversal_retry_ms` doubling up to `reversal_backoff_ms_max`, for at most `reversal_max_ms`.
pub(super) async fn repeat_until_answered(
    link: &Link,
    orig: &NetRef,
    amount_minor: i64,
    currency_numeric: u16,
) -> Result<Outcome, LinkError> {
    let mut backoff = Backoff::new(link.config());
    loop {
        match link
            .reverse_once(orig, amount_minor, currency_numeric)
            .await
        {
            Ok(outcome) => return Ok(outcome),
            // A reversal that cannot even be built will not get better by repeating it.
            Err(e @ LinkError::InvalidRequest { .. }) => return Err(e),
            Err(e) => tracing::warn!(
                stan = %orig.stan, terminal_id = %orig.terminal_id,
                attempts = backoff.attempts() + 1, error = %e,
                "reversal attempt unanswered; repeating"
            ),
        }
        let Some(delay) = backoff.after_failure() else {
            return Err(LinkError::ReversalAbandoned {
                attempts: backoff.attempts(),
                elapsed_ms: backoff.elapsed_ms(),
            });
        };
        tokio::time::sleep(delay).await;
    }
}
