//! Issue 9 items 11 to 13: a password in the base URL, a token the portal echoes, a short
//! client secret. None of them is ever printed or written.

use serde_json::json;
use wiremock::ResponseTemplate;

use super::with_userinfo;
use crate::common::*;

const PASSWORD: &str = "Pass-w0rd";

fn assert_no_password(run: &Run, what: &str) {
    assert!(
        !run.all_output().contains(PASSWORD),
        "{what}: the password shows:\n{}",
        run.all_output()
    );
}

#[tokio::test]
async fn a_password_in_the_base_url_shows_nowhere() {
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    let env = TestEnv::new();
    let url = with_userinfo(&server.uri(), "user", PASSWORD);
    let shown = server.uri();

    let bought = run(env
        .portal_cmd(&server.uri())
        .args(["-v", "--base-url", &url])
        .args(purchase_args()));
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    assert_no_password(&bought, "purchase -v");
    // The request log, the summary's Portal row and the replay command show the URL without
    // the user's credentials.
    assert!(
        bought
            .stderr
            .contains(&format!("> GET {shown}{CONTACTS_PATH}")),
        "{}",
        bought.stderr
    );
    assert!(
        bought
            .stderr
            .contains(&format!("{:<19}{shown}\n", "Portal")),
        "{}",
        bought.stderr
    );
    assert!(
        bought
            .stderr
            .contains(&format!("--base-url {shown} purchase")),
        "{}",
        bought.stderr
    );
    let journal = std::fs::read_to_string(env.journal()).unwrap();
    assert!(!journal.contains(PASSWORD), "{journal}");
    assert!(
        journal.contains(&format!(r#""baseUrl":"{shown}/""#)),
        "{journal}"
    );
    for file in all_files_under(env.dir.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(!text.contains(PASSWORD), "{} holds it", file.display());
    }

    // Errors: the portal's refusal, a server that is not there, and an answer that is not
    // the API's.
    respond(
        &server,
        "GET",
        PLANS_PATH,
        rejection(400, "invalid_param", "bad productNo", "req-bad"),
    )
    .await;
    let refused = run(env.portal_cmd(&server.uri()).args([
        "-vv",
        "--base-url",
        &url,
        "products",
        "--sn",
        SN,
    ]));
    assert_eq!(refused.code, 5, "{}", refused.stderr);
    assert_no_password(&refused, "a refusal");

    let closed = with_userinfo(&closed_port_url(), "user", PASSWORD);
    let unreachable = run(env.portal_cmd(&server.uri()).args([
        "-v",
        "--base-url",
        &closed,
        "--json",
        "billing-contacts",
    ]));
    assert_eq!(unreachable.code, 6, "{}", unreachable.stderr);
    assert_no_password(&unreachable, "a refused connection");

    let html = ResponseTemplate::new(404)
        .set_body_raw(format!("<html>no API at {url}</html>"), "text/html");
    respond(&server, "GET", CONTACTS_PATH, html).await;
    let not_api =
        run(env
            .portal_cmd(&server.uri())
            .args(["-vv", "--base-url", &url, "billing-contacts"]));
    assert_eq!(not_api.code, 6, "{}", not_api.stderr);
    assert_no_password(&not_api, "a page that echoes the URL");
}

/// An answer that echoes the request's Authorization header.
fn echoes_the_token(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "code": "invalid_request",
        "detailMessage": format!("Bad request; headers were Authorization: Bearer {ACCESS_1}"),
        "requestId": "req-echo",
        "status": status,
        "result": {"authorization": format!("Bearer {ACCESS_1}"), "echo": format!("Bearer {ACCESS_1}")}
    }))
}

fn assert_no_token(run: &Run, what: &str) {
    for token in [ACCESS_1, REFRESH_1] {
        assert!(
            !run.all_output().contains(token),
            "{what}: the token shows:\n{}",
            run.all_output()
        );
    }
}

#[tokio::test]
async fn a_portal_error_that_echoes_the_token_never_prints_it_through_api() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        "/echo/openapi/v1/headers",
        echoes_the_token(400),
    )
    .await;
    let env = TestEnv::new();

    // A fresh token, then the cached one; plain, then with the bodies logged.
    for flags in [vec![], vec!["-vv"], vec!["--json"]] {
        let run = run(env.portal_cmd(&server.uri()).args(&flags).args([
            "api",
            "GET",
            "/echo/openapi/v1/headers",
        ]));
        assert_eq!(run.code, 5, "{flags:?}: {}", run.stderr);
        assert!(
            run.stdout.contains("req-echo"),
            "the body is printed: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("Authorization: (redacted)"),
            "{}",
            run.stdout
        );
        assert_no_token(&run, &format!("api {flags:?}"));
    }
    assert_eq!(count(&server, "POST", TOKEN_PATH).await, 1);
}

#[tokio::test]
async fn a_portal_error_that_echoes_the_token_never_prints_it_through_products() {
    let server = portal().await;
    respond(&server, "GET", PLANS_PATH, echoes_the_token(400)).await;
    let env = TestEnv::new();
    for flags in [vec![], vec!["-vv"], vec!["--json"]] {
        let run = run(env
            .portal_cmd(&server.uri())
            .args(&flags)
            .args(["products", "--sn", SN]));
        assert_eq!(run.code, 5, "{flags:?}: {}", run.stderr);
        assert!(run.stderr.contains("Bad request"), "{}", run.stderr);
        assert_no_token(&run, &format!("products {flags:?}"));
    }
}

#[tokio::test]
async fn a_short_client_secret_the_portal_echoes_is_redacted() {
    const SHORT: &str = "k9Zq";
    let server = wiremock::MockServer::start().await;
    respond(
        &server,
        "POST",
        TOKEN_PATH,
        rejection(
            401,
            "invalid_client",
            &format!("client_secret {SHORT} is not valid for {CLIENT_ID} (got \"{SHORT}\")"),
            "req-short",
        ),
    )
    .await;
    let env = TestEnv::new();
    for flags in [vec![], vec!["-vv"], vec!["--json"]] {
        let run = run(env
            .portal_cmd(&server.uri())
            .env("LINKUS_CLIENT_SECRET", SHORT)
            .args(&flags)
            .args(["billing-contacts"]));
        assert_eq!(run.code, 4, "{flags:?}: {}", run.stderr);
        assert!(
            run.all_output().contains("is not valid for"),
            "the portal's message is shown: {}",
            run.all_output()
        );
        assert!(
            !run.all_output().contains(SHORT),
            "{flags:?}: the secret shows:\n{}",
            run.all_output()
        );
    }
}
