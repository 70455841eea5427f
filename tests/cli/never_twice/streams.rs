//! A purchase whose stdout cannot take the result: a closed pipe never turns an order's exit
//! code into 0, and the order number reaches stderr.

use std::process::Stdio;

use super::*;

/// `linkus purchase … --yes | (exec 0<&-; true)` through `sh -c`: linkus's exit code and
/// both streams (the shell's status line removed from stderr).
async fn purchase_into_a_closed_pipe(status: &str) -> Run {
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created(status)).await;
    let env = TestEnv::new();
    let mut probe = env.portal_cmd(&server.uri());
    probe.args(purchase_args());
    let mut shell = std::process::Command::new("sh");
    shell
        .arg("-c")
        .arg(r#"{ "$0" "$@"; echo "linkus exited $?" >&2; } | (exec 0<&-; true)"#)
        .arg(probe.get_program())
        .args(probe.get_args());
    for (key, value) in probe.get_envs() {
        match value {
            Some(value) => shell.env(key, value),
            None => shell.env_remove(key),
        };
    }
    let output = shell.stdin(Stdio::null()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let (stderr, code) = stderr
        .trim_end()
        .rsplit_once("linkus exited ")
        .map(|(rest, code)| (rest.to_owned(), code.trim().parse().unwrap_or(-1)))
        .unwrap_or_else(|| panic!("no exit status:\n{stderr}"));
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
    Run {
        code,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
    }
}

#[tokio::test]
async fn a_pending_order_with_stdout_closed_exits_8_and_names_the_order_on_stderr() {
    let run = purchase_into_a_closed_pipe("pending").await;
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert!(run.stderr.contains(ORDER_NO), "{}", run.stderr);
}

#[tokio::test]
async fn a_failed_order_with_stdout_closed_exits_5_and_names_the_order_on_stderr() {
    let run = purchase_into_a_closed_pipe("failed").await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains(ORDER_NO), "{}", run.stderr);
}

#[tokio::test]
async fn a_success_with_stdout_on_a_full_disk_exits_0_and_names_the_order_on_stderr() {
    let server = ordering_portal().await;
    let env = TestEnv::new();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut probe = env.portal_cmd(&server.uri());
    probe.args(purchase_args());
    let output = process(&probe).stdout(full).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains(ORDER_NO), "{stderr}");
    assert!(
        !stderr.contains("bug") && !stderr.contains("internal error"),
        "{stderr}"
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
}

/// `linkus -q purchase …` run through `sh -c SCRIPT`, where the script runs linkus as `"$0"
/// "$@"`: its exit code (the script's own) and both streams.
async fn quiet_purchase_through(script: &str) -> Run {
    let server = ordering_portal().await;
    let env = TestEnv::new();
    let mut probe = env.portal_cmd(&server.uri());
    probe.arg("-q").args(purchase_args());
    let mut shell = std::process::Command::new("sh");
    shell
        .arg("-c")
        .arg(script)
        .arg(probe.get_program())
        .args(probe.get_args());
    for (key, value) in probe.get_envs() {
        match value {
            Some(value) => shell.env(key, value),
            None => shell.env_remove(key),
        };
    }
    let output = shell.stdin(Stdio::null()).output().unwrap();
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test]
async fn a_quiet_purchase_with_stdout_closed_names_the_order_on_stderr() {
    let run = quiet_purchase_through(r#"exec "$0" "$@" >&-"#).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains(ORDER_NO), "{}", run.stderr);
}

#[tokio::test]
async fn a_quiet_purchase_with_stdout_on_dev_null_names_the_order_on_stderr() {
    let server = ordering_portal().await;
    let env = TestEnv::new();
    let mut probe = env.portal_cmd(&server.uri());
    probe.arg("-q").args(purchase_args());
    let output = process(&probe).stdout(Stdio::null()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains(ORDER_NO), "{stderr}");
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
}

#[tokio::test]
async fn a_quiet_purchase_into_a_broken_pipe_names_the_order_on_stderr() {
    let run = quiet_purchase_through(
        r#"{ "$0" "$@"; echo "linkus exited $?" >&2; } | (exec 0<&-; sleep 0.2)"#,
    )
    .await;
    let (stderr, code) = run
        .stderr
        .trim_end()
        .rsplit_once("linkus exited ")
        .map(|(rest, code)| (rest.to_owned(), code.trim().parse().unwrap_or(-1)))
        .unwrap_or_else(|| panic!("no exit status:\n{}", run.stderr));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(ORDER_NO), "{stderr}");
}

/// Where stdout takes the number, `-q` keeps stderr quiet: the number is not said twice.
#[tokio::test]
async fn a_quiet_purchase_into_a_pipe_prints_the_order_number_only_on_stdout() {
    let run = quiet_purchase_through(r#"exec "$0" "$@""#).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), ORDER_NO);
    assert!(!run.stderr.contains(ORDER_NO), "{}", run.stderr);
}
