//! `linkus subscriptions`: the account's PBXs with Linkus Cloud Service, soonest expiry first.
//!
//! The whole account comes from paging Query Product List (100 PBXs a page, six pages at a
//! time); one PBX (`--sn`) from Get Product Details, one request whatever the account's size.
//! Nothing is left out silently: a listing cut short by [`MAX_PAGES`] is printed with a
//! warning and exits 6, so that `subscriptions --expiring-within 30 --json | linkus renew
//! --from -` under `set -o pipefail` notices.

use crate::context::Settings;
use crate::output::Output;
use crate::portal_clock::EpochClock as _;
use std::collections::HashSet;

use anyhow::{Context as _, Result};
use serde::Serialize;
use yeastar_partner::{PlanId, Subscription, SubscriptionCheck, LINKUS_PRODUCT_ID};

use crate::cli::SubscriptionsArgs;
use crate::commands::order_flow::days_left;
use crate::commands::order_flow::{plan_label, spinner_allowed};
use crate::context::Context;
use crate::error::{ExitStatus, Failure, Kind};
use crate::output::format_date_ms;
use crate::prompt::PageProgress;

/// The most pages read: 100,000 PBXs. A portal that claims more is not believed to the end.
pub const MAX_PAGES: u64 = 1_000;

/// PBXs a page of the product list holds.
const PAGE_SIZE: u64 = 100;

/// Below this many pages (one concurrent batch) no progress line is drawn.
const QUIET_PAGES: u64 = 6;

/// One row of `subscriptions --json` (CLI.md section 5); `productNo` is what
/// `linkus renew --from -` reads.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Row {
    pub product_no: String,
    pub plan_id: Option<PlanId>,
    pub plan_name: String,
    pub status: Option<String>,
    /// `YYYY-MM-DD` (UTC).
    pub expires: Option<String>,
    pub days_left: Option<i64>,
    pub auto_renew: Option<bool>,
    #[serde(skip)]
    expires_ms: Option<u64>,
    /// The portal's item, for `renew --expiring-within` (whose check phase needs no other).
    #[serde(skip)]
    pub subscription: Subscription,
}

impl Row {
    fn new(sn: String, subscription: &Subscription, now_ms: u64) -> Self {
        Row {
            product_no: sn,
            plan_id: subscription.plan_id,
            plan_name: plan_label(subscription),
            status: subscription
                .status
                .clone()
                .filter(|status| !status.trim().is_empty()),
            expires: subscription
                .expires
                .map(crate::portal_clock::epoch_ms)
                .map(format_date_ms),
            days_left: subscription
                .expires
                .map(crate::portal_clock::epoch_ms)
                .map(|ms| days_left(ms, now_ms)),
            auto_renew: subscription.auto_renew,
            expires_ms: subscription.expires.map(crate::portal_clock::epoch_ms),
            subscription: subscription.clone(),
        }
    }
}

/// What was read, and what a reader must be told about it.
pub(crate) struct Listing {
    pub rows: Vec<Row>,
    /// Pages the portal said there were, when more than [`MAX_PAGES`].
    pub cut_at: Option<u64>,
    /// The portal's own count of PBXs, when it gave one.
    pub total: Option<u64>,
    /// Items of the list without an SN: they cannot be shown or renewed.
    pub without_sn: usize,
}

pub async fn run(ctx: &Context, args: SubscriptionsArgs) -> Result<ExitStatus> {
    let client = ctx.client()?;
    let now_ms = ctx.clock.now_ms();
    let listing = match &args.sn {
        Some(sn) => {
            let check = client
                .subscription(LINKUS_PRODUCT_ID, sn)
                .await
                .with_context(|| format!("Could not read the subscription of SN {sn}"))?;
            let rows = match check {
                SubscriptionCheck::Subscribed(subscription) => {
                    vec![Row::new(sn.clone(), &subscription, now_ms)]
                }
                SubscriptionCheck::NotSubscribed => Vec::new(),
            };
            Listing {
                rows,
                cut_at: None,
                total: None,
                without_sn: 0,
            }
        }
        None => read_all(&ctx.settings, &ctx.out, &client, now_ms).await?,
    };

    let mut rows = listing.rows;
    sort(&mut rows);
    let listed = rows.len();
    let mut end_unknown = 0;
    if let Some(within) = args.expiring_within {
        end_unknown = rows.iter().filter(|r| r.days_left.is_none()).count();
        rows.retain(|row| row.days_left.is_some_and(|days| days <= i64::from(within)));
    }

    if ctx.out.is_json() {
        ctx.out.json(&rows)?;
    } else if ctx.out.is_quiet() {
        ctx.out.lines(rows.iter().map(|row| &row.product_no))?;
    } else if rows.is_empty() {
        ctx.out.status(&nothing_to_show(&args, listed));
    } else {
        let table = ctx.out.table_fit(
            &["SN", "Plan", "Status", "Expires", "Days left", "Auto-renew"],
            rows.iter().map(table_row).collect(),
            &["Status"],
        );
        ctx.out.print(&table)?;
        ctx.out.status(&count_line(&args, rows.len(), listed));
    }

    if end_unknown > 0 {
        ctx.out.warn(&format!(
            "{end_unknown} PBX{} whose end date the portal does not give {} not shown.",
            if end_unknown == 1 { "" } else { "s" },
            if end_unknown == 1 { "is" } else { "are" },
        ));
    }
    if listing.without_sn > 0 {
        ctx.out.warn(&format!(
            "{} item{} of the portal's product list had no SN and {} not shown.",
            listing.without_sn,
            if listing.without_sn == 1 { "" } else { "s" },
            if listing.without_sn == 1 { "is" } else { "are" },
        ));
    }
    if let (Some(total), None) = (listing.total, listing.cut_at) {
        let read = listed + listing.without_sn;
        if args.sn.is_none() && (read as u64) < total {
            ctx.out.warn(&format!(
                "the portal counts {total} PBXs but listed {read}; the list may have changed while it was read. Run the command again to be sure."
            ));
        }
    }
    if let Some(pages) = listing.cut_at {
        let total = listing
            .total
            .map(|t| format!("{t} PBXs on {pages} pages"))
            .unwrap_or_else(|| format!("{pages} pages of PBXs"));
        crate::error::report(&ctx.out,
            Failure::new(
                Kind::Network,
                format!(
                    "Only part of the account was listed: the portal says it has {total}, and linkus reads at most {MAX_PAGES} pages ({} PBXs).",
                    MAX_PAGES * PAGE_SIZE
                ),
            )
            .hint("A PBX that is not listed may end sooner than those shown; `linkus subscriptions --sn SN` reads any one PBX."),
        );
        return Ok(ExitStatus::Failed(Kind::Network));
    }
    Ok(ExitStatus::Success)
}

/// Soonest end first; an unknown end last; then by SN, so that the order is stable.
pub(crate) fn sort(rows: &mut [Row]) {
    rows.sort_by(|a, b| {
        (a.expires_ms.is_none(), a.expires_ms, &a.product_no).cmp(&(
            b.expires_ms.is_none(),
            b.expires_ms,
            &b.product_no,
        ))
    });
}

/// Every page of the product list, [`MAX_PAGES`] at most, with a progress line on a terminal.
pub(crate) async fn read_all(
    settings: &Settings,
    out: &Output,
    client: &yeastar_partner::Client,
    now_ms: u64,
) -> Result<Listing> {
    let progress = PageProgress::new(
        spinner_allowed(settings, out),
        QUIET_PAGES,
        "Reading the account's PBXs",
    );
    let page = client
        .subscriptions_with_progress(LINKUS_PRODUCT_ID, MAX_PAGES, |done, total| {
            progress.set(done, total)
        })
        .await
        .context("Could not list the account's PBXs")?;
    drop(progress);
    let cut_at = (page.total_pages > MAX_PAGES).then_some(page.total_pages);
    let mut seen = HashSet::new();
    let mut rows = Vec::with_capacity(page.items.len());
    let mut without_sn = 0;
    for item in &page.items {
        let Some(sn) = item
            .product_no
            .as_deref()
            .map(str::trim)
            .filter(|sn| !sn.is_empty())
        else {
            without_sn += 1;
            continue;
        };
        // A PBX seen twice (the list moved while its pages were read) is one PBX.
        if seen.insert(sn.to_ascii_uppercase()) {
            rows.push(Row::new(sn.to_owned(), item, now_ms));
        }
    }
    Ok(Listing {
        rows,
        cut_at,
        total: page.total,
        without_sn,
    })
}

fn table_row(row: &Row) -> Vec<String> {
    vec![
        row.product_no.clone(),
        row.plan_name.clone(),
        row.status.clone().unwrap_or_default(),
        row.expires.clone().unwrap_or_else(|| "unknown".to_owned()),
        row.days_left.map(|d| d.to_string()).unwrap_or_default(),
        match row.auto_renew {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        }
        .to_owned(),
    ]
}

fn nothing_to_show(args: &SubscriptionsArgs, listed: usize) -> String {
    match (&args.sn, args.expiring_within) {
        (Some(sn), None) => format!("PBX {sn} has no Linkus Cloud Service."),
        (Some(sn), Some(days)) if listed > 0 => {
            format!("The subscription of PBX {sn} does not end within {days} days.")
        }
        (Some(sn), Some(_)) => format!("PBX {sn} has no Linkus Cloud Service."),
        (None, Some(days)) if listed > 0 => format!(
            "None of the account's {listed} Linkus Cloud Service subscriptions ends within {days} days."
        ),
        (None, _) => "No PBX of the account has Linkus Cloud Service.".to_owned(),
    }
}

fn count_line(args: &SubscriptionsArgs, shown: usize, listed: usize) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    match args.expiring_within {
        Some(days) => format!(
            "{shown} of {listed} subscription{} end{} within {days} days (or ended).",
            plural(listed),
            if shown == 1 { "s" } else { "" }
        ),
        None => format!("{shown} PBX{} with Linkus Cloud Service.", plural(shown)),
    }
}
