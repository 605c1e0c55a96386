//! The acquirer report the simulator writes is the documented format the gateway reads
//! (`paygate_network::report`), and folding it the gateway's way gives exactly the state the
//! simulator keeps for each authorization — so reconciliation sees what the network did.

use paygate_iso8583::Profile;
use paygate_network::link::{AuthKind, AuthRequest, Link, LinkConfig};
use paygate_network::report::{CounterpartyReport, JsonReport, ReportKind, authorizations};
use paygate_sim_network::{JournalEntry, SimConfig};

fn req(kind: AuthKind, pan: &'static str, amount_minor: i64) -> AuthRequest<'static> {
    AuthRequest {
        kind,
        pan,
        expiry_yymm: "3412",
        cvc: Some("123"),
        amount_minor,
        currency_numeric: 410,
        merchant_id: "shop-1",
        pos_entry_mode: "812",
        authentication: None,
        track2: None,
        icc: None,
        stored_credential: None,
        installments: None,
    }
}

#[tokio::test]
async fn the_report_read_as_the_gateway_reads_it_matches_the_simulators_own_state() {
    let dir = tempfile::tempdir().unwrap();
    let sim =
        paygate_sim_network::start(SimConfig::new("127.0.0.1:0".parse().unwrap(), dir.path()))
            .await
            .unwrap();
    let mut cfg = LinkConfig::new(sim.local_addr().to_string(), "PGRPT001", "123456");
    cfg.profile = Profile::Ascii;
    let link = Link::connect(cfg).await.unwrap();
    let auth = |r| {
        let link = link.clone();
        async move {
            link.send_auth(link.prepare_auth(&r).unwrap())
                .await
                .unwrap()
        }
    };
    // An authorization captured in part and refunded twice, a voided purchase, a decline.
    let held = auth(req(AuthKind::Authorization, "4242424242424242", 20_000)).await;
    let held_rrn = held.rrn.clone().unwrap();
    let c = link
        .capture(&held.net_ref, &held_rrn, 15_000, 410)
        .await
        .unwrap();
    assert!(c.approved());
    for amount in [3_000, 2_000] {
        let r = link
            .refund(&held.net_ref, &held_rrn, amount, 410)
            .await
            .unwrap();
        assert!(r.approved());
    }
    let voided = auth(req(AuthKind::Purchase, "5555555555554444", 7_000)).await;
    assert!(
        link.reverse(&voided.net_ref, 7_000, 410)
            .await
            .unwrap()
            .approved()
    );
    let declined = auth(req(AuthKind::Purchase, "4000000000000002", 500)).await;
    assert_eq!(declined.response_code, "05");

    let records = paygate_sim_network::report(dir.path()).unwrap();
    let json = serde_json::to_value(&records).unwrap();
    let read = JsonReport::value("simulator", json)
        .records()
        .expect("the documented format");
    let kinds: Vec<ReportKind> = read.iter().map(|r| r.kind).collect();
    use ReportKind::*;
    assert_eq!(
        kinds,
        [
            Authorization,
            Capture,
            Refund,
            Refund,
            Purchase,
            Reversal,
            Purchase
        ]
    );
    let folded = authorizations(&read);
    let journal: Vec<_> = paygate_sim_network::journal(dir.path())
        .unwrap()
        .into_iter()
        .filter_map(|e| match e {
            JournalEntry::Authorization(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(folded.len(), journal.len());
    for (f, j) in folded.iter().zip(&journal) {
        assert_eq!(
            (f.kind.mti(), &f.stan, &f.rrn, f.amount, &f.response_code),
            (j.mti.as_str(), &j.stan, &j.rrn, j.amount, &j.response_code)
        );
        assert_eq!(
            (f.reversed, f.captured_amount, f.refunded_amount),
            (j.reversed, j.captured_amount, j.refunded_amount),
            "the state of {}",
            j.rrn
        );
    }
    assert_eq!(
        (folded[0].captured_amount, folded[0].refunded_amount),
        (15_000, 5_000)
    );
    assert!(folded[1].reversed);
    sim.shutdown().await.unwrap();
}
