//! The two phases: a check that sends nothing that costs money and reads what the batch
//! shares once; the buy, under every rule of a single order (the SN's lock, the journal read
//! again); `--max-total` on the batch's total; one limiter for 429s.

use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer};

use super::portal::{FakePortal, Faults};
use super::*;

async fn portal_taking_orders() -> MockServer {
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    server
}

fn expected_body(sn: &str) -> String {
    format!(
        r#"{{"operationType":"purchase_plan","productId":9,"productNo":"{sn}","billingId":{CONTACT_ID},"serviceList":[{{"serviceType":"plan","serviceId":{PLAN_ID},"purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":1}}]}}"#
    )
}

#[tokio::test]
async fn the_check_phase_sends_nothing_that_costs_money_and_reads_contacts_and_price_once() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let sns = fleet(20);
    let from = file(&env, "fleet.csv", &csv_of(&sns));
    let mut args = batch_args(&from);
    args.retain(|a| a != "--yes");
    args.extend(["--dry-run".to_owned(), "--json".to_owned()]);

    let mut seen = 0;
    for pass in ["first", "second (token and offering remembered)"] {
        let run = run_async({
            let mut cmd = env.portal_cmd(&server.uri());
            cmd.args(&args);
            cmd
        })
        .await;
        assert_eq!(run.code, 0, "{pass}: {}", run.stderr);
        assert_eq!(count_outcome(&run, "would order"), 20, "{pass}");
        // This pass's requests only.
        let requests: Vec<wiremock::Request> = server
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .skip(seen)
            .collect();
        seen += requests.len();
        let count = |verb: &str, route: &str| {
            requests
                .iter()
                .filter(|r| r.method.as_str() == verb && r.url.path() == route)
                .count()
        };
        assert_eq!(count("POST", ORDER_PATH), 0, "{pass}");
        assert_eq!(count("GET", CONTACTS_PATH), 1, "{pass}: contacts once");
        assert_eq!(count("GET", PRICE_PATH), 1, "{pass}: the price once");
        assert_eq!(count("GET", PLANS_PATH), 20, "{pass}: plans per SN");
        assert_eq!(
            count("GET", DETAILS_PATH),
            20,
            "{pass}: one subscription read each"
        );
        assert_eq!(
            count("GET", INSTANCES_PATH),
            0,
            "{pass}: the product list never paged"
        );
        assert_eq!(
            count("GET", ORDERS_PATH),
            1,
            "{pass}: the order list once for all rows"
        );
        let tokens = count("POST", TOKEN_PATH);
        assert_eq!(tokens, usize::from(pass == "first"), "{pass}: cached token");
        assert_eq!(requests.len(), 43 + tokens, "{pass}: nothing else");
        // Every plans request asks about one of the file's SNs, each once.
        let mut asked: Vec<String> = requests
            .iter()
            .filter(|r| r.url.path() == PLANS_PATH)
            .filter_map(|r| {
                query(r)
                    .into_iter()
                    .find(|(k, _)| k == "productNo")
                    .map(|(_, v)| v)
            })
            .collect();
        asked.sort();
        assert_eq!(asked, sns, "{pass}");
    }
    assert!(env.journal_lines().is_empty());
}

#[tokio::test]
async fn a_batch_whose_billing_contacts_cannot_be_listed_orders_nothing_and_asks_once() {
    let server = portal_taking_orders().await;
    respond(
        &server,
        "GET",
        CONTACTS_PATH,
        rejection(
            403,
            "access_denied",
            "No access to billing contacts.",
            "req-c-403",
        ),
    )
    .await;
    let env = TestEnv::new();
    let from = file(&env, "fleet.csv", &csv_of(&fleet(20)));
    let run = run(env
        .portal_cmd(&server.uri())
        .args(batch_args(&from))
        .arg("--json"));
    assert_eq!(run.code, 4, "{}", run.stderr);
    let error = &run.json()["error"];
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("Could not list the billing contacts"),
        "{error}"
    );
    assert_eq!(error["requestId"], "req-c-403");
    assert_eq!(
        count(&server, "GET", CONTACTS_PATH).await,
        1,
        "asked once for the batch"
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    assert!(env.journal_lines().is_empty());
}

#[tokio::test]
async fn dry_run_prints_every_row_with_the_body_it_would_send() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let sns = fleet(3);
    let from = file(&env, "fleet.csv", &csv_of(&sns));
    let mut args = batch_args(&from);
    args.retain(|a| a != "--yes");
    args.push("--dry-run".to_owned());

    let json_run = run(env.portal_cmd(&server.uri()).args(&args).arg("--json"));
    assert_eq!(json_run.code, 0, "{}", json_run.stderr);
    let rows = json_run.json();
    assert_eq!(rows.as_array().unwrap().len(), 3);
    for (i, sn) in sns.iter().enumerate() {
        let row = &rows[i];
        assert_eq!(row["line"], i + 2);
        assert_eq!(row["sn"], sn.as_str());
        assert_eq!(row["outcome"], "would order");
        assert_eq!(row["requestBody"], expected_body(sn));
        assert_eq!(row["request"]["billingId"], CONTACT_ID, "IDs as strings");
        assert_eq!(
            row["total"],
            json!({"amount": "120.00", "currency": "USD", "perYear": "120.00", "years": 1})
        );
    }
    assert!(
        json_run.stderr.contains("Total: 360.00 USD at list price"),
        "{}",
        json_run.stderr
    );

    let text_run = run(env.portal_cmd(&server.uri()).args(&args));
    assert_eq!(text_run.code, 0, "{}", text_run.stderr);
    for (i, sn) in sns.iter().enumerate() {
        let line = format!("line {}\t{sn}\t{}", i + 2, expected_body(sn));
        assert!(
            text_run.stdout.contains(&line),
            "no {line:?} in\n{}",
            text_run.stdout
        );
    }
    assert!(
        text_run.stderr.contains("Dry run: nothing was bought"),
        "{}",
        text_run.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    assert!(env.journal_lines().is_empty());
}

#[tokio::test]
async fn max_total_applies_to_the_whole_batch() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let from = file(&env, "fleet.csv", &csv_of(&fleet(3)));

    // 3 × 120.00 USD = 360.00 USD: above a cap of 300, each row under it.
    let capped = run(env
        .portal_cmd(&server.uri())
        .args(batch_args(&from))
        .args(["--max-total", "300USD"]));
    assert_eq!(capped.code, 3, "{}", capped.stderr);
    assert!(capped.stderr.contains("360.00 USD"), "{}", capped.stderr);
    assert_eq!(capped.stdout, "");
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0, "nothing sent");
    assert!(env.journal_lines().is_empty());

    let under = run(env.portal_cmd(&server.uri()).args(batch_args(&from)).args([
        "--max-total",
        "360",
        "--json",
    ]));
    assert_eq!(under.code, 0, "{}", under.stderr);
    assert_eq!(count_outcome(&under, "bought"), 3);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 3);
}

/// Whether the portal has received an order for `sn`.
async fn ordered(server: &MockServer, sn: &str) -> bool {
    received(server, "POST", ORDER_PATH)
        .await
        .iter()
        .any(|o| ordered_sn(&o.body) == sn)
}

async fn wait_until_ordered(server: &MockServer, sn: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !ordered(server, sn).await {
        assert!(std::time::Instant::now() < deadline, "no order for {sn}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A portal whose order for `slow` answers after `delay`.
async fn portal_with_a_slow_order(slow: &[(&str, Duration)]) -> MockServer {
    let server = portal().await;
    for (sn, delay) in slow {
        Mock::given(method("POST"))
            .and(path(ORDER_PATH))
            .and(body_string_contains(*sn))
            .respond_with(order_created("succeed").set_delay(*delay))
            .with_priority(1)
            .mount(&server)
            .await;
    }
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn another_run_ordering_for_an_sn_blocks_that_row_and_nothing_is_sent_twice() {
    let [first, other] = [fleet_sn(1), fleet_sn(2)];
    let server = portal_with_a_slow_order(&[
        (&first, Duration::from_secs(2)),
        (&other, Duration::from_secs(5)),
    ])
    .await;
    let env = TestEnv::new();
    let from = file(&env, "rows.csv", &csv_of(&[first.clone(), other.clone()]));

    // One order at a time: while the first row's order is out, someone orders for the
    // second SN by hand, and their order is still out when the batch gets to that row.
    let batch = tokio::spawn(run_async({
        let mut cmd = env.portal_cmd(&server.uri());
        cmd.args(batch_args(&from)).args(["--jobs", "1", "--json"]);
        cmd
    }));
    wait_until_ordered(&server, &first).await;
    let by_hand = tokio::spawn(run_async({
        let mut cmd = env.portal_cmd(&server.uri());
        cmd.args(purchase_args_for(&other));
        cmd
    }));
    wait_until_ordered(&server, &other).await;
    let batch = batch.await.unwrap();
    let by_hand = by_hand.await.unwrap();

    assert_eq!(by_hand.code, 0, "{}", by_hand.stderr);
    assert_eq!(batch.code, 9, "{}", batch.stderr);
    assert_eq!(
        outcomes(&batch),
        [
            (first.clone(), "bought".to_owned()),
            (other.clone(), "blocked".to_owned())
        ]
    );
    let message = batch.json()[1]["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("Another linkus (pid ")
            && message.contains(&format!("is ordering for SN {other}")),
        "{message}"
    );
    let orders: Vec<String> = received(&server, "POST", ORDER_PATH)
        .await
        .iter()
        .map(|o| ordered_sn(&o.body))
        .collect();
    assert_eq!(
        orders.iter().filter(|sn| **sn == other).count(),
        1,
        "{orders:?}"
    );
    assert_eq!(orders.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_purchase_made_by_another_run_since_the_check_blocks_the_row() {
    let [first, other] = [fleet_sn(1), fleet_sn(2)];
    let server = portal_with_a_slow_order(&[(&first, Duration::from_secs(2))]).await;
    let env = TestEnv::new();
    let from = file(&env, "rows.csv", &csv_of(&[first.clone(), other.clone()]));

    let batch = tokio::spawn(run_async({
        let mut cmd = env.portal_cmd(&server.uri());
        cmd.args(batch_args(&from)).args(["--jobs", "1", "--json"]);
        cmd
    }));
    wait_until_ordered(&server, &first).await;
    // Checked by the batch as "to order"; bought by hand before the batch gets to it.
    let by_hand = run_async({
        let mut cmd = env.portal_cmd(&server.uri());
        cmd.args(purchase_args_for(&other));
        cmd
    })
    .await;
    assert_eq!(by_hand.code, 0, "{}", by_hand.stderr);
    let batch = batch.await.unwrap();

    assert_eq!(batch.code, 9, "{}", batch.stderr);
    assert!(
        batch.stderr.contains("To order         2"),
        "{}",
        batch.stderr
    );
    assert_eq!(
        outcomes(&batch),
        [
            (first.clone(), "bought".to_owned()),
            (other.clone(), "blocked".to_owned())
        ]
    );
    let message = batch.json()[1]["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains(&format!("SN {other} already had a purchase that succeeded")),
        "{message}"
    );
    let orders: Vec<String> = received(&server, "POST", ORDER_PATH)
        .await
        .iter()
        .map(|o| ordered_sn(&o.body))
        .collect();
    assert_eq!(
        orders.iter().filter(|sn| **sn == other).count(),
        1,
        "{orders:?}"
    );
}

#[test]
fn a_429_on_reads_slows_the_whole_batch_down_not_just_one_row() {
    let (portal, server) = FakePortal::start(Faults {
        read_delay: Duration::from_millis(40),
        plans_429_once: Some(1),
        ..Faults::default()
    });
    let env = TestEnv::new();
    let sns = fleet(48);
    let from = file(&env, "fleet.csv", &csv_of(&sns));
    let mut args = batch_args(&from);
    args.retain(|a| a != "--yes");
    args.extend(["--dry-run".to_owned(), "--json".to_owned()]);
    let run = run(env
        .portal_cmd(&server.url)
        .env("LINKUS_RETRY_MAX_MS", "2000")
        .args(&args));

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count_outcome(&run, "would order"), 48);
    let arrivals = portal.arrivals();
    let refused: Vec<_> = arrivals.iter().filter(|a| a.status == 429).collect();
    assert_eq!(refused.len(), 1, "one 429");
    let t429 = refused[0].at;
    let throttled_sn = refused[0].sn.clone().unwrap();
    // The answer left 40 ms after the request came; requests already on their way may land
    // just after it. From then on, until the second asked for, nothing may come.
    let answered = t429 + Duration::from_millis(40);
    let early: Vec<String> = arrivals
        .iter()
        .filter(|a| {
            a.at > answered + Duration::from_millis(60) && a.at < t429 + Duration::from_millis(1000)
        })
        .map(|a| format!("{} {} {:?} at +{:?}", a.method, a.path, a.sn, a.at - t429))
        .collect();
    assert!(early.is_empty(), "sent during the pause: {early:#?}");
    let later = arrivals
        .iter()
        .filter(|a| a.at >= t429 + Duration::from_millis(1000))
        .count();
    assert!(
        later > 16,
        "the batch went on after the pause ({later} requests)"
    );
    // No flood: the refused request was sent again once, every other read once.
    let plans = |sn: &str| {
        arrivals
            .iter()
            .filter(|a| a.path == PLANS_PATH && a.sn.as_deref() == Some(sn))
            .count()
    };
    assert_eq!(plans(&throttled_sn), 2);
    for sn in sns.iter().filter(|sn| **sn != throttled_sn) {
        assert_eq!(plans(sn), 1, "{sn}");
    }
    assert_eq!(arrivals.iter().filter(|a| a.path == ORDER_PATH).count(), 0);
}
