//! The oracle process: pyiso8583 in a venv of its own under `$CARGO_TARGET_TMPDIR/pyiso-venv`
//! (made on the first run, reused after), and `tests/pyiso8583_oracle.py` answering a batch of
//! requests ([`ask`]) as JSON.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::{Value as Json, json};

const PYISO8583_VERSION: &str = "4.0.1";

/// Path of the venv's python, or `None` when the cross-check is skipped on purpose.
fn venv_python() -> Option<&'static Path> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            if std::env::var("PAYGATE_SKIP_PYTHON").as_deref() == Ok("1") {
                eprintln!("pyiso8583 cross-check SKIPPED: PAYGATE_SKIP_PYTHON=1");
                return None;
            }
            Some(prepare_venv().unwrap_or_else(|why| {
                panic!(
                    "pyiso8583 cross-check cannot run: {why}\n\
                     It needs python3 with the venv module and pip (network access to PyPI on \
                     the first run). Install them (Debian: apt-get install python3-venv \
                     python3-pip), or set PAYGATE_SKIP_PYTHON=1 to skip this check locally."
                )
            }))
        })
        .as_deref()
}

/// Reuses a working venv or builds a fresh one beside it and renames it into place, so that
/// neither an interrupted install nor a concurrent run leaves a half-built venv behind.
fn prepare_venv() -> Result<PathBuf, String> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pyiso-venv");
    let python = dir.join("bin").join("python");
    if has_pyiso8583(&python) {
        return Ok(python);
    }
    let staging = dir.with_file_name(format!("pyiso-venv.staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    run(Command::new("python3").arg("-m").arg("venv").arg(&staging))?;
    run(Command::new(staging.join("bin").join("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .arg(format!("pyiso8583=={PYISO8583_VERSION}")))?;
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::rename(&staging, &dir) {
        let _ = std::fs::remove_dir_all(&staging);
        if !has_pyiso8583(&python) {
            return Err(format!("cannot move the venv into {}: {e}", dir.display()));
        }
    }
    if has_pyiso8583(&python) {
        Ok(python)
    } else {
        Err(format!(
            "{} cannot import pyiso8583 {PYISO8583_VERSION}",
            python.display()
        ))
    }
}

fn has_pyiso8583(python: &Path) -> bool {
    let check =
        format!("import iso8583, sys; sys.exit(iso8583.__version__ != '{PYISO8583_VERSION}')");
    Command::new(python)
        .args(["-c", &check])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let out = cmd
        .output()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{shown} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// Sends a batch of requests to the oracle and returns its responses in order; `None` if skipped.
pub fn ask(requests: Vec<Json>) -> Option<Vec<Json>> {
    let python = venv_python()?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pyiso8583_oracle.py");
    let mut child = Command::new(python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the pyiso8583 oracle");
    let input = json!({ "requests": requests }).to_string();
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.as_bytes())
        .expect("send requests to the oracle");
    let out = child.wait_with_output().expect("oracle finishes");
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply: Json = serde_json::from_slice(&out.stdout).expect("oracle prints JSON");
    let responses = reply["responses"]
        .as_array()
        .expect("responses array")
        .clone();
    assert_eq!(responses.len(), requests.len(), "one response per request");
    Some(responses)
}
