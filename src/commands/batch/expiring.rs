//! `renew --expiring-within DAYS`: the nightly job in one command (CLI.md section 1). The
//! account's subscriptions are listed as `subscriptions --expiring-within DAYS` lists them,
//! and each is renewed as a batch row, with every rule of the batch. The listing gives each
//! PBX's plan and end, so the check phase asks the portal nothing more per PBX.

use crate::portal_clock::EpochClock as _;
use anyhow::Result;
use serde_json::Value;
use yeastar_partner::Operation;

use super::input::{Parsed, Row};
use crate::cli::OrderArgs;
use crate::commands::subscriptions::{self, MAX_PAGES};
use crate::context::Context;
use crate::error::{ExitStatus, Failure, Kind};

/// Subscriptions that ended longer ago than this many days are left out unless
/// `--include-expired`.
const ENDED_LONG_AGO: i64 = 30;

/// The outcome of a subscription that renews by itself.
pub const RENEWS_AUTOMATICALLY: &str = "renews automatically";

/// What `renew --expiring-within` does with one listed subscription.
#[derive(Debug, PartialEq, Eq)]
pub enum Pick {
    Renew,
    /// Reported as `renews automatically`, not renewed.
    Automatic,
    /// Not in the run: it ends later, ended long ago, or its end is not known.
    Out,
}

/// The rule of CLI.md section 1 for one subscription.
pub fn pick(
    days_left: Option<i64>,
    auto_renew: Option<bool>,
    within: u32,
    include_expired: bool,
    include_auto_renew: bool,
) -> Pick {
    let Some(days) = days_left else {
        return Pick::Out;
    };
    if days > i64::from(within) || (days < -ENDED_LONG_AGO && !include_expired) {
        return Pick::Out;
    }
    if auto_renew == Some(true) && !include_auto_renew {
        return Pick::Automatic;
    }
    Pick::Renew
}

pub struct Expiring {
    pub within: u32,
    pub include_expired: bool,
    pub include_auto_renew: bool,
}

pub async fn run(ctx: &Context, args: OrderArgs, expiring: Expiring) -> Result<ExitStatus> {
    // What the batch would refuse after the listing is said before it.
    if args.billing_contact.is_none() {
        return Err(Failure::usage(
            "renew --expiring-within needs --billing-contact (the contact every renewal is billed to); nothing was sent.",
        )
        .hint("`linkus billing-contacts` lists them.")
        .into());
    }
    super::refuse_without_yes(&ctx.settings, &args)?;
    let client = ctx.client()?;
    let now_ms = ctx.clock.now_ms();
    let listing = subscriptions::read_all(&ctx.settings, &ctx.out, &client, now_ms).await?;
    if let Some(pages) = listing.cut_at {
        return Err(Failure::new(
            Kind::Network,
            format!(
                "Only part of the account could be listed (the portal says {pages} pages; linkus reads at most {MAX_PAGES}); nothing was sent."
            ),
        )
        .hint("Renew from a file instead: `linkus renew --from FILE`.")
        .into());
    }
    let mut listed = listing.rows;
    subscriptions::sort(&mut listed);
    let unknown = listed.iter().filter(|r| r.days_left.is_none()).count();
    if unknown > 0 {
        ctx.out.warn(&format!(
            "{unknown} PBX{} whose end date the portal does not give {} left out.",
            if unknown == 1 { "" } else { "s" },
            if unknown == 1 { "is" } else { "are" },
        ));
    }

    let mut parsed = Parsed {
        header: [
            "productNo",
            "planId",
            "planName",
            "status",
            "expires",
            "daysLeft",
            "autoRenew",
        ]
        .map(str::to_owned)
        .to_vec(),
        ..Parsed::default()
    };
    let mut automatic = Vec::new();
    for row in listed {
        let decision = pick(
            row.days_left,
            row.auto_renew,
            expiring.within,
            expiring.include_expired,
            expiring.include_auto_renew,
        );
        if decision == Pick::Out {
            continue;
        }
        let index = parsed.rows.len() + automatic.len();
        let columns = vec![
            ("productNo".to_owned(), Value::from(row.product_no.clone())),
            (
                "planId".to_owned(),
                row.plan_id
                    .map(|id| Value::from(id.to_string()))
                    .unwrap_or(Value::Null),
            ),
            ("planName".to_owned(), Value::from(row.plan_name.clone())),
            (
                "status".to_owned(),
                row.status.clone().map(Value::from).unwrap_or(Value::Null),
            ),
            (
                "expires".to_owned(),
                row.expires.clone().map(Value::from).unwrap_or(Value::Null),
            ),
            (
                "daysLeft".to_owned(),
                row.days_left.map(Value::from).unwrap_or(Value::Null),
            ),
            (
                "autoRenew".to_owned(),
                row.auto_renew.map(Value::from).unwrap_or(Value::Null),
            ),
        ];
        let row_in = Row {
            index,
            // The place in the listing, soonest first: what the summary and table call a line.
            line: index + 1,
            sn: row.product_no.clone(),
            plan: None,
            billing_contact: None,
            years: None,
            po_number: None,
            columns,
            // Without a plan in the listing, the row asks the portal as a file's row would.
            listed: row.plan_id.is_some().then(|| Box::new(row.subscription)),
        };
        if decision == Pick::Automatic {
            let message = format!(
                "renews automatically{}; --include-auto-renew renews it now",
                row.expires
                    .map(|date| format!(" on {date}"))
                    .unwrap_or_default()
            );
            automatic.push(super::buy::result(
                &row_in,
                RENEWS_AUTOMATICALLY,
                None,
                None,
                message,
                None,
            ));
        } else {
            parsed.rows.push(row_in);
        }
    }
    let source = format!("the subscriptions ending within {} days", expiring.within);
    if parsed.rows.is_empty() {
        ctx.out.status(&format!(
            "Nothing to renew: no subscription without automatic renewal ends within {} days.",
            expiring.within
        ));
        return super::ended_without_orders(
            &ctx.out,
            args.batch.results.as_deref(),
            &parsed.header,
            automatic,
        );
    }
    super::run_rows(ctx, Operation::Renew, args, &source, parsed, automatic).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_renew_expiring_within_takes() {
        let take = |days, auto| pick(days, auto, 30, false, false);
        assert_eq!(take(Some(30), Some(false)), Pick::Renew);
        assert_eq!(take(Some(31), Some(false)), Pick::Out);
        assert_eq!(take(Some(-30), None), Pick::Renew);
        assert_eq!(take(Some(-31), Some(false)), Pick::Out, "ended long ago");
        assert_eq!(pick(Some(-400), Some(false), 30, true, false), Pick::Renew);
        assert_eq!(take(Some(3), Some(true)), Pick::Automatic);
        assert_eq!(pick(Some(3), Some(true), 30, false, true), Pick::Renew);
        assert_eq!(take(None, Some(false)), Pick::Out, "end unknown");
        assert_eq!(pick(Some(-31), Some(true), 30, false, false), Pick::Out);
    }
}
