//! `linkus renew` and `linkus switch` (CLI.md section 1; partner-api.md 10.9): the bodies,
//! what is refused before sending, and the same rules as `purchase` (summary, replay line,
//! `--again`, journal, lock, exit codes).

use std::time::Duration;

use serde_json::{json, Value};
use wiremock::{MockServer, ResponseTemplate};

use crate::common::raw::{RawRequest, RawServer, Reply};
use crate::common::*;

/// The sandbox's PBX with Linkus expiring in 20 days.
const EXPIRING: &str = "369471660409";

fn renew_body(sn: &str, plan: &str, years: u8, po: Option<&str>) -> String {
    let po = po
        .map(|po| format!(r#""poNumber":"{po}","#))
        .unwrap_or_default();
    format!(
        r#"{{"operationType":"renew_plan","productId":9,"productNo":"{sn}","billingId":{CONTACT_ID},{po}"serviceList":[{{"serviceType":"plan","serviceId":{plan},"purchaseType":"renew","billingModel":"recurring","billingCycle":"annually","multiCycle":{years}}}]}}"#
    )
}

fn switch_body(sn: &str, plan: &str, years: u8) -> String {
    format!(
        r#"{{"operationType":"switch_plan","productId":9,"productNo":"{sn}","billingId":{CONTACT_ID},"serviceList":[{{"serviceType":"plan","serviceId":{plan},"purchaseType":"switch","billingModel":"recurring","billingCycle":"annually","multiCycle":{years}}}]}}"#
    )
}

/// Get Product Details for [`SN`] on the basic plan, with `changes` applied (a `null` removes
/// a field).
fn details(changes: Value) -> ResponseTemplate {
    let mut result = json!({
        "productNo": SN, "productId": 9, "planId": PLAN_ID.parse::<u64>().unwrap(),
        "planName": "Linkus Cloud Service", "multiCycle": 1, "status": "active", "currentPlan": "",
        "currentPlanExpireDate": "2027-03-01 00:00:00", "autoRenewStatus": 0,
        "activationStatus": "activated"
    });
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            result.as_object_mut().unwrap().remove(key);
        } else {
            result[key] = value.clone();
        }
    }
    ResponseTemplate::new(200).set_body_json(envelope(result))
}

/// A portal where [`SN`] has Linkus as `details` says, taking orders.
async fn subscribed_portal(changes: Value) -> MockServer {
    subscribed_portal_answering(changes, order_created("succeed")).await
}

/// The same, answering orders with `order`.
async fn subscribed_portal_answering(changes: Value, order: ResponseTemplate) -> MockServer {
    let server = portal().await;
    respond(&server, "GET", DETAILS_PATH, details(changes)).await;
    respond(&server, "POST", ORDER_PATH, order).await;
    server
}

fn renew(years: &str) -> Vec<String> {
    [
        "renew",
        "--sn",
        SN,
        "--billing-contact",
        CONTACT_ID,
        "--years",
        years,
    ]
    .map(str::to_owned)
    .to_vec()
}

fn switch_to(plan: &str) -> Vec<String> {
    [
        "switch",
        "--sn",
        SN,
        "--plan",
        plan,
        "--billing-contact",
        CONTACT_ID,
    ]
    .map(str::to_owned)
    .to_vec()
}

async fn order_bodies(server: &MockServer) -> Vec<String> {
    received(server, "POST", ORDER_PATH)
        .await
        .iter()
        .map(body_text)
        .collect()
}

fn expires_in_sandbox(env: &TestEnv, sn: &str) -> String {
    let products = run(env.sandbox_cmd().args(["products", "--sn", sn, "--json"]));
    assert_eq!(products.code, 0, "{}", products.stderr);
    products.json()["subscription"]["expires"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn days_between(from: &str, to: &str) -> i64 {
    let day = |d: &str| {
        humantime::parse_rfc3339(&format!("{d}T00:00:00Z"))
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            / 86_400
    };
    day(to) - day(from)
}

#[test]
fn renew_in_the_sandbox_extends_the_expiry_by_the_years() {
    let env = TestEnv::new();
    let before = expires_in_sandbox(&env, EXPIRING);
    let renewed = run(env.sandbox_cmd().args([
        "renew",
        "--sn",
        EXPIRING,
        "--years",
        "2",
        "--billing-contact",
        CONTACT_ID,
        "--yes",
        "--json",
    ]));
    assert_eq!(renewed.code, 0, "{}", renewed.stderr);
    let out = renewed.json();
    assert_eq!(out["orderStatus"], "succeed");
    assert_eq!(out["productNo"], EXPIRING);
    assert_eq!(
        out["total"],
        json!({"amount": "240.00", "currency": "USD", "perYear": "120.00", "years": 2})
    );
    assert!(
        renewed.stderr.contains(&format!(
            "Renewed: Linkus Cloud Service for PBX {EXPIRING}, 2 more years, order {}",
            out["orderNo"].as_str().unwrap()
        )),
        "{}",
        renewed.stderr
    );
    let after = expires_in_sandbox(&env, EXPIRING);
    assert_eq!(days_between(&before, &after), 730, "{before} → {after}");
}

#[test]
fn renew_dry_run_shows_the_body_of_10_9_and_sends_nothing() {
    let env = TestEnv::new();
    let run = run(env.sandbox_cmd().args([
        "renew",
        "--sn",
        EXPIRING,
        "--years",
        "2",
        "--billing-contact",
        CONTACT_ID,
        "--dry-run",
        "--json",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    assert_eq!(out["dryRun"], true);
    assert_eq!(out["requestBody"], renew_body(EXPIRING, PLAN_ID, 2, None));
    assert_eq!(out["request"]["serviceList"][0]["serviceId"], PLAN_ID);
    assert_eq!(out["request"]["operationType"], "renew_plan");
    assert!(env.journal_lines().is_empty());
    assert_eq!(expires_in_sandbox(&env, EXPIRING).len(), 10);
    let state = linkus_sandbox::Store::new(&env.data_dir().join("sandbox")).load();
    assert!(state.orders.is_empty());
}

#[tokio::test]
async fn renew_sends_the_exact_body_of_10_9_once() {
    let server = subscribed_portal(json!({})).await;
    let env = TestEnv::new();
    let run = run(env.portal_cmd(&server.uri()).args(renew("3")).args([
        "--po-number",
        "PO 9",
        "--yes",
        "--json",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["orderNo"], "LR3206190457467703296");
    assert_eq!(
        order_bodies(&server).await,
        [renew_body(SN, PLAN_ID, 3, Some("PO 9"))]
    );
    let intent = &env.journal_lines()[0];
    assert_eq!(intent["event"], "intent");
    assert_eq!(intent["operation"], "renew");
    assert_eq!(intent["years"], 3);
    assert_eq!(env.journal_lines()[1]["outcome"], "succeed");
}

#[tokio::test]
async fn renew_without_years_renews_for_one_year() {
    let server = subscribed_portal(json!({})).await;
    let env = TestEnv::new();
    let run = run(env.portal_cmd(&server.uri()).args([
        "renew",
        "--sn",
        SN,
        "--billing-contact",
        CONTACT_ID,
        "--yes",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        order_bodies(&server).await,
        [renew_body(SN, PLAN_ID, 1, None)]
    );
}

#[tokio::test]
async fn renew_of_a_pbx_without_linkus_is_refused_and_nothing_is_sent() {
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    let env = TestEnv::new();
    let run = run(env
        .portal_cmd(&server.uri())
        .args(renew("1"))
        .args(["--yes", "--json"]));
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert_eq!(run.json()["error"]["kind"], "rejected");
    assert!(
        run.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!(
                "PBX {SN} has no Linkus Cloud Service to renew; nothing was sent."
            )),
        "{}",
        run.stdout
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    assert!(env.journal_lines().is_empty());
}

#[tokio::test]
async fn switch_to_the_plan_it_already_has_is_refused() {
    let server = subscribed_portal(json!({})).await;
    let env = TestEnv::new();
    let run = run(env
        .portal_cmd(&server.uri())
        .args(switch_to("linkus cloud service"))
        .arg("--yes"));
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "PBX {SN} already has Linkus Cloud Service; nothing was sent."
        )),
        "{}",
        run.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    assert!(env.journal_lines().is_empty());
}

#[tokio::test]
async fn switch_while_a_switch_is_in_progress_is_refused() {
    let server = subscribed_portal(json!({"currentPlan": "Linkus Cloud Service Pro"})).await;
    let env = TestEnv::new();
    let run = run(env
        .portal_cmd(&server.uri())
        .args(switch_to("Linkus Cloud Service Pro"))
        .arg("--yes"));
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "PBX {SN} is already switching to Linkus Cloud Service Pro"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn switch_sends_the_current_multi_cycle_and_refuses_other_years() {
    let server = subscribed_portal(json!({"multiCycle": 3})).await;
    let env = TestEnv::new();

    let other_years = run(env
        .portal_cmd(&server.uri())
        .args(switch_to("Linkus Cloud Service Pro"))
        .args(["--years", "2", "--yes"]));
    assert_eq!(other_years.code, 2, "{}", other_years.stderr);
    assert!(
        other_years.stderr.contains(
            "A switch keeps the subscription's 3 billing cycle(s); --years 2 cannot change that."
        ),
        "{}",
        other_years.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);

    let switched = run(env
        .portal_cmd(&server.uri())
        .args(switch_to("Linkus Cloud Service Pro"))
        .args(["--yes", "--json"]));
    assert_eq!(switched.code, 0, "{}", switched.stderr);
    assert_eq!(
        order_bodies(&server).await,
        [switch_body(SN, PRO_PLAN_ID, 3)]
    );
    // The list price of the target plan for the years: an upper bound of what it costs.
    assert_eq!(
        switched.json()["total"],
        json!({"amount": "540.00", "currency": "USD", "perYear": "180.00", "years": 3})
    );
    assert!(
        switched
            .stderr
            .contains(&format!("Switched: PBX {SN} to Linkus Cloud Service Pro")),
        "{}",
        switched.stderr
    );
    assert_eq!(env.journal_lines()[0]["operation"], "switch");
}

#[tokio::test]
async fn switch_without_multi_cycle_from_the_portal_needs_years_and_says_why() {
    let server = subscribed_portal(json!({"multiCycle": null})).await;
    let env = TestEnv::new();

    let without = run(env
        .portal_cmd(&server.uri())
        .args(switch_to("Linkus Cloud Service Pro"))
        .arg("--yes"));
    assert_eq!(without.code, 2, "{}", without.stderr);
    assert!(
        without.stderr.contains("The portal does not say how many billing cycles the subscription has, and a switch must keep them: give --years."),
        "{}",
        without.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);

    let with = run(env
        .portal_cmd(&server.uri())
        .args(switch_to("Linkus Cloud Service Pro"))
        .args(["--years", "2", "--yes"]));
    assert_eq!(with.code, 0, "{}", with.stderr);
    assert_eq!(
        order_bodies(&server).await,
        [switch_body(SN, PRO_PLAN_ID, 2)]
    );
    // The summary says where the years came from.
    assert!(
        with.stderr
            .contains("from --years: the portal does not say the subscription's billing cycles"),
        "{}",
        with.stderr
    );
    // And the replay line keeps --years, which this switch needs.
    assert!(with.stderr.contains("--years 2 --yes"), "{}", with.stderr);
}

#[tokio::test]
async fn the_summary_says_when_the_subscription_renews_automatically() {
    let server =
        subscribed_portal(json!({"autoRenewStatus": 1, "currentPlanExpireDate": "2027-03-01"}))
            .await;
    let env = TestEnv::new();
    for args in [renew("1"), switch_to("Linkus Cloud Service Pro")] {
        let run = run(env.portal_cmd(&server.uri()).args(&args).arg("--dry-run"));
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stderr
                .contains("This subscription renews automatically on 2027-03-01"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains("Current plan       Linkus Cloud Service, until 2027-03-01"),
            "{}",
            run.stderr
        );
    }
    let manual = subscribed_portal(json!({})).await;
    let run = run(env
        .portal_cmd(&manual.uri())
        .args(renew("1"))
        .arg("--dry-run"));
    assert!(
        !run.stderr.contains("renews automatically"),
        "{}",
        run.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn renew_and_switch_print_the_replay_line() {
    let server = subscribed_portal(json!({})).await;
    let env = TestEnv::new();
    let renewed = run(env.portal_cmd(&server.uri()).args(renew("2")).args([
        "--po-number",
        "PO 7",
        "--dry-run",
    ]));
    assert!(
        renewed.stderr.contains(&format!(
            "linkus --base-url {} renew --sn {SN} --billing-contact {CONTACT_ID} --years 2 --po-number 'PO 7' --yes",
            server.uri()
        )),
        "{}",
        renewed.stderr
    );
    let switched = run(env
        .portal_cmd(&server.uri())
        .args(switch_to("linkus cloud service pro"))
        .arg("--dry-run"));
    assert!(
        switched.stderr.contains(&format!(
            "linkus --base-url {} switch --sn {SN} --plan {PRO_PLAN_ID} --billing-contact {CONTACT_ID} --yes",
            server.uri()
        )),
        "{}",
        switched.stderr
    );
}

#[tokio::test]
async fn a_renewal_in_the_last_day_blocks_another_renewal_until_again_names_it_but_not_a_switch() {
    let server = subscribed_portal(json!({})).await;
    let env = TestEnv::new();
    let first = run(env.portal_cmd(&server.uri()).args(renew("1")).arg("--yes"));
    assert_eq!(first.code, 0, "{}", first.stderr);

    let twice = run(env
        .portal_cmd(&server.uri())
        .args(renew("1"))
        .args(["--yes", "--json"]));
    assert_eq!(twice.code, 9, "{}", twice.stderr);
    let error = &twice.json()["error"];
    assert_eq!(error["kind"], "blocked");
    assert_eq!(error["blockedBy"]["orderNo"], "LR3206190457467703296");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains(&format!("SN {SN} already had a renew that succeeded")),
        "{error}"
    );
    assert!(
        error["hint"]
            .as_str()
            .unwrap()
            .contains("--again LR3206190457467703296"),
        "{error}"
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);

    let again = run(env.portal_cmd(&server.uri()).args(renew("1")).args([
        "--again",
        "LR3206190457467703296",
        "--yes",
    ]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("--again LR3206190457467703296 --yes"),
        "replay line: {}",
        again.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 2);

    let switched = run(env
        .portal_cmd(&server.uri())
        .args(switch_to("Linkus Cloud Service Pro"))
        .arg("--yes"));
    assert_eq!(
        switched.code, 0,
        "a renewal does not block a switch: {}",
        switched.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 3);
    let operations: Vec<String> = env
        .journal_lines()
        .iter()
        .filter(|l| l["event"] == "intent")
        .map(|l| l["operation"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(operations, ["renew", "renew", "switch"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn renew_is_refused_while_another_linkus_orders_for_the_sn() {
    let server = portal().await;
    respond(
        &server,
        "POST",
        ORDER_PATH,
        order_created("succeed").set_delay(Duration::from_secs(3)),
    )
    .await;
    let env = TestEnv::new();
    let purchase = tokio::spawn(run_async({
        let mut cmd = env.portal_cmd(&server.uri());
        cmd.args(purchase_args());
        cmd
    }));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while count(&server, "POST", ORDER_PATH).await == 0 {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let renewal = run_async({
        let mut cmd = env.portal_cmd(&server.uri());
        cmd.args(renew("1")).arg("--yes");
        cmd
    })
    .await;
    assert_eq!(renewal.code, 9, "{}", renewal.stderr);
    assert!(
        renewal.stderr.contains(&format!(
            "is ordering for SN {SN} right now; nothing was sent."
        )),
        "{}",
        renewal.stderr
    );
    assert!(
        renewal.stderr.contains("`linkus purchase`"),
        "names the other: {}",
        renewal.stderr
    );
    assert_eq!(purchase.await.unwrap().code, 0);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
}

#[tokio::test]
async fn a_pending_renewal_exits_8_and_a_refused_switch_exits_5() {
    let server = subscribed_portal_answering(json!({}), order_created("pending")).await;
    let env = TestEnv::new();
    let pending = run(env
        .portal_cmd(&server.uri())
        .args(renew("1"))
        .args(["--yes", "--json"]));
    assert_eq!(pending.code, 8, "{}", pending.stderr);
    assert_eq!(pending.json()["orderStatus"], "pending");

    let refusing = subscribed_portal_answering(
        json!({}),
        rejection(
            400,
            "parameter_validation_failed",
            "multiCycle must be 1.",
            "req-sw-1",
        ),
    )
    .await;
    let env = TestEnv::new();
    let refused = run(env
        .portal_cmd(&refusing.uri())
        .args(switch_to("Linkus Cloud Service Pro"))
        .args(["--yes", "--json"]));
    assert_eq!(refused.code, 5, "{}", refused.stderr);
    assert_eq!(
        refused.json()["error"]["portalCode"],
        "parameter_validation_failed"
    );
    assert_eq!(refused.json()["error"]["requestId"], "req-sw-1");
}

#[test]
fn a_switch_whose_answer_is_lost_exits_7_and_blocks_until_reconciled() {
    let details = json!({
        "code": "success", "detailMessage": "", "requestId": "r", "status": 200,
        "result": {"productNo": SN, "productId": 9, "planId": PLAN_ID.parse::<u64>().unwrap(),
                   "planName": "Linkus Cloud Service", "multiCycle": 1, "status": "active",
                   "currentPlan": "", "currentPlanExpireDate": "2027-03-01 00:00:00"}
    })
    .to_string();
    let server = RawServer::start(move |request: &RawRequest| {
        match (request.method.as_str(), request.path()) {
            ("POST", TOKEN_PATH) => Reply::json(
                200,
                envelope(token_result(ACCESS_1, REFRESH_1, "1800")).to_string(),
            ),
            ("GET", PLANS_PATH) => Reply::json(200, plans_body()),
            ("GET", CONTACTS_PATH) => Reply::json(200, contacts_body()),
            ("GET", PRICE_PATH) => Reply::json(200, prices_body()),
            ("GET", DETAILS_PATH) => Reply::json(200, details.clone()),
            ("POST", ORDER_PATH) => Reply::Reset,
            _ => Reply::json(404, "{}"),
        }
    });
    let env = TestEnv::new();
    let lost = run(env
        .portal_cmd(&server.url)
        .args(switch_to("Linkus Cloud Service Pro"))
        .args(["--yes", "--json"]));
    assert_eq!(lost.code, 7, "{}", lost.stderr);
    assert_eq!(lost.json()["error"]["kind"], "order_unknown");
    assert_eq!(server.count("POST", ORDER_PATH), 1, "never sent twice");
    let lines = env.journal_lines();
    assert_eq!(lines[0]["operation"], "switch");
    assert_eq!(lines[1]["outcome"], "unknown");

    // A renewal now is blocked too: the switch may have been placed.
    let renewal = run(env.portal_cmd(&server.url).args(renew("1")).arg("--yes"));
    assert_eq!(renewal.code, 9, "{}", renewal.stderr);
    assert!(
        renewal.stderr.contains("has no known outcome"),
        "{}",
        renewal.stderr
    );
    assert_eq!(server.count("POST", ORDER_PATH), 1);
}

#[test]
fn subscriptions_json_piped_into_renew_from_stdin_renews_each_pbx() {
    // The shape of `linkus subscriptions --expiring-within 30 --json` (CLI.md section 5).
    let env = TestEnv::new();
    let second = "369471670409";
    let before = [
        expires_in_sandbox(&env, EXPIRING),
        expires_in_sandbox(&env, second),
    ];
    let listing = json!([
        {"productNo": EXPIRING, "planId": PLAN_ID, "planName": "Linkus Cloud Service", "status": "active",
         "expires": before[0], "daysLeft": 20, "autoRenew": false},
        {"productNo": second, "planId": PLAN_ID, "planName": "Linkus Cloud Service", "status": "active",
         "expires": before[1], "daysLeft": 20, "autoRenew": false}
    ])
    .to_string();

    // Which contact pays must be said, as for one renewal without prompts.
    let unpaid = run(env
        .sandbox_cmd()
        .args(["renew", "--from", "-", "--yes", "--json"])
        .write_stdin(listing.clone()));
    assert_eq!(unpaid.code, 2, "{}", unpaid.stderr);
    for row in unpaid.json().as_array().unwrap() {
        assert_eq!(row["outcome"], "refused", "{row}");
        assert!(
            row["message"]
                .as_str()
                .unwrap()
                .contains("--billing-contact"),
            "{row}"
        );
    }
    let store = linkus_sandbox::Store::new(&env.data_dir().join("sandbox"));
    assert!(store.load().orders.is_empty());

    let renewed = run(env
        .sandbox_cmd()
        .args([
            "renew",
            "--from",
            "-",
            "--billing-contact",
            CONTACT_ID,
            "--yes",
            "--json",
        ])
        .write_stdin(listing));
    assert_eq!(renewed.code, 0, "{}", renewed.stderr);
    let rows = renewed.json();
    for (i, sn) in [EXPIRING, second].iter().enumerate() {
        assert_eq!(rows[i]["productNo"], *sn);
        assert_eq!(rows[i]["outcome"], "bought");
        assert_eq!(rows[i]["daysLeft"], "20");
        let after = expires_in_sandbox(&env, sn);
        assert_eq!(days_between(&before[i], &after), 365, "{sn}");
    }
    let orders = store.load().orders;
    assert_eq!(orders.len(), 2);
    assert!(orders
        .iter()
        .all(|o| o.operation_type == linkus_sandbox::Operation::Renew));
}
