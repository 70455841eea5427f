//! Know before you buy (issue 11): the list price and the total in the summary and in JSON,
//! "unknown" when the portal gives none, the `--max-total` cap, and the offering remembered
//! so that the price costs no extra round trip from the second purchase on.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::*;

const OTHER_SN: &str = "369471667339";

async fn portal_that_sells() -> MockServer {
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    server
}

fn buy(years: &str) -> Vec<&str> {
    vec![
        "purchase",
        "--sn",
        SN,
        "--plan",
        "Linkus Cloud Service",
        "--billing-contact",
        CONTACT_ID,
        "--years",
        years,
        "--yes",
    ]
}

/// The portal answers the price request with an error: the price is unknown.
async fn price_unknown(server: &MockServer) {
    respond(
        server,
        "GET",
        PRICE_PATH,
        rejection(500, "system_error", "price service down", "req-price-500"),
    )
    .await;
}

#[tokio::test]
async fn the_summary_shows_the_price_a_year_the_years_and_the_total() {
    let server = portal_that_sells().await;
    let run = run(TestEnv::new().portal_cmd(&server.uri()).args(buy("2")));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let price_line = run
        .stderr
        .lines()
        .find(|line| line.trim_start().starts_with("Price"))
        .unwrap_or_else(|| panic!("no Price row in the summary:\n{}", run.stderr));
    assert!(
        price_line.ends_with("120.00 USD a year × 2 = 240.00 USD, list price"),
        "{price_line}"
    );
    assert!(
        !run.stdout.contains("list price"),
        "the summary is on stderr"
    );
}

#[tokio::test]
async fn purchase_and_dry_run_json_carry_the_total_of_the_plan_chosen() {
    let server = portal_that_sells().await;
    let env = TestEnv::new();
    let pro = [
        "purchase",
        "--sn",
        SN,
        "--plan",
        PRO_PLAN_ID,
        "--billing-contact",
        CONTACT_ID,
        "--years",
        "3",
    ];
    let dry = run(env
        .portal_cmd(&server.uri())
        .args(pro)
        .args(["--dry-run", "--json"]));
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert_eq!(
        dry.json()["total"],
        json!({"amount": "540.00", "currency": "USD", "perYear": "180.00", "years": 3})
    );
    let bought = run(env
        .portal_cmd(&server.uri())
        .args(pro)
        .args(["--yes", "--json"]));
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    assert_eq!(bought.json()["total"]["amount"], "540.00");
    assert_eq!(bought.json()["total"]["perYear"], "180.00");
}

#[tokio::test]
async fn a_price_that_cannot_be_found_shows_unknown_and_null() {
    let server = portal_that_sells().await;
    price_unknown(&server).await;
    let env = TestEnv::new();
    let text = run(env.portal_cmd(&server.uri()).args(buy("2")));
    assert_eq!(
        text.code, 0,
        "an unknown price does not stop a purchase without a cap"
    );
    let price_line = text
        .stderr
        .lines()
        .find(|line| line.trim_start().starts_with("Price"))
        .unwrap_or_else(|| panic!("no Price row:\n{}", text.stderr));
    assert!(price_line.contains("unknown"), "{price_line}");
    assert!(!price_line.contains("USD"), "never a guess: {price_line}");

    let json = run(env
        .portal_cmd(&server.uri())
        .args(["purchase", "--sn", OTHER_SN, "--plan", PLAN_ID])
        .args(["--billing-contact", CONTACT_ID, "--years", "1"])
        .args(["--dry-run", "--json"]));
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_eq!(json.json()["total"], serde_json::Value::Null);

    // A price list that does not name the plan is unknown too, in `products` as well.
    respond(
        &server,
        "GET",
        PRICE_PATH,
        ResponseTemplate::new(200).set_body_json(envelope(json!({
            "offeringId": "31",
            "planList": [{"planId": "1", "planName": "Something else", "price": "9.00", "currency": "USD"}]
        }))),
    )
    .await;
    let products = run(env.portal_cmd(&server.uri()).args(["products", "--sn", SN]));
    assert_eq!(products.code, 0, "{}", products.stderr);
    let rows: Vec<&str> = products.stdout.lines().collect();
    assert_eq!(rows.len(), 2, "{}", products.stdout);
    assert!(
        rows.iter().all(|row| row.contains("\tunknown\t")),
        "{rows:?}"
    );
    let json = run(env
        .portal_cmd(&server.uri())
        .args(["products", "--sn", SN, "--json"]));
    assert!(json.json()["plans"]
        .as_array()
        .unwrap()
        .iter()
        .all(|plan| plan["price"].is_null()));
}

#[tokio::test]
async fn max_total_below_the_total_refuses_with_exit_3_and_sends_nothing() {
    let server = portal_that_sells().await;
    let env = TestEnv::new();
    let run = run(env
        .portal_cmd(&server.uri())
        .args(buy("5"))
        .args(["--max-total", "500"]));
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("600.00 USD"),
        "the total: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--max-total 500"),
        "the cap: {}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    assert!(env.journal_lines().is_empty(), "nothing was even intended");

    let json = crate::common::run(env.portal_cmd(&server.uri()).args(buy("5")).args([
        "--max-total",
        "599.99USD",
        "--json",
    ]));
    assert_eq!(json.code, 3);
    let error = &json.json()["error"];
    assert_eq!(error["exitCode"], 3);
    assert_eq!(
        error["kind"], "over_cap",
        "not `cancelled`: nobody declined"
    );
    assert!(error["message"].as_str().unwrap().contains("600.00 USD"));
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn max_total_refuses_a_total_that_is_unknown() {
    let server = portal_that_sells().await;
    price_unknown(&server).await;
    let env = TestEnv::new();
    let run = run(env
        .portal_cmd(&server.uri())
        .args(buy("1"))
        .args(["--max-total", "1000000"]));
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("unknown"), "{}", run.stderr);
    assert!(run.stderr.contains("--max-total 1000000"), "{}", run.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    assert!(env.journal_lines().is_empty());
}

#[tokio::test]
async fn max_total_in_another_currency_refuses() {
    let server = portal_that_sells().await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(buy("2"))
        .args(["--max-total", "500RMB"]));
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("240.00 USD"), "{}", run.stderr);
    assert!(run.stderr.contains("RMB"), "{}", run.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn max_total_at_or_above_the_total_lets_the_order_go() {
    let server = portal_that_sells().await;
    let env = TestEnv::new();
    let exact = run(env
        .portal_cmd(&server.uri())
        .args(buy("2"))
        .args(["--max-total", "240USD"]));
    assert_eq!(exact.code, 0, "{}", exact.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);

    let bare = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(buy("1"))
        .args(["--max-total", "500"]));
    assert_eq!(bare.code, 0, "{}", bare.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 2);
}

#[tokio::test]
async fn linkus_max_total_in_the_environment_caps_like_the_flag() {
    let server = portal_that_sells().await;
    let env = TestEnv::new();
    let refused = run(env
        .portal_cmd(&server.uri())
        .env("LINKUS_MAX_TOTAL", "100")
        .args(buy("1")));
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert!(refused.stderr.contains("120.00 USD"), "{}", refused.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);

    let allowed = run(env
        .portal_cmd(&server.uri())
        .env("LINKUS_MAX_TOTAL", "120USD")
        .args(buy("1")));
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);

    let bad = run(env
        .portal_cmd(&server.uri())
        .env("LINKUS_MAX_TOTAL", "lots")
        .args(buy("1")));
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

/// When each request of one path arrived.
type Arrivals = Arc<Mutex<Vec<(String, Instant)>>>;

/// A portal whose reads each take `delay`, recording when every request arrives.
async fn slow_portal(delay: Duration) -> (MockServer, Arrivals) {
    let server = MockServer::start().await;
    let arrivals: Arrivals = Arc::new(Mutex::new(Vec::new()));
    let routes: Vec<(&str, &str, ResponseTemplate)> = vec![
        (
            "POST",
            TOKEN_PATH,
            ResponseTemplate::new(200)
                .set_body_json(envelope(token_result(ACCESS_1, REFRESH_1, "1800"))),
        ),
        (
            "GET",
            PLANS_PATH,
            json_response(plans_body()).set_delay(delay),
        ),
        (
            "GET",
            CONTACTS_PATH,
            json_response(contacts_body()).set_delay(delay),
        ),
        ("GET", DETAILS_PATH, not_subscribed().set_delay(delay)),
        (
            "GET",
            PRICE_PATH,
            json_response(prices_body()).set_delay(delay),
        ),
        ("GET", INSTANCES_PATH, empty_page().set_delay(delay)),
        ("GET", ORDERS_PATH, empty_page().set_delay(delay)),
        ("POST", ORDER_PATH, order_created("succeed")),
    ];
    for (verb, route, response) in routes {
        let arrivals = arrivals.clone();
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(move |request: &Request| {
                arrivals
                    .lock()
                    .unwrap()
                    .push((request.url.path().to_owned(), Instant::now()));
                response.clone()
            })
            .mount(&server)
            .await;
    }
    (server, arrivals)
}

fn arrival(arrivals: &[(String, Instant)], route: &str) -> Instant {
    arrivals
        .iter()
        .find(|(path, _)| path == route)
        .unwrap_or_else(|| panic!("no request to {route}"))
        .1
}

#[tokio::test]
async fn the_offering_is_remembered_so_the_second_purchase_asks_the_price_with_the_other_lookups() {
    const DELAY: Duration = Duration::from_millis(300);
    let (server, arrivals) = slow_portal(DELAY).await;
    let env = TestEnv::new();

    // First run: the offering comes with the plans, so the price is asked for after them.
    let first = run(env.portal_cmd(&server.uri()).args(purchase_args_for(SN)));
    assert_eq!(first.code, 0, "{}", first.stderr);
    let one: Vec<(String, Instant)> = std::mem::take(&mut *arrivals.lock().unwrap());
    let paths: Vec<&str> = one.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths.iter().filter(|p| **p == PRICE_PATH).count(),
        1,
        "{paths:?}"
    );
    assert!(
        arrival(&one, PRICE_PATH) >= arrival(&one, PLANS_PATH) + DELAY,
        "the first price request waits for the plans answer: {paths:?}"
    );
    assert_eq!(paths.last(), Some(&ORDER_PATH));
    assert!(!paths.contains(&INSTANCES_PATH), "{paths:?}");

    // Second run, another PBX: token cached, offering remembered: one round of lookups.
    let second = run(env
        .portal_cmd(&server.uri())
        .args(purchase_args_for(OTHER_SN)));
    assert_eq!(second.code, 0, "{}", second.stderr);
    let two: Vec<(String, Instant)> = std::mem::take(&mut *arrivals.lock().unwrap());
    let paths: Vec<&str> = two.iter().map(|(p, _)| p.as_str()).collect();
    let mut lookups: Vec<&str> = paths[..paths.len() - 1].to_vec();
    lookups.sort_unstable();
    let mut expected = vec![
        PLANS_PATH,
        CONTACTS_PATH,
        DETAILS_PATH,
        PRICE_PATH,
        ORDERS_PATH,
    ];
    expected.sort_unstable();
    assert_eq!(
        lookups, expected,
        "six requests (the order list's first page among the lookups), no token, no paging: {paths:?}"
    );
    assert_eq!(paths.last(), Some(&ORDER_PATH));
    let started = two.first().unwrap().1;
    let last_lookup = two[..two.len() - 1].iter().map(|(_, t)| *t).max().unwrap();
    assert!(
        last_lookup - started < DELAY / 2,
        "every lookup went out before any answer came back: {:?}",
        last_lookup - started
    );
    let lookup_phase = arrival(&two, ORDER_PATH) - started;
    assert!(
        lookup_phase < 2 * DELAY,
        "the lookup phase took {lookup_phase:?}: more than one round trip"
    );
}
