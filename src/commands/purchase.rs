//! `linkus purchase | renew | switch` for one SN: resolve what to order, show it with its
//! price, ask, and send the order at most once. (With `--from`, `commands::batch` runs
//! instead; both use [`crate::commands::order_flow`].)
//!
//! The flow (CLI.md section 3), top to bottom in [`run`]: take the SN's lock; fetch the plans,
//! the billing contacts, the PBX's subscription, the price and any earlier open order
//! concurrently; apply the journal's rules; resolve flags or ask the wizard; show the summary
//! and the replay command; stop for `--dry-run` or `--max-total`; confirm; place the order.

use std::sync::Arc;

use anyhow::Result;
use yeastar_partner::{Client, Operation};

use crate::cli::OrderArgs;
use crate::commands::order_flow::summary;
use crate::commands::order_flow::{
    choose, look_up, refuse_what_cannot_be_ordered, spinner_allowed,
};
use crate::commands::order_flow::{Catalog, Choice};
use crate::context::Context;
use crate::error::{diagnose, ExitStatus, Failure, Kind};
use crate::guard::{Earlier, Pass};
use crate::lock::LockDir;
use crate::order;
use crate::portal_clock::EpochClock as _;
use crate::portal_record::{self, PortalList, PortalStore};
use crate::prompt::{self, Spinner};
use crate::quote;
use crate::records::Records;

pub async fn run(ctx: &Context, operation: Operation, args: OrderArgs) -> Result<ExitStatus> {
    choose::check_flags_without_prompts(&ctx.settings, operation, &args)?;
    // The wizard asks for the SN again when the portal says it cannot be used, and when Esc
    // is pressed at the step after it.
    let (lock, records, client, catalog, choice, (mut portal, mut listed)) = loop {
        let sn = match &args.sn {
            Some(sn) => sn.clone(),
            None => prompt::serial_number().await?,
        };
        match prepare(ctx, operation, &args, sn).await {
            Ok(prepared) => break prepared,
            Err(error) if args.sn.is_none() && error.is::<choose::BackToSerialNumber>() => {}
            Err(error) if args.sn.is_none() && another_sn_may_do(&error) => {
                crate::output::stderr(&diagnose(&error).to_text(&ctx.out.style));
                crate::output::stderr(
                    "Type another serial number, or press Esc to stop. Nothing was bought.\n",
                );
            }
            Err(error) => return Err(error),
        }
    };
    let request = choice.request()?;
    let body = request.body();

    // The token is in memory by now: reading its claims costs no request.
    let account = client.token().await.ok().and_then(|token| token.account());
    // The summary is what a person confirms: shown even with --quiet when they will be asked.
    if !ctx.out.is_quiet()
        || (ctx.settings.interactive() && !args.common.yes && !args.common.dry_run)
    {
        crate::output::stderr(&summary::text(
            &ctx.settings,
            &ctx.out,
            &choice,
            &catalog,
            account.as_deref(),
            &args,
        ));
    }
    if let Some(cap) = &args.common.max_total {
        let total: Vec<_> = choice.quote.total().into_iter().collect();
        quote::check_cap(cap, &total, total.is_empty())?;
    }
    if args.common.dry_run {
        summary::print_dry_run(&ctx.out, &request, &body, &choice.quote)?;
        return Ok(ExitStatus::Success);
    }
    if !args.common.yes && !prompt::confirm("Place this order?", false).await? {
        // A choice, not an error: a plain line (and the error object with --json), exit 3.
        return Err(
            Failure::new(Kind::Cancelled, "Declined; nothing was bought.")
                .plain()
                .into(),
        );
    }
    let Some(lock) = lock else {
        return Ok(ExitStatus::Success);
    };
    // A read of the list older than 30 s (a person took time to confirm) is read again; the
    // list is then one of the records that claim the order.
    if portal.age_ms(ctx.clock.now_ms()) >= portal_record::fresh_ms() {
        portal = portal_record::read_for_order(&ctx.out, &client).await?;
        listed = portal
            .earlier_for(&client, &choice.sn, operation, ctx.clock.now_ms(), false)
            .await;
    }
    let mut records = records;
    records.push(Arc::new(PortalStore::new(listed)));
    let intent = choice.intent(ctx);
    let spinner = Spinner::start(
        spinner_allowed(&ctx.settings, &ctx.out),
        "Placing the order…",
    );
    let placed = order::place(
        ctx,
        &client,
        &lock,
        &records,
        intent,
        body,
        &args.common.again,
    )
    .await;
    drop(spinner);
    order::report(ctx, placed?, &choice.plan.plan_name, Some(&choice.quote))
}

/// The SN's lock, its records, the client, what the portal says and what was chosen.
type Prepared = (
    Option<crate::lock::SnLock>,
    Records,
    Client,
    Catalog,
    Choice,
    (PortalList, Vec<Earlier>),
);

/// An SN that the wizard can ask again for: the portal refused it (not eligible, already has
/// Linkus, nothing to renew) or an earlier order blocks it. Nothing was sent for it.
fn another_sn_may_do(error: &anyhow::Error) -> bool {
    matches!(diagnose(error).kind, Kind::Rejected | Kind::Blocked)
}

/// Everything up to the summary: the SN's lock, the journal's rules, the look-ups, what the
/// portal refuses, and the flags or the wizard's answers.
async fn prepare(
    ctx: &Context,
    operation: Operation,
    args: &OrderArgs,
    sn: String,
) -> Result<Prepared> {
    let locks = LockDir::locate()?;
    // A dry run sends nothing, so it waits for no one.
    let lock = if args.common.dry_run {
        None
    } else {
        Some(
            locks
                .lock(
                    &ctx.settings.portal_key(),
                    &sn,
                    &command_line(operation),
                    &ctx.now_rfc3339(),
                )
                .await?,
        )
    };
    let records = order::records(ctx, Some(&locks), &sn);
    let client = ctx.client()?;

    // The records' own rules first: they need no network.
    let again = &args.common.again;
    let mut earlier = records.read().await?;
    order::check(
        &earlier,
        &order::ask(ctx, &sn, operation, again, Pass::BeforeLookUps),
    )?;
    let (catalog, portal) = look_up(ctx, &client, operation, &sn, &records, &mut earlier).await?;
    // The portal's own list beside the local records: orders placed from other machines (a
    // block wins over the subscription's refusal, as the journal's does).
    let listed = portal
        .earlier_for(&client, &sn, operation, ctx.clock.now_ms(), false)
        .await;
    order::check(
        &[earlier.as_slice(), listed.as_slice()].concat(),
        &order::ask(ctx, &sn, operation, again, Pass::Final),
    )?;
    refuse_what_cannot_be_ordered(operation, &sn, &catalog, ctx.clock.now_ms())?;

    let choice = choose::choose(&ctx.settings, operation, args, sn, &catalog).await?;
    Ok((lock, records, client, catalog, choice, (portal, listed)))
}

/// `linkus purchase`, for the lock's note about who holds it.
fn command_line(operation: Operation) -> String {
    format!("linkus {}", operation.name())
}
