//! The order flow that `purchase | renew | switch` and their batches (`--from`,
//! `--expiring-within`) share: what the portal says about a PBX ([`look_up`] into a
//! [`Catalog`]), what it refuses, what was chosen ([`Choice`], by flags or the wizard in
//! [`choose`]) and the summary a person confirms ([`summary`]). Below both flows: neither
//! `purchase` nor `batch` is used from here.

use anyhow::{Context as _, Result};
use yeastar_partner::{
    BillingContact, Client, Offer, Operation, OrderRequest, Plan, PriceList, Sn, Subscription,
    SubscriptionCheck, LINKUS_PRODUCT_ID,
};

use crate::context::Context;
use crate::context::Settings;
use crate::error::{Failure, Kind};
use crate::guard::Earlier;
use crate::journal::{self, Intent};
use crate::order;
use crate::output::format_date_ms;
use crate::output::Output;
use crate::portal_record::{self, PortalList};
use crate::prompt::Spinner;
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
            profile: ctx.settings.profile().to_owned(),
            base_url: ctx.settings.portal_label(),
            sn: self.sn.clone(),
            operation: self.operation,
            any_operation: false,
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

pub fn spinner_allowed(settings: &Settings, out: &Output) -> bool {
    out.stderr_is_terminal && !out.is_quiet() && settings.global.verbose == 0
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
        spinner_allowed(&ctx.settings, &ctx.out),
        "Fetching plans, prices and billing contacts…",
    );
    let offerings = Offerings::new(&ctx.settings.dirs.cache);
    let portal = ctx.settings.portal_label();
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

/// "1-5" for a run of years, "1, 3" otherwise.
pub fn years_text(years: &[u8]) -> String {
    let mut sorted = years.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    match (sorted.first(), sorted.last()) {
        (Some(first), Some(last))
            if sorted.len() > 1 && usize::from(last.saturating_sub(*first)) + 1 == sorted.len() =>
        {
            format!("{first}-{last}")
        }
        _ => sorted
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Days from today (UTC) to an expiry, negative once it has passed.
pub fn days_left(expires_ms: u64, now_ms: u64) -> i64 {
    const DAY: i64 = 86_400_000;
    let today = i64::try_from(now_ms).unwrap_or(i64::MAX).div_euclid(DAY);
    let end = i64::try_from(expires_ms)
        .unwrap_or(i64::MAX)
        .div_euclid(DAY);
    end - today
}
