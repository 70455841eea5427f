//! `linkus sandbox serve | reset`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use linkus_sandbox::{Options, SandboxPortal, Store};

use crate::cli::ServeArgs;
use crate::context::Context;
use crate::error::{ExitStatus, Failure, Kind};

pub async fn serve(ctx: &Context, args: ServeArgs) -> Result<ExitStatus> {
    let dir = ctx.dirs.sandbox_dir();
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await {
        Ok(listener) => listener,
        Err(error) => {
            let busy = error.kind() == std::io::ErrorKind::AddrInUse;
            let failure = Failure::new(
                if busy { Kind::Usage } else { Kind::Config },
                format!("Could not listen on 127.0.0.1:{}: {error}", args.port),
            );
            return Err(if busy {
                failure.hint("Another program uses that port: choose another with --port PORT, or --port 0 for any free one.")
            } else {
                failure.hint("Choose another port with --port PORT, or --port 0 for any free one.")
            }
            .into());
        }
    };
    let address = listener.local_addr()?;
    let mut portal = SandboxPortal::new(&dir).with_fleet(args.fleet);
    if let Some(expiring) = args.fleet_expiring {
        portal = portal.with_fleet_expiring(expiring);
    }
    let portal = Arc::new(portal);
    let options = Options {
        latency: Duration::from_millis(args.latency_ms),
        log: true,
    };
    let url = format!("http://{address}");
    // The URL is the result, for tools that start the sandbox on port 0.
    if ctx.out.is_json() {
        ctx.out.json(&serde_json::json!({ "url": url }))?;
    } else {
        ctx.out.print(&url)?;
    }
    let fleet = if args.fleet > 0 {
        format!(" with {} more PBXs in the account", args.fleet)
    } else {
        String::new()
    };
    ctx.out.status(&format!(
        "Sandbox portal listening on {url}{fleet} (state in {}); any client ID and secret work. Ctrl-C or SIGTERM stops it.",
        dir.display()
    ));
    tokio::select! {
        () = linkus_sandbox::serve(listener, portal, options) => {}
        () = stop_requested() => {}
    }
    ctx.out.status("Sandbox portal stopped.");
    Ok(ExitStatus::Success)
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

pub fn reset(ctx: &Context) -> Result<ExitStatus> {
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
    Ok(ExitStatus::Success)
}
