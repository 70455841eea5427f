//! SIGTERM and SIGHUP while the order is on the wire are handled like Ctrl-C: the journal
//! records the outcome as unknown, and stderr says so and how to check.

use std::time::Duration;

use super::*;

fn signal_while_the_order_is_out(signal: &str, code: i32) {
    let server = raw_portal(|_| Reply::Hang(Duration::from_secs(60)));
    let env = TestEnv::new();
    let child = spawn(env.portal_cmd(&server.url).args(purchase_args()));
    wait_until("the order is on the wire", || {
        server.count("POST", ORDER_PATH) == 1
    });
    let sent = std::process::Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let run = finish(child);
    assert_eq!(run.code, code, "{}", run.stderr);
    for words in [
        format!("the order for SN {SN} was being sent"),
        "its outcome is unknown".to_owned(),
        format!("linkus orders list --sn {SN}"),
    ] {
        assert!(run.stderr.contains(&words), "{words:?}:\n{}", run.stderr);
    }
    let lines = env.journal_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[1]["event"], "outcome");
    assert_eq!(lines[1]["outcome"], "unknown");
    assert_eq!(server.count("POST", ORDER_PATH), 1);
}

#[test]
fn sigterm_while_the_order_is_out_exits_143_and_journals_it_as_unknown() {
    signal_while_the_order_is_out("TERM", 143);
}

#[test]
fn sighup_while_the_order_is_out_exits_129_and_journals_it_as_unknown() {
    signal_while_the_order_is_out("HUP", 129);
}
