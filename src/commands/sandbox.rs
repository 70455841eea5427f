//! `linkus sandbox serve | reset`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};

use crate::cli::ServeArgs;
use crate::context::Context;
use crate::sandbox::{self, state::Store, Options, SandboxPortal};

pub async fn serve(ctx: &Context, args: ServeArgs) -> Result<()> {
    let dir = ctx.dirs.sandbox_dir();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .with_context(|| format!("Could not listen on 127.0.0.1:{}", args.port))?;
    let address = listener.local_addr()?;
    let portal = Arc::new(SandboxPortal::new(&dir));
    let options = Options {
        latency: Duration::from_millis(args.latency_ms),
        log: true,
    };
    // The URL is the result, for tools that start the sandbox on port 0.
    ctx.out.print(&format!("http://{address}"))?;
    ctx.out.status(&format!(
        "Sandbox portal listening on http://{address} (state in {}); any client ID and secret work. Ctrl-C or SIGTERM stops it.",
        dir.display()
    ));
    tokio::select! {
        () = sandbox::serve(listener, portal, options) => {}
        () = stop_requested() => {}
    }
    ctx.out.status("Sandbox portal stopped.");
    Ok(())
}

/// Ctrl-C, or on Unix also SIGTERM (what service managers and `kill` send).
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

pub fn reset(ctx: &Context) -> Result<()> {
    let store = Store::new(&ctx.dirs.sandbox_dir());
    let removed = store.reset()?;
    if ctx.out.is_json() {
        ctx.out
            .json(&serde_json::json!({ "reset": true, "hadState": removed }))?;
    } else {
        ctx.out.status(if removed {
            "Sandbox reset: its orders and subscriptions are gone."
        } else {
            "The sandbox was already empty."
        });
    }
    Ok(())
}
