//! A PBX's subscription with one request, whatever the size of the account, and
//! `linkus subscriptions`, the account's PBXs by expiry (issue 11), against `linkus sandbox
//! serve --fleet N` and a wiremock portal.

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::served::Served;
use crate::common::*;

/// The sandbox's PBX that has Linkus, ending in 20 days.
const EXPIRING_SN: &str = "369471660409";

fn rows(run: &Run) -> Vec<Value> {
    run.json().as_array().expect("a JSON array").clone()
}

fn days(row: &Value) -> i64 {
    row["daysLeft"].as_i64().expect("daysLeft")
}

#[test]
fn subscriptions_lists_every_pbx_soonest_expiry_first() {
    let env = TestEnv::new();
    let served = Served::start(&env, &["--fleet", "250"]);
    let run = run(served.cmd(&env).args(["subscriptions", "--json"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = rows(&run);
    assert_eq!(rows.len(), 251, "the fleet and the 0409 PBX");
    for row in &rows {
        for field in [
            "productNo",
            "planId",
            "planName",
            "status",
            "expires",
            "daysLeft",
            "autoRenew",
        ] {
            assert!(row.get(field).is_some(), "{field} missing: {row}");
        }
        assert!(row["planId"].is_string(), "64-bit IDs as strings: {row}");
        assert!(row["autoRenew"].is_boolean(), "{row}");
        let expires = row["expires"].as_str().unwrap();
        assert_eq!(expires.len(), 10, "YYYY-MM-DD: {expires}");
    }
    let expiries: Vec<&str> = rows
        .iter()
        .map(|r| r["expires"].as_str().unwrap())
        .collect();
    let mut sorted = expiries.clone();
    sorted.sort_unstable();
    assert_eq!(expiries, sorted, "soonest first");
    assert!(rows.windows(2).all(|w| days(&w[0]) <= days(&w[1])));
    assert!(days(&rows[0]) < 0, "ended ones count, first: {}", rows[0]);
    assert_eq!(rows[0]["status"], "expired");
    let plans: std::collections::HashSet<&str> =
        rows.iter().map(|r| r["planId"].as_str().unwrap()).collect();
    assert_eq!(plans, [PLAN_ID, PRO_PLAN_ID].into_iter().collect());
    let expiring = rows
        .iter()
        .find(|r| r["productNo"] == EXPIRING_SN)
        .expect("the 0409 PBX");
    assert_eq!(days(expiring), 20);
    assert_eq!(expiring["autoRenew"], false);
    assert_eq!(expiring["status"], "active");

    // 251 PBXs are three pages of 100; nothing is asked per PBX.
    assert_eq!(served.count("GET", INSTANCES_PATH), 3);
    assert_eq!(served.count("GET", DETAILS_PATH), 0);
    assert_eq!(served.count("POST", TOKEN_PATH), 1);
}

#[test]
fn the_pages_are_asked_for_by_number_a_hundred_at_a_time() {
    let env = TestEnv::new();
    let served = Served::start(&env, &["--fleet", "250"]);
    let run = run(served.cmd(&env).args(["-v", "subscriptions", "-q"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut pages: Vec<String> = run
        .stderr
        .lines()
        .filter(|line| line.starts_with("> GET ") && line.contains(INSTANCES_PATH))
        .map(|line| {
            assert!(line.contains("pageSize=100"), "{line}");
            assert!(line.contains("productId=9"), "{line}");
            let at = line.find("pageNo=").expect("pageNo") + "pageNo=".len();
            line[at..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect()
        })
        .collect();
    pages.sort();
    assert_eq!(pages, ["1", "2", "3"], "{}", run.stderr);
}

#[test]
fn expiring_within_keeps_those_that_end_soon_or_have_ended() {
    let env = TestEnv::new();
    let served = Served::start(&env, &["--fleet", "250"]);
    let all = rows(&run(served.cmd(&env).args(["subscriptions", "--json"])));
    let soon = run(served
        .cmd(&env)
        .args(["subscriptions", "--expiring-within", "30", "--json"]));
    assert_eq!(soon.code, 0, "{}", soon.stderr);
    let soon = rows(&soon);
    let expected: Vec<&Value> = all.iter().filter(|r| days(r) <= 30).collect();
    assert!(!expected.is_empty() && expected.len() < all.len());
    assert_eq!(soon.iter().collect::<Vec<_>>(), expected);
    assert!(soon.iter().any(|r| days(r) < 0), "ended ones are kept");
    assert!(soon.iter().any(|r| r["productNo"] == EXPIRING_SN));

    let text = run(served
        .cmd(&env)
        .args(["subscriptions", "--expiring-within", "30"]));
    assert_eq!(text.code, 0);
    assert_eq!(text.stdout.lines().count(), expected.len());
    assert!(
        text.stderr.contains(&format!(
            "{} of 251 subscriptions end within 30 days (or ended).",
            expected.len()
        )),
        "{}",
        text.stderr
    );
}

#[test]
fn subscriptions_prints_a_table_and_quiet_prints_the_sns() {
    let env = TestEnv::new();
    let served = Served::start(&env, &["--fleet", "250"]);
    let all = rows(&run(served.cmd(&env).args(["subscriptions", "--json"])));

    let quiet = run(served.cmd(&env).args(["subscriptions", "--quiet"]));
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    let sns: Vec<&str> = quiet.stdout.lines().collect();
    let expected: Vec<&str> = all
        .iter()
        .map(|r| r["productNo"].as_str().unwrap())
        .collect();
    assert_eq!(sns, expected, "the same SNs in the same order, one a line");
    assert_eq!(quiet.stderr, "", "--quiet says nothing else");

    // Piped, the table is tab-separated rows: SN, plan, status, expiry, days left, auto-renew.
    let text = run(served.cmd(&env).arg("subscriptions"));
    assert_eq!(text.code, 0, "{}", text.stderr);
    let first: Vec<&str> = text.stdout.lines().next().unwrap().split('\t').collect();
    let row = &all[0];
    let auto = if row["autoRenew"] == true {
        "yes"
    } else {
        "no"
    };
    let days_left = days(row).to_string();
    assert_eq!(
        first,
        [
            row["productNo"].as_str().unwrap(),
            row["planName"].as_str().unwrap(),
            row["status"].as_str().unwrap(),
            row["expires"].as_str().unwrap(),
            days_left.as_str(),
            auto,
        ]
    );
    assert!(
        text.stderr.contains("251 PBXs with Linkus Cloud Service."),
        "{}",
        text.stderr
    );
}

#[test]
fn subscriptions_for_one_sn_asks_for_that_pbx_only() {
    let env = TestEnv::new();
    let served = Served::start(&env, &["--fleet", "250"]);
    let one = run(served
        .cmd(&env)
        .args(["subscriptions", "--sn", "F00000000007", "--json"]));
    assert_eq!(one.code, 0, "{}", one.stderr);
    let rows = rows(&one);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["productNo"], "F00000000007");
    assert_eq!(served.count("GET", DETAILS_PATH), 1);
    assert_eq!(served.count("GET", INSTANCES_PATH), 0);

    let none = run(served
        .cmd(&env)
        .args(["subscriptions", "--sn", "123456789"]));
    assert_eq!(none.code, 0, "{}", none.stderr);
    assert_eq!(none.stdout, "");
    assert!(
        none.stderr
            .contains("PBX 123456789 has no Linkus Cloud Service."),
        "{}",
        none.stderr
    );
    let none_json = run(served
        .cmd(&env)
        .args(["subscriptions", "--sn", "123456789", "--json"]));
    assert_eq!(none_json.json(), json!([]));
    assert_eq!(served.count("GET", INSTANCES_PATH), 0);
}

#[test]
fn subscriptions_json_rows_carry_the_productno_that_renew_from_reads() {
    let env = TestEnv::new();
    let served = Served::start(&env, &["--fleet", "20"]);
    let run = run(served
        .cmd(&env)
        .args(["subscriptions", "--expiring-within", "400", "--json"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = rows(&run);
    assert!(!rows.is_empty());
    for row in rows {
        let sn = row["productNo"].as_str().expect("productNo is a string");
        assert!(sn.chars().all(|c| c.is_ascii_alphanumeric()), "{sn}");
    }
}

/// A product list of `total_pages` pages, one PBX on each (`P1`, `P2`, …).
async fn product_list_of(total_pages: u64) -> MockServer {
    let server = portal().await;
    Mock::given(method("GET"))
        .and(path(INSTANCES_PATH))
        .respond_with(move |request: &Request| {
            let page: u64 = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "pageNo")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(1);
            ResponseTemplate::new(200).set_body_json(envelope(json!({
                "pageNo": page, "pageSize": 100, "totalPage": total_pages, "total": total_pages,
                "results": [{"productNo": format!("P{page}"), "planId": PLAN_ID,
                    "planName": "Linkus Cloud Service", "expireTime": 1_900_000_000_000u64 + page,
                    "status": "active"}]
            })))
        })
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_listing_cut_at_the_page_cap_says_so_and_exits_6() {
    let server = product_list_of(1_001).await;
    let run = run_async({
        let mut cmd = TestEnv::new().portal_cmd(&server.uri());
        cmd.args(["subscriptions", "--json"]);
        cmd
    })
    .await;
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert_eq!(rows(&run).len(), 1_000, "what was read is still printed");
    assert!(
        run.stderr.contains("Only part of the account was listed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("1001 pages"), "{}", run.stderr);
    assert!(run.stderr.contains("at most 1000 pages"), "{}", run.stderr);
    assert_eq!(count(&server, "GET", INSTANCES_PATH).await, 1_000);
}

#[tokio::test]
async fn a_page_that_cannot_be_read_fails_the_listing_instead_of_shortening_it() {
    let server = product_list_of(3).await;
    Mock::given(method("GET"))
        .and(path(INSTANCES_PATH))
        .and(wiremock::matchers::query_param("pageNo", "2"))
        .respond_with(rejection(403, "forbidden", "no access to page 2", "req-p2"))
        .with_priority(1)
        .mount(&server)
        .await;
    let run = run_async({
        let mut cmd = TestEnv::new().portal_cmd(&server.uri());
        cmd.args(["subscriptions", "--json"]);
        cmd
    })
    .await;
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        run.json().get("error").is_some(),
        "an error, never a shorter list: {}",
        run.stdout
    );
    assert!(
        run.stderr.contains("Could not list the account's PBXs"),
        "{}",
        run.stderr
    );
}

#[cfg(unix)]
#[test]
fn a_progress_line_shows_on_a_terminal_when_there_are_many_pages() {
    let env = TestEnv::new();
    let served = Served::start(&env, &["--fleet", "1000", "--latency-ms", "20"]);
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("linkus"));
    for (key, value) in served.cmd(&env).get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    command
        .arg("subscriptions")
        .env("TERM", "xterm-256color")
        .env_remove("CI");
    let mut session = rexpect::session::spawn_command(command, Some(30_000)).unwrap();
    let text = session.exp_eof().unwrap();
    assert!(
        text.contains("Reading the account's PBXs"),
        "no progress line: {text}"
    );
    assert!(text.contains("/11 pages"), "{text}");
    assert!(
        text.contains("1001 PBXs with Linkus Cloud Service."),
        "{text}"
    );
}

// --- The PBX's subscription in a purchase: one request, whatever the account ---------------

#[test]
fn a_purchase_never_pages_the_product_list_while_the_details_endpoint_works() {
    let env = TestEnv::new();
    let served = Served::start(&env, &["--fleet", "10000"]);
    let bought = run(served.cmd(&env).args(purchase_args()));
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    assert_eq!(served.count("GET", DETAILS_PATH), 1);
    assert_eq!(
        served.count("GET", INSTANCES_PATH),
        0,
        "a purchase paged the product list of a 10,000-PBX account:\n{:#?}",
        served.requests()
    );
    // Token, plans, contacts, details, price, the order list (one page), order.
    assert_eq!(served.requests().len(), 7, "{:#?}", served.requests());

    // A PBX of the fleet already has Linkus: refused from its details alone.
    let refused = run(served.cmd(&env).args(purchase_args_for("F00000009999")));
    assert_eq!(refused.code, 5, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("PBX F00000009999 already has"),
        "{}",
        refused.stderr
    );
    assert_eq!(served.count("GET", INSTANCES_PATH), 0);
    assert_eq!(served.count("POST", ORDER_PATH), 1);
}

#[tokio::test]
async fn only_a_details_404_without_the_envelope_falls_back_to_paging() {
    // The endpoint is not there (an HTML 404 from a proxy): the product list is paged.
    let server = portal().await;
    details_endpoint_missing(&server).await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    let missing = run_async({
        let mut cmd = TestEnv::new().portal_cmd(&server.uri());
        cmd.args(purchase_args());
        cmd
    })
    .await;
    assert_eq!(missing.code, 0, "{}", missing.stderr);
    assert_eq!(count(&server, "GET", DETAILS_PATH).await, 1);
    assert_eq!(count(&server, "GET", INSTANCES_PATH).await, 1);

    // The portal's own 404 (`product_not_found`): not subscribed, and no paging.
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    let not_found = run_async({
        let mut cmd = TestEnv::new().portal_cmd(&server.uri());
        cmd.args(purchase_args());
        cmd
    })
    .await;
    assert_eq!(not_found.code, 0, "{}", not_found.stderr);
    assert!(
        !not_found.stderr.contains("Warning"),
        "{}",
        not_found.stderr
    );
    assert_eq!(count(&server, "GET", DETAILS_PATH).await, 1);
    assert_eq!(count(&server, "GET", INSTANCES_PATH).await, 0);
}

/// Get Product Details answers `response` (anything but "not found").
async fn details_fail_with(response: ResponseTemplate) -> MockServer {
    let server = portal().await;
    respond(&server, "GET", DETAILS_PATH, response).await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    server
}

fn details_errors() -> Vec<(&'static str, ResponseTemplate)> {
    vec![
        (
            "500",
            rejection(500, "system_error", "internal error", "req-d-500"),
        ),
        (
            "validation",
            rejection(
                400,
                "parameter_validation_failed",
                "productNo: invalid",
                "req-d-400",
            ),
        ),
        (
            "404 of another kind",
            rejection(404, "resource_not_found", "no such route", "req-d-404"),
        ),
    ]
}

#[tokio::test]
async fn a_details_error_other_than_not_found_is_could_not_check_for_a_purchase() {
    for (what, response) in details_errors() {
        let server = details_fail_with(response).await;
        let run = run_async({
            let mut cmd = TestEnv::new().portal_cmd(&server.uri());
            cmd.args(purchase_args());
            cmd
        })
        .await;
        assert_eq!(run.code, 0, "{what}: the portal decides: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "Warning: could not check whether SN {SN} already has Linkus Cloud Service"
            )),
            "{what}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("the portal will decide"),
            "{what}: {}",
            run.stderr
        );
        assert_eq!(count(&server, "POST", ORDER_PATH).await, 1, "{what}");
        assert_eq!(count(&server, "GET", INSTANCES_PATH).await, 0, "{what}");
    }
}

#[tokio::test]
async fn a_details_error_is_never_shown_as_not_subscribed() {
    for (what, response) in details_errors() {
        let server = details_fail_with(response).await;
        let env = TestEnv::new();
        let products = run_async({
            let mut cmd = env.portal_cmd(&server.uri());
            cmd.args(["products", "--sn", SN]);
            cmd
        })
        .await;
        assert_eq!(products.code, 0, "{what}: {}", products.stderr);
        assert!(
            products
                .stderr
                .contains("could not read the current subscription"),
            "{what}: {}",
            products.stderr
        );
        assert!(
            !products.all_output().contains("no Linkus Cloud Service"),
            "{what}: unknown is not 'not subscribed': {}",
            products.all_output()
        );
        let json = run_async({
            let mut cmd = env.portal_cmd(&server.uri());
            cmd.args(["products", "--sn", SN, "--json"]);
            cmd
        })
        .await;
        assert_eq!(json.code, 0, "{what}: {}", json.stderr);
        assert!(json.json().get("subscription").is_some());

        let renew = run_async({
            let mut cmd = env.portal_cmd(&server.uri());
            cmd.args([
                "renew",
                "--sn",
                SN,
                "--billing-contact",
                CONTACT_ID,
                "--yes",
            ]);
            cmd
        })
        .await;
        assert_ne!(renew.code, 0, "{what}: {}", renew.stderr);
        assert!(
            !renew.stderr.contains("has no Linkus Cloud Service"),
            "{what}: {}",
            renew.stderr
        );
        assert!(
            renew.stderr.contains(&format!(
                "Could not read the current subscription of SN {SN}"
            )),
            "{what}: {}",
            renew.stderr
        );
        assert_eq!(count(&server, "POST", ORDER_PATH).await, 0, "{what}");

        let listing = run_async({
            let mut cmd = env.portal_cmd(&server.uri());
            cmd.args(["subscriptions", "--sn", SN]);
            cmd
        })
        .await;
        assert_ne!(listing.code, 0, "{what}: {}", listing.stderr);
        assert!(
            !listing.stderr.contains("has no Linkus Cloud Service"),
            "{what}: {}",
            listing.stderr
        );
    }
}

// --- products --sn: the subscription above the plans, with prices ----------------------------

#[test]
fn products_shows_the_subscription_and_each_plan_s_price() {
    let env = TestEnv::new();
    let text = run(env.sandbox_cmd().args(["products", "--sn", EXPIRING_SN]));
    assert_eq!(text.code, 0, "{}", text.stderr);
    let line = text
        .stderr
        .lines()
        .find(|l| l.starts_with(&format!("PBX {EXPIRING_SN} has")))
        .unwrap_or_else(|| panic!("no subscription line: {}", text.stderr));
    assert!(line.contains("has Linkus Cloud Service until 20"), "{line}");
    assert!(line.contains("(20 days left)"), "{line}");
    assert!(line.ends_with("(20 days left)."), "{line}");
    assert!(
        text.stderr.contains(&format!(
            "Auto-renewal: off; `linkus autorenew enable --sn {EXPIRING_SN}` turns it on."
        )),
        "{}",
        text.stderr
    );
    let rows: Vec<Vec<&str>> = text
        .stdout
        .lines()
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(rows.len(), 2, "{}", text.stdout);
    assert_eq!(rows[0][0], PLAN_ID);
    assert_eq!(rows[0][2], "120.00 USD a year");
    assert_eq!(rows[1][0], PRO_PLAN_ID);
    assert_eq!(rows[1][2], "180.00 USD a year");

    let json = run(env
        .sandbox_cmd()
        .args(["products", "--sn", EXPIRING_SN, "--json"]));
    assert_eq!(json.code, 0, "{}", json.stderr);
    let out = json.json();
    let subscription = &out["subscription"];
    assert_eq!(subscription["planId"], PLAN_ID);
    assert_eq!(subscription["planName"], "Linkus Cloud Service");
    assert_eq!(subscription["status"], "active");
    assert_eq!(subscription["autoRenew"], false);
    assert_eq!(subscription["expires"].as_str().unwrap().len(), 10);
    assert_eq!(
        out["plans"][0]["price"],
        json!({"amount": "120.00", "currency": "USD", "per": "year"})
    );
    assert_eq!(
        out["plans"][1]["price"],
        json!({"amount": "180.00", "currency": "USD", "per": "year"})
    );

    // Without Linkus: `subscription` is null, and the text says so.
    let fresh = run(env.sandbox_cmd().args(["products", "--sn", SN, "--json"]));
    assert_eq!(fresh.json()["subscription"], Value::Null);
}

#[test]
fn products_says_when_a_subscription_renews_automatically() {
    let env = TestEnv::new();
    let served = Served::start(&env, &["--fleet", "10"]);
    // Every third PBX of the fleet renews automatically.
    let run = run(served.cmd(&env).args(["products", "--sn", "F00000000003"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "Auto-renewal: on (turn off: Partner Portal > Plan Details > Cancel Auto Renew)."
        ),
        "{}",
        run.stderr
    );
}

#[cfg(unix)]
#[test]
fn on_a_terminal_the_subscription_is_above_the_plans() {
    let env = TestEnv::new();
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("linkus"));
    for (key, value) in env.sandbox_cmd().get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    command
        .args(["--sandbox", "products", "--sn", EXPIRING_SN])
        .env("TERM", "xterm-256color")
        .env_remove("CI");
    let mut session = rexpect::session::spawn_command(command, Some(15_000)).unwrap();
    let text = session.exp_eof().unwrap();
    let subscription = text
        .find(&format!("PBX {EXPIRING_SN} has Linkus Cloud Service until"))
        .unwrap_or_else(|| panic!("{text}"));
    let header = text.find("PLAN ID").unwrap_or_else(|| panic!("{text}"));
    let price = text
        .find("120.00 USD a year")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(subscription < header && header < price, "{text}");
}
