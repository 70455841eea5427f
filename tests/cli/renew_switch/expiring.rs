//! `linkus renew --expiring-within DAYS`: the nightly job in one command (issue 18, items 2
//! and 7): none, some and all expiring, and the rerun that sends nothing.

use super::*;
use crate::common::served::Served;

fn expiring_args(days: &str) -> Vec<&str> {
    vec![
        "renew",
        "--expiring-within",
        days,
        "--billing-contact",
        CONTACT_ID,
        "--yes",
        "--json",
    ]
}

fn store(env: &TestEnv) -> linkus_sandbox::Store {
    linkus_sandbox::Store::new(&env.data_dir().join("sandbox"))
}

#[test]
fn nothing_expiring_is_nothing_to_renew_and_exit_0() {
    let env = TestEnv::new();
    // The sandbox's only PBX with Linkus ends in 20 days.
    let none = run(env.sandbox_cmd().args(expiring_args("10")));
    assert_eq!(none.code, 0, "{}", none.stderr);
    assert_eq!(none.stdout.trim(), "[]");
    assert!(none.stderr.contains("Nothing to renew"), "{}", none.stderr);
    assert!(store(&env).load().orders.is_empty());

    // Without --billing-contact: a usage error before anything is asked.
    let unpaid = run(env
        .sandbox_cmd()
        .args(["renew", "--expiring-within", "30", "--yes"]));
    assert_eq!(unpaid.code, 2, "{}", unpaid.stderr);
    assert!(
        unpaid.stderr.contains("--billing-contact"),
        "{}",
        unpaid.stderr
    );
    assert!(store(&env).load().orders.is_empty());
}

#[test]
fn every_pbx_expiring_is_renewed_and_the_rerun_has_nothing_to_renew() {
    let env = TestEnv::new();
    let dry = run(env.sandbox_cmd().args(expiring_args("30")).arg("--dry-run"));
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        store(&env).load().orders.is_empty(),
        "a dry run buys nothing"
    );

    let renewed = run(env.sandbox_cmd().args(expiring_args("30")));
    assert_eq!(renewed.code, 0, "{}", renewed.stderr);
    let rows = renewed.json();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["productNo"], EXPIRING);
    assert_eq!(rows[0]["outcome"], "renewed");
    assert_eq!(rows[0]["daysLeft"], 20);
    let tally = renewed.stderr.trim_end().lines().last().unwrap_or("");
    assert_eq!(
        tally, "1 renewed, 0 failed: 120.00 USD",
        "{}",
        renewed.stderr
    );
    assert_eq!(store(&env).load().orders.len(), 1);

    let again = run(env.sandbox_cmd().args(expiring_args("30")));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout.trim(), "[]");
    assert!(
        again.stderr.contains("Nothing to renew"),
        "{}",
        again.stderr
    );
    assert_eq!(store(&env).load().orders.len(), 1, "nothing sent again");
}

#[test]
fn some_of_a_fleet_expiring_are_renewed_without_a_request_per_pbx_for_its_plan() {
    let env = TestEnv::new();
    let served = Served::start(&env, &["--fleet", "250"]);
    let listed = run(served
        .cmd(&env)
        .args(["subscriptions", "--expiring-within", "30", "--json"]));
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let listed = listed.json();
    let sns = |auto: bool| -> Vec<String> {
        listed
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["autoRenew"] == auto)
            .map(|r| r["productNo"].as_str().unwrap().to_owned())
            .collect()
    };
    let (manual, automatic) = (sns(false), sns(true));
    assert!(manual.len() > 10 && !automatic.is_empty(), "{listed}");
    let listings = served.count("GET", INSTANCES_PATH);

    let renewed = run(served
        .cmd(&env)
        .args(expiring_args("30"))
        .args(["--jobs", "8"]));
    assert_eq!(renewed.code, 0, "{}", renewed.stderr);
    let rows = renewed.json();
    let with = |outcome: &str| -> Vec<String> {
        let mut sns: Vec<String> = rows
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["outcome"] == outcome)
            .map(|r| r["productNo"].as_str().unwrap().to_owned())
            .collect();
        sns.sort();
        sns
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(with("renewed"), sorted(manual.clone()));
    assert_eq!(with("renews automatically"), sorted(automatic.clone()));
    assert_eq!(served.count("POST", ORDER_PATH), manual.len());
    // The listing gave each PBX's plan and end: no request per PBX for them.
    assert_eq!(served.count("GET", INSTANCES_PATH), 2 * listings);
    assert_eq!(served.count("GET", DETAILS_PATH), 0);
    assert!(served.count("GET", PLANS_PATH) <= 1);
    let tally = renewed.stderr.trim_end().lines().last().unwrap_or("");
    assert!(
        tally.starts_with(&format!(
            "{} renewed, 0 failed, {} renew automatically: ",
            manual.len(),
            automatic.len()
        )),
        "{}",
        renewed.stderr
    );

    // The rerun: the renewed ones now end next year; the automatic ones are reported again,
    // and nothing is sent.
    let again = run(served.cmd(&env).args(expiring_args("30")));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("Nothing to renew"),
        "{}",
        again.stderr
    );
    let rows = again.json();
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["outcome"] == "renews automatically"));
    assert_eq!(served.count("POST", ORDER_PATH), manual.len());

    // --include-auto-renew renews those too.
    let all = run(served
        .cmd(&env)
        .args(expiring_args("30"))
        .arg("--include-auto-renew"));
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert_eq!(count_renewed(&all), automatic.len());
    assert_eq!(
        served.count("POST", ORDER_PATH),
        manual.len() + automatic.len()
    );
}

fn count_renewed(run: &Run) -> usize {
    run.json()
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "renewed")
        .count()
}

#[test]
fn max_total_caps_the_nightly_batch_and_results_keep_each_row() {
    let env = TestEnv::new();
    // One PBX due (120.00 USD a year): a cap of 100 USD refuses the whole batch.
    let capped = run(env
        .sandbox_cmd()
        .args(expiring_args("30"))
        .args(["--max-total", "100USD"]));
    assert_eq!(capped.code, 3, "{}", capped.stderr);
    assert!(store(&env).load().orders.is_empty(), "nothing sent");

    let results = env.dir.path().join("renewals.csv");
    let renewed = run(env
        .sandbox_cmd()
        .args(expiring_args("30"))
        .args(["--max-total", "500USD", "--results"])
        .arg(&results));
    assert_eq!(renewed.code, 0, "{}", renewed.stderr);
    let written = std::fs::read_to_string(&results).unwrap();
    let mut lines = written.lines();
    assert_eq!(
        lines.next(),
        Some("productNo,planId,planName,status,expires,daysLeft,autoRenew,outcome,orderNo,orderStatus,message")
    );
    let row = lines.next().unwrap();
    assert!(row.starts_with(&format!("{EXPIRING},{PLAN_ID},")), "{row}");
    assert!(row.contains(",renewed,LR"), "{row}");
    assert_eq!(lines.next(), None);
}
