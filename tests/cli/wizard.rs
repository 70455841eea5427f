//! The purchase wizard in a real pseudo-terminal, from the first prompt to the order.
//! `CI` is removed from the child's environment on purpose: it would turn prompts off.

use rexpect::process::WaitStatus;
use rexpect::session::{spawn_command, PtySession};

use crate::common::*;

const DOWN: &str = "\x1b[B";
const ESC: &str = "\x1b";

fn wizard(env: &TestEnv, base_url: &str, args: &[&str]) -> PtySession {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("linkus"));
    command
        .args(args)
        .env("HOME", env.dir.path().join("home"))
        .env("LINKUS_CONFIG_DIR", env.config_dir())
        .env("LINKUS_CACHE_DIR", env.cache_dir())
        .env("LINKUS_DATA_DIR", env.data_dir())
        .env("LINKUS_LOCK_DIR", env.lock_dir())
        .env("LINKUS_BASE_URL", base_url)
        .env("LINKUS_CLIENT_ID", CLIENT_ID)
        .env("LINKUS_CLIENT_SECRET", CLIENT_SECRET)
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .env_remove("LINKUS_NO_INPUT")
        .env_remove("LINKUS_OUTPUT");
    spawn_command(command, Some(15_000)).expect("spawn linkus in a pty")
}

/// A prompt switches the terminal to raw mode only after it has drawn itself; keys typed
/// before that would be read in line mode. A person is never that fast; the test waits.
fn key(session: &mut PtySession, keys: &str) {
    std::thread::sleep(std::time::Duration::from_millis(200));
    session.send(keys).expect("send keys");
    session.flush().expect("flush keys");
}

fn line(session: &mut PtySession, text: &str) {
    key(session, &format!("{text}\r"));
}

fn exit_code(session: &mut PtySession) -> i32 {
    match session.process_mut().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("linkus did not exit normally: {other:?}"),
    }
}

#[tokio::test]
async fn the_wizard_asks_for_everything_and_places_the_order() {
    let server = portal().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path(ORDER_PATH))
        .respond_with(order_created("succeed"))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    let mut p = wizard(&env, &server.uri(), &["purchase"]);

    p.exp_string("PBX serial number").unwrap();
    line(&mut p, SN);
    p.exp_string("Plan").unwrap();
    p.exp_string("Linkus Cloud Service Pro").unwrap();
    key(&mut p, DOWN);
    key(&mut p, "\r");
    p.exp_string("Billing contact").unwrap();
    p.exp_string("Ben Okafor").unwrap();
    key(&mut p, "\r");
    p.exp_string("Years").unwrap();
    p.exp_string("5 years").unwrap();
    key(&mut p, DOWN);
    key(&mut p, DOWN);
    key(&mut p, "\r");
    p.exp_string("PO number").unwrap();
    line(&mut p, "PO-77");
    p.exp_string("Order summary").unwrap();
    p.exp_string("partner account").unwrap();
    p.exp_string(&format!(
        "purchase --sn {SN} --plan {PRO_PLAN_ID} --billing-contact {CONTACT_ID} --years 3 --po-number PO-77 --yes"
    ))
    .unwrap();
    p.exp_string("Place this order?").unwrap();
    key(&mut p, "y");
    key(&mut p, "\r");
    p.exp_string("LR3206190457467703296").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 0);

    let orders = received(&server, "POST", ORDER_PATH).await;
    assert_eq!(orders.len(), 1);
    assert_eq!(
        body_text(&orders[0]),
        format!(
            r#"{{"operationType":"purchase_plan","productId":9,"productNo":"{SN}","billingId":{CONTACT_ID},"poNumber":"PO-77","serviceList":[{{"serviceType":"plan","serviceId":{PRO_PLAN_ID},"purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":3}}]}}"#
        )
    );
}

#[tokio::test]
async fn the_wizard_only_asks_for_what_is_missing() {
    let server = portal().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path(ORDER_PATH))
        .respond_with(order_created("succeed"))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    let mut p = wizard(
        &env,
        &server.uri(),
        &["purchase", "--sn", SN, "--plan", PLAN_ID, "--years", "1"],
    );
    p.exp_string("Billing contact").unwrap();
    key(&mut p, DOWN);
    key(&mut p, "\r");
    p.exp_string("PO number").unwrap();
    line(&mut p, "");
    p.exp_string("Place this order?").unwrap();
    key(&mut p, "y\r");
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 0);
    let orders = received(&server, "POST", ORDER_PATH).await;
    assert_eq!(orders.len(), 1);
    assert!(body_text(&orders[0]).contains(&format!("\"billingId\":{OTHER_CONTACT_ID}")));
    assert!(!body_text(&orders[0]).contains("poNumber"));
}

#[tokio::test]
async fn declining_by_default_exits_3_and_orders_nothing() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut args = purchase_args();
    args.pop(); // no --yes
    let mut p = wizard(&env, &server.uri(), &args);
    p.exp_string("Place this order?").unwrap();
    key(&mut p, "\r"); // the default is No
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 3);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    assert!(env.journal_lines().is_empty());
}

#[tokio::test]
async fn escape_in_a_select_cancels_with_exit_3() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut p = wizard(&env, &server.uri(), &["purchase", "--sn", SN]);
    p.exp_string("Plan").unwrap();
    p.exp_string("Linkus Cloud Service Pro").unwrap();
    key(&mut p, ESC);
    p.exp_string("Cancelled").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 3);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn ctrl_c_at_the_confirmation_exits_130_and_orders_nothing() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut args = purchase_args();
    args.pop();
    let mut p = wizard(&env, &server.uri(), &args);
    p.exp_string("Place this order?").unwrap();
    key(&mut p, "\x03");
    p.exp_string("Interrupted").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 130);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn ctrl_c_at_the_serial_number_prompt_exits_130() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut p = wizard(&env, &server.uri(), &["purchase"]);
    p.exp_string("PBX serial number").unwrap();
    key(&mut p, "\x03");
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 130);
    assert_eq!(total_requests(&server).await, 0);
}

#[tokio::test]
async fn no_input_and_ci_turn_prompts_off_even_on_a_terminal() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut p = wizard(&env, &server.uri(), &["--no-input", "purchase"]);
    p.exp_string("Prompts are off (--no-input is set)").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 2);

    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("linkus"));
    command
        .args(["purchase", "--sn", SN])
        .env("LINKUS_CONFIG_DIR", env.config_dir())
        .env("LINKUS_CACHE_DIR", env.cache_dir())
        .env("LINKUS_DATA_DIR", env.data_dir())
        .env("LINKUS_LOCK_DIR", env.lock_dir())
        .env("CI", "true");
    let mut p = spawn_command(command, Some(15_000)).unwrap();
    p.exp_string("Prompts are off (CI is set)").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 2);
    assert_eq!(total_requests(&server).await, 0);
}

#[test]
fn colour_on_a_terminal_and_never_with_no_color() {
    let env = TestEnv::new();
    let colored = |no_color: bool| {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("linkus"));
        command
            .args(["--no-input", "purchase"])
            .env("TERM", "xterm-256color")
            .env("LINKUS_CONFIG_DIR", env.config_dir())
            .env_remove("CI")
            .env_remove("NO_COLOR");
        if no_color {
            command.env("NO_COLOR", "1");
        }
        let mut p = spawn_command(command, Some(15_000)).unwrap();
        let text = p.exp_eof().unwrap();
        assert_eq!(exit_code(&mut p), 2);
        text
    };
    assert!(
        colored(false).contains("\u{1b}["),
        "errors are coloured on a terminal"
    );
    assert!(
        !colored(true).contains("\u{1b}["),
        "NO_COLOR turns colour off"
    );
}

#[tokio::test]
async fn auth_login_asks_for_the_secret_without_echoing_it() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("linkus"));
    command
        .args(["--base-url", &server.uri(), "auth", "login"])
        .env("LINKUS_CONFIG_DIR", env.config_dir())
        .env("LINKUS_CACHE_DIR", env.cache_dir())
        .env("LINKUS_DATA_DIR", env.data_dir())
        .env("LINKUS_LOCK_DIR", env.lock_dir())
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .env_remove("LINKUS_CLIENT_ID")
        .env_remove("LINKUS_CLIENT_SECRET");
    let mut p = spawn_command(command, Some(15_000)).unwrap();
    let mut screen = p.exp_string("Client ID").unwrap();
    line(&mut p, CLIENT_ID);
    screen += &p.exp_string("Client secret").unwrap();
    line(&mut p, CLIENT_SECRET);
    screen += &p.exp_string("Logged in").unwrap();
    screen += &p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 0, "{screen}");
    assert!(
        !screen.contains(CLIENT_SECRET),
        "the secret was echoed: {screen}"
    );
    let config = std::fs::read_to_string(env.config_dir().join("config.toml")).unwrap();
    assert!(config.contains(CLIENT_SECRET));
    let tokens = received(&server, "POST", TOKEN_PATH).await;
    assert!(body_text(&tokens[0]).contains(&format!("client_secret={CLIENT_SECRET}")));
}
