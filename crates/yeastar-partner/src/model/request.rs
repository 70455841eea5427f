//! The body of Create an Order for Linkus Cloud Service: purchase, renew and switch
//! (partner-api.md 5.3, 7.1, 7.2, 10.4, 10.9).

use serde::Serialize;

use super::LINKUS_PRODUCT_ID;
use crate::ids::{BillingContactId, PlanId, Sn};

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

/// The years (annual billing cycles) an order may have: 1 to 5.
pub const YEARS: std::ops::RangeInclusive<u8> = 1..=5;

/// Why an [`OrderRequest`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderRequestError {
    /// Years outside [`YEARS`]: a body the portal would refuse.
    #[error("an order is for 1 to 5 years (annual billing cycles), not {0}")]
    Years(u8),
}

/// Create an Order for Linkus Cloud Service on one PBX: what is ordered, checked when it is
/// built. [`OrderRequest::body`] is the exact JSON sent, IDs as JSON numbers digit for digit;
/// serialized with serde (our own output, a dry run), IDs are strings.
///
/// A plan and a billing contact have distinct types, so they cannot be swapped:
///
/// ```compile_fail
/// use yeastar_partner::{BillingContactId, OrderRequest, PlanId, Sn};
/// let sn: Sn = "369471667338".parse().unwrap();
/// let plan = PlanId::new(3048918321840570368);
/// let contact = BillingContactId::new(3197218168379846218);
/// // The contact where the plan goes: does not compile.
/// let _ = OrderRequest::purchase(sn, contact, plan, 1);
/// ```
///
/// ```
/// use yeastar_partner::{BillingContactId, OrderRequest, OrderRequestError, PlanId, Sn};
/// let sn: Sn = "369471667338".parse().unwrap();
/// let plan = PlanId::new(3048918321840570368);
/// let contact = BillingContactId::new(3197218168379846218);
/// let order = OrderRequest::purchase(sn.clone(), plan, contact, 2)?.with_po_number("PO-1");
/// assert_eq!(order.years(), 2);
/// assert_eq!(
///     OrderRequest::renew(sn, plan, contact, 0),
///     Err(OrderRequestError::Years(0))
/// );
/// # Ok::<(), OrderRequestError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    operation: Operation,
    sn: Sn,
    plan: PlanId,
    billing_contact: BillingContactId,
    years: u8,
    po_number: Option<String>,
}

impl OrderRequest {
    /// An order of `operation` for the PBX `sn`: `plan` is the plan bought (purchase), the
    /// current plan (renew) or the target plan (switch); `years` 1 to 5 (a switch sends the
    /// current subscription's cycles).
    pub fn new(
        operation: Operation,
        sn: Sn,
        plan: PlanId,
        billing_contact: BillingContactId,
        years: u8,
    ) -> Result<Self, OrderRequestError> {
        if !YEARS.contains(&years) {
            return Err(OrderRequestError::Years(years));
        }
        Ok(OrderRequest {
            operation,
            sn,
            plan,
            billing_contact,
            years,
            po_number: None,
        })
    }

    /// A new subscription of `plan` for `years`.
    pub fn purchase(
        sn: Sn,
        plan: PlanId,
        billing_contact: BillingContactId,
        years: u8,
    ) -> Result<Self, OrderRequestError> {
        Self::new(Operation::Purchase, sn, plan, billing_contact, years)
    }

    /// `years` more of the current plan `plan`.
    pub fn renew(
        sn: Sn,
        plan: PlanId,
        billing_contact: BillingContactId,
        years: u8,
    ) -> Result<Self, OrderRequestError> {
        Self::new(Operation::Renew, sn, plan, billing_contact, years)
    }

    /// A switch to the plan `to`, keeping the subscription's `current_years` billing cycles.
    pub fn switch(
        sn: Sn,
        to: PlanId,
        billing_contact: BillingContactId,
        current_years: u8,
    ) -> Result<Self, OrderRequestError> {
        Self::new(Operation::Switch, sn, to, billing_contact, current_years)
    }

    /// With a purchase-order number (`poNumber`).
    pub fn with_po_number(mut self, po_number: impl Into<String>) -> Self {
        self.po_number = Some(po_number.into());
        self
    }

    /// The operation of this order.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// The PBX's serial number (`productNo`).
    pub fn sn(&self) -> &Sn {
        &self.sn
    }

    /// The plan (`serviceList[0].serviceId`).
    pub fn plan_id(&self) -> PlanId {
        self.plan
    }

    /// The billing contact (`billingId`).
    pub fn billing_contact_id(&self) -> BillingContactId {
        self.billing_contact
    }

    /// The years (`multiCycle`), 1 to 5.
    pub fn years(&self) -> u8 {
        self.years
    }

    /// The purchase-order number, if any.
    pub fn po_number(&self) -> Option<&str> {
        self.po_number.as_deref()
    }

    /// The product ordered: [`LINKUS_PRODUCT_ID`].
    pub fn product_id(&self) -> u64 {
        LINKUS_PRODUCT_ID
    }

    /// The exact bytes sent to the portal (also what a dry run shows): IDs as JSON numbers.
    pub fn body(&self) -> Vec<u8> {
        let wire = Body::of(self, self.billing_contact.get(), self.plan.get());
        // Only strings, numbers and a list: writing it to memory cannot fail.
        serde_json::to_vec(&wire).unwrap_or_default()
    }
}

/// Our own output: the body's fields, IDs as JSON strings.
impl Serialize for OrderRequest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Body::of(self, self.billing_contact, self.plan).serialize(serializer)
    }
}

/// Create an Order's body; `B` and `P` are how the IDs are written (numbers on the wire,
/// strings in our own output).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a, B, P> {
    operation_type: &'static str,
    product_id: u64,
    product_no: &'a str,
    billing_id: B,
    #[serde(skip_serializing_if = "Option::is_none")]
    po_number: Option<&'a str>,
    service_list: [Service<P>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Service<P> {
    service_type: &'static str,
    service_id: P,
    purchase_type: &'static str,
    billing_model: &'static str,
    billing_cycle: &'static str,
    multi_cycle: u8,
}

impl<'a, B, P> Body<'a, B, P> {
    fn of(order: &'a OrderRequest, billing_id: B, service_id: P) -> Self {
        Body {
            operation_type: order.operation.operation_type(),
            product_id: LINKUS_PRODUCT_ID,
            product_no: order.sn.as_str(),
            billing_id,
            po_number: order.po_number.as_deref(),
            service_list: [Service {
                service_type: "plan",
                service_id,
                purchase_type: order.operation.purchase_type(),
                billing_model: "recurring",
                billing_cycle: "annually",
                multi_cycle: order.years,
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sn(text: &str) -> Sn {
        text.parse().unwrap()
    }

    #[test]
    fn the_purchase_body_has_numbers_digit_for_digit() {
        let body = OrderRequest::purchase(
            sn("369471667338"),
            PlanId::new(3048918321840570368),
            BillingContactId::new(3197218168379846218),
            2,
        )
        .unwrap()
        .with_po_number("PO-1");
        let json = String::from_utf8(body.body()).unwrap();
        assert_eq!(
            json,
            r#"{"operationType":"purchase_plan","productId":9,"productNo":"369471667338","billingId":3197218168379846218,"poNumber":"PO-1","serviceList":[{"serviceType":"plan","serviceId":3048918321840570368,"purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":2}]}"#
        );
    }

    #[test]
    fn renew_and_switch_bodies_follow_the_tutorials() {
        let renew =
            OrderRequest::renew(sn("A1"), PlanId::new(1), BillingContactId::new(2), 3).unwrap();
        let json = String::from_utf8(renew.body()).unwrap();
        assert!(json.contains(r#""operationType":"renew_plan""#), "{json}");
        assert!(json.contains(r#""purchaseType":"renew""#), "{json}");
        let switch =
            OrderRequest::switch(sn("A1"), PlanId::new(1), BillingContactId::new(2), 1).unwrap();
        let json = String::from_utf8(switch.body()).unwrap();
        assert!(json.contains(r#""operationType":"switch_plan""#), "{json}");
        assert!(json.contains(r#""purchaseType":"switch""#), "{json}");
        assert_eq!(switch.operation(), Operation::Switch);
        assert_eq!(Operation::parse("renew_plan"), Some(Operation::Renew));
    }

    #[test]
    fn years_outside_one_to_five_are_an_error_not_a_body() {
        let (plan, contact) = (PlanId::new(1), BillingContactId::new(2));
        for years in [0, 6, 255] {
            for operation in [Operation::Purchase, Operation::Renew, Operation::Switch] {
                assert_eq!(
                    OrderRequest::new(operation, sn("A1"), plan, contact, years),
                    Err(OrderRequestError::Years(years))
                );
            }
        }
        for years in 1..=5 {
            assert!(OrderRequest::purchase(sn("A1"), plan, contact, years).is_ok());
        }
    }

    #[test]
    fn our_own_json_of_an_order_has_the_ids_as_strings() {
        let order = OrderRequest::purchase(
            sn("369471667338"),
            PlanId::new(3048918321840570368),
            BillingContactId::new(3197218168379846218),
            1,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&order).unwrap(),
            r#"{"operationType":"purchase_plan","productId":9,"productNo":"369471667338","billingId":"3197218168379846218","serviceList":[{"serviceType":"plan","serviceId":"3048918321840570368","purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":1}]}"#
        );
    }
}
