//! What the sandbox sells and to whom it bills: the two Linkus plans, their list prices, and
//! the account's two billing contacts.

use serde_json::{json, Value};

use crate::envelope::{invalid, ok, Answer, Call};

/// The two Linkus plans, with the IDs printed in the portal's tutorial (partner-api.md 7.1).
pub const PLANS: [(u64, &str); 2] = [
    (3048918321840570368, "Linkus Cloud Service"),
    (3048918719332507648, "Linkus Cloud Service Pro"),
];

/// The list price of each plan for one year, in [`CURRENCY`].
pub const PRICES: [(u64, &str); 2] = [
    (3048918321840570368, "120.00"),
    (3048918719332507648, "180.00"),
];

/// The offering of Linkus Cloud Service, as the plans answer (10.2) and the price query (10.8)
/// name it.
pub const OFFERING_ID: &str = "31";

/// The currency of every price and order amount.
pub const CURRENCY: &str = "USD";

/// Linkus Cloud Service.
pub(crate) const PRODUCT_ID: u64 = 9;
pub(crate) const PRODUCT_NAME: &str = "Linkus Cloud Service";

pub(crate) fn plan_name(plan_id: u64) -> Option<&'static str> {
    PLANS
        .iter()
        .find(|(id, _)| *id == plan_id)
        .map(|(_, name)| *name)
}

pub(crate) fn price(plan_id: u64) -> Option<&'static str> {
    PRICES
        .iter()
        .find(|(id, _)| *id == plan_id)
        .map(|(_, price)| *price)
}

/// What an order of `years` of a plan costs at list price, as a decimal string ("240.00");
/// computed in cents, never in floating point.
pub(crate) fn amount(plan_id: u64, years: u8) -> String {
    let Some(cents) = price(plan_id).and_then(cents) else {
        return String::new();
    };
    let total = cents * u64::from(years);
    format!("{}.{:02}", total / 100, total % 100)
}

fn cents(price: &str) -> Option<u64> {
    let (units, fraction) = price.split_once('.').unwrap_or((price, "0"));
    let fraction: u64 = match fraction.len() {
        1 => fraction.parse::<u64>().ok()? * 10,
        2 => fraction.parse().ok()?,
        _ => return None,
    };
    Some(units.parse::<u64>().ok()? * 100 + fraction)
}

/// The two billing contacts; the first has the tutorial's ID.
pub(crate) fn contacts() -> Value {
    json!([
        {
            "billingContactId": "3197218168379846218",
            "firstName": "Ana", "lastName": "Silva", "company": "Example Telecom",
            "emailAddress": "billing@example.com", "phoneNumber": "+351210000000",
            "country": "Portugal", "stateProvince": "Lisboa", "city": "Lisboa",
            "street": "Rua Exemplo 1", "zipCode": "1000-001", "taxNum": "PT999999990", "remark": ""
        },
        {
            "billingContactId": "3201475529867382784",
            "firstName": "Ben", "lastName": "Okafor", "company": "Northwind Networks",
            "emailAddress": "accounts@northwind.example", "phoneNumber": "+442071234567",
            "country": "United Kingdom", "stateProvince": "London", "city": "London",
            "street": "1 Example Street", "zipCode": "EC1A 1AA", "taxNum": "GB999999973", "remark": ""
        }
    ])
}

/// The contact whose `billingContactId` is `id`, if the account has one.
pub(crate) fn contact(id: u64) -> Option<Value> {
    let id = id.to_string();
    contacts()
        .as_array()?
        .iter()
        .find(|c| c["billingContactId"].as_str() == Some(id.as_str()))
        .cloned()
}

/// Query Subscription Price (10.8): the list price of each plan for one year.
pub(crate) fn price_info(call: &Call) -> Answer {
    if call.param("productId") != Some("9") {
        return invalid(
            "productId",
            "productId is required; the sandbox knows Linkus Cloud Service only (productId 9).",
        );
    }
    match call.param("billingCycle") {
        Some("annually") => {}
        None | Some("") => return invalid("billingCycle", "billingCycle is required."),
        Some(_) => {
            return invalid(
                "billingCycle",
                "Linkus Cloud Service is billed annually only.",
            )
        }
    }
    match call.param("offeringId") {
        Some(OFFERING_ID) => {}
        None | Some("") => return invalid("offeringId", "offeringId is required."),
        Some(other) => {
            return invalid(
                "offeringId",
                &format!(
                    "offeringId {other} is not an offering of productId 9 (use {OFFERING_ID})."
                ),
            )
        }
    }
    let plans: Vec<Value> = PLANS
        .iter()
        .map(|(id, name)| {
            json!({
                "planId": id, "planName": name, "price": price(*id).unwrap_or(""),
                "currency": CURRENCY, "billingCycle": "annually"
            })
        })
        .collect();
    ok(json!({"offeringId": OFFERING_ID, "planList": plans, "serviceList": []}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_decimals() {
        assert_eq!(amount(PLANS[0].0, 1), "120.00");
        assert_eq!(amount(PLANS[0].0, 2), "240.00");
        assert_eq!(amount(PLANS[1].0, 5), "900.00");
        assert_eq!(amount(1, 1), "");
        assert_eq!(cents("0.5"), Some(50));
        assert_eq!(cents("19.99"), Some(1999));
        assert!(contact(3197218168379846218).is_some());
        assert!(contact(1).is_none());
        for ((plan, _), (priced, _)) in PLANS.iter().zip(PRICES.iter()) {
            assert_eq!(plan, priced);
        }
    }
}
