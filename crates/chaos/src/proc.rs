//! Child processes of the cluster: `paygate …` started from the current executable, logging to
//! a file of their own, ready once a given line appears on stdout; and the signals chaos sends
//! them (SIGKILL, SIGSTOP, SIGCONT).

use rustix::process::{Pid, Signal, kill_process};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Longest a process may take to print its ready lines.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How to start one process.
#[derive(Clone, Debug)]
pub struct Spec {
    pub exe: PathBuf,
    pub args: Vec<String>,
    /// Added to the inherited environment.
    pub env: Vec<(String, String)>,
    /// stderr goes here; stdout to the same path with the extension `stdout`.
    pub log: PathBuf,
    /// Prefixes of the stdout lines that must all have appeared before the process is ready.
    pub ready: Vec<String>,
}

/// A running child. Dropping it kills it.
pub struct Proc {
    child: Child,
    /// The ready lines, in the order of [`Spec::ready`].
    pub ready_lines: Vec<String>,
}

impl Proc {
    /// Starts the process and waits for its ready lines (its log's tail in the error).
    pub async fn start(spec: &Spec) -> Result<Proc, String> {
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&spec.log)
            .map_err(|e| format!("{}: {e}", spec.log.display()))?;
        let mut cmd = Command::new(&spec.exe);
        cmd.args(&spec.args)
            .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", spec.exe.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let out_path = spec.log.with_extension("stdout");
        tokio::spawn(async move {
            // A few short lines per process: written synchronously.
            let mut out = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(out_path)
                .ok();
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(f) = out.as_mut() {
                    let _ = std::io::Write::write_all(f, format!("{line}\n").as_bytes());
                }
                let _ = tx.send(line);
            }
        });
        let mut ready_lines: Vec<Option<String>> = vec![None; spec.ready.len()];
        let wait = async {
            while ready_lines.iter().any(Option::is_none) {
                let Some(line) = rx.recv().await else {
                    return false;
                };
                if let Some(i) = spec.ready.iter().position(|p| line.starts_with(p.as_str())) {
                    ready_lines[i].get_or_insert(line);
                }
            }
            true
        };
        match tokio::time::timeout(READY_TIMEOUT, wait).await {
            Ok(true) => Ok(Proc {
                child,
                ready_lines: ready_lines.into_iter().flatten().collect(),
            }),
            _ => Err(format!(
                "{} {} did not become ready; its log ends:\n{}",
                spec.exe.display(),
                spec.args.join(" "),
                log_tail(&spec.log, 15)
            )),
        }
    }

    /// The address after `prefix` in ready line `i` (`listening on 127.0.0.1:4000` →
    /// `127.0.0.1:4000`; a URL keeps its scheme).
    pub fn address(&self, i: usize) -> String {
        self.ready_lines[i]
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_string()
    }

    fn pid(&self) -> Option<Pid> {
        self.child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .and_then(Pid::from_raw)
    }

    fn signal(&self, sig: Signal) -> Result<(), String> {
        let pid = self.pid().ok_or("the process has exited")?;
        kill_process(pid, sig).map_err(|e| format!("kill({pid:?}): {e}"))
    }

    /// SIGKILL, then reap.
    pub async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// SIGSTOP: the process freezes (a GC pause's stand-in) with its sockets open.
    pub fn pause(&self) -> Result<(), String> {
        self.signal(Signal::STOP)
    }

    /// SIGCONT.
    pub fn resume(&self) -> Result<(), String> {
        self.signal(Signal::CONT)
    }
}

/// The last `n` lines of a log file.
pub fn log_tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
