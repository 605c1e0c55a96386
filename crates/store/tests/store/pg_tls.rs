//! `sslmode` / `sslrootcert` in the database URL, against a throwaway PostgreSQL that accepts
//! only TLS (`hostssl` in pg_hba.conf) with a certificate from a CA made here (openssl CLI).
//!
//! Skips with a message when the PostgreSQL server binaries (`initdb`, `pg_ctl` under
//! /usr/lib/postgresql/*/bin) or `openssl` are absent; fails when they are there but the
//! server does not start.

use std::path::{Path, PathBuf};
use std::process::Command;

use paygate_store::{Store, StoreConfig};

/// In this helper's port range; nothing else of the test suite uses it.
const PORT: u16 = 26_432;

/// A PostgreSQL cluster in a temporary directory, stopped on drop.
struct TlsServer {
    bin: PathBuf,
    dir: tempfile::TempDir,
    as_postgres: bool,
}

impl TlsServer {
    /// `Ok(None)` when the tools are absent; `Err` when they are there and setting up fails.
    fn start() -> Result<Option<TlsServer>, String> {
        let Some(bin) = server_bin() else {
            println!("skipped: no initdb/pg_ctl under /usr/lib/postgresql/*/bin");
            return Ok(None);
        };
        if Command::new("openssl").arg("version").output().is_err() {
            println!("skipped: no openssl CLI");
            return Ok(None);
        }
        // PostgreSQL refuses to run as root: then the cluster belongs to the `postgres` user.
        let as_postgres = run(Command::new("id").arg("-u"))?.trim() == "0";
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let server = TlsServer {
            bin,
            dir,
            as_postgres,
        };
        server.make_certs()?;
        server.init_and_start()?;
        Ok(Some(server))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn make_certs(&self) -> Result<(), String> {
        let d = self.dir.path();
        for ca in ["ca", "other_ca"] {
            run(Command::new("openssl")
                .current_dir(d)
                .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
                .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "2"])
                .args(["-subj", &format!("/CN=paygate test {ca}")])
                .args([
                    "-keyout",
                    &format!("{ca}.key"),
                    "-out",
                    &format!("{ca}.pem"),
                ]))?;
        }
        run(Command::new("openssl")
            .current_dir(d)
            .args([
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
            ])
            .args([
                "-subj",
                "/CN=localhost",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
            ]))?;
        std::fs::write(d.join("san.ext"), "subjectAltName=DNS:localhost\n")
            .map_err(|e| e.to_string())?;
        run(Command::new("openssl")
            .current_dir(d)
            .args([
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
            ])
            .args(["-CAcreateserial", "-days", "2", "-extfile", "san.ext"])
            .args(["-out", "server.pem"]))?;
        run(Command::new("chmod")
            .args(["0600"])
            .arg(d.join("server.key")))?;
        if self.as_postgres {
            run(Command::new("chmod").arg("0755").arg(d))?;
            run(Command::new("chown")
                .arg("postgres")
                .arg(d.join("server.key"))
                .arg(d.join("server.pem")))?;
        }
        Ok(())
    }

    fn init_and_start(&self) -> Result<(), String> {
        let data = self.path("data");
        let mut initdb = self.pg_command("initdb");
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust"]);
        if self.as_postgres {
            run(Command::new("mkdir").arg(&data))?;
            run(Command::new("chown").arg("postgres").arg(&data))?;
        }
        run(&mut initdb)?;
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {PORT}\nunix_socket_directories = '{data}'\n\
             ssl = on\nssl_cert_file = '{dir}/server.pem'\nssl_key_file = '{dir}/server.key'\n",
            dir = self.dir.path().display(),
            data = data.display(),
        );
        append(&data.join("postgresql.conf"), &conf)?;
        // TLS or nothing over TCP.
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
        )
        .map_err(|e| e.to_string())?;
        let log = data.join("server.log");
        run(self
            .pg_command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "start"]))
        .map(drop)
    }

    fn pg_command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn url(&self, host: &str, query: &str) -> String {
        format!("postgres://postgres@{host}:{PORT}/postgres?{query}")
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let data = self.path("data");
        let _ = self
            .pg_command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

fn server_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop()
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn append(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| e.to_string())?;
    f.write_all(text.as_bytes()).map_err(|e| e.to_string())
}

async fn open(url: String) -> Result<Store, String> {
    let cfg = StoreConfig::Postgres {
        url,
        schema: None,
        pool_size: 1,
    };
    Store::open(cfg).await.map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_and_sslrootcert_are_honoured() {
    let server = match TlsServer::start() {
        Ok(Some(s)) => s,
        Ok(None) => return,
        Err(why) => panic!("throwaway PostgreSQL with TLS: {why}"),
    };
    let ca = server.path("ca.pem").display().to_string();
    let other = server.path("other_ca.pem").display().to_string();

    // verify-full: the chain and the name check out; the store migrates and answers.
    let store = open(server.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .await
    .expect("verify-full with the right CA");
    assert_eq!(store.get_merchant("acct_none").await.expect("read"), None);
    store.close().await;

    // A CA that did not sign the server's certificate.
    let err = open(server.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={other}"),
    ))
    .await
    .err()
    .expect("wrong CA refused");
    assert!(
        err.contains("TLS handshake") && err.contains("UnknownIssuer"),
        "{err}"
    );

    // The certificate names localhost, not 127.0.0.1: verify-full refuses, verify-ca accepts.
    let err = open(server.url(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .await
    .err()
    .expect("name mismatch refused");
    assert!(err.contains("not valid for name"), "{err}");
    open(server.url("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}")))
        .await
        .expect("verify-ca ignores the name")
        .close()
        .await;

    // require: encrypted without checking the certificate.
    open(server.url("localhost", "sslmode=require"))
        .await
        .expect("require")
        .close()
        .await;

    // Plaintext against a hostssl-only server is refused by the server.
    let err = open(server.url("localhost", "sslmode=disable"))
        .await
        .err()
        .expect("plaintext refused");
    assert!(err.contains("no pg_hba.conf entry"), "{err}");
}
