//! The portal's order list as the record every machine shares (CLI.md section 3, issue 16):
//! two "machines" (separate HOME, data and lock folders) whose only link is one sandbox
//! portal served by `linkus sandbox serve`; orders placed "from elsewhere" seeded into it.

use std::time::Duration;

use linkus_sandbox::{Operation, SandboxOrder, Store};

use super::*;
use crate::common::served::Served;

/// An SN that has Linkus (expiring in 20 days): renew and switch work on it.
const SUBSCRIBED: &str = "369471660409";
/// An SN without Linkus.
const FRESH: &str = "369471667338";

/// One portal, and the folders of two machines that share nothing else.
struct TwoMachines {
    portal_env: TestEnv,
    portal: Served,
    a: TestEnv,
    b: TestEnv,
}

impl TwoMachines {
    fn start() -> Self {
        let portal_env = TestEnv::new();
        let portal = Served::start(&portal_env, &["--latency-ms", "0"]);
        TwoMachines {
            portal_env,
            portal,
            a: TestEnv::new(),
            b: TestEnv::new(),
        }
    }

    fn store(&self) -> Store {
        Store::new(&self.portal_env.data_dir().join("sandbox"))
    }

    fn on(&self, machine: &TestEnv, args: &[&str]) -> Run {
        run(self.portal.cmd(machine).args(args))
    }

    fn orders(&self) -> Vec<SandboxOrder> {
        self.store().load().orders
    }

    /// Orders the portal has been sent so far.
    fn orders_sent(&self) -> usize {
        self.portal.count("POST", ORDER_PATH)
    }

    fn seed(&self, sn: &str, operation: Operation, status: &str, age: Duration) -> String {
        let order = SandboxOrder::elsewhere(sn, operation, status, age);
        let order_no = order.order_no.clone();
        self.store().add_order(order).unwrap();
        order_no
    }
}

/// One run of linkus on `env` against a wiremock portal.
async fn run_on(env: &TestEnv, server: &MockServer, args: &[&str]) -> Run {
    let mut cmd = env.portal_cmd(&server.uri());
    cmd.args(args);
    run_async(cmd).await
}

fn with_again<'a>(args: &[&'a str], order_no: &'a str) -> Vec<&'a str> {
    let mut args = args.to_vec();
    args.extend(["--again", order_no]);
    args
}

/// The run was blocked by the portal's list, naming the order and its age.
fn assert_blocked_by_portal(blocked: &Run, order_no: &str) {
    assert_eq!(blocked.code, 9, "{}", blocked.stderr);
    for words in [
        format!("order {order_no}"),
        "by the portal's clock".to_owned(),
        "ago".to_owned(),
    ] {
        assert!(
            blocked.stderr.contains(&words),
            "{words:?}:\n{}",
            blocked.stderr
        );
    }
}

#[test]
fn a_renewal_made_on_one_machine_is_blocked_on_another_until_again_names_it() {
    let machines = TwoMachines::start();
    let first = machines.on(&machines.a, &renew_args_for(SUBSCRIBED));
    assert_eq!(first.code, 0, "{}", first.stderr);
    let order_no = machines.orders()[0].order_no.clone();
    assert_eq!(machines.orders_sent(), 1);

    let blocked = machines.on(&machines.b, &renew_args_for(SUBSCRIBED));
    assert_blocked_by_portal(&blocked, &order_no);
    assert!(
        blocked.stderr.contains("renew") && blocked.stderr.contains(&format!("--again {order_no}")),
        "{}",
        blocked.stderr
    );
    assert_eq!(machines.orders_sent(), 1, "machine B sent nothing");

    let again = machines.on(
        &machines.b,
        &with_again(&renew_args_for(SUBSCRIBED), &order_no),
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(machines.orders_sent(), 2);
}

#[test]
fn a_purchase_made_on_one_machine_is_blocked_on_another_until_again_names_it() {
    let machines = TwoMachines::start();
    let first = machines.on(&machines.a, &purchase_args_for(FRESH));
    assert_eq!(first.code, 0, "{}", first.stderr);
    let order_no = machines.orders()[0].order_no.clone();
    // The portal's product list may not show a new subscription at once: the order list is
    // what protects the purchase meanwhile.
    machines
        .store()
        .update(|state| state.subscriptions.clear())
        .unwrap();

    let blocked = machines.on(&machines.b, &purchase_args_for(FRESH));
    assert_blocked_by_portal(&blocked, &order_no);
    assert_eq!(machines.orders_sent(), 1, "machine B sent nothing");

    let again = machines.on(
        &machines.b,
        &with_again(&purchase_args_for(FRESH), &order_no),
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(machines.orders_sent(), 2);
}

#[test]
fn a_switch_made_on_one_machine_is_blocked_on_another_until_again_names_it() {
    let machines = TwoMachines::start();
    let first = machines.on(
        &machines.a,
        &switch_args_for(SUBSCRIBED, "Linkus Cloud Service Pro"),
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    let order_no = machines.orders()[0].order_no.clone();

    let back = switch_args_for(SUBSCRIBED, "Linkus Cloud Service");
    let blocked = machines.on(&machines.b, &back);
    assert_blocked_by_portal(&blocked, &order_no);
    assert_eq!(machines.orders_sent(), 1, "machine B sent nothing");

    let again = machines.on(&machines.b, &with_again(&back, &order_no));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(machines.orders_sent(), 2);
}

#[test]
fn an_order_the_portal_shows_pending_from_elsewhere_blocks() {
    let machines = TwoMachines::start();
    let order_no = machines.seed(
        FRESH,
        Operation::Purchase,
        "pending",
        Duration::from_secs(3 * 3600 + 1800),
    );
    let blocked = machines.on(&machines.b, &purchase_args_for(FRESH));
    assert_blocked_by_portal(&blocked, &order_no);
    assert!(
        blocked.stderr.contains("still pending") && blocked.stderr.contains("3 h ago"),
        "{}",
        blocked.stderr
    );
    assert_eq!(machines.orders_sent(), 0);

    // With --json, blockedBy names the portal as the record that blocked.
    let mut args = vec!["--json"];
    args.extend(purchase_args_for(FRESH));
    let json = machines.on(&machines.b, &args);
    assert_eq!(json.code, 9, "{}", json.stderr);
    let blocked_by = &json.json()["error"]["blockedBy"];
    assert_eq!(blocked_by["source"], "portal", "{blocked_by}");
    assert_eq!(blocked_by["orderNo"], order_no.as_str(), "{blocked_by}");
    assert_eq!(machines.orders_sent(), 0);
}

#[test]
fn an_order_that_succeeded_30_hours_ago_elsewhere_does_not_block() {
    let machines = TwoMachines::start();
    machines.seed(
        SUBSCRIBED,
        Operation::Renew,
        "succeed",
        Duration::from_secs(30 * 3600),
    );
    let renewed = machines.on(&machines.b, &renew_args_for(SUBSCRIBED));
    assert_eq!(renewed.code, 0, "{}", renewed.stderr);
    assert_eq!(machines.orders_sent(), 1);
}

#[test]
fn more_than_20_pages_of_orders_in_the_window_is_said_and_the_run_goes_on() {
    let machines = TwoMachines::start();
    machines
        .store()
        .update(|state| {
            for i in 0..2050u32 {
                state.orders.push(SandboxOrder::elsewhere(
                    &format!("H{i:011}"),
                    Operation::Purchase,
                    "succeed",
                    Duration::from_secs(60 + u64::from(i) * 30),
                ));
            }
        })
        .unwrap();
    let bought = machines.on(&machines.b, &purchase_args_for(FRESH));
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    assert!(
        bought.stderr.contains("partial") && bought.stderr.contains("2000"),
        "{}",
        bought.stderr
    );
    assert_eq!(machines.orders_sent(), 1);
    assert_eq!(machines.portal.count("GET", ORDERS_PATH), 20);
}

#[test]
fn a_batch_row_renewed_from_elsewhere_is_already_renewed() {
    let machines = TwoMachines::start();
    let order_no = machines.seed(
        SUBSCRIBED,
        Operation::Renew,
        "succeed",
        Duration::from_secs(2 * 3600),
    );
    let file = machines.b.dir.path().join("pbxs.csv");
    std::fs::write(&file, format!("sn\n{SUBSCRIBED}\n")).unwrap();
    let batch = machines.on(
        &machines.b,
        &[
            "--json",
            "renew",
            "--from",
            file.to_str().unwrap(),
            "--billing-contact",
            CONTACT_ID,
            "--yes",
        ],
    );
    assert_eq!(batch.code, 0, "{}", batch.stderr);
    let rows = batch.json();
    // `already renewed` once outcomes are named for the operation (issue 18).
    let outcome = rows[0]["outcome"].as_str().unwrap_or_default();
    assert!(outcome.starts_with("already "), "{rows}");
    assert_eq!(rows[0]["orderNo"], order_no.as_str(), "{rows}");
    assert_eq!(machines.orders_sent(), 0);
}

#[tokio::test]
async fn an_order_list_that_cannot_be_read_sends_nothing() {
    let server = ordering_portal().await;
    respond(
        &server,
        "GET",
        ORDERS_PATH,
        rejection(500, "internal_error", "the list broke", "req-list-500"),
    )
    .await;
    let env = TestEnv::new();
    let failed = run_on(&env, &server, &purchase_args()).await;
    assert_eq!(failed.code, 6, "{}", failed.stderr);
    assert!(
        failed.stderr.contains("order list") && failed.stderr.contains("nothing was"),
        "{}",
        failed.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn a_success_whose_operation_only_order_details_gives_blocks_that_operation_only() {
    // The list gives no operation (partner-api.md 10.11); Get Order Details says it was a
    // renewal, so a switch goes through and a renewal is blocked.
    let server = ordering_portal().await;
    respond(
        &server,
        "GET",
        DETAILS_PATH,
        subscribed("2027-11-29 00:00:00"),
    )
    .await;
    let _list = list_orders(&server, vec![listed(EARLIER, SN, "succeed", 3_600_000)]).await;
    let _details = details_answer(
        &server,
        EARLIER,
        ResponseTemplate::new(200).set_body_json(envelope(json!({
            "basicInformation": {"productId": "9", "productNo": SN},
            "orderInformation": {"orderNo": EARLIER, "orderStatus": "succeed", "operationType": "renew_plan"}
        }))),
    )
    .await;
    let env = TestEnv::new();
    let blocked = run_on(&env, &server, &renew_args_for(SN)).await;
    assert_blocked_by_portal(&blocked, EARLIER);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    let switched = run_on(
        &env,
        &server,
        &switch_args_for(SN, "Linkus Cloud Service Pro"),
    )
    .await;
    assert_eq!(switched.code, 0, "{}", switched.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
    assert_eq!(count(&server, "GET", &details_path(EARLIER)).await, 2);
}

/// Query Order List answering these orders with the portal's clock `behind_ms` behind this
/// machine's (its `Date` header), until the guard is dropped.
async fn list_with_clock(server: &MockServer, orders: Vec<Value>, behind_ms: u64) -> MockGuard {
    let portal_now = std::time::SystemTime::now() - Duration::from_millis(behind_ms);
    let count = orders.len();
    Mock::given(method("GET"))
        .and(path(ORDERS_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(envelope(json!({
                    "count": count, "pageNo": 1, "pageSize": 100, "total": count,
                    "totalPage": 1, "results": orders
                })))
                .insert_header("Date", httpdate::fmt_http_date(portal_now).as_str()),
        )
        .with_priority(1)
        .mount_as_scoped(server)
        .await
}

/// Every answer of the portal carries its clock, `behind_ms` behind this machine's; Get
/// Product Details answers `details`.
async fn portal_clock_behind(server: &MockServer, behind_ms: u64, details: ResponseTemplate) {
    let date =
        httpdate::fmt_http_date(std::time::SystemTime::now() - Duration::from_millis(behind_ms));
    let answers = [
        (
            "POST",
            TOKEN_PATH,
            ResponseTemplate::new(200)
                .set_body_json(envelope(token_result(ACCESS_1, REFRESH_1, "1800"))),
        ),
        ("GET", PLANS_PATH, json_response(plans_body())),
        ("GET", CONTACTS_PATH, json_response(contacts_body())),
        ("GET", PRICE_PATH, json_response(prices_body())),
        ("GET", DETAILS_PATH, details),
        ("POST", ORDER_PATH, order_created("succeed")),
    ];
    for (verb, route, answer) in answers {
        respond(
            server,
            verb,
            route,
            answer.insert_header("Date", date.as_str()),
        )
        .await;
    }
}

const MINUTE: u64 = 60_000;
const HOUR: u64 = 60 * MINUTE;

#[tokio::test]
async fn a_success_23_hours_ago_by_the_portals_clock_blocks_though_this_clock_is_2_hours_fast() {
    let server = ordering_portal().await;
    portal_clock_behind(&server, 2 * HOUR, subscribed("2027-11-29 00:00:00")).await;
    // 25½ hours ago by this machine's clock, 23½ by the portal's.
    let mut order = listed(EARLIER, SN, "succeed", 25 * HOUR + 30 * MINUTE);
    order["operationType"] = json!("renew_plan");
    let _list = list_with_clock(&server, vec![order], 2 * HOUR).await;
    let env = TestEnv::new();
    let blocked = run_on(&env, &server, &renew_args_for(SN)).await;
    assert_blocked_by_portal(&blocked, EARLIER);
    assert!(blocked.stderr.contains("23 h ago"), "{}", blocked.stderr);
    assert!(
        blocked.stderr.contains("2 h ahead of the portal's"),
        "the skew is named: {}",
        blocked.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn not_placed_is_refused_for_an_order_the_portal_lists_though_this_clock_is_10_minutes_fast()
{
    let server = ordering_portal().await;
    portal_clock_behind(&server, 10 * MINUTE, not_subscribed()).await;
    let env = TestEnv::new();
    // The intent was written just now by this machine's clock; the portal, 10 minutes
    // behind, created the order 2 seconds later by its own clock.
    seed(
        &env,
        &[intent_line("u1", &label(&server), Some("purchase"), 0)],
    );
    let _list = list_with_clock(
        &server,
        vec![listed(EARLIER, SN, "succeed", 10 * MINUTE - 2_000)],
        10 * MINUTE,
    )
    .await;
    let refused = run_on(
        &env,
        &server,
        &["orders", "reconcile", "--not-placed", "u1", "--yes"],
    )
    .await;
    assert_eq!(refused.code, 9, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains(&format!("the portal has order {EARLIER}")),
        "{}",
        refused.stderr
    );
    // And the entry is settled by that order, not left "no order found".
    let settled = run_on(&env, &server, &["orders", "reconcile", "--json"]).await;
    assert_eq!(settled.code, 0, "{}", settled.stderr);
    assert_eq!(settled.json()[0]["orderNo"], EARLIER, "{}", settled.stdout);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn an_order_sent_with_api_for_an_sn_the_portal_shows_pending_is_blocked() {
    let server = ordering_portal().await;
    let _list = list_orders(&server, vec![listed(EARLIER, SN, "pending", 5 * MINUTE)]).await;
    let env = TestEnv::new();
    let body = env.dir.path().join("body.json");
    std::fs::write(&body, super::api::order_body(Some(SN))).unwrap();
    let blocked = run_async({
        let mut cmd = env.portal_cmd(&server.uri());
        cmd.args(["api", "POST", ORDER_PATH, "--input"]).arg(&body);
        cmd
    })
    .await;
    assert_blocked_by_portal(&blocked, EARLIER);
    assert!(
        blocked.stderr.contains("still pending"),
        "{}",
        blocked.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    assert_eq!(count(&server, "GET", ORDERS_PATH).await, 1);
}

#[tokio::test]
async fn an_order_placed_elsewhere_while_the_summary_was_read_is_found_before_sending() {
    // The look-ups find no order; by the time the order is about to go (here: a read is
    // "stale" at once), the portal lists one placed from elsewhere.
    let server = ordering_portal().await;
    Mock::given(method("GET"))
        .and(path(ORDERS_PATH))
        .respond_with(empty_page())
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let _later = list_orders(&server, vec![listed(EARLIER, SN, "pending", 0)]).await;
    let env = TestEnv::new();
    let blocked = run_async({
        let mut cmd = env.portal_cmd(&server.uri());
        cmd.env("LINKUS_HISTORY_FRESH_MS", "0")
            .args(purchase_args());
        cmd
    })
    .await;
    assert_blocked_by_portal(&blocked, EARLIER);
    assert_eq!(count(&server, "GET", ORDERS_PATH).await, 2, "read again");
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[test]
fn a_batch_reads_the_order_list_again_before_an_order_when_its_read_is_stale() {
    let machines = TwoMachines::start();
    let file = machines.b.dir.path().join("pbxs.csv");
    std::fs::write(&file, "sn\n5550011\n5550012\n").unwrap();
    let mut args = vec![
        "purchase",
        "--from",
        file.to_str().unwrap(),
        "--plan",
        "Linkus Cloud Service",
        "--billing-contact",
        CONTACT_ID,
        "--years",
        "1",
        "--jobs",
        "1",
        "--yes",
    ];
    let fresh = run(machines
        .portal
        .cmd(&machines.b)
        .env("LINKUS_HISTORY_FRESH_MS", "0")
        .args(&args));
    assert_eq!(fresh.code, 0, "{}", fresh.stderr);
    // Once for the check phase, once more before each of the two orders.
    assert_eq!(machines.portal.count("GET", ORDERS_PATH), 3);
    // Within 30 seconds of the check phase, the one read serves every row.
    args[2] = "-";
    let mut cmd = machines.portal.cmd(&machines.a);
    cmd.args(&args).write_stdin("sn\n5550013\n5550014\n");
    let once = run(&mut cmd);
    assert_eq!(once.code, 0, "{}", once.stderr);
    assert_eq!(machines.portal.count("GET", ORDERS_PATH), 4);
    assert_eq!(machines.orders_sent(), 4);
}

#[tokio::test]
async fn an_order_listed_without_its_sn_is_looked_up_and_only_linkus_orders_count() {
    let server = ordering_portal().await;
    // LR…01: no SN in the list; Get Order Details says it is this PBX's, pending.
    // LR…02: this PBX's, pending, but for another product (11): it does not count.
    let mut nameless = listed(EARLIER, SN, "pending", 10 * MINUTE);
    nameless.as_object_mut().unwrap().remove("productNo");
    let mut other_product = listed("LR3206190457467700002", SN, "pending", 5 * MINUTE);
    other_product["productId"] = json!(11);
    let _list = list_orders(&server, vec![other_product, nameless]).await;
    // Get Order Details answers once; after that it fails.
    Mock::given(method("GET"))
        .and(path(details_path(EARLIER)))
        .respond_with(details(EARLIER, "pending"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(details_path(EARLIER)))
        .respond_with(rejection(500, "internal_error", "no details", "req-d"))
        .with_priority(2)
        .mount(&server)
        .await;
    let env = TestEnv::new();
    let blocked = run_on(&env, &server, &purchase_args()).await;
    assert_blocked_by_portal(&blocked, EARLIER);
    assert!(
        !blocked.stderr.contains("LR3206190457467700002"),
        "{}",
        blocked.stderr
    );
    assert_eq!(count(&server, "GET", &details_path(EARLIER)).await, 1);
    assert_eq!(
        count(&server, "GET", &details_path("LR3206190457467700002")).await,
        0
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);

    // Without its look-up the run cannot tell the SN: it says so and goes on.
    let bought = run_on(&env, &server, &purchase_args()).await;
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    assert!(
        bought.stderr.contains("could not be told apart by SN") && bought.stderr.contains(EARLIER),
        "{}",
        bought.stderr
    );
}
