//! `paygate completions bash|zsh|fish`: the scripts name every subcommand (clap_complete
//! generates them from the CLI's own definition) and bash parses its script.

mod common;

use common::BIN;
use std::process::Command;

fn completions(shell: &str) -> String {
    let out = Command::new(BIN)
        .args(["completions", shell])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn completion_scripts_name_the_subcommands_and_bash_parses_its_own() {
    for shell in ["bash", "zsh", "fish"] {
        let script = completions(shell);
        for sub in [
            "serve",
            "merchant",
            "openapi",
            "completions",
            "listen",
            "trigger",
            "logs",
        ] {
            assert!(script.contains(sub), "{shell}: no {sub}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paygate.bash");
    std::fs::write(&path, completions("bash")).unwrap();
    let check = Command::new("bash").arg("-n").arg(&path).status().unwrap();
    assert!(
        check.success(),
        "bash -n refused the bash completion script"
    );
    // `source` it and ask for the completions of `paygate op`.
    let probe = format!(
        "source {}; COMP_WORDS=(paygate op); COMP_CWORD=1; COMP_LINE='paygate op'; COMP_POINT=10; \
         _paygate paygate op paygate; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display()
    );
    let out = Command::new("bash").args(["-c", &probe]).output().unwrap();
    let words = String::from_utf8_lossy(&out.stdout);
    assert!(
        words.lines().any(|w| w == "openapi"),
        "completions of `paygate op`: {words:?}"
    );
    let bad = Command::new(BIN)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}
