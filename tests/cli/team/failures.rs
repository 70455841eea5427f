//! The database away, or lost: fail closed before the order; the order's outcome decides
//! after it.

use super::*;

use std::time::Instant;

/// Waits (at most 20 s) until the team journal holds an entry in flight for `sn`.
pub fn wait_for_intent(database: &str, sn: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let rows = pg::sql(
            database,
            &format!("SELECT 1 FROM linkus_entries WHERE sn = '{sn}' AND outcome IS NULL"),
        )
        .map(|messages| {
            messages
                .iter()
                .any(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(_)))
        })
        .unwrap_or(false);
        if rows {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no intent for {sn} in the team journal"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts the usual purchase on `machine` and stops the database once its intent is in the
/// team journal, while its order is on the wire; the run's result.
fn database_lost_while_ordering(
    server: &pg::PgServer,
    machine: &Machine,
    portal: &MockServer,
    url: &str,
) -> Run {
    let mut cmd = machine.cmd(portal, url);
    cmd.args(purchase_args());
    let child = spawn(&cmd);
    wait_for_intent(url, SN);
    server.stop();
    finish(child)
}

/// The usual purchase on `machine` is refused by the 24-hour rule: exit 9, naming `--again`
/// with the order that succeeded.
async fn assert_blocked_by_the_24_hour_rule(machine: &Machine, portal: &MockServer, url: &str) {
    let again = machine.purchase(portal, url, &[]).await;
    assert_eq!(again.code, 9, "{}", again.stderr);
    assert!(
        again.stderr.contains(&format!("--again {ORDER_NO}")),
        "{}",
        again.stderr
    );
}

#[tokio::test]
async fn the_database_stopped_before_the_order_exits_6_naming_the_team_journal_and_sends_nothing() {
    let Some((server, url)) = pg::private() else {
        return;
    };
    let portal = team_portal(Duration::ZERO).await;
    let machine = Machine::new("laptop-ana");
    server.stop();
    let run = machine.purchase(&portal, &url, &["--timeout", "5"]).await;
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("team journal"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was bought"), "{}", run.stderr);
    assert_eq!(count(&portal, "POST", ORDER_PATH).await, 0);
    // Nothing that blocks was left behind in the local journal: the journal's claim, made
    // first, was taken back.
    let lines = machine.env.journal_lines();
    assert!(
        lines.is_empty() || lines.last().unwrap()["outcome"] == "not_sent",
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_lost_while_the_order_is_on_the_wire_the_order_decides_and_team_sync_catches_up(
) {
    let Some((mut server, url)) = pg::private() else {
        return;
    };
    let portal = team_portal(Duration::from_millis(5000)).await;
    let (ana, ci) = (Machine::new("laptop-ana"), Machine::new("ci-runner-7"));
    let first = database_lost_while_ordering(&server, &ana, &portal, &url);
    // The order succeeded: that is the exit code, with a warning about the team journal.
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains("team journal missed"),
        "{}",
        first.stderr
    );
    assert!(
        first.stderr.contains("linkus team sync"),
        "{}",
        first.stderr
    );
    assert_eq!(ana.env.journal_lines()[1]["outcome"], "succeed");

    server.start();
    // The other machine stays blocked: the entry is still in flight.
    let blocked = ci.purchase(&portal, &url, &["--json"]).await;
    assert_eq!(blocked.code, 9, "{}", blocked.stderr);
    assert!(blocked.stderr.contains("laptop-ana"), "{}", blocked.stderr);
    assert_eq!(blocked.json()["error"]["blockedBy"]["source"], "team");
    assert_eq!(blocked.json()["error"]["blockedBy"]["host"], "laptop-ana");

    // `team sync` on the first machine writes the outcome...
    let sync = ana.run(&portal, &url, &["team", "sync", "--json"]).await;
    assert_eq!(sync.code, 0, "{}", sync.stderr);
    assert_eq!(sync.json()["written"], 1, "{}", sync.stdout);
    // ...and then the 24-hour rule applies on the other machine.
    assert_blocked_by_the_24_hour_rule(&ci, &portal, &url).await;
    assert_eq!(count(&portal, "POST", ORDER_PATH).await, 1);
}

/// `linkus api` to the order path says what a purchase says when the database is lost while
/// its order is on the wire: the team journal missed the outcome, `linkus team sync` writes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_order_with_the_database_lost_on_the_wire_says_to_run_team_sync() {
    let Some((server, url)) = pg::private() else {
        return;
    };
    let portal = team_portal(Duration::from_millis(5000)).await;
    let ana = Machine::new("laptop-ana");
    let body = ana.env.dir.path().join("order.json");
    std::fs::write(
        &body,
        format!(
            r#"{{"operationType":"purchase_plan","productId":9,"productNo":"{SN}","billingId":{CONTACT_ID},"serviceList":[{{"serviceType":"plan","serviceId":{PLAN_ID},"purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":1}}]}}"#
        ),
    )
    .unwrap();
    let mut cmd = ana.cmd(&portal, &url);
    cmd.args(["api", "POST", ORDER_PATH, "--input"]).arg(&body);
    let child = spawn(&cmd);
    wait_for_intent(&url, SN);
    server.stop();
    let run = finish(child);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("team journal missed"), "{}", run.stderr);
    assert!(run.stderr.contains("linkus team sync"), "{}", run.stderr);
    assert_eq!(count(&portal, "POST", ORDER_PATH).await, 1);
}

/// A batch row whose order went out while the database was lost says so in its message, with
/// `linkus team sync`, as a single purchase does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_row_with_the_database_lost_on_the_wire_says_to_run_team_sync() {
    let Some((server, url)) = pg::private() else {
        return;
    };
    let portal = team_portal(Duration::from_millis(5000)).await;
    let ana = Machine::new("laptop-ana");
    let file = ana.env.dir.path().join("pbxs.csv");
    std::fs::write(
        &file,
        format!("sn,plan,years\n{SN},Linkus Cloud Service,1\n"),
    )
    .unwrap();
    let mut cmd = ana.cmd(&portal, &url);
    cmd.args(["purchase", "--from"]).arg(&file).args([
        "--billing-contact",
        CONTACT_ID,
        "--yes",
        "--json",
    ]);
    let child = spawn(&cmd);
    wait_for_intent(&url, SN);
    server.stop();
    let run = finish(child);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = run.json();
    let message = rows[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("team journal missed"), "{rows}");
    assert!(message.contains("linkus team sync"), "{rows}");
    assert_eq!(count(&portal, "POST", ORDER_PATH).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_between_intent_and_outcome_still_gets_the_outcome_written() {
    let Some(db) = pg::database() else { return };
    let portal = team_portal(Duration::from_millis(3000)).await;
    let ana = Machine::new("laptop-ana");
    let mut cmd = ana.cmd(&portal, &db.url);
    cmd.args(purchase_args());
    let child = spawn(&cmd);
    wait_for_intent(&db.url, SN);
    let killed = pg::rows(
        &db.url,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' AND application_name LIKE 'linkus/%'",
            db.name
        ),
    );
    assert!(!killed.is_empty(), "no linkus connection to kill");
    let run = finish(child);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stderr.contains("team journal missed"),
        "{}",
        run.stderr
    );
    let rows = team_rows(&db.url, SN);
    assert_eq!(rows[0][2].as_deref(), Some("succeed"), "{rows:?}");
}

/// Starts a purchase on `machine` and kills it with SIGKILL once its intent is in the team
/// journal and its order is on the wire.
async fn killed_while_ordering(machine: &Machine, portal: &MockServer, database: &str) {
    let mut cmd = machine.cmd(portal, database);
    cmd.args(purchase_args());
    let mut child = spawn(&cmd);
    wait_for_intent(database, SN);
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(portal, "POST", ORDER_PATH).await == 0 {
        assert!(
            Instant::now() < deadline,
            "the order never reached the portal"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_while_its_order_is_on_the_wire_blocks_the_other_machine_until_reconcile_settles_it(
) {
    let Some(db) = pg::database() else { return };
    let portal = team_portal(Duration::from_secs(30)).await;
    let (ana, ci) = (Machine::new("laptop-ana"), Machine::new("ci-runner-7"));
    killed_while_ordering(&ana, &portal, &db.url).await;

    let blocked = ci.purchase(&portal, &db.url, &["--json"]).await;
    assert_eq!(blocked.code, 9, "{}", blocked.stderr);
    assert!(blocked.stderr.contains("laptop-ana"), "{}", blocked.stderr);
    assert!(blocked.stderr.contains(" ago"), "{}", blocked.stderr);
    let by = &blocked.json()["error"]["blockedBy"];
    assert_eq!(by["source"], "team", "{by}");
    assert_eq!(by["host"], "laptop-ana", "{by}");
    assert!(by["age"].as_u64().is_some_and(|age| age < 120), "{by}");

    // The portal lists the order the killed run placed: reconcile on the other machine
    // settles the entry, naming who made it.
    let _listed = crate::never_twice::list_orders(
        &portal,
        vec![crate::never_twice::listed(ORDER_NO, SN, "succeed", 1000)],
    )
    .await;
    let reconciled = ci.run(&portal, &db.url, &["orders", "reconcile"]).await;
    assert_eq!(reconciled.code, 0, "{}", reconciled.stderr);
    assert!(
        reconciled.stdout.contains(ORDER_NO),
        "{}",
        reconciled.stdout
    );
    assert!(
        reconciled.stdout.contains("laptop-ana"),
        "{}",
        reconciled.stdout
    );
    let rows = team_rows(&db.url, SN);
    assert_eq!(rows[0][2].as_deref(), Some("succeed"), "{rows:?}");

    // Settled: now the 24-hour rule speaks, on either machine.
    assert_blocked_by_the_24_hour_rule(&ci, &portal, &db.url).await;
    assert_eq!(count(&portal, "POST", ORDER_PATH).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_left_by_a_dead_machine_is_released_by_not_placed_on_another_machine() {
    let Some(db) = pg::database() else { return };
    let portal = team_portal(Duration::from_secs(30)).await;
    let (ana, ci) = (Machine::new("laptop-ana"), Machine::new("ci-runner-7"));
    killed_while_ordering(&ana, &portal, &db.url).await;
    let entry = team_rows(&db.url, SN)[0][0].clone().unwrap();

    // The portal shows no order: reconcile says so, naming the machine, and exits 7.
    let still = ci.run(&portal, &db.url, &["orders", "reconcile"]).await;
    assert_eq!(still.code, 7, "{}\n{}", still.stdout, still.stderr);
    assert!(still.stdout.contains(&entry), "{}", still.stdout);
    assert!(still.stdout.contains("laptop-ana"), "{}", still.stdout);

    let marked = ci
        .run(
            &portal,
            &db.url,
            &["orders", "reconcile", "--not-placed", &entry, "--yes"],
        )
        .await;
    assert_eq!(marked.code, 0, "{}", marked.stderr);
    assert!(marked.stderr.contains("laptop-ana"), "{}", marked.stderr);
    assert_eq!(team_rows(&db.url, SN)[0][2].as_deref(), Some("not_placed"));

    // The SN is free again for the team (the portal now answers orders at once).
    Mock::given(method("POST"))
        .and(path(ORDER_PATH))
        .respond_with(order_created("succeed"))
        .with_priority(1)
        .mount(&portal)
        .await;
    let bought = ci.purchase(&portal, &db.url, &[]).await;
    assert_eq!(bought.code, 0, "{}", bought.stderr);
}

#[tokio::test]
async fn a_database_that_never_answers_is_given_up_within_the_timeout_and_nothing_is_sent() {
    // Accepts connections and says nothing.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let portal = team_portal(Duration::ZERO).await;
    let machine = Machine::new("laptop-ana");
    let mut cmd = machine.cmd(
        &portal,
        &format!("postgresql://linkus@127.0.0.1:{port}/team?sslmode=disable"),
    );
    cmd.args(purchase_args()).args(["--timeout", "2"]);
    let started = Instant::now();
    let run = run_async(cmd).await;
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("team journal"), "{}", run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(count(&portal, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn a_schema_newer_than_this_linkus_knows_is_exit_6_upgrade_linkus() {
    let Some(db) = pg::database() else { return };
    let portal = team_portal(Duration::ZERO).await;
    let machine = Machine::new("laptop-ana");
    assert_eq!(
        machine.run(&portal, &db.url, &["team", "init"]).await.code,
        0
    );
    pg::sql(&db.url, "INSERT INTO linkus_schema (version) VALUES (99)").unwrap();
    let run = machine.purchase(&portal, &db.url, &[]).await;
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("Upgrade linkus"), "{}", run.stderr);
    assert_eq!(count(&portal, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn a_role_that_may_not_create_the_schema_is_told_to_run_team_init_and_then_orders() {
    let Some(db) = pg::database() else { return };
    let portal = team_portal(Duration::ZERO).await;
    let machine = Machine::new("laptop-ana");
    let role = format!("clerk_{}", db.name);
    pg::sql(
        &db.url,
        &format!(
            "CREATE ROLE {role} LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC; REVOKE CREATE ON SCHEMA public FROM {role}"
        ),
    )
    .unwrap();
    let clerk_url = db.url.replacen("postgres@", &format!("{role}@"), 1);
    let run = machine.purchase(&portal, &clerk_url, &[]).await;
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("linkus team init"), "{}", run.stderr);
    assert!(run.stderr.contains(&role), "{}", run.stderr);
    assert_eq!(count(&portal, "POST", ORDER_PATH).await, 0);

    // The owner runs `team init` once and grants what orders need.
    assert_eq!(
        machine.run(&portal, &db.url, &["team", "init"]).await.code,
        0
    );
    pg::sql(
        &db.url,
        &format!("GRANT SELECT, INSERT, UPDATE ON linkus_entries, linkus_schema TO {role}"),
    )
    .unwrap();
    let run = machine.purchase(&portal, &clerk_url, &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_order_from_the_machine_writes_the_outcome_the_team_journal_missed() {
    let Some((mut server, url)) = pg::private() else {
        return;
    };
    let portal = team_portal(Duration::from_millis(5000)).await;
    let (ana, ci) = (Machine::new("laptop-ana"), Machine::new("ci-runner-7"));
    let first = database_lost_while_ordering(&server, &ana, &portal, &url);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains("next order from this machine"),
        "{}",
        first.stderr
    );
    server.start();

    // Another order from the same machine, for another PBX, writes the missed outcome first.
    let next = ana
        .run(&portal, &url, &purchase_args_for("369471667339"))
        .await;
    assert_eq!(next.code, 0, "{}", next.stderr);
    assert!(next.stderr.contains("had missed"), "{}", next.stderr);
    assert_eq!(team_rows(&url, SN)[0][2].as_deref(), Some("succeed"));
    assert_blocked_by_the_24_hour_rule(&ci, &portal, &url).await;
}

/// The pooled connections of a batch are killed by the server while idle between rows: each
/// row's claim finds its connection stale and goes on a new one; every row is bought once.
#[test]
fn stale_pooled_connections_are_replaced_before_the_intent_and_every_row_is_bought_once() {
    use crate::batch::portal::{FakePortal, Faults};
    use crate::batch::{batch_args, csv_of, file, fleet};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let Some(db) = pg::database() else { return };
    let (portal, server) = FakePortal::start(Faults {
        read_delay: Duration::from_millis(30),
        ..Faults::default()
    });
    let machine = Machine::new("laptop-ana");
    let sns = fleet(40);
    let from = file(&machine.env, "fleet.csv", &csv_of(&sns));
    let mut cmd = machine.cmd_at(&server.url, &db.url);
    cmd.args(batch_args(&from)).args(["--jobs", "2", "--json"]);

    let stop = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let killer = {
        let (stop, killed, url, name) = (
            stop.clone(),
            killed.clone(),
            db.url.clone(),
            db.name.clone(),
        );
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let rows = pg::rows(
                    &url,
                    &format!(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' \
                         AND application_name LIKE 'linkus/%' AND state = 'idle' \
                         AND backend_start < now() - interval '300 milliseconds'"
                    ),
                );
                killed.fetch_add(rows.len(), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let run = run(&mut cmd);
    stop.store(true, Ordering::SeqCst);
    killer.join().unwrap();
    let not_bought: Vec<String> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["outcome"] != "bought")
        .map(|row| format!("{}: {}", row["outcome"], row["message"]))
        .collect();
    assert_eq!(run.code, 0, "{not_bought:#?}");
    assert!(
        killed.load(Ordering::SeqCst) > 0,
        "no pooled connection was killed"
    );
    let per_sn = portal.orders_per_sn();
    assert_eq!(per_sn.len(), 40, "{per_sn:?}");
    assert!(per_sn.values().all(|n| *n == 1), "{per_sn:?}");
}

/// The claim waits on the SN's lock (held here, as a run of another machine would for a
/// moment), and its session is terminated before it answers: the intent's commit is in doubt,
/// so nothing is sent, exit 6.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_whose_commit_is_in_doubt_sends_nothing() {
    let Some(db) = pg::database() else { return };
    let portal = team_portal(Duration::ZERO).await;
    let ana = Machine::new("laptop-ana");
    assert_eq!(ana.run(&portal, &db.url, &["team", "init"]).await.code, 0);

    let config: tokio_postgres::Config = db.url.replace("?sslmode=disable", "").parse().unwrap();
    let (holder, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let portal_label = format!("{}/", portal.uri());
    holder
        .simple_query(&format!(
            "SELECT pg_advisory_lock(linkus_lock_key('{portal_label}', '{SN}'))"
        ))
        .await
        .unwrap();

    let mut cmd = ana.cmd(&portal, &db.url);
    cmd.args(purchase_args());
    let child = spawn(&cmd);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let waiting = pg::rows(
            &db.url,
            &format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{}' AND application_name LIKE 'linkus/%' \
                 AND wait_event_type = 'Lock'",
                db.name
            ),
        );
        if !waiting.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the claim never waited on the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let run = finish(child);
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("did not confirm"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was bought"), "{}", run.stderr);
    assert_eq!(count(&portal, "POST", ORDER_PATH).await, 0);
    // The journal's claim, made first, was taken back: nothing blocks this SN locally.
    let lines = ana.env.journal_lines();
    assert!(
        lines.is_empty() || lines.last().unwrap()["outcome"] == "not_sent",
        "{lines:?}"
    );
    drop(holder);
}
