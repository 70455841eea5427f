//! What a person confirms: the order summary with its price, the equivalent command line, and
//! the dry run's body.

use crate::paths::ORDER_PATH;
use anyhow::Result;
use yeastar_partner::{Operation, OrderRequest};

use super::{plan_label, Catalog, Choice};
use crate::cli::OrderArgs;
use crate::context::Settings;
use crate::output::{clean, format_date_ms, shell_quote, Output};
use crate::quote::Quote;

/// The summary on stderr, ending with the replay command.
pub fn text(
    settings: &Settings,
    out: &Output,
    choice: &Choice,
    catalog: &Catalog,
    account: Option<&str>,
    args: &OrderArgs,
) -> String {
    let style = &out.style;
    let contact = format!(
        "{} ({})",
        choice.contact.label(),
        choice.contact.billing_contact_id
    );
    let charged_to = match account {
        Some(account) => format!("partner account {account}"),
        None => format!("the partner account of profile '{}'", settings.profile()),
    };
    let what = match choice.operation {
        Operation::Purchase => "New subscription",
        Operation::Renew => "Renewal of the current plan",
        Operation::Switch => "Switch to another plan (keeps the billing cycles)",
    };
    let mut rows = vec![
        ("Order", what.to_owned()),
        ("PBX serial number", choice.sn.clone()),
    ];
    let current = catalog.current();
    if choice.operation != Operation::Purchase {
        if let Some(current) = current {
            let until = current
                .expires
                .map(crate::portal_clock::epoch_ms)
                .map(|ms| format!(", until {}", format_date_ms(ms)))
                .unwrap_or_default();
            rows.push(("Current plan", format!("{}{until}", plan_label(current))));
        }
    }
    rows.extend([
        (
            "Plan",
            format!("{} ({})", choice.plan.plan_name, choice.plan.plan_id),
        ),
        ("Billing contact", contact),
        ("Years", years_text(choice, current)),
        ("Price", choice.quote.text()),
        (
            "PO number",
            choice
                .po_number
                .clone()
                .unwrap_or_else(|| "none".to_owned()),
        ),
        ("Charged to", charged_to),
        (
            "Portal",
            settings.portal_label().trim_end_matches('/').to_owned(),
        ),
    ]);
    let mut text = format!("\n{}\n", style.bold("Order summary"));
    // On a terminal, a long value wraps under itself, not under the labels.
    let room = if out.stderr_is_terminal {
        console::Term::stderr()
            .size_checked()
            .map(|(_, columns)| usize::from(columns).saturating_sub(22))
            .filter(|room| *room >= 10)
    } else {
        None
    };
    for (label, value) in rows {
        let value = clean(&value);
        let lines = match room {
            Some(room) => crate::output::wrap(&value, room),
            None => vec![value],
        };
        for (index, line) in lines.iter().enumerate() {
            let label = if index == 0 { label } else { "" };
            text.push_str(&format!("  {label:<19}{line}\n"));
        }
    }
    if let Some(current) =
        current.filter(|s| s.auto_renew == Some(true) && choice.operation != Operation::Purchase)
    {
        let when = current
            .expires
            .map(crate::portal_clock::epoch_ms)
            .map(|ms| format!(" on {}", format_date_ms(ms)))
            .unwrap_or_default();
        text.push_str(&format!(
            "\n  {} This subscription renews automatically{when}; a renewal or switch now is on top of that.\n",
            style.warning("Note:")
        ));
    }
    text.push_str(&format!(
        "\nTo place the same order from a script:\n  {}\n\n",
        clean(&replay_command(settings, choice, args))
    ));
    text
}

/// "2 (billed annually)", and for a switch whose cycles the portal did not give, why the
/// years are the user's.
fn years_text(choice: &Choice, current: Option<&yeastar_partner::Subscription>) -> String {
    let cycle = choice.plan.billing_cycle.as_deref().unwrap_or("annually");
    if choice.operation == Operation::Switch && current.is_some_and(|s| s.multi_cycle.is_none()) {
        return format!(
            "{} (billed {cycle}; from --years: the portal does not say the subscription's billing cycles, and a switch keeps them)",
            choice.years
        );
    }
    format!("{} (billed {cycle})", choice.years)
}

/// The equivalent non-interactive command line, IDs rather than names so that it is exact.
pub fn replay_command(settings: &Settings, choice: &Choice, args: &OrderArgs) -> String {
    let mut words = vec!["linkus".to_owned()];
    if settings.global.sandbox {
        words.push("--sandbox".to_owned());
    }
    if settings.profile() != "default" {
        words.extend(["--profile".to_owned(), settings.profile().to_owned()]);
    }
    if !settings.global.sandbox && settings.global.base_url.is_some() {
        // Without a password: a replay line ends up in scripts and shell history.
        words.extend([
            "--base-url".to_owned(),
            settings.portal_label().trim_end_matches('/').to_owned(),
        ]);
    }
    words.extend([
        choice.operation.name().to_owned(),
        "--sn".to_owned(),
        choice.sn.clone(),
    ]);
    if choice.operation != Operation::Renew {
        words.extend(["--plan".to_owned(), choice.plan.plan_id.to_string()]);
    }
    words.extend([
        "--billing-contact".to_owned(),
        choice.contact.billing_contact_id.to_string(),
    ]);
    if choice.operation != Operation::Switch || args.years.is_some() {
        words.extend(["--years".to_owned(), choice.years.to_string()]);
    }
    if let Some(po) = &choice.po_number {
        words.extend(["--po-number".to_owned(), po.clone()]);
    }
    if let Some(cap) = &args.common.max_total {
        words.extend(["--max-total".to_owned(), cap.to_string().replace(' ', "")]);
    }
    for again in &args.common.again {
        words.extend(["--again".to_owned(), again.clone()]);
    }
    words.push("--yes".to_owned());
    words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The order body as our own JSON shows it: 64-bit IDs as strings.
pub fn request_json(request: &OrderRequest) -> serde_json::Value {
    // The client serializes an order for our own output with the IDs as strings.
    serde_json::to_value(request).unwrap_or_default()
}

pub fn print_dry_run(
    out: &Output,
    request: &OrderRequest,
    body: &[u8],
    quote: &Quote,
) -> Result<()> {
    let bytes = String::from_utf8_lossy(body);
    if out.is_json() {
        out.json(&serde_json::json!({
            "dryRun": true,
            "request": request_json(request),
            "requestBody": bytes,
            "total": quote.total_out(),
        }))?;
    } else {
        out.status(&format!(
            "Dry run: nothing was bought. This body would be sent to POST {ORDER_PATH}:"
        ));
        out.print(&bytes)?;
    }
    Ok(())
}
