//! `orders reconcile`: open orders stay open and are looked up again, unknown entries stay
//! unknown until found or marked, and `--not-placed` refuses whenever the portal could say
//! otherwise.

use super::*;

const ENTRY: &str = "e0000000000000e1";

/// A portal and a home whose journal holds one purchase with no known outcome, sent a
/// minute ago.
async fn an_unknown_entry() -> (MockServer, TestEnv) {
    let server = ordering_portal().await;
    let env = TestEnv::new();
    seed(
        &env,
        &[
            intent_line(ENTRY, &label(&server), Some("purchase"), 60_000),
            outcome_line(ENTRY, "unknown", None),
        ],
    );
    (server, env)
}

fn reconcile(env: &TestEnv, server: &MockServer) -> Run {
    run(env
        .portal_cmd(&server.uri())
        .args(["orders", "reconcile", "--json"]))
}

fn not_placed(env: &TestEnv, server: &MockServer) -> Run {
    run(env
        .portal_cmd(&server.uri())
        .args(["orders", "reconcile", "--not-placed", ENTRY, "--yes"]))
}

/// The one row of a reconcile report, checked for the contract's shape.
fn only_row(run: &Run) -> Value {
    let rows = run.json();
    let rows = rows.as_array().expect("an array");
    assert_eq!(rows.len(), 1, "{rows:?}");
    let mut keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["entry", "orderNo", "orderStatus", "sn", "status", "time"],
        "{}",
        rows[0]
    );
    assert_eq!(rows[0]["entry"], ENTRY);
    assert_eq!(rows[0]["sn"], SN);
    rows[0].clone()
}

#[tokio::test]
async fn reconcile_keeps_an_entry_whose_order_is_still_pending_open_and_looks_it_up_next_time() {
    let (server, env) = an_unknown_entry().await;
    let _listed = list_orders(&server, vec![listed(EARLIER, SN, "pending", 0)]).await;
    let first = reconcile(&env, &server);
    assert_eq!(first.code, 8, "{}", first.stderr);
    let row = only_row(&first);
    assert_eq!(row["status"], "open");
    assert_eq!(row["orderNo"], EARLIER);
    assert_eq!(row["orderStatus"], "pending");

    // Next time it is looked up by its number, and now it has succeeded.
    let _paid = details_answer(&server, EARLIER, details(EARLIER, "succeed")).await;
    let second = reconcile(&env, &server);
    assert_eq!(second.code, 0, "{}", second.stderr);
    let row = only_row(&second);
    assert_eq!(row["status"], "settled");
    assert_eq!(row["orderStatus"], "succeed");
    assert_eq!(count(&server, "GET", &details_path(EARLIER)).await, 1);

    let third = run(env.portal_cmd(&server.uri()).args(["orders", "reconcile"]));
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert!(
        third.stderr.contains("Nothing to reconcile"),
        "{}",
        third.stderr
    );
}

#[tokio::test]
async fn reconcile_says_no_order_found_and_exits_7_when_the_portal_lists_none() {
    let (server, env) = an_unknown_entry().await;
    let text = run(env.portal_cmd(&server.uri()).args(["orders", "reconcile"]));
    assert_eq!(text.code, 7, "{}", text.stderr);
    assert!(text.stdout.contains("no order found"), "{}", text.stdout);
    let json = reconcile(&env, &server);
    assert_eq!(json.code, 7);
    assert_eq!(only_row(&json)["status"], "unknown");
}

#[tokio::test]
async fn reconcile_says_it_could_not_search_all_orders_when_a_later_page_fails() {
    let (server, env) = an_unknown_entry().await;
    orders_cut_after_page_1(&server).await;
    let text = run(env.portal_cmd(&server.uri()).args(["orders", "reconcile"]));
    assert_eq!(text.code, 7, "{}", text.stderr);
    assert!(
        text.stdout.contains("could not search all orders") && !text.stdout.contains("no order"),
        "{}",
        text.stdout
    );
}

/// `--not-placed` refused: exit 9, and the journal is as it was.
fn assert_refused(env: &TestEnv, before: &str, run: &Run, why: &str) {
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("Entry {ENTRY} was not marked"))
            && run.stderr.contains(why),
        "{why:?}:\n{}",
        run.stderr
    );
    assert_eq!(journal_text(env), before, "the journal changed");
}

#[tokio::test]
async fn not_placed_refuses_when_the_portal_lists_an_order_for_the_sn_since_the_entry() {
    let (server, env) = an_unknown_entry().await;
    let before = journal_text(&env);
    let _listed = list_orders(&server, vec![listed(EARLIER, SN, "failed", 0)]).await;
    let run = not_placed(&env, &server);
    assert_refused(&env, &before, &run, EARLIER);
}

#[tokio::test]
async fn not_placed_refuses_when_the_sn_now_has_linkus() {
    let (server, env) = an_unknown_entry().await;
    let before = journal_text(&env);
    respond(
        &server,
        "GET",
        DETAILS_PATH,
        subscribed("2030-06-30 00:00:00"),
    )
    .await;
    let run = not_placed(&env, &server);
    assert_refused(&env, &before, &run, "has Linkus Cloud Service now");
}

#[tokio::test]
async fn not_placed_refuses_when_it_could_not_search_all_orders() {
    let (server, env) = an_unknown_entry().await;
    let before = journal_text(&env);
    orders_cut_after_page_1(&server).await;
    let run = not_placed(&env, &server);
    assert_refused(&env, &before, &run, "could not search all orders");
}

#[tokio::test]
async fn not_placed_marks_the_entry_and_a_purchase_for_the_sn_then_goes_through() {
    let (server, env) = an_unknown_entry().await;
    let blocked = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(blocked.code, 9, "{}", blocked.stderr);

    let marked = not_placed(&env, &server);
    assert_eq!(marked.code, 0, "{}", marked.stderr);
    let last = env.journal_lines().last().cloned().unwrap();
    assert_eq!(last["event"], "reconciled");
    assert_eq!(last["id"], ENTRY);
    assert_eq!(last["outcome"], "not_placed");

    let bought = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
}

#[tokio::test]
async fn not_placed_without_yes_when_prompts_are_off_is_a_usage_error() {
    let (server, env) = an_unknown_entry().await;
    let before = journal_text(&env);
    let run =
        run(env
            .portal_cmd(&server.uri())
            .args(["orders", "reconcile", "--not-placed", ENTRY]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    assert_eq!(journal_text(&env), before);
    assert_eq!(total_requests(&server).await, 0);
}

/// A run in another home (same lock folder) is waiting on its order for the SN: reconcile
/// leaves the entry alone and `--not-placed` is refused, naming that run.
#[tokio::test]
async fn reconcile_and_not_placed_wait_for_a_run_that_is_ordering_for_the_sn() {
    let (server, env) = an_unknown_entry().await;
    respond(
        &server,
        "POST",
        ORDER_PATH,
        order_created("succeed").set_delay(std::time::Duration::from_secs(60)),
    )
    .await;
    let elsewhere = TestEnv::new();
    let mut holder = spawn(
        elsewhere
            .portal_cmd(&server.uri())
            .env("LINKUS_LOCK_DIR", env.lock_dir())
            .args(purchase_args()),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while count(&server, "POST", ORDER_PATH).await == 0 {
        assert!(std::time::Instant::now() < deadline, "the order never left");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let before = journal_text(&env);

    let reconciled = reconcile(&env, &server);
    let marked = not_placed(&env, &server);
    holder.kill().unwrap();
    holder.wait().unwrap();

    assert_eq!(reconciled.code, 7, "{}", reconciled.stderr);
    assert_eq!(only_row(&reconciled)["status"], "unknown");
    assert_eq!(marked.code, 9, "{}", marked.stderr);
    assert!(
        marked
            .stderr
            .contains(&format!("Another linkus (pid {}", holder.id())),
        "{}",
        marked.stderr
    );
    assert_eq!(journal_text(&env), before, "the journal changed");
}
