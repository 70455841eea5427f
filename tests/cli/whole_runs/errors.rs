//! Every error's whole run, by exit code (CLI.md section 4): at least one run per code, more
//! where the message differs. (Exit 130, interrupted while the order is out, is
//! `snapshots/error__interrupted.snap`: it needs a portal that hangs.)

use wiremock::ResponseTemplate;

use super::*;

fn without(flag: &str) -> Vec<&'static str> {
    let args = purchase_args();
    let at = args.iter().position(|a| *a == flag).expect("flag");
    [&args[..at], &args[at + 2..]].concat()
}

fn with(flag: &str, value: &'static str) -> Vec<&'static str> {
    let mut args = purchase_args();
    let at = args.iter().position(|a| *a == flag).expect("flag");
    args[at + 1] = value;
    args
}

/// Runs and snapshots `cmd`, which must exit `code`.
macro_rules! error_run {
    ($name:expr, $code:expr, $cmd:expr) => {{
        let run = linkus_snapshot!($name, $cmd);
        assert_eq!(run.code, $code, "{}: {}", $name, run.stderr);
        run
    }};
}

// ---- 2: usage

#[test]
fn exit_2_usage() {
    let env = TestEnv::new();
    error_run!(
        "run__exit_2_missing_flag_prompts_off",
        2,
        sandbox(&env).args(without("--plan"))
    );
    error_run!(
        "run__exit_2_unknown_plan",
        2,
        sandbox(&env).args(with("--plan", "Linkus Cloud Gold"))
    );
    error_run!(
        "run__exit_2_unknown_billing_contact",
        2,
        sandbox(&env).args(with("--billing-contact", "nobody@example.com"))
    );
    error_run!(
        "run__exit_2_years_out_of_range",
        2,
        sandbox(&env).args(with("--years", "9"))
    );
    error_run!(
        "run__exit_2_malformed_sn",
        2,
        sandbox(&env).args(with("--sn", "3694 7166"))
    );
    error_run!(
        "run__exit_2_unknown_flag",
        2,
        sandbox(&env).args(["purchase", "--sn", SN, "--colour"])
    );
    error_run!(
        "run__exit_2_bad_jq",
        2,
        sandbox(&env).args(purchase_args()).args(["--jq", ".bad("])
    );
    error_run!(
        "run__exit_2_buy_without_yes",
        2,
        sandbox(&env).args(&purchase_args()[..purchase_args().len() - 1])
    );
}

#[test]
fn exit_2_batch_files() {
    let env = TestEnv::new();
    file(
        &env,
        "typo.csv",
        "sn,plan,years\n\
         369471668888,Linkus Cloud Service,1\n\
         369471669999,Linkus Cloud Servce Pro,2\n\
         369471667777,Linkus Cloud Gold,1\n",
    );
    file(
        &env,
        "years.csv",
        "sn,plan,years\n369471668888,Linkus Cloud Service,7\n",
    );
    file(&env, "bare.csv", "369471668888\n369471669999\n");
    file(
        &env,
        "quote.csv",
        "sn,plan\n\"369471668888,Linkus Cloud Service\n",
    );
    let buy = |name: &str| {
        let mut cmd = sandbox(&env);
        cmd.args([
            "purchase",
            "--from",
            name,
            "--billing-contact",
            CONTACT_ID,
            "--years",
            "1",
            "--yes",
        ]);
        cmd
    };
    error_run!("run__exit_2_batch_typo", 2, &mut buy("typo.csv"));
    error_run!(
        "run__exit_2_batch_years_out_of_range",
        2,
        &mut buy("years.csv")
    );
    error_run!("run__exit_2_batch_headerless", 2, &mut buy("bare.csv"));
    error_run!(
        "run__exit_2_batch_unterminated_quote",
        2,
        &mut buy("quote.csv")
    );
}

#[test]
fn exit_2_unreadable_config() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(
        env.config_dir().join("config.toml"),
        "[profiles.default\nclient_id =\n",
    )
    .unwrap();
    error_run!(
        "run__exit_2_config_unreadable",
        2,
        plain(&env).args(["auth", "status"])
    );
}

// ---- 3: declined or over the cap (a declined prompt: screens.rs)

#[test]
fn exit_3_over_the_cap() {
    let env = TestEnv::new();
    error_run!(
        "run__exit_3_over_max_total",
        3,
        sandbox(&env)
            .args(with("--plan", "Linkus Cloud Service Pro"))
            .args(["--max-total", "150USD"])
    );
    file(
        &env,
        "pbxs.csv",
        "sn,plan,years\n369471668888,Linkus Cloud Service,5\n369471669999,Linkus Cloud Service Pro,5\n",
    );
    error_run!(
        "run__exit_3_batch_over_max_total",
        3,
        sandbox(&env).args([
            "purchase",
            "--from",
            "pbxs.csv",
            "--jobs",
            "1",
            "--billing-contact",
            CONTACT_ID,
            "--max-total",
            "1000USD",
            "--yes",
        ])
    );
}

// ---- 4: authentication

#[tokio::test]
async fn exit_4_authentication() {
    let env = TestEnv::new();
    let server = wiremock::MockServer::start().await;
    respond(
        &server,
        "POST",
        TOKEN_PATH,
        rejection(401, "invalid_client", "Invalid credentials", "req-creds-9"),
    )
    .await;
    error_run!(
        "run__exit_4_bad_credentials",
        4,
        at(&env, &server.uri()).args(["products", "--sn", SN])
    );
    error_run!(
        "run__exit_4_no_credentials",
        4,
        plain(&env).args(["--base-url", &server.uri(), "billing-contacts"])
    );
    error_run!(
        "run__exit_4_auth_status_without_credentials",
        4,
        plain(&env).args(["auth", "status"])
    );
    let denied = portal().await;
    respond(
        &denied,
        "GET",
        CONTACTS_PATH,
        rejection(403, "access_denied", "Access denied", "req-denied-3"),
    )
    .await;
    error_run!(
        "run__exit_4_access_denied",
        4,
        at(&env, &denied.uri()).arg("billing-contacts")
    );
}

// ---- 5: refused by the portal

#[test]
fn exit_5_refused() {
    let env = TestEnv::new();
    error_run!(
        "run__exit_5_not_eligible",
        5,
        sandbox(&env).args(purchase_args_for("369471660402"))
    );
    error_run!(
        "run__exit_5_already_subscribed",
        5,
        sandbox(&env).args(purchase_args_for("369471660409"))
    );
    error_run!(
        "run__exit_5_renew_without_linkus",
        5,
        sandbox(&env).args([
            "renew",
            "--sn",
            SN,
            "--billing-contact",
            CONTACT_ID,
            "--yes"
        ])
    );
    error_run!(
        "run__exit_5_switch_to_the_same_plan",
        5,
        sandbox(&env).args([
            "switch",
            "--sn",
            "369471660409",
            "--plan",
            "Linkus Cloud Service",
            "--billing-contact",
            CONTACT_ID,
            "--yes",
        ])
    );
    error_run!(
        "run__exit_5_unknown_order",
        5,
        sandbox(&env).args(["orders", "show", "LR1"])
    );
}

// ---- 6: network or server, nothing bought

#[tokio::test]
async fn exit_6_network_and_server() {
    let env = TestEnv::new();
    error_run!(
        "run__exit_6_connection_refused",
        6,
        at(&env, &closed_port_url()).args(["products", "--sn", SN])
    );
    let server = portal().await;
    respond(
        &server,
        "GET",
        PLANS_PATH,
        ResponseTemplate::new(503).set_body_string("Service Unavailable"),
    )
    .await;
    error_run!(
        "run__exit_6_server_unavailable",
        6,
        at(&env, &server.uri()).args(purchase_args())
    );
    let shape = portal().await;
    let plans = r#"{"code":"success","requestId":"req-plans-x","result":{"offeringId":"31",
        "planList":[{"planName":"Linkus Cloud Service","multiCycleList":[1]}]}}"#;
    respond(&shape, "GET", PLANS_PATH, json_response(plans.to_owned())).await;
    error_run!(
        "run__exit_6_answer_of_another_shape",
        6,
        at(&env, &shape.uri()).args(purchase_args())
    );
}

// ---- 7, 8: the order was sent

#[test]
fn exit_7_outcome_unknown_then_9_until_reconciled() {
    let env = TestEnv::new();
    error_run!(
        "run__exit_7_outcome_unknown",
        7,
        sandbox(&env)
            .args(["--timeout", "1"])
            .args(purchase_args_for("369471660504"))
    );
    error_run!(
        "run__exit_9_blocked_by_an_unknown_order",
        9,
        sandbox(&env).args(purchase_args_for("369471660504"))
    );
    error_run!(
        "run__exit_7_then_orders_reconcile_settles_it",
        0,
        sandbox(&env).args(["orders", "reconcile"])
    );
}

#[test]
fn exit_8_created_not_paid() {
    let env = TestEnv::new();
    error_run!(
        "run__exit_8_pending",
        8,
        sandbox(&env).args(purchase_args_for("369471660202"))
    );
    error_run!(
        "run__exit_9_blocked_by_an_open_order",
        9,
        sandbox(&env).args(purchase_args_for("369471660202"))
    );
}

// ---- 9: blocked before sending

#[test]
fn exit_9_blocked_by_a_recent_purchase() {
    let env = TestEnv::new();
    bought(&env, SN);
    error_run!(
        "run__exit_9_recent_purchase",
        9,
        sandbox(&env).args(purchase_args())
    );
}

#[cfg(unix)]
#[test]
fn exit_9_another_run_is_ordering_for_the_sn() {
    use crate::common::raw::Reply;
    use crate::never_twice::{finish, raw_portal, spawn, wait_until};
    let server = raw_portal(|_| Reply::Hang(std::time::Duration::from_secs(60)));
    let env = TestEnv::new();
    let first = spawn(at(&env, &server.url).args(purchase_args()));
    wait_until("the first run's order is on the wire", || {
        server.count("POST", ORDER_PATH) == 1
    });
    error_run!(
        "run__exit_9_another_run_is_ordering",
        9,
        at(&env, &server.url).args(purchase_args())
    );
    assert_eq!(
        server.count("POST", ORDER_PATH),
        1,
        "the second run sent nothing"
    );
    let sent = std::process::Command::new("kill")
        .args(["-INT".to_owned(), first.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    assert_eq!(finish(first).code, 130);
}
