//! `linkus autorenew enable --sn SN`: the portal's Enable Auto-renewal (partner-api.md 10.10)
//! for the PBX's current Linkus plan. The portal offers no API to switch it off.

/// Where a person switches auto-renewal off: the portal's own page (behind a CAPTCHA).
pub const CANCEL_AUTO_RENEW: &str = "Partner Portal > Plan Details > Cancel Auto Renew";

use crate::portal_clock::EpochClock as _;
use anyhow::{Context as _, Result};
use serde_json::json;
use yeastar_partner::{Client, SubscriptionCheck, LINKUS_PRODUCT_ID};

use crate::cli::AutorenewArgs;
use crate::commands::order_flow::{plan_label, spinner_allowed};
use crate::context::Context;
use crate::error::{ExitStatus, Failure, Kind};
use crate::output::format_date_ms;
use crate::prompt::{self, Spinner};

/// Where auto-renewal is switched off, said after it is switched on.
fn how_to_switch_off() -> String {
    format!("To switch it off: {CANCEL_AUTO_RENEW} (the portal offers no API for that).")
}

pub async fn enable(ctx: &Context, args: AutorenewArgs) -> Result<ExitStatus> {
    let sn = args.sn.as_str();
    if !ctx.settings.interactive() && !args.yes && !args.dry_run {
        return Err(Failure::usage(format!(
            "Prompts are off ({}), so linkus needs --yes to switch on auto-renewal.",
            ctx.settings.prompts_off_reason()
        ))
        .hint("--dry-run shows the request without sending it.")
        .into());
    }
    let client: Client = ctx.client()?;
    let spinner = Spinner::start(
        spinner_allowed(&ctx.settings, &ctx.out),
        "Reading the PBX's subscription…",
    );
    let check = client
        .subscription(LINKUS_PRODUCT_ID, sn)
        .await
        .with_context(|| format!("Could not read the current subscription of SN {sn}"));
    drop(spinner);
    let subscription = match check? {
        SubscriptionCheck::Subscribed(subscription) => subscription,
        _ => {
            return Err(Failure::new(
                Kind::Rejected,
                format!(
                    "PBX {sn} has no Linkus Cloud Service to renew automatically; nothing was sent."
                ),
            )
            .hint(format!("`linkus purchase --sn {sn}` buys it."))
            .into())
        }
    };
    let now_ms = ctx.clock.now_ms();
    let plan = plan_label(&subscription);
    if !subscription.is_current(crate::portal_clock::from_ms(now_ms)) {
        let ended = subscription
            .expires
            .map(crate::portal_clock::epoch_ms)
            .map(|ms| format!(" on {}", format_date_ms(ms)))
            .unwrap_or_default();
        return Err(Failure::new(
            Kind::Rejected,
            format!("The {plan} of PBX {sn} ended{ended}; nothing was sent."),
        )
        .hint(format!(
            "Renew it first: `linkus renew --sn {sn}`, then switch on auto-renewal."
        ))
        .into());
    }
    let Some(plan_id) = subscription.plan_id else {
        return Err(Failure::new(
            Kind::Rejected,
            format!("The portal does not say which plan PBX {sn} has; nothing was sent."),
        )
        .hint("Switch auto-renewal on in the Partner Portal, on the PBX's Plan Details page.")
        .into());
    };
    let until = subscription
        .expires
        .map(crate::portal_clock::epoch_ms)
        .map(|ms| format!(", until {}", format_date_ms(ms)))
        .unwrap_or_default();
    if subscription.auto_renew == Some(true) {
        if ctx.out.is_json() {
            ctx.out.json(&json!({
                "productNo": sn, "planId": plan_id.to_string(), "autoRenew": true, "changed": false
            }))?;
        }
        ctx.out.status(&format!(
            "Auto-renewal is already on for PBX {sn} ({plan}{until}); nothing was sent. {}",
            how_to_switch_off()
        ));
        return Ok(ExitStatus::Success);
    }
    let body = Client::auto_renew_body(LINKUS_PRODUCT_ID, sn, plan_id);
    ctx.out.notice(
        "Auto-renewal:",
        &format!(
            "PBX {sn}, {plan} ({plan_id}){until}; renewals are charged to the partner account."
        ),
    );
    if args.dry_run {
        let text = String::from_utf8_lossy(&body).into_owned();
        if ctx.out.is_json() {
            ctx.out.json(&json!({
                "dryRun": true,
                "request": {
                    "productNo": sn,
                    "productId": LINKUS_PRODUCT_ID.to_string(),
                    "planOrServiceId": plan_id.to_string(),
                },
                "requestBody": text,
            }))?;
        } else {
            ctx.out
                .print(&format!("POST {}\n{text}", crate::paths::AUTO_RENEW_PATH))?;
        }
        ctx.out.status("Dry run: nothing was sent.");
        return Ok(ExitStatus::Success);
    }
    if !args.yes && !prompt::confirm("Switch on auto-renewal?", false).await? {
        return Err(
            Failure::new(Kind::Cancelled, "Declined; nothing was changed.")
                .plain()
                .into(),
        );
    }
    let spinner = Spinner::start(
        spinner_allowed(&ctx.settings, &ctx.out),
        "Switching on auto-renewal…",
    );
    let on = client
        .enable_auto_renew(body)
        .await
        .with_context(|| format!("Could not switch on auto-renewal for SN {sn}"));
    drop(spinner);
    if !on? {
        return Err(Failure::new(
            Kind::Rejected,
            format!("The portal did not confirm auto-renewal for PBX {sn}."),
        )
        .hint(format!(
            "`linkus products --sn {sn}` shows whether it is on; else switch it on in the Partner Portal."
        ))
        .into());
    }
    if ctx.out.is_json() {
        ctx.out.json(&json!({
            "productNo": sn, "planId": plan_id.to_string(), "autoRenew": true, "changed": true
        }))?;
    } else if ctx.out.is_quiet() {
        ctx.out.print("on")?;
    }
    ctx.out.status(&format!(
        "Auto-renewal is on for PBX {sn} ({plan}{until}). {}",
        how_to_switch_off()
    ));
    Ok(ExitStatus::Success)
}
