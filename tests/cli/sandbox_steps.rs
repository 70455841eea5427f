//! The sandbox's last steps (issue 20 item 4): `sandbox reset` forgets the sandbox's entries
//! in every local store so the README's quick start works again; `sandbox pay | cancel` end
//! a pending order so that `orders show --wait` and `orders reconcile` can be rehearsed to
//! the end; an SN that is not in the account; `--not-placed` on an entry that is not unknown
//! says where it stands in words.

use std::process::Stdio;
use std::time::Duration;

use crate::common::*;

/// The README's quick start, word for word (after `cargo run --release --`).
const QUICK_START: [&str; 10] = [
    "--sandbox",
    "purchase",
    "--sn",
    "369471667338",
    "--plan",
    "Linkus Cloud Service",
    "--billing-contact",
    "3197218168379846218",
    "--years",
    "1",
];

fn quick_start(env: &TestEnv) -> Run {
    run(env.cmd().args(QUICK_START).arg("--yes"))
}

/// A real portal's intent and outcome, and a damaged line: what reset must never touch.
const REAL_LINES: &str = concat!(
    r#"{"event":"intent","id":"00000000000000aa","time":"2026-11-28T10:00:00Z","profile":"default","baseUrl":"https://openapi.partner.yeastar.com/","sn":"369471667338","operation":"purchase","planId":"3048918321840570368","planName":"Linkus Cloud Service","billingContactId":"3197218168379846218","years":1,"poNumber":null}"#,
    "\n",
    r#"{"event":"outcome","id":"00000000000000aa","time":"2026-11-28T10:00:01Z","outcome":"succeed","orderNo":"LR1","orderStatus":"succeed","requestId":null}"#,
    "\n",
    "{\"event\":\"intent\",\"id\":\"torn",
    "\n",
);

#[test]
fn the_readme_quick_start_works_again_after_sandbox_reset() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.data_dir()).unwrap();
    std::fs::write(env.journal(), REAL_LINES).unwrap();
    // Another portal's SN record in the lock folder: kept.
    std::fs::create_dir_all(env.lock_dir()).unwrap();
    let other_record = env.lock_dir().join("0123456789abcdef-369471667338.jsonl");
    std::fs::write(&other_record, "{}\n").unwrap();

    let first = quick_start(&env);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let again = quick_start(&env);
    assert_eq!(
        again.code, 9,
        "the journal blocks a second one: {}",
        again.stderr
    );

    let reset = run(env.cmd().args(["sandbox", "reset", "--json"]));
    assert_eq!(reset.code, 0, "{}", reset.stderr);
    let said = reset.json();
    assert_eq!(said["reset"], true);
    assert_eq!(said["journalLinesRemoved"], 2, "{said}");
    assert!(said["snRecordsRemoved"].as_u64().unwrap() >= 1, "{said}");

    let journal = std::fs::read_to_string(env.journal()).unwrap();
    assert_eq!(
        journal, REAL_LINES,
        "a real portal's lines stay byte for byte"
    );
    assert!(other_record.exists(), "another portal's SN record stays");
    assert!(!env
        .data_dir()
        .join("orders.jsonl.before-sandbox-reset")
        .exists());

    let after = quick_start(&env);
    assert_eq!(
        after.code, 0,
        "the quick start works again: {}",
        after.stderr
    );
    let listed = run(env.cmd().args(["--sandbox", "orders", "list", "--json"]));
    assert_eq!(listed.json().as_array().unwrap().len(), 1);
}

#[test]
fn sandbox_reset_says_what_it_forgot_in_words() {
    let env = TestEnv::new();
    assert_eq!(quick_start(&env).code, 0);
    let reset = run(env.cmd().args(["sandbox", "reset"]));
    assert_eq!(reset.code, 0, "{}", reset.stderr);
    assert!(
        reset.stderr.contains(
            "Sandbox reset: its orders and subscriptions are gone. Forgotten too: 2 journal lines and 1 SN record of the sandbox (those of real portals are kept)."
        ),
        "{}",
        reset.stderr
    );
}

/// A `…0202` purchase: pending, exit 8; its order number.
fn pending_order(env: &TestEnv, sn: &str) -> String {
    let bought = run(env.sandbox_cmd().args(purchase_args_for(sn)).arg("--json"));
    assert_eq!(bought.code, 8, "{}", bought.stderr);
    bought.json()["orderNo"].as_str().unwrap().to_owned()
}

/// `orders show ORDER --wait` started in the background, looking every 50 ms.
fn wait_for(env: &TestEnv, order: &str) -> std::process::Child {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("linkus"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("LINKUS_") {
            cmd.env_remove(&key);
        }
    }
    cmd.env("HOME", env.dir.path().join("home"))
        .env("LINKUS_CONFIG_DIR", env.config_dir())
        .env("LINKUS_CACHE_DIR", env.cache_dir())
        .env("LINKUS_DATA_DIR", env.data_dir())
        .env("LINKUS_LOCK_DIR", env.lock_dir())
        .env("CI", "true")
        .env("NO_COLOR", "1");
    cmd.args([
        "--sandbox",
        "orders",
        "show",
        order,
        "--wait",
        "--wait-timeout",
        "60",
    ])
    .env("LINKUS_WAIT_POLL_MS", "50")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    cmd.spawn().expect("spawn linkus")
}

#[test]
fn sandbox_pay_lets_orders_show_wait_finish_with_0_and_reconcile_settle() {
    let env = TestEnv::new();
    let order = pending_order(&env, "369471660202");
    let waiting = wait_for(&env, &order);
    std::thread::sleep(Duration::from_millis(500));

    let paid = run(env.cmd().args(["sandbox", "pay", &order]));
    assert_eq!(paid.code, 0, "{}", paid.stderr);
    assert!(
        paid.stderr
            .contains(&format!("Sandbox order {order} paid: succeed")),
        "{}",
        paid.stderr
    );

    let waited = waiting.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&waited.stderr);
    assert_eq!(waited.status.code(), Some(0), "{stderr}");
    assert!(String::from_utf8_lossy(&waited.stdout).contains("succeed"));
    assert!(stderr.contains("Waiting for order"), "{stderr}");

    let reconciled = run(env.sandbox_cmd().args(["orders", "reconcile", "--json"]));
    assert_eq!(reconciled.code, 0, "{}", reconciled.stderr);
    let entries = reconciled.json();
    assert_eq!(entries[0]["status"], "settled", "{entries}");
    assert_eq!(entries[0]["orderStatus"], "succeed", "{entries}");
    // The portal now has the subscription the order paid for.
    let subscriptions =
        run(env
            .sandbox_cmd()
            .args(["subscriptions", "--sn", "369471660202", "--json"]));
    assert_eq!(
        subscriptions.json()[0]["productNo"],
        "369471660202",
        "{}",
        subscriptions.stdout
    );
}

#[test]
fn sandbox_cancel_ends_a_0202_order_so_it_no_longer_blocks() {
    let env = TestEnv::new();
    let sn = "369471660202";
    let order = pending_order(&env, sn);
    let blocked = run(env.sandbox_cmd().args(purchase_args_for(sn)));
    assert_eq!(
        blocked.code, 9,
        "an open order blocks the SN: {}",
        blocked.stderr
    );

    let cancelled = run(env.cmd().args(["sandbox", "cancel", &order, "--json"]));
    assert_eq!(cancelled.code, 0, "{}", cancelled.stderr);
    assert_eq!(cancelled.json()["orderStatus"], "cancelled");

    let shown = run(env
        .sandbox_cmd()
        .args(["orders", "show", &order, "--wait"])
        .env("LINKUS_WAIT_POLL_MS", "50"));
    assert_eq!(
        shown.code, 5,
        "a cancelled order ends the wait with 5: {}",
        shown.stderr
    );

    let reconciled = run(env.sandbox_cmd().args(["orders", "reconcile"]));
    assert_eq!(reconciled.code, 0, "{}", reconciled.stderr);
    // No longer blocked: a new order goes out (pending again, as every 0202 order is).
    let again = run(env.sandbox_cmd().args(purchase_args_for(sn)));
    assert_eq!(again.code, 8, "{}", again.stderr);
}

#[test]
fn sandbox_pay_refuses_what_is_not_a_pending_sandbox_order() {
    let env = TestEnv::new();
    let bought = run(env.sandbox_cmd().args(purchase_args()).arg("--json"));
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    let order = bought.json()["orderNo"].as_str().unwrap().to_owned();
    let paid = run(env.cmd().args(["sandbox", "pay", &order]));
    assert_eq!(paid.code, 5, "{}", paid.stderr);
    assert!(
        paid.stderr.contains(&format!(
            "Sandbox order {order} is succeed, not pending: there is nothing to pay"
        )),
        "{}",
        paid.stderr
    );
    let unknown = run(env.cmd().args(["sandbox", "cancel", "LR1"]));
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("The sandbox has no order LR1"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn an_sn_that_is_not_in_the_account_is_refused_with_exit_5_and_a_hint() {
    let env = TestEnv::new();
    let refused = run(env.sandbox_cmd().args(purchase_args_for("369471660404")));
    assert_eq!(refused.code, 5, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("The PBX 369471660404 is not in this partner account."),
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stderr
            .contains("Hint: Check the SN: that PBX is not in the partner account"),
        "{}",
        refused.stderr
    );
    assert!(env.journal_lines().is_empty(), "nothing was intended");
    let product = run(env
        .sandbox_cmd()
        .args(["products", "--sn", "369471660404", "--json"]));
    assert_eq!(product.code, 5, "{}", product.stderr);
    assert_eq!(
        product.json()["error"]["portalCode"],
        "product_not_in_account"
    );
}

#[test]
fn not_placed_on_an_open_entry_says_where_it_stands_in_words() {
    let env = TestEnv::new();
    let order = pending_order(&env, "369471660202");
    let entry = env.journal_lines()[0]["id"].as_str().unwrap().to_owned();
    let refused =
        run(env
            .sandbox_cmd()
            .args(["orders", "reconcile", "--not-placed", &entry, "--yes"]));
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!(
            "Entry {entry} is not unknown: it created order {order}, which is still pending."
        )),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("Open {"), "{}", refused.stderr);
    assert!(!refused.stderr.contains("order_no:"), "{}", refused.stderr);
}

#[test]
fn api_get_of_a_path_that_does_not_exist_hints_at_the_path_not_an_sn() {
    let env = TestEnv::new();
    let nope = run(env.sandbox_cmd().args(["api", "GET", "/nope"]));
    assert_eq!(nope.code, 5, "{}", nope.stderr);
    assert!(
        !nope.stderr.contains("SN or order number"),
        "{}",
        nope.stderr
    );
    assert!(
        nope.stderr.contains("Check the method and the path"),
        "{}",
        nope.stderr
    );
}

#[test]
fn a_24_hour_block_names_no_pid_of_the_run_that_has_ended() {
    let env = TestEnv::new();
    assert_eq!(quick_start(&env).code, 0);
    let blocked = run(env.cmd().args(QUICK_START).args(["--yes", "--json"]));
    assert_eq!(blocked.code, 9, "{}", blocked.stderr);
    let by = &blocked.json()["error"]["blockedBy"];
    assert!(by["orderNo"].as_str().unwrap().starts_with("LR"), "{by}");
    assert_eq!(by["pid"], serde_json::Value::Null, "{by}");
    assert!(!blocked.stderr.contains("pid"), "{}", blocked.stderr);
}
