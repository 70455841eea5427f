//! A portal (or load balancer) that closes idle keep-alive connections: the order must never
//! go out on a connection the server has closed, where it would be lost unnoticed and
//! reported as "unknown" (exit 7) although the portal received nothing.

use std::time::Duration;

use super::*;

/// `runs` purchases, each in a fresh home against a fresh server that closes every connection
/// `idle_close` after its last answer: every run exits 0 with exactly one order received.
fn purchases_against_idle_closes(idle_close: Duration, runs: usize) {
    let mut problems = Vec::new();
    let mut reused = 0;
    for attempt in 1..=runs {
        let server = RawServer::keep_alive(idle_close, |request| {
            normal(request).unwrap_or_else(|| Reply::json(200, order_ok_body()))
        });
        let env = TestEnv::new();
        let run = run(env.portal_cmd(&server.url).args(purchase_args()));
        let orders = server.count("POST", ORDER_PATH);
        reused += server.reused();
        if run.code != 0 || orders != 1 {
            problems.push(format!(
                "run {attempt}: exit {}, {orders} order(s) received\n{}",
                run.code, run.stderr
            ));
        }
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "idle close {idle_close:?}: {runs} runs, {reused} request(s) on a reused connection"
        );
    }
    assert!(
        problems.is_empty(),
        "idle close {idle_close:?}:\n{}",
        problems.join("\n")
    );
}

#[test]
fn an_idle_close_of_1_ms_never_loses_the_order() {
    purchases_against_idle_closes(Duration::from_millis(1), 5);
}

#[test]
fn an_idle_close_of_20_ms_never_loses_the_order() {
    purchases_against_idle_closes(Duration::from_millis(20), 5);
}
