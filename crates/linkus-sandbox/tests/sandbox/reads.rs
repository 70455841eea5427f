//! Tokens, plans, prices, contacts, users, and the rules that apply to every read.

use linkus_sandbox::*;
use serde_json::json;

use crate::{refused, success, Sandbox, BASIC, PRO, SN};

fn token(portal: &SandboxPortal, body: &str) -> Answer {
    portal.handle(&Call {
        method: "POST",
        path: TOKEN_PATH,
        query: Vec::new(),
        authorization: None,
        body: body.as_bytes(),
    })
}

fn get_with(portal: &SandboxPortal, authorization: Option<&str>) -> u16 {
    portal
        .handle(&Call {
            method: "GET",
            path: CONTACTS_PATH,
            query: Vec::new(),
            authorization,
            body: b"",
        })
        .status
}

#[test]
fn tokens_are_issued_refreshed_and_checked() {
    let temp = tempfile::tempdir().unwrap();
    let portal = SandboxPortal::new(temp.path());
    let granted = token(
        &portal,
        "client_id=a&client_secret=b&grant_type=pp_credentials",
    );
    let result = success(granted);
    assert_eq!(result["tokenHead"], "Bearer ");
    assert_eq!(result["expiresIn"], "1800");
    let access = result["token"].as_str().unwrap();
    let refresh = result["refreshToken"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3);

    assert_eq!(get_with(&portal, Some(&format!("Bearer {access}"))), 200);
    let unauthorized = portal.handle(&Call {
        method: "GET",
        path: CONTACTS_PATH,
        query: Vec::new(),
        authorization: None,
        body: b"",
    });
    refused(unauthorized, 401, "invalid_token");
    // A refresh token is not an access token.
    assert_eq!(get_with(&portal, Some(&format!("Bearer {refresh}"))), 401);

    let refreshed = token(
        &portal,
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
    );
    assert_eq!(refreshed.status, 200);
    refused(
        token(&portal, "grant_type=refresh_token&refresh_token=x"),
        401,
        "invalid_grant",
    );
    refused(
        token(&portal, "grant_type=pp_credentials&client_id=a"),
        401,
        "invalid_client",
    );
    refused(
        token(&portal, "grant_type=password"),
        400,
        "parameter_validation_failed",
    );
}

#[test]
fn plans_keep_their_ids_and_the_offering() {
    let sandbox = Sandbox::new();
    let plans = success(sandbox.get(PLANS_PATH, &[("productId", "9"), ("productNo", SN)]));
    assert_eq!(plans["offeringId"], "31");
    assert_eq!(plans["productId"], 9);
    assert_eq!(plans["planList"][0]["planId"].as_u64(), Some(BASIC));
    assert_eq!(plans["planList"][1]["planId"].as_u64(), Some(PRO));
    assert_eq!(
        plans["planList"][1]["multiCycleList"],
        json!([1, 2, 3, 4, 5])
    );
    refused(
        sandbox.get(
            PLANS_PATH,
            &[("productId", "9"), ("productNo", "1234560402")],
        ),
        400,
        "product_not_eligible",
    );
    refused(
        sandbox.get(PLANS_PATH, &[("productId", "9")]),
        400,
        "parameter_validation_failed",
    );
    let contacts = success(sandbox.get(CONTACTS_PATH, &[]));
    assert_eq!(contacts[0]["billingContactId"], "3197218168379846218");
    let products = success(sandbox.get(PRODUCT_LIST_PATH, &[]));
    assert_eq!(products[0]["offeringId"], json!([31]));
}

#[test]
fn prices_are_the_list_prices_of_both_plans() {
    let sandbox = Sandbox::new();
    let query = [
        ("productId", "9"),
        ("billingCycle", "annually"),
        ("offeringId", OFFERING_ID),
    ];
    let prices = success(sandbox.get(PRICE_PATH, &query));
    assert_eq!(
        prices,
        json!({
            "offeringId": "31",
            "planList": [
                {"planId": BASIC, "planName": "Linkus Cloud Service", "price": "120.00",
                 "currency": "USD", "billingCycle": "annually"},
                {"planId": PRO, "planName": "Linkus Cloud Service Pro", "price": "180.00",
                 "currency": "USD", "billingCycle": "annually"}
            ],
            "serviceList": []
        })
    );
    assert_eq!(PRICES[0], (BASIC, "120.00"));
    assert_eq!(PRICES[1], (PRO, "180.00"));
    // The plan IDs stay exact in the JSON text, above 2^53.
    let text = sandbox.get(PRICE_PATH, &query).body.to_string();
    assert!(text.contains("\"planId\":3048918719332507648"), "{text}");

    for (dropped, _) in query {
        let partial: Vec<_> = query
            .iter()
            .copied()
            .filter(|(k, _)| *k != dropped)
            .collect();
        let detail = refused(
            sandbox.get(PRICE_PATH, &partial),
            400,
            "parameter_validation_failed",
        );
        assert!(detail.contains(dropped), "{detail}");
    }
    let unknown = [
        ("productId", "9"),
        ("billingCycle", "annually"),
        ("offeringId", "32"),
    ];
    let answer = sandbox.get(PRICE_PATH, &unknown);
    assert_eq!(answer.body["result"]["field"], "offeringId");
    refused(answer, 400, "parameter_validation_failed");
    let monthly = [
        ("productId", "9"),
        ("billingCycle", "monthly"),
        ("offeringId", "31"),
    ];
    refused(
        sandbox.get(PRICE_PATH, &monthly),
        400,
        "parameter_validation_failed",
    );
}

#[test]
fn subordinate_users_are_validated() {
    let sandbox = Sandbox::new();
    let good = json!({
        "userType": "Customer", "yeastarId": "it@customer.example", "company": "Customer Ltd",
        "country": "Portugal", "lastName": "Costa", "sendUserActivationEmail": false,
        "taxType": "VAT_number", "taxNum": "PT1"
    });
    assert_eq!(success(sandbox.post(SAVE_USER_PATH, &good)), json!(true));
    let without = |field: &str| {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    for field in ["userType", "yeastarId", "company", "country"] {
        let answer = sandbox.post(SAVE_USER_PATH, &without(field));
        assert_eq!(answer.body["result"]["field"], field);
        refused(answer, 400, "parameter_validation_failed");
    }
    // One of the two names is enough; none is not.
    let mut first_only = without("lastName");
    first_only["firstName"] = json!("Rita");
    success(sandbox.post(SAVE_USER_PATH, &first_only));
    let detail = refused(
        sandbox.post(SAVE_USER_PATH, &without("lastName")),
        400,
        "parameter_validation_failed",
    );
    assert!(detail.contains("firstName or lastName"), "{detail}");
    let mut bad = good.clone();
    bad["yeastarId"] = json!("not-an-email");
    refused(
        sandbox.post(SAVE_USER_PATH, &bad),
        400,
        "parameter_validation_failed",
    );
    let mut bad = good.clone();
    bad["taxType"] = json!("SSN");
    refused(
        sandbox.post(SAVE_USER_PATH, &bad),
        400,
        "parameter_validation_failed",
    );
    let mut bad = good.clone();
    bad["sendUserActivationEmail"] = json!("yes");
    refused(
        sandbox.post(SAVE_USER_PATH, &bad),
        400,
        "parameter_validation_failed",
    );
}

#[test]
fn a_0503_pbx_answers_each_read_with_two_503s_then_normally() {
    let sandbox = Sandbox::new();
    let sn = "1234560503";
    let plans = [("productId", "9"), ("productNo", sn)];
    let statuses: Vec<u16> = (0..4)
        .map(|_| sandbox.get(PLANS_PATH, &plans).status)
        .collect();
    assert_eq!(statuses, [503, 503, 200, 503]);
    // Counted per path: product details has its own two.
    let statuses: Vec<u16> = (0..3)
        .map(|_| sandbox.get(PRODUCT_DETAILS_PATH, &plans).status)
        .collect();
    assert_eq!(statuses, [503, 503, 404]);
    refused(sandbox.get("/nowhere", &[]), 404, "not_found");
}
