//! "Never twice" (CLI.md section 3, issue 9): one order per SN at a time, across processes and
//! homes; the journal's rules before every order (unknown, open, recent success); order answers
//! that carry an order number; `api` to the order path; stale keep-alive connections; closed
//! stdout; `orders reconcile`; SIGTERM and SIGHUP while the order is out. Each test is named
//! after what the user sees, and asserts what the portal received.

mod api;
mod concurrency;
mod keep_alive;
mod one_home;
mod portal;
mod reconcile;
mod reruns;
#[cfg(unix)]
mod signals;
#[cfg(unix)]
mod streams;
mod times;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockGuard, MockServer, ResponseTemplate};

use crate::common::raw::{RawRequest, RawServer, Reply};
use crate::common::*;

/// Order numbers of earlier orders in these tests (letters and digits, as `--again` wants).
pub const EARLIER: &str = "LR3206190457467700001";
/// The order number `order_created` answers with.
pub const ORDER_NO: &str = "LR3206190457467703296";

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

pub fn rfc3339(ms: u64) -> String {
    humantime::format_rfc3339_millis(std::time::UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

/// The arguments of a complete non-interactive renewal of `sn` (the pair of
/// `purchase_args_for`).
pub fn renew_args_for(sn: &str) -> Vec<&str> {
    vec![
        "renew",
        "--sn",
        sn,
        "--billing-contact",
        CONTACT_ID,
        "--yes",
    ]
}

/// The same for a switch of `sn` to `plan`.
pub fn switch_args_for<'a>(sn: &'a str, plan: &'a str) -> Vec<&'a str> {
    vec![
        "switch",
        "--sn",
        sn,
        "--plan",
        plan,
        "--billing-contact",
        CONTACT_ID,
        "--yes",
    ]
}

/// The journal's name for a wiremock portal, as linkus writes it.
pub fn label(server: &MockServer) -> String {
    format!("{}/", server.uri())
}

/// An intent line for SN, written `age_ms` ago; `operation: None` is a line of linkus 0.1.
pub fn intent_line(id: &str, base_url: &str, operation: Option<&str>, age_ms: u64) -> Value {
    let mut line = json!({
        "event": "intent", "id": id, "time": rfc3339(now_ms() - age_ms), "profile": "default",
        "baseUrl": base_url, "sn": SN, "planId": PLAN_ID, "planName": "Linkus Cloud Service",
        "billingContactId": CONTACT_ID, "years": 1, "poNumber": null
    });
    if let Some(operation) = operation {
        line["operation"] = json!(operation);
    }
    line
}

pub fn outcome_line(id: &str, outcome: &str, order_no: Option<&str>) -> Value {
    json!({
        "event": "outcome", "id": id, "time": rfc3339(now_ms()), "outcome": outcome,
        "orderNo": order_no, "orderStatus": null, "requestId": null
    })
}

/// Writes journal lines as an earlier run would have.
pub fn seed(env: &TestEnv, lines: &[Value]) {
    std::fs::create_dir_all(env.data_dir()).unwrap();
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(env.journal(), text).unwrap();
}

/// An order for SN listed `age_ms` ago by Query Order List.
pub fn listed(order_no: &str, sn: &str, status: &str, age_ms: u64) -> Value {
    json!({"id": "3206190457467703296", "orderNo": order_no, "orderStatus": status,
           "createTime": now_ms() - age_ms, "currencyCode": "USD", "productNo": sn})
}

/// Query Order List answers with these orders (one page) until the guard is dropped.
pub async fn list_orders(server: &MockServer, orders: Vec<Value>) -> MockGuard {
    let count = orders.len();
    Mock::given(method("GET"))
        .and(path(ORDERS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(envelope(json!({
            "count": count, "pageNo": 1, "pageSize": 100, "total": count, "totalPage": 1,
            "results": orders
        }))))
        .with_priority(1)
        .mount_as_scoped(server)
        .await
}

/// Page 1 lists an order of another PBX placed just now and says there are 3 pages; page 2
/// fails: the search cannot reach back to the entry.
pub async fn orders_cut_after_page_1(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(ORDERS_PATH))
        .and(query_param("pageNo", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(envelope(json!({
            "count": 1, "pageNo": 1, "pageSize": 100, "total": 201, "totalPage": 3,
            "results": [listed("LR9000000000000000009", "999999", "succeed", 0)]
        }))))
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(ORDERS_PATH))
        .and(query_param("pageNo", "2"))
        .respond_with(rejection(500, "internal_error", "page 2 broke", "req-p2"))
        .with_priority(1)
        .mount(server)
        .await;
}

/// Get Order Details' path for an order number.
pub fn details_path(order_no: &str) -> String {
    format!("/order/openapi/order/v1/get/{order_no}")
}

/// Get Order Details for SN's order with this status.
pub fn details(order_no: &str, status: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(envelope(json!({
        "basicInformation": {"productId": "9", "productNo": SN},
        "orderInformation": {"orderNo": order_no, "orderStatus": status}
    })))
}

/// Get Order Details answers this until the guard is dropped.
pub async fn details_answer(
    server: &MockServer,
    order_no: &str,
    response: ResponseTemplate,
) -> MockGuard {
    Mock::given(method("GET"))
        .and(path(details_path(order_no)))
        .respond_with(response)
        .with_priority(1)
        .mount_as_scoped(server)
        .await
}

/// A portal whose order answers `succeed` (lower-priority than anything a test mounts).
pub async fn ordering_portal() -> MockServer {
    let server = portal().await;
    Mock::given(method("POST"))
        .and(path(ORDER_PATH))
        .respond_with(order_created("succeed"))
        .mount(&server)
        .await;
    server
}

/// `ordering_portal` where the SN has Linkus until 2030: renew and switch work on it.
pub async fn renewing_portal() -> MockServer {
    let server = ordering_portal().await;
    Mock::given(method("GET"))
        .and(path(DETAILS_PATH))
        .respond_with(subscribed("2030-06-30 00:00:00"))
        .with_priority(1)
        .mount(&server)
        .await;
    server
}

/// A raw portal answering every read of a purchase like section 10; the order by `order`.
pub fn raw_portal(order: impl Fn(&RawRequest) -> Reply + Send + Sync + 'static) -> RawServer {
    RawServer::start(move |request| normal(request).unwrap_or_else(|| order(request)))
}

/// The answers of a raw portal to everything but the order.
pub fn normal(request: &RawRequest) -> Option<Reply> {
    let ok = |body: String| Some(Reply::json(200, body));
    match (request.method.as_str(), request.path()) {
        ("POST", TOKEN_PATH) => ok(envelope(token_result(ACCESS_1, REFRESH_1, "1800")).to_string()),
        ("GET", PLANS_PATH) => ok(plans_body()),
        ("GET", CONTACTS_PATH) => ok(contacts_body()),
        ("GET", PRICE_PATH) => ok(prices_body()),
        ("GET", INSTANCES_PATH) | ("GET", ORDERS_PATH) => ok(envelope(
            json!({"pageNo": 1, "totalPage": 1, "total": 0, "results": []}),
        )
        .to_string()),
        ("GET", DETAILS_PATH) => Some(Reply::json(
            404,
            json!({"code": "product_not_found", "detailMessage": "no Linkus",
                   "requestId": "req-details-404", "result": null, "status": 404})
            .to_string(),
        )),
        ("POST", ORDER_PATH) => None,
        _ => Some(Reply::json(404, "{}")),
    }
}

pub fn order_ok_body() -> String {
    json!({
        "code": "success", "detailMessage": "", "requestId": "req-order-1", "status": 200,
        "result": {"instanceId": "106396", "orderNo": ORDER_NO, "orderStatus": "succeed",
                   "productNo": SN, "transactionNo": "QO3206190458986041345"}
    })
    .to_string()
}

/// The same command as a plain process, to learn its pid, signal it or kill it.
pub fn process(cmd: &assert_cmd::Command) -> std::process::Command {
    let mut process = std::process::Command::new(cmd.get_program());
    process.args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => process.env(key, value),
            None => process.env_remove(key),
        };
    }
    process
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    process
}

pub fn spawn(cmd: &assert_cmd::Command) -> Child {
    process(cmd).spawn().expect("start linkus")
}

pub fn finish(child: Child) -> Run {
    let output = child.wait_with_output().expect("wait for linkus");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Waits (at most 20 s) until `done` holds.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting until {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The journal's first entry ID.
pub fn first_entry(env: &TestEnv) -> String {
    env.journal_lines()[0]["id"]
        .as_str()
        .expect("an entry ID")
        .to_owned()
}

/// Every line of the journal file, as text (for "nothing was marked" checks).
pub fn journal_text(env: &TestEnv) -> String {
    std::fs::read_to_string(env.journal()).unwrap_or_default()
}
