//! What a person sees in a terminal, first prompt to order: the wizard and the confirmation
//! screen (the summary with the money, then "Place this order?"), through a real pty
//! (common/pty.rs) and a terminal emulator, so the snapshot is the screen, not the bytes.

use crate::common::pty::{command, Ended, Pty};
use crate::common::whole_run::quote;
use crate::text_snapshot;

use super::*;

const DOWN: &str = "\x1b[B";
const COLS: u16 = 100;

/// `linkus --sandbox ARGS` in a terminal `COLS` wide, prompts on.
fn terminal(env: &TestEnv, args: &[&str]) -> Pty {
    let mut cmd = command(env, COLS);
    cmd.arg("--sandbox")
        .args(args)
        .current_dir(env.dir.path())
        .env("USER", "ana");
    Pty::spawn(cmd, COLS)
}

/// The screen from the first row linkus drew (the harness's `pgid=…` row left out), as a
/// whole run: the keys typed show where the terminal echoed them.
fn screen(args: &[&str], keys: &str, ended: &Ended) -> String {
    let rows: Vec<String> = ended.rows().into_iter().skip(1).collect();
    let screen = rows.join("\n").trim_end().to_owned();
    format!(
        "$ linkus --sandbox {}  (on a terminal {COLS} columns wide)\n# keys: {keys}\nsuccess: {}\nexit_code: {}\n----- screen -----\n{screen}\n",
        args.iter().map(|arg| quote(arg)).collect::<Vec<_>>().join(" "),
        ended.code == 0,
        ended.code
    )
}

#[test]
fn the_wizard_from_the_first_prompt_to_the_order() {
    let env = TestEnv::new();
    let mut p = terminal(&env, &["purchase"]);
    p.expect("PBX serial number");
    p.line(SN);
    p.expect("Linkus Cloud Service Pro");
    p.key(DOWN);
    p.key("\r");
    p.expect("Billing contact");
    p.expect("Ben Okafor");
    p.key("\r");
    p.expect("5 years");
    p.key(DOWN);
    p.key(DOWN);
    p.key("\r");
    p.expect("PO number");
    p.line("PO-77");
    p.expect("Place this order?");
    p.key("y");
    p.key("\r");
    let ended = p.finish();
    assert_eq!(ended.code, 0, "{}", ended.contents());
    ended.assert_terminal_restored();
    text_snapshot!(
        "run__wizard",
        screen(
            &["purchase"],
            "SN Enter, Down Enter, Enter, Down Down Enter, PO-77 Enter, y Enter",
            &ended
        )
    );
}

#[test]
fn the_confirmation_shows_the_money_then_orders_on_yes() {
    let env = TestEnv::new();
    let args = &purchase_args()[..purchase_args().len() - 1];
    let mut p = terminal(&env, args);
    p.expect("Place this order?");
    p.key("y\r");
    let ended = p.finish();
    assert_eq!(ended.code, 0, "{}", ended.contents());
    text_snapshot!("run__confirm_yes", screen(args, "y Enter", &ended));
}

#[test]
fn exit_3_declining_the_confirmation() {
    let env = TestEnv::new();
    let args = &purchase_args()[..purchase_args().len() - 1];
    let mut p = terminal(&env, args);
    p.expect("Place this order?");
    p.key("\r");
    let ended = p.finish();
    assert_eq!(ended.code, 3, "{}", ended.contents());
    text_snapshot!(
        "run__exit_3_declined",
        screen(args, "Enter (the default, No)", &ended)
    );
}

#[test]
fn a_batch_asks_once_on_a_terminal() {
    let env = TestEnv::new();
    std::fs::write(
        env.dir.path().join("pbxs.csv"),
        "sn,plan,years\n369471668888,Linkus Cloud Service,1\n369471669999,Linkus Cloud Service Pro,2\n",
    )
    .unwrap();
    let args = [
        "purchase",
        "--from",
        "pbxs.csv",
        "--billing-contact",
        CONTACT_ID,
    ];
    let mut p = terminal(&env, &args);
    p.expect("?");
    p.key("y\r");
    let ended = p.finish();
    assert_eq!(ended.code, 0, "{}", ended.contents());
    text_snapshot!("run__batch_confirm_yes", screen(&args, "y Enter", &ended));
}

/// CLI.md section 5: with `--json`, stdout holds exactly one JSON document for every command,
/// and on failure the error object. A batch declined at its one question is exit 3, as a
/// single purchase is, and prints that object; nothing is ordered.
#[test]
fn a_batch_declined_with_json_prints_the_error_object_and_orders_nothing() {
    let env = TestEnv::new();
    std::fs::write(
        env.dir.path().join("pbxs.csv"),
        "sn,plan,years\n369471668888,Linkus Cloud Service,1\n",
    )
    .unwrap();
    let args = [
        "purchase",
        "--from",
        "pbxs.csv",
        "--billing-contact",
        CONTACT_ID,
        "--json",
    ];
    let mut p = terminal(&env, &args);
    p.expect("?");
    p.key("\r");
    let ended = p.finish();
    assert_eq!(ended.code, 3, "{}", ended.contents());
    let screen = ended.contents();
    assert!(screen.contains("Declined; nothing was bought."), "{screen}");
    let start = screen
        .find("\"error\"")
        .unwrap_or_else(|| panic!("{screen}"));
    let compact: String = screen[start..].split_whitespace().collect();
    assert!(
        compact.contains("\"exitCode\":3") && compact.contains("\"kind\":\"cancelled\""),
        "{screen}"
    );
    let listed = run(env.sandbox_cmd().args(["orders", "list", "--json"]));
    assert_eq!(listed.json(), serde_json::json!([]), "{}", listed.stderr);
}
