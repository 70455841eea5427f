//! Runs at once for the same SN: one order, the others exit 9 naming the first; locks that a
//! dead process releases; sandboxes of different homes that never block each other.

use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

/// A portal that does not deduplicate orders and answers everything after `latency`.
pub(super) async fn slow_portal(latency: Duration) -> MockServer {
    let server = MockServer::start().await;
    slow_routes(&server, latency).await;
    server
}

/// The routes of [`slow_portal`], mounted on a server (again after a reset).
pub(super) async fn slow_routes(server: &MockServer, latency: Duration) {
    let token = ResponseTemplate::new(200)
        .set_body_json(envelope(token_result(ACCESS_1, REFRESH_1, "1800")));
    let routes = [
        ("POST", TOKEN_PATH, token),
        ("GET", PLANS_PATH, json_response(plans_body())),
        ("GET", CONTACTS_PATH, json_response(contacts_body())),
        ("GET", PRICE_PATH, json_response(prices_body())),
        ("GET", DETAILS_PATH, not_subscribed()),
        ("GET", INSTANCES_PATH, empty_page()),
        ("GET", ORDERS_PATH, empty_page()),
        ("POST", ORDER_PATH, order_created("succeed")),
    ];
    for (verb, route, response) in routes {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(response.set_delay(latency))
            .mount(server)
            .await;
    }
}

/// Starts every command at once; exactly one order reaches the portal, one run exits 0 and
/// every other exits 9 naming the first by its pid, in its text and its JSON.
async fn one_order_from(server: &MockServer, cmds: Vec<assert_cmd::Command>) -> Vec<Run> {
    let children: Vec<(u32, std::process::Child)> = cmds
        .iter()
        .map(|cmd| {
            let child = spawn(cmd);
            (child.id(), child)
        })
        .collect();
    let runs: Vec<(u32, Run)> = children
        .into_iter()
        .map(|(pid, child)| (pid, finish(child)))
        .collect();
    let summary: Vec<String> = runs
        .iter()
        .map(|(pid, run)| format!("pid {pid}: exit {}\n{}", run.code, run.stderr))
        .collect();
    let summary = summary.join("\n");
    assert_eq!(
        count(server, "POST", ORDER_PATH).await,
        1,
        "not exactly one order:\n{summary}"
    );
    let winners: Vec<u32> = runs
        .iter()
        .filter(|(_, run)| run.code == 0)
        .map(|(pid, _)| *pid)
        .collect();
    let [winner] = winners[..] else {
        panic!("not exactly one run exited 0:\n{summary}");
    };
    for (pid, run) in &runs {
        if *pid == winner {
            assert_eq!(run.json()["orderNo"], ORDER_NO, "{}", run.stdout);
            continue;
        }
        assert_eq!(run.code, 9, "{summary}");
        assert!(
            run.stderr.contains(&format!("pid {winner}"))
                && run.stderr.contains("nothing was sent"),
            "run {pid} does not name the first:\n{}",
            run.stderr
        );
        let error = &run.json()["error"];
        assert_eq!(error["kind"], "blocked");
        assert_eq!(error["blockedBy"]["pid"], winner, "{error}");
    }
    runs.into_iter().map(|(_, run)| run).collect()
}

#[tokio::test]
async fn eight_runs_at_once_in_one_home_place_one_order_and_the_others_exit_9_naming_it() {
    let server = slow_portal(Duration::from_millis(300)).await;
    let env = TestEnv::new();
    let cmds = (0..8)
        .map(|_| {
            let mut cmd = env.portal_cmd(&server.uri());
            cmd.args(purchase_args()).arg("--json");
            cmd
        })
        .collect();
    one_order_from(&server, cmds).await;
    // The refused runs wrote nothing: one intent, one outcome.
    let lines = env.journal_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[1]["outcome"], "succeed");
}

#[tokio::test]
async fn eight_runs_at_once_in_eight_homes_place_one_order_and_the_others_exit_9_naming_it() {
    let server = slow_portal(Duration::from_millis(300)).await;
    let envs: Vec<TestEnv> = (0..8).map(|_| TestEnv::new()).collect();
    // One user, eight HOMEs and data folders: the lock folder does not depend on them.
    let locks = envs[0].lock_dir();
    let cmds = envs
        .iter()
        .map(|env| {
            let mut cmd = env.portal_cmd(&server.uri());
            cmd.env("LINKUS_LOCK_DIR", &locks)
                .args(purchase_args())
                .arg("--json");
            cmd
        })
        .collect();
    one_order_from(&server, cmds).await;
    let journals: Vec<usize> = envs.iter().map(|env| env.journal_lines().len()).collect();
    assert_eq!(
        journals.iter().filter(|lines| **lines == 2).count(),
        1,
        "{journals:?}"
    );
    assert_eq!(journals.iter().sum::<usize>(), 2, "{journals:?}");

    // A later run from another home sees that order beside the locks: the 24-hour rule.
    let later = run(envs[3]
        .portal_cmd(&server.uri())
        .env("LINKUS_LOCK_DIR", &locks)
        .args(purchase_args()));
    assert_eq!(later.code, 9, "{}", later.stderr);
    assert!(
        later.stderr.contains(&format!("--again {ORDER_NO}")),
        "{}",
        later.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
}

/// The sandbox's locks are keyed by its state folder: two homes, one lock folder, both buy.
#[test]
fn sandbox_purchases_in_two_homes_at_once_never_block_each_other() {
    let first = TestEnv::new();
    let second = TestEnv::new();
    let cmds: Vec<assert_cmd::Command> = [&first, &second]
        .iter()
        .map(|env| {
            let mut cmd = env.sandbox_cmd();
            cmd.env("LINKUS_LOCK_DIR", first.lock_dir())
                .args(purchase_args());
            cmd
        })
        .collect();
    let children: Vec<_> = cmds.iter().map(spawn).collect();
    for child in children {
        let run = finish(child);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    for env in [&first, &second] {
        let lines = env.journal_lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[1]["outcome"], "succeed");
    }
}

/// A run killed while it waits for the order's answer leaves no lock behind: the next run is
/// not refused for the lock, but (rightly) for the journal's unknown entry.
#[test]
fn a_lock_is_released_when_its_process_is_killed() {
    let server = raw_portal(|_| Reply::Hang(Duration::from_secs(60)));
    let env = TestEnv::new();
    let mut holder = spawn(env.portal_cmd(&server.url).args(purchase_args()));
    wait_until("the order is on the wire", || {
        server.count("POST", ORDER_PATH) == 1
    });
    holder.kill().unwrap();
    holder.wait().unwrap();

    let next = run(env.portal_cmd(&server.url).args(purchase_args()));
    assert_eq!(next.code, 9, "{}", next.stderr);
    assert!(
        !next.stderr.contains("Another linkus"),
        "refused for the dead run's lock:\n{}",
        next.stderr
    );
    let entry = first_entry(&env);
    assert!(
        next.stderr.contains("has no known outcome")
            && next
                .stderr
                .contains(&format!("orders reconcile --not-placed {entry}")),
        "{}",
        next.stderr
    );
    assert_eq!(server.count("POST", ORDER_PATH), 1);
}
