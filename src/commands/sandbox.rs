//! `linkus sandbox serve | reset | pay | cancel`.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use linkus_sandbox::{Options, SandboxPortal, Settled, Store};

use crate::cli::{SandboxOrderArgs, ServeArgs};
use crate::context::Context;
use crate::error::{ExitStatus, Failure, Kind};
use crate::lock::LockDir;

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
    // Listening for the signals before the URL is out: a tool that stops the sandbox as soon
    // as it has read the URL gets a clean stop, not death by SIGINT.
    let stop = stop_requested();
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
        () = stop => {}
    }
    ctx.out.status("Sandbox portal stopped.");
    Ok(ExitStatus::Success)
}

/// Ctrl-C, or on Unix also SIGTERM (what service managers and `kill` send). The handlers are
/// in place when this returns, before the future is first polled.
fn stop_requested() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        signal(SignalKind::interrupt()).and_then(|i| Ok((i, signal(SignalKind::terminate())?)))
    };
    async move {
        #[cfg(unix)]
        if let Ok((mut interrupt, mut terminate)) = signals {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The journal's label for the sandbox's entries (`baseUrl`), as `portal_label` writes it.
const SANDBOX_LABEL: &str = "sandbox";

pub fn reset(ctx: &Context) -> Result<ExitStatus> {
    let store = Store::new(&ctx.dirs.sandbox_dir());
    let removed = store.reset()?;
    let journal = forget_sandbox_entries(&ctx.dirs.journal_file())?;
    let locks = LockDir::locate()?;
    let mut records = 0;
    for record in locks.records_of_portal(&ctx.sandbox_portal_key())? {
        match std::fs::remove_file(&record) {
            Ok(()) => records += 1,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error).with_context(|| format!("could not remove {}", record.display()))
            }
        }
    }
    if ctx.out.is_json() {
        ctx.out.json(&serde_json::json!({
            "reset": true,
            "hadState": removed,
            "journalLinesRemoved": journal,
            "snRecordsRemoved": records,
        }))?;
    } else {
        let forgotten = if journal + records > 0 {
            format!(
                " Forgotten too: {journal} journal line{} and {records} SN record{} of the sandbox (those of real portals are kept).",
                if journal == 1 { "" } else { "s" },
                if records == 1 { "" } else { "s" },
            )
        } else {
            String::new()
        };
        ctx.out.status(&format!(
            "{}{forgotten}",
            if removed {
                "Sandbox reset: its orders and subscriptions are gone."
            } else {
                "The sandbox was already empty."
            }
        ));
    }
    Ok(ExitStatus::Success)
}

/// Removes from the journal every line of an intent whose portal is the sandbox, and the
/// outcomes of those intents; every other line stays, byte for byte and in order (damaged
/// lines included: they cannot be told apart). The journal is rewritten in place under its
/// own lock, so a run appending meanwhile waits; a copy is kept beside it until the rewrite
/// is on disk. Returns how many lines went.
fn forget_sandbox_entries(path: &Path) -> Result<usize> {
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(error) => {
            return Err(error)
                .with_context(|| format!("could not open the order journal {}", path.display()))
        }
    };
    file.lock()
        .with_context(|| format!("could not lock {}", path.display()))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let parsed: Vec<(&[u8], Option<serde_json::Value>)> = bytes
        .split(|b| *b == b'\n')
        .map(|line| (line, serde_json::from_slice::<serde_json::Value>(line).ok()))
        .collect();
    let sandbox_ids: HashSet<String> = parsed
        .iter()
        .filter_map(|(_, value)| value.as_ref())
        .filter(|v| v["event"] == "intent" && v["baseUrl"] == SANDBOX_LABEL)
        .filter_map(|v| v["id"].as_str().map(str::to_owned))
        .collect();
    if sandbox_ids.is_empty() {
        return Ok(0);
    }
    let mut kept = Vec::with_capacity(bytes.len());
    let mut removed = 0;
    for (line, value) in &parsed {
        let ours = value
            .as_ref()
            .and_then(|v| v["id"].as_str())
            .is_some_and(|id| sandbox_ids.contains(id));
        if ours {
            removed += 1;
        } else if !line.iter().all(u8::is_ascii_whitespace) {
            kept.extend_from_slice(line);
            kept.push(b'\n');
        }
    }
    let mut backup = path.as_os_str().to_owned();
    backup.push(".before-sandbox-reset");
    let backup = std::path::PathBuf::from(backup);
    crate::files::write_private(&backup, &bytes)
        .with_context(|| format!("could not copy the journal to {}", backup.display()))?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&kept)?;
    file.set_len(kept.len() as u64)?;
    file.sync_all()?;
    let _ = std::fs::remove_file(&backup);
    Ok(removed)
}

/// `sandbox pay | cancel ORDER`: what a person would do to a pending order in the portal.
pub fn settle(ctx: &Context, args: SandboxOrderArgs, pay: bool) -> Result<ExitStatus> {
    let portal = SandboxPortal::new(&ctx.dirs.sandbox_dir());
    let order = args.order.as_str();
    let verb = if pay { "pay" } else { "cancel" };
    let settled = portal.settle(order, pay)?;
    let done = match settled {
        Settled::Paid(done) | Settled::Cancelled(done) => done,
        Settled::NotFound => {
            return Err(Failure::usage(format!(
                "The sandbox has no order {order}; nothing changed."
            ))
            .hint("`linkus --sandbox orders list` lists its orders (orders of real portals cannot be paid here).")
            .into())
        }
        Settled::NotPending(found) => {
            return Err(Failure::new(
                Kind::Rejected,
                format!(
                    "Sandbox order {} is {}, not pending: there is nothing to {verb}; nothing changed.",
                    found.order_no, found.order_status
                ),
            )
            .hint("Only a pending order (an SN ending in 0202) can be paid or cancelled.")
            .into())
        }
        Settled::Refused(found, why) => {
            return Err(Failure::new(
                Kind::Rejected,
                format!(
                    "Sandbox order {} cannot be paid: {why} Nothing changed.",
                    found.order_no
                ),
            )
            .hint(format!("`linkus sandbox cancel {}` ends it.", found.order_no))
            .into())
        }
    };
    if ctx.out.is_json() {
        ctx.out.json(&serde_json::json!({
            "orderNo": done.order_no,
            "orderStatus": done.order_status,
            "productNo": done.product_no,
        }))?;
    } else if ctx.out.is_quiet() {
        ctx.out.print(&done.order_status)?;
    }
    ctx.out.status(&if pay {
        format!(
            "Sandbox order {} paid: {}; PBX {} has its {} now.",
            done.order_no, done.order_status, done.product_no, done.plan_name
        )
    } else {
        format!(
            "Sandbox order {} cancelled; PBX {} is as it was.",
            done.order_no, done.product_no
        )
    });
    Ok(ExitStatus::Success)
}
