//! `linkus purchase`: resolve what to buy, show it, ask, and send the order at most once.
//!
//! The flow (CLI.md section 3): fetch plans, billing contacts and the PBX's subscriptions
//! concurrently; resolve flags or ask the wizard; show the summary and the replay command;
//! stop for `--dry-run`; confirm; write the journal's intent; send the order once; record and
//! print the outcome. Every failure after the order left the machine is "outcome unknown".

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::cli::{parse_sn, PurchaseArgs};
use crate::commands::products::years_text;
use crate::context::Context;
use crate::error::{Failure, Kind};
use crate::journal::{self, Entry, Intent, Journal, Outcome};
use crate::output::{format_date_ms, shell_quote};
use crate::portal::envelope;
use crate::portal::types::{
    decode, settlement, BillingContact, OrderRequest, OrderResult, Plan, ProductInstance,
    Settlement, LINKUS_PRODUCT_ID,
};
use crate::portal::{Id, OrderSend, Portal, PortalError, ORDER_PATH};
use crate::prompt::{self, Spinner};

/// What was chosen, after flags and prompts.
struct Choice<'a> {
    sn: String,
    plan: &'a Plan,
    contact: &'a BillingContact,
    years: u8,
    po_number: Option<String>,
}

/// What the portal offers for the PBX, fetched before anything is chosen.
struct Catalog {
    plans: Vec<Plan>,
    contacts: Vec<BillingContact>,
}

pub async fn run(ctx: &Context, args: PurchaseArgs) -> Result<()> {
    check_flags_without_prompts(ctx, &args)?;
    let sn = match &args.sn {
        Some(sn) => sn.clone(),
        None => prompt::text(
            "PBX serial number (Resource Monitor > Information)",
            |value| parse_sn(value).map(drop),
        )?,
    };
    let portal = ctx.portal()?;
    let catalog = look_up(ctx, &portal, &sn).await?;
    let choice = choose(ctx, &args, sn, &catalog)?;
    let body = OrderRequest::linkus_purchase(
        &choice.sn,
        choice.plan.plan_id,
        choice.contact.billing_contact_id,
        choice.years,
        choice.po_number.clone(),
    )
    .to_json();

    // The token is in memory by now: reading its claims costs no request.
    let account = portal.token().await.ok().and_then(|token| token.account());
    // The summary is what a person confirms: shown even with --quiet when they will be asked.
    if !ctx.out.is_quiet() || (ctx.interactive && !args.yes && !args.dry_run) {
        crate::output::stderr(&summary(ctx, &choice, account.as_deref()));
    }
    if args.dry_run {
        return print_dry_run(ctx, &body);
    }
    if !args.yes && !prompt::confirm("Place this order?", false)? {
        return Err(Failure::new(Kind::Cancelled, "Declined; nothing was bought.").into());
    }
    place(ctx, &portal, &choice, body).await
}

/// Plans, billing contacts and the PBX's subscriptions, concurrently: one round trip.
async fn look_up(ctx: &Context, portal: &Portal, sn: &str) -> Result<Catalog> {
    let spinner = Spinner::start(
        ctx.out.stderr_is_terminal && !ctx.out.is_quiet() && ctx.global.verbose == 0,
        "Fetching plans and billing contacts…",
    );
    let (offer, contacts, subscriptions) = tokio::join!(
        portal.offer(sn, LINKUS_PRODUCT_ID),
        portal.billing_contacts(),
        portal.linkus_instances(),
    );
    drop(spinner);
    let offer = offer.with_context(|| format!("Could not list the plans for SN {sn}"))?;
    let contacts = contacts.context("Could not list the billing contacts")?;
    match subscriptions {
        Ok(subscriptions) => refuse_if_subscribed(sn, &subscriptions)?,
        Err(error) => ctx.out.warn(&format!(
            "could not check whether SN {sn} already has Linkus Cloud Service ({error}); the portal will decide."
        )),
    }
    let plans: Vec<Plan> = offer
        .plans
        .into_iter()
        .filter(Plan::is_purchasable)
        .collect();
    if plans.is_empty() {
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
    Ok(Catalog { plans, contacts })
}

/// Resolves each flag against the catalog, and asks the wizard for what is missing.
fn choose<'a>(
    ctx: &Context,
    args: &PurchaseArgs,
    sn: String,
    catalog: &'a Catalog,
) -> Result<Choice<'a>> {
    let wizard = args.sn.is_none()
        || args.plan.is_none()
        || args.billing_contact.is_none()
        || args.years.is_none();
    let plans: Vec<&Plan> = catalog.plans.iter().collect();
    let plan = match &args.plan {
        Some(value) => resolve_plan(&plans, value, &sn)?,
        None => {
            let items: Vec<String> = plans
                .iter()
                .map(|p| format!("{}  ({})", p.plan_name, p.plan_id))
                .collect();
            plans[prompt::select("Plan", &items, 0)?]
        }
    };
    let contacts = &catalog.contacts;
    let contact = match &args.billing_contact {
        Some(value) => resolve_contact(contacts, value)?,
        None => {
            let items: Vec<String> = contacts.iter().map(contact_label).collect();
            &contacts[prompt::select("Billing contact", &items, 0)?]
        }
    };
    let allowed = plan.years();
    let years = match args.years {
        Some(years) if allowed.contains(&years) => years,
        Some(years) => {
            return Err(Failure::usage(format!(
                "{} cannot be bought for {years} years.",
                plan.plan_name
            ))
            .hint(format!("Choose --years {}.", years_text(&allowed)))
            .into())
        }
        None => {
            let items: Vec<String> = allowed
                .iter()
                .map(|y| format!("{y} year{}", if *y == 1 { "" } else { "s" }))
                .collect();
            allowed[prompt::select("Years (billed annually)", &items, 0)?]
        }
    };
    let po_number = match &args.po_number {
        Some(po) => Some(po.trim().to_owned()).filter(|po| !po.is_empty()),
        None if wizard && ctx.interactive => prompt::optional_text("PO number (optional)")?,
        None => None,
    };
    Ok(Choice {
        sn,
        plan,
        contact,
        years,
        po_number,
    })
}

/// Journals the intent, sends the order once, journals and reports what came of it.
async fn place(ctx: &Context, portal: &Portal, choice: &Choice<'_>, body: Vec<u8>) -> Result<()> {
    let journal = Journal::new(ctx.dirs.journal_file());
    let intent = Intent {
        id: journal::new_id(),
        time: journal::now_rfc3339(),
        profile: ctx.profile().to_owned(),
        base_url: ctx.portal_label(),
        sn: choice.sn.clone(),
        plan_id: choice.plan.plan_id,
        plan_name: choice.plan.plan_name.clone(),
        billing_contact_id: choice.contact.billing_contact_id,
        years: choice.years,
        po_number: choice.po_number.clone(),
    };
    journal.append(&Entry::Intent(intent.clone())).map_err(|error| {
        anyhow::Error::from(
            Failure::new(
                Kind::Config,
                format!(
                    "Could not record the order in the journal {}, so it was not sent: {error:#}",
                    journal.path().display()
                ),
            )
            .hint("Make the data folder writable (or set LINKUS_DATA_DIR), then run the command again; nothing was bought."),
        )
    })?;

    journal::mark_in_flight(&journal, &intent.id, &choice.sn);
    let sent = portal.create_order(body).await;
    journal::clear_in_flight();

    let record = |outcome: &str, result: Option<&OrderResult>, request_id: Option<&str>| {
        // The order's fate is decided; a journal that fails now must not hide it.
        let _ = journal.append(&Entry::Outcome(Outcome {
            id: intent.id.clone(),
            time: journal::now_rfc3339(),
            outcome: outcome.to_owned(),
            order_no: result.and_then(|r| r.order_no.clone()),
            order_status: result.and_then(|r| r.order_status.clone()),
            request_id: request_id.map(str::to_owned),
        }));
    };
    match judge(sent) {
        Verdict::Created { result, request_id } => {
            let status = result
                .order_status
                .clone()
                .unwrap_or_else(|| "unknown".to_owned());
            record(
                &journal::outcome_of(&status),
                Some(&result),
                request_id.as_deref(),
            );
            report_created(ctx, &choice.sn, result, request_id, settlement(&status))
        }
        Verdict::NotSent(error) => {
            record("not_sent", None, None);
            Err(anyhow::Error::from(error).context(format!(
                "The order for SN {} was not sent; nothing was bought",
                choice.sn
            )))
        }
        Verdict::Rejected(error) => {
            record("rejected", None, error.request_id());
            Err(anyhow::Error::from(error).context(format!(
                "The portal refused the order for SN {}; nothing was bought",
                choice.sn
            )))
        }
        Verdict::Unknown {
            reason,
            request_id,
            http_status,
            portal_code,
        } => {
            record(journal::UNKNOWN, None, request_id.as_deref());
            let mut failure = outcome_unknown(&choice.sn, &intent.time, &reason);
            failure.request_id = request_id;
            failure.http_status = http_status;
            failure.portal_code = portal_code;
            Err(failure.into())
        }
    }
}

/// Without prompts, every missing value is named at once, before anything is sent.
fn check_flags_without_prompts(ctx: &Context, args: &PurchaseArgs) -> Result<()> {
    if ctx.interactive {
        return Ok(());
    }
    let mut missing: Vec<&str> = [
        ("--sn", args.sn.is_none()),
        ("--plan", args.plan.is_none()),
        ("--billing-contact", args.billing_contact.is_none()),
        ("--years", args.years.is_none()),
    ]
    .into_iter()
    .filter_map(|(flag, absent)| absent.then_some(flag))
    .collect();
    if !args.yes && !args.dry_run {
        missing.push("--yes");
    }
    if missing.is_empty() {
        return Ok(());
    }
    let mut failure = Failure::usage(format!(
        "Prompts are off ({}), so linkus needs {}.",
        ctx.prompts_off_reason(),
        missing.join(", ")
    ));
    if missing.contains(&"--yes") {
        failure = failure.hint(
            "--yes confirms the purchase; without it nothing is bought. --dry-run shows the order without buying.",
        );
    }
    if missing.len() > 1 || !missing.contains(&"--yes") {
        failure = failure.hint(
            "`linkus products --sn SN` lists the plans and `linkus billing-contacts` the contacts.",
        );
    }
    Err(failure.into())
}

fn normalize(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn plan_choices(plans: &[&Plan]) -> String {
    plans
        .iter()
        .map(|p| format!("{} ({})", p.plan_id, p.plan_name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A plan ID, or a plan name matched case-insensitively; anything else lists the choices.
fn resolve_plan<'a>(plans: &[&'a Plan], value: &str, sn: &str) -> Result<&'a Plan> {
    let by_id = value.parse::<Id>().ok();
    let matches: Vec<&Plan> = plans
        .iter()
        .copied()
        .filter(|plan| match by_id {
            Some(id) => plan.plan_id == id,
            None => normalize(&plan.plan_name) == normalize(value),
        })
        .collect();
    match matches.as_slice() {
        [plan] => Ok(plan),
        [] => Err(
            Failure::usage(format!("No plan {value:?} can be bought for SN {sn}."))
                .hint(format!("Choose --plan from: {}.", plan_choices(plans)))
                .into(),
        ),
        several => Err(
            Failure::usage(format!("The plan name {value:?} matches several plans."))
                .hint(format!("Use the plan ID: {}.", plan_choices(several)))
                .into(),
        ),
    }
}

fn contact_label(contact: &BillingContact) -> String {
    format!("{}  ({})", contact.label(), contact.billing_contact_id)
}

/// A billing contact ID, or its e-mail address (case-insensitive).
fn resolve_contact<'a>(contacts: &'a [BillingContact], value: &str) -> Result<&'a BillingContact> {
    let value = value.trim();
    let by_id = value.parse::<Id>().ok();
    let matches: Vec<&BillingContact> = contacts
        .iter()
        .filter(|c| match by_id {
            Some(id) => c.billing_contact_id == id,
            None => c.email().eq_ignore_ascii_case(value),
        })
        .collect();
    let choices = || {
        contacts
            .iter()
            .map(|c| format!("{} ({})", c.billing_contact_id, c.email()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match matches.as_slice() {
        [contact] => Ok(contact),
        [] => Err(Failure::usage(format!("No billing contact {value:?}."))
            .hint(format!("Choose --billing-contact from: {}.", choices()))
            .into()),
        _ => Err(Failure::usage(format!(
            "Several billing contacts have the e-mail {value:?}."
        ))
        .hint(format!("Use the contact ID: {}.", choices()))
        .into()),
    }
}

/// Refuses a second subscription for a PBX that has an active one (partner-api.md 8.10).
fn refuse_if_subscribed(sn: &str, subscriptions: &[ProductInstance]) -> Result<()> {
    let now_ms = journal_now_ms();
    let active = subscriptions.iter().find(|s| {
        s.product_no
            .as_deref()
            .is_some_and(|no| no.trim().eq_ignore_ascii_case(sn))
            && s.expires_ms().is_none_or(|expires| expires > now_ms)
    });
    let Some(active) = active else {
        return Ok(());
    };
    let plan = active
        .plan_name
        .as_deref()
        .or(active.product_name.as_deref())
        .unwrap_or("Linkus Cloud Service");
    let until = match active.expires_ms() {
        Some(ms) => format!("until {}", format_date_ms(ms)),
        None => "(no end date given)".to_owned(),
    };
    Err(Failure::new(
        Kind::Rejected,
        format!("PBX {sn} already has {plan} {until}; nothing was bought."),
    )
    .hint("To extend or change it, renew or switch the plan in the Partner Portal.")
    .hint(format!("`linkus orders list --sn {sn}` shows its orders."))
    .into())
}

fn journal_now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn summary(ctx: &Context, choice: &Choice, account: Option<&str>) -> String {
    let style = &ctx.out.style;
    let contact = format!(
        "{} ({})",
        choice.contact.label(),
        choice.contact.billing_contact_id
    );
    let charged_to = match account {
        Some(account) => format!("partner account {account}"),
        None => format!("the partner account of profile '{}'", ctx.profile()),
    };
    let rows = [
        ("PBX serial number", choice.sn.clone()),
        (
            "Plan",
            format!("{} ({})", choice.plan.plan_name, choice.plan.plan_id),
        ),
        ("Billing contact", contact),
        (
            "Years",
            format!(
                "{} (billed {})",
                choice.years,
                choice.plan.billing_cycle.as_deref().unwrap_or("annually")
            ),
        ),
        (
            "PO number",
            choice
                .po_number
                .clone()
                .unwrap_or_else(|| "none".to_owned()),
        ),
        ("Charged to", charged_to),
        ("Portal", ctx.portal_label()),
    ];
    let mut text = format!("\n{}\n", style.bold("Order summary"));
    for (label, value) in rows {
        text.push_str(&format!("  {label:<19}{value}\n"));
    }
    text.push_str(&format!(
        "\nTo place the same order from a script:\n  {}\n\n",
        replay_command(ctx, choice)
    ));
    text
}

/// The equivalent non-interactive command line, IDs rather than names so that it is exact.
fn replay_command(ctx: &Context, choice: &Choice) -> String {
    let mut words = vec!["linkus".to_owned()];
    if ctx.global.sandbox {
        words.push("--sandbox".to_owned());
    }
    if ctx.profile() != "default" {
        words.extend(["--profile".to_owned(), ctx.profile().to_owned()]);
    }
    if let (false, Some(url)) = (ctx.global.sandbox, &ctx.global.base_url) {
        words.extend([
            "--base-url".to_owned(),
            url.as_str().trim_end_matches('/').to_owned(),
        ]);
    }
    words.extend([
        "purchase".to_owned(),
        "--sn".to_owned(),
        choice.sn.clone(),
        "--plan".to_owned(),
        choice.plan.plan_id.to_string(),
        "--billing-contact".to_owned(),
        choice.contact.billing_contact_id.to_string(),
        "--years".to_owned(),
        choice.years.to_string(),
    ]);
    if let Some(po) = &choice.po_number {
        words.extend(["--po-number".to_owned(), po.clone()]);
    }
    words.push("--yes".to_owned());
    words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

fn print_dry_run(ctx: &Context, body: &[u8]) -> Result<()> {
    let request: serde_json::Value =
        serde_json::from_slice(body).context("could not re-read the order body")?;
    if ctx.out.is_json() {
        ctx.out
            .json(&serde_json::json!({ "dryRun": true, "request": request }))?;
    } else {
        ctx.out.status(&format!(
            "Dry run: nothing was bought. This body would be sent to POST {ORDER_PATH}:"
        ));
        ctx.out.print(&String::from_utf8_lossy(body))?;
    }
    Ok(())
}

/// What the order request came to.
enum Verdict {
    Created {
        result: OrderResult,
        request_id: Option<String>,
    },
    /// Provably never sent (the connection could not be opened), or stopped before sending.
    NotSent(PortalError),
    /// The portal answered, definitively, that it did not place the order.
    Rejected(PortalError),
    /// Sent, and no definitive answer came back.
    Unknown {
        reason: String,
        request_id: Option<String>,
        http_status: Option<u16>,
        portal_code: Option<String>,
    },
}

fn judge(sent: OrderSend) -> Verdict {
    let response = match sent {
        OrderSend::NotSent(error) => return Verdict::NotSent(error),
        OrderSend::Refused(error) => return Verdict::Rejected(error),
        OrderSend::Unknown(error) => {
            return Verdict::Unknown {
                reason: error.to_string(),
                request_id: None,
                http_status: None,
                portal_code: None,
            }
        }
        OrderSend::Answered(response) => response,
    };
    let endpoint = format!("POST {ORDER_PATH}");
    if response.status >= 500 {
        // Whatever the body says, a server error does not prove the order was not placed.
        let (reason, request_id, portal_code) =
            match envelope::parse(&endpoint, response.status, &response.body) {
                Err(PortalError::Rejected {
                    code,
                    detail,
                    request_id,
                    ..
                }) => (
                    format!(
                        "the portal answered HTTP {}: {detail} ({code})",
                        response.status
                    ),
                    request_id,
                    Some(code),
                ),
                _ => (
                    format!("the portal answered HTTP {}", response.status),
                    None,
                    None,
                ),
            };
        return Verdict::Unknown {
            reason,
            request_id,
            http_status: Some(response.status),
            portal_code,
        };
    }
    match envelope::parse(&endpoint, response.status, &response.body) {
        Ok(reply) => match decode::<OrderResult>(&endpoint, &reply, reply.result.clone()) {
            Ok(result) if result.order_no.as_deref().is_some_and(|n| !n.is_empty()) => {
                Verdict::Created {
                    result,
                    request_id: reply.request_id,
                }
            }
            Ok(_) | Err(_) => Verdict::Unknown {
                reason: "the portal said success but gave no order number".to_owned(),
                request_id: reply.request_id,
                http_status: Some(reply.status),
                portal_code: None,
            },
        },
        Err(error @ PortalError::Rejected { .. }) => Verdict::Rejected(error),
        Err(error) => Verdict::Unknown {
            reason: error.to_string(),
            request_id: error.request_id().map(str::to_owned),
            http_status: error.http_status(),
            portal_code: None,
        },
    }
}

fn outcome_unknown(sn: &str, sent_at: &str, reason: &str) -> Failure {
    Failure::new(
        Kind::OrderUnknown,
        format!(
            "The order for SN {sn} was sent at {sent_at}, but no definitive answer came back ({reason}). It may or may not have been placed."
        ),
    )
    .hint(format!(
        "Do not run the same purchase again yet: check `linkus orders list --sn {sn}` (or `linkus orders reconcile`) first."
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PurchaseOut<'a> {
    order_no: &'a str,
    order_status: &'a str,
    instance_id: Option<&'a str>,
    product_no: &'a str,
    transaction_no: Option<&'a str>,
    request_id: Option<&'a str>,
}

fn report_created(
    ctx: &Context,
    sn: &str,
    result: OrderResult,
    request_id: Option<String>,
    settled: Settlement,
) -> Result<()> {
    let order_no = result.order_no.as_deref().unwrap_or_default();
    let status = result.order_status.as_deref().unwrap_or("unknown");
    let out = PurchaseOut {
        order_no,
        order_status: status,
        instance_id: result.instance_id.as_deref(),
        product_no: result.product_no.as_deref().unwrap_or(sn),
        transaction_no: result.transaction_no.as_deref(),
        request_id: request_id.as_deref(),
    };
    // With --json the document on stdout is the result, except for a failed order, whose
    // error object (printed at the boundary) names the order.
    let json = serde_json::to_value(&out)?;
    if ctx.out.is_json() {
        if settled == Settlement::Succeeded {
            ctx.out.json(&json)?;
        }
    } else if ctx.out.is_quiet() {
        ctx.out.print(order_no)?;
    } else {
        let rows = [
            ("Order number", Some(order_no)),
            ("Status", Some(status)),
            ("PBX SN", Some(out.product_no)),
            ("Instance ID", out.instance_id),
            ("Transaction", out.transaction_no),
            ("Request ID", out.request_id),
        ];
        let text: String = rows
            .iter()
            .filter_map(|(label, value)| value.map(|v| format!("{label:<14}{v}\n")))
            .collect();
        ctx.out.print(&text)?;
    }
    match settled {
        Settlement::Succeeded => {
            ctx.out.status(&format!(
                "Bought: Linkus Cloud Service for PBX {sn}, order {order_no}."
            ));
            Ok(())
        }
        Settlement::Open => {
            let mut failure = Failure::new(
                Kind::OrderIncomplete,
                format!("Order {order_no} was created but is {status}, not paid or not complete yet."),
            )
            .hint("Finish it in the Partner Portal: Orders & Billing > Orders (Pay Now). Do not buy again.")
            .hint(format!("`linkus orders show {order_no}` shows its status."));
            failure.json_result = Some(json);
            Err(failure.into())
        }
        Settlement::Failed => Err(Failure::new(
            Kind::Rejected,
            format!("Order {order_no} was created with status {status}: it did not go through."),
        )
        .hint(format!(
            "See the reason in the Partner Portal (Orders & Billing > Orders) or with `linkus orders show {order_no}`."
        ))
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(id: u64, name: &str) -> Plan {
        Plan {
            plan_id: Id(id),
            plan_name: name.to_owned(),
            purchase_type: Some("purchase".to_owned()),
            billing_model: None,
            billing_cycle: None,
            multi_cycle_list: None,
        }
    }

    #[test]
    fn plans_match_by_id_or_exact_name_only() {
        let basic = plan(3048918321840570368, "Linkus Cloud Service");
        let pro = plan(3048918719332507648, "Linkus Cloud Service Pro");
        let plans = vec![&basic, &pro];
        assert_eq!(
            resolve_plan(&plans, "linkus  cloud SERVICE", "1")
                .unwrap()
                .plan_id,
            basic.plan_id
        );
        assert_eq!(
            resolve_plan(&plans, "3048918719332507648", "1")
                .unwrap()
                .plan_id,
            pro.plan_id
        );
        let unknown = resolve_plan(&plans, "Linkus", "1").unwrap_err();
        let report = crate::error::diagnose(&unknown);
        assert_eq!(report.kind, Kind::Usage);
        assert!(report.hints[0].contains("3048918321840570368 (Linkus Cloud Service)"));

        let twin = plan(1, "Linkus Cloud Service");
        let plans = vec![&basic, &twin];
        let ambiguous =
            crate::error::diagnose(&resolve_plan(&plans, "linkus cloud service", "1").unwrap_err());
        assert!(ambiguous.message.contains("several"));
    }

    #[test]
    fn a_live_subscription_refuses_and_an_expired_one_does_not() {
        let subscription = |sn: &str, expires: Option<u64>| ProductInstance {
            product_no: Some(sn.to_owned()),
            product_name: Some("Linkus Cloud Service".to_owned()),
            plan_name: None,
            expire_time: expires,
        };
        let future = journal_now_ms() + 86_400_000;
        assert!(refuse_if_subscribed("A1", &[subscription("A1", Some(future))]).is_err());
        assert!(refuse_if_subscribed("A1", &[subscription("A1", None)]).is_err());
        assert!(refuse_if_subscribed("A1", &[subscription("A1", Some(1_000))]).is_ok());
        assert!(refuse_if_subscribed("A1", &[subscription("B2", Some(future))]).is_ok());
    }
}
