//! Captures (0220) and refunds (0200, processing code 20) against the open-to-buy.

mod common;

use common::{TestSim, authorize, code, req};
use paygate_iso8583::Profile;

const LIMIT_MINOR: i64 = 10_000;
const VISA: &str = "4242424242424242";

#[tokio::test]
async fn a_partial_capture_releases_the_rest_of_the_hold() {
    let sim = TestSim::start(Profile::Ascii, LIMIT_MINOR).await;
    let link = sim.link("PGCAP001").await;
    let out = authorize(&link, &req(VISA, 8_000)).await.unwrap();
    let rrn = out.rrn.clone().unwrap();

    let above = link.capture(&out.net_ref, &rrn, 8_001, 410).await.unwrap();
    assert_eq!(above.response_code, "13", "above the authorized amount");
    let cap = link.capture(&out.net_ref, &rrn, 5_000, 410).await.unwrap();
    assert_eq!(cap.response_code, "00");
    assert_eq!(cap.rrn.as_deref().map(str::len), Some(12));
    let again = link.capture(&out.net_ref, &rrn, 1_000, 410).await.unwrap();
    assert_eq!(again.response_code, "12", "already captured");

    let entry = sim.authorization(&out.net_ref);
    assert_eq!((entry.captured_amount, entry.refunded_amount), (5_000, 0));
    // 3,000 of the hold came back: exactly 5,000 is left.
    assert_eq!(code(&link, VISA, 5_001).await, "51");
    assert_eq!(code(&link, VISA, 5_000).await, "00");
}

#[tokio::test]
async fn refunds_are_accepted_up_to_the_captured_amount_and_restore_the_open_to_buy() {
    let sim = TestSim::start(Profile::Binary, LIMIT_MINOR).await;
    let link = sim.link("PGCAP002").await;
    let out = authorize(&link, &req(VISA, 6_000)).await.unwrap();
    let rrn = out.rrn.clone().unwrap();
    let uncaptured = link.refund(&out.net_ref, &rrn, 1, 410).await.unwrap();
    assert_eq!(uncaptured.response_code, "13", "nothing captured yet");
    link.capture(&out.net_ref, &rrn, 6_000, 410).await.unwrap();

    assert_eq!(
        link.refund(&out.net_ref, &rrn, 2_500, 410)
            .await
            .unwrap()
            .response_code,
        "00"
    );
    assert_eq!(
        link.refund(&out.net_ref, &rrn, 3_501, 410)
            .await
            .unwrap()
            .response_code,
        "13"
    );
    assert_eq!(
        link.refund(&out.net_ref, &rrn, 3_500, 410)
            .await
            .unwrap()
            .response_code,
        "00"
    );
    assert_eq!(
        link.refund(&out.net_ref, &rrn, 1, 410)
            .await
            .unwrap()
            .response_code,
        "13"
    );

    let wrong_rrn = link
        .refund(&out.net_ref, "000000000000", 1, 410)
        .await
        .unwrap();
    assert_eq!(wrong_rrn.response_code, "12");
    let entry = sim.authorization(&out.net_ref);
    assert_eq!(
        (entry.captured_amount, entry.refunded_amount),
        (6_000, 6_000)
    );
    assert_eq!(
        code(&link, VISA, LIMIT_MINOR).await,
        "00",
        "all of it is back"
    );
}

#[tokio::test]
async fn a_capture_of_an_unknown_or_reversed_authorization_is_12() {
    let sim = TestSim::start(Profile::Ascii, LIMIT_MINOR).await;
    let link = sim.link("PGCAP003").await;
    let out = authorize(&link, &req(VISA, 1_000)).await.unwrap();
    let rrn = out.rrn.clone().unwrap();
    link.reverse(&out.net_ref, 1_000, 410).await.unwrap();
    assert_eq!(
        link.capture(&out.net_ref, &rrn, 1_000, 410)
            .await
            .unwrap()
            .response_code,
        "12"
    );
    let mut unknown = out.net_ref.clone();
    unknown.stan = if unknown.stan == "000001" {
        "000002"
    } else {
        "000001"
    }
    .to_owned();
    assert_eq!(
        link.capture(&unknown, &rrn, 1_000, 410)
            .await
            .unwrap()
            .response_code,
        "12"
    );
}
