//! `linkus renew` and `linkus switch` (CLI.md section 1; partner-api.md 10.9): the bodies,
//! what is refused before sending, and the same rules as `purchase` (summary, replay line,
//! `--again`, journal, lock, exit codes).

mod expiring;
mod orders;
mod rules;

use serde_json::{json, Value};
use wiremock::{MockServer, ResponseTemplate};

use crate::common::*;

/// The sandbox's PBX with Linkus expiring in 20 days.
const EXPIRING: &str = "369471660409";

fn renew_body(sn: &str, plan: &str, years: u8, po: Option<&str>) -> String {
    let po = po
        .map(|po| format!(r#""poNumber":"{po}","#))
        .unwrap_or_default();
    format!(
        r#"{{"operationType":"renew_plan","productId":9,"productNo":"{sn}","billingId":{CONTACT_ID},{po}"serviceList":[{{"serviceType":"plan","serviceId":{plan},"purchaseType":"renew","billingModel":"recurring","billingCycle":"annually","multiCycle":{years}}}]}}"#
    )
}

fn switch_body(sn: &str, plan: &str, years: u8) -> String {
    format!(
        r#"{{"operationType":"switch_plan","productId":9,"productNo":"{sn}","billingId":{CONTACT_ID},"serviceList":[{{"serviceType":"plan","serviceId":{plan},"purchaseType":"switch","billingModel":"recurring","billingCycle":"annually","multiCycle":{years}}}]}}"#
    )
}

/// Get Product Details for [`SN`] on the basic plan, with `changes` applied (a `null` removes
/// a field).
fn details(changes: Value) -> ResponseTemplate {
    let mut result = json!({
        "productNo": SN, "productId": 9, "planId": PLAN_ID.parse::<u64>().unwrap(),
        "planName": "Linkus Cloud Service", "multiCycle": 1, "status": "active", "currentPlan": "",
        "currentPlanExpireDate": "2027-03-01 00:00:00", "autoRenewStatus": 0,
        "activationStatus": "activated"
    });
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            result.as_object_mut().unwrap().remove(key);
        } else {
            result[key] = value.clone();
        }
    }
    ResponseTemplate::new(200).set_body_json(envelope(result))
}

/// A portal where [`SN`] has Linkus as `details` says, taking orders.
async fn subscribed_portal(changes: Value) -> MockServer {
    subscribed_portal_answering(changes, order_created("succeed")).await
}

/// The same, answering orders with `order`.
async fn subscribed_portal_answering(changes: Value, order: ResponseTemplate) -> MockServer {
    let server = portal().await;
    respond(&server, "GET", DETAILS_PATH, details(changes)).await;
    respond(&server, "POST", ORDER_PATH, order).await;
    server
}

fn renew(years: &str) -> Vec<String> {
    [
        "renew",
        "--sn",
        SN,
        "--billing-contact",
        CONTACT_ID,
        "--years",
        years,
    ]
    .map(str::to_owned)
    .to_vec()
}

fn switch_to(plan: &str) -> Vec<String> {
    [
        "switch",
        "--sn",
        SN,
        "--plan",
        plan,
        "--billing-contact",
        CONTACT_ID,
    ]
    .map(str::to_owned)
    .to_vec()
}

async fn order_bodies(server: &MockServer) -> Vec<String> {
    received(server, "POST", ORDER_PATH)
        .await
        .iter()
        .map(body_text)
        .collect()
}

fn expires_in_sandbox(env: &TestEnv, sn: &str) -> String {
    let products = run(env.sandbox_cmd().args(["products", "--sn", sn, "--json"]));
    assert_eq!(products.code, 0, "{}", products.stderr);
    products.json()["subscription"]["expires"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn days_between(from: &str, to: &str) -> i64 {
    let day = |d: &str| {
        humantime::parse_rfc3339(&format!("{d}T00:00:00Z"))
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            / 86_400
    };
    day(to) - day(from)
}
