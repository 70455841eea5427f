//! One `HOME`, several lock folders (a cron job without `XDG_RUNTIME_DIR` beside a login
//! shell): the journal in the data folder is the guard they share, read and written in one
//! step under its own lock (CLI.md section 3, "The record is the guard"; issue 16 path 3).

use std::time::Duration;

use super::concurrency::{slow_portal, slow_routes};
use super::*;

/// Eight runs at once with one data folder and eight lock folders, twenty times over: every
/// time exactly one order reaches a portal that does not deduplicate, one run exits 0 and
/// the seven others exit 9 with nothing sent.
#[tokio::test]
async fn eight_runs_in_one_home_with_eight_lock_folders_place_one_order_twenty_times_over() {
    // One portal for all: a wiremock server dropped inside the loop can hang the test.
    let server = slow_portal(Duration::from_millis(100)).await;
    for repetition in 0..20 {
        if repetition > 0 {
            server.reset().await;
            slow_routes(&server, Duration::from_millis(100)).await;
        }
        let env = TestEnv::new();
        let children: Vec<std::process::Child> = (0..8)
            .map(|folder| {
                let mut cmd = env.portal_cmd(&server.uri());
                cmd.env(
                    "LINKUS_LOCK_DIR",
                    env.dir.path().join(format!("locks-{folder}")),
                )
                .args(purchase_args())
                .arg("--json");
                spawn(&cmd)
            })
            .collect();
        let runs: Vec<Run> = children.into_iter().map(finish).collect();
        let summary: String = runs
            .iter()
            .map(|run| format!("exit {}: {}\n", run.code, run.stderr.trim()))
            .collect();
        assert_eq!(
            count(&server, "POST", ORDER_PATH).await,
            1,
            "repetition {repetition}: not exactly one order:\n{summary}"
        );
        assert_eq!(
            runs.iter().filter(|run| run.code == 0).count(),
            1,
            "repetition {repetition}:\n{summary}"
        );
        for run in runs.iter().filter(|run| run.code != 0) {
            assert_eq!(run.code, 9, "repetition {repetition}:\n{summary}");
            assert!(
                run.stderr.contains("Nothing was sent") || run.stderr.contains("nothing was sent"),
                "{summary}"
            );
            assert_eq!(run.json()["error"]["kind"], "blocked", "{summary}");
        }
        // One intent, one outcome: the refused runs wrote nothing to the shared journal.
        let lines = env.journal_lines();
        let intents = lines
            .iter()
            .filter(|line| line["event"] == "intent")
            .count();
        assert_eq!(intents, 1, "repetition {repetition}: {lines:?}");
    }
}

/// `localhost` and `127.0.0.1`, upper case and a trailing slash: one portal, one lock key and
/// one record. A second home that shares only the lock folder is blocked by the record, and
/// the same home by its journal, whichever spelling each run uses.
#[tokio::test]
async fn two_spellings_of_one_portal_place_one_order() {
    let server = ordering_portal().await;
    let port = server.address().port();
    let env = TestEnv::new();
    let first = run(env
        .portal_cmd(&format!("http://127.0.0.1:{port}"))
        .args(purchase_args()));
    assert_eq!(first.code, 0, "{}", first.stderr);
    for spelling in [
        format!("http://localhost:{port}/"),
        format!("HTTP://LOCALHOST:{port}"),
        format!("http://[::1]:{port}/"),
    ] {
        // The same home: the journal.
        let again = run(env.portal_cmd(&spelling).args(purchase_args()));
        assert_eq!(again.code, 9, "{spelling}: {}", again.stderr);
        assert!(
            again.stderr.contains("already had a purchase")
                && again.stderr.contains(&format!("--again {ORDER_NO}")),
            "{spelling}: {}",
            again.stderr
        );
        // Another home sharing the lock folder: the record beside the locks.
        let other = TestEnv::new();
        let elsewhere = run(other
            .portal_cmd(&spelling)
            .env("LINKUS_LOCK_DIR", env.lock_dir())
            .args(purchase_args()));
        assert_eq!(elsewhere.code, 9, "{spelling}: {}", elsewhere.stderr);
    }
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
}
