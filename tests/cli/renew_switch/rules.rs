//! What renew and switch refuse before sending, and the rules they share with `purchase`:
//! summary, replay line, `--again`, the journal, the lock, exit codes.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::common::raw::{RawRequest, RawServer, Reply};

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
            ("GET", ORDERS_PATH) => Reply::json(200, empty_orders_body()),
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
