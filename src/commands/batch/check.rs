//! The check phase: every row resolved and checked like a single order, sending nothing that
//! costs money.

use crate::portal_clock::EpochClock as _;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use futures_util::{FutureExt, StreamExt};
use tokio::sync::OnceCell;
use yeastar_partner::{
    BillingContact, Client, Error as PortalError, Operation, PriceList, SubscriptionCheck,
    LINKUS_PRODUCT_ID,
};

use super::input::Row;
use super::{Checked, Verdict};
use crate::cli::OrderArgs;
use crate::commands::order_flow::{self, choose, Catalog};
use crate::context::{Context, Settings};
use crate::error::{diagnose, Kind};
use crate::guard::{self, Ask, Block, Decision, Earlier, Pass};
use crate::journal::Contents;
use crate::lock::LockDir;
use crate::order;
use crate::portal_record::{self, PortalList, SharedList};
use crate::prompt::Progress;
use crate::quote::Offerings;

/// The account's billing contacts, asked for once and awaited by every row.
type Contacts<'a> = futures_util::future::Shared<
    futures_util::future::BoxFuture<'a, Result<Arc<Vec<BillingContact>>, PortalError>>,
>;

/// The portal's order list, read once for the whole batch and awaited by every row.
type Listed<'a> = futures_util::future::Shared<
    futures_util::future::BoxFuture<'a, Result<Arc<PortalList>, Arc<PortalError>>>,
>;

/// Rows checked at once in the check phase.
const CHECKS_AT_ONCE: usize = 16;

/// The check phase: every row resolved and checked like a single order, 16 at a time.
pub(super) async fn check_all(
    ctx: &Context,
    client: &Client,
    locks: &LockDir,
    operation: Operation,
    args: &OrderArgs,
    rows: Vec<Row>,
) -> Result<(Vec<Checked>, SharedList)> {
    let offerings = Offerings::new(&ctx.settings.dirs.cache);
    let remembered = offerings.get(&ctx.settings.portal_label(), LINKUS_PRODUCT_ID);
    let prices: OnceCell<Option<PriceList>> = OnceCell::new();
    // The journal once for the whole batch, by SN: not once per row.
    let journal = order::read_journal(&ctx.settings)?.by_sn();
    // The team journal too: one statement for every row, not one per row.
    let team = team_entries(ctx, &rows).await;
    // Contacts and (with a remembered offering) the price are asked for alongside the first
    // rows, not before them: no round trip of their own. Shared, so that they are asked once.
    let contacts = client
        .billing_contacts()
        .map(|listed| listed.map(Arc::new))
        .boxed()
        .shared();
    // The portal's order list too: once for all rows, in the same round trip.
    let listed: Listed<'_> = PortalList::read(client)
        .map(|read| read.map(Arc::new).map_err(Arc::new))
        .boxed()
        .shared();
    let price = async {
        if let Some(offering) = &remembered {
            let _ = prices.get_or_init(|| fetch_prices(client, offering)).await;
        }
    };
    let shared = async {
        let ((), _, _) = tokio::join!(price, contacts.clone(), listed.clone());
    };
    let progress = Progress::start(
        crate::commands::order_flow::spinner_allowed(&ctx.settings, &ctx.out),
        rows.len() as u64,
        "rows checked",
    );
    let total = rows.len();
    let rows = futures_util::stream::iter(rows)
        .map(|row| {
            let contacts = contacts.clone();
            let listed = listed.clone();
            let prices = &prices;
            let progress = &progress;
            let offerings = &offerings;
            let journal = journal.get(&row.sn.to_ascii_uppercase());
            let team = team.as_ref().map(|by_sn| {
                by_sn
                    .get(&row.sn.trim().to_ascii_uppercase())
                    .cloned()
                    .unwrap_or_default()
            });
            async move {
                let verdict = check_row(
                    ctx, client, locks, operation, args, &row, journal, team, contacts, listed,
                    prices, offerings,
                )
                .await;
                progress.advance("rows checked");
                Checked { row, verdict }
            }
        })
        .buffered(CHECKS_AT_ONCE)
        .collect::<Vec<Checked>>();
    let ((), checked) = tokio::join!(shared, rows);
    drop(progress);
    // Rows checked without contacts are moot: the batch stops here, as one purchase would.
    contacts
        .await
        .context("Could not list the billing contacts")?;
    // A batch whose rows could not be checked against the order list sends nothing (exit 6).
    let listed = match listed.await {
        Ok(listed) => Arc::unwrap_or_clone(listed),
        Err(error) => return Err(portal_record::unreadable(Arc::unwrap_or_clone(error))),
    };
    for warning in listed.warnings() {
        ctx.out.warn(&warning);
    }
    debug_assert_eq!(checked.len(), total);
    Ok((checked, SharedList::new(listed)))
}

/// The price list for rows that need no plan list of their own: by the remembered offering,
/// else by the offering of one PBX's plan list (asked once for the whole batch).
async fn prices_for_listed(
    settings: &Settings,
    client: &Client,
    offerings: &Offerings,
    sn: &str,
) -> Option<PriceList> {
    let offering = match offerings.get(&settings.portal_label(), LINKUS_PRODUCT_ID) {
        Some(offering) => offering,
        None => {
            let offering = client
                .offer(LINKUS_PRODUCT_ID, sn)
                .await
                .ok()?
                .offering_id?;
            offerings.remember(&settings.portal_label(), LINKUS_PRODUCT_ID, &offering);
            offering
        }
    };
    fetch_prices(client, &offering).await
}

/// The team journal's entries for every row's SN, by SN (upper case, as the schema keys them),
/// in one statement; `None` without a team journal, or when that read fails: each row then
/// asks for its own and says why it could not.
async fn team_entries(
    ctx: &Context,
    rows: &[Row],
) -> Option<std::collections::HashMap<String, Vec<crate::team::TeamEntry>>> {
    let team = ctx.team_journal().ok().flatten()?;
    let sns: Vec<String> = rows.iter().map(|row| row.sn.clone()).collect();
    let entries = team
        .entries_of_sns(&ctx.settings.portal_label(), &sns)
        .await
        .ok()?;
    let mut by_sn: std::collections::HashMap<String, Vec<crate::team::TeamEntry>> =
        std::collections::HashMap::new();
    for entry in entries {
        by_sn
            .entry(entry.sn.trim().to_ascii_uppercase())
            .or_default()
            .push(entry);
    }
    Some(by_sn)
}

async fn fetch_prices(client: &Client, offering: &str) -> Option<PriceList> {
    client
        .prices(LINKUS_PRODUCT_ID, offering, "annually")
        .await
        .ok()
}

fn refused(kind: Kind, message: impl Into<String>) -> Verdict {
    Verdict::Refused {
        kind,
        message: message.into(),
    }
}

fn refused_by(error: &anyhow::Error) -> Verdict {
    let report = diagnose(error);
    // A portal's refusal says it best in its own words: "The PBX … is not eligible …
    // (product_not_eligible)"; the row already names the SN.
    if let Some(PortalError::Rejected { message, code, .. }) = error.downcast_ref::<PortalError>() {
        if !message.trim().is_empty() {
            return refused(
                report.kind,
                crate::output::clean(&format!("{} ({code})", message.trim())),
            );
        }
    }
    let mut message = report.message;
    for cause in report.causes {
        message.push_str(": ");
        message.push_str(&cause);
    }
    refused(report.kind, message)
}

/// What the earlier orders make of a row, if they stop it.
fn verdict(decision: Decision, again: &[String]) -> Option<Verdict> {
    match decision {
        Decision::Clear => None,
        // Resuming: bought by an earlier run, reported and not bought again.
        Decision::Already(earlier) => Some(Verdict::Already {
            order_no: earlier.order_no,
        }),
        Decision::Blocked(block) => Some(blocked(&block, again)),
    }
}

fn blocked(block: &Block, again: &[String]) -> Verdict {
    refused(Kind::Blocked, block.failure(again).message)
}

#[allow(clippy::too_many_arguments)]
async fn check_row(
    ctx: &Context,
    client: &Client,
    locks: &LockDir,
    operation: Operation,
    args: &OrderArgs,
    row: &Row,
    journal: Option<&Contents>,
    team: Option<Vec<crate::team::TeamEntry>>,
    contacts: Contacts<'_>,
    order_list: Listed<'_>,
    prices: &OnceCell<Option<PriceList>>,
    offerings: &Offerings,
) -> Verdict {
    let sn = &row.sn;
    let now = ctx.clock.now_ms();
    let again = &args.common.again;
    let records = order::records_preloaded(
        ctx,
        Some(locks),
        sn,
        Some(journal.cloned().unwrap_or_default()),
        team,
    );
    let mut earlier = match records.read().await {
        Ok(earlier) => earlier,
        Err(error) => return refused_by(&error),
    };
    let ask = |pass| Ask {
        batch_row: true,
        ..order::ask(ctx, sn, operation, again, pass)
    };
    if let Some(verdict) = verdict(guard::decide(&earlier, &ask(Pass::BeforeLookUps)), again) {
        return verdict;
    }
    // A row from the account's listing (`renew --expiring-within`) already has its plan and
    // end: nothing more is asked per PBX, only the price list, once for the batch.
    let listed = row
        .listed
        .as_deref()
        .filter(|_| operation == Operation::Renew);
    let offer = async {
        match listed {
            Some(_) => {
                let _ = prices
                    .get_or_init(|| prices_for_listed(&ctx.settings, client, offerings, sn))
                    .await;
                None
            }
            None => Some(client.offer(LINKUS_PRODUCT_ID, sn).await),
        }
    };
    let subscription = async {
        match listed {
            Some(listed) => Ok(SubscriptionCheck::Subscribed(listed.clone())),
            None => client.subscription(LINKUS_PRODUCT_ID, sn).await,
        }
    };
    let (offer, subscription, (), contacts, order_list) = tokio::join!(
        offer,
        subscription,
        order::look_up_open(ctx, client, &records, &mut earlier),
        contacts,
        order_list,
    );
    let Ok(contacts) = contacts else {
        return refused(Kind::Network, "the billing contacts could not be listed");
    };
    let Ok(order_list) = order_list else {
        return refused(Kind::Network, "the portal's order list could not be read");
    };
    // The portal's list beside the local records: a success of the row's operation there is
    // "already ...", an open order or another operation's success blocks the row.
    let portal = order_list
        .earlier_for(client, sn, operation, ctx.clock.now_ms(), true)
        .await;
    let all = [earlier.as_slice(), portal.as_slice()].concat();
    if let Some(verdict) = verdict(guard::decide(&all, &ask(Pass::Final)), again) {
        return verdict;
    }
    let offer = match offer {
        None => None,
        Some(Ok(offer)) => Some(offer),
        Some(Err(_)) if operation == Operation::Renew => None,
        Some(Err(error)) => {
            return refused_by(
                &anyhow::Error::from(error)
                    .context(format!("Could not list the plans for SN {sn}")),
            )
        }
    };
    let subscription = match subscription {
        Ok(check) => Some(check),
        // As for one purchase: if the check cannot be done, the portal decides.
        Err(_) if operation == Operation::Purchase => None,
        Err(error) => {
            return refused_by(
                &anyhow::Error::from(error)
                    .context(format!("Could not read the subscription of SN {sn}")),
            )
        }
    };
    if let Some(offering) = offer.as_ref().and_then(|o| o.offering_id.clone()) {
        offerings.remember(&ctx.settings.portal_label(), LINKUS_PRODUCT_ID, &offering);
        let _ = prices.get_or_init(|| fetch_prices(client, &offering)).await;
    }
    let catalog = Catalog {
        plans: offer
            .map(|o| {
                o.plans
                    .into_iter()
                    .filter(yeastar_partner::Plan::is_purchasable)
                    .collect()
            })
            .unwrap_or_default(),
        contacts: contacts.to_vec(),
        subscription,
        prices: prices.get().cloned().flatten(),
    };
    if let Some(already) = resumed(operation, &earlier, &catalog, now) {
        return already;
    }
    if let Err(failure) = order_flow::refuse_what_cannot_be_ordered(operation, sn, &catalog, now) {
        return refused(failure.kind, failure.message);
    }
    let row_args = row_args(operation, args, row);
    if let Some(missing) = missing_value(operation, &row_args) {
        return refused(Kind::Usage, missing);
    }
    match choose::choose(&ctx.settings, operation, &row_args, sn.clone(), &catalog).await {
        Ok(choice) => Verdict::Buy(Box::new(choice)),
        Err(error) => refused_by(&error),
    }
}

/// A row whose order an earlier run already placed, older than a day but still in force: a
/// purchase whose subscription is current, a switch whose plan is the one asked for.
fn resumed(
    operation: Operation,
    earlier: &[Earlier],
    catalog: &Catalog,
    now: u64,
) -> Option<Verdict> {
    let success = guard::last_success(earlier, operation)?;
    let current = catalog.current()?;
    let in_force = match operation {
        Operation::Purchase => current.is_current(crate::portal_clock::from_ms(now)),
        Operation::Switch => success.plan_id.is_some() && current.plan_id == success.plan_id,
        // Every renewal leaves a current subscription: only the 24-hour rule applies.
        Operation::Renew => false,
    };
    in_force.then(|| Verdict::Already {
        order_no: success.order_no.clone(),
    })
}

/// The row's values, with the command-line flags for what it leaves empty.
fn row_args(operation: Operation, args: &OrderArgs, row: &Row) -> OrderArgs {
    let mut row_args = args.clone();
    row_args.sn = Some(row.sn.clone());
    row_args.plan = row.plan.clone().or_else(|| args.plan.clone());
    row_args.billing_contact = row
        .billing_contact
        .clone()
        .or_else(|| args.billing_contact.clone());
    row_args.years = row
        .years
        .or(args.years)
        .or((operation == Operation::Renew).then_some(1));
    row_args.po_number = row.po_number.clone().or_else(|| args.po_number.clone());
    row_args
}

/// A value a row needs and neither it nor the flags give (no prompts in a batch).
fn missing_value(operation: Operation, args: &OrderArgs) -> Option<String> {
    let mut missing = Vec::new();
    if operation != Operation::Renew && args.plan.is_none() {
        missing.push("a plan (a `plan` column or --plan)");
    }
    if args.billing_contact.is_none() {
        missing.push("a billing contact (a `billing_contact` column or --billing-contact)");
    }
    if operation == Operation::Purchase && args.years.is_none() {
        missing.push("years (a `years` column or --years)");
    }
    (!missing.is_empty()).then(|| format!("needs {}", missing.join(" and ")))
}
