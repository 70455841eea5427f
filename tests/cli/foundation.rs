//! The portal client through `products` and `billing-contacts`: request shape, tokens,
//! retries, errors and exit codes, output modes.

use serde_json::json;
use wiremock::ResponseTemplate;

use crate::common::*;

#[tokio::test]
async fn products_sends_the_documented_request_and_prints_ids_as_strings() {
    let server = portal().await;
    let env = TestEnv::new();

    let run = run(env
        .portal_cmd(&server.uri())
        .args(["products", "--sn", SN, "--json"]));

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.json(),
        json!({
            "productId": 9,
            "productNo": SN,
            "subscription": null,
            "plans": [
                {"planId": PLAN_ID, "name": "Linkus Cloud Service", "purchaseType": "purchase",
                 "billingModel": "recurring", "billingCycle": "annually", "years": [1, 2, 3, 4, 5],
                 "price": {"amount": "120.00", "currency": "USD", "per": "year"}},
                {"planId": PRO_PLAN_ID, "name": "Linkus Cloud Service Pro", "purchaseType": "purchase",
                 "billingModel": "recurring", "billingCycle": "annually", "years": [1, 2, 3, 4, 5],
                 "price": {"amount": "180.00", "currency": "USD", "per": "year"}}
            ],
            "services": []
        })
    );
    let gets = received(&server, "GET", PLANS_PATH).await;
    assert_eq!(gets.len(), 1);
    assert_eq!(
        query(&gets[0]),
        vec![
            ("productId".to_owned(), "9".to_owned()),
            ("productNo".to_owned(), SN.to_owned())
        ]
    );
    assert_eq!(
        header(&gets[0], "authorization"),
        format!("Bearer {ACCESS_1}")
    );
    assert!(header(&gets[0], "user-agent").starts_with("linkus-cli/"));

    let tokens = received(&server, "POST", TOKEN_PATH).await;
    assert_eq!(tokens.len(), 1);
    assert!(header(&tokens[0], "content-type").starts_with("application/x-www-form-urlencoded"));
    assert!(header(&tokens[0], "user-agent").starts_with("linkus-cli/"));
    assert_eq!(
        body_text(&tokens[0]),
        format!("client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&grant_type=pp_credentials")
    );
    // A first run: the token, then plans, the PBX's subscription and (once the plans name the
    // offering) the price.
    assert_eq!(count(&server, "GET", DETAILS_PATH).await, 1);
    assert_eq!(count(&server, "GET", PRICE_PATH).await, 1);
    assert_eq!(total_requests(&server).await, 4);
}

#[tokio::test]
async fn product_id_is_passed_through() {
    let server = portal().await;
    let env = TestEnv::new();
    let run = run(env.portal_cmd(&server.uri()).args([
        "products",
        "--sn",
        SN,
        "--product-id",
        "12",
        "--quiet",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let gets = received(&server, "GET", PLANS_PATH).await;
    assert_eq!(
        query(&gets[0])[0],
        ("productId".to_owned(), "12".to_owned())
    );
}

#[tokio::test]
async fn quiet_prints_ids_one_a_line_and_piped_tables_are_tab_separated() {
    let server = portal().await;
    let env = TestEnv::new();

    let quiet = run(env
        .portal_cmd(&server.uri())
        .args(["products", "--sn", SN, "-q"]));
    assert_eq!(quiet.stdout, format!("{PLAN_ID}\n{PRO_PLAN_ID}\n"));

    let contacts = run(env
        .portal_cmd(&server.uri())
        .args(["billing-contacts", "--quiet"]));
    assert_eq!(
        contacts.stdout,
        format!("{CONTACT_ID}\n{OTHER_CONTACT_ID}\n")
    );

    let table = run(env.portal_cmd(&server.uri()).args(["billing-contacts"]));
    assert_eq!(table.code, 0);
    assert_eq!(
        table.stdout.lines().next().unwrap(),
        format!("{CONTACT_ID}\tAna Silva\tbilling@example.com\tExample Telecom\t+351210000000")
    );
}

#[tokio::test]
async fn billing_contacts_json_keeps_big_ids_exact() {
    let server = portal().await;
    let env = TestEnv::new();
    let run = run(env
        .portal_cmd(&server.uri())
        .args(["billing-contacts", "--json"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.json(),
        json!([
            {"billingContactId": CONTACT_ID, "name": "Ana Silva", "email": "billing@example.com",
             "company": "Example Telecom", "phone": "+351210000000"},
            {"billingContactId": OTHER_CONTACT_ID, "name": "Ben Okafor", "email": "accounts@northwind.example",
             "company": "Northwind Networks", "phone": "+442071234567"}
        ])
    );
    // The number 3201475529867382784 arrived as a JSON number; a double would have changed it.
    assert!(run.stdout.contains("\"3201475529867382784\""));
    let gets = received(&server, "GET", CONTACTS_PATH).await;
    assert_eq!(gets.len(), 1);
    assert_eq!(
        header(&gets[0], "authorization"),
        format!("Bearer {ACCESS_1}")
    );
}

#[tokio::test]
async fn a_wrapped_contact_list_is_read_too() {
    let server = wiremock::MockServer::start().await;
    respond(
        &server,
        "POST",
        TOKEN_PATH,
        ResponseTemplate::new(200)
            .set_body_json(envelope(token_result(ACCESS_1, REFRESH_1, "1800"))),
    )
    .await;
    respond(&server, "GET", CONTACTS_PATH, ResponseTemplate::new(200).set_body_json(envelope(json!({
            "total": 1,
            "records": [{"billingContactId": CONTACT_ID, "firstName": "Ana", "emailAddress": "a@x", "extra": {"n": 1}}]
        })))).await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(["billing-contacts", "--quiet"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, format!("{CONTACT_ID}\n"));
}

#[tokio::test]
async fn a_cached_token_serves_several_invocations_with_one_token_request() {
    let server = portal().await;
    let env = TestEnv::new();
    for _ in 0..3 {
        let run = run(env
            .portal_cmd(&server.uri())
            .args(["products", "--sn", SN, "-q"]));
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    assert_eq!(count(&server, "POST", TOKEN_PATH).await, 1);
    assert_eq!(count(&server, "GET", PLANS_PATH).await, 3);
    // With the token cached, a run is exactly one request.
    assert_eq!(total_requests(&server).await, 4);
    for get in received(&server, "GET", PLANS_PATH).await {
        assert_eq!(header(&get, "authorization"), format!("Bearer {ACCESS_1}"));
    }
}

#[tokio::test]
async fn an_expired_token_is_renewed_with_the_refresh_grant() {
    let server = wiremock::MockServer::start().await;
    // The first token is already due for renewal when it arrives.
    respond_to_grant(
        &server,
        "pp_credentials",
        ResponseTemplate::new(200).set_body_json(envelope(token_result(ACCESS_1, REFRESH_1, "0"))),
    )
    .await;
    respond_to_grant(
        &server,
        "refresh_token",
        ResponseTemplate::new(200)
            .set_body_json(envelope(token_result(ACCESS_2, REFRESH_2, "1800"))),
    )
    .await;
    respond(&server, "GET", PLANS_PATH, json_response(plans_body())).await;
    let env = TestEnv::new();

    for _ in 0..3 {
        let run = run(env
            .portal_cmd(&server.uri())
            .args(["products", "--sn", SN, "-q"]));
        assert_eq!(run.code, 0, "{}", run.stderr);
    }

    let tokens = received(&server, "POST", TOKEN_PATH).await;
    assert_eq!(
        tokens.len(),
        2,
        "one credentials grant, one refresh, then the cache"
    );
    assert_eq!(
        body_text(&tokens[1]),
        format!("grant_type=refresh_token&refresh_token={REFRESH_1}")
    );
    let gets = received(&server, "GET", PLANS_PATH).await;
    assert_eq!(
        header(&gets[0], "authorization"),
        format!("Bearer {ACCESS_1}")
    );
    assert_eq!(
        header(&gets[1], "authorization"),
        format!("Bearer {ACCESS_2}")
    );
    assert_eq!(
        header(&gets[2], "authorization"),
        format!("Bearer {ACCESS_2}")
    );
}

#[tokio::test]
async fn a_failed_refresh_falls_back_to_the_credentials() {
    let server = wiremock::MockServer::start().await;
    respond_to_grant(
        &server,
        "pp_credentials",
        ResponseTemplate::new(200).set_body_json(envelope(token_result(ACCESS_1, REFRESH_1, "0"))),
    )
    .await;
    respond_to_grant(
        &server,
        "refresh_token",
        rejection(401, "invalid_grant", "refresh token expired", "req-refresh"),
    )
    .await;
    respond(&server, "GET", PLANS_PATH, json_response(plans_body())).await;
    let env = TestEnv::new();
    for _ in 0..2 {
        let run = run(env
            .portal_cmd(&server.uri())
            .args(["products", "--sn", SN, "-q"]));
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let grants: Vec<String> = received(&server, "POST", TOKEN_PATH)
        .await
        .iter()
        .filter_map(|r| {
            body_text(r)
                .split('&')
                .find_map(|pair| pair.strip_prefix("grant_type=").map(str::to_owned))
        })
        .collect();
    assert_eq!(
        grants,
        ["pp_credentials", "refresh_token", "pp_credentials"]
    );
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_resends_once() {
    let server = portal().await;
    respond_times(
        &server,
        "GET",
        PLANS_PATH,
        1,
        rejection(401, "invalid_token", "token revoked", "req-401"),
    )
    .await;
    let env = TestEnv::new();

    let run = run(env
        .portal_cmd(&server.uri())
        .args(["products", "--sn", SN, "-q"]));

    assert_eq!(run.code, 0, "{}", run.stderr);
    let gets = received(&server, "GET", PLANS_PATH).await;
    assert_eq!(gets.len(), 2);
    assert_eq!(
        header(&gets[0], "authorization"),
        format!("Bearer {ACCESS_1}")
    );
    assert_eq!(
        header(&gets[1], "authorization"),
        format!("Bearer {ACCESS_2}")
    );
    let tokens = received(&server, "POST", TOKEN_PATH).await;
    assert_eq!(tokens.len(), 2);
    assert!(body_text(&tokens[1]).contains("grant_type=refresh_token"));
}

#[tokio::test]
async fn a_401_that_persists_is_an_authentication_failure() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        PLANS_PATH,
        rejection(401, "invalid_token", "access denied", "req-denied"),
    )
    .await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(["products", "--sn", SN]));
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert_eq!(
        count(&server, "GET", PLANS_PATH).await,
        2,
        "sent once, resent once"
    );
    assert!(run.stderr.contains("req-denied"));
}

#[tokio::test]
async fn bad_credentials_exit_4_and_point_at_auth_login() {
    let server = wiremock::MockServer::start().await;
    respond(
        &server,
        "POST",
        TOKEN_PATH,
        rejection(401, "invalid_client", "Invalid credentials", "req-creds-9"),
    )
    .await;
    let env = TestEnv::new();

    let run = run(env.portal_cmd(&server.uri()).args(["products", "--sn", SN]));

    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("Invalid credentials"), "{}", run.stderr);
    assert!(run.stderr.contains("linkus auth login"), "{}", run.stderr);
    assert!(run.stderr.contains("IP"), "{}", run.stderr);
    assert!(run.stderr.contains("req-creds-9"), "{}", run.stderr);
    assert_eq!(
        count(&server, "POST", TOKEN_PATH).await,
        1,
        "a refusal is not retried"
    );
    assert_eq!(count(&server, "GET", PLANS_PATH).await, 0);
}

#[tokio::test]
async fn a_portal_rejection_exits_5_with_the_detail_and_request_id() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        PLANS_PATH,
        rejection(
            400,
            "product_not_eligible",
            "The SN is not eligible for Linkus",
            "req-5a1d",
        ),
    )
    .await;
    let env = TestEnv::new();

    let text = run(env.portal_cmd(&server.uri()).args(["products", "--sn", SN]));
    assert_eq!(text.code, 5);
    assert!(
        text.stderr.contains("The SN is not eligible for Linkus"),
        "{}",
        text.stderr
    );
    assert!(
        text.stderr.contains("Request ID: req-5a1d"),
        "{}",
        text.stderr
    );
    assert!(text.stdout.is_empty());

    let json = run(env
        .portal_cmd(&server.uri())
        .args(["products", "--sn", SN, "--json"]));
    assert_eq!(json.code, 5);
    let error = &json.json()["error"];
    assert_eq!(error["exitCode"], 5);
    assert_eq!(error["kind"], "rejected");
    assert_eq!(error["httpStatus"], 400);
    assert_eq!(error["portalCode"], "product_not_eligible");
    assert_eq!(error["requestId"], "req-5a1d");
    assert!(error["message"].as_str().unwrap().contains("not eligible"));
    assert!(error["hint"].is_string());
}

#[tokio::test]
async fn http_200_with_an_error_code_is_still_a_rejection() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        CONTACTS_PATH,
        rejection(200, "permission_denied", "No API permission", "req-perm"),
    )
    .await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(["billing-contacts"]));
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("No API permission"));
}

#[tokio::test]
async fn a_503_is_retried_until_it_clears() {
    let server = portal().await;
    respond_times(
        &server,
        "GET",
        PLANS_PATH,
        2,
        rejection(503, "busy", "busy", "req-503"),
    )
    .await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(["products", "--sn", SN, "-q"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count(&server, "GET", PLANS_PATH).await, 3);
}

/// Answers with `first` once, then with `then`, noting when each request arrived.
struct FirstThen {
    first: ResponseTemplate,
    then: ResponseTemplate,
    arrivals: std::sync::Arc<std::sync::Mutex<Vec<std::time::Instant>>>,
}

impl wiremock::Respond for FirstThen {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let mut arrivals = self.arrivals.lock().unwrap();
        arrivals.push(std::time::Instant::now());
        if arrivals.len() == 1 {
            self.first.clone()
        } else {
            self.then.clone()
        }
    }
}

#[tokio::test]
async fn a_429_is_retried_after_the_time_it_asks_for() {
    let server = portal().await;
    let arrivals = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path(PLANS_PATH))
        .respond_with(FirstThen {
            first: rejection(429, "too_many_requests", "slow down", "req-429")
                .insert_header("Retry-After", "1"),
            then: json_response(plans_body()),
            arrivals: arrivals.clone(),
        })
        .with_priority(1)
        .mount(&server)
        .await;
    // Backoff alone would retry after about a millisecond (LINKUS_RETRY_BASE_MS=1); a wait
    // of up to 2 s is allowed, so the portal's 1 s is honoured.
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .env("LINKUS_RETRY_MAX_MS", "2000")
        .args(["products", "--sn", SN, "-q"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 2);
    let waited = arrivals[1] - arrivals[0];
    assert!(
        waited >= std::time::Duration::from_millis(950),
        "retried after {waited:?}, not after the 1 s the portal asked for"
    );
}

#[tokio::test]
async fn a_429_asking_for_longer_than_linkus_waits_is_not_hammered() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        PLANS_PATH,
        rejection(429, "too_many_requests", "slow down", "req-429")
            .insert_header("Retry-After", "3600"),
    )
    .await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(["products", "--sn", SN]));
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("retry after 3600 s"), "{}", run.stderr);
    assert_eq!(count(&server, "GET", PLANS_PATH).await, 1);
}

#[tokio::test]
async fn a_503_that_persists_gives_up_after_three_attempts() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        PLANS_PATH,
        rejection(503, "busy", "Service busy", "req-503"),
    )
    .await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(["products", "--sn", SN]));
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert_eq!(count(&server, "GET", PLANS_PATH).await, 3);
}

#[tokio::test]
async fn an_html_502_page_is_a_server_failure_showing_the_page() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        PLANS_PATH,
        ResponseTemplate::new(502).set_body_raw(
            "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
            "text/html",
        ),
    )
    .await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(["products", "--sn", SN, "--json"]));
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("HTTP 502"), "{}", run.stderr);
    assert!(
        run.stderr.contains("<html><head><title>502 Bad Gateway"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["error"]["kind"], "network");
    assert_eq!(run.json()["error"]["httpStatus"], 502);
    assert_eq!(count(&server, "GET", PLANS_PATH).await, 3, "502 is retried");
}

#[tokio::test]
async fn connection_refused_is_a_network_failure() {
    let env = TestEnv::new();
    let run = run(env
        .portal_cmd(&closed_port_url())
        .args(["products", "--sn", SN]));
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(
        run.stderr.contains("could not be reached"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--base-url"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"));
}

#[tokio::test]
async fn no_credentials_exit_4_before_any_request() {
    let server = portal().await;
    let env = TestEnv::new();
    let run = run(env
        .cmd()
        .args(["--base-url", &server.uri(), "products", "--sn", SN]));
    assert_eq!(run.code, 4);
    assert!(run.stderr.contains("linkus auth login"), "{}", run.stderr);
    assert!(run.stderr.contains("--sandbox"), "{}", run.stderr);
    assert_eq!(total_requests(&server).await, 0);
}

#[test]
fn usage_errors_exit_2_without_a_request() {
    let env = TestEnv::new();
    let url = closed_port_url();
    for args in [
        vec!["products", "--sn", ""],
        vec!["products", "--sn", "   "],
        vec!["products", "--sn", "3694-7166"],
        vec!["products", "--sn", "36947 1667"],
        vec!["products"],
        vec!["products", "--sn", SN, "--bogus"],
        vec!["purchase", "--years", "6"],
        vec!["purchase", "--years", "0"],
        vec!["--timeout", "-1", "billing-contacts"],
        vec!["--profile", "../x", "billing-contacts"],
        vec!["orders", "list", "--limit", "0"],
        vec!["nonsense"],
    ] {
        let run = run(env.portal_cmd(&url).args(&args));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{args:?}");
    }
}

#[test]
fn usage_errors_with_json_print_the_error_object() {
    let env = TestEnv::new();
    let run = run(env.cmd().args(["--json", "products", "--sn", "bad-sn"]));
    assert_eq!(run.code, 2);
    let error = &run.json()["error"];
    assert_eq!(error["exitCode"], 2);
    assert_eq!(error["kind"], "usage");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("letters and digits"));
    assert_eq!(error["requestId"], serde_json::Value::Null);

    let by_env = run_env_json(&env);
    assert_eq!(by_env.code, 2);
    assert_eq!(by_env.json()["error"]["kind"], "usage");
}

fn run_env_json(env: &TestEnv) -> Run {
    run(env
        .cmd()
        .env("LINKUS_OUTPUT", "json")
        .args(["products", "--sn", "x-y"]))
}

#[tokio::test]
async fn linkus_output_json_selects_json() {
    let server = portal().await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .env("LINKUS_OUTPUT", "json")
        .args(["billing-contacts"]));
    assert_eq!(run.code, 0);
    assert!(run.json().is_array());
}

#[tokio::test]
async fn verbose_logs_exchanges_and_never_a_secret() {
    let server = portal().await;
    let env = TestEnv::new();

    let one = run(env
        .portal_cmd(&server.uri())
        .args(["-v", "products", "--sn", SN, "-q"]));
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert!(
        one.stderr.contains(&format!(
            "> GET {}{PLANS_PATH}?productId=9&productNo={SN}",
            server.uri()
        )),
        "{}",
        one.stderr
    );
    assert!(one.stderr.contains("< 200"), "{}", one.stderr);
    assert!(
        one.stderr.contains("requestId=req-plans-1"),
        "{}",
        one.stderr
    );
    assert!(!one.stderr.contains("\"planList\""), "-v has no bodies");

    let two = run(env
        .portal_cmd(&server.uri())
        .args(["-vv", "billing-contacts"]));
    assert!(
        two.stderr.contains("\"billingContactId\""),
        "-vv has bodies: {}",
        two.stderr
    );

    // A first run with -vv logs the token exchange, redacted.
    let fresh = TestEnv::new();
    let three = run(fresh
        .portal_cmd(&server.uri())
        .args(["-vv", "products", "--sn", SN]));
    assert!(
        three.stderr.contains("client_secret=(redacted)"),
        "{}",
        three.stderr
    );
    for run in [&one, &two, &three] {
        let all = run.all_output();
        for secret in [CLIENT_SECRET, ACCESS_1, REFRESH_1] {
            assert!(!all.contains(secret), "{secret} leaked:\n{all}");
        }
    }
}

#[tokio::test]
async fn errors_never_show_a_secret_even_when_the_portal_echoes_it() {
    let server = wiremock::MockServer::start().await;
    respond(
        &server,
        "POST",
        TOKEN_PATH,
        rejection(
            401,
            "invalid_client",
            &format!("bad secret {CLIENT_SECRET}"),
            "req-echo",
        ),
    )
    .await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(["-vv", "--json", "products", "--sn", SN]));
    assert_eq!(run.code, 4);
    assert!(
        !run.all_output().contains(CLIENT_SECRET),
        "{}",
        run.all_output()
    );
}

#[test]
fn help_starts_and_every_command_has_examples() {
    let env = TestEnv::new();
    let top = run(env.cmd().arg("--help"));
    assert_eq!(top.code, 0);
    assert!(top.stdout.contains("Global options"));
    assert!(top.stdout.contains("Exit codes"));
    for args in [
        vec!["auth", "login"],
        vec!["auth", "status"],
        vec!["auth", "logout"],
        vec!["products"],
        vec!["billing-contacts"],
        vec!["purchase"],
        vec!["orders", "list"],
        vec!["orders", "show"],
        vec!["orders", "reconcile"],
        vec!["api"],
        vec!["sandbox", "serve"],
        vec!["sandbox", "reset"],
        vec!["completions"],
    ] {
        let help = run(env.cmd().args(&args).arg("--help"));
        assert_eq!(help.code, 0, "{args:?}");
        assert!(
            help.stdout.contains("Examples:"),
            "{args:?} has no examples"
        );
    }
    let version = run(env.cmd().arg("--version"));
    assert_eq!(version.code, 0);
    assert!(version.stdout.starts_with("linkus "));
}
