//! `linkus purchase` by flags: the exact order, sent at most once, and every exit code.

use std::time::Duration;

use serde_json::{json, Value};
use wiremock::{MockServer, ResponseTemplate};

use crate::common::raw::{RawServer, Reply};
use crate::common::*;

fn expected_body(years: u8, po: Option<&str>) -> String {
    let po = po
        .map(|po| format!(r#""poNumber":"{po}","#))
        .unwrap_or_default();
    format!(
        r#"{{"operationType":"purchase_plan","productId":9,"productNo":"{SN}","billingId":{CONTACT_ID},{po}"serviceList":[{{"serviceType":"plan","serviceId":{PLAN_ID},"purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":{years}}}]}}"#
    )
}

/// The portal of [`portal`] answering orders with `response`; `respond` can still override it.
async fn portal_with_order(response: ResponseTemplate) -> MockServer {
    let server = portal().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path(ORDER_PATH))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_purchase_sends_the_exact_body_once() {
    let server = portal_with_order(order_created("succeed")).await;
    let env = TestEnv::new();

    let run = run(env.portal_cmd(&server.uri()).args([
        "purchase",
        "--sn",
        SN,
        "--plan",
        "LINKUS cloud service",
        "--billing-contact",
        "Billing@Example.com",
        "--years",
        "3",
        "--po-number",
        "PO-2026-0042",
        "--yes",
        "--json",
    ]));

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.json(),
        json!({
            "orderNo": "LR3206190457467703296", "orderStatus": "succeed", "instanceId": "106396",
            "productNo": SN, "transactionNo": "QO3206190458986041345", "requestId": "req-order-1",
            "total": {"amount": "360.00", "currency": "USD", "perYear": "120.00", "years": 3}
        })
    );
    let orders = received(&server, "POST", ORDER_PATH).await;
    assert_eq!(orders.len(), 1);
    assert_eq!(
        body_text(&orders[0]),
        expected_body(3, Some("PO-2026-0042"))
    );
    assert_eq!(header(&orders[0], "content-type"), "application/json");
    assert_eq!(
        header(&orders[0], "authorization"),
        format!("Bearer {ACCESS_1}")
    );
    assert!(header(&orders[0], "user-agent").starts_with("linkus-cli/"));
    // Each lookup once; the PBX's subscription with one request, never by paging the product
    // list; the order last.
    assert_eq!(count(&server, "GET", PLANS_PATH).await, 1);
    assert_eq!(count(&server, "GET", CONTACTS_PATH).await, 1);
    assert_eq!(count(&server, "GET", DETAILS_PATH).await, 1);
    assert_eq!(count(&server, "GET", PRICE_PATH).await, 1);
    assert_eq!(count(&server, "GET", INSTANCES_PATH).await, 0);
    assert_eq!(count(&server, "POST", TOKEN_PATH).await, 1);
    let all = server.received_requests().await.unwrap();
    assert_eq!(all.last().unwrap().url.path(), ORDER_PATH);
}

#[tokio::test]
async fn human_output_shows_the_order_and_the_summary_goes_to_stderr() {
    let server = portal_with_order(order_created("succeed")).await;
    let env = TestEnv::new();
    let run = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("Order number  LR3206190457467703296"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Status        succeed"));
    assert!(run.stdout.contains("Instance ID   106396"));
    assert!(run.stdout.contains("Transaction   QO3206190458986041345"));
    assert!(run.stdout.contains("Request ID    req-order-1"));
    assert!(!run.stdout.contains("Order summary"));
    assert!(run.stderr.contains("Order summary"));
    assert!(run.stderr.contains(&format!("PBX serial number  {SN}")));
    assert!(run
        .stderr
        .contains(&format!("Linkus Cloud Service ({PLAN_ID})")));
    assert!(
        run.stderr.contains(&format!(
            "purchase --sn {SN} --plan {PLAN_ID} --billing-contact {CONTACT_ID} --years 1 --yes"
        )),
        "{}",
        run.stderr
    );

    let quiet = crate::common::run(
        TestEnv::new()
            .portal_cmd(&server.uri())
            .args(purchase_args())
            .arg("-q"),
    );
    assert_eq!(quiet.code, 0);
    assert_eq!(quiet.stdout, "LR3206190457467703296\n");
}

#[tokio::test]
async fn with_a_cached_token_the_lookups_run_concurrently() {
    // Each lookup takes 300 ms: one after another they would take 900 ms before the order.
    let server = MockServer::start().await;
    respond(
        &server,
        "POST",
        TOKEN_PATH,
        ResponseTemplate::new(200)
            .set_body_json(envelope(token_result(ACCESS_1, REFRESH_1, "1800"))),
    )
    .await;
    for (route, body) in [(PLANS_PATH, plans_body()), (CONTACTS_PATH, contacts_body())] {
        respond(
            &server,
            "GET",
            route,
            json_response(body).set_delay(Duration::from_millis(300)),
        )
        .await;
    }
    for route in [INSTANCES_PATH, ORDERS_PATH] {
        respond(
            &server,
            "GET",
            route,
            empty_page().set_delay(Duration::from_millis(300)),
        )
        .await;
    }
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    let env = TestEnv::new();
    assert_eq!(
        run(env
            .portal_cmd(&server.uri())
            .args(["billing-contacts", "-q"]))
        .code,
        0
    );

    let started = std::time::Instant::now();
    let run = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    let elapsed = started.elapsed();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        elapsed < Duration::from_millis(850),
        "lookups were not concurrent: {elapsed:?}"
    );
    assert_eq!(count(&server, "POST", TOKEN_PATH).await, 1);
}

#[tokio::test]
async fn without_prompts_every_missing_flag_is_named_and_nothing_is_sent() {
    let server = portal_with_order(order_created("succeed")).await;
    let env = TestEnv::new();

    let none = run(env.portal_cmd(&server.uri()).args(["purchase"]));
    assert_eq!(none.code, 2);
    assert!(
        none.stderr
            .contains("--sn, --plan, --billing-contact, --years, --yes"),
        "{}",
        none.stderr
    );

    let no_yes = run(env.portal_cmd(&server.uri()).args(&purchase_args()[..9]));
    assert_eq!(no_yes.code, 2);
    assert!(no_yes.stderr.contains("needs --yes"), "{}", no_yes.stderr);

    let json = run(env
        .portal_cmd(&server.uri())
        .args(["purchase", "--sn", SN, "--json"]));
    assert_eq!(json.code, 2);
    assert_eq!(json.json()["error"]["kind"], "usage");

    assert_eq!(
        total_requests(&server).await,
        0,
        "usage errors send nothing, not even a token request"
    );
}

#[tokio::test]
async fn values_that_match_nothing_list_the_choices_and_buy_nothing() {
    let server = portal_with_order(order_created("succeed")).await;
    let env = TestEnv::new();
    let with = |flag: &str, value: &str| {
        let mut args: Vec<String> = purchase_args().iter().map(|s| s.to_string()).collect();
        let at = args.iter().position(|a| a == flag).unwrap();
        args[at + 1] = value.to_owned();
        run(env.portal_cmd(&server.uri()).args(&args))
    };

    let plan = with("--plan", "Linkus");
    assert_eq!(plan.code, 2);
    assert!(
        plan.stderr
            .contains(&format!("{PLAN_ID} (Linkus Cloud Service)")),
        "{}",
        plan.stderr
    );
    assert!(plan
        .stderr
        .contains(&format!("{PRO_PLAN_ID} (Linkus Cloud Service Pro)")));

    let plan_id = with("--plan", "123");
    assert_eq!(plan_id.code, 2);

    let contact = with("--billing-contact", "nobody@example.com");
    assert_eq!(contact.code, 2);
    assert!(
        contact
            .stderr
            .contains(&format!("{CONTACT_ID} (billing@example.com)")),
        "{}",
        contact.stderr
    );

    let contact_id = with("--billing-contact", "1");
    assert_eq!(contact_id.code, 2);

    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn an_ambiguous_plan_name_is_a_usage_error() {
    let server = portal_with_order(order_created("succeed")).await;
    let twin = plans_body().replace("Linkus Cloud Service Pro", "Linkus Cloud Service");
    respond(&server, "GET", PLANS_PATH, json_response(twin)).await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(purchase_args()));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("matches several plans"),
        "{}",
        run.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn years_outside_the_plans_cycles_are_refused() {
    let server = portal_with_order(order_created("succeed")).await;
    let short = plans_body().replace("[1,2,3,4,5]", "[1,2]");
    respond(&server, "GET", PLANS_PATH, json_response(short)).await;
    let mut args = purchase_args();
    args[8] = "3";
    let run = run(TestEnv::new().portal_cmd(&server.uri()).args(args));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--years 1-2"), "{}", run.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn dry_run_prints_the_exact_body_and_sends_no_order() {
    let server = portal_with_order(order_created("succeed")).await;
    let env = TestEnv::new();
    let args = [
        "purchase",
        "--sn",
        SN,
        "--plan",
        PLAN_ID,
        "--billing-contact",
        CONTACT_ID,
        "--years",
        "2",
        "--dry-run",
    ];

    let text = run(env.portal_cmd(&server.uri()).args(args));
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert_eq!(text.stdout.trim(), expected_body(2, None));
    assert!(text.stderr.contains("Dry run: nothing was bought"));

    let json = run(env.portal_cmd(&server.uri()).args(args).arg("--json"));
    assert_eq!(json.code, 0);
    // `request` is the body with 64-bit IDs as strings; `requestBody` the exact bytes.
    let request = json!({
        "operationType": "purchase_plan", "productId": 9, "productNo": SN,
        "billingId": CONTACT_ID,
        "serviceList": [{"serviceType": "plan", "serviceId": PLAN_ID, "purchaseType": "purchase",
            "billingModel": "recurring", "billingCycle": "annually", "multiCycle": 2}]
    });
    assert_eq!(
        json.json(),
        json!({
            "dryRun": true, "request": request, "requestBody": expected_body(2, None),
            "total": {"amount": "240.00", "currency": "USD", "perYear": "120.00", "years": 2}
        })
    );
    let body: Value = serde_json::from_str(json.json()["requestBody"].as_str().unwrap()).unwrap();
    assert!(
        body["billingId"].is_u64(),
        "the bytes sent keep numbers: {body}"
    );

    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    assert!(env.journal_lines().is_empty(), "a dry run is not journaled");
}

#[tokio::test]
async fn pending_exits_8_with_the_order_and_where_to_pay() {
    let server = portal_with_order(order_created("pending")).await;
    let env = TestEnv::new();

    let json = run(env
        .portal_cmd(&server.uri())
        .args(purchase_args())
        .arg("--json"));
    assert_eq!(json.code, 8, "{}", json.stderr);
    assert_eq!(json.json()["orderNo"], "LR3206190457467703296");
    assert_eq!(json.json()["orderStatus"], "pending");
    assert!(
        json.stderr.contains("Orders & Billing > Orders"),
        "{}",
        json.stderr
    );

    let text = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(purchase_args()));
    assert_eq!(text.code, 8);
    assert!(text.stdout.contains("LR3206190457467703296"));
    assert_eq!(
        count(&server, "POST", ORDER_PATH).await,
        2,
        "one order per purchase"
    );
}

#[tokio::test]
async fn an_unknown_status_is_not_success() {
    let server = portal_with_order(order_created("confirming")).await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(purchase_args()));
    assert_eq!(run.code, 8, "{}", run.stderr);
}

#[tokio::test]
async fn failed_and_invalid_orders_exit_5() {
    for status in ["failed", "invalid"] {
        let server = portal_with_order(order_created(status)).await;
        let run = run(TestEnv::new()
            .portal_cmd(&server.uri())
            .args(purchase_args())
            .arg("--json"));
        assert_eq!(run.code, 5, "{status}: {}", run.stderr);
        assert_eq!(run.json()["error"]["kind"], "rejected");
        assert!(run.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("LR3206190457467703296"));
        assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
    }
}

#[tokio::test]
async fn a_rejected_order_exits_5_with_the_detail() {
    for status in [200, 400] {
        let server = portal_with_order(rejection(
            status,
            "parameter_validation_failed",
            "billingId must not be null",
            "req-val",
        ))
        .await;
        let env = TestEnv::new();
        let run = run(env
            .portal_cmd(&server.uri())
            .args(purchase_args())
            .arg("--json"));
        assert_eq!(run.code, 5, "HTTP {status}: {}", run.stderr);
        let error = &run.json()["error"];
        assert_eq!(error["portalCode"], "parameter_validation_failed");
        assert_eq!(error["requestId"], "req-val");
        assert!(run.stderr.contains("billingId must not be null"));
        assert!(run.stderr.contains("nothing was bought"));
        assert_eq!(
            count(&server, "POST", ORDER_PATH).await,
            1,
            "a rejection is not retried"
        );
        let last = env.journal_lines().last().cloned().unwrap();
        assert_eq!(last["outcome"], "rejected");
    }
}

#[tokio::test]
async fn a_timeout_after_sending_exits_7_with_one_order_request() {
    let server =
        portal_with_order(order_created("succeed").set_delay(Duration::from_secs(5))).await;
    let env = TestEnv::new();
    let run = run(env
        .portal_cmd(&server.uri())
        .args(["--timeout", "0.5"])
        .args(purchase_args())
        .arg("--json"));
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert_eq!(
        count(&server, "POST", ORDER_PATH).await,
        1,
        "never resent after a timeout"
    );
    assert_eq!(run.json()["error"]["kind"], "order_unknown");
    assert!(
        run.stderr
            .contains(&format!("The order for SN {SN} was sent at 20")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("linkus orders list --sn {SN}")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
}

#[tokio::test]
async fn a_5xx_after_sending_exits_7() {
    for response in [
        rejection(500, "internal_error", "oops", "req-500"),
        ResponseTemplate::new(502).set_body_raw("<html>Bad Gateway</html>", "text/html"),
        ResponseTemplate::new(503),
    ] {
        let server = portal_with_order(response).await;
        let run = run(TestEnv::new()
            .portal_cmd(&server.uri())
            .args(purchase_args()));
        assert_eq!(run.code, 7, "{}", run.stderr);
        assert_eq!(
            count(&server, "POST", ORDER_PATH).await,
            1,
            "never resent after a 5xx"
        );
    }
}

#[tokio::test]
async fn an_unreadable_success_body_exits_7() {
    for response in [
        ResponseTemplate::new(200).set_body_raw("<html>ok</html>", "text/html"),
        ResponseTemplate::new(200).set_body_json(envelope(json!({"orderStatus": "succeed"}))),
    ] {
        let server = portal_with_order(response).await;
        let run = run(TestEnv::new()
            .portal_cmd(&server.uri())
            .args(purchase_args()));
        assert_eq!(run.code, 7, "{}", run.stderr);
        assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
    }
}

#[tokio::test]
async fn a_401_on_the_order_renews_and_resends_exactly_once() {
    let server = portal_with_order(order_created("succeed")).await;
    respond_times(
        &server,
        "POST",
        ORDER_PATH,
        1,
        rejection(401, "invalid_token", "expired", "req-401"),
    )
    .await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(purchase_args()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let orders = received(&server, "POST", ORDER_PATH).await;
    assert_eq!(orders.len(), 2);
    assert_eq!(
        header(&orders[0], "authorization"),
        format!("Bearer {ACCESS_1}")
    );
    assert_eq!(
        header(&orders[1], "authorization"),
        format!("Bearer {ACCESS_2}")
    );
    assert_eq!(body_text(&orders[0]), body_text(&orders[1]));
}

#[tokio::test]
async fn a_401_twice_on_the_order_stops_after_one_resend() {
    let server = portal_with_order(rejection(401, "invalid_token", "denied", "req-401")).await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(purchase_args()));
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 2);
}

/// A raw portal: token and lookups answered, the order handled by `order`.
fn raw_portal(
    order: impl Fn(&crate::common::raw::RawRequest) -> Reply + Send + Sync + 'static,
) -> RawServer {
    RawServer::start(
        move |request| match (request.method.as_str(), request.path()) {
            ("POST", TOKEN_PATH) => Reply::json(
                200,
                envelope(token_result(ACCESS_1, REFRESH_1, "1800")).to_string(),
            ),
            ("GET", PLANS_PATH) => Reply::json(200, plans_body()),
            ("GET", CONTACTS_PATH) => Reply::json(200, contacts_body()),
            ("GET", INSTANCES_PATH) => Reply::json(
                200,
                envelope(json!({"pageNo": 1, "totalPage": 1, "results": []})).to_string(),
            ),
            ("GET", ORDERS_PATH) => Reply::json(200, empty_orders_body()),
            ("POST", ORDER_PATH) => order(request),
            _ => Reply::json(404, "{}"),
        },
    )
}

#[test]
fn a_connection_reset_after_sending_exits_7() {
    let server = raw_portal(|_| Reply::Reset);
    let env = TestEnv::new();
    let run = run(env.portal_cmd(&server.url).args(purchase_args()));
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert_eq!(server.count("POST", ORDER_PATH), 1);
    assert_eq!(env.journal_lines().last().unwrap()["outcome"], "unknown");
}

#[test]
fn a_connection_closed_without_an_answer_exits_7() {
    let server = raw_portal(|_| Reply::Raw(Vec::new()));
    let run = run(TestEnv::new().portal_cmd(&server.url).args(purchase_args()));
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert_eq!(server.count("POST", ORDER_PATH), 1);
}

#[test]
fn a_refused_connection_before_sending_exits_6_and_nothing_is_bought() {
    let env = TestEnv::new();
    let lookups = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = lookups.clone();
    // The server stops listening as it answers the last lookup: the order cannot connect.
    let server = RawServer::start(move |request| {
        let reply = match (request.method.as_str(), request.path()) {
            ("POST", TOKEN_PATH) => {
                return Reply::json(
                    200,
                    envelope(token_result(ACCESS_1, REFRESH_1, "1800")).to_string(),
                )
            }
            ("GET", PLANS_PATH) => Reply::json(200, plans_body()),
            ("GET", CONTACTS_PATH) => Reply::json(200, contacts_body()),
            ("GET", INSTANCES_PATH) => {
                Reply::json(200, envelope(json!({"results": []})).to_string())
            }
            ("GET", ORDERS_PATH) => Reply::json(200, empty_orders_body()),
            ("GET", DETAILS_PATH) => Reply::json(
                404,
                json!({"code": "product_not_found", "detailMessage": "", "requestId": "r"})
                    .to_string(),
            ),
            ("GET", PRICE_PATH) => Reply::json(200, prices_body()),
            _ => return Reply::json(500, "{}"),
        };
        // Plans, contacts and the subscription at once, then the price: the fourth.
        if seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 3 {
            Reply::ThenStopListening(Box::new(reply))
        } else {
            reply
        }
    });
    let run = run(env
        .portal_cmd(&server.url)
        .args(purchase_args())
        .arg("--json"));
    assert_eq!(
        lookups.load(std::sync::atomic::Ordering::SeqCst),
        4,
        "{}",
        run.stderr
    );
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert_eq!(run.json()["error"]["kind"], "network");
    assert_eq!(server.count("POST", ORDER_PATH), 0);
    assert!(
        run.stderr.contains("was not sent; nothing was bought"),
        "{}",
        run.stderr
    );
    assert_eq!(env.journal_lines().last().unwrap()["outcome"], "not_sent");
}

#[test]
fn the_intent_is_on_disk_before_the_order_request_arrives() {
    let env = TestEnv::new();
    let journal = env.journal();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let record = seen.clone();
    let server = raw_portal(move |_| {
        *record.lock().unwrap() = Some(std::fs::read_to_string(&journal).unwrap_or_default());
        Reply::json(
            200,
            r#"{"code":"success","detailMessage":"","requestId":"r9","status":200,"result":{"orderNo":"LR1","orderStatus":"succeed","instanceId":"1","productNo":"369471667338","transactionNo":"QO1"}}"#,
        )
    });
    let run = run(env
        .portal_cmd(&server.url)
        .args(purchase_args())
        .args(["--po-number", "PO 7"]));
    assert_eq!(run.code, 0, "{}", run.stderr);

    let at_request = seen.lock().unwrap().clone().expect("the order arrived");
    let lines: Vec<Value> = at_request
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "exactly the intent was written before the request: {at_request}"
    );
    let intent = &lines[0];
    assert_eq!(intent["event"], "intent");
    assert_eq!(intent["sn"], SN);
    assert_eq!(intent["planId"], PLAN_ID);
    assert_eq!(intent["planName"], "Linkus Cloud Service");
    assert_eq!(intent["billingContactId"], CONTACT_ID);
    assert_eq!(intent["years"], 1);
    assert_eq!(intent["poNumber"], "PO 7");
    assert_eq!(intent["profile"], "default");
    assert_eq!(intent["baseUrl"], format!("{}/", server.url));
    assert!(intent["time"].as_str().unwrap().ends_with('Z'));

    let after = env.journal_lines();
    assert_eq!(after.len(), 2);
    assert_eq!(after[1]["event"], "outcome");
    assert_eq!(after[1]["id"], intent["id"]);
    assert_eq!(after[1]["outcome"], "succeed");
    assert_eq!(after[1]["orderNo"], "LR1");
    assert_eq!(after[1]["requestId"], "r9");
    let text = std::fs::read_to_string(env.journal()).unwrap();
    for secret in [CLIENT_SECRET, ACCESS_1, REFRESH_1] {
        assert!(!text.contains(secret));
    }
}

#[test]
fn a_journal_that_cannot_be_written_stops_the_order() {
    let env = TestEnv::new();
    let server = raw_portal(|_| Reply::json(500, "{}"));
    // A folder where the journal file should be: it cannot be opened for appending.
    std::fs::create_dir_all(env.journal()).unwrap();
    let run = run(env.portal_cmd(&server.url).args(purchase_args()));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("so it was not sent"), "{}", run.stderr);
    assert_eq!(server.count("POST", ORDER_PATH), 0);
}

#[cfg(unix)]
#[test]
fn ctrl_c_while_the_order_is_on_the_wire_exits_130_and_records_unknown() {
    let env = TestEnv::new();
    let server = raw_portal(|_| Reply::Hang(Duration::from_secs(20)));
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("linkus"));
    let probe = env.portal_cmd(&server.url);
    for (key, value) in probe.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    let child = cmd
        .args(purchase_args())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.count("POST", ORDER_PATH) == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.count("POST", ORDER_PATH), 1);
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains(&format!("the order for SN {SN} was being sent")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("linkus orders list --sn {SN}")),
        "{stderr}"
    );
    let lines = env.journal_lines();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["outcome"], "unknown");
    assert_eq!(server.count("POST", ORDER_PATH), 1);
}
