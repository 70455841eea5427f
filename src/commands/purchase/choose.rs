//! Resolving `--plan`, `--billing-contact` and `--years` against what the portal offers, and
//! asking the wizard for what is missing.

use anyhow::Result;
use yeastar_partner::{BillingContact, Id, Operation, Plan};

use super::{allowed_years, current_plan, Catalog, Choice};
use crate::cli::OrderArgs;
use crate::context::Context;
use crate::error::Failure;
use crate::prompt;

/// Without prompts, every missing value is named at once, before anything is sent.
pub fn check_flags_without_prompts(
    ctx: &Context,
    operation: Operation,
    args: &OrderArgs,
) -> Result<()> {
    if ctx.interactive() {
        return Ok(());
    }
    let mut missing: Vec<&str> = Vec::new();
    let mut need = |flag: &'static str, absent: bool| {
        if absent {
            missing.push(flag);
        }
    };
    need("--sn", args.sn.is_none());
    if operation != Operation::Renew {
        need("--plan", args.plan.is_none());
    }
    need("--billing-contact", args.billing_contact.is_none());
    if operation == Operation::Purchase {
        need("--years", args.years.is_none());
    }
    if !args.common.yes && !args.common.dry_run {
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
        failure = failure.hint(format!(
            "--yes confirms the {}; without it nothing is bought. --dry-run shows the order without buying.",
            operation.name()
        ));
    }
    if missing.len() > 1 || !missing.contains(&"--yes") {
        failure = failure.hint(
            "`linkus products --sn SN` lists the plans and `linkus billing-contacts` the contacts.",
        );
    }
    Err(failure.into())
}

/// Resolves each flag against the catalog, and asks the wizard for what is missing.
pub async fn choose(
    ctx: &Context,
    operation: Operation,
    args: &OrderArgs,
    sn: String,
    catalog: &Catalog,
) -> Result<Choice> {
    let mut asked = args.sn.is_none();
    let current = catalog.current();
    let plan = match operation {
        Operation::Renew => current
            .and_then(|subscription| current_plan(catalog, subscription))
            .ok_or_else(|| {
                Failure::usage(format!("The portal does not say which plan PBX {sn} has."))
            })?,
        Operation::Purchase | Operation::Switch => {
            let plans: Vec<&Plan> = catalog
                .plans
                .iter()
                .filter(|plan| {
                    operation != Operation::Switch
                        || current.and_then(|s| s.plan_id) != Some(plan.plan_id)
                })
                .collect();
            let plan = match &args.plan {
                Some(value) => resolve_plan(&catalog.plans.iter().collect::<Vec<_>>(), value, &sn)?,
                None => {
                    asked = true;
                    if plans.is_empty() {
                        return Err(Failure::usage(format!(
                            "There is no other plan to switch PBX {sn} to."
                        ))
                        .into());
                    }
                    let items: Vec<String> = plans
                        .iter()
                        .map(|p| {
                            let price = catalog
                                .quote(p, 1)
                                .per_year
                                .map(|m| format!(", {m} a year"))
                                .unwrap_or_default();
                            // The price before the ID: a narrow terminal cuts the end.
                            format!("{}{price}  ({})", p.plan_name, p.plan_id)
                        })
                        .collect();
                    plans[prompt::select("Plan", &items, 0).await?]
                }
            };
            if operation == Operation::Switch
                && current.and_then(|s| s.plan_id) == Some(plan.plan_id)
            {
                return Err(Failure::new(
                    crate::error::Kind::Rejected,
                    format!("PBX {sn} already has {}; nothing was sent.", plan.plan_name),
                )
                .hint("Choose another --plan.")
                .into());
            }
            plan.clone()
        }
    };
    let contacts = &catalog.contacts;
    let contact = match &args.billing_contact {
        Some(value) => resolve_contact(contacts, value)?.clone(),
        None => {
            asked = true;
            let items: Vec<String> = contacts.iter().map(contact_label).collect();
            contacts[prompt::select("Billing contact", &items, 0).await?].clone()
        }
    };
    let years = years(ctx, operation, args, &plan, catalog, &mut asked).await?;
    let po_number = match &args.po_number {
        Some(po) => Some(po.trim().to_owned()).filter(|po| !po.is_empty()),
        None if asked && ctx.interactive() => prompt::po_number().await?,
        None => None,
    };
    Ok(Choice {
        operation,
        quote: catalog.quote(&plan, years),
        sn,
        plan,
        contact,
        years,
        po_number,
    })
}

async fn years(
    ctx: &Context,
    operation: Operation,
    args: &OrderArgs,
    plan: &Plan,
    catalog: &Catalog,
    asked: &mut bool,
) -> Result<u8> {
    let allowed = plan.years();
    if operation == Operation::Switch {
        // A switch keeps the billing cycles (the portal's switch tutorial).
        let current = catalog.current().and_then(|s| s.multi_cycle);
        return match (current, args.years) {
            (Some(current), Some(given)) if given != current => Err(Failure::usage(format!(
                "A switch keeps the subscription's {current} billing cycle(s); --years {given} cannot change that."
            ))
            .hint("Leave --years out.")
            .into()),
            (Some(current), _) => Ok(current),
            (None, Some(given)) => Ok(given),
            (None, None) => Err(Failure::usage(
                "The portal does not say how many billing cycles the subscription has, and a switch must keep them: give --years.",
            )
            .into()),
        };
    }
    match args.years {
        Some(years) if allowed.contains(&years) => Ok(years),
        Some(years) => Err(Failure::usage(format!(
            "{} cannot be ordered for {years} years.",
            plan.plan_name
        ))
        .hint(format!("Choose --years {}.", allowed_years(plan)))
        .into()),
        None if operation == Operation::Renew && !ctx.interactive() => Ok(1),
        None => {
            *asked = true;
            let items: Vec<String> = allowed
                .iter()
                .map(|y| {
                    let price = catalog
                        .quote(plan, *y)
                        .total()
                        .map(|total| format!(" ({total})"))
                        .unwrap_or_default();
                    format!("{y} year{}{price}", if *y == 1 { "" } else { "s" })
                })
                .collect();
            let label = if operation == Operation::Renew {
                "Renew for (billed annually)"
            } else {
                "Years (billed annually)"
            };
            Ok(allowed[prompt::select(label, &items, 0).await?])
        }
    }
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

/// A plan ID, or a plan name matched case-insensitively; anything else lists the choices. No
/// prefix or fuzzy matching: a near match could buy the wrong plan.
pub fn resolve_plan<'a>(plans: &[&'a Plan], value: &str, sn: &str) -> Result<&'a Plan> {
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
            Failure::usage(format!("No plan {value:?} can be ordered for SN {sn}."))
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

pub fn contact_label(contact: &BillingContact) -> String {
    format!("{}  ({})", contact.label(), contact.billing_contact_id)
}

/// A billing contact ID, or its e-mail address (case-insensitive).
pub fn resolve_contact<'a>(
    contacts: &'a [BillingContact],
    value: &str,
) -> Result<&'a BillingContact> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{diagnose, Kind};

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
        let report = diagnose(&resolve_plan(&plans, "Linkus", "1").unwrap_err());
        assert_eq!(report.kind, Kind::Usage);
        assert!(report.hints[0].contains("3048918321840570368 (Linkus Cloud Service)"));

        let twin = plan(1, "Linkus Cloud Service");
        let plans = vec![&basic, &twin];
        let ambiguous = diagnose(&resolve_plan(&plans, "linkus cloud service", "1").unwrap_err());
        assert!(ambiguous.message.contains("several"));
    }
}
