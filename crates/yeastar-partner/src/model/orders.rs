//! Orders: their status, Query Order List and Get Order Details (partner-api.md 5.5, 6.2, 10.5).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::lenient::{opt_amount, opt_cycles, scalar_text};
use crate::clock::portal_time_ms;
use crate::ids::{
    lenient_opt_id, lenient_opt_order_no, lenient_opt_string, lenient_opt_u64, OrderId, OrderNo,
};
use crate::money::Amount;

/// The members of a JSON object, each value as its raw text.
type Members = Vec<(String, Box<RawValue>)>;

/// What an order status means for the partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// Paid and provisioned.
    Succeeded,
    /// Created, but not (yet) done: pending payment, or any status this client does not know.
    Open,
    /// Final, without service: failed, invalid, cancelled or refunded.
    Failed,
}

/// An order status as the portal wrote it (`succeed`, `pending`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
#[non_exhaustive]
pub struct OrderStatus(String);

impl OrderStatus {
    /// A status as the portal wrote it.
    pub fn new(status: impl Into<String>) -> Self {
        OrderStatus(status.into())
    }

    /// The status as the portal wrote it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `succeed` is done; `failed`, `invalid`, `cancelled` and `refunded` are final without
    /// service (exit 5); every other status (`pending`, one never seen before) is open
    /// (CLI.md section 3).
    pub fn state(&self) -> OrderState {
        match self.0.trim().to_ascii_lowercase().as_str() {
            "succeed" | "success" | "succeeded" => OrderState::Succeeded,
            "failed" | "invalid" | "cancelled" | "canceled" | "refunded" => OrderState::Failed,
            _ => OrderState::Open,
        }
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One page of a paginated list (partner-api.md 6.1, 6.2).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of the page (or of all the pages read).
    pub items: Vec<T>,
    /// The number of the page (the last page read, for several).
    pub page_no: u64,
    /// How many pages there are (at least 1).
    pub total_pages: u64,
    /// The number of items in all pages, where the portal says.
    pub total: Option<u64>,
    /// The page size the portal says it used (it may differ from the one asked for).
    pub page_size: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageResult {
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub page_no: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub total_page: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub total: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub page_size: Option<u64>,
    #[serde(alias = "list", alias = "records", default)]
    pub results: Option<crate::json::Json>,
}

/// An order as Query Order List shows it. Fields beyond the documented few are assumptions
/// (partner-api.md 10.5) and are `None` when the portal does not send them.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    #[serde(default, deserialize_with = "lenient_opt_id", alias = "orderId")]
    /// The order's ID.
    pub id: Option<OrderId>,
    #[serde(default, deserialize_with = "lenient_opt_order_no")]
    /// The order number (`orderNo`), the name a person uses.
    pub order_no: Option<OrderNo>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    /// The order's status as the portal wrote it (see [`Order::status`]).
    pub order_status: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    /// `createTime` as the portal wrote it (epoch milliseconds, or seconds below 10^11);
    /// [`Order::created`] reads it.
    pub create_time: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_string", alias = "currency")]
    /// The currency of the amount.
    pub currency_code: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string", alias = "sn")]
    /// The PBX's serial number.
    pub product_no: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    /// The product's name.
    pub product_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    /// The purchase-order number the order was given.
    pub po_number: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        alias = "goodsName",
        alias = "serviceName"
    )]
    /// The plan's name.
    pub plan_name: Option<String>,
    #[serde(default, deserialize_with = "opt_cycles", alias = "years")]
    /// How many billing cycles (years) the order bought.
    pub multi_cycle: Option<u8>,
    #[serde(
        default,
        deserialize_with = "opt_amount",
        alias = "totalAmount",
        alias = "orderAmount",
        alias = "payAmount"
    )]
    /// The amount charged, exact.
    pub amount: Option<Amount>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    /// The order's `operationType` (`purchase_plan`, `renew_plan`, `switch_plan`).
    pub operation_type: Option<String>,
    /// The product the order is for (`9` is Linkus), where the list says.
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub product_id: Option<String>,
}

impl Order {
    /// When the order was created: `createTime` read as epoch milliseconds, or seconds below
    /// 10^11.
    pub fn created(&self) -> Option<std::time::SystemTime> {
        self.create_time
            .map(portal_time_ms)
            .map(crate::clock::from_ms)
    }

    /// The order's status, when the portal gave one.
    pub fn status(&self) -> Option<OrderStatus> {
        self.order_status.clone().map(OrderStatus)
    }

    /// Whether the order is for Linkus Cloud Service: `None` when the list does not say which
    /// product it is for (such an order counts, CLI.md section 3).
    pub fn is_linkus(&self) -> Option<bool> {
        product_is_linkus(self.product_id.as_deref())
    }

    /// Whether the order is for this PBX (serial numbers compare case-insensitively).
    pub fn is_for(&self, sn: &str) -> bool {
        self.product_no
            .as_deref()
            .is_some_and(|no| no.trim().eq_ignore_ascii_case(sn.trim()))
    }
}

/// Get Order Details: the answer as sent, and what is read from it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OrderDetails {
    /// The `result` as the portal sent it, every digit kept.
    pub raw: crate::json::Json,
    /// The order number, when the answer named it.
    pub order_no: Option<OrderNo>,
    /// The order's status, when the answer gave one.
    pub status: Option<OrderStatus>,
    /// The PBX's serial number, when the answer named it.
    pub product_no: Option<String>,
    /// `orderInformation.operationType` (`renew_plan`, …), where the portal fills it.
    pub operation_type: Option<String>,
    /// `basicInformation.productId` (`9` is Linkus).
    pub product_id: Option<String>,
}

/// Whether a `productId` as the portal wrote it (`9`, `"9"`) is Linkus Cloud Service; `None`
/// when there is none.
pub fn product_is_linkus(product_id: Option<&str>) -> Option<bool> {
    let id = product_id?.trim();
    if id.is_empty() {
        return None;
    }
    Some(id.parse::<u64>().ok() == Some(crate::model::LINKUS_PRODUCT_ID))
}

impl OrderDetails {
    /// Reads the order number, status and SN from `orderInformation` and `basicInformation`
    /// (or from the top level, for a flat answer).
    pub(crate) fn from_raw(raw: crate::json::Json) -> Self {
        let members = crate::envelope::object_members(raw.get()).unwrap_or_default();
        let section = |name: &str| {
            members
                .iter()
                .find(|(key, _)| key == name)
                .and_then(|(_, value)| crate::envelope::object_members(value.get()).ok())
        };
        let information = section("orderInformation");
        let basic = section("basicInformation");
        let field = |sections: &[Option<&Members>], name: &str| {
            sections.iter().flatten().find_map(|members| {
                members
                    .iter()
                    .find(|(key, _)| key == name)
                    .and_then(|(_, value)| scalar_text(value))
                    .filter(|text| !text.is_empty())
            })
        };
        let top = Some(&members);
        OrderDetails {
            order_no: field(&[information.as_ref(), top], "orderNo").map(OrderNo::from_portal),
            status: field(&[information.as_ref(), top], "orderStatus").map(OrderStatus),
            product_no: field(&[basic.as_ref(), information.as_ref(), top], "productNo"),
            operation_type: field(&[information.as_ref(), top], "operationType"),
            product_id: field(&[basic.as_ref(), information.as_ref(), top], "productId"),
            raw,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_statuses_settle_as_the_contract_says() {
        let state = |s: &str| OrderStatus::new(s).state();
        assert_eq!(state("succeed"), OrderState::Succeeded);
        assert_eq!(state("pending"), OrderState::Open);
        assert_eq!(state("confirming"), OrderState::Open);
        // Money went back: final, without service (exit 5), never "pending".
        assert_eq!(state("refunded"), OrderState::Failed);
        assert_eq!(state(" Refunded "), OrderState::Failed);
        assert_eq!(state("failed"), OrderState::Failed);
        assert_eq!(state("INVALID"), OrderState::Failed);
        assert_eq!(state("cancelled"), OrderState::Failed);
    }

    #[test]
    fn details_are_read_from_their_sections() {
        let raw = crate::Json::parse(
            r#"{"basicInformation":{"productId":"9","productNo":"369471667338"},
                "orderInformation":{"orderNo":"LR1","orderStatus":"pending","id":3206190457467703296}}"#,
        )
        .unwrap();
        let details = OrderDetails::from_raw(raw);
        assert_eq!(details.order_no.as_ref().map(OrderNo::as_str), Some("LR1"));
        assert_eq!(details.status.unwrap().state(), OrderState::Open);
        assert_eq!(details.product_no.as_deref(), Some("369471667338"));
        assert_eq!(details.product_id.as_deref(), Some("9"));
        assert_eq!(details.operation_type, None);
        let flat = OrderDetails::from_raw(
            crate::Json::parse(r#"{"orderNo":"LR2","orderStatus":"succeed"}"#).unwrap(),
        );
        assert_eq!(flat.order_no.as_ref().map(OrderNo::as_str), Some("LR2"));
    }

    #[test]
    fn the_product_is_told_by_its_id_only() {
        assert_eq!(product_is_linkus(Some("9")), Some(true));
        assert_eq!(product_is_linkus(Some(" 9 ")), Some(true));
        assert_eq!(product_is_linkus(Some("11")), Some(false));
        assert_eq!(product_is_linkus(Some("linkus")), Some(false));
        assert_eq!(product_is_linkus(Some("")), None);
        assert_eq!(product_is_linkus(None), None);
    }
}
