//! The orders renew and switch send (partner-api.md 10.9), alone and from a file, and what
//! they do to the sandbox's subscriptions.

use serde_json::json;

use super::*;

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

    // Which contact pays must be said, as for one renewal without prompts: once, before
    // anything is asked of the portal.
    let unpaid = run(env
        .sandbox_cmd()
        .args(["-v", "renew", "--from", "-", "--yes", "--json"])
        .write_stdin(listing.clone()));
    assert_eq!(unpaid.code, 2, "{}", unpaid.stderr);
    let error = &unpaid.json()["error"];
    assert_eq!(error["kind"], "usage");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("--billing-contact"),
        "{error}"
    );
    assert!(
        !unpaid.stderr.contains("sandbox portal at"),
        "the portal was not started: {}",
        unpaid.stderr
    );
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
        assert_eq!(rows[i]["outcome"], "renewed");
        assert_eq!(rows[i]["daysLeft"], 20);
        let after = expires_in_sandbox(&env, sn);
        assert_eq!(days_between(&before[i], &after), 365, "{sn}");
    }
    let orders = store.load().orders;
    assert_eq!(orders.len(), 2);
    assert!(orders
        .iter()
        .all(|o| o.operation_type == linkus_sandbox::Operation::Renew));
}

#[test]
fn renew_and_switch_from_a_file_use_each_pbxs_plan_and_cycles() {
    let env = TestEnv::new();
    let [a, b, c] = ["369471680409", "369471690409", "369471700409"];
    let renewals = env.dir.path().join("renew.csv");
    std::fs::write(&renewals, format!("sn,years\n{a},3\n{b},\n")).unwrap();
    let renewed = run(env.sandbox_cmd().args([
        "renew",
        "--from",
        &renewals.display().to_string(),
        "--billing-contact",
        CONTACT_ID,
        "--yes",
        "--json",
    ]));
    assert_eq!(renewed.code, 0, "{}", renewed.stderr);
    let store = linkus_sandbox::Store::new(&env.data_dir().join("sandbox"));
    let orders = store.load().orders;
    let years: Vec<(String, u8)> = orders
        .iter()
        .map(|o| (o.product_no.clone(), o.multi_cycle))
        .collect();
    assert!(
        years.contains(&(a.to_owned(), 3)) && years.contains(&(b.to_owned(), 1)),
        "{years:?}"
    );
    assert!(orders
        .iter()
        .all(|o| o.operation_type == linkus_sandbox::Operation::Renew
            && o.plan_id.to_string() == PLAN_ID));

    // A switch keeps each subscription's cycles: a row asking for others matches nothing, a
    // usage error for the whole file (2) and nothing is sent...
    let switches = env.dir.path().join("switch.csv");
    std::fs::write(&switches, format!("sn,years\n{a},\n{c},2\n")).unwrap();
    let switch_args = [
        "switch",
        "--from",
        &switches.display().to_string(),
        "--plan",
        "Linkus Cloud Service Pro",
        "--billing-contact",
        CONTACT_ID,
        "--yes",
        "--json",
    ];
    let refused = run(env.sandbox_cmd().args(switch_args));
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    let message = refused.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("line 3: ")
            && message.contains("keeps the subscription's 1 billing cycle"),
        "{message}"
    );
    assert_eq!(store.load().orders.len(), 2, "no switch was sent");
    // ...unless --skip-invalid leaves that row out: it is `skipped`, exit 0.
    let switched = run(env.sandbox_cmd().args(switch_args).arg("--skip-invalid"));
    assert_eq!(switched.code, 0, "{}", switched.stderr);
    let rows = switched.json();
    assert_eq!(rows[0]["outcome"], "switched", "{rows}");
    assert_eq!(rows[1]["outcome"], "skipped", "{rows}");
    let orders = store.load().orders;
    let switch: Vec<_> = orders
        .iter()
        .filter(|o| o.operation_type == linkus_sandbox::Operation::Switch)
        .collect();
    assert_eq!(switch.len(), 1);
    assert_eq!(switch[0].product_no, a);
    assert_eq!(switch[0].multi_cycle, 3, "the cycles of its renewal");
    assert_eq!(switch[0].plan_id.to_string(), PRO_PLAN_ID);
}
