//! The connector against the bank simulator over a real TCP link: each side has its own
//! telegram mapping, so a layout disagreement fails here.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use paygate_connector_bank::{BankConnector, BankError, DepositNotice, Link, NoticeSink};
use paygate_payments::{BankAccount, BoxFuture, Connector, FollowUpAnswer};
use tokio::sync::Notify;

const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

#[derive(Default)]
struct Sink {
    got: Mutex<Vec<DepositNotice>>,
    arrived: Notify,
}

impl NoticeSink for Sink {
    fn deliver(&self, n: DepositNotice) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            self.got.lock().unwrap().push(n);
            self.arrived.notify_one();
            Ok(())
        })
    }
}

impl Sink {
    async fn wait_for(&self, count: usize) -> Vec<DepositNotice> {
        for _ in 0..200 {
            if self.got.lock().unwrap().len() >= count {
                return self.got.lock().unwrap().clone();
            }
            let _ = tokio::time::timeout(Duration::from_millis(50), self.arrived.notified()).await;
        }
        panic!("{count} notices did not arrive");
    }
}

/// Waits until the bank's journal holds `count` acknowledged notices (the ack follows the
/// sink's answer on the wire).
async fn acked(dir: &std::path::Path, count: usize) -> Vec<paygate_sim_bank::JournalLine> {
    for _ in 0..200 {
        let journal = paygate_sim_bank::journal(dir).unwrap();
        if journal.iter().filter(|l| l.event == "notice_acked").count() >= count {
            return journal;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{count} notices were not acknowledged");
}

async fn start(dir: &std::path::Path) -> (paygate_sim_bank::Running, BankConnector, Arc<Sink>) {
    let sim = paygate_sim_bank::start(paygate_sim_bank::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.to_path_buf(),
        now: Arc::new(|| NOW),
        notice_retry_ms: 100,
        pages_listen: None,
    })
    .await
    .unwrap();
    let link = Link::connect(sim.local_addr(), Duration::from_secs(5), Arc::new(|| NOW));
    let sink = Arc::new(Sink::default());
    link.set_sink(sink.clone());
    (sim, BankConnector::new(link), sink)
}

#[tokio::test]
async fn an_issued_account_takes_deposits_up_to_its_amount_and_notices_arrive_once_acked() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, bank, sink) = start(dir.path()).await;
    let acct = bank
        .issue("088", "pi_1", 10_000, NOW + 3 * 86_400, "테스트상점")
        .await
        .unwrap();
    assert!(acct.account_number.starts_with("0889"));
    // The same order gets the same account.
    let again = bank
        .issue("088", "pi_1", 10_000, NOW + 3 * 86_400, "테스트상점")
        .await
        .unwrap();
    assert_eq!(again, acct);

    let first = bank
        .deposit(&acct.account_number, 4_000, "홍길동")
        .await
        .unwrap();
    assert_eq!(first.remaining, 6_000);
    assert_eq!(
        bank.deposit(&acct.account_number, 7_000, "홍길동").await,
        Err(BankError::Refused("V003".into())),
        "more than what is left is refused"
    );
    let notices = sink.wait_for(1).await;
    assert_eq!(notices[0].deposit_id, first.deposit_id);
    assert_eq!(notices[0].order_ref, "pi_1");
    assert_eq!(notices[0].amount, 4_000);
    assert_eq!(notices[0].depositor, "홍길동");
    assert_eq!(notices[0].deposited_at, NOW);

    // Cut the next notice in the middle: the link reconnects and the bank sends it again.
    sim.cut_next_notice();
    let second = bank
        .deposit(&acct.account_number, 6_000, "홍길동")
        .await
        .unwrap();
    assert_eq!(second.remaining, 0);
    let notices = sink.wait_for(2).await;
    assert_eq!(notices[1].deposit_id, second.deposit_id);
    assert_eq!(notices[1].remaining, 0);

    let journal = acked(dir.path(), 2).await;
    let acks: Vec<_> = journal
        .iter()
        .filter(|l| l.event == "notice_acked")
        .collect();
    assert_eq!(acks.len(), 2, "{journal:?}");
    assert_eq!(
        bank.deposit(&acct.account_number, 1, "홍길동").await,
        Err(BankError::Refused("V002".into())),
        "a paid account takes no more"
    );
}

#[tokio::test]
async fn a_transfer_reaches_a_test_account_once_and_unknown_accounts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, bank, _sink) = start(dir.path()).await;
    let to = BankAccount {
        bank_code: "004".into(),
        account_number: "12345678901234".into(),
        holder_name: "홍길동".into(),
    };
    let p = bank.prepare_transfer("re_1", &to, 5_000, 410).unwrap();
    let record = p.record.clone();
    assert_eq!(bank.send_follow_up(p).await, FollowUpAnswer::Approved);
    assert_eq!(
        bank.resend_follow_up(&record).await,
        FollowUpAnswer::Approved
    );
    assert_eq!(
        sim.balance("004", "12345678901234").unwrap(),
        Some(1_005_000)
    );
    assert_eq!(bank.follow_up_amount(&record).unwrap(), 5_000);

    let wrong_holder = BankAccount {
        holder_name: "김철수".into(),
        ..to.clone()
    };
    let p = bank
        .prepare_transfer("re_2", &wrong_holder, 5_000, 410)
        .unwrap();
    assert_eq!(
        bank.send_follow_up(p).await,
        FollowUpAnswer::Refused("T002".into())
    );
    let nobody = BankAccount {
        account_number: "999".into(),
        ..to
    };
    let p = bank.prepare_transfer("re_3", &nobody, 5_000, 410).unwrap();
    assert_eq!(
        bank.send_follow_up(p).await,
        FollowUpAnswer::Refused("A001".into())
    );
    assert!(
        bank.prepare_transfer("re_4", &wrong_holder, 5_000, 840)
            .is_err()
    );
}

#[tokio::test]
async fn closing_an_account_returns_its_deposits_and_refuses_later_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, bank, sink) = start(dir.path()).await;
    let acct = bank
        .issue("004", "pi_2", 10_000, NOW + 86_400, "상점")
        .await
        .unwrap();
    let d = bank
        .deposit(&acct.account_number, 3_000, "김철수")
        .await
        .unwrap();
    sink.wait_for(1).await;
    acked(dir.path(), 1).await;
    // A notice delivered twice reaches the sink twice; the gateway counts it once.
    sim.redeliver(&d.deposit_id).unwrap();
    let n = sink.wait_for(2).await;
    assert_eq!(n[0].deposit_id, n[1].deposit_id);
    assert_eq!(bank.close("004", &acct.account_number).await, Ok(3_000));
    assert_eq!(bank.close("004", &acct.account_number).await, Ok(3_000));
    assert_eq!(
        bank.deposit(&acct.account_number, 1_000, "김철수").await,
        Err(BankError::Refused("V002".into()))
    );
    assert_eq!(
        bank.issue("999", "pi_3", 1, NOW + 10, "x").await,
        Err(BankError::Refused("B001".into()))
    );
}
