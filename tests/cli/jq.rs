//! `--jq EXPR` (CLI.md section 2; issue 18, items 4 and 8): as `gh --jq`, strings raw, one
//! result a line, 64-bit IDs digit for digit; compiled before anything is sent.

use serde_json::json;
use wiremock::ResponseTemplate;

use crate::common::*;

#[test]
fn jq_on_a_list_prints_strings_raw_one_a_line_with_every_digit() {
    let env = TestEnv::new();
    let run = run(env
        .sandbox_cmd()
        .args(["billing-contacts", "--jq", ".[].billingContactId"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ids: Vec<&str> = run.stdout.lines().collect();
    assert!(ids.contains(&CONTACT_ID), "{}", run.stdout);
    assert!(
        ids.iter().all(|id| id.len() == 19 && !id.contains('"')),
        "{ids:?}"
    );
}

#[test]
fn jq_on_an_object_selects_members_and_prints_other_values_as_json() {
    let env = TestEnv::new();
    let plan = run(env
        .sandbox_cmd()
        .args(["products", "--sn", SN, "--jq", ".plans[0].planId"]));
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert_eq!(plan.stdout, format!("{PLAN_ID}\n"));
    let years = run(env
        .sandbox_cmd()
        .args(["products", "--sn", SN, "--jq", ".plans[0].years"]));
    assert_eq!(years.stdout, "[1,2,3,4,5]\n", "{}", years.stderr);
}

#[tokio::test]
async fn jq_keeps_every_digit_of_numbers_passed_through_from_the_portal() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        ORDERS_PATH,
        json_response(
            r#"{"code":"success","detailMessage":"","requestId":"r","status":200,"result":{"pageNo":1,"totalPage":1,"total":1,"results":[{"id":3206190457467703296,"orderNo":"LR1","amount":120.10}]}}"#
                .to_owned(),
        ),
    )
    .await;
    let env = TestEnv::new();
    let run = run(env.portal_cmd(&server.uri()).args([
        "api",
        "GET",
        ORDERS_PATH,
        "--jq",
        ".result.results[0] | .id, .amount",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "3206190457467703296\n120.10\n");
}

#[tokio::test]
async fn a_jq_expression_that_does_not_compile_is_exit_2_and_orders_nothing() {
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    let env = TestEnv::new();
    let run = run(env
        .portal_cmd(&server.uri())
        .args(purchase_args())
        .args(["--jq", ".bad("]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--jq \".bad(\" does not compile"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("column 6"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    // Not an order, not even a token.
    assert_eq!(total_requests(&server).await, 0);
    assert!(env.journal_lines().is_empty());
}

#[tokio::test]
async fn a_jq_failure_while_running_names_the_order_and_keeps_the_exit_code() {
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    let env = TestEnv::new();
    let run = run(env
        .portal_cmd(&server.uri())
        .args(purchase_args())
        .args(["--jq", ".orderNo, (.orderNo | .x)"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The results before the failure are printed.
    assert_eq!(run.stdout, "LR3206190457467703296\n");
    assert!(
        run.stderr.contains("--jq failed on the output"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("The order is LR3206190457467703296"),
        "{}",
        run.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
}

#[tokio::test]
async fn jq_filters_the_error_object_of_a_failed_command() {
    let server = portal().await;
    respond(
        &server,
        "POST",
        ORDER_PATH,
        ResponseTemplate::new(200).set_body_json(json!({
            "code": "product_not_eligible", "detailMessage": "not eligible", "requestId": "req-9", "status": 200
        })),
    )
    .await;
    let env = TestEnv::new();
    let run = run(env
        .portal_cmd(&server.uri())
        .args(purchase_args())
        .args(["--jq", ".error | .kind, .requestId"]));
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert_eq!(run.stdout, "rejected\nreq-9\n");
}

#[tokio::test]
async fn a_jq_failure_on_a_batch_s_results_still_names_every_order() {
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    let env = TestEnv::new();
    let from = env.dir.path().join("rows.csv");
    std::fs::write(&from, "sn\n511111111177\n511111111277\n").unwrap();
    let run = run(env.portal_cmd(&server.uri()).args([
        "purchase",
        "--from",
        &from.display().to_string(),
        "--plan",
        "Linkus Cloud Service",
        "--billing-contact",
        CONTACT_ID,
        "--years",
        "1",
        "--yes",
        "--jq",
        ".[] | .orderNo.x",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("--jq failed on the output"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("The orders are LR3206190457467703296, LR3206190457467703296."),
        "{}",
        run.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 2);
}
