//! `linkus autorenew enable --sn SN` (partner-api.md 10.10): a one-line summary, a
//! confirmation or `--yes`, `--dry-run` with the body, refused before sending for a PBX
//! without Linkus, and the way to switch it off (the portal only).

use serde_json::json;

use crate::common::*;

const AUTO_RENEW_PATH: &str = "/product/openapi/instance_subscription/v1/active";
const BODY: &str =
    r#"{"productNo":"369471667338","productId":"9","planOrServiceId":3048918321840570368}"#;

fn enable(sn: &str) -> Vec<&str> {
    vec!["autorenew", "enable", "--sn", sn]
}

async fn subscribed_portal() -> wiremock::MockServer {
    let server = portal().await;
    respond(
        &server,
        "GET",
        DETAILS_PATH,
        subscribed("2027-06-30 00:00:00"),
    )
    .await;
    server
}

#[tokio::test]
async fn autorenew_enable_with_yes_sends_the_documented_body_once_and_says_how_to_switch_it_off() {
    let server = subscribed_portal().await;
    respond(
        &server,
        "POST",
        AUTO_RENEW_PATH,
        wiremock::ResponseTemplate::new(200).set_body_json(envelope(json!("true"))),
    )
    .await;
    let env = TestEnv::new();
    let on = run(env.portal_cmd(&server.uri()).args(enable(SN)).arg("--yes"));
    assert_eq!(on.code, 0, "{}", on.stderr);
    let sent = received(&server, "POST", AUTO_RENEW_PATH).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(body_text(&sent[0]), BODY);
    assert!(
        on.stderr.contains(&format!(
            "Auto-renewal: PBX {SN}, Linkus Cloud Service ({PLAN_ID}), until 2027-06-30"
        )),
        "{}",
        on.stderr
    );
    assert!(
        on.stderr
            .contains(&format!("Auto-renewal is on for PBX {SN}")),
        "{}",
        on.stderr
    );
    assert!(
        on.stderr
            .contains("To switch it off: Partner Portal > Plan Details > Cancel Auto Renew"),
        "{}",
        on.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0, "no order");
}

#[tokio::test]
async fn autorenew_dry_run_shows_the_body_and_sends_nothing() {
    let server = subscribed_portal().await;
    let env = TestEnv::new();
    let dry = run(env
        .portal_cmd(&server.uri())
        .args(enable(SN))
        .args(["--dry-run", "--json"]));
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let out = dry.json();
    assert_eq!(out["dryRun"], true);
    assert_eq!(out["requestBody"], BODY);
    assert_eq!(
        out["request"]["planOrServiceId"], PLAN_ID,
        "an ID is a string"
    );
    let text = run(env
        .portal_cmd(&server.uri())
        .args(enable(SN))
        .arg("--dry-run"));
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert_eq!(text.stdout, format!("POST {AUTO_RENEW_PATH}\n{BODY}\n"));
    assert_eq!(count(&server, "POST", AUTO_RENEW_PATH).await, 0);
}

#[tokio::test]
async fn autorenew_for_a_pbx_without_linkus_is_refused_with_exit_5_before_sending() {
    let server = portal().await;
    let env = TestEnv::new();
    let refused = run(env
        .portal_cmd(&server.uri())
        .args(enable(SN))
        .args(["--yes", "--json"]));
    assert_eq!(refused.code, 5, "{}", refused.stderr);
    let error = &refused.json()["error"];
    assert_eq!(error["kind"], "rejected");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("has no Linkus Cloud Service to renew automatically; nothing was sent"),
        "{error}"
    );
    assert_eq!(count(&server, "POST", AUTO_RENEW_PATH).await, 0);
}

#[tokio::test]
async fn autorenew_without_yes_when_prompts_are_off_is_a_usage_error_and_sends_nothing() {
    let server = subscribed_portal().await;
    let env = TestEnv::new();
    let refused = run(env.portal_cmd(&server.uri()).args(enable(SN)));
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("needs --yes"), "{}", refused.stderr);
    assert_eq!(total_requests(&server).await, 0);
}

#[test]
fn autorenew_in_the_sandbox_shows_in_products_and_subscriptions() {
    let env = TestEnv::new();
    assert_eq!(run(env.sandbox_cmd().args(purchase_args())).code, 0);
    let before = run(env.sandbox_cmd().args(["products", "--sn", SN, "--json"]));
    assert_eq!(before.json()["subscription"]["autoRenew"], false);

    let on = run(env.sandbox_cmd().args(enable(SN)).args(["--yes", "--json"]));
    assert_eq!(on.code, 0, "{}", on.stderr);
    assert_eq!(
        on.json(),
        json!({"productNo": SN, "planId": PLAN_ID, "autoRenew": true, "changed": true})
    );

    let products = run(env.sandbox_cmd().args(["products", "--sn", SN]));
    assert!(
        products.stderr.contains(
            "Auto-renewal: on (turn off: Partner Portal > Plan Details > Cancel Auto Renew)."
        ),
        "{}",
        products.stderr
    );
    let listed = run(env
        .sandbox_cmd()
        .args(["subscriptions", "--sn", SN, "--json"]));
    assert_eq!(listed.json()[0]["autoRenew"], true, "{}", listed.stdout);

    // Again: already on, nothing sent, exit 0.
    let again = run(env.sandbox_cmd().args(["-v"]).args(enable(SN)).arg("--yes"));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("already on"), "{}", again.stderr);
    assert!(!again.stderr.contains(AUTO_RENEW_PATH), "{}", again.stderr);

    // The sandbox refuses a PBX without Linkus as the portal would (exit 5 from linkus
    // before sending, for the SN without Linkus).
    let none = run(env.sandbox_cmd().args(enable("1234567890")).arg("--yes"));
    assert_eq!(none.code, 5, "{}", none.stderr);
}

#[cfg(unix)]
#[tokio::test]
async fn autorenew_asks_first_and_declining_sends_nothing() {
    use crate::common::pty::Pty;
    let server = subscribed_portal().await;
    let env = TestEnv::new();
    let mut p = Pty::linkus(&env, &server.uri(), 80, &enable(SN));
    p.expect("Switch on auto-renewal? [y/N]");
    p.line("n");
    let end = p.finish();
    assert_eq!(end.code, 3, "{}", end.contents());
    end.assert_on_its_own_row("Declined; nothing was changed.");
    assert_eq!(count(&server, "POST", AUTO_RENEW_PATH).await, 0);
}
