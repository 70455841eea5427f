//! Query Subscription Price (partner-api.md 3.4, 10.8): list prices, read as exact decimals.

use serde::Deserialize;

use super::lenient::opt_amount;
use crate::ids::{lenient_opt_id, lenient_opt_string, PlanId};
use crate::money::{Amount, Money};

/// The list prices of a product's plans for one billing cycle.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PriceList {
    /// One price per plan of the offering.
    pub plans: Vec<PlanPrice>,
}

impl PriceList {
    /// The price of a plan, by ID, else by name.
    pub fn for_plan(&self, plan_id: PlanId, plan_name: &str) -> Option<&Money> {
        self.plans
            .iter()
            .find(|p| p.plan_id == Some(plan_id))
            .or_else(|| {
                self.plans.iter().find(|p| {
                    p.plan_id.is_none()
                        && p.plan_name
                            .as_deref()
                            .is_some_and(|n| n.trim().eq_ignore_ascii_case(plan_name.trim()))
                })
            })
            .and_then(|p| p.price.as_ref())
    }
}

/// One plan's list price per billing cycle; `None` when the answer gives none that can be read.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PlanPrice {
    /// The plan's ID.
    pub plan_id: Option<PlanId>,
    /// The plan's name.
    pub plan_name: Option<String>,
    /// The list price of one billing cycle.
    pub price: Option<Money>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PriceResult {
    #[serde(alias = "plans", default)]
    pub plan_list: Option<crate::json::Json>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PriceItem {
    #[serde(
        default,
        deserialize_with = "lenient_opt_id",
        alias = "pricingPlanId",
        alias = "serviceId",
        alias = "id"
    )]
    plan_id: Option<PlanId>,
    #[serde(default, deserialize_with = "lenient_opt_string", alias = "name")]
    plan_name: Option<String>,
    #[serde(default, deserialize_with = "opt_amount")]
    price: Option<Amount>,
    #[serde(default, deserialize_with = "opt_amount")]
    amount: Option<Amount>,
    #[serde(default, deserialize_with = "opt_amount")]
    unit_price: Option<Amount>,
    #[serde(default, deserialize_with = "opt_amount")]
    original_price: Option<Amount>,
    #[serde(default, deserialize_with = "opt_amount")]
    list_price: Option<Amount>,
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        alias = "currencyCode"
    )]
    currency: Option<String>,
}

impl From<PriceItem> for PlanPrice {
    fn from(item: PriceItem) -> Self {
        let amount = item
            .price
            .or(item.amount)
            .or(item.unit_price)
            .or(item.original_price)
            .or(item.list_price)
            .filter(|amount| !amount.is_negative());
        let currency = item.currency.filter(|c| !c.trim().is_empty());
        PlanPrice {
            plan_id: item.plan_id,
            plan_name: item.plan_name,
            // A price without a currency cannot be compared or capped: unknown.
            price: amount
                .zip(currency)
                .map(|(amount, currency)| Money::new(amount, currency)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: &str) -> PlanPrice {
        serde_json::from_str::<PriceItem>(json).unwrap().into()
    }

    #[test]
    fn prices_come_from_any_of_the_names_and_keep_their_digits() {
        let p = item(r#"{"planId": 3048918321840570368, "price": "120.00", "currency": "USD"}"#);
        assert_eq!(p.price.unwrap().to_string(), "120.00 USD");
        let p = item(r#"{"planId": "1", "unitPrice": 180.10, "currencyCode": "usd"}"#);
        assert_eq!(p.price.unwrap().to_string(), "180.10 USD");
        let p = item(r#"{"planId": 1, "listPrice": "99"}"#);
        assert_eq!(p.price, None, "no currency: unknown");
        let p = item(r#"{"planId": 1, "price": "free", "currency": "USD"}"#);
        assert_eq!(p.price, None);
    }
}
