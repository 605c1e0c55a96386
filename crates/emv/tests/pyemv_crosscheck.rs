//! Cross-check against pyemv 1.5.0 (an independent implementation, MIT): random cards and
//! transactions whose ARQC, ARPC and CVC3 pyemv computes (`tests/pyemv_oracle.py`, the DE 55
//! encoded by pyemv's TLV encoder) must verify here.
//!
//! The first run creates a venv under `$CARGO_TARGET_TMPDIR/pyemv-venv` with
//! `pip install pyemv==1.5.0`; later runs reuse it. Without python3 or pip the test fails (CI
//! installs them) unless `PAYGATE_SKIP_PYTHON=1`.

use paygate_emv::{ArqcData, DoubleKey, MstTrack2};
use paygate_iso8583::tlv;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

const PYEMV_VERSION: &str = "1.5.0";

fn run(cmd: &mut Command) -> Result<Vec<u8>, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!("{cmd:?}: {}", String::from_utf8_lossy(&out.stderr)))
    }
}

fn has_pyemv(python: &std::path::Path) -> bool {
    Command::new(python)
        .args(["-c", "import pyemv"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The venv's python (built beside and renamed into place, so a half-built venv never stays).
fn venv_python() -> Result<PathBuf, String> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pyemv-venv");
    let python = dir.join("bin").join("python");
    if has_pyemv(&python) {
        return Ok(python);
    }
    let staging = dir.with_file_name(format!("pyemv-venv.staging-{}", std::process::id()));
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
        .arg(format!("pyemv=={PYEMV_VERSION}")))?;
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::rename(&staging, &dir);
    has_pyemv(&python)
        .then_some(python)
        .ok_or_else(|| "pyemv did not install".into())
}

fn bytes<const N: usize>(hex_text: &str) -> [u8; N] {
    hex::decode(hex_text).unwrap().try_into().unwrap()
}

#[test]
fn arqcs_arpcs_and_cvc3s_computed_by_pyemv_verify() {
    if std::env::var("PAYGATE_SKIP_PYTHON").as_deref() == Ok("1") {
        eprintln!("pyemv cross-check SKIPPED: PAYGATE_SKIP_PYTHON=1");
        return;
    }
    let python = venv_python().unwrap_or_else(|e| panic!("pyemv cross-check cannot run: {e}"));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pyemv_oracle.py");
    let out = run(Command::new(python).args([script, "2026", "40"])).unwrap();
    let cases: Vec<Value> = serde_json::from_slice(&out).unwrap();
    assert_eq!(cases.len(), 40);
    for c in &cases {
        let s = |k: &str| c[k].as_str().unwrap().to_owned();
        let imk = DoubleKey::from_hex(&s("imk")).unwrap();
        let items = tlv::decode(&hex::decode(s("de55")).unwrap()).unwrap();
        let data = ArqcData::from_tags(|tag| match tlv::find(&items, tag).map(|t| &t.value) {
            Some(tlv::Value::Primitive(v)) => Some(v.as_slice()),
            _ => None,
        })
        .unwrap();
        let atc = u16::try_from(c["atc"].as_u64().unwrap()).unwrap();
        assert_eq!(data.atc(), atc);
        let sk = paygate_emv::visa_cvn18_session_key(&imk, &s("pan"), &s("psn"), atc).unwrap();
        let arqc = paygate_emv::visa_cvn18_arqc(&sk, &data);
        assert_eq!(hex::encode_upper(arqc), s("arqc"), "{c}");
        let arpc = paygate_emv::arpc_method2(&sk, arqc, bytes(&s("csu")));
        assert_eq!(hex::encode_upper(arpc), s("arpc"), "{c}");
        let track = MstTrack2 {
            pan: s("pan"),
            expiry_yymm: "3412".into(),
            service_code: "101".into(),
            atc,
            cvc3: 0,
            un: u16::try_from(c["un"].as_u64().unwrap()).unwrap(),
        };
        let key = paygate_emv::icc_cvc3_key(&imk, &s("pan"), "00").unwrap();
        let cvc3 = paygate_emv::cvc3(&key, &track.template(), track.un_bytes(), atc);
        assert_eq!(u64::from(cvc3), c["cvc3"].as_u64().unwrap(), "{c}");
    }
}
