//! Prompts a person can trust, in a real pseudo-terminal (`common::pty`): Esc cancels
//! everywhere, Ctrl-C and signals leave the terminal as they found it, a narrow terminal shows
//! no leftovers, and an order confirmed after the portal closed an idle connection goes out
//! once.

use std::time::Duration;

use serde_json::json;

use crate::common::keepalive::KeepAliveServer;
use crate::common::pty::{command, command_in_colour, Pty};
use crate::common::raw::RawRequest;
use crate::common::*;

const ESC: &str = "\x1b";
const LEFT: &str = "\x1b[D";
const DOWN: &str = "\x1b[B";
const BACKSPACE: &str = "\x7f";
const CTRL_C: &str = "\x03";
const INTERRUPTED: &str = "Error: Interrupted; nothing was bought.";

/// `purchase` with every flag but `--yes`: the confirmation is the only prompt.
fn confirm_args() -> Vec<&'static str> {
    let mut args = purchase_args();
    args.pop();
    args
}

/// `purchase` at "Place this order? [y/N]", `cols` wide, with a portal that creates the order.
async fn asked_to_place_the_order(cols: u16) -> (wiremock::MockServer, TestEnv, Pty) {
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    let env = TestEnv::new();
    let mut p = Pty::linkus(&env, &server.uri(), cols, &confirm_args());
    p.expect("Place this order? [y/N]");
    (server, env, p)
}

// ---------------------------------------------------------------------------------------------
// Esc cancels, at every prompt.

#[tokio::test]
async fn esc_at_the_serial_number_prompt_cancels_with_exit_3() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut p = Pty::linkus(&env, &server.uri(), 80, &["purchase"]);
    p.expect("PBX serial number");
    p.key("3694");
    p.key(ESC);
    let end = p.finish();
    assert_eq!(end.code, 3, "{}", end.contents());
    end.assert_on_its_own_row("Cancelled; nothing was bought.");
    assert!(!end.contents().contains("Error"), "{}", end.contents());
    assert_eq!(total_requests(&server).await, 0);
    end.assert_terminal_restored();
}

#[tokio::test]
async fn esc_at_the_po_number_prompt_goes_back_and_esc_at_the_first_step_cancels_with_exit_3() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut p = Pty::linkus(
        &env,
        &server.uri(),
        80,
        &[
            "purchase",
            "--sn",
            SN,
            "--plan",
            PLAN_ID,
            "--billing-contact",
            CONTACT_ID,
        ],
    );
    p.expect("5 years");
    p.key("\r");
    p.expect("PO number");
    p.key("PO-1");
    // Esc at the PO number goes back to the years; Esc at the first step asked cancels.
    p.key(ESC);
    p.expect("5 years");
    p.key(ESC);
    let end = p.finish();
    assert_eq!(end.code, 3, "{}", end.contents());
    end.assert_on_its_own_row("Cancelled; nothing was bought.");
    assert!(!end.contents().contains("Place this order"));
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    end.assert_terminal_restored();
}

#[tokio::test]
async fn esc_at_place_this_order_cancels_with_exit_3_and_orders_nothing() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut p = Pty::linkus(&env, &server.uri(), 80, &confirm_args());
    p.expect("Place this order?");
    p.key(ESC);
    let end = p.finish();
    assert_eq!(end.code, 3, "{}", end.contents());
    end.assert_on_its_own_row("Cancelled; nothing was bought.");
    assert!(!end.contents().contains("Error"), "{}", end.contents());
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    assert!(env.journal_lines().is_empty());
    end.assert_terminal_restored();
}

#[tokio::test]
async fn esc_at_the_auth_login_prompts_cancels_with_exit_3_and_saves_nothing() {
    let server = portal().await;
    let env = TestEnv::new();
    let login = |env: &TestEnv| {
        let mut command = command(env, 80);
        command.args(["--base-url", &server.uri(), "auth", "login"]);
        Pty::spawn(command, 80)
    };

    let mut p = login(&env);
    p.expect("Client ID");
    p.key(ESC);
    let end = p.finish();
    assert_eq!(end.code, 3, "{}", end.contents());
    end.assert_on_its_own_row("Cancelled; nothing was saved.");
    end.assert_terminal_restored();

    let mut p = login(&env);
    p.expect("Client ID");
    p.line(CLIENT_ID);
    p.expect("Client secret");
    p.key("s3cret");
    p.key(ESC);
    let end = p.finish();
    assert_eq!(end.code, 3, "{}", end.contents());
    end.assert_on_its_own_row("Cancelled; nothing was saved.");
    assert!(!end.contents().contains("s3cret"), "the secret was shown");
    end.assert_terminal_restored();

    assert_eq!(total_requests(&server).await, 0);
    assert!(!env.config_dir().join("config.toml").exists());
}

// ---------------------------------------------------------------------------------------------
// The confirmation.

#[tokio::test]
async fn y_then_enter_places_the_order_and_says_what_was_chosen() {
    let (server, _env, mut p) = asked_to_place_the_order(80).await;
    p.key("y");
    // A stray `y` alone places nothing: the order waits for Enter.
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    p.key("\r");
    p.expect("LR3206190457467703296");
    let end = p.finish();
    assert_eq!(end.code, 0, "{}", end.contents());
    end.assert_on_its_own_row("Place this order? yes");
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
    end.assert_terminal_restored();
}

/// The question as a person's terminal shows it, in colour (ColorfulTheme writes the default
/// after the question: `(y/n) › no`), `cols` wide: the answer row shows what was typed.
async fn typed_y_is_what_the_screen_shows(cols: u16) {
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    let env = TestEnv::new();
    let mut command = command_in_colour(&env, cols);
    command
        .env("LINKUS_BASE_URL", server.uri())
        .env("LINKUS_CLIENT_ID", CLIENT_ID)
        .env("LINKUS_CLIENT_SECRET", CLIENT_SECRET)
        .args(confirm_args());
    let mut p = Pty::spawn(command, cols);
    p.expect("order?");
    let before = p.settled();
    assert!(
        p.row_with("(y/n)").trim_end().ends_with("› no"),
        "the default is shown before a key:\n{before}"
    );
    p.key("y");
    let screen = p.settled();
    let row = p.row_with("(y/n)");
    assert!(
        row.trim_end().ends_with("› y"),
        "the row shows more than the key typed: {row:?}\n{screen}"
    );
    assert!(!screen.contains("noy"), "{screen}");
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    p.key("\r");
    p.expect("LR3206190457467703296");
    let end = p.finish();
    assert_eq!(end.code, 0, "{}", end.contents());
    assert!(
        end.contents().contains("Place this order? · yes"),
        "{}",
        end.contents()
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
    end.assert_terminal_restored();
}

#[tokio::test]
async fn typing_y_shows_y_alone_not_the_default_beside_it_at_80_columns() {
    typed_y_is_what_the_screen_shows(80).await;
}

#[tokio::test]
async fn typing_y_shows_y_alone_not_the_default_beside_it_at_40_columns() {
    typed_y_is_what_the_screen_shows(40).await;
}

async fn an_answer_neither_yes_nor_no_is_asked_again(cols: u16) {
    let (server, _env, mut p) = asked_to_place_the_order(cols).await;
    p.line("x");
    p.expect("Type y (yes) or n (no)");
    let screen = p.settled();
    assert!(
        p.row_with("[y/N]").trim_end().ends_with("[y/N] x"),
        "what was typed stays, to be corrected:\n{screen}"
    );
    assert!(!screen.contains("Declined"), "{screen}");
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    p.key(BACKSPACE);
    p.line("yes");
    p.expect("LR3206190457467703296");
    let end = p.finish();
    assert_eq!(end.code, 0, "{}", end.contents());
    end.assert_on_its_own_row("Place this order? yes");
    assert!(
        !end.contents().contains("Type y (yes)"),
        "the refusal stays after the answer:\n{}",
        end.contents()
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
    end.assert_terminal_restored();
}

#[tokio::test]
async fn x_then_enter_asks_again_instead_of_counting_as_no_at_80_columns() {
    an_answer_neither_yes_nor_no_is_asked_again(80).await;
}

#[tokio::test]
async fn x_then_enter_asks_again_instead_of_counting_as_no_at_40_columns() {
    an_answer_neither_yes_nor_no_is_asked_again(40).await;
}

async fn enter_alone_is_the_default_no(cols: u16) {
    let (server, env, mut p) = asked_to_place_the_order(cols).await;
    p.key("\r");
    let end = p.finish();
    assert_eq!(end.code, 3, "{}", end.contents());
    end.assert_on_its_own_row("Place this order? no");
    end.assert_on_its_own_row("Declined; nothing was bought.");
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    assert!(env.journal_lines().is_empty());
    end.assert_terminal_restored();
}

#[tokio::test]
async fn enter_alone_declines_and_sends_no_order_at_80_columns() {
    enter_alone_is_the_default_no(80).await;
}

#[tokio::test]
async fn enter_alone_declines_and_sends_no_order_at_40_columns() {
    enter_alone_is_the_default_no(40).await;
}

#[tokio::test]
async fn declining_says_so_without_an_error_and_exits_3() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut p = Pty::linkus(&env, &server.uri(), 80, &confirm_args());
    p.expect("Place this order?");
    p.line("n");
    let end = p.finish();
    assert_eq!(end.code, 3, "{}", end.contents());
    end.assert_on_its_own_row("Place this order? no");
    end.assert_on_its_own_row("Declined; nothing was bought.");
    assert!(!end.contents().contains("Error"), "{}", end.contents());
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

// ---------------------------------------------------------------------------------------------
// Ctrl-C and signals.

#[tokio::test]
async fn ctrl_c_at_a_text_prompt_ends_the_line_before_the_message() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut p = Pty::linkus(&env, &server.uri(), 80, &["purchase"]);
    p.expect("PBX serial number");
    p.key("ab");
    p.key(CTRL_C);
    let end = p.finish();
    assert_eq!(end.code, 130, "{}", end.contents());
    assert!(
        end.contents()
            .contains("Information): ab\nError: Interrupted"),
        "{}",
        end.contents()
    );
    end.assert_on_its_own_row(INTERRUPTED);
    assert_eq!(total_requests(&server).await, 0);
    end.assert_terminal_restored();
}

#[tokio::test]
async fn sigterm_at_a_select_restores_the_terminal_and_exits_143() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut p = Pty::linkus(&env, &server.uri(), 80, &["purchase", "--sn", SN]);
    p.expect("Linkus Cloud Service Pro");
    p.signal("TERM");
    let end = p.finish();
    assert_eq!(end.code, 143, "{}", end.contents());
    end.assert_on_its_own_row(INTERRUPTED);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    end.assert_terminal_restored();
}

#[tokio::test]
async fn sigterm_at_a_text_prompt_with_a_refusal_under_it_prints_below_both() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut p = Pty::linkus(&env, &server.uri(), 40, &["purchase"]);
    p.expect("PBX serial number");
    p.line("3694-7166");
    p.expect("error: a serial number");
    p.key(LEFT);
    p.signal("TERM");
    let end = p.finish();
    assert_eq!(end.code, 143, "{}", end.contents());
    end.assert_on_its_own_row(INTERRUPTED);
    assert!(
        end.contents()
            .contains("(see the PBX's Resource Monitor > Information)\nError:"),
        "the refusal was overwritten:\n{}",
        end.contents()
    );
    assert_eq!(total_requests(&server).await, 0);
    end.assert_terminal_restored();
}

#[tokio::test]
async fn sighup_at_place_this_order_restores_the_terminal_and_exits_129() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut p = Pty::linkus(&env, &server.uri(), 80, &confirm_args());
    p.expect("Place this order?");
    p.signal("HUP");
    let end = p.finish();
    assert_eq!(end.code, 129, "{}", end.contents());
    end.assert_on_its_own_row(INTERRUPTED);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    assert!(env.journal_lines().is_empty());
    end.assert_terminal_restored();
}

#[tokio::test]
async fn ctrl_c_at_the_hidden_secret_prompt_leaves_echo_on() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut command = command(&env, 80);
    command.args(["--base-url", &server.uri(), "auth", "login"]);
    let mut p = Pty::spawn(command, 80);
    p.expect("Client ID");
    p.line(CLIENT_ID);
    p.expect("Client secret");
    p.key("half-a-secret");
    p.key(CTRL_C);
    let end = p.finish();
    assert_eq!(end.code, 130, "{}", end.contents());
    end.assert_on_its_own_row("Error: Interrupted; nothing was saved.");
    assert!(!end.contents().contains("half-a-secret"));
    assert_eq!(total_requests(&server).await, 0);
    end.assert_terminal_restored();
}

#[tokio::test]
async fn sigterm_at_the_hidden_secret_prompt_leaves_echo_on() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut command = command(&env, 80);
    command.args(["--base-url", &server.uri(), "auth", "login"]);
    let mut p = Pty::spawn(command, 80);
    p.expect("Client ID");
    p.line(CLIENT_ID);
    p.expect("Client secret");
    p.key("half");
    p.signal("TERM");
    let end = p.finish();
    assert_eq!(end.code, 143, "{}", end.contents());
    end.assert_on_its_own_row("Error: Interrupted");
    assert!(!end.contents().contains("half"));
    end.assert_terminal_restored();
}

// ---------------------------------------------------------------------------------------------
// A narrow terminal.

/// How the rows of a select list start (SimpleTheme: "> " for the highlighted one).
const LIST_ROWS: [&str; 5] = ["> ", "  Linkus", "  Ana ", "  Ben ", "  2 years"];

#[tokio::test]
async fn at_40_columns_the_wizard_leaves_no_fragments_and_echoes_a_padded_sn_trimmed() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut p = Pty::linkus(&env, &server.uri(), 40, &["purchase"]);
    p.expect("PBX serial number");
    p.line(&format!("  {SN} "));
    p.expect("Linkus Cloud Service Pro");
    p.key(DOWN);
    p.key("\r");
    p.expect("Ben Okafor");
    p.key("\r");
    p.expect("5 years");
    p.key("\r");
    p.expect("PO number");
    p.line("");
    p.expect("Place this order?");
    p.line("n");
    let end = p.finish();
    let screen = end.contents();
    assert_eq!(end.code, 3, "{screen}");
    assert_eq!(
        screen.matches("PBX serial number (").count(),
        1,
        "the wrapped prompt was drawn twice:\n{screen}"
    );
    assert!(
        screen.contains(&format!(
            "PBX serial number (Resource Monitor > Information): {SN}\n"
        )),
        "the SN was not echoed trimmed:\n{screen}"
    );
    for row in end.rows() {
        assert!(
            !LIST_ROWS.iter().any(|start| row.starts_with(start)),
            "a row of a select list was left behind: {row:?}\n{screen}"
        );
    }
    assert!(
        screen.contains(&format!(
            "Plan: Linkus Cloud Service Pro, 180.00 USD a year  ({PRO_PLAN_ID})\n"
        )),
        "the chosen plan is shown whole:\n{screen}"
    );
    assert!(screen.contains("PO number (optional): none\n"), "{screen}");
    assert!(screen.contains("Declined; nothing was bought."));
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
}

#[tokio::test]
async fn an_invalid_sn_is_shown_under_the_line_and_what_was_typed_stays() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut p = Pty::linkus(&env, &server.uri(), 40, &["purchase"]);
    p.expect("PBX serial number");
    p.line("3694-7166");
    p.expect("error: a serial number has only letters and digits");
    let screen = p.contents();
    assert!(
        screen.contains("Information): 3694-7166\nerror: a serial number"),
        "what was typed is gone:\n{screen}"
    );
    // The user fixes it: four to the left (arrows, not Esc), delete the dash, Enter.
    for _ in 0..4 {
        p.key(LEFT);
    }
    p.key(BACKSPACE);
    p.key("\r");
    p.expect("Linkus Cloud Service Pro");
    // Esc at the plan goes back to the serial number; Esc there cancels.
    p.key(ESC);
    p.expect("PBX serial number");
    p.key(ESC);
    let end = p.finish();
    let screen = end.contents();
    assert_eq!(end.code, 3, "{screen}");
    assert!(
        screen.contains("PBX serial number (Resource Monitor > Information): 36947166\n"),
        "{screen}"
    );
    assert!(!screen.contains("error:"), "the refusal stayed:\n{screen}");
    assert_eq!(screen.matches("PBX serial number (").count(), 2, "{screen}");
    let plans = received(&server, "GET", PLANS_PATH).await;
    assert!(plans[0].url.query().unwrap_or("").contains("36947166"));
}

#[tokio::test]
async fn a_line_that_fills_its_last_row_exactly_is_redrawn_in_place() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut p = Pty::linkus(&env, &server.uri(), 40, &["purchase"]);
    p.expect("PBX serial number");
    // "PBX serial number (Resource Monitor > Information): " is 53 columns: 27 more fill
    // the second row to its last column.
    let sn = "A".repeat(27);
    p.key(&sn);
    p.key(BACKSPACE);
    p.key("B\r");
    p.expect("Linkus Cloud Service Pro");
    // Esc at the plan goes back to the serial number; Esc there cancels.
    p.key(ESC);
    p.expect("PBX serial number");
    p.key(ESC);
    let end = p.finish();
    let screen = end.contents();
    assert_eq!(end.code, 3, "{screen}");
    // Once for the SN typed, once asked again: a wrapped prompt is never drawn twice.
    assert_eq!(screen.matches("PBX serial number (").count(), 2, "{screen}");
    assert!(
        screen.contains(&format!("Information): {}B\n", "A".repeat(26))),
        "{screen}"
    );
}

// ---------------------------------------------------------------------------------------------
// A portal that closes idle connections while a person reads the summary.

fn keepalive_portal(request: &RawRequest) -> (u16, String) {
    let page = || {
        envelope(json!({"count": 0, "pageNo": 1, "pageSize": 100, "total": 0, "totalPage": 1, "results": []}))
            .to_string()
    };
    match (request.method.as_str(), request.path()) {
        ("POST", TOKEN_PATH) => (
            200,
            envelope(token_result(ACCESS_1, REFRESH_1, "1800")).to_string(),
        ),
        ("GET", PLANS_PATH) => (200, plans_body()),
        ("GET", CONTACTS_PATH) => (200, contacts_body()),
        ("GET", PRICE_PATH) => (200, prices_body()),
        ("GET", INSTANCES_PATH | ORDERS_PATH) => (200, page()),
        ("GET", DETAILS_PATH) => (
            404,
            json!({"code": "product_not_found", "detailMessage": "No Linkus Cloud Service.",
                   "requestId": "req-details-404", "result": null, "status": 404})
            .to_string(),
        ),
        ("POST", ORDER_PATH) => (
            200,
            json!({
                "code": "success", "detailMessage": "", "requestId": "req-order-1", "status": 200,
                "result": {
                    "instanceId": "106396", "orderNo": "LR3206190457467703296",
                    "orderStatus": "succeed", "productNo": SN,
                    "transactionNo": "QO3206190458986041345"
                }
            })
            .to_string(),
        ),
        _ => (404, "{}".to_owned()),
    }
}

#[test]
fn an_order_confirmed_after_the_portal_closed_the_idle_connection_is_placed_once() {
    for run in 1..=3 {
        let server = KeepAliveServer::start(Duration::from_secs(2), keepalive_portal);
        let env = TestEnv::new();
        let mut p = Pty::linkus(&env, &server.url, 80, &confirm_args());
        p.expect("Place this order?");
        std::thread::sleep(Duration::from_secs(3));
        let opened = server.connections();
        p.line("y");
        let end = p.finish();
        assert_eq!(end.code, 0, "run {run}:\n{}", end.contents());
        assert_eq!(
            server.count("POST", ORDER_PATH),
            1,
            "run {run}: exactly one order"
        );
        assert!(
            server.connections() > opened,
            "run {run}: the order went out on a connection that had sat idle"
        );
        assert!(end.contents().contains("LR3206190457467703296"));
        let journal = env.journal_lines();
        assert_eq!(journal.len(), 2, "run {run}: intent and outcome");
    }
}

/// The summary a person confirms fits the terminal: a long value wraps under itself.
#[tokio::test]
async fn at_80_columns_a_long_summary_value_wraps_under_itself() {
    let server = portal().await;
    let env = TestEnv::new();
    let mut p = Pty::linkus(&env, &server.uri(), 80, &confirm_args());
    p.expect("Place this order?");
    p.line("n");
    let end = p.finish();
    let rows = end.rows();
    let screen = end.contents();
    let at = rows
        .iter()
        .position(|row| row.starts_with("  Billing contact  "))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(
        rows[at + 1].starts_with(&" ".repeat(21)) && !rows[at + 1].trim().is_empty(),
        "the contact's value goes on under itself:\n{screen}"
    );
    for row in end.wrapped_rows() {
        assert!(
            !row.starts_with("  ") || row.starts_with("  linkus "),
            "a summary row wider than the terminal: {row:?}\n{screen}"
        );
    }
}
