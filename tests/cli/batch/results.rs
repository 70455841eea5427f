//! What a batch reads (CSV, a JSON array, JSON lines, stdin; `productNo` for `sn`; empty cells
//! take the flags) and what it says (a table or a JSON array, `--results FILE`, the exit code
//! of the most serious row).

use serde_json::json;
use wiremock::matchers::{body_string_contains, method, path, query_param};
use wiremock::{Mock, MockServer};

use super::*;

const A: &str = "511111111177";
const B: &str = "511111111277";

async fn portal_taking_orders() -> MockServer {
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    server
}

fn body(sn: &str, plan: &str, years: u8, po: Option<&str>) -> String {
    let po = po
        .map(|po| format!(r#""poNumber":"{po}","#))
        .unwrap_or_default();
    format!(
        r#"{{"operationType":"purchase_plan","productId":9,"productNo":"{sn}","billingId":{CONTACT_ID},{po}"serviceList":[{{"serviceType":"plan","serviceId":{plan},"purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":{years}}}]}}"#
    )
}

async fn bodies(server: &MockServer) -> Vec<String> {
    let mut bodies: Vec<String> = received(server, "POST", ORDER_PATH)
        .await
        .iter()
        .map(body_text)
        .collect();
    bodies.sort();
    bodies
}

#[tokio::test]
async fn csv_a_json_array_and_json_lines_order_the_same_rows() {
    let files = [
        (
            "rows.csv",
            format!("sn,plan,years,po_number\n{A},Linkus Cloud Service Pro,2,PO 1\n{B},,,\n"),
        ),
        (
            "rows.json",
            format!(
                "[\n  {{\"sn\": \"{A}\", \"plan\": \"Linkus Cloud Service Pro\", \"years\": 2, \"po_number\": \"PO 1\"}},\n  {{\"sn\": {B}, \"plan\": null}}\n]\n"
            ),
        ),
        (
            "rows.jsonl",
            format!(
                "{{\"sn\": \"{A}\", \"plan\": \"{PRO_PLAN_ID}\", \"years\": \"2\", \"poNumber\": \"PO 1\"}}\n\n{{\"sn\": \"{B}\", \"years\": \"\"}}\n"
            ),
        ),
    ];
    let expected = {
        let mut expected = vec![
            body(A, PRO_PLAN_ID, 2, Some("PO 1")),
            body(B, PLAN_ID, 1, None),
        ];
        expected.sort();
        expected
    };
    for (name, text) in files {
        let server = portal_taking_orders().await;
        let env = TestEnv::new();
        let from = file(&env, name, &text);
        let run = run_async({
            let mut cmd = env.portal_cmd(&server.uri());
            cmd.args(batch_args(&from)).arg("--json");
            cmd
        })
        .await;
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        assert_eq!(
            outcomes(&run),
            [
                (A.to_owned(), "bought".to_owned()),
                (B.to_owned(), "bought".to_owned())
            ],
            "{name}"
        );
        assert_eq!(bodies(&server).await, expected, "{name}");
    }
}

#[tokio::test]
async fn a_dash_reads_the_rows_from_stdin() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let mut args = batch_args(std::path::Path::new("-"));
    args.push("--json".to_owned());
    let run = run(env
        .portal_cmd(&server.uri())
        .args(&args)
        .write_stdin(format!("{{\"sn\": \"{A}\"}}\n{{\"sn\": \"{B}\"}}\n")));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count_outcome(&run, "bought"), 2);
    assert!(
        run.stderr.contains("Batch: purchase for 2 rows of stdin"),
        "{}",
        run.stderr
    );
    assert_eq!(
        bodies(&server).await,
        [body(A, PLAN_ID, 1, None), body(B, PLAN_ID, 1, None)]
    );
}

#[tokio::test]
async fn product_no_is_accepted_for_sn_and_other_columns_are_carried_through() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let from = file(
        &env,
        "subscriptions.json",
        &json!([
            {"productNo": A, "planName": "Linkus Cloud Service", "status": "expired", "expires": "2026-01-01", "daysLeft": -3, "autoRenew": false, "customer": "Acme, Inc."}
        ])
        .to_string(),
    );
    let run = run(env
        .portal_cmd(&server.uri())
        .args(batch_args(&from))
        .arg("--json"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = run.json();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    let row = &rows[0];
    assert_eq!(row["productNo"], A);
    assert_eq!(row["planName"], "Linkus Cloud Service");
    assert_eq!(row["expires"], "2026-01-01");
    assert_eq!(row["customer"], "Acme, Inc.");
    assert_eq!(row["autoRenew"], false);
    // Whole numbers stay numbers, in the file's order of columns.
    assert_eq!(row["daysLeft"], -3);
    assert_eq!(row["outcome"], "bought");
    assert_eq!(row["orderNo"], "LR3206190457467703296");
    assert_eq!(row["orderStatus"], "succeed");
    assert_eq!(row["message"], "");
    assert_eq!(bodies(&server).await, [body(A, PLAN_ID, 1, None)]);
}

#[tokio::test]
async fn the_results_file_has_the_input_columns_then_outcome_order_status_and_message() {
    let server = portal_taking_orders().await;
    let subscribed = "511111111377";
    Mock::given(method("GET"))
        .and(path(DETAILS_PATH))
        .and(query_param("productNo", subscribed))
        .respond_with(subscribed_until("2099-01-01 00:00:00", subscribed))
        .with_priority(1)
        .mount(&server)
        .await;
    let env = TestEnv::new();
    let from = file(
        &env,
        "rows.csv",
        &format!("sn,customer,plan\n{A},\"Acme, Inc.\",\n{subscribed},Globex,\n"),
    );
    let results = env.dir.path().join("out/results.csv");
    std::fs::create_dir_all(results.parent().unwrap()).unwrap();
    let run = run(env
        .portal_cmd(&server.uri())
        .args(batch_args(&from))
        .args(["--results", &results.display().to_string()]));

    assert_eq!(run.code, 5, "{}", run.stderr);
    let written = std::fs::read_to_string(&results).unwrap();
    let mut lines = written.lines();
    assert_eq!(
        lines.next(),
        Some("sn,customer,plan,outcome,orderNo,orderStatus,message")
    );
    assert_eq!(
        lines.next(),
        Some(format!("{A},\"Acme, Inc.\",,bought,LR3206190457467703296,succeed,").as_str())
    );
    let refused = lines.next().unwrap();
    assert!(
        refused.starts_with(&format!("{subscribed},Globex,,refused,,,")),
        "{refused}"
    );
    assert!(
        refused.contains("already has Linkus Cloud Service"),
        "{refused}"
    );
    assert_eq!(lines.next(), None);
    // Without --json and without a terminal, stdout is a row a line, tab-separated (line,
    // SN, outcome, order number, status, message); stderr has a line per row ordered.
    let table: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(table.len(), 2, "{}", run.stdout);
    assert_eq!(
        table[0],
        ["2", A, "bought", "LR3206190457467703296", "succeed", ""]
    );
    assert_eq!(table[1][..5], ["3", subscribed, "refused", "", ""]);
    assert!(
        table[1][5].contains("already has Linkus Cloud Service"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains(&format!(
            "line 2 SN {A}: bought, order LR3206190457467703296"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(bodies(&server).await, [body(A, PLAN_ID, 1, None)]);
}

const PENDING_ORDER: &str = "LR3206190457467700202";

fn created_as(order_no: &str, sn: &str, status: &str) -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(200).set_body_json(envelope(json!({
        "instanceId": "106397", "orderNo": order_no, "orderStatus": status,
        "productNo": sn, "transactionNo": "QO3206190458986040202"
    })))
}

/// Get Product Details for `sn`, subscribed until `expires`.
fn subscribed_until(expires: &str, sn: &str) -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(200).set_body_json(envelope(json!({
        "productNo": sn, "productId": 9, "planId": PLAN_ID.parse::<u64>().unwrap(),
        "planName": "Linkus Cloud Service", "multiCycle": 1, "status": "active", "currentPlan": "",
        "currentPlanExpireDate": expires, "autoRenewStatus": 0, "activationStatus": "activated"
    })))
}

#[tokio::test]
async fn the_exit_code_is_the_most_serious_row_outcome() {
    let pending = "511111110202";
    let subscribed = "511111111377";
    let server = portal().await;
    Mock::given(method("POST"))
        .and(path(ORDER_PATH))
        .and(body_string_contains(pending))
        .respond_with(created_as(PENDING_ORDER, pending, "pending"))
        .with_priority(1)
        .mount(&server)
        .await;
    // Looked up again by the rerun: still pending.
    respond(
        &server,
        "GET",
        &format!("/order/openapi/order/v1/get/{PENDING_ORDER}"),
        wiremock::ResponseTemplate::new(200).set_body_json(envelope(json!({
            "orderInformation": {"orderNo": PENDING_ORDER, "orderStatus": "pending", "productNo": pending}
        }))),
    )
    .await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    Mock::given(method("GET"))
        .and(path(DETAILS_PATH))
        .and(query_param("productNo", subscribed))
        .respond_with(subscribed_until("2099-01-01 00:00:00", subscribed))
        .with_priority(1)
        .mount(&server)
        .await;
    let env = TestEnv::new();
    let from = file(
        &env,
        "rows.csv",
        &format!("sn\n{subscribed}\n{A}\n{pending}\n"),
    );
    let run = run(env
        .portal_cmd(&server.uri())
        .args(batch_args(&from))
        .arg("--json"));

    // A pending row (8) is more serious than a refused one (5).
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert_eq!(
        outcomes(&run),
        [
            (subscribed.to_owned(), "refused".to_owned()),
            (A.to_owned(), "bought".to_owned()),
            (pending.to_owned(), "pending".to_owned())
        ]
    );
    let rows = run.json();
    assert_eq!(rows[2]["orderStatus"], "pending");
    assert!(rows[2]["message"]
        .as_str()
        .unwrap()
        .contains("pay it in the Partner Portal"));
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 2);

    // The same file again: the pending order is looked up and blocks (9); the refused row is
    // refused again (5); the bought row is reported with its number: 9 wins.
    let again = run_async({
        let mut cmd = env.portal_cmd(&server.uri());
        cmd.args(batch_args(&from)).arg("--json");
        cmd
    })
    .await;
    assert_eq!(again.code, 9, "{}", again.stderr);
    assert_eq!(
        outcomes(&again),
        [
            (subscribed.to_owned(), "refused".to_owned()),
            (A.to_owned(), "already bought".to_owned()),
            (pending.to_owned(), "blocked".to_owned())
        ]
    );
    assert_eq!(
        count(&server, "POST", ORDER_PATH).await,
        2,
        "nothing more was sent"
    );
}

#[tokio::test]
async fn a_rerun_reports_bought_rows_as_already_bought_and_exits_0() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let from = file(&env, "rows.csv", &format!("sn,note\n{A},x\n{B},y\n"));
    let first = run(env
        .portal_cmd(&server.uri())
        .args(batch_args(&from))
        .arg("--json"));
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(count_outcome(&first, "bought"), 2);

    let again = run(env
        .portal_cmd(&server.uri())
        .args(batch_args(&from))
        .arg("--json"));
    assert_eq!(again.code, 0, "{}", again.stderr);
    let rows = again.json();
    for row in rows.as_array().unwrap() {
        assert_eq!(row["outcome"], "already bought", "{row}");
        assert_eq!(row["orderNo"], "LR3206190457467703296", "{row}");
    }
    assert_eq!(rows[1]["note"], "y");
    assert!(
        again.stderr.contains("Already bought   2"),
        "{}",
        again.stderr
    );
    assert_eq!(
        count(&server, "POST", ORDER_PATH).await,
        2,
        "no order twice"
    );
}

#[tokio::test]
async fn a_results_file_that_cannot_be_written_is_a_usage_error_and_nothing_is_bought() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let from = file(&env, "rows.csv", &format!("sn\n{A}\n{B}\n"));
    let results = env.dir.path().join("no such folder/results.csv");
    let run = run(env
        .portal_cmd(&server.uri())
        .args(batch_args(&from))
        .args(["--results", &results.display().to_string()]));

    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("results.csv"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    assert_eq!(
        count(&server, "POST", ORDER_PATH).await,
        0,
        "nothing bought"
    );
}

#[tokio::test]
async fn a_results_file_that_fails_while_written_is_a_warning_and_keeps_the_exit_code() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let from = file(&env, "rows.csv", &format!("sn\n{A}\n{B}\n"));
    // Opens, but every write fails (no space left on the device).
    let run = run(env.portal_cmd(&server.uri()).args(batch_args(&from)).args([
        "--results",
        "/dev/full",
        "--json",
    ]));

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count_outcome(&run, "bought"), 2, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("Warning: the results could not be written to /dev/full"),
        "{}",
        run.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 2);
}

/// A batch whose shared look-ups fail ends with the kind of the portal's answer, through the
/// one mapping of client errors (issue 19), as `purchase --sn` does: contacts refused with 403
/// are exit 4 with the portal's request ID, a 503 on the order list is exit 6. Nothing is
/// bought either way.
#[tokio::test]
async fn failed_shared_look_ups_end_the_batch_with_the_exit_code_of_the_answer() {
    let server = portal_taking_orders().await;
    respond(
        &server,
        "GET",
        CONTACTS_PATH,
        rejection(403, "access_denied", "Access denied", "req-403"),
    )
    .await;
    let env = TestEnv::new();
    let from = file(&env, "rows.csv", &format!("sn\n{A}\n{B}\n"));
    let refused = run(env.portal_cmd(&server.uri()).args(batch_args(&from)));
    assert_eq!(refused.code, 4, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .all_output()
            .contains("Error: Could not list the billing contacts"),
        "{}",
        refused.all_output()
    );
    assert!(refused.stderr.contains("req-403"), "{}", refused.stderr);
    assert_eq!(
        count(&server, "POST", ORDER_PATH).await,
        0,
        "nothing bought"
    );

    let server = portal_taking_orders().await;
    respond(
        &server,
        "GET",
        ORDERS_PATH,
        rejection(503, "unavailable", "Try later", "req-503"),
    )
    .await;
    let env = TestEnv::new();
    let from = file(&env, "rows.csv", &format!("sn\n{A}\n"));
    let failed = run(env.portal_cmd(&server.uri()).args(batch_args(&from)));
    assert_eq!(failed.code, 6, "{}\n{}", failed.stdout, failed.stderr);
    assert_eq!(
        count(&server, "POST", ORDER_PATH).await,
        0,
        "nothing bought"
    );
}
