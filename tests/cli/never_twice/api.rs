//! `linkus api POST /order/openapi/order/v1/save`: the same lock and journal as `purchase`.

use std::path::PathBuf;
use std::time::Duration;

use super::*;

fn order_body(product_no: Option<&str>) -> String {
    let sn = product_no
        .map(|sn| format!(r#""productNo":"{sn}","#))
        .unwrap_or_default();
    format!(
        r#"{{"operationType":"purchase_plan","productId":9,{sn}"billingId":{CONTACT_ID},"serviceList":[{{"serviceType":"plan","serviceId":{PLAN_ID},"purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":1}}]}}"#
    )
}

fn body_file(env: &TestEnv, product_no: Option<&str>) -> PathBuf {
    let file = env.dir.path().join("body.json");
    std::fs::write(&file, order_body(product_no)).unwrap();
    file
}

fn api_order(env: &TestEnv, url: &str, body: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = env.portal_cmd(url);
    cmd.args(["api", "POST", ORDER_PATH, "--input"]).arg(body);
    cmd
}

#[tokio::test]
async fn an_order_sent_with_api_is_journaled_like_a_purchase() {
    let server = ordering_portal().await;
    let env = TestEnv::new();
    let body = body_file(&env, Some(SN));
    let run = run(&mut api_order(&env, &server.uri(), &body));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(ORDER_NO), "{}", run.stdout);

    let orders = received(&server, "POST", ORDER_PATH).await;
    assert_eq!(orders.len(), 1);
    assert_eq!(body_text(&orders[0]), order_body(Some(SN)));
    let lines = env.journal_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["event"], "intent");
    assert_eq!(lines[0]["sn"], SN);
    assert_eq!(lines[0]["operation"], "purchase");
    assert_eq!(lines[1]["event"], "outcome");
    assert_eq!(lines[1]["id"], lines[0]["id"]);
    assert_eq!(lines[1]["outcome"], "succeed");
    assert_eq!(lines[1]["orderNo"], ORDER_NO);
}

#[test]
fn a_purchase_while_api_orders_for_the_same_sn_exits_9_naming_it() {
    let server = raw_portal(|_| Reply::Hang(Duration::from_secs(60)));
    let env = TestEnv::new();
    let body = body_file(&env, Some(SN));
    let mut holder = spawn(&api_order(&env, &server.url, &body));
    wait_until("the api order is on the wire", || {
        server.count("POST", ORDER_PATH) == 1
    });

    let purchase = run(env.portal_cmd(&server.url).args(purchase_args()));
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_eq!(purchase.code, 9, "{}", purchase.stderr);
    assert!(
        purchase
            .stderr
            .contains(&format!("pid {}, `linkus api`", holder.id())),
        "{}",
        purchase.stderr
    );
    assert_eq!(server.count("POST", ORDER_PATH), 1);
}

#[tokio::test]
async fn an_api_order_is_blocked_by_an_unknown_entry_for_its_product_no() {
    let server = ordering_portal().await;
    let env = TestEnv::new();
    seed(
        &env,
        &[intent_line(
            "a91000000000000f",
            &label(&server),
            Some("purchase"),
            60_000,
        )],
    );
    let body = body_file(&env, Some(SN));
    let run = run(&mut api_order(&env, &server.uri(), &body));
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert!(
        run.stderr.contains("--not-placed a91000000000000f"),
        "{}",
        run.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    assert_eq!(env.journal_lines().len(), 1);
}

#[tokio::test]
async fn an_api_order_body_without_product_no_is_refused_and_nothing_is_sent() {
    let server = ordering_portal().await;
    let env = TestEnv::new();
    let body = body_file(&env, None);
    let run = run(&mut api_order(&env, &server.uri(), &body));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("productNo"), "{}", run.stderr);
    assert_eq!(total_requests(&server).await, 0);
    assert!(env.journal_lines().is_empty());
}
