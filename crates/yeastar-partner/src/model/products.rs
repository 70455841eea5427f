//! A PBX's current subscription: Get Product Details for one SN, or an item of Query Product
//! List (partner-api.md 6.1, 6.1b, 10.5, 10.7).

use serde::{Deserialize, Serialize};

use super::lenient::{opt_cycles, opt_time};
use crate::ids::{lenient_opt_bool, lenient_opt_id, lenient_opt_string, PlanId};

/// A PBX's Linkus Cloud Service subscription as the portal describes it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Subscription {
    #[serde(default, deserialize_with = "lenient_opt_string", alias = "sn")]
    /// The PBX's serial number.
    pub product_no: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_id")]
    /// The current plan's ID.
    pub plan_id: Option<PlanId>,
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        alias = "goodsName",
        alias = "goodsShortName"
    )]
    /// The current plan's name.
    pub plan_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    /// The product's name.
    pub product_name: Option<String>,
    /// The billing cycles of the current subscription (a switch keeps them).
    #[serde(default, deserialize_with = "opt_cycles")]
    pub multi_cycle: Option<u8>,
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        alias = "subscriptionStatus"
    )]
    /// The subscription's status as the portal wrote it.
    pub status: Option<String>,
    /// Set only while the subscription is switching to another plan.
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub current_plan: Option<String>,
    /// When the subscription ends (serialized as epoch milliseconds); `None` when the portal
    /// does not say
    /// or says it in a form that cannot be read.
    #[serde(
        default,
        rename = "currentPlanExpireDate",
        alias = "expireTime",
        alias = "expiredTime",
        alias = "expireDate",
        deserialize_with = "opt_time",
        serialize_with = "crate::clock::opt_as_ms"
    )]
    pub expires: Option<std::time::SystemTime>,
    #[serde(
        default,
        alias = "autoRenewStatus",
        deserialize_with = "lenient_opt_bool"
    )]
    /// Whether auto-renewal is on, when the portal says.
    pub auto_renew: Option<bool>,
}

impl Subscription {
    /// A plan the PBX has: something names or identifies it.
    pub fn has_plan(&self) -> bool {
        self.plan_id.is_some()
            || self
                .plan_name
                .as_deref()
                .is_some_and(|n| !n.trim().is_empty())
    }

    /// Still running at `now`: not past its end, or with no known end.
    pub fn is_current(&self, now: std::time::SystemTime) -> bool {
        self.expires.is_none_or(|expires| expires > now)
    }

    /// A switch to another plan is under way.
    pub fn is_switching(&self) -> bool {
        self.current_plan
            .as_deref()
            .is_some_and(|plan| !plan.trim().is_empty())
    }

    /// Whether this subscription is the PBX with this serial number (case and spaces ignored).
    pub fn is_for(&self, sn: &str) -> bool {
        self.product_no
            .as_deref()
            .is_some_and(|no| no.trim().eq_ignore_ascii_case(sn.trim()))
    }
}

/// What the portal says of one PBX's subscription.
#[derive(Debug, Clone, PartialEq)]
pub enum SubscriptionCheck {
    /// The PBX has (or had) Linkus Cloud Service.
    Subscribed(Subscription),
    /// The PBX has no Linkus Cloud Service.
    NotSubscribed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_parse_from_the_assumed_shape_and_its_aliases() {
        let details: Subscription = serde_json::from_str(
            r#"{"productNo": "369471667338", "productId": 9, "planId": 3048918321840570368,
                "planName": "Linkus Cloud Service", "multiCycle": 1, "status": "active", "currentPlan": "",
                "currentPlanExpireDate": "2027-11-29 00:00:00", "autoRenewStatus": 0}"#,
        )
        .unwrap();
        assert_eq!(details.plan_id, Some(PlanId::new(3048918321840570368)));
        assert_eq!(
            details.expires,
            Some(crate::clock::from_ms(1_827_446_400_000))
        );
        assert_eq!(details.auto_renew, Some(false));
        assert!(!details.is_switching());
        assert!(details.has_plan());

        let other: Subscription = serde_json::from_str(
            r#"{"productNo": "A1", "goodsShortName": "Linkus Pro", "expireTime": "1827446400000", "autoRenew": true, "currentPlan": "Pro"}"#,
        )
        .unwrap();
        assert_eq!(other.plan_name.as_deref(), Some("Linkus Pro"));
        assert_eq!(
            other.expires,
            Some(crate::clock::from_ms(1_827_446_400_000))
        );
        assert_eq!(other.auto_renew, Some(true));
        assert!(other.is_switching());

        let unreadable: Subscription =
            serde_json::from_str(r#"{"planName": "x", "expireTime": "soon"}"#).unwrap();
        assert_eq!(unreadable.expires, None);
        assert!(unreadable.is_current(crate::clock::from_ms(u64::MAX / 2)));
    }
}
