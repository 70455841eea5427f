//! Machines ordering at once for the same SN: exactly one order each time.

use super::*;

/// 2 machines x 4 runs at once for one SN, 20 times (a new SN each time): exactly one order
/// reaches the portal each time, one run exits 0, every other exits 9, and the team journal
/// holds exactly one entry for the SN.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_machines_four_runs_each_at_once_place_exactly_one_order_twenty_times() {
    let Some(db) = pg::database() else { return };
    let server = team_portal(Duration::from_millis(200)).await;
    let machines = [Machine::new("laptop-ana"), Machine::new("ci-runner-7")];
    for repetition in 0..20 {
        let sn = format!("3694716{repetition:05}");
        let children: Vec<_> = (0..8)
            .map(|i| {
                let mut cmd = machines[i % 2].cmd(&server, &db.url);
                cmd.args(purchase_args_for(&sn)).arg("--json");
                spawn(&cmd)
            })
            .collect();
        let runs: Vec<Run> = children.into_iter().map(finish).collect();
        let summary: String = runs
            .iter()
            .map(|run| format!("exit {}: {}\n", run.code, run.stderr))
            .collect();
        assert_eq!(
            orders_for(&server, &sn).await,
            1,
            "repetition {repetition}: not exactly one order\n{summary}"
        );
        assert_eq!(
            runs.iter().filter(|run| run.code == 0).count(),
            1,
            "repetition {repetition}\n{summary}"
        );
        assert!(
            runs.iter().all(|run| run.code == 0 || run.code == 9),
            "repetition {repetition}\n{summary}"
        );
        let rows = team_rows(&db.url, &sn);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][2].as_deref(), Some("succeed"), "{rows:?}");
        assert_eq!(rows[0][3].as_deref(), Some(ORDER_NO), "{rows:?}");
    }
}

/// A batch of the same 100 rows on each of two machines at once: each SN bought exactly once.
#[test]
fn a_batch_of_100_rows_on_each_of_two_machines_at_once_buys_each_sn_exactly_once() {
    use crate::batch::portal::{FakePortal, Faults};
    use crate::batch::{batch_args, csv_of, file, fleet};
    let Some(db) = pg::database() else { return };
    let (portal, server) = FakePortal::start(Faults {
        read_delay: Duration::from_millis(20),
        ..Faults::default()
    });
    let machines = [Machine::new("laptop-ana"), Machine::new("ci-runner-7")];
    let sns = fleet(100);
    let children: Vec<_> = machines
        .iter()
        .map(|machine| {
            let from = file(&machine.env, "fleet.csv", &csv_of(&sns));
            let mut cmd = machine.cmd_at(&server.url, &db.url);
            cmd.args(batch_args(&from)).arg("--json");
            spawn(&cmd)
        })
        .collect();
    let runs: Vec<Run> = children.into_iter().map(finish).collect();
    let per_sn = portal.orders_per_sn();
    assert_eq!(
        per_sn.len(),
        100,
        "{per_sn:?}\n{}\n{}",
        runs[0].stderr,
        runs[1].stderr
    );
    assert!(
        per_sn.values().all(|n| *n == 1),
        "an SN bought twice: {per_sn:?}"
    );
    let settled = pg::rows(
        &db.url,
        "SELECT count(*) FROM linkus_entries WHERE outcome = 'succeed'",
    );
    assert_eq!(settled[0][0].as_deref(), Some("100"));
    for run in &runs {
        assert!(
            matches!(run.code, 0 | 9 | 5),
            "exit {}: {}",
            run.code,
            run.stderr
        );
    }
}

/// A batch that ran on one machine, run again on another (a CI runner with empty folders):
/// every row is "already bought" from the team journal, exit 0, nothing ordered again.
#[test]
fn a_batch_run_again_on_another_machine_reports_the_rows_already_bought() {
    use crate::batch::portal::{FakePortal, Faults};
    use crate::batch::{batch_args, csv_of, file, fleet};
    let Some(db) = pg::database() else { return };
    let (portal, server) = FakePortal::start(Faults::default());
    let (ana, ci) = (Machine::new("laptop-ana"), Machine::new("ci-runner-7"));
    let sns = fleet(10);
    let batch = |machine: &Machine| {
        let from = file(&machine.env, "fleet.csv", &csv_of(&sns));
        let mut cmd = machine.cmd_at(&server.url, &db.url);
        cmd.args(batch_args(&from)).arg("--json");
        run(&mut cmd)
    };
    let first = batch(&ana);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(crate::batch::count_outcome(&first, "bought"), 10);
    let again = batch(&ci);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_eq!(
        crate::batch::count_outcome(&again, "already bought"),
        10,
        "{}",
        again.stdout
    );
    assert_eq!(portal.orders().len(), 10);
}

/// A batch opens the pool's connections while it checks its rows (`-v` counts the
/// statements): every order waits for exactly one statement before it is sent, the claim,
/// and one after, the outcome; none pays for a connection's set-up. Without the warm-up the
/// first `--jobs` orders each sent two before.
#[test]
fn a_batch_sends_one_statement_before_each_order_and_one_after() {
    use crate::batch::portal::{FakePortal, Faults};
    use crate::batch::{batch_args, csv_of, file, fleet};
    let Some(db) = pg::database() else { return };
    let (portal, server) = FakePortal::start(Faults {
        read_delay: Duration::from_millis(50),
        ..Faults::default()
    });
    let machine = Machine::new("laptop-ana");
    let sns = fleet(24);
    let from = file(&machine.env, "fleet.csv", &csv_of(&sns));
    let mut cmd = machine.cmd_at(&server.url, &db.url);
    cmd.arg("-v").args(batch_args(&from)).args(["--jobs", "8"]);
    let run = run(&mut cmd);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(portal.orders().len(), 24);
    let counts = |when: &str| -> Vec<String> {
        run.stderr
            .lines()
            .filter_map(|line| line.split("team journal: ").nth(1))
            .filter(|rest| rest.contains(&format!("statement(s) {when} the order")))
            .map(|rest| rest.split(' ').next().unwrap_or_default().to_owned())
            .collect()
    };
    let before = counts("before");
    assert_eq!(before.len(), 24, "{}", run.stderr);
    assert!(
        before.iter().all(|n| n == "1"),
        "{before:?}\n{}",
        run.stderr
    );
    let after = counts("after");
    assert_eq!(after.len(), 24, "{}", run.stderr);
    assert!(after.iter().all(|n| n == "1"), "{after:?}");
}

/// The body of an order sent through `linkus api` with an `operationType` linkus does not
/// know (the portal's `renew_service`): it counts as every operation.
fn unknown_operation_body(machine: &Machine) -> std::path::PathBuf {
    let file = machine.env.dir.path().join("renew-service.json");
    std::fs::write(
        &file,
        format!(
            r#"{{"operationType":"renew_service","productId":9,"productNo":"{SN}","billingId":{CONTACT_ID},"serviceList":[{{"serviceType":"plan","serviceId":{PLAN_ID},"purchaseType":"renew","billingModel":"recurring","billingCycle":"annually","multiCycle":1}}]}}"#
        ),
    )
    .unwrap();
    file
}

/// A portal on which the SN is subscribed (so that it may be renewed), slow to list orders.
async fn renewing_team_portal() -> MockServer {
    let portal = team_portal(Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path(DETAILS_PATH))
        .respond_with(subscribed("2030-06-30 00:00:00"))
        .with_priority(1)
        .mount(&portal)
        .await;
    portal
}

#[tokio::test]
async fn an_api_order_of_an_unknown_operation_on_one_machine_blocks_a_renewal_on_another() {
    let Some(db) = pg::database() else { return };
    let portal = renewing_team_portal().await;
    let laptop = Machine::new("laptop-a");
    let runner = Machine::new("ci-runner");
    let body = unknown_operation_body(&laptop);
    let body = body.to_str().unwrap();

    let first = laptop
        .run(
            &portal,
            &db.url,
            &["api", "POST", ORDER_PATH, "--input", body],
        )
        .await;
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(orders_for(&portal, SN).await, 1);

    let renew = runner
        .run(&portal, &db.url, &crate::never_twice::renew_args_for(SN))
        .await;
    assert_eq!(renew.code, 9, "{}", renew.stderr);
    assert!(renew.stderr.contains(ORDER_NO), "{}", renew.stderr);
    assert_eq!(orders_for(&portal, SN).await, 1);
}

#[tokio::test]
async fn an_api_order_of_an_unknown_operation_is_blocked_by_another_machine_s_renewal() {
    let Some(db) = pg::database() else { return };
    let portal = renewing_team_portal().await;
    let laptop = Machine::new("laptop-a");
    let runner = Machine::new("ci-runner");

    let renew = runner
        .run(&portal, &db.url, &crate::never_twice::renew_args_for(SN))
        .await;
    assert_eq!(renew.code, 0, "{}", renew.stderr);
    assert_eq!(orders_for(&portal, SN).await, 1);

    let body = unknown_operation_body(&laptop);
    let odd = laptop
        .run(
            &portal,
            &db.url,
            &["api", "POST", ORDER_PATH, "--input", body.to_str().unwrap()],
        )
        .await;
    assert_eq!(odd.code, 9, "{}", odd.stderr);
    assert!(odd.stderr.contains(ORDER_NO), "{}", odd.stderr);
    assert_eq!(orders_for(&portal, SN).await, 1);
}
