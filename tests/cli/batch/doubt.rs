//! The two named tests of issue 12. Stop on doubt: once an order's outcome is unknown, no new
//! order is started, `orders reconcile` settles it, and a rerun finishes the rest with no
//! duplicate. SIGKILL halfway: a rerun, a reconcile and a third run leave exactly one order
//! per PBX.

use std::collections::BTreeMap;

use super::portal::{FakePortal, Faults};
use super::*;

fn outcome_counts(run: &Run) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (_, outcome) in outcomes(run) {
        *counts.entry(outcome).or_insert(0) += 1;
    }
    counts
}

fn sns_with(run: &Run, outcome: &str) -> Vec<String> {
    let mut sns: Vec<String> = outcomes(run)
        .into_iter()
        .filter(|(_, o)| o == outcome)
        .map(|(sn, _)| sn)
        .collect();
    sns.sort();
    sns
}

#[test]
fn stop_on_doubt_a_dropped_seventh_order_stops_the_batch_and_its_row_stays_blocked_until_reconciled(
) {
    let (portal, server) = FakePortal::start(Faults {
        reset_order: Some(7),
        ..Faults::default()
    });
    let env = TestEnv::new();
    let sns = fleet(100);
    let from = file(&env, "fleet.csv", &csv_of(&sns));
    let batch = || {
        let mut cmd = env.portal_cmd(&server.url);
        cmd.args(batch_args(&from)).arg("--json");
        cmd
    };

    // 1. The 7th order is created, and its connection drops before the answer.
    let first = run(&mut batch());
    assert_eq!(first.code, 7, "{}", first.stderr);
    let created = portal.orders();
    let seventh = created[6].clone();
    let counts = outcome_counts(&first);
    assert_eq!(
        sns_with(&first, "unknown"),
        [seventh.sn.as_str()],
        "{counts:?}"
    );
    // Exactly one order per row that was sent; no SN twice.
    assert!(
        portal.orders_per_sn().values().all(|n| *n == 1),
        "{:?}",
        portal.orders_per_sn()
    );
    assert_eq!(server.count("POST", ORDER_PATH), created.len());
    let mut sent: Vec<String> = created.iter().map(|o| o.sn.clone()).collect();
    sent.sort();
    let mut reported_sent = sns_with(&first, "bought");
    reported_sent.extend(sns_with(&first, "unknown"));
    reported_sent.sort();
    assert_eq!(reported_sent, sent, "{counts:?}");
    // It stopped starting orders: at most the three others already out (--jobs 4) went on.
    assert!(created.len() <= 10, "{} orders were sent", created.len());
    assert_eq!(
        counts.get("not sent").copied().unwrap_or(0),
        100 - created.len(),
        "{counts:?}"
    );
    assert_eq!(counts.len(), 3, "{counts:?}");
    let rows = first.json();
    let not_sent = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["outcome"] == "not sent")
        .unwrap();
    assert!(
        not_sent["message"]
            .as_str()
            .unwrap()
            .contains("not started"),
        "{not_sent}"
    );
    let unknown = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["outcome"] == "unknown")
        .unwrap();
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .contains("linkus orders reconcile"),
        "{unknown}"
    );
    assert_eq!(unknown["orderNo"], serde_json::Value::Null);

    // 2. A rerun before reconciling: the unknown row stays blocked, nothing is sent for it.
    let blocked = run(&mut batch());
    assert_eq!(blocked.code, 9, "{}", blocked.stderr);
    assert_eq!(sns_with(&blocked, "blocked"), [seventh.sn.as_str()]);
    assert!(portal.orders_per_sn().values().all(|n| *n == 1));
    let after_blocked = portal.orders().len();
    assert_eq!(after_blocked, 100, "the rest was bought");

    // 3. `orders reconcile` finds the 7th in the portal's order list.
    let reconciled = run(env
        .portal_cmd(&server.url)
        .args(["orders", "reconcile", "--json"]));
    assert_eq!(reconciled.code, 0, "{}", reconciled.stderr);
    let entries = reconciled.json();
    assert_eq!(entries.as_array().unwrap().len(), 1, "{entries}");
    assert_eq!(entries[0]["status"], "settled");
    assert_eq!(entries[0]["sn"], seventh.sn.as_str());
    assert_eq!(entries[0]["orderNo"], seventh.order_no.as_str());

    // 4. The same command once more: every row bought before is `already bought`, exit 0.
    let last = run(&mut batch());
    assert_eq!(last.code, 0, "{}", last.stderr);
    assert_eq!(
        outcome_counts(&last),
        BTreeMap::from([("already bought".to_owned(), 100)])
    );
    let rows = last.json();
    let seventh_row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["sn"] == seventh.sn.as_str())
        .unwrap();
    assert_eq!(seventh_row["orderNo"], seventh.order_no.as_str());

    // In the end every SN has exactly one order at the portal.
    let per_sn = portal.orders_per_sn();
    assert_eq!(per_sn.len(), 100);
    assert!(per_sn.values().all(|n| *n == 1), "{per_sn:?}");
    assert_eq!(per_sn.keys().cloned().collect::<Vec<_>>(), sns);
}

#[test]
fn stop_on_doubt_reconcile_settles_the_seventh_and_a_rerun_finishes_the_rest_with_no_duplicate() {
    let (portal, server) = FakePortal::start(Faults {
        reset_order: Some(7),
        ..Faults::default()
    });
    let env = TestEnv::new();
    let sns = fleet(100);
    let from = file(&env, "fleet.csv", &csv_of(&sns));
    let batch = || {
        let mut cmd = env.portal_cmd(&server.url);
        cmd.args(batch_args(&from)).args(["--jobs", "4", "--json"]);
        cmd
    };
    let first = run(&mut batch());
    assert_eq!(first.code, 7, "{}", first.stderr);
    let sent_first = portal.orders().len();
    let bought_first = sns_with(&first, "bought");

    let reconciled = run(env.portal_cmd(&server.url).args(["orders", "reconcile"]));
    assert_eq!(reconciled.code, 0, "{}", reconciled.stderr);
    assert!(
        reconciled.stdout.contains("settled"),
        "{}",
        reconciled.stdout
    );

    let rerun = run(&mut batch());
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    let already = sns_with(&rerun, "already bought");
    let mut expected_already = bought_first.clone();
    expected_already.push(portal.orders()[6].sn.clone());
    expected_already.sort();
    assert_eq!(already, expected_already);
    assert_eq!(sns_with(&rerun, "bought").len(), 100 - sent_first);
    let per_sn = portal.orders_per_sn();
    assert_eq!(per_sn.len(), 100);
    assert!(per_sn.values().all(|n| *n == 1), "{per_sn:?}");
}

#[cfg(unix)]
mod killed {
    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use super::*;

    /// A `std::process::Command` for linkus with the test's environment.
    fn linkus(env: &TestEnv) -> Command {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("linkus"));
        for (key, value) in env.cmd().get_envs() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command
    }

    struct Serve(Child);

    impl Drop for Serve {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// `linkus sandbox serve` with latency, as the portal; its URL.
    fn serve(env: &TestEnv, latency_ms: u64) -> (Serve, String) {
        let mut child = linkus(env)
            .args([
                "sandbox",
                "serve",
                "--port",
                "0",
                "--latency-ms",
                &latency_ms.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut url = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut url)
            .unwrap();
        (Serve(child), url.trim().to_owned())
    }

    fn orders_per_sn(store: &linkus_sandbox::Store) -> BTreeMap<String, usize> {
        let mut per_sn = BTreeMap::new();
        for order in store.load().orders {
            *per_sn.entry(order.product_no).or_insert(0) += 1;
        }
        per_sn
    }

    #[test]
    fn sigkill_halfway_then_rerun_reconcile_and_rerun_leave_one_order_per_pbx() {
        let env = TestEnv::new();
        let (_serve, url) = serve(&env, 80);
        let store = linkus_sandbox::Store::new(&env.data_dir().join("sandbox"));
        let sns = fleet(40);
        let from = file(&env, "fleet.csv", &csv_of(&sns));
        let batch = || {
            let mut cmd = env.cmd();
            cmd.env("LINKUS_BASE_URL", &url)
                .env("LINKUS_CLIENT_ID", "any-id")
                .env("LINKUS_CLIENT_SECRET", "any-secret-at-all")
                .args(batch_args(&from))
                .args(["--jobs", "2", "--json"]);
            cmd
        };

        // 1. SIGKILL once some orders are placed: no handler runs, nothing is tidied up.
        let mut child = linkus(&env)
            .env("LINKUS_BASE_URL", &url)
            .env("LINKUS_CLIENT_ID", "any-id")
            .env("LINKUS_CLIENT_SECRET", "any-secret-at-all")
            .args(batch_args(&from))
            .args(["--jobs", "2", "--json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while store.load().orders.len() < 9 {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the batch ended before it was killed"
            );
            assert!(Instant::now() < deadline, "no orders");
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let placed = orders_per_sn(&store);
        assert!(placed.len() < 40, "killed halfway: {} placed", placed.len());
        assert!(placed.values().all(|n| *n == 1));

        // 2. The same command again: no duplicate; every row is bought, already bought, or
        // blocked as unknown (it was on the wire when the batch died).
        let second = run(&mut batch());
        let per_sn = orders_per_sn(&store);
        assert!(per_sn.values().all(|n| *n == 1), "a duplicate: {per_sn:?}");
        let mut accounted = sns_with(&second, "bought");
        accounted.extend(sns_with(&second, "already bought"));
        let unknown = sns_with(&second, "blocked");
        accounted.extend(unknown.clone());
        accounted.sort();
        assert_eq!(accounted, sns, "{}", second.stdout);
        assert_eq!(
            second.code,
            if unknown.is_empty() { 0 } else { 9 },
            "{}",
            second.stderr
        );
        for sn in &unknown {
            let row = second
                .json()
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["sn"] == sn.as_str())
                .cloned()
                .unwrap();
            assert!(
                row["message"]
                    .as_str()
                    .unwrap()
                    .contains("has no known outcome"),
                "{row}"
            );
        }
        // The rows the first run had bought were not bought again.
        for sn in placed.keys() {
            assert_eq!(per_sn.get(sn), Some(&1));
        }

        // 3. `orders reconcile` settles what reached the portal; what never reached it is
        // marked as not placed, after looking (as a partner would in the portal).
        let reconciled = run(env
            .cmd()
            .env("LINKUS_BASE_URL", &url)
            .env("LINKUS_CLIENT_ID", "any-id")
            .env("LINKUS_CLIENT_SECRET", "any-secret-at-all")
            .args(["orders", "reconcile", "--json"]));
        let entries = reconciled.json();
        for entry in entries.as_array().unwrap() {
            let sn = entry["sn"].as_str().unwrap();
            assert!(unknown.iter().any(|u| u == sn), "{entry}");
            match entry["status"].as_str().unwrap() {
                "settled" => assert_eq!(per_sn.get(sn), Some(&1), "{entry}"),
                "unknown" => {
                    assert_eq!(per_sn.get(sn), None, "the portal has an order: {entry}");
                    let marked = run(env
                        .cmd()
                        .env("LINKUS_BASE_URL", &url)
                        .env("LINKUS_CLIENT_ID", "any-id")
                        .env("LINKUS_CLIENT_SECRET", "any-secret-at-all")
                        .args([
                            "orders",
                            "reconcile",
                            "--not-placed",
                            entry["entry"].as_str().unwrap(),
                            "--yes",
                        ]));
                    assert_eq!(marked.code, 0, "{}", marked.stderr);
                }
                other => panic!("{other}: {entry}"),
            }
        }

        // 4. A third run completes: every row bought or already bought, one order each.
        let third = run(&mut batch());
        assert_eq!(third.code, 0, "{}", third.stderr);
        let per_sn = orders_per_sn(&store);
        assert_eq!(per_sn.keys().cloned().collect::<Vec<_>>(), sns);
        assert!(per_sn.values().all(|n| *n == 1), "{per_sn:?}");
    }

    #[test]
    fn sigterm_during_a_batch_still_prints_every_row_and_writes_the_results() {
        let env = TestEnv::new();
        let (_serve, url) = serve(&env, 100);
        let store = linkus_sandbox::Store::new(&env.data_dir().join("sandbox"));
        let sns = fleet(30);
        let from = file(&env, "fleet.csv", &csv_of(&sns));
        let results = env.dir.path().join("results.csv");
        let child = linkus(&env)
            .env("LINKUS_BASE_URL", &url)
            .env("LINKUS_CLIENT_ID", "any-id")
            .env("LINKUS_CLIENT_SECRET", "any-secret-at-all")
            .args(batch_args(&from))
            .args([
                "--jobs",
                "2",
                "--json",
                "--results",
                &results.display().to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while store.load().orders.len() < 5 {
            assert!(Instant::now() < deadline, "no orders");
            std::thread::sleep(Duration::from_millis(5));
        }
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };

        assert_eq!(run.code, 143, "{}", run.stderr);
        assert!(run.stderr.contains("Interrupted"), "{}", run.stderr);
        assert!(
            !run.stderr.contains('\u{1b}'),
            "no terminal codes without a terminal: {:?}",
            run.stderr
        );
        // A list of outcomes is printed whatever the exit code: every row, once.
        let rows = run.json();
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 30, "{}", run.stdout);
        let placed: BTreeMap<String, String> = store
            .load()
            .orders
            .into_iter()
            .map(|o| (o.product_no, o.order_no))
            .collect();
        let mut in_doubt = 0;
        for (row, sn) in rows.iter().zip(&sns) {
            assert_eq!(row["sn"], sn.as_str());
            match row["outcome"].as_str().unwrap() {
                "bought" => assert_eq!(
                    Some(&row["orderNo"]),
                    placed.get(sn).map(|n| serde_json::json!(n)).as_ref(),
                    "{row}"
                ),
                "unknown" => {
                    in_doubt += 1;
                    assert!(
                        row["message"]
                            .as_str()
                            .unwrap()
                            .contains("orders reconcile"),
                        "{row}"
                    );
                }
                "not sent" => assert!(!placed.contains_key(sn), "{row}"),
                other => panic!("{other}: {row}"),
            }
        }
        assert!(in_doubt <= 2, "at most --jobs orders were on the wire");
        assert!(
            rows.iter().any(|r| r["outcome"] == "not sent"),
            "stopped halfway"
        );
        let written = std::fs::read_to_string(&results).unwrap();
        assert_eq!(written.lines().count(), 31, "{written}");
        assert!(
            written.starts_with("sn,outcome,orderNo,orderStatus,message\n"),
            "{written}"
        );
        // The orders on the wire are journaled as unknown: a rerun waits for reconcile.
        let unknown = env
            .journal_lines()
            .iter()
            .filter(|l| l["outcome"] == "unknown")
            .count();
        assert_eq!(unknown, in_doubt);
    }
}
