//! Query Available Subscription Plans for a product (partner-api.md 3.2, 10.2).

use serde::{Deserialize, Serialize};

use super::lenient::{opt_cycle_list, opt_offering};
use crate::ids::{lenient_opt_string, lenient_opt_u64, lenient_string, PlanId};

/// A plan that can be bought for a PBX.
///
/// Like every answer type of this crate it is `#[non_exhaustive]`: a field the portal adds
/// is not a breaking change, so it cannot be built with a struct expression outside the
/// crate; [`Plan::new`] builds one.
///
/// ```compile_fail
/// use yeastar_partner::{Plan, PlanId};
/// let plan = Plan {
///     plan_id: PlanId::new(1),
///     plan_name: "Basic".to_owned(),
///     purchase_type: None,
///     billing_model: None,
///     billing_cycle: None,
///     multi_cycle_list: None,
/// };
/// ```
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Plan {
    /// The ID that goes into the order's `serviceList[].serviceId`.
    #[serde(alias = "pricingPlanId", alias = "serviceId", alias = "id")]
    pub plan_id: PlanId,
    #[serde(alias = "name", default, deserialize_with = "lenient_string")]
    /// The plan's name.
    pub plan_name: String,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    /// The plan's `purchaseType`.
    pub purchase_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    /// The plan's billing model (`recurring`).
    pub billing_model: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    /// The plan's billing cycle (`annually`).
    pub billing_cycle: Option<String>,
    #[serde(
        alias = "multiCycles",
        alias = "years",
        default,
        deserialize_with = "opt_cycle_list"
    )]
    /// The numbers of cycles (years) that may be bought, when the portal lists them.
    pub multi_cycle_list: Option<Vec<u8>>,
}

impl Plan {
    /// A plan known by its ID and name only (the other fields `None`), such as a current plan
    /// the plan list does not show; fields can be set afterwards.
    pub fn new(plan_id: PlanId, plan_name: impl Into<String>) -> Self {
        Plan {
            plan_id,
            plan_name: plan_name.into(),
            purchase_type: None,
            billing_model: None,
            billing_cycle: None,
            multi_cycle_list: None,
        }
    }

    /// The billing cycles the plan allows, ascending and without repeats; the documented 1–5
    /// when the portal does not say.
    pub fn years(&self) -> Vec<u8> {
        let mut years = match &self.multi_cycle_list {
            Some(list) if !list.is_empty() => list.clone(),
            _ => (1..=5).collect(),
        };
        years.sort_unstable();
        years.dedup();
        years
    }

    /// A trial plan cannot be bought; everything else with no type is assumed purchasable.
    pub fn is_purchasable(&self) -> bool {
        self.purchase_type
            .as_deref()
            .is_none_or(|kind| kind.eq_ignore_ascii_case("purchase"))
    }
}

/// What the portal offers for one PBX.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Offer {
    /// The product the plans are of.
    pub product_id: u64,
    /// The PBX's serial number the plans are for.
    pub product_no: String,
    /// The product's offering, needed to ask for prices (partner-api.md 10.8). It belongs to
    /// the product, not the PBX, so it may be remembered.
    pub offering_id: Option<String>,
    /// The plans the PBX may be ordered.
    pub plans: Vec<Plan>,
    /// Services as the portal sent them (not used for Linkus).
    pub services: Vec<crate::json::Json>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OfferResult {
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub product_id: Option<u64>,
    #[serde(default, deserialize_with = "opt_offering")]
    pub offering_id: Option<String>,
    #[serde(alias = "plans", default)]
    pub plan_list: Option<crate::json::Json>,
    #[serde(alias = "services", default)]
    pub service_list: Option<crate::json::Json>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::parse;

    #[test]
    fn plans_parse_from_the_assumed_shape_and_its_variants() {
        let body = br#"{"code":"success","result":{
            "productId": "9", "productName": "Linkus Cloud Service", "offeringId": [31, 32],
            "plans": [
                {"planId": 3048918321840570368, "planName": "Linkus Cloud Service", "purchaseType": "purchase", "multiCycleList": [3,1,2,2]},
                {"id": "3048918719332507648", "name": "Linkus Cloud Service Pro", "somethingNew": {"x": 1}}
            ]}}"#;
        let reply = parse("GET /p", 200, body).unwrap();
        let offer: OfferResult = reply.decode().unwrap();
        assert_eq!(offer.offering_id.as_deref(), Some("31"));
        let plans: Vec<Plan> = reply.decode_list(&offer.plan_list.unwrap()).unwrap();
        assert_eq!(plans[0].plan_id, PlanId::new(3048918321840570368));
        // Out of order and repeated in the answer: sorted, once each.
        assert_eq!(plans[0].years(), vec![1, 2, 3]);
        assert_eq!(plans[1].plan_id, PlanId::new(3048918719332507648));
        assert_eq!(plans[1].plan_name, "Linkus Cloud Service Pro");
        assert_eq!(plans[1].years(), vec![1, 2, 3, 4, 5]);
        assert!(plans[1].is_purchasable());
    }

    #[test]
    fn a_plan_without_an_id_names_the_field() {
        let reply = parse(
            "GET /pricing/x",
            200,
            br#"{"code":"success","result":[{"planName":"x"}]}"#,
        )
        .unwrap();
        let err = reply.decode_list::<Plan>(&reply.result).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("GET /pricing/x"), "{text}");
        assert!(text.contains("planId"), "{text}");
        assert!(text.contains("item 1"), "{text}");
        assert_eq!(err.field(), Some("planId"));
    }
}
