//! Following an order (issue 11): `orders show ORDER --wait` until it is no longer open, and
//! `orders list` columns filled from the journal without one more request per row.

use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const ORDER_NO: &str = "LR3206190457467703296";

fn details_path() -> String {
    format!("/order/openapi/order/v1/get/{ORDER_NO}")
}

fn details(status: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(envelope(json!({
        "basicInformation": {"productId": 9, "productName": "Linkus Cloud Service", "productNo": SN},
        "orderInformation": {"id": "3206190457467703296", "orderNo": ORDER_NO,
            "orderStatus": status, "createTime": 1767225600000u64}
    })))
}

/// The order's details answer `first` for the first `times` looks, then `then`.
async fn order_that_turns(first: &str, times: u64, then: &str) -> MockServer {
    let server = portal().await;
    respond_times(&server, "GET", &details_path(), times, details(first)).await;
    Mock::given(method("GET"))
        .and(path(details_path()))
        .respond_with(details(then))
        .with_priority(5)
        .mount(&server)
        .await;
    server
}

fn wait(env: &TestEnv, server: &MockServer, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = env.portal_cmd(&server.uri());
    cmd.env("LINKUS_WAIT_POLL_MS", "50")
        .args(["orders", "show", ORDER_NO, "--wait"])
        .args(extra);
    cmd
}

#[tokio::test]
async fn wait_polls_until_the_order_is_paid_and_exits_0() {
    let server = order_that_turns("pending", 2, "succeed").await;
    let env = TestEnv::new();
    let run = run_async(wait(&env, &server, &[])).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("Waiting for order {ORDER_NO} (pending)")),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("succeed"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("pending"),
        "only the final state: {}",
        run.stdout
    );
    assert_eq!(count(&server, "GET", &details_path()).await, 3);
}

#[tokio::test]
async fn wait_prints_the_final_order_as_json() {
    let server = order_that_turns("pending", 1, "succeed").await;
    let run = run_async(wait(&TestEnv::new(), &server, &["--json"])).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["orderInformation"]["orderStatus"], "succeed");
    assert_eq!(run.json()["orderInformation"]["id"], "3206190457467703296");
}

#[tokio::test]
async fn wait_for_an_order_that_fails_exits_5() {
    let server = order_that_turns("pending", 1, "failed").await;
    let run = run_async(wait(&TestEnv::new(), &server, &[])).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("Order {ORDER_NO} ended failed")),
        "{}",
        run.stderr
    );
    assert_eq!(count(&server, "GET", &details_path()).await, 2);
}

#[tokio::test]
async fn wait_that_runs_out_with_the_order_still_pending_exits_8() {
    let server = order_that_turns("pending", 1, "pending").await;
    let started = std::time::Instant::now();
    let run = run_async(wait(&TestEnv::new(), &server, &["--wait-timeout", "1"])).await;
    let took = started.elapsed();
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("Order {ORDER_NO} is still pending after 1 s")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Pay it in the Partner Portal"),
        "{}",
        run.stderr
    );
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    assert!(
        count(&server, "GET", &details_path()).await >= 3,
        "it kept looking"
    );
}

#[tokio::test]
async fn without_wait_an_open_order_is_shown_once_and_exits_0() {
    let server = order_that_turns("pending", 1, "succeed").await;
    let run = run_async({
        let mut cmd = TestEnv::new().portal_cmd(&server.uri());
        cmd.args(["orders", "show", ORDER_NO]);
        cmd
    })
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("pending"));
    assert_eq!(count(&server, "GET", &details_path()).await, 1);
}

#[tokio::test]
async fn orders_list_fills_plan_years_and_po_from_the_journal_without_more_requests() {
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    let env = TestEnv::new();
    let bought = run_async({
        let mut cmd = env.portal_cmd(&server.uri());
        cmd.args([
            "purchase",
            "--sn",
            SN,
            "--plan",
            PRO_PLAN_ID,
            "--billing-contact",
            CONTACT_ID,
            "--years",
            "3",
            "--po-number",
            "PO-7",
            "--yes",
        ]);
        cmd
    })
    .await;
    assert_eq!(bought.code, 0, "{}", bought.stderr);

    // The portal's list names neither plan nor years nor PO number; one order is not in the
    // journal at all.
    Mock::given(method("GET"))
        .and(path(ORDERS_PATH))
        .and(query_param("pageNo", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(envelope(json!({
            "count": 2, "pageNo": 1, "pageSize": 20, "total": 2, "totalPage": 1,
            "results": [
                {"id": "3206190457467703296", "orderNo": ORDER_NO, "orderStatus": "succeed",
                 "createTime": 1767225600000u64, "currencyCode": "USD", "amount": "540.00",
                 "productNo": SN},
                {"id": "11", "orderNo": "LR11", "orderStatus": "pending",
                 "createTime": 1767225500000u64, "productNo": "777"}
            ]
        }))))
        .with_priority(1)
        .mount(&server)
        .await;
    let before = total_requests(&server).await;
    let run = run_async({
        let mut cmd = env.portal_cmd(&server.uri());
        cmd.args(["orders", "list"]);
        cmd
    })
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .map(|line| line.split('\t').collect())
        .collect();
    assert_eq!(rows.len(), 2, "{}", run.stdout);
    // Date, order number, SN, plan, years, amount, status, PO number.
    assert_eq!(
        rows[0],
        [
            "2026-01-01T00:00:00Z",
            ORDER_NO,
            SN,
            "Linkus Cloud Service Pro",
            "3",
            "540.00 USD",
            "succeed",
            "PO-7"
        ]
    );
    assert_eq!(rows[1][1], "LR11");
    assert_eq!((rows[1][3], rows[1][4], rows[1][7]), ("", "", ""));
    // One request for the whole list: the token is cached and no row asks for more.
    let after = server.received_requests().await.unwrap();
    let new: Vec<&str> = after[before..].iter().map(|r| r.url.path()).collect();
    assert_eq!(new, [ORDERS_PATH], "{new:?}");
}
