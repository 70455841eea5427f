//! Purchase, renew and switch orders: what they check, what they change, how they are listed.

use std::time::Duration;

use linkus_sandbox::*;
use serde_json::{json, Value};

use crate::{now_ms, order_body, refused, success, Sandbox, BASIC, CONTACT, PRO, SN, YEAR_MS};

fn subscription(sandbox: &Sandbox, sn: &str) -> Subscription {
    Store::new(sandbox.dir.path())
        .load()
        .subscription(sn)
        .cloned()
        .expect("a stored subscription")
}

fn details(sandbox: &Sandbox, sn: &str) -> Value {
    success(sandbox.get(
        PRODUCT_DETAILS_PATH,
        &[("productNo", sn), ("productId", "9")],
    ))
}

#[test]
fn a_purchase_creates_the_subscription_and_a_second_is_refused() {
    let sandbox = Sandbox::new();
    let before = now_ms();
    let created = success(sandbox.order("purchase", SN, BASIC, 3));
    assert_eq!(created["orderStatus"], "succeed");
    assert_eq!(created["productNo"], SN);
    assert!(created["orderNo"].as_str().unwrap().starts_with("LR"));
    assert!(created["transactionNo"].as_str().unwrap().starts_with("QO"));
    assert!(created["instanceId"].as_str().is_some());
    let subscription = subscription(&sandbox, SN);
    assert_eq!(subscription.plan_id, BASIC);
    assert_eq!(subscription.multi_cycle, 3);
    assert!(!subscription.auto_renew);
    assert!(subscription.expire_time >= before + 3 * YEAR_MS);
    assert_eq!(subscription.expire_time, subscription.since + 3 * YEAR_MS);
    let detail = refused(
        sandbox.order("purchase", SN, PRO, 1),
        400,
        "product_already_subscribed",
    );
    assert!(detail.contains(SN), "{detail}");
}

#[test]
fn a_renewal_extends_the_expiry_from_the_current_one() {
    let sandbox = Sandbox::new();
    success(sandbox.order("purchase", SN, PRO, 1));
    let bought = subscription(&sandbox, SN);
    success(sandbox.order("renew", SN, PRO, 2));
    let renewed = subscription(&sandbox, SN);
    assert_eq!(renewed.expire_time, bought.expire_time + 2 * YEAR_MS);
    assert_eq!(renewed.plan_id, PRO);
    assert_eq!(renewed.multi_cycle, 2);
    assert_eq!(renewed.since, bought.since);

    // Only the current plan is renewed, for 1 to 5 years, of a PBX that has Linkus.
    let detail = refused(
        sandbox.order("renew", SN, BASIC, 1),
        400,
        "parameter_validation_failed",
    );
    assert!(detail.contains("current plan"), "{detail}");
    refused(
        sandbox.order("renew", SN, PRO, 6),
        400,
        "parameter_validation_failed",
    );
    refused(
        sandbox.order("renew", "111111111111", BASIC, 1),
        400,
        "product_not_subscribed",
    );
    assert_eq!(subscription(&sandbox, SN), renewed);
}

#[test]
fn an_expired_subscription_renews_from_now_and_cannot_switch() {
    let sandbox = Sandbox::with(|portal| portal.with_fleet(431));
    let (sn, expired) = (1..=431)
        .map(|i| format!("F{i:011}"))
        .map(|sn| {
            let details = details(&sandbox, &sn);
            (sn, details)
        })
        .find(|(_, details)| details["status"] == "expired")
        .unwrap();
    let plan = expired["planId"].as_u64().unwrap();
    let other = if plan == BASIC { PRO } else { BASIC };
    let years = expired["multiCycle"].as_u64().unwrap() as u8;
    let detail = refused(
        sandbox.order("switch", &sn, other, years),
        400,
        "product_not_subscribed",
    );
    assert!(detail.contains("expired"), "{detail}");

    let before = now_ms();
    success(sandbox.order("renew", &sn, plan, 1));
    let renewed = subscription(&sandbox, &sn);
    assert!(renewed.expire_time >= before + YEAR_MS);
    assert!(renewed.expire_time <= now_ms() + YEAR_MS);
    assert_eq!(details(&sandbox, &sn)["status"], "active");
}

#[test]
fn a_switch_changes_the_plan_and_keeps_the_expiry() {
    let sandbox = Sandbox::new();
    refused(
        sandbox.order("switch", SN, PRO, 1),
        400,
        "product_not_subscribed",
    );
    success(sandbox.order("purchase", SN, BASIC, 2));
    let bought = subscription(&sandbox, SN);

    let same = sandbox.order("switch", SN, BASIC, 2);
    assert_eq!(same.body["result"]["field"], "serviceId");
    let detail = refused(same, 400, "parameter_validation_failed");
    assert!(detail.contains("another plan"), "{detail}");
    let interval = sandbox.order("switch", SN, PRO, 1);
    assert_eq!(interval.body["result"]["field"], "multiCycle");
    let detail = refused(interval, 400, "parameter_validation_failed");
    assert!(detail.contains("multiCycle must be 2"), "{detail}");
    assert_eq!(subscription(&sandbox, SN), bought);

    success(sandbox.order("switch", SN, PRO, 2));
    let switched = subscription(&sandbox, SN);
    assert_eq!(switched.plan_id, PRO);
    assert_eq!(switched.plan_name, "Linkus Cloud Service Pro");
    assert_eq!(switched.expire_time, bought.expire_time);
    assert_eq!(switched.multi_cycle, 2);
    assert_eq!(details(&sandbox, SN)["planId"].as_u64(), Some(PRO));
}

#[test]
fn operation_and_purchase_type_must_be_one_of_the_three_shapes() {
    let sandbox = Sandbox::new();
    success(sandbox.order("purchase", SN, BASIC, 1));
    let mut mixed = order_body("renew", SN, BASIC, 1);
    mixed["serviceList"][0]["purchaseType"] = json!("purchase");
    let answer = sandbox.post(ORDER_PATH, &mixed);
    assert_eq!(answer.body["result"]["field"], "purchaseType");
    refused(answer, 400, "parameter_validation_failed");
    let mut trial = order_body("renew", SN, BASIC, 1);
    trial["operationType"] = json!("trial_plan");
    refused(
        sandbox.post(ORDER_PATH, &trial),
        400,
        "parameter_validation_failed",
    );
    // IDs must be JSON numbers.
    let mut quoted = order_body("renew", SN, BASIC, 1);
    quoted["billingId"] = json!(CONTACT.to_string());
    refused(
        sandbox.post(ORDER_PATH, &quoted),
        400,
        "parameter_validation_failed",
    );
    assert_eq!(Store::new(sandbox.dir.path()).load().orders.len(), 1);
}

#[test]
fn a_0409_pbx_cannot_be_bought_but_renews_and_switches() {
    let sandbox = Sandbox::new();
    let sn = "1234560409";
    refused(
        sandbox.order("purchase", sn, BASIC, 1),
        400,
        "product_already_subscribed",
    );
    refused(
        sandbox.order("switch", sn, PRO, 2),
        400,
        "parameter_validation_failed",
    );
    success(sandbox.order("switch", sn, PRO, 1));
    let switched = subscription(&sandbox, sn);
    assert_eq!(switched.plan_id, PRO);
    let in_20_days = now_ms() + 20 * 24 * 3600 * 1000;
    assert!(switched.expire_time.abs_diff(in_20_days) < 60_000);

    let other = "6543210409";
    success(sandbox.order("renew", other, BASIC, 1));
    let renewed = subscription(&sandbox, other);
    assert!(renewed.expire_time.abs_diff(in_20_days + YEAR_MS) < 60_000);
    // Once stored, the 0409 PBX keeps its stored expiry.
    let listed = success(sandbox.get(INSTANCES_PATH, &[("productId", "9")]));
    assert_eq!(listed["total"], 3);
}

#[test]
fn special_pbxs_rehearse_failures_for_renewals_too() {
    let sandbox = Sandbox::new();
    refused(
        sandbox.order("renew", "1234560402", BASIC, 1),
        400,
        "product_not_eligible",
    );

    // 0202: the order stays pending and the subscription does not change.
    let pending = "1234560202";
    let created = success(sandbox.order("purchase", pending, BASIC, 1));
    assert_eq!(created["orderStatus"], "pending");
    assert!(Store::new(sandbox.dir.path())
        .load()
        .subscription(pending)
        .is_none());
    refused(
        sandbox.order("renew", pending, BASIC, 1),
        400,
        "product_not_subscribed",
    );

    // 0504: placed and applied, the answer held back.
    let hung = "1234560504";
    let held = sandbox.order("purchase", hung, BASIC, 1);
    assert_eq!(held.delay, Duration::from_secs(600));
    assert_eq!(held.body["result"]["orderStatus"], "succeed");
    let renewal = sandbox.order("renew", hung, BASIC, 2);
    assert_eq!(renewal.delay, Duration::from_secs(600));
    let subscription = subscription(&sandbox, hung);
    assert_eq!(subscription.expire_time, subscription.since + 3 * YEAR_MS);
    assert_eq!(
        sandbox.order("purchase", SN, BASIC, 1).delay,
        Duration::ZERO
    );
}

#[test]
fn orders_are_listed_with_operation_plan_and_amount_and_shown_in_detail() {
    let sandbox = Sandbox::new();
    let bought = success(sandbox.order("purchase", SN, BASIC, 2));
    success(sandbox.order("renew", SN, BASIC, 1));
    success(sandbox.order("switch", SN, PRO, 1));

    let list = success(sandbox.get(ORDERS_PATH, &[("pageNo", "1"), ("pageSize", "2")]));
    assert_eq!(list["total"], 3);
    assert_eq!(list["totalPage"], 2);
    assert_eq!(list["count"], 2);
    let switch = &list["results"][0];
    assert_eq!(switch["operationType"], "switch_plan");
    assert_eq!(switch["planId"].as_u64(), Some(PRO));
    assert_eq!(switch["amount"], "180.00");
    assert_eq!(list["results"][1]["operationType"], "renew_plan");
    assert_eq!(list["results"][1]["amount"], "120.00");

    let older = success(sandbox.get(ORDERS_PATH, &[("pageNo", "2"), ("pageSize", "2")]));
    let purchase = older["results"][0].clone();
    let id = purchase["id"].as_str().unwrap().to_owned();
    let create_time = purchase["createTime"].as_u64().unwrap();
    assert_eq!(
        purchase,
        json!({
            "id": id, "orderNo": bought["orderNo"], "orderStatus": "succeed",
            "operationType": "purchase_plan", "createTime": create_time,
            "currencyCode": "USD", "amount": "240.00", "customReferenceNo": "",
            "invoiceNo": "", "productId": 9, "productName": "Linkus Cloud Service",
            "productNo": SN, "planId": BASIC, "planName": "Linkus Cloud Service",
            "multiCycle": 2, "poNumber": "PO-42", "transactionNo": bought["transactionNo"]
        })
    );

    let order_no = bought["orderNo"].as_str().unwrap();
    for key in [order_no, id.as_str()] {
        let shown = success(sandbox.get(&format!("{ORDER_DETAILS_PATH}/{key}"), &[]));
        assert_eq!(
            shown["basicInformation"],
            json!({"productId": "9", "productName": "Linkus Cloud Service", "productNo": SN})
        );
        assert_eq!(
            shown["billingInformation"]["billingContactId"],
            "3197218168379846218"
        );
        assert_eq!(shown["orderInformation"], purchase);
        assert_eq!(
            shown["orderSummary"],
            json!({"planId": BASIC, "planName": "Linkus Cloud Service", "multiCycle": 2,
                   "currencyCode": "USD", "amount": "240.00"})
        );
    }
    refused(
        sandbox.get(&format!("{ORDER_DETAILS_PATH}/LR1"), &[]),
        404,
        "order_not_found",
    );
}

#[test]
fn reset_forgets_orders_and_subscriptions() {
    let sandbox = Sandbox::new();
    let store = Store::new(sandbox.dir.path());
    assert!(!store.reset().unwrap());
    success(sandbox.order("purchase", SN, BASIC, 1));
    assert_eq!(store.path(), sandbox.dir.path().join("state.json"));
    assert!(store.reset().unwrap());
    let orders = success(sandbox.get(ORDERS_PATH, &[]));
    assert_eq!(orders["total"], 0);
    success(sandbox.order("purchase", SN, BASIC, 1));
}
