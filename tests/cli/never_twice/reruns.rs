//! Running the same command again after exit 7 or 8, and the journal's other rules: a line
//! of linkus 0.1, a recent success of the same operation.

use std::time::Duration;

use super::*;

#[tokio::test]
async fn a_rerun_after_a_timed_out_order_is_blocked_until_reconciled_then_by_the_24_hour_rule() {
    let server = ordering_portal().await;
    respond_times(
        &server,
        "POST",
        ORDER_PATH,
        1,
        order_created("succeed").set_delay(Duration::from_secs(5)),
    )
    .await;
    let env = TestEnv::new();
    let lost = run(env
        .portal_cmd(&server.uri())
        .args(["--timeout", "0.5"])
        .args(purchase_args()));
    assert_eq!(lost.code, 7, "{}", lost.stderr);
    let entry = first_entry(&env);

    // The portal answers again: the rerun sends nothing and says how to unblock the SN.
    let rerun = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(rerun.code, 9, "{}", rerun.stderr);
    for words in [
        format!("journal entry {entry}"),
        "linkus orders reconcile".to_owned(),
        format!("linkus orders reconcile --not-placed {entry}"),
        "Nothing was sent".to_owned(),
    ] {
        assert!(
            rerun.stderr.contains(&words),
            "{words:?}:\n{}",
            rerun.stderr
        );
    }
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);

    // Reconcile finds the order the portal now lists.
    let _listed = list_orders(&server, vec![listed(EARLIER, SN, "succeed", 0)]).await;
    let settled = run(env.portal_cmd(&server.uri()).args(["orders", "reconcile"]));
    assert_eq!(settled.code, 0, "{}", settled.stderr);

    // Settled as a success: the 24-hour rule, naming that order.
    let rerun = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(rerun.code, 9, "{}", rerun.stderr);
    assert!(
        rerun.stderr.contains(&format!("order {EARLIER}"))
            && rerun.stderr.contains(&format!("--again {EARLIER}")),
        "{}",
        rerun.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);

    // Named, it orders again.
    let again = run(env
        .portal_cmd(&server.uri())
        .args(purchase_args())
        .args(["--again", EARLIER]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 2);
}

/// A first run that ended in exit 8 (`pending`), in a portal whose later orders succeed.
async fn after_a_pending_order() -> (MockServer, TestEnv) {
    let server = ordering_portal().await;
    respond_times(&server, "POST", ORDER_PATH, 1, order_created("pending")).await;
    let env = TestEnv::new();
    let first = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(first.code, 8, "{}", first.stderr);
    (server, env)
}

#[tokio::test]
async fn a_rerun_after_a_pending_order_looks_it_up_and_exits_9_while_it_is_still_pending() {
    let (server, env) = after_a_pending_order().await;
    let _pending = details_answer(&server, ORDER_NO, details(ORDER_NO, "pending")).await;
    let rerun = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(rerun.code, 9, "{}", rerun.stderr);
    assert!(
        rerun
            .stderr
            .contains(&format!("Order {ORDER_NO} for SN {SN} is still pending")),
        "{}",
        rerun.stderr
    );
    assert_eq!(count(&server, "GET", &details_path(ORDER_NO)).await, 1);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
}

#[tokio::test]
async fn a_rerun_after_a_pending_order_exits_9_when_the_order_cannot_be_looked_up() {
    let (server, env) = after_a_pending_order().await;
    let _broken = details_answer(
        &server,
        ORDER_NO,
        rejection(500, "internal_error", "details broke", "req-d500"),
    )
    .await;
    let rerun = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(rerun.code, 9, "{}", rerun.stderr);
    assert!(
        rerun.stderr.contains("could not be looked up now"),
        "{}",
        rerun.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
}

/// `refunded` is final without service (exit 5 for an order answered so): an earlier order
/// refunded since no longer blocks, and the journal records it as such.
#[tokio::test]
async fn a_rerun_after_a_pending_order_goes_through_once_the_portal_says_refunded() {
    let (server, env) = after_a_pending_order().await;
    let entry = first_entry(&env);
    let _refunded = details_answer(&server, ORDER_NO, details(ORDER_NO, "refunded")).await;
    let rerun = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 2);
    let lines = env.journal_lines();
    assert!(
        lines.iter().any(|line| line["event"] == "reconciled"
            && line["id"] == entry.as_str()
            && line["outcome"] == "refunded"
            && line["orderStatus"] == "refunded"),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_rerun_after_a_pending_order_goes_through_once_the_portal_says_cancelled() {
    let (server, env) = after_a_pending_order().await;
    let entry = first_entry(&env);
    let _cancelled = details_answer(&server, ORDER_NO, details(ORDER_NO, "cancelled")).await;
    let rerun = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert_eq!(count(&server, "GET", &details_path(ORDER_NO)).await, 1);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 2);
    // The journal says what became of the first order.
    let lines = env.journal_lines();
    assert!(
        lines.iter().any(|line| line["event"] == "reconciled"
            && line["id"] == entry.as_str()
            && line["orderStatus"] == "cancelled"
            && line["orderNo"] == ORDER_NO),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_journal_line_written_by_linkus_0_1_blocks_a_purchase() {
    let server = ordering_portal().await;
    let env = TestEnv::new();
    seed(
        &env,
        &[intent_line(
            "0b1e0000000000a1",
            &label(&server),
            None,
            60_000,
        )],
    );
    let run = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert!(
        run.stderr.contains("journal entry 0b1e0000000000a1")
            && run.stderr.contains("--not-placed 0b1e0000000000a1"),
        "{}",
        run.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn a_renew_that_succeeded_today_blocks_a_renew_but_not_a_switch() {
    let server = renewing_portal().await;
    let env = TestEnv::new();
    let renew = renew_args_for(SN);
    let first = run(env.portal_cmd(&server.uri()).args(&renew));
    assert_eq!(first.code, 0, "{}", first.stderr);

    let again = run(env.portal_cmd(&server.uri()).args(&renew));
    assert_eq!(again.code, 9, "{}", again.stderr);
    assert!(
        again.stderr.contains("already had a renew that succeeded")
            && again.stderr.contains(&format!("--again {ORDER_NO}")),
        "{}",
        again.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);

    let switch = run(env
        .portal_cmd(&server.uri())
        .args(switch_args_for(SN, "Linkus Cloud Service Pro")));
    assert_eq!(switch.code, 0, "{}", switch.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 2);
}
