//! `linkus purchase | renew | switch`: resolve what to order, show it with its price, ask, and
//! send the order at most once.
//!
//! The flow (CLI.md section 3), top to bottom in [`run`]: take the SN's lock; fetch the plans,
//! the billing contacts, the PBX's subscription, the price and any earlier open order
//! concurrently; apply the journal's rules; resolve flags or ask the wizard; show the summary
//! and the replay command; stop for `--dry-run` or `--max-total`; confirm; place the order.

use crate::portal_clock::EpochClock as _;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use yeastar_partner::{
    BillingContact, Client, Offer, Operation, OrderRequest, Plan, PriceList, Sn, Subscription,
    SubscriptionCheck, LINKUS_PRODUCT_ID,
};

use crate::cli::OrderArgs;
use crate::commands::products::years_text;
use crate::context::Context;
use crate::error::{diagnose, ExitStatus, Failure, Kind};

use crate::guard::{Earlier, Pass};
use crate::journal::{self, Intent};
use crate::lock::LockDir;
use crate::order;
use crate::output::format_date_ms;
use crate::portal_record::{self, PortalList, PortalStore};
use crate::prompt::{self, Spinner};
use crate::quote::{self, Offerings, Quote};
use crate::records::Records;

pub mod choose;
pub mod summary;

/// What the portal says about the PBX, fetched before anything is chosen.
pub struct Catalog {
    pub plans: Vec<Plan>,
    pub contacts: Vec<BillingContact>,
    /// `None` when the subscription could not be read (a purchase goes on; the portal decides).
    pub subscription: Option<SubscriptionCheck>,
    pub prices: Option<PriceList>,
}

impl Catalog {
    pub fn current(&self) -> Option<&Subscription> {
        match &self.subscription {
            Some(SubscriptionCheck::Subscribed(subscription)) => Some(subscription),
            _ => None,
        }
    }

    /// The list price per year of a plan, when the portal gave one.
    pub fn quote(&self, plan: &Plan, years: u8) -> Quote {
        Quote {
            per_year: self
                .prices
                .as_ref()
                .and_then(|prices| prices.for_plan(plan.plan_id, &plan.plan_name))
                .cloned(),
            years,
        }
    }
}

/// What was chosen, after flags and prompts.
pub struct Choice {
    pub operation: Operation,
    pub sn: String,
    pub plan: Plan,
    pub contact: BillingContact,
    pub years: u8,
    pub po_number: Option<String>,
    pub quote: Quote,
}

impl Choice {
    /// The journal's record of this order, written before it is sent.
    pub fn intent(&self, ctx: &Context) -> Intent {
        Intent {
            id: journal::new_id(),
            time: ctx.now_rfc3339(),
            profile: ctx.profile().to_owned(),
            base_url: ctx.portal_label(),
            sn: self.sn.clone(),
            operation: self.operation,
            plan_id: self.plan.plan_id,
            plan_name: self.plan.plan_name.clone(),
            billing_contact_id: self.contact.billing_contact_id,
            years: self.years,
            po_number: self.po_number.clone(),
            list_total: self.quote.total().map(|total| total.to_string()),
            // When, where and by whom: stamped by `order::place` as it claims the order.
            portal_time: None,
            pid: Some(std::process::id()),
            host: None,
            user: None,
        }
    }

    /// The order; the SN and the years were checked before (`--sn`, `--years`, the plan's
    /// years), so an error here is the client refusing what the checks let through.
    pub fn request(&self) -> Result<OrderRequest> {
        let sn: Sn = self.sn.parse()?;
        let request = OrderRequest::new(
            self.operation,
            sn,
            self.plan.plan_id,
            self.contact.billing_contact_id,
            self.years,
        )?;
        Ok(match &self.po_number {
            Some(po_number) => request.with_po_number(po_number.clone()),
            None => request,
        })
    }
}

pub async fn run(ctx: &Context, operation: Operation, args: OrderArgs) -> Result<ExitStatus> {
    if let Some(file) = args.batch.from.clone() {
        return crate::commands::batch::run(ctx, operation, args, file).await;
    }
    choose::check_flags_without_prompts(ctx, operation, &args)?;
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
    if !ctx.out.is_quiet() || (ctx.interactive() && !args.common.yes && !args.common.dry_run) {
        crate::output::stderr(&summary::text(
            ctx,
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
        summary::print_dry_run(ctx, &request, &body, &choice.quote)?;
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
        portal = portal_record::read_for_order(ctx, &client).await?;
        listed = portal
            .earlier_for(&client, &choice.sn, operation, ctx.clock.now_ms(), false)
            .await;
    }
    let mut records = records;
    records.push(Arc::new(PortalStore::new(listed)));
    let intent = choice.intent(ctx);
    let spinner = Spinner::start(spinner_allowed(ctx), "Placing the order…");
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
                    &ctx.portal_key(),
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

    let choice = choose::choose(ctx, operation, args, sn, &catalog).await?;
    Ok((lock, records, client, catalog, choice, (portal, listed)))
}

/// `linkus purchase`, for the lock's note about who holds it.
fn command_line(operation: Operation) -> String {
    format!("linkus {}", operation.name())
}

pub fn spinner_allowed(ctx: &Context) -> bool {
    ctx.out.stderr_is_terminal && !ctx.out.is_quiet() && ctx.global.verbose == 0
}

/// Plans, billing contacts, the PBX's subscription, the price, any open earlier order and the
/// portal's order list, concurrently: one round trip (two the first time, when the offering is
/// not yet known; one more when the order list needs more than one page).
pub async fn look_up(
    ctx: &Context,
    client: &Client,
    operation: Operation,
    sn: &str,
    records: &Records,
    earlier: &mut [Earlier],
) -> Result<(Catalog, PortalList)> {
    let spinner = Spinner::start(
        spinner_allowed(ctx),
        "Fetching plans, prices and billing contacts…",
    );
    let offerings = Offerings::new(&ctx.dirs.cache);
    let portal = ctx.portal_label();
    let remembered = offerings.get(&portal, LINKUS_PRODUCT_ID);
    let (offer, contacts, subscription, prices, (), listed) = tokio::join!(
        client.offer(LINKUS_PRODUCT_ID, sn),
        client.billing_contacts(),
        client.subscription(LINKUS_PRODUCT_ID, sn),
        async {
            match &remembered {
                Some(offering) => {
                    Some(client.prices(LINKUS_PRODUCT_ID, offering, "annually").await)
                }
                None => None,
            }
        },
        order::look_up_open(ctx, client, records, earlier),
        PortalList::read(client),
    );
    let listed = match listed {
        Ok(listed) => listed,
        Err(error) => {
            drop(spinner);
            return Err(portal_record::unreadable(error));
        }
    };
    for warning in listed.warnings() {
        ctx.out.warn(&warning);
    }
    let offer: Option<Offer> = match offer {
        Ok(offer) => Some(offer),
        // A renewal keeps the current plan: the plan list only gives the price's offering.
        Err(_) if operation == Operation::Renew => None,
        Err(error) => {
            return Err(
                anyhow::Error::from(error).context(format!("Could not list the plans for SN {sn}"))
            )
        }
    };
    let contacts = contacts.context("Could not list the billing contacts")?;
    let fresh = offer.as_ref().and_then(|o| o.offering_id.clone());
    let mut prices = prices;
    if let Some(offering) = &fresh {
        if remembered.as_ref() != Some(offering) {
            offerings.remember(&portal, LINKUS_PRODUCT_ID, offering);
            prices = Some(client.prices(LINKUS_PRODUCT_ID, offering, "annually").await);
        }
    }
    let prices = quote::usable_prices(&ctx.out, sn, prices);
    drop(spinner);
    let subscription = match subscription {
        Ok(check) => Some(check),
        Err(error) if operation == Operation::Purchase => {
            ctx.out.warn(&format!(
                "could not check whether SN {sn} already has Linkus Cloud Service ({error}); the portal will decide."
            ));
            None
        }
        Err(error) => {
            return Err(anyhow::Error::from(error).context(format!(
                "Could not read the current subscription of SN {sn}"
            )))
        }
    };
    let plans: Vec<Plan> = offer
        .map(|offer| {
            offer
                .plans
                .into_iter()
                .filter(Plan::is_purchasable)
                .collect()
        })
        .unwrap_or_default();
    if plans.is_empty() && operation != Operation::Renew {
        return Err(Failure::new(
            Kind::Rejected,
            format!(
                "The portal offers no Linkus Cloud Service plan that can be bought for SN {sn}."
            ),
        )
        .hint("Check the SN, and that the PBX is eligible (Pro needs recent firmware).")
        .into());
    }
    if contacts.is_empty() {
        return Err(
            Failure::new(Kind::Rejected, "The account has no billing contacts.")
                .hint("Add one in the Partner Portal, then run the command again.")
                .into(),
        );
    }
    Ok((
        Catalog {
            plans,
            contacts,
            subscription,
            prices,
        },
        listed,
    ))
}

/// What the portal's answers already say cannot be ordered (exit 5, nothing sent): a purchase
/// for a PBX that has Linkus, a renewal or switch for one that has not, a switch while another
/// is under way.
pub fn refuse_what_cannot_be_ordered(
    operation: Operation,
    sn: &str,
    catalog: &Catalog,
    now_ms: u64,
) -> Result<(), Failure> {
    let current = catalog.current();
    match operation {
        Operation::Purchase => match current {
            Some(subscription) if subscription.is_current(crate::portal_clock::from_ms(now_ms)) => {
                let plan = plan_label(subscription);
                let until = match subscription.expires.map(crate::portal_clock::epoch_ms) {
                    Some(ms) => format!("until {}", format_date_ms(ms)),
                    None => "(no end date given)".to_owned(),
                };
                Err(Failure::new(
                    Kind::Rejected,
                    format!("PBX {sn} already has {plan} {until}; nothing was bought."),
                )
                .hint(format!("To extend it: `linkus renew --sn {sn}`; to change the plan: `linkus switch --sn {sn} --plan PLAN`."))
                .hint(format!("`linkus orders list --sn {sn}` shows its orders.")))
            }
            _ => Ok(()),
        },
        Operation::Renew | Operation::Switch if current.is_none() => Err(Failure::new(
            Kind::Rejected,
            format!(
                "PBX {sn} has no Linkus Cloud Service to {}; nothing was sent.",
                operation.name()
            ),
        )
        .hint(format!("`linkus purchase --sn {sn}` buys it."))),
        Operation::Switch if current.is_some_and(Subscription::is_switching) => Err(Failure::new(
            Kind::Rejected,
            format!(
                "PBX {sn} is already switching to {}; nothing was sent.",
                current.and_then(|s| s.current_plan.as_deref()).unwrap_or("another plan")
            ),
        )
        .hint("Wait until that switch is done (the Partner Portal shows it), then run the command again.")),
        Operation::Renew if current.is_some_and(|s| s.plan_id.is_none()) => Err(Failure::new(
            Kind::Rejected,
            format!("The portal does not say which plan PBX {sn} has, so linkus cannot renew it; nothing was sent."),
        )
        .hint("Renew it in the Partner Portal, or run `linkus doctor --sn SN` to see what the portal answers.")),
        _ => Ok(()),
    }
}

/// "Linkus Cloud Service Pro", however the portal names it.
pub fn plan_label(subscription: &Subscription) -> String {
    subscription
        .plan_name
        .clone()
        .or_else(|| subscription.product_name.clone())
        .or_else(|| subscription.plan_id.map(|id| format!("plan {id}")))
        .unwrap_or_else(|| "Linkus Cloud Service".to_owned())
}

/// The plan a renewal renews: the current one, named from the plan list where it is there.
pub fn current_plan(catalog: &Catalog, subscription: &Subscription) -> Option<Plan> {
    let id = subscription.plan_id?;
    Some(
        catalog
            .plans
            .iter()
            .find(|plan| plan.plan_id == id)
            .cloned()
            .unwrap_or_else(|| {
                let mut plan = Plan::new(id, plan_label(subscription));
                plan.billing_cycle = Some("annually".to_owned());
                plan
            }),
    )
}

/// "1-5" for a run of years.
pub fn allowed_years(plan: &Plan) -> String {
    years_text(&plan.years())
}
