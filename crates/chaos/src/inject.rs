//! Puts one planned fault in force and heals it: signals to gateways, modes of the link
//! proxies, the simulators' admin listeners, `pg_terminate_backend`, the gateway's test-mode
//! switches (failing commits, clock skew).

use crate::cluster::{Cluster, POSTGRES_LINK};
use crate::faults::{Kind, Planned, Target};
use crate::proxy::LinkFault;
use serde_json::json;

/// What a fault needs besides the cluster.
pub struct Tools {
    pub http: reqwest::Client,
    /// A test-mode secret key (the store switch takes one).
    pub secret_key: String,
    /// PostgreSQL reached directly, when the store is PostgreSQL.
    pub database_url: Option<String>,
}

/// Applies `p`; `Ok(false)` when it could not act (its gateway is down), so it is not counted.
pub async fn apply(c: &mut Cluster, t: &Tools, p: &Planned) -> Result<bool, String> {
    match (&p.target, p.kind) {
        (Target::Gateway(i), Kind::Kill) => {
            let g = &mut c.gateways[*i];
            if g.proc.is_none() {
                return Ok(false);
            }
            g.kill().await;
        }
        (Target::Gateway(i), Kind::Pause) => {
            let g = &mut c.gateways[*i];
            if g.proc.is_none() {
                return Ok(false);
            }
            g.pause()?;
        }
        (Target::Gateway(i), Kind::StoreWriteFail) => {
            return switch(c, t, *i, "fail_next_commits", p.amount).await;
        }
        (Target::Gateway(i), Kind::ClockSkew) => {
            return switch(c, t, *i, "clock_skew_s", p.amount).await;
        }
        (Target::Link(name), kind) => c.proxy(name).set(link_fault(kind, p.amount)),
        (Target::Simulator(name), kind) => {
            let body = match kind {
                Kind::SimLate => json!({"late_ms": p.amount}),
                Kind::SimDrop => json!({"drop_pct": p.amount, "seed": p.at_ms}),
                Kind::SimDecline => json!({"decline_pct": p.amount, "seed": p.at_ms}),
                Kind::SimGarbage => json!({"garbage_pct": p.amount, "seed": p.at_ms}),
                _ => json!({"silent": true}),
            };
            sim_faults(t, &c.simulator(name).admin, body).await?;
        }
        (Target::Store, Kind::PgTerminate) => {
            let Some(url) = &t.database_url else {
                return Ok(false);
            };
            let ports = c.proxy(POSTGRES_LINK).upstream_ports();
            return Ok(terminate_backends(url, &ports).await? > 0);
        }
        (target, kind) => return Err(format!("no way to apply {kind} to {target:?}")),
    }
    Ok(true)
}

/// Ends `p` (an instant fault has nothing to end).
pub async fn heal(c: &mut Cluster, t: &Tools, p: &Planned) -> Result<(), String> {
    match (&p.target, p.kind) {
        (Target::Gateway(i), Kind::Kill) => c.gateways[*i].restart().await,
        (Target::Gateway(i), Kind::Pause) => c.gateways[*i].resume(),
        (Target::Gateway(i), Kind::StoreWriteFail) => {
            switch(c, t, *i, "fail_next_commits", 0).await.map(|_| ())
        }
        (Target::Gateway(i), Kind::ClockSkew) => {
            switch(c, t, *i, "clock_skew_s", 0).await.map(|_| ())
        }
        (Target::Link(name), _) => {
            c.proxy(name).set(LinkFault::Healthy);
            Ok(())
        }
        (Target::Simulator(name), _) => sim_faults(t, &c.simulator(name).admin, json!({})).await,
        _ => Ok(()),
    }
}

/// Heals every link and simulator, whatever is in force.
pub async fn heal_all(c: &mut Cluster, t: &Tools) -> Result<(), String> {
    for p in &c.proxies {
        p.set(LinkFault::Healthy);
    }
    for s in &c.simulators {
        sim_faults(t, &s.admin, json!({})).await?;
    }
    c.heal_gateways().await?;
    for i in 0..c.gateways.len() {
        switch(c, t, i, "fail_next_commits", 0).await?;
        switch(c, t, i, "clock_skew_s", 0).await?;
    }
    Ok(())
}

fn link_fault(kind: Kind, amount: u64) -> LinkFault {
    match kind {
        Kind::Latency => LinkFault::Latency { ms: amount },
        Kind::CloseMidMessage => LinkFault::CloseMidMessage,
        Kind::Blackhole => LinkFault::Blackhole,
        Kind::Reset => LinkFault::Reset,
        _ => LinkFault::Partition,
    }
}

async fn sim_faults(t: &Tools, admin: &str, body: serde_json::Value) -> Result<(), String> {
    let r = t
        .http
        .post(format!("http://{admin}/faults"))
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("simulator admin {admin}: {e}"))?;
    if r.status().is_success() {
        Ok(())
    } else {
        Err(format!(
            "simulator admin {admin}: {} {}",
            r.status(),
            r.text().await.unwrap_or_default()
        ))
    }
}

/// Sets one of the gateway's test-mode fault switches (`fail_next_commits`, `clock_skew_s`);
/// `Ok(false)` when the gateway is down or stopped.
async fn switch(c: &Cluster, t: &Tools, i: usize, name: &str, n: u64) -> Result<bool, String> {
    let g = &c.gateways[i];
    if g.proc.is_none() || g.paused {
        return Ok(false);
    }
    let r = t
        .http
        .post(format!("{}/v1/test_helpers/faults", g.base))
        .bearer_auth(&t.secret_key)
        .form(&[(name, n.to_string())])
        .send()
        .await
        .map_err(|e| format!("gateway {i} faults: {e}"))?;
    if r.status().is_success() {
        Ok(true)
    } else {
        Err(format!(
            "gateway {i} faults: {} {}",
            r.status(),
            r.text().await.unwrap_or_default()
        ))
    }
}

/// Connects to PostgreSQL directly (never through the proxy).
pub async fn pg_connect(url: &str) -> Result<tokio_postgres::Client, String> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("PostgreSQL {e}"))?;
    tokio::spawn(conn);
    Ok(client)
}

/// `pg_terminate_backend` of the sessions the proxy holds upstream — the gateways' sessions
/// and nobody else's on a shared server. How many were terminated.
async fn terminate_backends(url: &str, ports: &[u16]) -> Result<u64, String> {
    if ports.is_empty() {
        return Ok(0);
    }
    let ports: Vec<i32> = ports.iter().map(|&p| i32::from(p)).collect();
    let pg = pg_connect(url).await?;
    let rows = pg
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE client_addr = '127.0.0.1'::inet AND client_port = ANY($1) AND pid <> pg_backend_pid()",
            &[&ports],
        )
        .await
        .map_err(|e| format!("pg_terminate_backend: {e}"))?;
    Ok(rows.len() as u64)
}
