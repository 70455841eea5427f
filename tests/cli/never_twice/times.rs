//! Times in the records (CLI.md section 3, "Clocks" and "The record is the guard"): the
//! portal's times are compared with the portal's clock, never the local one; a journal time
//! that cannot be read, or lies in the future, blocks its SN without an impossible age, and
//! `orders reconcile` names it (issue 16, paths 4 and 5).

use std::time::{Duration, SystemTime};

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

const ENTRY: &str = "7e0000000000c10c";
const TEN_MINUTES: u64 = 10 * 60 * 1000;

/// A portal whose clock is 10 minutes behind this machine's (the local clock is 10 minutes
/// fast): every answer a run needs carries that `Date`.
async fn portal_ten_minutes_behind(orders: Vec<Value>) -> MockServer {
    let server = portal().await;
    let date = httpdate::fmt_http_date(SystemTime::now() - Duration::from_millis(TEN_MINUTES));
    let count = orders.len();
    let answers = [
        (
            "POST",
            TOKEN_PATH,
            ResponseTemplate::new(200)
                .set_body_json(envelope(token_result(ACCESS_1, REFRESH_1, "1800"))),
        ),
        (
            "GET",
            ORDERS_PATH,
            ResponseTemplate::new(200).set_body_json(envelope(json!({
                "count": count, "pageNo": 1, "pageSize": 100, "total": count, "totalPage": 1,
                "results": orders
            }))),
        ),
        ("GET", DETAILS_PATH, subscribed("2030-06-30 00:00:00")),
        ("GET", PLANS_PATH, json_response(plans_body())),
        ("GET", CONTACTS_PATH, json_response(contacts_body())),
        ("GET", PRICE_PATH, json_response(prices_body())),
        ("GET", INSTANCES_PATH, empty_page()),
    ];
    for (verb, route, answer) in answers {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(answer.insert_header("Date", date.as_str()))
            .with_priority(1)
            .mount(&server)
            .await;
    }
    server
}

/// A renew sent just now by this machine's clock (10 minutes fast), its outcome unknown; the
/// portal created the order a minute later by its own clock. Compared with the local clock,
/// the order looks 9 minutes older than the entry and `--not-placed` would accept the mark;
/// compared with the portal's, it is the entry's order, and the mark is refused.
#[tokio::test]
async fn not_placed_is_refused_when_the_portal_lists_the_order_and_the_local_clock_is_ten_minutes_fast(
) {
    let server =
        portal_ten_minutes_behind(vec![listed(ORDER_NO, SN, "succeed", TEN_MINUTES - 60_000)])
            .await;
    let env = TestEnv::new();
    seed(
        &env,
        &[
            intent_line(ENTRY, &label(&server), Some("renew"), 0),
            outcome_line(ENTRY, "unknown", None),
        ],
    );
    let run = run(env.portal_cmd(&server.uri()).args([
        "orders",
        "reconcile",
        "--not-placed",
        ENTRY,
        "--yes",
    ]));
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "the portal has order {ORDER_NO} for SN {SN} since then"
        )),
        "{}",
        run.stderr
    );
    assert!(!journal_text(&env).contains("not_placed"));
    // The renew stays blocked: no second order.
    let renewal = super::run(env.portal_cmd(&server.uri()).args(renew_args_for(SN)));
    assert_eq!(renewal.code, 9, "{}", renewal.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

/// An intent records the portal's time beside the local one.
#[tokio::test]
async fn an_intent_records_the_portals_time_beside_the_local_one() {
    let server = portal_ten_minutes_behind(Vec::new()).await;
    Mock::given(method("POST"))
        .and(path(ORDER_PATH))
        .respond_with(order_created("succeed"))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    let renewal = run(env.portal_cmd(&server.uri()).args(renew_args_for(SN)));
    assert_eq!(renewal.code, 0, "{}", renewal.stderr);
    let intent = &env.journal_lines()[0];
    let local = humantime::parse_rfc3339_weak(intent["time"].as_str().unwrap()).unwrap();
    let portal =
        humantime::parse_rfc3339_weak(intent["portalTime"].as_str().expect("portalTime")).unwrap();
    let behind = local
        .duration_since(portal)
        .expect("the portal's time is behind");
    assert!(
        behind > Duration::from_secs(9 * 60) && behind < Duration::from_secs(11 * 60),
        "{intent}"
    );
    assert!(intent["host"].is_string(), "{intent}");
}

/// A renew that succeeded, whose journal time was edited into something unreadable.
fn renewed_at(env: &TestEnv, server: &MockServer, time: Value) {
    let mut intent = intent_line(ENTRY, &label(server), Some("renew"), 0);
    intent["time"] = time;
    seed(
        env,
        &[intent, outcome_line(ENTRY, "succeed", Some(EARLIER))],
    );
}

#[tokio::test]
async fn a_renew_after_one_whose_journal_time_cannot_be_read_is_blocked_until_again_names_it() {
    for time in [json!("last tuesday"), json!(12345), Value::Null] {
        let server = renewing_portal().await;
        let env = TestEnv::new();
        renewed_at(&env, &server, time.clone());
        let blocked = run(env
            .portal_cmd(&server.uri())
            .args(renew_args_for(SN))
            .arg("--json"));
        assert_eq!(blocked.code, 9, "{time}: {}", blocked.stderr);
        assert!(
            blocked.stderr.contains("cannot be read")
                && blocked.stderr.contains(&format!("--again {EARLIER}"))
                && blocked.stderr.contains("Nothing was sent"),
            "{time}: {}",
            blocked.stderr
        );
        assert!(!blocked.stderr.contains(" ago"), "{}", blocked.stderr);
        let error = &blocked.json()["error"];
        assert_eq!(error["blockedBy"]["entry"], ENTRY, "{error}");
        assert_eq!(error["blockedBy"]["source"], "journal", "{error}");
        assert_eq!(error["blockedBy"]["age"], Value::Null, "{error}");
        assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);

        // `orders reconcile` names it.
        let reconcile = run(env.portal_cmd(&server.uri()).args(["orders", "reconcile"]));
        assert_eq!(reconcile.code, 0, "{}", reconcile.stderr);
        assert!(
            reconcile
                .stdout
                .contains(&format!("entry {ENTRY} for SN {SN}"))
                && reconcile.stdout.contains("cannot be read"),
            "{time}: {}",
            reconcile.stdout
        );

        let again = run(env
            .portal_cmd(&server.uri())
            .args(renew_args_for(SN))
            .args(["--again", EARLIER]));
        assert_eq!(again.code, 0, "{time}: {}", again.stderr);
        assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
    }
}

#[tokio::test]
async fn a_renew_after_one_dated_in_the_future_is_blocked_without_an_impossible_age() {
    let server = renewing_portal().await;
    let env = TestEnv::new();
    // Ten years ahead: more than 5 minutes in the future.
    renewed_at(
        &env,
        &server,
        json!(rfc3339(now_ms() + 10 * 365 * 86_400_000)),
    );
    let blocked = run(env
        .portal_cmd(&server.uri())
        .args(renew_args_for(SN))
        .arg("--json"));
    assert_eq!(blocked.code, 9, "{}", blocked.stderr);
    assert!(
        blocked.stderr.contains("in the future")
            && blocked.stderr.contains(&format!("--again {EARLIER}")),
        "{}",
        blocked.stderr
    );
    assert!(
        !blocked.stderr.contains(" ago") && !blocked.stderr.contains("overflow"),
        "{}",
        blocked.stderr
    );
    assert_eq!(blocked.json()["error"]["blockedBy"]["age"], Value::Null);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);

    let reconcile = run(env
        .portal_cmd(&server.uri())
        .args(["orders", "reconcile", "--json"]));
    assert_eq!(reconcile.code, 0, "{}", reconcile.stderr);
    let rows = reconcile.json();
    assert_eq!(rows[0]["entry"], ENTRY, "{rows}");
    assert_eq!(rows[0]["status"], "damaged", "{rows}");

    // A minute ahead is only a clock difference: the 24-hour rule, "1 min ago".
    let env = TestEnv::new();
    renewed_at(&env, &server, json!(rfc3339(now_ms() + 60_000)));
    let blocked = run(env.portal_cmd(&server.uri()).args(renew_args_for(SN)));
    assert_eq!(blocked.code, 9, "{}", blocked.stderr);
    assert!(
        blocked.stderr.contains("succeeded 1 min ago"),
        "{}",
        blocked.stderr
    );
}

/// `--not-placed` reads the records again under the SN's lock, the one beside the locks too:
/// another home that shares the lock folder bought the order; this home's journal only has
/// its intent, with an unknown outcome. The mark is refused and nothing is written.
#[tokio::test]
async fn not_placed_is_refused_when_the_record_beside_the_locks_shows_the_order_succeeded() {
    let server = ordering_portal().await;
    let buyer = TestEnv::new();
    let bought = run(buyer.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    let intent = buyer.journal_lines()[0].clone();
    let entry = intent["id"].as_str().unwrap().to_owned();

    let env = TestEnv::new();
    seed(&env, &[intent, outcome_line(&entry, "unknown", None)]);
    let marked = run(env
        .portal_cmd(&server.uri())
        .env("LINKUS_LOCK_DIR", buyer.lock_dir())
        .args(["orders", "reconcile", "--not-placed", &entry, "--yes"]));
    assert_ne!(marked.code, 0, "{}", marked.stderr);
    assert!(
        marked.stderr.contains("succeeded") && marked.stderr.contains(ORDER_NO),
        "{}",
        marked.stderr
    );
    assert!(!journal_text(&env).contains("not_placed"));
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
}
