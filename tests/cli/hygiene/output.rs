//! Issue 13 item 4: what a new user reads. The reason prompts are off, the timeout's range,
//! `-v` lines that pair, a warning for an ignored URL, one JSON document per `--json` command,
//! and `orders show --json` with numbers and IDs as the contract says.

use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn linkus_no_input_is_named_as_the_reason_prompts_are_off() {
    let server = portal().await;
    let env = TestEnv::new();
    let run = run(env
        .portal_cmd(&server.uri())
        .env_remove("CI")
        .env("LINKUS_NO_INPUT", "1")
        .args(["purchase", "--sn", SN]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("LINKUS_NO_INPUT is set"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("--no-input is set"), "{}", run.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[test]
fn a_timeout_of_0_says_it_must_be_more_than_0() {
    let env = TestEnv::new();
    for value in ["0", "0.0"] {
        let run = run(env.cmd().args(["--timeout", value, "billing-contacts"]));
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("more than 0"), "{}", run.stderr);
        assert!(!run.stderr.contains("between 0"), "{}", run.stderr);
    }
    let by_env = run(env
        .cmd()
        .env("LINKUS_TIMEOUT", "0")
        .args(["billing-contacts"]));
    assert_eq!(by_env.code, 2, "{}", by_env.stderr);
    assert!(by_env.stderr.contains("more than 0"), "{}", by_env.stderr);
}

#[tokio::test]
async fn verbose_answer_lines_carry_the_method_and_url() {
    let server = portal().await;
    let env = TestEnv::new();
    let run = run(env
        .portal_cmd(&server.uri())
        .args(["-v", "products", "--sn", SN]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let uri = server.uri();
    for expected in [
        format!("< 200 POST {uri}{TOKEN_PATH} ("),
        format!("< 200 GET {uri}{PLANS_PATH}?"),
        format!("< 404 GET {uri}{DETAILS_PATH}?"),
    ] {
        assert!(
            run.stderr.contains(&expected),
            "{expected}:\n{}",
            run.stderr
        );
    }
    // Every answer line names what it answers.
    for line in run.stderr.lines().filter(|l| l.starts_with("< ")) {
        assert!(line.contains(&format!(" {uri}/")), "{line}");
    }
}

#[test]
fn sandbox_with_a_base_url_warns_that_the_url_is_ignored() {
    let env = TestEnv::new();
    for how in ["flag", "env"] {
        let mut cmd = env.sandbox_cmd();
        if how == "flag" {
            cmd.args(["--base-url", "https://openapi.partner.example.com"]);
        } else {
            cmd.env("LINKUS_BASE_URL", "https://openapi.partner.example.com");
        }
        let run = run(cmd.args(["billing-contacts", "--json"]));
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.json().is_array());
        assert!(run.stderr.contains("Warning:"), "{how}: {}", run.stderr);
        assert!(
            run.stderr.contains("--base-url") && run.stderr.contains("ignored"),
            "{how}: {}",
            run.stderr
        );
    }
}

/// stdout holds exactly one JSON document, and it is an object.
fn one_object(run: &Run, what: &str) -> Value {
    let mut documents = serde_json::Deserializer::from_str(&run.stdout).into_iter::<Value>();
    let first = documents
        .next()
        .unwrap_or_else(|| panic!("{what}: no JSON on stdout; stderr: {}", run.stderr))
        .unwrap_or_else(|e| panic!("{what}: stdout is not JSON ({e}): {}", run.stdout));
    assert!(
        documents.next().is_none(),
        "{what}: more than one document: {}",
        run.stdout
    );
    assert!(first.is_object(), "{what}: {first}");
    first
}

#[tokio::test]
async fn every_auth_and_sandbox_command_prints_one_json_document() {
    let server = portal().await;
    let env = TestEnv::new();
    let uri = server.uri();

    let logout_none = run(env
        .cmd()
        .args(["--base-url", &uri, "--json", "auth", "logout"]));
    assert_eq!(logout_none.code, 0, "{}", logout_none.stderr);
    assert_eq!(
        one_object(&logout_none, "logout, nothing stored")["removed"],
        false
    );

    let login = run(env
        .cmd()
        .args([
            "--base-url",
            &uri,
            "--json",
            "auth",
            "login",
            "--client-id",
            CLIENT_ID,
            "--secret-stdin",
        ])
        .write_stdin(format!("{CLIENT_SECRET}\n")));
    assert_eq!(login.code, 0, "{}", login.stderr);
    assert_eq!(one_object(&login, "login")["clientId"], CLIENT_ID);

    let status = run(env
        .cmd()
        .args(["--base-url", &uri, "--json", "auth", "status"]));
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert_eq!(one_object(&status, "status")["clientId"], CLIENT_ID);

    let logout = run(env
        .cmd()
        .args(["--base-url", &uri, "--json", "auth", "logout"]));
    assert_eq!(logout.code, 0, "{}", logout.stderr);
    assert_eq!(one_object(&logout, "logout")["removed"], true);

    for args in [
        vec!["auth", "login"],
        vec!["auth", "status"],
        vec!["auth", "logout"],
        vec!["sandbox", "reset"],
    ] {
        let run = run(env.sandbox_cmd().arg("--json").args(&args));
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        one_object(&run, &format!("--sandbox {args:?}"));
    }
    let reset = run(env.cmd().args(["--json", "sandbox", "reset"]));
    assert_eq!(reset.code, 0, "{}", reset.stderr);
    one_object(&reset, "sandbox reset");
    for secret in [CLIENT_SECRET, ACCESS_1, REFRESH_1] {
        for run in [&login, &status, &logout] {
            assert!(!run.all_output().contains(secret));
        }
    }
}

#[tokio::test]
async fn orders_show_json_gives_product_id_as_a_number_and_ids_as_strings() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        "/order/openapi/order/v1/get/LR3206190457467703296",
        json_response(
            r#"{"code":"success","detailMessage":"","requestId":"r","status":200,"result":{
               "basicInformation":{"productId":"9","productName":"Linkus Cloud Service","productNo":"369471667338","planId":3048918321840570368},
               "orderInformation":{"id":3206190457467703296,"orderNo":"LR3206190457467703296","orderStatus":"succeed","createTime":1767225600000,"serialRef":123456789012345678901234567890},
               "billingInformation":{"billingContactId":3197218168379846218,"firstName":"Ana"},
               "orderSummary":{"productId":9,"planId":"3048918321840570368","serviceId":5,"amount":240.10,
                               "items":[{"productId":"9","pricingPlanId":3048918719332507648}]}}}"#
                .to_owned(),
        ),
    )
    .await;
    let env = TestEnv::new();
    let run = run(env.portal_cmd(&server.uri()).args([
        "orders",
        "show",
        "LR3206190457467703296",
        "--json",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let order = one_object(&run, "orders show");
    assert_eq!(order["basicInformation"]["productId"], 9, "{order:#}");
    assert_eq!(order["orderSummary"]["productId"], 9, "{order:#}");
    assert_eq!(
        order["orderSummary"]["items"][0]["productId"], 9,
        "{order:#}"
    );
    assert_eq!(order["basicInformation"]["planId"], "3048918321840570368");
    assert_eq!(order["orderInformation"]["id"], "3206190457467703296");
    assert_eq!(
        order["billingInformation"]["billingContactId"],
        "3197218168379846218"
    );
    assert_eq!(order["orderSummary"]["planId"], "3048918321840570368");
    assert_eq!(
        order["orderSummary"]["serviceId"], "5",
        "small IDs are strings too"
    );
    assert_eq!(
        order["orderSummary"]["items"][0]["pricingPlanId"],
        "3048918719332507648"
    );
    // Numbers that are not IDs keep every digit.
    assert!(
        run.stdout.contains("123456789012345678901234567890"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("240.10"), "{}", run.stdout);
}
