//! End to end over the built-in sandbox: the real binary, real HTTP, no mocks.

use crate::common::*;

fn purchase(env: &TestEnv, sn: &str) -> Run {
    run(env.sandbox_cmd().args(purchase_args_for(sn)))
}

#[test]
fn a_full_flag_purchase_works_on_a_fresh_machine() {
    let env = TestEnv::new();
    let run = run(env.sandbox_cmd().args(purchase_args()).arg("--json"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let result = run.json();
    assert!(result["orderNo"].as_str().unwrap().starts_with("LR"));
    assert_eq!(result["orderStatus"], "succeed");
    assert_eq!(result["productNo"], SN);
    assert!(result["transactionNo"].as_str().unwrap().starts_with("QO"));
    assert_eq!(result["requestId"].as_str().unwrap().len(), 32);
    // One notice line says it is the sandbox; stdout is only the result.
    assert_eq!(run.stderr.matches("Sandbox:").count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("no money"));
    assert!(
        run.stderr
            .contains("partner account sandbox-partner@example.com"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_sandbox_lists_its_plans_and_contacts() {
    let env = TestEnv::new();
    let plans = run(env.sandbox_cmd().args(["products", "--sn", SN, "--quiet"]));
    assert_eq!(plans.code, 0, "{}", plans.stderr);
    assert_eq!(plans.stdout, format!("{PLAN_ID}\n{PRO_PLAN_ID}\n"));
    assert!(
        plans.stderr.starts_with("Sandbox: "),
        "the notice shows even with --quiet: {}",
        plans.stderr
    );
    let contacts = run(env.sandbox_cmd().args(["billing-contacts", "--json"]));
    assert_eq!(contacts.code, 0);
    let list = contacts.json();
    assert_eq!(list.as_array().unwrap().len(), 10);
    assert_eq!(list[0]["billingContactId"], CONTACT_ID);
}

#[test]
fn special_serial_numbers_rehearse_failures() {
    let env = TestEnv::new();

    let not_eligible = purchase(&env, "1234560402");
    assert_eq!(not_eligible.code, 5, "{}", not_eligible.stderr);
    assert!(
        not_eligible.stderr.contains("not eligible"),
        "{}",
        not_eligible.stderr
    );

    let pending = purchase(&env, "1234560202");
    assert_eq!(pending.code, 8, "{}", pending.stderr);
    assert!(pending.stdout.contains("pending"));

    let busy = run(env
        .sandbox_cmd()
        .args(["-v", "products", "--sn", "1234560503", "-q"]));
    assert_eq!(busy.code, 0, "{}", busy.stderr);
    assert_eq!(busy.stderr.matches("< 503").count(), 2, "{}", busy.stderr);

    let lost = run(env.sandbox_cmd().args(["--timeout", "1"]).args([
        "purchase",
        "--sn",
        "1234560504",
        "--plan",
        PLAN_ID,
        "--billing-contact",
        CONTACT_ID,
        "--years",
        "2",
        "--yes",
    ]));
    assert_eq!(lost.code, 7, "{}", lost.stderr);
    assert!(
        lost.stderr.contains("linkus orders list --sn 1234560504"),
        "{}",
        lost.stderr
    );
    let found = run(env
        .sandbox_cmd()
        .args(["orders", "list", "--sn", "1234560504", "--json"]));
    assert_eq!(found.code, 0);
    let orders = found.json();
    assert_eq!(
        orders.as_array().unwrap().len(),
        1,
        "the order was placed after all"
    );
    assert_eq!(orders[0]["orderStatus"], "succeed");
}

#[test]
fn state_persists_until_reset() {
    let env = TestEnv::new();
    let first = purchase(&env, "5550001");
    assert_eq!(first.code, 0, "{}", first.stderr);

    let list = run(env.sandbox_cmd().args(["orders", "list", "--quiet"]));
    assert_eq!(list.stdout.lines().count(), 1);

    // The journal blocks it (9) before the portal's subscription check would (5): never twice.
    let again = purchase(&env, "5550001");
    assert_eq!(again.code, 9, "{}", again.stderr);
    assert!(
        again.stderr.contains("already had a purchase"),
        "{}",
        again.stderr
    );
    // With the journal out of the way (another machine), the portal's order list blocks it
    // (9), and once `--again` names that order, the portal's subscription check refuses it.
    std::fs::remove_file(env.journal()).unwrap();
    std::fs::remove_dir_all(env.lock_dir()).unwrap();
    let elsewhere = purchase(&env, "5550001");
    assert_eq!(elsewhere.code, 9, "{}", elsewhere.stderr);
    assert!(
        elsewhere.stderr.contains("in the portal's order list"),
        "{}",
        elsewhere.stderr
    );
    let order_no = list.stdout.lines().next().unwrap().trim().to_owned();
    let elsewhere = run(env.sandbox_cmd().args([
        "purchase",
        "--sn",
        "5550001",
        "--plan",
        "Linkus Cloud Service",
        "--billing-contact",
        "3197218168379846218",
        "--years",
        "1",
        "--yes",
        "--again",
        &order_no,
    ]));
    assert_eq!(elsewhere.code, 5, "{}", elsewhere.stderr);
    assert!(
        elsewhere
            .stderr
            .contains("already has Linkus Cloud Service until"),
        "{}",
        elsewhere.stderr
    );

    let reset = run(env.sandbox_cmd().args(["sandbox", "reset"]));
    assert_eq!(reset.code, 0, "{}", reset.stderr);
    let list = run(env.sandbox_cmd().args(["orders", "list", "--json"]));
    assert_eq!(list.json(), serde_json::json!([]));
    assert_eq!(purchase(&env, "5550001").code, 0);
}

#[test]
fn orders_show_finds_an_order_by_number_and_by_id() {
    let env = TestEnv::new();
    let bought = run(env.sandbox_cmd().args(purchase_args()).arg("--json"));
    let order_no = bought.json()["orderNo"].as_str().unwrap().to_owned();
    let shown = run(env
        .sandbox_cmd()
        .args(["orders", "show", &order_no, "--json"]));
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let details = shown.json();
    assert_eq!(details["orderInformation"]["orderNo"], order_no.as_str());
    assert_eq!(details["basicInformation"]["productNo"], SN);
    // 19-digit numbers are strings in our output.
    assert_eq!(details["orderSummary"]["planId"], PLAN_ID);
    let id = details["orderInformation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_id = run(env.sandbox_cmd().args(["orders", "show", &id, "--quiet"]));
    assert_eq!(by_id.stdout.trim(), "succeed");
    let human = run(env.sandbox_cmd().args(["orders", "show", &order_no]));
    assert!(human.stdout.contains("Order\n"), "{}", human.stdout);
    assert!(human.stdout.contains(&order_no));
    let missing = run(env.sandbox_cmd().args(["orders", "show", "LR1"]));
    assert_eq!(missing.code, 5);
}

#[test]
fn concurrent_purchases_share_one_sandbox_safely() {
    let env = TestEnv::new();
    let children: Vec<_> = (0..4)
        .map(|i| {
            let mut cmd = env.sandbox_cmd();
            cmd.args([
                "purchase",
                "--sn",
                &format!("77700{i}"),
                "--plan",
                PLAN_ID,
                "--billing-contact",
                CONTACT_ID,
                "--years",
                "1",
                "--yes",
                "-q",
            ]);
            std::thread::spawn(move || run(&mut cmd))
        })
        .collect();
    for child in children {
        let run = child.join().unwrap();
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let list = run(env.sandbox_cmd().args(["orders", "list", "--json"]));
    assert_eq!(list.json().as_array().unwrap().len(), 4);
    // And the journal has an intent and an outcome for each, whole lines only.
    let lines = env.journal_lines();
    assert_eq!(lines.len(), 8);
}

#[test]
fn a_sandbox_token_is_reused_across_invocations() {
    let env = TestEnv::new();
    let first = run(env.sandbox_cmd().args(["-v", "billing-contacts", "-q"]));
    assert!(
        first.stderr.contains("/auth/openapi/v1/oauth/token"),
        "{}",
        first.stderr
    );
    let second = run(env.sandbox_cmd().args(["-v", "billing-contacts", "-q"]));
    assert!(
        !second.stderr.contains("/auth/openapi/v1/oauth/token"),
        "{}",
        second.stderr
    );
    assert_eq!(second.stderr.matches("> GET").count(), 1);
}

#[cfg(unix)]
#[test]
fn sandbox_serve_answers_other_tools_and_stops_on_ctrl_c_or_sigterm() {
    for signal in ["-INT", "-TERM"] {
        serve_then_stop_with(signal);
    }
}

#[cfg(unix)]
fn serve_then_stop_with(signal: &str) {
    use std::io::{BufRead, BufReader};
    use std::time::Duration;

    let env = TestEnv::new();
    let mut serve = std::process::Command::new(assert_cmd::cargo::cargo_bin("linkus"));
    for (key, value) in env.cmd().get_envs() {
        match value {
            Some(value) => serve.env(key, value),
            None => serve.env_remove(key),
        };
    }
    let mut child = serve
        .args(["sandbox", "serve", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let mut cmd = env.cmd();
    cmd.env("LINKUS_BASE_URL", &url)
        .env("LINKUS_CLIENT_ID", "any-id")
        .env("LINKUS_CLIENT_SECRET", "any-secret-at-all")
        .args(purchase_args());
    let bought = run(&mut cmd);
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    assert!(
        !bought.stderr.contains("Sandbox:"),
        "not the embedded sandbox"
    );

    std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "serve did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("stopped"), "{log}");
    // One line per request: token, five lookups (plans, contacts, the PBX's subscription, the
    // price, the order list), the order.
    assert_eq!(log.matches(" -> ").count(), 7, "{log}");
    assert!(
        log.contains("POST /order/openapi/order/v1/save -> 200"),
        "{log}"
    );
}
