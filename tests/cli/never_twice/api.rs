//! `linkus api POST /order/openapi/order/v1/save`: the same lock and journal as `purchase`.

use std::path::PathBuf;
use std::time::Duration;

use super::*;

/// A purchase's order body, for `productNo` when given.
pub(super) fn order_body(product_no: Option<&str>) -> String {
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

// ---------------------------------------------------------------------------------------------
// Whether a request is an order is decided on the URL as it is sent, never on the text typed
// (CLI.md section 1, `linkus api`; issue 16, path 1).

/// Every POST that is not a token request: what the portal took as an order, whatever path
/// it came to.
pub async fn orders_received(server: &MockServer) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() != TOKEN_PATH)
        .collect()
}

/// A portal that creates an order for a POST to any spelling of the order path (a server
/// that decodes, ignores case, `;` parameters and trailing slashes would).
async fn lenient_ordering_portal() -> MockServer {
    let server = ordering_portal().await;
    Mock::given(method("POST"))
        .and(wiremock::matchers::path_regex("(?i)^/+order"))
        .respond_with(order_created("succeed"))
        .mount(&server)
        .await;
    server
}

fn api_order_at(
    env: &TestEnv,
    url: &str,
    spelled: &str,
    body: &std::path::Path,
) -> assert_cmd::Command {
    let mut cmd = env.portal_cmd(url);
    cmd.args(["api", "POST", spelled, "--input"]).arg(body);
    cmd
}

/// An order sent through `api` with this spelling of the order path is journaled, and the
/// same order again within 24 hours is blocked (exit 9): the portal receives exactly one.
async fn a_second_order_spelled(spelled: &str) {
    let server = lenient_ordering_portal().await;
    let env = TestEnv::new();
    let body = body_file(&env, Some(SN));
    let first = run(&mut api_order_at(&env, &server.uri(), spelled, &body));
    assert_eq!(first.code, 0, "{spelled}: {}", first.stderr);
    assert!(
        first.stdout.contains(ORDER_NO),
        "{spelled}: {}",
        first.stdout
    );
    let lines = env.journal_lines();
    assert_eq!(
        lines.len(),
        2,
        "{spelled}: the order was not journaled: {lines:?}"
    );
    assert_eq!(lines[0]["event"], "intent");
    assert_eq!(lines[0]["sn"], SN);
    assert_eq!(lines[1]["orderNo"], ORDER_NO);

    let second = run(&mut api_order_at(&env, &server.uri(), spelled, &body));
    assert_eq!(second.code, 9, "{spelled}: {}", second.stderr);
    assert!(
        second.stderr.contains(ORDER_NO),
        "{spelled}: {}",
        second.stderr
    );
    let orders = orders_received(&server).await;
    assert_eq!(orders.len(), 1, "{spelled}: {} orders", orders.len());
    assert_eq!(body_text(&orders[0]), order_body(Some(SN)));
    // A purchase of the same SN is blocked too.
    let purchase = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(purchase.code, 9, "{spelled}: {}", purchase.stderr);
    assert_eq!(orders_received(&server).await.len(), 1, "{spelled}");
}

macro_rules! spelled_order_tests {
    ($($name:ident: $spelled:expr,)*) => {$(
        #[tokio::test]
        async fn $name() {
            a_second_order_spelled($spelled).await;
        }
    )*};
}

spelled_order_tests! {
    an_api_order_to_the_plain_path_is_blocked_the_second_time: "/order/openapi/order/v1/save",
    an_api_order_with_leading_double_slash_is_blocked_the_second_time: "//order/openapi/order/v1/save",
    an_api_order_with_three_leading_slashes_is_blocked_the_second_time: "///order/openapi/order/v1/save",
    an_api_order_with_a_dot_dot_segment_is_blocked_the_second_time: "/order/openapi/order/v1/x/../save",
    an_api_order_with_a_dot_segment_is_blocked_the_second_time: "/order/openapi/./order/v1/./save",
    an_api_order_with_encoded_dots_is_blocked_the_second_time: "/order/openapi/order/v1/x/%2e%2E/save",
    an_api_order_with_an_encoded_dot_segment_is_blocked_the_second_time: "/order/openapi/%2e/order/v1/save",
    an_api_order_with_encoded_letters_is_blocked_the_second_time: "/order/openapi/order/v1/%73%61ve",
    an_api_order_with_encoded_slashes_is_blocked_the_second_time: "/order%2Fopenapi%2forder%2Fv1%2Fsave",
    an_api_order_with_encoded_slashes_and_dots_is_blocked_the_second_time: "/order/openapi/order/v1/x%2F..%2Fsave",
    an_api_order_in_upper_case_is_blocked_the_second_time: "/ORDER/OpenAPI/Order/V1/SAVE",
    an_api_order_with_a_trailing_slash_is_blocked_the_second_time: "/order/openapi/order/v1/save/",
    an_api_order_with_path_parameters_is_blocked_the_second_time: "/order/openapi/order/v1/save;jsessionid=1",
    an_api_order_with_a_parameter_mid_path_is_blocked_the_second_time: "/order;x=1/openapi/order/v1/save",
    an_api_order_with_backslashes_is_blocked_the_second_time: "/order\\openapi\\order\\v1\\save",
    an_api_order_with_doubled_inner_slashes_is_blocked_the_second_time: "/order//openapi/order/v1//save",
    an_api_order_with_a_query_is_blocked_the_second_time: "/order/openapi/order/v1/save?x=1",
    an_api_order_with_a_fragment_is_blocked_the_second_time: "/order/openapi/order/v1/save#x",
}

/// Whitespace or control characters in the path: a usage error (exit 2), nothing sent, no
/// journal line.
#[tokio::test]
async fn an_api_path_with_whitespace_or_control_characters_is_a_usage_error() {
    let server = lenient_ordering_portal().await;
    let env = TestEnv::new();
    let body = body_file(&env, Some(SN));
    for spelled in [
        "/order/openapi/order/v1/\tsave",
        "/order/openapi/order/v1/save\t",
        "/order/openapi/order/v1/sa\nve",
        " /order/openapi/order/v1/save",
        "/order/openapi/order/v1/save ",
        "/order/openapi/order/v1/sa ve",
        "/order/openapi/order/v1/save\u{1}",
        "/order/openapi/order/v1/save%00",
        "/order/openapi/order/v1/save\u{7f}",
        "/order/openapi/order/v1/save\u{a0}",
        "/order/openapi/order/v1/%09save",
        "/order/openapi/order/v1/save%0A",
        "/order/openapi/order/v1/save%20",
    ] {
        let run = run(&mut api_order_at(&env, &server.uri(), spelled, &body));
        assert_eq!(run.code, 2, "{spelled:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("whitespace or control characters"),
            "{spelled:?}: {}",
            run.stderr
        );
    }
    assert_eq!(total_requests(&server).await, 0);
    assert!(env.journal_lines().is_empty());
}

/// Any non-GET request whose JSON body has `operationType` is an order, whatever its path:
/// journaled, and blocked the second time.
#[tokio::test]
async fn an_api_request_with_an_operation_type_to_another_path_is_an_order() {
    let server = lenient_ordering_portal().await;
    let env = TestEnv::new();
    let body = body_file(&env, Some(SN));
    for verb in ["POST", "PUT"] {
        let spelled = "/order/openapi/order/v2/create";
        let mut cmd = env.portal_cmd(&server.uri());
        cmd.args(["api", verb, spelled, "--input"]).arg(&body);
        let run = run(&mut cmd);
        if verb == "POST" {
            assert_eq!(run.code, 0, "{}", run.stderr);
            assert_eq!(env.journal_lines().len(), 2, "{:?}", env.journal_lines());
        } else {
            assert_eq!(run.code, 9, "{}", run.stderr);
        }
    }
    let orders = orders_received(&server).await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].url.path(), "/order/openapi/order/v2/create");
}

/// An `operationType` linkus does not know counts as every operation: a renewal that
/// succeeded an hour ago blocks it (exit 9), nothing sent.
#[tokio::test]
async fn an_api_order_of_an_unknown_operation_is_blocked_by_any_recent_success() {
    let server = lenient_ordering_portal().await;
    let env = TestEnv::new();
    let id = "a91000000000000e";
    seed(
        &env,
        &[
            intent_line(id, &label(&server), Some("renew"), 3_600_000),
            outcome_line(id, "succeed", Some(EARLIER)),
        ],
    );
    let file = env.dir.path().join("odd.json");
    std::fs::write(
        &file,
        order_body(Some(SN)).replace("purchase_plan", "upgrade_plan"),
    )
    .unwrap();
    let run = run(&mut api_order_at(&env, &server.uri(), ORDER_PATH, &file));
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert!(run.stderr.contains(EARLIER), "{}", run.stderr);
    assert!(orders_received(&server).await.is_empty());
}

/// An order sent with an `operationType` linkus does not know (the portal's `renew_service`)
/// stays "every operation" in the records: a renewal within 24 hours is blocked (exit 9),
/// nothing sent.
#[tokio::test]
async fn an_api_order_of_an_unknown_operation_blocks_a_renewal_afterwards() {
    let server = renewing_portal().await;
    let env = TestEnv::new();
    let file = env.dir.path().join("odd.json");
    std::fs::write(
        &file,
        order_body(Some(SN)).replace("purchase_plan", "renew_service"),
    )
    .unwrap();
    let first = run(&mut api_order_at(&env, &server.uri(), ORDER_PATH, &file));
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(orders_received(&server).await.len(), 1);

    let renew = run(env.portal_cmd(&server.uri()).args(renew_args_for(SN)));
    assert_eq!(renew.code, 9, "{}", renew.stderr);
    assert!(renew.stderr.contains(ORDER_NO), "{}", renew.stderr);
    assert_eq!(orders_received(&server).await.len(), 1);
}

#[tokio::test]
async fn an_api_order_again_goes_through_only_with_again_naming_the_earlier_order() {
    let server = lenient_ordering_portal().await;
    let env = TestEnv::new();
    let body = body_file(&env, Some(SN));
    let plain = "/order/openapi/order/v1/save";
    let first = run(&mut api_order_at(&env, &server.uri(), plain, &body));
    assert_eq!(first.code, 0, "{}", first.stderr);

    // Another order number does not release it.
    let wrong = run(api_order_at(&env, &server.uri(), plain, &body).args(["--again", "LR0"]));
    assert_eq!(wrong.code, 9, "{}", wrong.stderr);
    assert_eq!(orders_received(&server).await.len(), 1);

    let again = run(api_order_at(&env, &server.uri(), plain, &body).args(["--again", ORDER_NO]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(orders_received(&server).await.len(), 2);
}

#[tokio::test]
async fn again_on_an_api_request_that_is_not_an_order_is_a_usage_error() {
    let server = ordering_portal().await;
    let env = TestEnv::new();
    let get = run(env.portal_cmd(&server.uri()).args([
        "api",
        "GET",
        "/order/openapi/order/v1/page",
        "--again",
        ORDER_NO,
    ]));
    assert_eq!(get.code, 2, "{}", get.stderr);
    assert!(get.stderr.contains("not an order"), "{}", get.stderr);
    assert_eq!(total_requests(&server).await, 0);
}
