//! A real full disk: the data directory on a small tmpfs (skipped, with the reason printed,
//! where `mount` is not allowed).

use crate::common::{authorizations, eventually, readyz};
use crate::support::{self, TestApp, VISA};
use reqwest::StatusCode;
use serde_json::Value;
use std::io::Write;
use std::time::Duration;

/// Unmounts the tmpfs at drop (also when the test fails).
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_is_503_and_unready_until_space_returns() {
    let mount_dir = tempfile::tempdir().unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
        .arg(mount_dir.path())
        .output();
    match mounted {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            println!(
                "SKIPPED a_full_disk_is_503_and_unready_until_space_returns: mount -t tmpfs not allowed here ({})",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            return;
        }
        Err(e) => {
            println!("SKIPPED a_full_disk_is_503_and_unready_until_space_returns: no mount ({e})");
            return;
        }
    }
    let _guard = Mounted(mount_dir.path().to_path_buf());
    let data = mount_dir.path().join("data");
    let app = TestApp::spawn_with(|c| c.data_dir = data.clone()).await;
    let (s, pi) = app.pay(VISA, 5_000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");

    // Fill the disk.
    let filler = mount_dir.path().join("filler");
    {
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
    }
    let mut refused = 0;
    for i in 0..50 {
        let r = app
            .post_response(
                &app.key,
                "/v1/payment_intents",
                &support::card_payment_form(VISA, &(5_000 + i).to_string()),
                None,
            )
            .await;
        if r.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert!(r.headers().contains_key("retry-after"));
            let e: Value = r.json().await.unwrap();
            assert_eq!(e["error"]["code"], "store_unavailable", "{e}");
            refused += 1;
        } else {
            assert_eq!(r.status(), StatusCode::OK, "only 200 or 503 on a full disk");
        }
    }
    assert!(refused > 0, "a full disk refuses writes");
    let (s, ready) = readyz(&app).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(ready["store_writable"], false);
    assert!(
        ready["store_reason"].as_str().unwrap().contains("full"),
        "{ready}"
    );
    let (s, _) = app.get("/v1/payment_intents?limit=3").await;
    assert_eq!(s, StatusCode::OK, "reads keep working");

    std::fs::remove_file(&filler).unwrap();
    assert!(
        eventually(Duration::from_secs(10), || async {
            readyz(&app).await.0 == StatusCode::OK
        })
        .await,
        "ready once space returns: {:?}",
        readyz(&app).await
    );
    let (s, pi) = app.pay(VISA, 7_000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert!(app.ledger_problems().await.is_empty());
    // Nothing approved is left unreversed without a payment.
    let (_, list) = app.get("/v1/payment_intents?limit=100").await;
    let succeeded = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "succeeded")
        .count();
    let live_auths = authorizations(&app)
        .iter()
        .filter(|a| a["reversed"] == false && a["response_code"] == "00")
        .count();
    assert_eq!(live_auths, succeeded, "{:?}", authorizations(&app));
    app.server.shutdown().await;
}
