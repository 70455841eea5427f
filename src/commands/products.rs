//! `linkus products --sn SN`: the plans that can be bought for a PBX.

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::cli::ProductsArgs;
use crate::context::Context;
use crate::portal::types::Plan;
use crate::portal::Id;

/// A plan in our own output (CLI.md section 5): IDs as strings.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanOut<'a> {
    pub plan_id: Id,
    pub name: &'a str,
    pub purchase_type: Option<&'a str>,
    pub billing_model: Option<&'a str>,
    pub billing_cycle: Option<&'a str>,
    pub years: Vec<u8>,
}

impl<'a> From<&'a Plan> for PlanOut<'a> {
    fn from(plan: &'a Plan) -> Self {
        PlanOut {
            plan_id: plan.plan_id,
            name: &plan.plan_name,
            purchase_type: plan.purchase_type.as_deref(),
            billing_model: plan.billing_model.as_deref(),
            billing_cycle: plan.billing_cycle.as_deref(),
            years: plan.years(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProductsOut<'a> {
    product_id: u64,
    product_no: &'a str,
    plans: Vec<PlanOut<'a>>,
    services: &'a [serde_json::Value],
}

/// "1-5" for a run of years, "1, 3" otherwise.
pub fn years_text(years: &[u8]) -> String {
    match (years.first(), years.last()) {
        (Some(first), Some(last))
            if years.len() > 1 && usize::from(last - first) + 1 == years.len() =>
        {
            format!("{first}-{last}")
        }
        _ => years
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

pub async fn run(ctx: &Context, args: ProductsArgs) -> Result<()> {
    let portal = ctx.portal()?;
    let offer = portal
        .offer(&args.sn, args.product_id)
        .await
        .with_context(|| format!("Could not list the plans for SN {}", args.sn))?;
    if ctx.out.is_json() {
        ctx.out.json(&ProductsOut {
            product_id: offer.product_id,
            product_no: &offer.product_no,
            plans: offer.plans.iter().map(PlanOut::from).collect(),
            services: &offer.services,
        })?;
        return Ok(());
    }
    if ctx.out.is_quiet() {
        let ids: String = offer
            .plans
            .iter()
            .map(|p| format!("{}\n", p.plan_id))
            .collect();
        if !ids.is_empty() {
            ctx.out.print(&ids)?;
        }
        return Ok(());
    }
    if offer.plans.is_empty() {
        ctx.out
            .status(&format!("The portal offers no plans for SN {}.", args.sn));
        return Ok(());
    }
    let rows = offer
        .plans
        .iter()
        .map(|plan| {
            vec![
                plan.plan_id.to_string(),
                plan.plan_name.clone(),
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
    ctx.out.print(
        &ctx.out
            .table(&["Plan ID", "Name", "Type", "Billing", "Years"], rows),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_read_naturally() {
        assert_eq!(years_text(&[1, 2, 3, 4, 5]), "1-5");
        assert_eq!(years_text(&[1, 3]), "1, 3");
        assert_eq!(years_text(&[2]), "2");
    }
}
