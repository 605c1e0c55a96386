//! The cluster chaos runs against, every part a process of its own: the simulators (card
//! network, 3-D Secure, ISP server, SMS gateway) with their admin listeners, a fault proxy in
//! front of each of them and of PostgreSQL, and N `paygate serve` processes reaching every
//! counterparty only through those proxies.

use crate::proc::{Proc, Spec};
use crate::proxy::Proxy;
use base64::Engine;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The store the gateways share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    Sqlite,
    Postgres,
}

/// The simulators, by the name `paygate sim` gives them, and the link name of each.
pub const SIMULATORS: [&str; 4] = ["network", "3ds", "isp", "sms"];
/// The link to PostgreSQL.
pub const POSTGRES_LINK: &str = "postgres";

/// How the card network's answer timeout is set on the gateways: short, so that a silent
/// network is reversed within a fault's hold.
const NETWORK_TIMEOUT_MS: &str = "2000";

/// What the cluster is made of.
pub struct Options {
    pub exe: PathBuf,
    pub dir: PathBuf,
    pub store: StoreKind,
    pub instances: usize,
    /// PostgreSQL as reached directly (the proxy sits between it and the gateways).
    pub database_url: String,
    pub schema: String,
}

pub struct Simulator {
    pub name: &'static str,
    pub admin: String,
    pub data_dir: PathBuf,
    _proc: Proc,
}

/// One `paygate serve`: down while killed, `paused` while stopped.
pub struct Gateway {
    pub index: usize,
    spec: Spec,
    pub proc: Option<Proc>,
    pub base: String,
    pub paused: bool,
}

pub struct Cluster {
    pub simulators: Vec<Simulator>,
    pub proxies: Vec<Proxy>,
    pub gateways: Vec<Gateway>,
    /// Arguments naming the store for `paygate ledger verify`, `reconcile`, `merchant create`.
    pub db_args: Vec<String>,
    /// Environment every gateway and operator command gets (the shared vault keys).
    pub env: Vec<(String, String)>,
    pub exe: PathBuf,
    /// The test-mode secret key of the merchant the workload pays.
    pub secret_key: String,
}

fn key_b64() -> String {
    let mut k = [0u8; 32];
    rand::fill(&mut k);
    base64::engine::general_purpose::STANDARD.encode(k)
}

impl Cluster {
    pub async fn start(o: &Options) -> Result<Cluster, String> {
        std::fs::create_dir_all(&o.dir).map_err(|e| format!("{}: {e}", o.dir.display()))?;
        let cavv = o.dir.join("cavv.key");
        let mut k = [0u8; 32];
        rand::fill(&mut k);
        std::fs::write(&cavv, hex::encode(k)).map_err(|e| e.to_string())?;
        let mut simulators = Vec::new();
        let mut proxies = Vec::new();
        for name in SIMULATORS {
            let (sim, addr) = start_simulator(o, name, &cavv).await?;
            proxies.push(Proxy::start(name, &addr).await?);
            simulators.push(sim);
        }
        let config = o.dir.join("paygate.toml");
        // Recovery of a peer's attempts and the sweep run within seconds, not minutes, so the
        // heal converges inside a short run.
        std::fs::write(&config, "attempt_stale_s = 5\nsweep_interval_ms = 1000\n")
            .map_err(|e| e.to_string())?;
        let config = config.display().to_string();
        let env = vec![
            (
                "PAYGATE_VAULT_KEKS".into(),
                format!("kek-chaos:{}", key_b64()),
            ),
            ("PAYGATE_FINGERPRINT_KEY".into(), key_b64()),
            ("PAYGATE_PAGES_CSRF_KEY".into(), key_b64()),
        ];
        let (db_args, serve_db) = match o.store {
            StoreKind::Sqlite => {
                let d = o.dir.join("gw").display().to_string();
                let a = vec!["--data-dir".into(), d, "--config".into(), config.clone()];
                (a.clone(), a)
            }
            StoreKind::Postgres => {
                let pg = Proxy::start(POSTGRES_LINK, &pg_host_port(&o.database_url)?).await?;
                let via_proxy = with_host_port(&o.database_url, &pg.addr.to_string())?;
                proxies.push(pg);
                let direct = vec![
                    "--database-url".into(),
                    o.database_url.clone(),
                    "--database-schema".into(),
                    o.schema.clone(),
                    "--config".into(),
                    config.clone(),
                ];
                let serve = vec![
                    "--database-url".into(),
                    via_proxy,
                    "--database-schema".into(),
                    o.schema.clone(),
                    "--config".into(),
                    config.clone(),
                ];
                (direct, serve)
            }
        };
        let mut c = Cluster {
            simulators,
            proxies,
            gateways: Vec::new(),
            db_args,
            env,
            exe: o.exe.clone(),
            secret_key: String::new(),
        };
        c.operator(&["migrate"]).await?;
        let m = c
            .operator(&["merchant", "create", "--name", "Chaos shop", "--json"])
            .await?;
        let m: serde_json::Value =
            serde_json::from_str(m.trim()).map_err(|e| format!("merchant create: {e}: {m}"))?;
        c.secret_key = m["secret_key"]
            .as_str()
            .ok_or("merchant create printed no secret key")?
            .to_string();
        for i in 0..o.instances {
            let mut args: Vec<String> = vec!["serve".into()];
            args.extend(serve_db.iter().cloned());
            if o.store == StoreKind::Postgres {
                args.extend([
                    "--data-dir".into(),
                    o.dir.join(format!("gw-{i}")).display().to_string(),
                ]);
            }
            args.extend([
                "--listen".into(),
                "127.0.0.1:0".into(),
                "--metrics-listen".into(),
                "off".into(),
                "--node-id".into(),
                format!("chaos-{i}"),
                "--network-timeout-ms".into(),
                NETWORK_TIMEOUT_MS.into(),
                "--network-addr".into(),
                c.proxy("network").addr.to_string(),
                "--three-ds-url".into(),
                format!("http://{}", c.proxy("3ds").addr),
                "--isp-url".into(),
                format!("http://{}", c.proxy("isp").addr),
                "--sms-url".into(),
                format!("http://{}", c.proxy("sms").addr),
            ]);
            let mut env = c.env.clone();
            env.push(("PAYGATE_LOG".into(), "info,paygate::access=warn".into()));
            let mut spec = Spec {
                exe: o.exe.clone(),
                args,
                env,
                log: o.dir.join(format!("gateway-{i}.log")),
                ready: vec!["paygate listening on".into()],
            };
            let proc = Proc::start(&spec).await?;
            let base = proc.address(0);
            // Restarts listen where clients already send.
            let at = spec
                .args
                .iter()
                .position(|a| a == "127.0.0.1:0")
                .unwrap_or(0);
            spec.args[at] = base.trim_start_matches("http://").to_string();
            c.gateways.push(Gateway {
                index: i,
                spec,
                proc: Some(proc),
                base,
                paused: false,
            });
        }
        Ok(c)
    }

    pub fn proxy(&self, name: &str) -> &Proxy {
        self.proxies
            .iter()
            .find(|p| p.name == name)
            .expect("every link has a proxy")
    }

    pub fn simulator(&self, name: &str) -> &Simulator {
        self.simulators
            .iter()
            .find(|s| s.name == name)
            .expect("a simulator of that name")
    }

    /// Runs `paygate <args> <store args>` with the cluster's environment; its stdout.
    pub async fn operator(&self, args: &[&str]) -> Result<String, String> {
        let out = tokio::process::Command::new(&self.exe)
            .args(args)
            .args(&self.db_args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("PAYGATE_LOG", "warn")
            .output()
            .await
            .map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        if out.status.success() || !stdout.trim().is_empty() {
            Ok(stdout)
        } else {
            Err(format!(
                "paygate {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Every gateway back up and running (restarted if killed, continued if stopped).
    pub async fn heal_gateways(&mut self) -> Result<(), String> {
        for g in &mut self.gateways {
            g.resume()?;
            g.restart().await?;
        }
        Ok(())
    }

    pub async fn shutdown(self) {
        for g in self.gateways {
            if let Some(p) = g.proc {
                let _ = p.resume();
                p.kill().await;
            }
        }
    }
}

impl Gateway {
    /// SIGKILL.
    pub async fn kill(&mut self) {
        if let Some(p) = self.proc.take() {
            p.kill().await;
        }
        self.paused = false;
    }

    /// Starts it again when it is down (its start-up recovery runs before it is ready).
    pub async fn restart(&mut self) -> Result<(), String> {
        if self.proc.is_some() {
            return Ok(());
        }
        let mut last = String::new();
        // The killed process's listening socket may take a moment to be released.
        for _ in 0..20 {
            match Proc::start(&self.spec).await {
                Ok(p) => {
                    self.proc = Some(p);
                    return Ok(());
                }
                Err(e) => last = e,
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Err(format!("gateway {} does not restart: {last}", self.index))
    }

    pub fn pause(&mut self) -> Result<(), String> {
        if let Some(p) = &self.proc {
            p.pause()?;
            self.paused = true;
        }
        Ok(())
    }

    pub fn resume(&mut self) -> Result<(), String> {
        if let (Some(p), true) = (&self.proc, self.paused) {
            p.resume()?;
        }
        self.paused = false;
        Ok(())
    }
}

async fn start_simulator(
    o: &Options,
    name: &'static str,
    cavv: &Path,
) -> Result<(Simulator, String), String> {
    let data_dir = o.dir.join(format!("sim-{name}"));
    let mut args: Vec<String> = [
        "sim",
        name,
        "--listen",
        "127.0.0.1:0",
        "--admin-listen",
        "127.0.0.1:0",
        "--data-dir",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(data_dir.display().to_string());
    if name != "sms" {
        args.extend(["--cavv-key-file".into(), cavv.display().to_string()]);
    }
    let spec = Spec {
        exe: o.exe.clone(),
        args,
        env: vec![("PAYGATE_LOG".into(), "info".into())],
        log: o.dir.join(format!("sim-{name}.log")),
        ready: vec!["listening on".into(), "admin listening on".into()],
    };
    let proc = Proc::start(&spec).await?;
    let addr = proc.address(0);
    let admin = proc.address(1);
    Ok((
        Simulator {
            name,
            admin,
            data_dir,
            _proc: proc,
        },
        addr,
    ))
}

/// `HOST:PORT` of a `postgres://user@host:port/db` URL (port 5432 when absent).
fn pg_host_port(url: &str) -> Result<String, String> {
    let rest = url
        .split_once("://")
        .map(|(_, r)| r)
        .ok_or_else(|| format!("not a PostgreSQL URL: {url}"))?;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("no host in {url}"));
    }
    Ok(if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    })
}

/// The URL with its host and port replaced by `addr`.
fn with_host_port(url: &str, addr: &str) -> Result<String, String> {
    let (scheme, rest) = url.split_once("://").ok_or("not a URL")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let user = authority
        .rsplit_once('@')
        .map(|(u, _)| format!("{u}@"))
        .unwrap_or_default();
    Ok(format!("{scheme}://{user}{addr}{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_takes_the_place_of_postgresql_host_and_port() {
        let u = "postgres://postgres@127.0.0.1:5432/postgres";
        assert_eq!(pg_host_port(u).unwrap(), "127.0.0.1:5432");
        assert_eq!(pg_host_port("postgres://u:p@db/x").unwrap(), "db:5432");
        assert_eq!(
            with_host_port(u, "127.0.0.1:6000").unwrap(),
            "postgres://postgres@127.0.0.1:6000/postgres"
        );
        assert_eq!(
            with_host_port("postgres://db", "h:1").unwrap(),
            "postgres://h:1"
        );
    }
}
