//! Resolving `--plan`, `--billing-contact` and `--years` against what the portal offers, and
//! asking the wizard for what is missing.

use anyhow::Result;
use yeastar_partner::{BillingContact, BillingContactId, Operation, Plan, PlanId};

use super::{allowed_years, current_plan, Catalog, Choice};
use crate::cli::OrderArgs;
use crate::context::Settings;
use crate::error::Failure;
use crate::prompt::{self, Step};

/// Without prompts, every missing value is named at once, before anything is sent.
pub fn check_flags_without_prompts(
    settings: &Settings,
    operation: Operation,
    args: &OrderArgs,
) -> Result<()> {
    if settings.interactive() {
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
        settings.prompts_off_reason(),
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

/// Esc at the wizard's first step after the serial number: the SN is asked again.
#[derive(Debug, thiserror::Error)]
#[error("back to the serial number")]
pub struct BackToSerialNumber;

/// The wizard's steps after the SN, in order. Each one a flag does not answer is asked;
/// Esc at one goes back to the one asked before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    Plan,
    Contact,
    Years,
    PoNumber,
}

/// Resolves each flag against the catalog, and asks the wizard for what is missing. Esc goes
/// back one step; at the first step asked it gives [`BackToSerialNumber`] when `sn_asked`
/// (the SN was typed in the wizard), else cancels.
pub async fn choose(
    settings: &Settings,
    operation: Operation,
    args: &OrderArgs,
    sn: String,
    catalog: &Catalog,
) -> Result<Choice> {
    let sn_asked = args.sn.is_none();
    let current = catalog.current();
    let mut plan: Option<Plan> = None;
    let mut contact: Option<BillingContact> = None;
    let mut years_chosen: Option<u8> = None;
    // The steps asked so far, for going back.
    let mut asked_steps: Vec<Ask> = Vec::new();
    let mut step = Ask::Plan;
    let po_number: Option<String> = loop {
        let back = sn_asked || !asked_steps.is_empty();
        let answer: Step<()> = match step {
            Ask::Plan => match choose_plan(operation, args, &sn, catalog, current, back).await? {
                Step::Given((chosen, asked)) => {
                    plan = Some(chosen);
                    if asked {
                        asked_steps.push(Ask::Plan);
                    }
                    step = Ask::Contact;
                    Step::Given(())
                }
                Step::Back => Step::Back,
            },
            Ask::Contact => match &args.billing_contact {
                Some(value) => {
                    contact = Some(resolve_contact(&catalog.contacts, value)?.clone());
                    step = Ask::Years;
                    Step::Given(())
                }
                None => {
                    let items: Vec<String> = catalog.contacts.iter().map(contact_label).collect();
                    match prompt::select_step("Billing contact", &items, 0, back).await? {
                        Step::Given(index) => {
                            contact = Some(catalog.contacts[index].clone());
                            asked_steps.push(Ask::Contact);
                            step = Ask::Years;
                            Step::Given(())
                        }
                        Step::Back => Step::Back,
                    }
                }
            },
            Ask::Years => {
                let Some(plan) = &plan else {
                    step = Ask::Plan;
                    continue;
                };
                match years(settings, operation, args, plan, catalog, back).await? {
                    Step::Given((chosen, asked)) => {
                        years_chosen = Some(chosen);
                        if asked {
                            asked_steps.push(Ask::Years);
                        }
                        step = Ask::PoNumber;
                        Step::Given(())
                    }
                    Step::Back => Step::Back,
                }
            }
            // Asked only in a wizard that asked something before it (`back`).
            Ask::PoNumber => match &args.po_number {
                Some(po) => break Some(po.trim().to_owned()).filter(|po| !po.is_empty()),
                None if back && settings.interactive() => match prompt::po_number(back).await? {
                    Step::Given(po) => break po,
                    Step::Back => Step::Back,
                },
                None => break None,
            },
        };
        if let Step::Back = answer {
            step = go_back(&mut asked_steps, sn_asked)?;
        }
    };
    let (Some(plan), Some(contact), Some(years)) = (plan, contact, years_chosen) else {
        anyhow::bail!("the wizard ended without every answer");
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

/// The step before the one a person pressed Esc at: the last one asked, or the serial number.
fn go_back(asked_steps: &mut Vec<Ask>, sn_asked: bool) -> Result<Ask> {
    match asked_steps.pop() {
        Some(step) => Ok(step),
        None if sn_asked => Err(BackToSerialNumber.into()),
        // Unreachable: with nothing to go back to, Esc cancels in the prompt itself.
        None => Err(Failure::new(
            crate::error::Kind::Cancelled,
            "Cancelled; nothing was bought.",
        )
        .plain()
        .into()),
    }
}

/// The plan from `--plan`, or asked (`true` beside it when it was asked).
async fn choose_plan(
    operation: Operation,
    args: &OrderArgs,
    sn: &str,
    catalog: &Catalog,
    current: Option<&yeastar_partner::Subscription>,
    back: bool,
) -> Result<Step<(Plan, bool)>> {
    if operation == Operation::Renew {
        let plan = current
            .and_then(|subscription| current_plan(catalog, subscription))
            .ok_or_else(|| {
                Failure::usage(format!("The portal does not say which plan PBX {sn} has."))
            })?;
        return Ok(Step::Given((plan, false)));
    }
    let plans: Vec<&Plan> = catalog
        .plans
        .iter()
        .filter(|plan| {
            operation != Operation::Switch || current.and_then(|s| s.plan_id) != Some(plan.plan_id)
        })
        .collect();
    let (plan, asked) = match &args.plan {
        Some(value) => (
            resolve_plan(&catalog.plans.iter().collect::<Vec<_>>(), value, sn)?,
            false,
        ),
        None => {
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
            match prompt::select_step("Plan", &items, 0, back).await? {
                Step::Given(index) => (plans[index], true),
                Step::Back => return Ok(Step::Back),
            }
        }
    };
    if operation == Operation::Switch && current.and_then(|s| s.plan_id) == Some(plan.plan_id) {
        return Err(Failure::new(
            crate::error::Kind::Rejected,
            format!("PBX {sn} already has {}; nothing was sent.", plan.plan_name),
        )
        .hint("Choose another --plan.")
        .into());
    }
    Ok(Step::Given((plan.clone(), asked)))
}

/// The years from `--years`, the switch's current cycles, or asked (`true` beside it when
/// it was asked).
async fn years(
    settings: &Settings,
    operation: Operation,
    args: &OrderArgs,
    plan: &Plan,
    catalog: &Catalog,
    back: bool,
) -> Result<Step<(u8, bool)>> {
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
            (Some(current), _) => Ok(Step::Given((current, false))),
            (None, Some(given)) => Ok(Step::Given((given, false))),
            (None, None) => Err(Failure::usage(
                "The portal does not say how many billing cycles the subscription has, and a switch must keep them: give --years.",
            )
            .into()),
        };
    }
    match args.years {
        Some(years) if allowed.contains(&years) => Ok(Step::Given((years, false))),
        Some(years) => Err(Failure::usage(format!(
            "{} cannot be ordered for {years} years.",
            plan.plan_name
        ))
        .hint(format!("Choose --years {}.", allowed_years(plan)))
        .into()),
        None if operation == Operation::Renew && !settings.interactive() => {
            Ok(Step::Given((1, false)))
        }
        None => {
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
            Ok(match prompt::select_step(label, &items, 0, back).await? {
                Step::Given(index) => Step::Given((allowed[index], true)),
                Step::Back => Step::Back,
            })
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
    let by_id = value.parse::<PlanId>().ok();
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
    let by_id = value.parse::<BillingContactId>().ok();
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
        let mut plan = Plan::new(PlanId::new(id), name);
        plan.purchase_type = Some("purchase".to_owned());
        plan
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
