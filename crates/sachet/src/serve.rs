//! `sachet serve`: the HTTP server, its periodic cleanup, and a graceful
//! shutdown on Ctrl-C or SIGTERM.

use std::{io::Write, time::Duration};

use anyhow::Context;
use poem::{
    Server,
    listener::{Acceptor, Listener, TcpListener},
};
use sachet_server::{AppState, CleanupPolicy, CorsOrigins};

use crate::{config::Config, setup};

/// How long in-flight requests may take to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs the server until a shutdown signal.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let state = setup::state(&config).await?;
    setup::first_admin(&state, &config).await?;

    let acceptor = TcpListener::bind(config.bind.clone())
        .into_acceptor()
        .await
        .with_context(|| format!("listening on {}", config.bind))?;
    let address = acceptor
        .local_addr()
        .first()
        .and_then(|addr| addr.as_socket_addr().copied())
        .context("the listener has no address")?;
    tracing::info!(%address, "listening");
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "Sachet listening on http://{address}")?;
        out.flush()?;
    }

    let cleanup = tokio::spawn(periodic_cleanup(state.clone(), config.clone()));
    let app = sachet_server::app(state.clone(), &CorsOrigins(config.cors_origins.clone()));
    Server::new_with_acceptor(acceptor)
        .idle_timeout(config.idle_timeout)
        .run_with_graceful_shutdown(app, shutdown_signal(), Some(SHUTDOWN_GRACE))
        .await
        .context("serving")?;

    cleanup.abort();
    state.store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The cleanup policy of a configuration.
pub fn cleanup_policy(config: &Config) -> CleanupPolicy {
    CleanupPolicy {
        abandoned_upload: config.upload_expiry,
        empty_share: config.empty_share_expiry,
        orphan_grace: config.orphan_grace,
    }
}

async fn periodic_cleanup(state: AppState, config: Config) {
    let policy = cleanup_policy(&config);
    let mut ticks = tokio::time::interval(config.cleanup_interval.max(Duration::from_secs(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match state.cleanup(&policy).await {
            Ok(report) if report == Default::default() => {
                tracing::debug!("cleanup found nothing to do")
            }
            Ok(report) => tracing::info!(?report, "cleanup"),
            Err(err) => sachet_server::error::log_chain("cleanup failed", &err),
        }
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(err) => {
                tracing::warn!(error = %err, "cannot watch SIGTERM; only Ctrl-C stops the server");
                let _ = interrupt.await;
                return;
            }
        };
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("shutting down");
}
