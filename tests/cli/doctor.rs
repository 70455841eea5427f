//! `linkus doctor`: one line per check, read-only, exit code of the first failure.

use serde_json::{json, Value};
use wiremock::{MockServer, ResponseTemplate};

use crate::common::*;

/// The check lines of a human report (up to the blank line), as (mark, name, rest).
fn lines(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .take_while(|line| !line.is_empty())
        .filter(|line| !line.starts_with(' '))
        .map(|line| {
            let (mark, rest) = line.split_once(' ').unwrap_or((line, ""));
            (mark.to_owned(), rest.trim().to_owned())
        })
        .collect()
}

/// The line of the check `name`.
fn line<'a>(out: &'a Run, name: &str) -> &'a str {
    out.stdout
        .lines()
        .find(|line| {
            line.split_once(' ')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with(&format!("{name}  ")))
        })
        .unwrap_or_else(|| panic!("no {name} line in:\n{}", out.stdout))
}

async fn assert_no_order(server: &MockServer) {
    assert_eq!(count(server, "POST", ORDER_PATH).await, 0);
    let posts: Vec<String> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        posts,
        vec![TOKEN_PATH.to_owned()],
        "only the token is asked for"
    );
}

#[test]
fn doctor_passes_against_the_sandbox() {
    let env = TestEnv::new();
    let out = run(env.sandbox_cmd().args(["doctor", "--sn", SN]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let checks = lines(&out.stdout);
    let names: Vec<&str> = checks
        .iter()
        .map(|(_, rest)| rest.split("  ").next().unwrap().trim())
        .collect();
    for name in [
        "config",
        "data folder",
        "lock folder",
        "credentials",
        "portal",
        "proxy",
        "token",
        "clock",
        "billing contacts",
        "product list",
        "order list",
        "plans",
        "product details",
        "price",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    for (mark, rest) in &checks {
        assert_eq!(mark, "ok", "{rest}");
    }
    assert!(out.stdout.contains("checks passed"), "{}", out.stdout);
    assert!(line(&out, "plans").contains("planId"), "{}", out.stdout);
    // Nothing was bought.
    assert!(env.journal_lines().is_empty());
    let orders = run(env.sandbox_cmd().args(["orders", "list", "--json"]));
    assert_eq!(orders.json(), json!([]), "{}", orders.stderr);
}

/// A portal whose answers use the lenient variants of partner-api.md 10.6: IDs as strings or
/// numbers under other names, wrapped lists, numbers as strings, extra fields.
async fn lenient_portal() -> MockServer {
    let server = portal().await;
    let ok = |result: Value| ResponseTemplate::new(200).set_body_json(envelope(result));
    respond_to_grant(
        &server,
        "pp_credentials",
        ok(json!({"token": ACCESS_1, "tokenHead": "Bearer ", "expiresIn": 1800, "refreshToken": REFRESH_1, "scope": ["all"]})),
    )
    .await;
    respond(&server, "GET", CONTACTS_PATH, json_response(format!(
        r#"{{"code":"success","requestId":"r1","result":{{"records":[
            {{"billingContactId":"{CONTACT_ID}","firstName":"Ana","lastName":"Silva","emailAddress":"billing@example.com","extra":{{"x":1}}}},
            {{"id":{OTHER_CONTACT_ID},"firstName":"Ben","email":"accounts@northwind.example"}}],"total":2}}}}"#
    ))).await;
    respond(&server, "GET", PLANS_PATH, json_response(format!(
        r#"{{"code":"success","requestId":"r2","result":{{"productId":"9","offeringId":31,"plans":[
            {{"id":"{PLAN_ID}","name":"Linkus Cloud Service","multiCycles":["1","2","3"],"somethingNew":true}},
            {{"pricingPlanId":{PRO_PLAN_ID},"planName":"Linkus Cloud Service Pro","years":[1,2,3,4,5]}}],"services":[]}}}}"#
    ))).await;
    respond(
        &server,
        "GET",
        PRICE_PATH,
        json_response(format!(
            r#"{{"code":"success","requestId":"r3","result":{{"plans":[
            {{"pricingPlanId":"{PLAN_ID}","amount":120,"currencyCode":"USD"}},
            {{"planName":"linkus cloud service pro","unitPrice":"180.00","currency":"USD"}}]}}}}"#
        )),
    )
    .await;
    respond(&server, "GET", DETAILS_PATH, json_response(format!(
        r#"{{"code":"success","requestId":"r4","result":{{"productNo":"{SN}","planId":"{PLAN_ID}","goodsShortName":"Linkus","expireTime":"1827446400000","autoRenew":true,"new":[1]}}}}"#
    ))).await;
    respond(&server, "GET", INSTANCES_PATH, json_response(format!(
        r#"{{"code":"success","requestId":"r5","result":{{"pageNo":"1","totalPage":"1","list":[
            {{"sn":"{SN}","expireTime":1827446400,"planName":"Linkus Cloud Service","x":null}}]}}}}"#
    ))).await;
    respond(&server, "GET", ORDERS_PATH, json_response(format!(
        r#"{{"code":"success","requestId":"r6","result":{{"totalPage":1,"records":[
            {{"orderId":"3206190457467703296","orderNo":"LR3206190457467703296","orderStatus":"succeed","createTime":"1764000000000","sn":"{SN}","currency":"USD","amount":"120.00"}}]}}}}"#
    ))).await;
    server
}

#[tokio::test]
async fn doctor_passes_against_a_portal_with_the_lenient_variants() {
    let server = lenient_portal().await;
    let env = TestEnv::new();
    let out = run(env.portal_cmd(&server.uri()).args(["doctor", "--sn", SN]));

    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    for (mark, rest) in lines(&out.stdout) {
        // Plain http to the test portal is the one warning.
        if rest.starts_with("portal") {
            assert_eq!(mark, "warn", "{rest}");
            assert!(rest.contains("plain http"), "{rest}");
        } else {
            assert_eq!(mark, "ok", "{rest}");
        }
    }
    assert!(
        line(&out, "plans").contains("planId (as id, pricingPlanId)"),
        "{}",
        out.stdout
    );
    assert!(
        line(&out, "billing contacts").contains("billingContactId (as id)"),
        "{}",
        out.stdout
    );
    assert!(
        line(&out, "price").contains("a price for 2 of 2 plans"),
        "{}",
        out.stdout
    );
    assert!(
        line(&out, "product details").contains("until 2027-11-29"),
        "{}",
        out.stdout
    );
    assert!(
        line(&out, "order list").contains("productNo (as sn)"),
        "{}",
        out.stdout
    );
    assert!(line(&out, "token").contains("in "), "{}", out.stdout);
    assert_no_order(&server).await;
    for route in [
        CONTACTS_PATH,
        PLANS_PATH,
        PRICE_PATH,
        DETAILS_PATH,
        INSTANCES_PATH,
        ORDERS_PATH,
    ] {
        assert_eq!(count(&server, "GET", route).await, 1, "{route}");
    }
}

#[tokio::test]
async fn doctor_fails_naming_plan_id_when_plans_lack_it() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        PLANS_PATH,
        json_response(
            r#"{"code":"success","requestId":"req-plans-9","result":{"offeringId":"31","planList":[
            {"planName":"Linkus Cloud Service","multiCycleList":[1,2]},
            {"planName":"Linkus Cloud Service Pro","multiCycleList":[1,2]}]}}"#
                .to_owned(),
        ),
    )
    .await;
    let env = TestEnv::new();
    let out = run(env.portal_cmd(&server.uri()).args(["doctor", "--sn", SN]));

    assert_eq!(out.code, 6, "{}\n{}", out.stdout, out.stderr);
    let plans = line(&out, "plans");
    assert!(plans.starts_with("FAIL"), "{plans}");
    assert!(plans.contains(PLANS_PATH), "{plans}");
    assert!(plans.contains("planId missing in both items"), "{plans}");
    assert!(
        plans.contains("found offeringId, planName, multiCycleList"),
        "{plans}"
    );
    assert!(out.stdout.contains("will not change"), "{}", out.stdout);
    assert!(!out.all_output().contains("try again in a few minutes"));
    assert!(out.stdout.contains("--capture"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(&format!("linkus doctor --sn {SN} --capture")),
        "{}",
        out.stdout
    );
    // The other checks still ran.
    assert!(
        line(&out, "billing contacts").starts_with("ok"),
        "{}",
        out.stdout
    );
    assert_no_order(&server).await;
}

#[tokio::test]
async fn doctor_names_a_contact_list_without_ids_and_a_price_without_an_amount() {
    let server = portal().await;
    respond(&server, "GET", CONTACTS_PATH, json_response(
        r#"{"code":"success","result":[{"firstName":"Ana","emailAddress":"billing@example.com"}]}"#.to_owned(),
    )).await;
    respond(&server, "GET", PRICE_PATH, json_response(format!(
        r#"{{"code":"success","result":{{"planList":[{{"planId":{PLAN_ID},"price":"call us","currency":"USD"}}]}}}}"#
    ))).await;
    let env = TestEnv::new();
    let out = run(env.portal_cmd(&server.uri()).args(["doctor", "--sn", SN]));

    assert_eq!(out.code, 6, "{}", out.stdout);
    let contacts = line(&out, "billing contacts");
    assert!(
        contacts.starts_with("FAIL") && contacts.contains("billingContactId missing"),
        "{contacts}"
    );
    let price = line(&out, "price");
    assert!(price.starts_with("FAIL"), "{price}");
    assert!(
        price.contains(r#"price is the string "call us""#),
        "{price}"
    );
}

#[tokio::test]
async fn doctor_json_is_one_document_of_checks() {
    let server = portal().await;
    let env = TestEnv::new();
    let out = run(env
        .portal_cmd(&server.uri())
        .args(["--json", "doctor", "--sn", SN]));

    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = out.json();
    assert_eq!(report["ok"], true);
    let checks = report["checks"].as_array().unwrap();
    assert!(checks.len() >= 14, "{report}");
    for check in checks {
        let keys: Vec<&str> = check
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 4, "{check}");
        for key in ["name", "ok", "detail", "hint"] {
            assert!(check.get(key).is_some(), "{key} in {check}");
        }
        assert!(check["ok"].is_boolean() && check["detail"].is_string());
    }
    let portal = checks.iter().find(|c| c["name"] == "portal").unwrap();
    assert_eq!(portal["ok"], true, "a warning is not a failure");
    assert!(portal["hint"].is_string());
    assert_no_order(&server).await;
}

#[tokio::test]
async fn doctor_json_reports_a_failure_with_ok_false_and_its_exit_code() {
    let server = portal().await;
    respond_to_grant(
        &server,
        "pp_credentials",
        rejection(
            401,
            "invalid_client",
            "Bad client credentials",
            "req-auth-1",
        ),
    )
    .await;
    let env = TestEnv::new();
    let out = run(env.portal_cmd(&server.uri()).args(["--json", "doctor"]));

    assert_eq!(out.code, 4, "{}", out.stderr);
    let report = out.json();
    assert_eq!(report["ok"], false);
    let token = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "token")
        .unwrap()
        .clone();
    assert_eq!(token["ok"], false);
    assert!(
        token["hint"]
            .as_str()
            .unwrap()
            .contains("linkus auth login"),
        "{token}"
    );
    let skipped: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["detail"].as_str().unwrap().starts_with("not checked"))
        .collect();
    assert_eq!(skipped.len(), 3, "{report}");
    assert!(out.stderr.contains("--capture"), "{}", out.stderr);
    assert!(!out.all_output().contains(CLIENT_SECRET));
}

#[tokio::test]
async fn doctor_says_when_the_environment_overrides_a_stored_profile() {
    let server = portal().await;
    let env = TestEnv::new();
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(
        env.config_dir().join("config.toml"),
        "[default]\nclient_id = \"stored-id\"\nclient_secret = \"stored-secret-value\"\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let file = env.config_dir().join("config.toml");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = run(env.portal_cmd(&server.uri()).arg("doctor"));
    assert_eq!(out.code, 0, "{}", out.stdout);
    let credentials = line(&out, "credentials");
    assert!(credentials.starts_with("warn"), "{credentials}");
    assert!(credentials.contains("environment"), "{credentials}");
    assert!(
        credentials.contains("override the stored profile 'default'"),
        "{credentials}"
    );
    assert!(!out.all_output().contains("stored-secret-value"));
}

#[cfg(unix)]
#[tokio::test]
async fn a_config_file_others_can_read_fails_with_exit_2() {
    use std::os::unix::fs::PermissionsExt;
    let server = portal().await;
    let env = TestEnv::new();
    std::fs::create_dir_all(env.config_dir()).unwrap();
    let file = env.config_dir().join("config.toml");
    std::fs::write(
        &file,
        "[default]\nclient_id = \"a\"\nclient_secret = \"b-secret\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();

    let out = run(env.portal_cmd(&server.uri()).arg("doctor"));

    assert_eq!(out.code, 2, "{}", out.stdout);
    let config = line(&out, "config");
    assert!(
        config.starts_with("FAIL") && config.contains("mode 0644"),
        "{config}"
    );
    assert!(out.stdout.contains("chmod 600"), "{}", out.stdout);
    // The rest still ran.
    assert!(
        line(&out, "billing contacts").starts_with("ok"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn a_clock_far_from_the_portals_fails_with_exit_2() {
    let server = portal().await;
    respond_to_grant(
        &server,
        "pp_credentials",
        ResponseTemplate::new(200)
            .insert_header("Date", "Mon, 01 Jan 2001 00:00:00 GMT")
            .set_body_json(envelope(token_result(ACCESS_1, REFRESH_1, "1800"))),
    )
    .await;
    respond(
        &server,
        "GET",
        CONTACTS_PATH,
        json_response(contacts_body()).insert_header("Date", "Mon, 01 Jan 2001 00:00:00 GMT"),
    )
    .await;
    let env = TestEnv::new();
    let out = run(env.portal_cmd(&server.uri()).arg("doctor"));
    assert_eq!(out.code, 2, "{}", out.stdout);
    let clock = line(&out, "clock");
    assert!(
        clock.starts_with("FAIL") && clock.contains("ahead of the portal"),
        "{clock}"
    );
}

#[tokio::test]
async fn doctor_names_the_proxy_requests_go_through() {
    // The mock portal doubles as an HTTP proxy: requests arrive in absolute form.
    let server = portal().await;
    let env = TestEnv::new();
    let out = run(env
        .portal_cmd("http://portal.example.invalid")
        .env("HTTP_PROXY", server.uri())
        .env_remove("http_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .arg("doctor"));

    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let proxy = line(&out, "proxy");
    assert!(
        proxy.contains(&format!(
            "{} (from HTTP_PROXY) for portal.example.invalid",
            server.uri()
        )),
        "{proxy}"
    );
}

#[tokio::test]
async fn a_huge_portal_message_is_clipped_to_a_few_lines() {
    let server = portal().await;
    let huge: String = (0..500)
        .map(|i| format!("line {i} of the message\n"))
        .collect();
    respond(
        &server,
        "GET",
        CONTACTS_PATH,
        rejection(400, "parameter_validation_failed", &huge, "req-huge"),
    )
    .await;
    let env = TestEnv::new();
    let out = run(env.portal_cmd(&server.uri()).arg("doctor"));
    assert_eq!(out.code, 5, "{}", out.stdout);
    assert!(out.stdout.lines().count() < 40, "{}", out.stdout);
    assert!(!out.stdout.contains("line 100 of"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("\nline 1 of"),
        "one line per check:\n{}",
        out.stdout
    );
}

#[tokio::test]
async fn doctor_with_capture_writes_clean_files_and_says_where() {
    let server = portal().await;
    respond(
        &server,
        "GET",
        PLANS_PATH,
        json_response(
            r#"{"code":"success","result":{"planList":[{"planName":"Linkus Cloud Service"}]}}"#
                .to_owned(),
        ),
    )
    .await;
    let env = TestEnv::new();
    let dir = env.dir.path().join("capture");
    let out = run(env
        .portal_cmd(&server.uri())
        .arg("--capture")
        .arg(&dir)
        .args(["doctor", "--sn", SN]));

    assert_eq!(out.code, 6, "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!("are in {}", dir.display())),
        "{}",
        out.stdout
    );
    let files = all_files_under(&dir);
    assert_eq!(files.len(), total_requests(&server).await);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for word in [
            CLIENT_SECRET,
            ACCESS_1,
            REFRESH_1,
            "billing@example.com",
            "Silva",
        ] {
            assert!(!text.contains(word), "{} holds {word}", file.display());
        }
        #[cfg(unix)]
        assert_eq!(mode(&file), 0o600);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert!(value["request"]["url"].is_string());
    }
}
