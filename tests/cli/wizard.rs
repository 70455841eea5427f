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

// ---------------------------------------------------------------------------------------------
// Asking again, going back, narrowing a long list (real pty, vt100 screen, 80 and 40 columns).

mod steps {
    use crate::common::pty::{command, Pty};
    use crate::common::*;

    const DOWN: &str = "\x1b[B";
    const ESC: &str = "\x1b";
    const GOOD_SN: &str = "369471667338";
    const HAS_LINKUS: &str = "369471660409";
    const NOT_ELIGIBLE: &str = "369471660402";
    const JONAS: &str = "3204118927560851463";

    /// `linkus --sandbox purchase`, nothing given, on a terminal `cols` wide.
    fn sandbox_wizard(env: &TestEnv, cols: u16) -> Pty {
        let mut command = command(env, cols);
        command.args(["--sandbox", "purchase"]);
        Pty::spawn(command, cols)
    }

    /// The sandbox's own record of its orders, as `orders list --json` reads it back.
    fn sandbox_orders(env: &TestEnv) -> Vec<serde_json::Value> {
        let listed = run(env.sandbox_cmd().args(["orders", "list", "--json"]));
        assert_eq!(listed.code, 0, "{}", listed.stderr);
        listed.json().as_array().unwrap().clone()
    }

    async fn an_sn_it_cannot_use_is_asked_again(cols: u16) {
        let env = TestEnv::new();
        let mut p = sandbox_wizard(&env, cols);
        p.expect("PBX serial number");
        p.line(HAS_LINKUS);
        p.expect("Type another serial number");
        p.expect("PBX serial number");
        p.line(NOT_ELIGIBLE);
        p.expect("not eligible");
        p.expect("PBX serial number");
        p.line(GOOD_SN);
        p.expect("Linkus Cloud Service Pro");
        p.key("\r");
        p.expect("Billing contact");
        p.key("\r");
        p.expect("5 years");
        p.key("\r");
        p.expect("PO number");
        p.line("");
        p.expect("Place this order?");
        p.line("y");
        p.expect("succeed");
        let end = p.finish();
        let screen = end.contents();
        assert_eq!(end.code, 0, "{screen}");
        assert!(screen.contains("already has"), "{screen}");
        assert_eq!(screen.matches("Type another serial number").count(), 2);
        let orders = sandbox_orders(&env);
        assert_eq!(orders.len(), 1, "{orders:?}");
        assert_eq!(orders[0]["productNo"], GOOD_SN);
    }

    #[tokio::test]
    async fn an_sn_that_has_linkus_or_is_not_eligible_is_asked_again_at_80_columns() {
        an_sn_it_cannot_use_is_asked_again(80).await;
    }

    #[tokio::test]
    async fn an_sn_that_has_linkus_or_is_not_eligible_is_asked_again_at_40_columns() {
        an_sn_it_cannot_use_is_asked_again(40).await;
    }

    async fn esc_goes_back_one_step(cols: u16) {
        let server = portal().await;
        respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
        let env = TestEnv::new();
        let mut p = Pty::linkus(&env, &server.uri(), cols, &["purchase"]);
        p.expect("PBX serial number");
        p.line("123456789012");
        p.expect("(Esc: back)");
        p.expect("Linkus Cloud Service Pro");
        // Esc at the plan: the serial number again, to correct it.
        p.key(ESC);
        p.expect("PBX serial number");
        p.line(SN);
        p.expect("Linkus Cloud Service Pro");
        p.key(DOWN);
        p.key("\r");
        p.expect("Ben Okafor");
        // Esc at the contact: the plan again; this time the first one.
        p.key(ESC);
        p.expect("Linkus Cloud Service Pro");
        p.key("\r");
        p.expect("Ben Okafor");
        p.key(DOWN);
        p.key("\r");
        p.expect("5 years");
        p.key(DOWN);
        p.key("\r");
        p.expect("PO number");
        p.key("PO-1");
        // Esc at the PO number: the years again.
        p.key(ESC);
        p.expect("5 years");
        p.key("\r");
        p.expect("PO number");
        p.line("PO-2");
        p.expect("Place this order?");
        p.line("y");
        p.expect("LR3206190457467703296");
        let end = p.finish();
        assert_eq!(end.code, 0, "{}", end.contents());
        let orders = received(&server, "POST", ORDER_PATH).await;
        assert_eq!(orders.len(), 1);
        assert_eq!(
            body_text(&orders[0]),
            format!(
                r#"{{"operationType":"purchase_plan","productId":9,"productNo":"{SN}","billingId":{OTHER_CONTACT_ID},"poNumber":"PO-2","serviceList":[{{"serviceType":"plan","serviceId":{PLAN_ID},"purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":1}}]}}"#
            )
        );
        let screen = end.contents();
        assert!(screen.contains(&format!("purchase --sn {SN} --plan {PLAN_ID}")));
        // Each step gone back over leaves nothing of its list or its line behind.
        for row in end.rows() {
            assert!(
                !["> ", "  Linkus", "  Ana ", "  Ben ", "  2 years"]
                    .iter()
                    .any(|start| row.starts_with(start)),
                "a row of a list was left behind: {row:?}\n{screen}"
            );
        }
        assert!(
            !screen.contains("PO number (optional) (Esc: back): PO-1"),
            "{screen}"
        );
    }

    #[tokio::test]
    async fn esc_goes_back_one_step_to_the_serial_number_plan_and_years_at_80_columns() {
        esc_goes_back_one_step(80).await;
    }

    #[tokio::test]
    async fn esc_goes_back_one_step_to_the_serial_number_plan_and_years_at_40_columns() {
        esc_goes_back_one_step(40).await;
    }

    async fn a_long_list_is_narrowed_by_typing(cols: u16) {
        let env = TestEnv::new();
        let mut p = sandbox_wizard(&env, cols);
        p.expect("PBX serial number");
        p.line(GOOD_SN);
        p.expect("Linkus Cloud Service Pro");
        p.key("\r");
        p.expect("type to filter");
        let screen = p.settled();
        assert!(
            screen.contains("of 10"),
            "the list says how long it is:\n{screen}"
        );
        // By company: one contact left, chosen with Enter.
        p.key("fjord");
        let screen = p.settled();
        assert!(screen.contains("Jonas Berg"), "{screen}");
        assert!(!screen.contains("Ana Silva"), "{screen}");
        p.key("\r");
        p.expect("5 years");
        p.key("\r");
        p.expect("PO number");
        p.line("");
        p.expect("Place this order?");
        p.line("y");
        p.expect("succeed");
        let end = p.finish();
        let screen = end.contents();
        assert_eq!(end.code, 0, "{screen}");
        assert!(
            screen.contains(&format!("--billing-contact {JONAS}")),
            "{screen}"
        );
        for row in end.rows() {
            assert!(
                !row.starts_with("  Ana Silva") && !row.starts_with("> "),
                "a row of the list was left behind: {row:?}\n{screen}"
            );
        }
        let journal = env.journal_lines();
        assert_eq!(journal[0]["billingContactId"], JONAS, "{journal:?}");
        assert_eq!(sandbox_orders(&env).len(), 1);
    }

    #[tokio::test]
    async fn a_list_of_ten_contacts_is_narrowed_by_typing_at_80_columns() {
        a_long_list_is_narrowed_by_typing(80).await;
    }

    #[tokio::test]
    async fn a_list_of_ten_contacts_is_narrowed_by_typing_at_40_columns() {
        a_long_list_is_narrowed_by_typing(40).await;
    }
}
