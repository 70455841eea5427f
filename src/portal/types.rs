//! Typed requests and responses, parsed leniently (partner-api.md section 10).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::envelope::Reply;
use super::error::PortalError;
use super::ids::{
    as_number, lenient_opt_id, lenient_opt_string, lenient_opt_u64, lenient_string, Id,
};

/// Linkus Cloud Service.
pub const LINKUS_PRODUCT_ID: u64 = 9;

/// The names a wrapped list may hide under (partner-api.md 10.6).
const LIST_KEYS: [&str; 5] = ["results", "list", "records", "data", "items"];

/// Reads the `result` of a reply into `T`, naming the endpoint when the shape is wrong.
pub fn decode<T: DeserializeOwned>(
    endpoint: &str,
    reply: &Reply,
    value: Value,
) -> Result<T, PortalError> {
    serde_json::from_value(value).map_err(|error| PortalError::Shape {
        endpoint: endpoint.to_owned(),
        status: reply.status,
        detail: error.to_string(),
        request_id: reply.request_id.clone(),
    })
}

/// A list that may arrive bare, wrapped in an object (`results`, `list`, `records`), or as a
/// single object.
pub fn list_items(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        Value::Object(mut map) => {
            for key in LIST_KEYS {
                if let Some(Value::Array(_)) = map.get(key) {
                    if let Some(Value::Array(items)) = map.remove(key) {
                        return items;
                    }
                }
            }
            vec![Value::Object(map)]
        }
        other => vec![other],
    }
}

/// Decodes every item of a lenient list.
pub fn decode_list<T: DeserializeOwned>(
    endpoint: &str,
    reply: &Reply,
    value: Value,
) -> Result<Vec<T>, PortalError> {
    list_items(value)
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            decode(endpoint, reply, item).map_err(|error| match error {
                PortalError::Shape {
                    endpoint,
                    status,
                    detail,
                    request_id,
                } => PortalError::Shape {
                    endpoint,
                    status,
                    detail: format!("item {}: {detail}", index + 1),
                    request_id,
                },
                other => other,
            })
        })
        .collect()
}

/// A plan that can be bought for a PBX (partner-api.md 10.2).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    #[serde(alias = "pricingPlanId", alias = "serviceId", alias = "id")]
    pub plan_id: Id,
    #[serde(alias = "name", default, deserialize_with = "lenient_string")]
    pub plan_name: String,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub purchase_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub billing_model: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub billing_cycle: Option<String>,
    #[serde(alias = "multiCycles", alias = "years", default)]
    pub multi_cycle_list: Option<Vec<u8>>,
}

impl Plan {
    /// The billing cycles the plan allows; the documented 1–5 when the portal does not say.
    pub fn years(&self) -> Vec<u8> {
        match &self.multi_cycle_list {
            Some(list) if !list.is_empty() => list.clone(),
            _ => (1..=5).collect(),
        }
    }

    /// A trial plan cannot be bought; everything else with no type is assumed purchasable.
    pub fn is_purchasable(&self) -> bool {
        self.purchase_type
            .as_deref()
            .is_none_or(|kind| kind.eq_ignore_ascii_case("purchase"))
    }
}

/// What the portal offers for one PBX (partner-api.md 10.2).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductOffer {
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub product_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub product_name: Option<String>,
    #[serde(alias = "plans", default)]
    pub plan_list: Option<Value>,
    #[serde(alias = "services", default)]
    pub service_list: Option<Value>,
}

/// A billing contact (partner-api.md section 4 and 10.3).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BillingContact {
    #[serde(alias = "id", alias = "billingId")]
    pub billing_contact_id: Id,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub first_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub last_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub company: Option<String>,
    #[serde(alias = "email", default, deserialize_with = "lenient_opt_string")]
    pub email_address: Option<String>,
    #[serde(alias = "phone", default, deserialize_with = "lenient_opt_string")]
    pub phone_number: Option<String>,
}

impl BillingContact {
    pub fn name(&self) -> String {
        let parts: Vec<&str> = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect();
        parts.join(" ")
    }

    pub fn email(&self) -> &str {
        self.email_address.as_deref().unwrap_or("")
    }

    /// "Ana Silva <billing@example.com>, Example Telecom", leaving out what is missing.
    pub fn label(&self) -> String {
        let mut label = self.name();
        if !self.email().is_empty() {
            label = format!("{label} <{}>", self.email()).trim().to_owned();
        }
        match self.company.as_deref().map(str::trim) {
            Some(company) if !company.is_empty() => format!("{label}, {company}"),
            _ => label,
        }
    }
}

/// The body of Create an Order (partner-api.md 5.3 and 10.4).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest {
    pub operation_type: &'static str,
    pub product_id: u64,
    pub product_no: String,
    #[serde(serialize_with = "as_number")]
    pub billing_id: Id,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub po_number: Option<String>,
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
    /// A new Linkus Cloud Service subscription (partner-api.md 7.1).
    pub fn linkus_purchase(
        sn: &str,
        plan: Id,
        billing_contact: Id,
        years: u8,
        po_number: Option<String>,
    ) -> Self {
        OrderRequest {
            operation_type: "purchase_plan",
            product_id: LINKUS_PRODUCT_ID,
            product_no: sn.to_owned(),
            billing_id: billing_contact,
            po_number,
            service_list: vec![OrderService {
                service_type: "plan",
                service_id: plan,
                purchase_type: "purchase",
                billing_model: "recurring",
                billing_cycle: "annually",
                multi_cycle: years,
            }],
        }
    }

    /// The exact bytes sent to the portal, also what `--dry-run` prints.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The answer to Create an Order (partner-api.md 5.4).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrderResult {
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub order_no: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub order_status: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub instance_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub product_no: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub transaction_no: Option<String>,
}

/// What an order status means for the partner (partner-api.md 5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    Succeeded,
    /// Created, but not (yet) provisioned: pending payment or any status we do not know.
    Open,
    /// Final, without service: failed, invalid, cancelled, refunded.
    Failed,
}

pub fn settlement(status: &str) -> Settlement {
    match status.to_ascii_lowercase().as_str() {
        "succeed" | "success" | "succeeded" => Settlement::Succeeded,
        "failed" | "invalid" | "cancelled" | "canceled" | "refunded" => Settlement::Failed,
        _ => Settlement::Open,
    }
}

/// One page of a paginated list (partner-api.md 6.1, 6.2).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub page_no: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub total_page: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub total: Option<u64>,
    #[serde(alias = "list", alias = "records", default)]
    pub results: Option<Value>,
}

/// An order as the order list shows it (partner-api.md 6.2 and 10.5).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    #[serde(default, deserialize_with = "lenient_opt_id", alias = "orderId")]
    pub id: Option<Id>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub order_no: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub order_status: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub create_time: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub currency_code: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string", alias = "sn")]
    pub product_no: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub product_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub po_number: Option<String>,
}

impl Order {
    /// `createTime` in epoch milliseconds; values below 10^12 are taken as seconds.
    pub fn created_ms(&self) -> Option<u64> {
        self.create_time.map(epoch_ms)
    }
}

/// A PBX's subscription in the product list (partner-api.md 6.1 and 10.5).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProductInstance {
    #[serde(default, deserialize_with = "lenient_opt_string", alias = "sn")]
    pub product_no: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub product_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub plan_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient_opt_u64",
        alias = "expiredTime",
        alias = "expireDate"
    )]
    pub expire_time: Option<u64>,
}

impl ProductInstance {
    pub fn expires_ms(&self) -> Option<u64> {
        self.expire_time.map(epoch_ms)
    }
}

/// Portal times are epoch milliseconds; values below 10^12 are taken as seconds (partner-api.md 8.15).
pub fn epoch_ms(value: u64) -> u64 {
    if value < 1_000_000_000_000 {
        value.saturating_mul(1000)
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reply() -> Reply {
        Reply {
            status: 200,
            request_id: Some("r".to_owned()),
            result: Value::Null,
        }
    }

    #[test]
    fn plans_parse_from_the_assumed_shape_and_its_variants() {
        let offer: ProductOffer = decode(
            "GET /p",
            &reply(),
            serde_json::json!({
                "productId": "9", "productName": "Linkus Cloud Service", "offeringId": "31",
                "plans": [
                    {"planId": 3048918321840570368u64, "planName": "Linkus Cloud Service", "purchaseType": "purchase", "multiCycleList": [1,2,3]},
                    {"id": "3048918719332507648", "name": "Linkus Cloud Service Pro", "somethingNew": {"x": 1}}
                ]
            }),
        )
        .unwrap();
        let plans: Vec<Plan> = decode_list("GET /p", &reply(), offer.plan_list.unwrap()).unwrap();
        assert_eq!(plans[0].plan_id, Id(3048918321840570368));
        assert_eq!(plans[0].years(), vec![1, 2, 3]);
        assert_eq!(plans[1].plan_id, Id(3048918719332507648));
        assert_eq!(plans[1].plan_name, "Linkus Cloud Service Pro");
        assert_eq!(plans[1].years(), vec![1, 2, 3, 4, 5]);
        assert!(plans[1].is_purchasable());
    }

    #[test]
    fn a_plan_without_an_id_names_the_field() {
        let err = decode_list::<Plan>(
            "GET /pricing/x",
            &reply(),
            serde_json::json!([{"planName": "x"}]),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("GET /pricing/x"), "{text}");
        assert!(text.contains("planId"), "{text}");
        assert!(text.contains("item 1"), "{text}");
    }

    #[test]
    fn contact_lists_may_be_bare_wrapped_or_single() {
        let contact = serde_json::json!({"billingContactId": 3197218168379846218u64, "firstName": "Ana", "lastName": "Silva", "emailAddress": "a@x"});
        for shape in [
            serde_json::json!([contact.clone()]),
            serde_json::json!({"results": [contact.clone()], "total": 1}),
            serde_json::json!({"list": [contact.clone()]}),
            serde_json::json!({"records": [contact.clone()]}),
            contact.clone(),
        ] {
            let contacts: Vec<BillingContact> = decode_list("GET /c", &reply(), shape).unwrap();
            assert_eq!(contacts.len(), 1);
            assert_eq!(contacts[0].billing_contact_id, Id(3197218168379846218));
            assert_eq!(contacts[0].name(), "Ana Silva");
        }
    }

    #[test]
    fn the_order_body_has_numbers_digit_for_digit() {
        let body = OrderRequest::linkus_purchase(
            "369471667338",
            Id(3048918321840570368),
            Id(3197218168379846218),
            2,
            Some("PO-1".to_owned()),
        );
        let json = String::from_utf8(body.to_json()).unwrap();
        assert_eq!(
            json,
            r#"{"operationType":"purchase_plan","productId":9,"productNo":"369471667338","billingId":3197218168379846218,"poNumber":"PO-1","serviceList":[{"serviceType":"plan","serviceId":3048918321840570368,"purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":2}]}"#
        );
    }

    #[test]
    fn order_statuses_settle_as_documented() {
        assert_eq!(settlement("succeed"), Settlement::Succeeded);
        assert_eq!(settlement("pending"), Settlement::Open);
        assert_eq!(settlement("confirming"), Settlement::Open);
        assert_eq!(settlement("failed"), Settlement::Failed);
        assert_eq!(settlement("INVALID"), Settlement::Failed);
    }

    #[test]
    fn times_in_seconds_or_milliseconds() {
        assert_eq!(epoch_ms(1_700_000_000), 1_700_000_000_000);
        assert_eq!(epoch_ms(1_700_000_000_123), 1_700_000_000_123);
    }

    proptest! {
        #[test]
        fn list_parsing_never_panics(json in arbitrary_json()) {
            let _ = decode_list::<BillingContact>("GET /c", &reply(), json.clone());
            let _ = decode_list::<Plan>("GET /p", &reply(), json.clone());
            let _ = decode_list::<Order>("GET /o", &reply(), json.clone());
            let _ = decode::<Page>("GET /o", &reply(), json.clone());
            let _ = decode::<ProductOffer>("GET /p", &reply(), json.clone());
            let _ = decode_list::<ProductInstance>("GET /i", &reply(), json);
        }
    }

    /// Arbitrary JSON whose keys are often the ones the parsers look for.
    pub fn arbitrary_json() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            Just("billingContactId".to_owned()),
            Just("planId".to_owned()),
            Just("planList".to_owned()),
            Just("results".to_owned()),
            Just("list".to_owned()),
            Just("orderNo".to_owned()),
            Just("createTime".to_owned()),
            Just("multiCycleList".to_owned()),
            Just("expireTime".to_owned()),
            "[a-zA-Z]{1,8}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".*".prop_map(Value::String),
            "[0-9]{1,25}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(key.clone(), inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }
}
