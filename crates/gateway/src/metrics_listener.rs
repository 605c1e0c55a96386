//! The `/metrics` listener: bound at start-up, served until shutdown.

use crate::config::Config;
use crate::metrics;
use crate::state::SharedState;
use tokio::sync::watch;

/// The metrics listener, on its own address (never beside the API), unless disabled.
pub(crate) async fn bind_metrics(cfg: &Config) -> Result<Option<tokio::net::TcpListener>, String> {
    match cfg.metrics_addr() {
        Some(a) => tokio::net::TcpListener::bind(a)
            .await
            .map(Some)
            .map_err(|e| format!("cannot listen for metrics on {a}: {e}")),
        None => Ok(None),
    }
}

/// Serves `/metrics` until shutdown.
pub(crate) fn spawn_metrics(
    listener: tokio::net::TcpListener,
    state: SharedState,
    mut rx: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let app = metrics::router(state);
    tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = rx.wait_for(|v| *v).await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "metrics server stopped");
        }
    })
}
