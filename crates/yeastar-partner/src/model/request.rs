//! The body of Create an Order for Linkus Cloud Service: purchase, renew and switch
//! (partner-api.md 5.3, 7.1, 7.2, 10.4, 10.9).

use serde::Serialize;

use super::LINKUS_PRODUCT_ID;
use crate::ids::{as_number, Id};

/// What an order does to a PBX's subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// A new subscription.
    Purchase,
    /// More years of the current plan.
    Renew,
    /// Another plan, keeping the billing cycles.
    Switch,
}

impl Operation {
    /// `purchase`, `renew` or `switch`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Purchase => "purchase",
            Operation::Renew => "renew",
            Operation::Switch => "switch",
        }
    }

    /// The order's `operationType`.
    pub fn operation_type(self) -> &'static str {
        match self {
            Operation::Purchase => "purchase_plan",
            Operation::Renew => "renew_plan",
            Operation::Switch => "switch_plan",
        }
    }

    /// The service's `purchaseType`.
    pub fn purchase_type(self) -> &'static str {
        self.name()
    }

    /// From a name (`purchase`) or an `operationType` (`purchase_plan`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "purchase" | "purchase_plan" => Some(Operation::Purchase),
            "renew" | "renew_plan" => Some(Operation::Renew),
            "switch" | "switch_plan" => Some(Operation::Switch),
            _ => None,
        }
    }
}

/// The body of Create an Order. IDs are written as JSON numbers, digit for digit.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest {
    /// `purchase_plan`, `renew_plan` or `switch_plan`.
    pub operation_type: &'static str,
    /// The product ordered ([`crate::LINKUS_PRODUCT_ID`]).
    pub product_id: u64,
    /// The PBX's serial number.
    pub product_no: String,
    #[serde(serialize_with = "as_number")]
    /// The billing contact's ID, written as a JSON number.
    pub billing_id: Id,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The purchase-order number, when there is one.
    pub po_number: Option<String>,
    /// The services ordered (one plan).
    pub service_list: Vec<OrderService>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrderService {
    pub service_type: &'static str,
    #[serde(serialize_with = "as_number")]
    pub service_id: Id,
    pub purchase_type: &'static str,
    pub billing_model: &'static str,
    pub billing_cycle: &'static str,
    pub multi_cycle: u8,
}

impl OrderRequest {
    /// A Linkus Cloud Service order for one PBX: `plan` is the plan bought (purchase), the
    /// current plan (renew) or the target plan (switch); `cycles` the years (a switch sends
    /// the current subscription's cycles).
    pub fn linkus(
        operation: Operation,
        sn: &str,
        plan: Id,
        billing_contact: Id,
        cycles: u8,
        po_number: Option<String>,
    ) -> Self {
        OrderRequest {
            operation_type: operation.operation_type(),
            product_id: LINKUS_PRODUCT_ID,
            product_no: sn.to_owned(),
            billing_id: billing_contact,
            po_number,
            service_list: vec![OrderService {
                service_type: "plan",
                service_id: plan,
                purchase_type: operation.purchase_type(),
                billing_model: "recurring",
                billing_cycle: "annually",
                multi_cycle: cycles,
            }],
        }
    }

    /// The operation of this order.
    pub fn operation(&self) -> Option<Operation> {
        Operation::parse(self.operation_type)
    }

    /// The exact bytes sent to the portal (also what a dry run shows).
    pub fn body(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purchase_body_has_numbers_digit_for_digit() {
        let body = OrderRequest::linkus(
            Operation::Purchase,
            "369471667338",
            Id(3048918321840570368),
            Id(3197218168379846218),
            2,
            Some("PO-1".to_owned()),
        );
        let json = String::from_utf8(body.body().unwrap()).unwrap();
        assert_eq!(
            json,
            r#"{"operationType":"purchase_plan","productId":9,"productNo":"369471667338","billingId":3197218168379846218,"poNumber":"PO-1","serviceList":[{"serviceType":"plan","serviceId":3048918321840570368,"purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":2}]}"#
        );
    }

    #[test]
    fn renew_and_switch_bodies_follow_the_tutorials() {
        let renew = OrderRequest::linkus(Operation::Renew, "A1", Id(1), Id(2), 3, None);
        let json = String::from_utf8(renew.body().unwrap()).unwrap();
        assert!(json.contains(r#""operationType":"renew_plan""#), "{json}");
        assert!(json.contains(r#""purchaseType":"renew""#), "{json}");
        let switch = OrderRequest::linkus(Operation::Switch, "A1", Id(1), Id(2), 1, None);
        let json = String::from_utf8(switch.body().unwrap()).unwrap();
        assert!(json.contains(r#""operationType":"switch_plan""#), "{json}");
        assert!(json.contains(r#""purchaseType":"switch""#), "{json}");
        assert_eq!(switch.operation(), Some(Operation::Switch));
        assert_eq!(Operation::parse("renew_plan"), Some(Operation::Renew));
    }
}
