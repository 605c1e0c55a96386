//! The fuzz targets in CI: the checked-in corpus is what `paygate-fuzz seed` writes, every
//! past crash still passes, a short exec-bounded run of every target finds nothing, and the
//! harness does catch a parser that panics.

use paygate_fuzz::runner::{self, Budget};
use paygate_fuzz::targets::{TARGETS, Target};
use std::path::PathBuf;
use std::time::Duration;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
}

#[test]
fn the_checked_in_corpus_is_what_the_seed_command_writes() {
    let seeds = paygate_fuzz::seed::seeds(&vectors());
    for target in TARGETS {
        let n = seeds.iter().filter(|(t, _, _)| *t == target.name).count();
        assert!(n > 0, "no seed for target {}", target.name);
    }
    for (target, name, bytes) in seeds {
        let path = paygate_fuzz::corpus_dir(target).join(&name);
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| {
            panic!("{} missing ({e}); run `paygate-fuzz seed`", path.display())
        });
        assert_eq!(
            on_disk,
            bytes,
            "{} differs from its seed; run `paygate-fuzz seed`",
            path.display()
        );
    }
}

#[test]
fn past_crashes_stay_fixed_and_a_short_run_of_every_target_finds_nothing() {
    let crash_dir = std::env::temp_dir().join(format!("paygate-fuzz-{}", std::process::id()));
    for target in TARGETS {
        let regressions = runner::load_dir(&paygate_fuzz::regressions_dir(target.name));
        for input in &regressions {
            (target.check)(input);
        }
        let corpus = runner::load_dir(&paygate_fuzz::corpus_dir(target.name));
        let budget = Budget {
            duration: Duration::from_secs(60),
            max_execs: target.ci_execs,
            seed: 1,
        };
        let report = runner::run(target, &corpus, &budget, &crash_dir);
        assert_eq!(
            report.execs, target.ci_execs,
            "{}: the run stopped early",
            target.name
        );
        assert!(
            report.crashes.is_empty(),
            "{}: {:?}",
            target.name,
            report.kinds
        );
    }
}

fn panics_on_a_seven(input: &[u8]) {
    assert!(!input.contains(&b'7'), "a seven");
}

#[test]
fn the_harness_catches_a_parser_that_panics_and_keeps_the_input() {
    let target = Target {
        name: "broken",
        about: "test",
        check: panics_on_a_seven,
        ci_execs: 5_000,
    };
    let crash_dir =
        std::env::temp_dir().join(format!("paygate-fuzz-broken-{}", std::process::id()));
    let budget = Budget {
        duration: Duration::from_secs(60),
        max_execs: 5_000,
        seed: 3,
    };
    let report = runner::run(
        &target,
        &[b"0123456".to_vec(), b"abc".to_vec()],
        &budget,
        &crash_dir,
    );
    assert!(
        !report.crashes.is_empty(),
        "the seven in the corpus was not caught"
    );
    let kind = report.kinds.keys().next().expect("a crash kind");
    assert!(kind.starts_with("a seven at "), "{kind}");
    let saved =
        std::fs::read(crash_dir.join("broken").join(&report.crashes[0])).expect("saved input");
    assert!(saved.contains(&b'7'));
    let _ = std::fs::remove_dir_all(&crash_dir);
}

fn corpus_file(target: &str, name: &str) -> Vec<u8> {
    std::fs::read(paygate_fuzz::corpus_dir(target).join(name)).expect("a seed")
}

#[test]
fn the_wallet_telegram_and_card_present_seeds_are_inputs_the_parsers_accept() {
    // Mutations of accepted inputs reach the code behind the first checks; noise would not.
    use paygate_fuzz::wallet_targets::GALA_SIGNED_AT;
    use paygate_wallet_tokens::{apple, samsung};
    let gala = String::from_utf8(corpus_file("apple_pay_token", "gala.json")).unwrap();
    let keys = [apple::ApplePayKey::from_pem(
        include_str!("../../wallet-tokens/tests/vectors/applepay_gala/certificate.pem"),
        include_str!("../../wallet-tokens/tests/vectors/applepay_gala/private_key.pem"),
    )
    .unwrap()];
    let t = apple::open(
        &gala,
        &keys,
        &apple::TrustRoots::apple(),
        GALA_SIGNED_AT + 60,
    )
    .unwrap();
    assert_eq!(t.dynamic_last4(), "1169");
    let key = samsung::SamsungPayKey::from_pem(include_str!(
        "../../wallet-tokens/tests/vectors/samsungpay_jwe/private_key_pkcs8.pem"
    ))
    .unwrap();
    for name in ["visa.jwe", "visa-credential.json"] {
        let jwe = String::from_utf8(corpus_file("samsung_pay_token", name)).unwrap();
        let t = samsung::open(&jwe, std::slice::from_ref(&key), 1_700_557_639).unwrap();
        assert_eq!(t.dynamic_last4(), "0312", "{name}");
    }
    for name in ["issue.bin", "notice.bin", "notice-answer.bin", "echo.bin"] {
        let bytes = corpus_file("bank_telegram", name);
        paygate_connector_bank::wire::read(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        paygate_sim_bank::wire::read(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let track = String::from_utf8(corpus_file("card_present", "mst-track2.txt")).unwrap();
    assert_eq!(paygate_emv::MstTrack2::parse(&track).unwrap().atc, 42);
    let signed = corpus_file("webhook_signature", "signed.txt");
    let split = signed.iter().position(|b| *b == b'\n').unwrap();
    let header = std::str::from_utf8(&signed[..split]).unwrap();
    assert!(paygate_chaos::receiver::signature_valid(
        "whsec_fuzz",
        header,
        &signed[split + 1..]
    ));
}
