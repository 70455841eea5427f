//! Issue 13 item 4, in a real pseudo-terminal: declining is not an error.

use rexpect::process::WaitStatus;
use rexpect::session::spawn_command;

use crate::common::*;

#[tokio::test]
async fn declining_the_order_is_a_neutral_line_not_an_error() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut args = purchase_args();
    args.pop(); // no --yes
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("linkus"));
    command
        .args(&args)
        .env("HOME", env.dir.path().join("home"))
        .env("LINKUS_CONFIG_DIR", env.config_dir())
        .env("LINKUS_CACHE_DIR", env.cache_dir())
        .env("LINKUS_DATA_DIR", env.data_dir())
        .env("LINKUS_LOCK_DIR", env.lock_dir())
        .env("LINKUS_BASE_URL", server.uri())
        .env("LINKUS_CLIENT_ID", CLIENT_ID)
        .env("LINKUS_CLIENT_SECRET", CLIENT_SECRET)
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .env_remove("LINKUS_NO_INPUT")
        .env_remove("LINKUS_OUTPUT");
    let mut p = spawn_command(command, Some(15_000)).expect("spawn linkus in a pty");
    p.exp_string("Place this order?").unwrap();
    // The prompt switches to raw mode once drawn; a person is never faster than that.
    std::thread::sleep(std::time::Duration::from_millis(200));
    p.send("n\r").unwrap();
    p.flush().unwrap();
    let rest = p.exp_eof().unwrap();
    let code = match p.process_mut().wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        other => panic!("linkus did not exit normally: {other:?}"),
    };
    assert_eq!(code, 3, "{rest}");
    assert!(rest.contains("Declined; nothing was bought."), "{rest}");
    assert!(!rest.contains("Error"), "{rest}");
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    assert!(env.journal_lines().is_empty());
}
