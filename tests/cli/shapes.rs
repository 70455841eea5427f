//! Answers of an unexpected shape, in every command: the error names the endpoint and the
//! field, points at `linkus doctor` and `--capture`, never says to try again for an answer that
//! will not change, and never prints more than a few lines of a huge message.

use wiremock::ResponseTemplate;

use crate::common::*;

const PLANS_WITHOUT_IDS: &str = r#"{"code":"success","requestId":"req-plans-x","result":{"offeringId":"31","planList":[{"planName":"Linkus Cloud Service","multiCycleList":[1]}]}}"#;
const CONTACTS_WITHOUT_IDS: &str = r#"{"code":"success","requestId":"req-contacts-x","result":[{"firstName":"Ana","emailAddress":"billing@example.com"}]}"#;

/// The error names the endpoint and the field, suggests doctor and a capture, and does not
/// say to try again.
fn assert_names_the_field(out: &Run, endpoint: &str, field: &str) {
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(out.stderr.contains(endpoint), "{}", out.stderr);
    assert!(out.stderr.contains(&format!("`{field}`")), "{}", out.stderr);
    assert!(out.stderr.contains("linkus doctor"), "{}", out.stderr);
    assert!(out.stderr.contains("--capture"), "{}", out.stderr);
    assert!(
        !out.stderr.to_lowercase().contains("try again"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn plans_without_plan_ids_are_named_by_purchase() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        PLANS_PATH,
        json_response(PLANS_WITHOUT_IDS.to_owned()),
    )
    .await;
    let env = TestEnv::new();
    let out = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_names_the_field(&out, PLANS_PATH, "planId");
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn plans_without_plan_ids_are_named_by_products() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        PLANS_PATH,
        json_response(PLANS_WITHOUT_IDS.to_owned()),
    )
    .await;
    let env = TestEnv::new();
    let out = run(env.portal_cmd(&server.uri()).args(["products", "--sn", SN]));
    assert_names_the_field(&out, PLANS_PATH, "planId");

    let json = run(env
        .portal_cmd(&server.uri())
        .args(["--json", "products", "--sn", SN]));
    assert_eq!(json.code, 6);
    let error = &json.json()["error"];
    assert!(
        error["message"].as_str().unwrap().contains("planId"),
        "{error}"
    );
    assert!(
        error["hint"].as_str().unwrap().contains("linkus doctor"),
        "{error}"
    );
    assert_eq!(error["requestId"], "req-plans-x");
}

#[tokio::test]
async fn contacts_without_ids_are_named_by_billing_contacts_and_purchase() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        CONTACTS_PATH,
        json_response(CONTACTS_WITHOUT_IDS.to_owned()),
    )
    .await;
    let env = TestEnv::new();
    let out = run(env.portal_cmd(&server.uri()).arg("billing-contacts"));
    assert_names_the_field(&out, CONTACTS_PATH, "billingContactId");

    let out = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_names_the_field(&out, CONTACTS_PATH, "billingContactId");
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn a_price_list_of_garbage_is_named_and_refused_by_max_total() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        PRICE_PATH,
        json_response(format!(
            r#"{{"code":"success","result":{{"planList":[{{"planId":{PLAN_ID},"price":"call us","currency":"USD"}}]}}}}"#
        )),
    )
    .await;
    let env = TestEnv::new();
    let mut args = purchase_args();
    args.extend(["--max-total", "500USD"]);
    let out = run(env.portal_cmd(&server.uri()).args(&args));

    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains(PRICE_PATH), "{}", out.stderr);
    assert!(out.stderr.contains("`price`"), "{}", out.stderr);
    assert!(out.stderr.contains("linkus doctor"), "{}", out.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn an_html_page_instead_of_an_answer_is_not_told_to_try_again() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        CONTACTS_PATH,
        ResponseTemplate::new(200).set_body_raw(
            "<html><title>Sign in to the proxy</title></html>",
            "text/html",
        ),
    )
    .await;
    let env = TestEnv::new();
    let out = run(env.portal_cmd(&server.uri()).arg("billing-contacts"));
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(
        out.stderr.contains("Sign in to the proxy"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.to_lowercase().contains("try again"),
        "{}",
        out.stderr
    );
}

fn huge_message() -> String {
    (0..500)
        .map(|i| format!("line {i} of a very long message from the portal\n"))
        .collect()
}

/// From the first error or warning on, stderr holds a few lines (a summary before it is
/// the command's own).
fn assert_few_lines(out: &Run) {
    let from = out
        .stderr
        .find("Error:")
        .into_iter()
        .chain(out.stderr.find("Warning:"))
        .min()
        .unwrap_or(0);
    let tail = &out.stderr[from..];
    assert!(
        tail.lines().count() <= 12,
        "{} lines:\n{tail}",
        tail.lines().count()
    );
    assert!(tail.len() < 4000, "{} bytes", tail.len());
    assert!(!out.stderr.contains("line 100 of"));
}

#[tokio::test]
async fn a_huge_refusal_of_a_read_prints_a_few_lines() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        PLANS_PATH,
        rejection(400, "product_not_eligible", &huge_message(), "req-huge-1"),
    )
    .await;
    let env = TestEnv::new();
    let out = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert_few_lines(&out);
    assert!(out.stderr.contains("req-huge-1"), "{}", out.stderr);
}

#[tokio::test]
async fn a_huge_refusal_of_the_order_prints_a_few_lines() {
    let server = portal().await;
    respond(
        &server,
        "POST",
        ORDER_PATH,
        rejection(
            400,
            "parameter_validation_failed",
            &huge_message(),
            "req-huge-2",
        ),
    )
    .await;
    let env = TestEnv::new();
    let out = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert_few_lines(&out);
    assert!(out.stderr.contains("req-huge-2"), "{}", out.stderr);
}

#[tokio::test]
async fn a_huge_message_in_a_warning_prints_a_few_lines() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        DETAILS_PATH,
        rejection(
            400,
            "parameter_validation_failed",
            &huge_message(),
            "req-huge-3",
        ),
    )
    .await;
    let env = TestEnv::new();
    let out = run(env.portal_cmd(&server.uri()).args(["products", "--sn", SN]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_few_lines(&out);
}

#[tokio::test]
async fn a_100_kb_message_on_one_line_prints_a_few_lines() {
    let server = portal().await;
    let long = "x".repeat(100 * 1024);
    respond(
        &server,
        "GET",
        CONTACTS_PATH,
        rejection(400, "parameter_validation_failed", &long, "req-huge-4"),
    )
    .await;
    let env = TestEnv::new();
    let out = run(env.portal_cmd(&server.uri()).arg("billing-contacts"));
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert_few_lines(&out);
    let json = run(env
        .portal_cmd(&server.uri())
        .args(["--json", "billing-contacts"]));
    assert!(json.stdout.len() < 4000, "{} bytes", json.stdout.len());
}

#[tokio::test]
async fn orders_without_the_fields_they_are_matched_by_are_named() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        ORDERS_PATH,
        json_response(
            r#"{"code":"success","result":{"totalPage":1,"results":[
                {"orderNo":"LR1","orderStatus":"succeed","created":"2026-01-01","pbx":"369471667338"}]}}"#
                .to_owned(),
        ),
    )
    .await;
    let env = TestEnv::new();
    let out = run(env.portal_cmd(&server.uri()).args(["orders", "list"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains(ORDERS_PATH), "{}", out.stderr);
    assert!(
        out.stderr.contains("`createTime`, `productNo`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("linkus doctor"), "{}", out.stderr);
    assert!(out.stdout.contains("LR1"), "{}", out.stdout);
}
