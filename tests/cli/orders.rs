//! Order follow-up: `orders list | show | reconcile`, the already-subscribed check, `api` and
//! `completions`.

use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn order(id: u64, no: &str, sn: &str, status: &str, created: u64) -> Value {
    json!({"id": id.to_string(), "orderNo": no, "orderStatus": status, "createTime": created,
           "currencyCode": "USD", "productNo": sn, "poNumber": null, "invoiceNo": ""})
}

async fn mount_orders(server: &MockServer, pages: Vec<Vec<Value>>) {
    let total = pages.len();
    for (index, results) in pages.into_iter().enumerate() {
        Mock::given(method("GET"))
            .and(path(ORDERS_PATH))
            .and(query_param("pageNo", (index + 1).to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(envelope(json!({
                "count": results.len(), "pageNo": index + 1, "pageSize": 2, "total": 4,
                "totalPage": total, "results": results
            }))))
            .with_priority(1)
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn orders_list_filters_by_sn_across_pages_newest_first() {
    let server = portal().await;
    let t = now_ms();
    mount_orders(
        &server,
        vec![
            vec![
                order(3206190457467703296, "LR3", SN, "succeed", t),
                order(2, "LR2", "999", "pending", t - 1000),
            ],
            vec![
                order(1, "LR1", SN, "failed", t - 2000),
                order(0, "LR0", "999", "succeed", t - 3000),
            ],
        ],
    )
    .await;
    let env = TestEnv::new();

    let run = run(env
        .portal_cmd(&server.uri())
        .args(["orders", "list", "--sn", SN, "--json"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list = run.json();
    let numbers: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderNo"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["LR3", "LR1"]);
    assert_eq!(list[0]["id"], "3206190457467703296");
    assert_eq!(list[0]["productNo"], SN);
    assert!(list[0]["createdAt"].as_str().unwrap().ends_with('Z'));
    let pages: Vec<String> = received(&server, "GET", ORDERS_PATH)
        .await
        .iter()
        .map(|r| query(r).into_iter().find(|(k, _)| k == "pageNo").unwrap().1)
        .collect();
    assert_eq!(pages, ["1", "2"]);

    let limited = crate::common::run(
        env.portal_cmd(&server.uri())
            .args(["orders", "list", "--limit", "1", "-q"]),
    );
    assert_eq!(limited.stdout, "LR3\n");
    let table = crate::common::run(env.portal_cmd(&server.uri()).args(["orders", "list"]));
    // Piped: date, order number, SN, plan, years, amount, status, PO number.
    let first: Vec<&str> = table.stdout.lines().next().unwrap().split('\t').collect();
    assert_eq!(first.len(), 8, "{}", table.stdout);
    assert_eq!(
        (first[1], first[2], first[6]),
        ("LR3", SN, "succeed"),
        "{}",
        table.stdout
    );
}

#[tokio::test]
async fn orders_show_asks_for_the_order_and_keeps_ids_exact() {
    let server = portal().await;
    respond(&server, "GET", "/order/openapi/order/v1/get/LR3206190457467703296", json_response(
            r#"{"code":"success","detailMessage":"","requestId":"r","status":200,"result":{
               "basicInformation":{"productId":"9","productName":"Linkus Cloud Service","productNo":"369471667338"},
               "orderInformation":{"id":3206190457467703296,"orderNo":"LR3206190457467703296","orderStatus":"succeed","createTime":1767225600000}}}"#
                .to_owned(),
        )).await;
    let env = TestEnv::new();
    let json = run(env.portal_cmd(&server.uri()).args([
        "orders",
        "show",
        "LR3206190457467703296",
        "--json",
    ]));
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_eq!(json.json()["orderInformation"]["id"], "3206190457467703296");
    let text = run(env
        .portal_cmd(&server.uri())
        .args(["orders", "show", "LR3206190457467703296"]));
    assert!(
        text.stdout.contains("2026-01-01T00:00:00Z"),
        "{}",
        text.stdout
    );
    // One section for the order (its product and summary only repeat it), then billing.
    assert!(text.stdout.starts_with("Order\n"), "{}", text.stdout);
    assert!(!text.stdout.contains("Product\n"), "{}", text.stdout);
    let bad = run(env
        .portal_cmd(&server.uri())
        .args(["orders", "show", "../x"]));
    assert_eq!(bad.code, 2);
}

#[tokio::test]
async fn an_active_subscription_refuses_before_anything_is_bought() {
    let server = portal().await;
    details_endpoint_missing(&server).await;
    let next_year = now_ms() + 300 * 24 * 3600 * 1000;
    respond(&server, "GET", INSTANCES_PATH, ResponseTemplate::new(200).set_body_json(envelope(json!({
            "pageNo": 1, "totalPage": 1, "total": 1,
            "results": [{"productNo": SN, "productName": "Linkus Cloud Service", "planName": "Linkus Cloud Service Pro", "expireTime": next_year}]
        })))).await;
    let env = TestEnv::new();
    let run = run(env
        .portal_cmd(&server.uri())
        .args(purchase_args())
        .arg("--json"));
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "PBX {SN} already has Linkus Cloud Service Pro until 20"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["error"]["kind"], "rejected");
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    assert!(env.journal_lines().is_empty());
    let instances = received(&server, "GET", INSTANCES_PATH).await;
    assert_eq!(
        query(&instances[0])[0],
        ("productId".to_owned(), "9".to_owned())
    );
}

#[tokio::test]
async fn an_unreadable_product_list_warns_and_the_portal_decides() {
    let server = portal().await;
    details_endpoint_missing(&server).await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    respond(
        &server,
        "GET",
        INSTANCES_PATH,
        rejection(403, "forbidden", "no permission for products", "req-p"),
    )
    .await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(purchase_args()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("Warning: could not check whether SN"),
        "{}",
        run.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
}

#[tokio::test]
async fn a_timed_out_order_is_settled_later_by_reconcile() {
    let server = portal().await;
    respond(
        &server,
        "POST",
        ORDER_PATH,
        order_created("succeed").set_delay(Duration::from_secs(5)),
    )
    .await;
    let env = TestEnv::new();
    let lost = run(env
        .portal_cmd(&server.uri())
        .args(["--timeout", "0.5"])
        .args(purchase_args()));
    assert_eq!(lost.code, 7, "{}", lost.stderr);
    assert!(
        lost.stderr.contains("linkus orders reconcile"),
        "{}",
        lost.stderr
    );
    let lines = env.journal_lines();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["outcome"], "unknown");

    // Nothing on the portal yet: still unknown, exit 7.
    let early = run(env.portal_cmd(&server.uri()).args(["orders", "reconcile"]));
    assert_eq!(early.code, 7, "{}", early.stderr);
    assert!(early.stdout.contains("still unknown"), "{}", early.stdout);

    // The portal now lists the order, and an older one for the same SN that is not it.
    let t = now_ms();
    mount_orders(
        &server,
        vec![vec![
            order(9, "LR-NEW", SN, "succeed", t),
            order(8, "LR-OLD", SN, "succeed", t - 3 * 24 * 3600 * 1000),
        ]],
    )
    .await;
    let settled = run(env
        .portal_cmd(&server.uri())
        .args(["orders", "reconcile", "--json"]));
    assert_eq!(settled.code, 0, "{}", settled.stderr);
    let results = settled.json();
    assert_eq!(results[0]["status"], "settled");
    assert_eq!(results[0]["orderNo"], "LR-NEW");
    assert_eq!(results[0]["sn"], SN);
    let lines = env.journal_lines();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["event"], "reconciled");
    assert_eq!(lines[2]["id"], lines[0]["id"]);
    assert_eq!(lines[2]["orderNo"], "LR-NEW");

    let again = run(env.portal_cmd(&server.uri()).args(["orders", "reconcile"]));
    assert_eq!(again.code, 0);
    assert!(
        again.stderr.contains("Nothing to reconcile"),
        "{}",
        again.stderr
    );
    assert_eq!(
        count(&server, "POST", ORDER_PATH).await,
        1,
        "reconcile never orders"
    );
}

#[test]
fn reconcile_settles_the_sandbox_s_lost_order() {
    let env = TestEnv::new();
    let lost = run(env.sandbox_cmd().args([
        "--timeout",
        "1",
        "purchase",
        "--sn",
        "4440504",
        "--plan",
        PLAN_ID,
        "--billing-contact",
        CONTACT_ID,
        "--years",
        "1",
        "--yes",
    ]));
    assert_eq!(lost.code, 7, "{}", lost.stderr);
    let reconciled = run(env.sandbox_cmd().args(["orders", "reconcile"]));
    assert_eq!(reconciled.code, 0, "{}", reconciled.stderr);
    assert!(
        reconciled.stdout.starts_with("settled        entry ")
            && reconciled.stdout.contains(" SN 4440504 "),
        "{}",
        reconciled.stdout
    );
    // Entries of other portals are left alone.
    let elsewhere = run(env
        .portal_cmd(&closed_port_url())
        .args(["orders", "reconcile"]));
    assert_eq!(elsewhere.code, 0, "{}", elsewhere.stderr);
}

#[tokio::test]
async fn api_sends_one_request_and_prints_numbers_digit_for_digit() {
    let server = portal().await;
    respond(&server, "POST", "/user/openapi/user/v1/client/save_user", json_response(
            r#"{"code":"success","detailMessage":"","requestId":"r-api","status":200,"result":{"id":3206190457467703296,"big":123456789012345678901234567890,"price":1.10}}"#.to_owned(),
        )).await;
    let env = TestEnv::new();

    let post = run(env.portal_cmd(&server.uri()).args([
        "api",
        "POST",
        "/user/openapi/user/v1/client/save_user",
        "-f",
        "company=Example Telecom",
        "-F",
        "billingId=3197218168379846218",
        "-F",
        "activate=true",
        "-f",
        "zip=01000",
    ]));
    assert_eq!(post.code, 0, "{}", post.stderr);
    assert!(
        post.stdout.contains("3206190457467703296"),
        "{}",
        post.stdout
    );
    assert!(post.stdout.contains("123456789012345678901234567890"));
    assert!(post.stdout.contains("1.10"));
    let sent = received(&server, "POST", "/user/openapi/user/v1/client/save_user").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        body_text(&sent[0]),
        r#"{"company":"Example Telecom","zip":"01000","billingId":3197218168379846218,"activate":true}"#
    );
    assert_eq!(header(&sent[0], "content-type"), "application/json");
    assert_eq!(
        header(&sent[0], "authorization"),
        format!("Bearer {ACCESS_1}")
    );

    let get = run(env.portal_cmd(&server.uri()).args([
        "api",
        "get",
        ORDERS_PATH,
        "-F",
        "pageNo=1",
        "-f",
        "sort=id",
    ]));
    assert_eq!(get.code, 0, "{}", get.stderr);
    let gets = received(&server, "GET", ORDERS_PATH).await;
    assert_eq!(
        query(&gets[0]),
        vec![
            ("sort".to_owned(), "id".to_owned()),
            ("pageNo".to_owned(), "1".to_owned())
        ]
    );

    let input = env.dir.path().join("body.json");
    std::fs::write(&input, r#"{"billingId":3197218168379846218}"#).unwrap();
    let from_file = run(env
        .portal_cmd(&server.uri())
        .args([
            "api",
            "POST",
            "/user/openapi/user/v1/client/save_user",
            "--input",
        ])
        .arg(&input));
    assert_eq!(from_file.code, 0);
    let sent = received(&server, "POST", "/user/openapi/user/v1/client/save_user").await;
    assert_eq!(body_text(&sent[1]), r#"{"billingId":3197218168379846218}"#);
}

#[tokio::test]
async fn api_exits_like_any_command_and_still_prints_the_body() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        "/nope",
        rejection(404, "not_found", "No such API.", "req-404"),
    )
    .await;
    let env = TestEnv::new();
    let refused = run(env
        .portal_cmd(&server.uri())
        .args(["api", "GET", "/nope", "--json"]));
    assert_eq!(refused.code, 5, "{}", refused.stderr);
    assert!(
        refused.stdout.contains("\"code\""),
        "the body is the output: {}",
        refused.stdout
    );
    assert!(
        !refused.stdout.contains("\"error\""),
        "one JSON document: {}",
        refused.stdout
    );
    assert!(refused.stderr.contains("req-404"), "{}", refused.stderr);
    respond(
        &server,
        "POST",
        "/crash",
        rejection(500, "internal_error", "boom", "req-500"),
    )
    .await;
    let crashed = run(env
        .portal_cmd(&server.uri())
        .args(["api", "POST", "/crash", "-F", "a=1"]));
    assert_eq!(
        crashed.code, 7,
        "a POST answered 5xx has an unknown effect: {}",
        crashed.stderr
    );
    assert_eq!(count(&server, "POST", "/crash").await, 1, "never resent");
    let bad = run(env
        .portal_cmd(&server.uri())
        .args(["api", "GET", "https://evil.example/x"]));
    assert_eq!(bad.code, 2);
    let bad_field = run(env
        .portal_cmd(&server.uri())
        .args(["api", "POST", "/x", "-f", "novalue"]));
    assert_eq!(bad_field.code, 2);
}

#[test]
fn completions_generate_for_every_shell() {
    let env = TestEnv::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = run(env.cmd().args(["completions", shell]));
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains("linkus"), "{shell}");
        assert!(run.stdout.contains("billing-contacts"), "{shell}");
        assert!(run.stdout.len() > 1000, "{shell}");
    }
    assert_eq!(run(env.cmd().args(["completions", "tcsh"])).code, 2);
}

#[tokio::test]
async fn the_subscription_check_reads_every_page_of_the_product_list() {
    let server = portal().await;
    details_endpoint_missing(&server).await;
    let next_year = now_ms() + 300 * 24 * 3600 * 1000;
    for page in 1..=3u64 {
        let sn = if page == 3 {
            SN.to_owned()
        } else {
            format!("OTHER{page}")
        };
        Mock::given(method("GET"))
            .and(path(INSTANCES_PATH))
            .and(query_param("pageNo", page.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(envelope(json!({
                "pageNo": page, "totalPage": 3, "total": 3,
                "results": [{"productNo": sn, "productName": "Linkus Cloud Service", "expireTime": next_year}]
            }))))
            .with_priority(1)
            .mount(&server)
            .await;
    }
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(purchase_args()));
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("already has"), "{}", run.stderr);
    let mut pages: Vec<String> = received(&server, "GET", INSTANCES_PATH)
        .await
        .iter()
        .map(|r| query(r).into_iter().find(|(k, _)| k == "pageNo").unwrap().1)
        .collect();
    pages.sort();
    assert_eq!(pages, ["1", "2", "3"]);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

/// Five pages of two orders, newest first, an hour apart: statuses and PO numbers mixed.
async fn five_pages(server: &MockServer) -> u64 {
    let t = now_ms();
    let hour = 3_600_000;
    let statuses = ["succeed", "pending", "failed", "paying", "cancelled"];
    let mut pages = Vec::new();
    for page in 0..5u64 {
        let mut items = Vec::new();
        for i in 0..2u64 {
            let n = page * 2 + i;
            let mut item = order(
                100 + n,
                &format!("LR{n}"),
                SN,
                statuses[(n % 5) as usize],
                t - n * 10 * hour,
            );
            if n % 3 == 0 {
                item["poNumber"] = json!(format!("PO-{}", n % 2));
            }
            items.push(item);
        }
        pages.push(items);
    }
    mount_orders(server, pages).await;
    t
}

async fn pages_asked(server: &MockServer) -> Vec<String> {
    received(server, "GET", ORDERS_PATH)
        .await
        .iter()
        .map(|r| query(r).into_iter().find(|(k, _)| k == "pageNo").unwrap().1)
        .collect()
}

fn numbers(run: &Run) -> Vec<String> {
    run.json()
        .as_array()
        .unwrap_or_else(|| panic!("{}", run.stdout))
        .iter()
        .map(|o| o["orderNo"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn orders_list_since_stops_paging_at_the_first_page_older_than_it() {
    let server = portal().await;
    five_pages(&server).await;
    let env = TestEnv::new();
    // Orders are 10 hours apart: 25h keeps LR0, LR1, LR2 (0, 10 and 20 hours old).
    let run = run(env.portal_cmd(&server.uri()).args([
        "orders", "list", "--since", "25h", "--limit", "all", "--json",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(numbers(&run), ["LR0", "LR1", "LR2"]);
    // Page 2 holds LR3 (30 hours old): every later page is older, so it is the last asked.
    assert_eq!(pages_asked(&server).await, ["1", "2"]);
}

#[tokio::test]
async fn orders_list_status_open_is_every_status_not_final_and_status_repeats() {
    let server = portal().await;
    five_pages(&server).await;
    let env = TestEnv::new();
    let open = run(env.portal_cmd(&server.uri()).args([
        "orders", "list", "--status", "open", "--limit", "all", "--json",
    ]));
    assert_eq!(open.code, 0, "{}", open.stderr);
    // pending (LR1, LR6) and paying (LR3, LR8): not succeed, failed or cancelled.
    assert_eq!(numbers(&open), ["LR1", "LR3", "LR6", "LR8"]);
    assert_eq!(pages_asked(&server).await, ["1", "2", "3", "4", "5"]);

    let two = run(env.portal_cmd(&server.uri()).args([
        "orders",
        "list",
        "--status",
        "FAILED",
        "--status",
        "cancelled",
        "--limit",
        "2",
        "--json",
    ]));
    assert_eq!(two.code, 0, "{}", two.stderr);
    assert_eq!(numbers(&two), ["LR2", "LR4"]);
    // Two matches by page 3: the pages after it were not asked for.
    assert_eq!(
        pages_asked(&server).await,
        ["1", "2", "3", "4", "5", "1", "2", "3"]
    );
}

#[tokio::test]
async fn orders_list_po_and_since_a_date_combine_with_the_other_filters() {
    let server = portal().await;
    five_pages(&server).await;
    let env = TestEnv::new();
    // PO-0 is on LR0 and LR6 (n % 3 == 0, n even); PO-1 on LR3 and LR9.
    let po = run(env
        .portal_cmd(&server.uri())
        .args(["orders", "list", "--po", "PO-1", "--json"]));
    assert_eq!(po.code, 0, "{}", po.stderr);
    assert_eq!(numbers(&po), ["LR3", "LR9"]);

    let none = run(env.portal_cmd(&server.uri()).args([
        "orders",
        "list",
        "--po",
        "PO-1",
        "--since",
        "2000-01-01",
        "--status",
        "succeed",
    ]));
    assert_eq!(none.code, 0, "{}", none.stderr);
    assert_eq!(none.stdout, "");
    assert!(none.stderr.contains("No orders match."), "{}", none.stderr);

    let bad = run(env
        .portal_cmd(&server.uri())
        .args(["orders", "list", "--since", "yesterday"]));
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("7d or 12h"), "{}", bad.stderr);
}

/// CLI.md section 5: `orders list --json` gives `planName`, `years` and `poNumber` from the
/// journal where the portal's list leaves them out, as the table does (`null` only where
/// neither has them); `amount` stays the list's own (the journal holds a list price, not a
/// charge).
#[tokio::test]
async fn orders_list_json_fills_plan_years_and_po_number_from_the_journal_where_the_list_has_none()
{
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    let env = TestEnv::new();
    let mut args = purchase_args();
    args.extend(["--po-number", "PO-7"]);
    let bought = run(env.portal_cmd(&server.uri()).args(&args));
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    mount_orders(
        &server,
        vec![vec![
            order(
                3206190457467703296,
                "LR3206190457467703296",
                SN,
                "succeed",
                now_ms(),
            ),
            order(7, "LR7", "999", "succeed", now_ms() - 1000),
        ]],
    )
    .await;

    let listed = run(env
        .portal_cmd(&server.uri())
        .args(["orders", "list", "--json"]));
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let rows = listed.json();
    let ours = &rows[0];
    assert_eq!(ours["orderNo"], "LR3206190457467703296", "{rows}");
    assert_eq!(ours["planName"], "Linkus Cloud Service", "{rows}");
    assert_eq!(ours["years"], 1, "{rows}");
    assert_eq!(ours["poNumber"], "PO-7", "{rows}");
    assert_eq!(ours["amount"], Value::Null, "{rows}");
    let other = &rows[1];
    assert_eq!(other["orderNo"], "LR7", "{rows}");
    assert_eq!(other["planName"], Value::Null, "{rows}");
    assert_eq!(other["years"], Value::Null, "{rows}");
    assert_eq!(other["poNumber"], Value::Null, "{rows}");
}

/// CLI.md section 3, "Clocks": a time from the portal is compared with the portal's clock (its
/// `Date` header), never the local one. On a machine whose clock is 2 hours fast, `--since 2h`
/// still lists the order the portal made 1 hour ago by its own clock.
#[tokio::test]
async fn orders_list_since_counts_back_by_the_portal_s_clock_not_a_fast_local_one() {
    const HOUR: u64 = 3_600_000;
    let server = portal().await;
    let portal_now = now_ms() - 2 * HOUR;
    Mock::given(method("GET"))
        .and(path(ORDERS_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(envelope(json!({
                    "count": 2, "pageNo": 1, "pageSize": 100, "total": 2, "totalPage": 1,
                    "results": [
                        order(1, "LR1", SN, "succeed", portal_now - HOUR),
                        order(0, "LR0", SN, "succeed", portal_now - 3 * HOUR),
                    ]
                })))
                .insert_header(
                    "Date",
                    httpdate::fmt_http_date(
                        std::time::UNIX_EPOCH + Duration::from_millis(portal_now),
                    )
                    .as_str(),
                ),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    let env = TestEnv::new();

    let listed = run(env
        .portal_cmd(&server.uri())
        .args(["orders", "list", "--since", "2h", "--json"]));
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert_eq!(numbers(&listed), vec!["LR1"], "{}", listed.stdout);
}
