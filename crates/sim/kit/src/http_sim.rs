//! What an HTTP JSON simulator (3-D Secure, ISP, …) shares: serving its axum router with the
//! run-time [`faults`](crate::faults) middleware and graceful shutdown, the background tasks it
//! runs beside the server, the fault admin listener, and the [`Running`] handle tests and
//! `paygate serve` hold.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::SimError;
use crate::clock::SimClock;
use crate::faults::{self, Faults};

/// A running HTTP simulator. Dropping it asks it to stop; [`Running::shutdown`] also waits.
#[derive(Debug)]
pub struct Running {
    name: &'static str,
    local_addr: SocketAddr,
    base_url: String,
    faults: Arc<Faults>,
    clock: SimClock,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Serves `router` on `listener` (with the faults middleware, until shutdown) and returns its
/// handle; `name` is the simulator's name in logs, `base_url` what clients are given
/// (default `http://{local address}`), `clock` the one its rules read (its admin listener
/// moves it when it is a test clock).
pub fn serve(
    name: &'static str,
    listener: tokio::net::TcpListener,
    base_url: Option<String>,
    router: axum::Router,
    faults: Arc<Faults>,
    clock: SimClock,
) -> Result<Running, SimError> {
    let local_addr = listener.local_addr()?;
    let base_url = base_url.unwrap_or_else(|| format!("http://{local_addr}"));
    let app = router.layer(axum::middleware::from_fn_with_state(
        Arc::clone(&faults),
        faults::http,
    ));
    let (shutdown, mut rx) = watch::channel(false);
    let server = tokio::spawn(async move {
        let stop = async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!(error = %e, simulator = name, "simulator server stopped");
        }
    });
    tracing::info!(%local_addr, %base_url, simulator = name, "simulator listening");
    Ok(Running {
        name,
        local_addr,
        base_url,
        faults,
        clock,
        shutdown,
        tasks: vec![server],
    })
}

impl Running {
    /// The address the simulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The base URL clients are given (`--three-ds-url`, `--isp-url`, …).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The faults this simulator injects (set them here or over [`Running::serve_admin`]).
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    /// The clock the simulator decides with.
    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    /// Runs `task` beside the server until the simulator stops; `task` gets the shutdown
    /// signal (it turns `true`) and must return once it sees it.
    pub fn spawn<F, Fut>(&mut self, task: F)
    where
        F: FnOnce(watch::Receiver<bool>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let fut = task(self.shutdown.subscribe());
        self.tasks.push(tokio::spawn(fut));
    }

    /// Serves the HTTP admin endpoint (`GET`/`POST /faults`, `GET /clock`,
    /// `POST /clock/advance`) on `listen` until the simulator stops; returns the bound address.
    pub async fn serve_admin(&mut self, listen: SocketAddr) -> Result<SocketAddr, SimError> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let faults = Arc::clone(&self.faults);
        let clock = self.clock.clone();
        self.spawn(|rx| faults::serve_admin(listener, faults, clock, rx));
        tracing::info!(%addr, simulator = self.name, "simulator admin listening");
        Ok(addr)
    }

    /// Stops accepting, lets requests in progress finish and waits for every task.
    pub async fn shutdown(mut self) -> Result<(), SimError> {
        self.shutdown.send_replace(true);
        for t in self.tasks.drain(..) {
            t.await.map_err(|e| SimError::Task(e.to_string()))?;
        }
        Ok(())
    }
}

/// What `paygate sim <name>` does once its simulator started: prints `listening on ADDR` (and
/// `admin listening on ADDR` with `admin_listen`), runs until SIGINT/SIGTERM, then shuts down.
pub async fn run_until_signal(
    mut running: Running,
    admin_listen: Option<SocketAddr>,
) -> Result<(), SimError> {
    crate::cli::print_listening(running.local_addr())?;
    if let Some(admin) = admin_listen {
        let addr = running.serve_admin(admin).await?;
        println!("admin listening on {addr}");
    }
    crate::cli::wait_for_signal().await?;
    tracing::info!(
        simulator = running.name,
        "signal received: simulator shutting down"
    );
    running.shutdown().await
}

/// The value of a required command-line option, or the error naming it.
pub fn required<T>(value: Option<T>, flag: &'static str) -> Result<T, SimError> {
    value.ok_or_else(|| SimError::Config {
        field: flag,
        rule: "is required".to_owned(),
    })
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}
