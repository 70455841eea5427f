//! What the sandbox sells and to whom it bills: the two Linkus plans, their list prices, and
//! the account's ten billing contacts.

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

/// The account's billing contacts: the tutorial's ID first, then enough more (ten in all)
/// that the wizard's list can be narrowed by typing, as a partner's dozens would be.
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
        },
        {
            "billingContactId": "3204118927560851456",
            "firstName": "Carla", "lastName": "Mendes", "company": "Iberia Voice",
            "emailAddress": "carla.mendes@iberiavoice.example", "phoneNumber": "+34910000001",
            "country": "Spain", "stateProvince": "Madrid", "city": "Madrid",
            "street": "2 Example Avenue", "zipCode": "1002", "taxNum": "", "remark": ""
        },
        {
            "billingContactId": "3204118927560851457",
            "firstName": "Dmitri", "lastName": "Ivanov", "company": "Baltic PBX",
            "emailAddress": "billing@balticpbx.example", "phoneNumber": "+37120000002",
            "country": "Latvia", "stateProvince": "Riga", "city": "Riga",
            "street": "3 Example Avenue", "zipCode": "1003", "taxNum": "", "remark": ""
        },
        {
            "billingContactId": "3204118927560851458",
            "firstName": "Emma", "lastName": "Schulz", "company": "Alpen Telefon",
            "emailAddress": "e.schulz@alpentelefon.example", "phoneNumber": "+43100000003",
            "country": "Austria", "stateProvince": "Wien", "city": "Wien",
            "street": "4 Example Avenue", "zipCode": "1004", "taxNum": "", "remark": ""
        },
        {
            "billingContactId": "3204118927560851459",
            "firstName": "Farid", "lastName": "Haddad", "company": "Cedar Comms",
            "emailAddress": "accounts@cedarcomms.example", "phoneNumber": "+96110000004",
            "country": "Lebanon", "stateProvince": "Beirut", "city": "Beirut",
            "street": "5 Example Avenue", "zipCode": "1005", "taxNum": "", "remark": ""
        },
        {
            "billingContactId": "3204118927560851460",
            "firstName": "Grace", "lastName": "Lee", "company": "Harbour IT",
            "emailAddress": "grace.lee@harbourit.example", "phoneNumber": "+85220000005",
            "country": "Hong Kong", "stateProvince": "Hong Kong", "city": "Hong Kong",
            "street": "6 Example Avenue", "zipCode": "1006", "taxNum": "", "remark": ""
        },
        {
            "billingContactId": "3204118927560851461",
            "firstName": "Hugo", "lastName": "Martin", "company": "Lumière Réseaux",
            "emailAddress": "compta@lumiere-reseaux.example", "phoneNumber": "+33100000006",
            "country": "France", "stateProvince": "Île-de-France", "city": "Paris",
            "street": "7 Example Avenue", "zipCode": "1007", "taxNum": "", "remark": ""
        },
        {
            "billingContactId": "3204118927560851462",
            "firstName": "Ines", "lastName": "Costa", "company": "Example Telecom",
            "emailAddress": "finance@example.com", "phoneNumber": "+351220000007",
            "country": "Portugal", "stateProvince": "Porto", "city": "Porto",
            "street": "8 Example Avenue", "zipCode": "1008", "taxNum": "", "remark": ""
        },
        {
            "billingContactId": "3204118927560851463",
            "firstName": "Jonas", "lastName": "Berg", "company": "Fjord Networks",
            "emailAddress": "jonas.berg@fjordnet.example", "phoneNumber": "+4722000008",
            "country": "Norway", "stateProvince": "Oslo", "city": "Oslo",
            "street": "9 Example Avenue", "zipCode": "1009", "taxNum": "", "remark": ""
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

/// The refusal of a `productId` other than Linkus Cloud Service's (9).
pub(crate) fn not_linkus() -> Answer {
    invalid(
        "productId",
        "productId is required; the sandbox knows Linkus Cloud Service only (productId 9).",
    )
}

/// Query Subscription Price (10.8): the list price of each plan for one year.
pub(crate) fn price_info(call: &Call) -> Answer {
    if call.param("productId") != Some("9") {
        return not_linkus();
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
