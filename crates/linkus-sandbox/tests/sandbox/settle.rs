//! What a person does in the portal (pay or cancel a pending order), Enable Auto-renewal,
//! and the `0404` PBX that is not in the account.

use linkus_sandbox::*;
use serde_json::json;

use crate::{refused, success, Sandbox, BASIC, PRO, SN};

const PENDING_SN: &str = "369471660202";

#[test]
fn a_pending_order_is_paid_or_cancelled_once() {
    let sandbox = Sandbox::new();
    let placed = success(sandbox.order("purchase", PENDING_SN, BASIC, 1));
    let order = placed["orderNo"].as_str().unwrap().to_owned();
    assert_eq!(placed["orderStatus"], "pending");
    let before = sandbox.get(
        PRODUCT_DETAILS_PATH,
        &[("productNo", PENDING_SN), ("productId", "9")],
    );
    assert_eq!(before.status, 404, "nothing until paid");

    match sandbox.portal.settle(&order, true).unwrap() {
        Settled::Paid(paid) => assert_eq!(paid.order_status, "succeed"),
        other => panic!("{other:?}"),
    }
    let after = success(sandbox.get(
        PRODUCT_DETAILS_PATH,
        &[("productNo", PENDING_SN), ("productId", "9")],
    ));
    assert_eq!(after["planId"], BASIC);
    assert!(matches!(
        sandbox.portal.settle(&order, false).unwrap(),
        Settled::NotPending(_)
    ));

    let second = success(sandbox.order("purchase", "369471670202", BASIC, 1));
    let id = second["orderNo"]
        .as_str()
        .unwrap()
        .trim_start_matches("LR")
        .to_owned();
    match sandbox.portal.settle(&id, false).unwrap() {
        Settled::Cancelled(cancelled) => assert_eq!(cancelled.order_status, "cancelled"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        sandbox.portal.settle("LR1", true).unwrap(),
        Settled::NotFound
    ));
}

#[test]
fn auto_renewal_is_enabled_for_the_current_plan_only() {
    let sandbox = Sandbox::new();
    let body = |plan: u64| json!({"productNo": SN, "productId": "9", "planOrServiceId": plan});
    let detail = refused(
        sandbox.post(AUTO_RENEW_PATH, &body(BASIC)),
        400,
        "product_not_subscribed",
    );
    assert!(detail.contains("no live Linkus Cloud Service"), "{detail}");

    success(sandbox.order("purchase", SN, BASIC, 1));
    refused(
        sandbox.post(AUTO_RENEW_PATH, &body(PRO)),
        400,
        "parameter_validation_failed",
    );
    refused(
        sandbox.post(
            AUTO_RENEW_PATH,
            &json!({"productNo": SN, "productId": "7", "planOrServiceId": BASIC}),
        ),
        400,
        "parameter_validation_failed",
    );
    assert_eq!(
        success(sandbox.post(AUTO_RENEW_PATH, &body(BASIC))),
        json!(true)
    );
    let details = success(sandbox.get(
        PRODUCT_DETAILS_PATH,
        &[("productNo", SN), ("productId", "9")],
    ));
    assert_eq!(details["autoRenewStatus"], 1);
}

#[test]
fn an_sn_ending_0404_is_not_in_the_account() {
    let sandbox = Sandbox::new();
    let sn = "369471660404";
    refused(
        sandbox.get(PLANS_PATH, &[("productId", "9"), ("productNo", sn)]),
        400,
        "product_not_in_account",
    );
    refused(
        sandbox.get(
            PRODUCT_DETAILS_PATH,
            &[("productNo", sn), ("productId", "9")],
        ),
        400,
        "product_not_in_account",
    );
    refused(
        sandbox.order("purchase", sn, BASIC, 1),
        400,
        "product_not_in_account",
    );
}
