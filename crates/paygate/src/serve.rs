//! `paygate serve`: start the gateway (and the in-process simulators of the demo), make the demo
//! merchant on a first start, then wait for SIGTERM/Ctrl-C and drain.

use crate::config::ConfigArgs;
use crate::{demo, keys, merchant, terminal};
use paygate_gateway::admin;

pub(crate) async fn serve(args: ConfigArgs) -> Result<(), String> {
    let mut cfg = args.config()?;
    let first_start = !cfg.data_dir.join("paygate.db").exists() && cfg.database_url.is_none();
    demo::pages_csrf_key(&mut cfg).await?;
    let demo = demo::start(&mut cfg).await?;
    let server = paygate_gateway::start_with_test_clock_and_routes(
        cfg.clone(),
        demo.test_clock(),
        &[paygate_dashboard::router],
    )
    .await?;
    keys::audit_kek(
        &server.state.store,
        &server.state.vault,
        paygate_gateway::audit::operator::Action::KekLoad,
        "serve",
        0,
    )
    .await?;
    let addr = server.addr;
    let scheme = if cfg.listener.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    if first_start
        || server
            .state
            .store
            .list_merchants()
            .await
            .map(|m| m.is_empty())
            .unwrap_or(false)
    {
        let m = admin::create_merchant(&server.state.store, &cfg, "Demo merchant").await?;
        merchant::audit_created(&server.state.store, &m, "Demo merchant", "serve").await?;
        println!("created a test-mode demo merchant:");
        merchant::print_new(&m, "  ");
        println!("try it:");
        println!(
            "  curl {scheme}://{addr}/v1/payment_intents -u {}: -d amount=10000 -d currency=krw -d confirm=true \\\n    -d 'payment_method_data[type]=card' -d 'payment_method_data[card][number]=4242424242424242' \\\n    -d 'payment_method_data[card][exp_month]=12' -d 'payment_method_data[card][exp_year]=2030' -d 'payment_method_data[card][cvc]=123'",
            m.secret_key
        );
    }
    if let Some(m) = server.metrics_addr {
        println!("metrics on http://{m}/metrics");
    }
    let pos = match &args.pos_listen {
        Some(a) => Some(terminal::listen(server.state.clone(), a).await?),
        None => None,
    };
    println!("paygate listening on {scheme}://{addr}");
    demo.print();
    wait_for_signal().await;
    server.begin_drain();
    if args.drain_delay_ms > 0 {
        tracing::info!(
            drain_delay_ms = args.drain_delay_ms,
            "stopping: /readyz answers 503, still serving until the drain delay ends"
        );
        tokio::time::sleep(std::time::Duration::from_millis(args.drain_delay_ms)).await;
    }
    if let Some(pos) = pos {
        pos.abort();
    }
    tracing::info!("shutting down: draining in-flight requests");
    server.shutdown().await;
    demo.shutdown().await?;
    Ok(())
}

pub(crate) async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
