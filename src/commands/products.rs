//! `linkus products --sn SN`: the PBX's current subscription, and the plans that can be bought
//! for it with their list prices.

use crate::portal_clock::EpochClock as _;
use anyhow::{Context as _, Result};
use serde::Serialize;
use yeastar_partner::{Client, Plan, PlanId, PriceList, Subscription, SubscriptionCheck};

use crate::cli::ProductsArgs;
use crate::commands::autorenew::CANCEL_AUTO_RENEW;
use crate::commands::purchase::plan_label;
use crate::context::Context;
use crate::error::ExitStatus;
use crate::output::format_date_ms;
use crate::quote::{amount_text, Offerings};

/// A price in our own output: a decimal string and its currency.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceOut {
    pub amount: String,
    pub currency: String,
    pub per: &'static str,
}

/// A plan in our own output (CLI.md section 5): IDs as strings.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanOut<'a> {
    pub plan_id: PlanId,
    pub name: &'a str,
    pub purchase_type: Option<&'a str>,
    pub billing_model: Option<&'a str>,
    pub billing_cycle: Option<&'a str>,
    pub years: Vec<u8>,
    pub price: Option<PriceOut>,
}

/// A PBX's subscription in our own output.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionOut {
    pub plan_id: Option<PlanId>,
    pub plan_name: String,
    /// `YYYY-MM-DD` (UTC).
    pub expires: Option<String>,
    pub status: Option<String>,
    pub auto_renew: Option<bool>,
}

impl SubscriptionOut {
    pub fn new(subscription: &Subscription) -> Self {
        SubscriptionOut {
            plan_id: subscription.plan_id,
            plan_name: plan_label(subscription),
            expires: subscription
                .expires
                .map(crate::portal_clock::epoch_ms)
                .map(format_date_ms),
            status: subscription.status.clone(),
            auto_renew: subscription.auto_renew,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProductsOut<'a> {
    product_id: u64,
    product_no: &'a str,
    subscription: Option<SubscriptionOut>,
    plans: Vec<PlanOut<'a>>,
    services: &'a [yeastar_partner::Json],
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

/// The price list of an offering, with the offering remembered for the next run.
pub async fn prices_of(
    ctx: &Context,
    client: &Client,
    product_id: u64,
    offering: Option<&str>,
) -> Option<Result<PriceList, yeastar_partner::Error>> {
    let offering = offering?;
    Offerings::new(&ctx.dirs.cache).remember(&ctx.portal_label(), product_id, offering);
    Some(client.prices(product_id, offering, "annually").await)
}

pub async fn run(ctx: &Context, args: ProductsArgs) -> Result<ExitStatus> {
    let client = ctx.client()?;
    if ctx.out.is_quiet() {
        // Plan IDs only: the one request that has them.
        let offer = client
            .offer(args.product_id, &args.sn)
            .await
            .with_context(|| format!("Could not list the plans for SN {}", args.sn))?;
        if let Some(offering) = &offer.offering_id {
            Offerings::new(&ctx.dirs.cache).remember(
                &ctx.portal_label(),
                args.product_id,
                offering,
            );
        }
        ctx.out.lines(offer.plans.iter().map(|p| p.plan_id))?;
        return Ok(ExitStatus::Success);
    }
    let offerings = Offerings::new(&ctx.dirs.cache);
    let remembered = offerings.get(&ctx.portal_label(), args.product_id);
    let (offer, subscription, early_prices) = tokio::join!(
        client.offer(args.product_id, &args.sn),
        client.subscription(args.product_id, &args.sn),
        async {
            match &remembered {
                Some(offering) => Some(client.prices(args.product_id, offering, "annually").await),
                None => None,
            }
        }
    );
    let offer = offer.with_context(|| format!("Could not list the plans for SN {}", args.sn))?;
    let prices = match (&offer.offering_id, early_prices) {
        (Some(offering), prices)
            if remembered.as_ref() != Some(offering) || !matches!(prices, Some(Ok(_))) =>
        {
            prices_of(ctx, &client, args.product_id, Some(offering)).await
        }
        (_, prices) => prices,
    };
    // A subscription that could not be read is unknown, never "none".
    let mut unknown = false;
    let prices = crate::quote::usable_prices(&ctx.out, &args.sn, prices);
    let subscription = match subscription {
        Ok(SubscriptionCheck::Subscribed(subscription)) => Some(subscription),
        Ok(SubscriptionCheck::NotSubscribed) => None,
        Err(error) => {
            ctx.out
                .warn(&format!("could not read the current subscription: {error}"));
            unknown = true;
            None
        }
    };
    let price_of = |plan: &Plan| {
        prices
            .as_ref()
            .and_then(|p| p.for_plan(plan.plan_id, &plan.plan_name))
            .cloned()
    };
    if ctx.out.is_json() {
        ctx.out.json(&ProductsOut {
            product_id: offer.product_id,
            product_no: &offer.product_no,
            subscription: subscription.as_ref().map(SubscriptionOut::new),
            plans: offer
                .plans
                .iter()
                .map(|plan| PlanOut {
                    plan_id: plan.plan_id,
                    name: &plan.plan_name,
                    purchase_type: plan.purchase_type.as_deref(),
                    billing_model: plan.billing_model.as_deref(),
                    billing_cycle: plan.billing_cycle.as_deref(),
                    years: plan.years(),
                    price: price_of(plan).map(|money| PriceOut {
                        amount: amount_text(&money),
                        currency: money.currency,
                        per: "year",
                    }),
                })
                .collect(),
            services: &offer.services,
        })?;
        return Ok(ExitStatus::Success);
    }
    let now_ms = ctx.clock.now_ms();
    let mut text = String::new();
    match &subscription {
        Some(current) => {
            let expiry = match current.expires.map(crate::portal_clock::epoch_ms) {
                Some(ms) => {
                    let days = days_left(ms, now_ms);
                    let left = if days >= 0 {
                        format!("{days} day{} left", if days == 1 { "" } else { "s" })
                    } else {
                        format!(
                            "ended {} day{} ago",
                            -days,
                            if days == -1 { "" } else { "s" }
                        )
                    };
                    format!("until {} ({left})", format_date_ms(ms))
                }
                None => "end date unknown".to_owned(),
            };
            let renews = match current.auto_renew {
                Some(true) => format!("Auto-renewal: on (turn off: {CANCEL_AUTO_RENEW}).\n"),
                Some(false) => format!(
                    "Auto-renewal: off; `linkus autorenew enable --sn {}` turns it on.\n",
                    args.sn
                ),
                None => String::new(),
            };
            text.push_str(&format!(
                "PBX {} has {} {expiry}.\n{renews}\n",
                args.sn,
                plan_label(current)
            ));
        }
        None if unknown => text.push_str(&format!(
            "Whether PBX {} has Linkus Cloud Service is unknown: the portal did not say.\n\n",
            args.sn
        )),
        None => text.push_str(&format!(
            "PBX {} has no Linkus Cloud Service yet.\n\n",
            args.sn
        )),
    }
    if offer.plans.is_empty() {
        ctx.out.print(&text)?;
        ctx.out
            .status(&format!("The portal offers no plans for SN {}.", args.sn));
        return Ok(ExitStatus::Success);
    }
    let rows = offer
        .plans
        .iter()
        .map(|plan| {
            vec![
                plan.plan_id.to_string(),
                plan.plan_name.clone(),
                price_of(plan)
                    .map(|m| format!("{m} a year"))
                    .unwrap_or_else(|| "unknown".to_owned()),
                plan.purchase_type.clone().unwrap_or_default(),
                [plan.billing_model.as_deref(), plan.billing_cycle.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", "),
                years_text(&plan.years()),
            ]
        })
        .collect();
    let table = ctx.out.table_fit(
        &["Plan ID", "Name", "List price", "Type", "Billing", "Years"],
        rows,
        &["Type", "Billing"],
    );
    if ctx.out.stdout_is_terminal {
        text.push_str(&table);
        ctx.out.print(&text)?;
    } else {
        // Piped: the rows alone, for scripts; the subscription goes to stderr.
        ctx.out.status(text.trim_end());
        ctx.out.print(&table)?;
    }
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_read_naturally() {
        assert_eq!(years_text(&[1, 2, 3, 4, 5]), "1-5");
        assert_eq!(years_text(&[1, 3]), "1, 3");
        assert_eq!(years_text(&[2]), "2");
        // Out of order, from the portal: never an underflow.
        assert_eq!(years_text(&[5, 1, 3, 2, 4]), "1-5");
        assert_eq!(years_text(&[3, 1]), "1, 3");
        assert_eq!(years_text(&[]), "");
    }

    #[test]
    fn days_left_count_whole_utc_days() {
        let day = 86_400_000;
        let now = 1_800_000_000_000;
        assert_eq!(days_left(now + 20 * day, now), 20);
        assert_eq!(days_left(now - 2 * day, now), -2);
    }
}
