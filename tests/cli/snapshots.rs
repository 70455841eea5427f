//! Snapshots of what a user reads (issue 10 item 4): every help page, the order summary with
//! its replay line, the tables (piped and on a terminal), and each error kind's message, hint
//! and JSON object. A change to any of these texts shows up as a diff of a file in
//! `snapshots/`; review it with `cargo insta review` (or `INSTA_UPDATE=always`, then git diff).
//! What varies from run to run (ports, temporary folders, times, order numbers, request and
//! journal IDs) is replaced by a `[NAME]` placeholder first (the filters are in
//! common/whole_run.rs, shared with the whole-run snapshots of tests/cli/whole_runs).

use crate::common::*;

use crate::common::whole_run::{plain, quote, settings, visible};

/// A session as a user reads it: the command line, the exit code and both streams.
fn transcript(args: &[&str], run: &Run) -> String {
    let line: Vec<String> = args.iter().map(|arg| quote(arg)).collect();
    let mut text = format!("$ linkus {}\n[exit {}]\n", line.join(" "), run.code);
    for (name, stream) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        let stream = &visible(stream);
        if !stream.is_empty() {
            text.push_str(&format!("--- {name}\n{stream}"));
            if !stream.ends_with('\n') {
                text.push_str("[no newline at the end]\n");
            }
        }
    }
    text
}

/// `linkus --sandbox ARGS`, and its transcript.
fn sandbox(env: &TestEnv, args: &[&str]) -> (Run, String) {
    let args = [&["--sandbox"][..], args].concat();
    let run = run(env.cmd().args(&args));
    let text = transcript(&args, &run);
    (run, text)
}

/// `linkus ARGS` against the wiremock portal at `url`, credentials in the environment.
fn at_portal(env: &TestEnv, url: &str, args: &[&str]) -> (Run, String) {
    let run = run(env.portal_cmd(url).args(args));
    let text = format!(
        "# LINKUS_BASE_URL={url}, credentials in LINKUS_CLIENT_ID and LINKUS_CLIENT_SECRET\n{}",
        transcript(args, &run)
    );
    (run, text)
}

fn snapshot(name: &str, text: &str) {
    settings().bind(|| insta::assert_snapshot!(name, text));
}

// ---------------------------------------------------------------------------------------------
// Help

const COMMANDS: &[&[&str]] = &[
    &[],
    &["auth"],
    &["auth", "login"],
    &["auth", "status"],
    &["auth", "logout"],
    &["products"],
    &["billing-contacts"],
    &["subscriptions"],
    &["purchase"],
    &["renew"],
    &["switch"],
    &["orders"],
    &["orders", "list"],
    &["orders", "show"],
    &["orders", "reconcile"],
    &["api"],
    &["doctor"],
    &["sandbox"],
    &["sandbox", "serve"],
    &["sandbox", "reset"],
    &["team"],
    &["team", "init"],
    &["team", "status"],
    &["team", "sync"],
    &["completions"],
    &["man"],
];

/// Help is drawn for a 100-column terminal: clap's `wrap_help` reads `COLUMNS` when no stream
/// is a terminal, and `max_term_width` caps it at 100 anyway. The environment variables that
/// help shows (`[env: LINKUS_PROFILE=…]`) are cleared by [`TestEnv::cmd`].
#[test]
fn every_help_page() {
    let env = TestEnv::new();
    for command in COMMANDS {
        let run = run(env.cmd().env("COLUMNS", "100").args(*command).arg("--help"));
        assert_eq!(run.code, 0, "{command:?}: {}", run.stderr);
        assert_eq!(run.stderr, "", "{command:?}");
        for line in run.stdout.lines() {
            assert!(
                line.chars().count() <= 100,
                "{command:?}: a help line over 100 columns:\n{line}"
            );
        }
        let name = match command {
            [] => "linkus".to_owned(),
            words => words.join("_").replace('-', "_"),
        };
        plain().bind(|| insta::assert_snapshot!(format!("help__{name}"), run.stdout));
    }
}

// ---------------------------------------------------------------------------------------------
// The order summary and the replay line

fn with_dry_run(args: &[&'static str]) -> Vec<&'static str> {
    let mut args: Vec<&str> = args.iter().copied().filter(|a| *a != "--yes").collect();
    args.push("--dry-run");
    args
}

#[tokio::test]
async fn purchase_summary_against_a_portal() {
    let server = portal().await;
    let env = TestEnv::new();
    let args = with_dry_run(&purchase_args());
    let (run, text) = at_portal(&env, &server.uri(), &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    snapshot("summary__purchase_portal", &text);
}

#[test]
fn purchase_renew_and_switch_summaries_in_the_sandbox() {
    let env = TestEnv::new();
    let contact = ["--billing-contact", CONTACT_ID];
    for (name, args) in [
        ("purchase", with_dry_run(&purchase_args())),
        (
            "renew",
            [
                &["renew", "--sn", "369471660409", "--years", "2"][..],
                &contact,
                &["--dry-run"],
            ]
            .concat(),
        ),
        (
            "switch",
            [
                &[
                    "switch",
                    "--sn",
                    "369471660409",
                    "--plan",
                    "Linkus Cloud Service Pro",
                ][..],
                &contact,
                &["--dry-run"],
            ]
            .concat(),
        ),
    ] {
        let (run, text) = sandbox(&env, &args);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        snapshot(&format!("summary__{name}_sandbox"), &text);
    }
}

#[test]
fn batch_summary_with_a_refused_row() {
    let env = TestEnv::new();
    let file = env.dir.path().join("pbxs.csv");
    std::fs::write(
        &file,
        "sn,plan,years,po_number\n\
         369471667338,,1,PO-7\n\
         369471660402,,2,\n\
         369471660777,Linkus Cloud Service Pro,3,\n",
    )
    .unwrap();
    let file = file.to_string_lossy().into_owned();
    let args = [
        "purchase",
        "--from",
        &file,
        "--plan",
        "Linkus Cloud Service",
        "--billing-contact",
        CONTACT_ID,
        "--dry-run",
    ];
    let (_, text) = sandbox(&env, &args);
    snapshot("summary__batch_sandbox", &text);
}

// ---------------------------------------------------------------------------------------------
// Tables

/// A sandbox with orders in every state: succeeded, pending (SN …0202) and unknown (…0504,
/// given up on after a second; for two years, so that its subscription ends last whatever
/// second the orders fall in). Returns the succeeded order's number.
fn shop(env: &TestEnv) -> String {
    let bought = run(env.sandbox_cmd().args(purchase_args()).arg("--quiet"));
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    let pending = run(env.sandbox_cmd().args(purchase_args_for("369471660202")));
    assert_eq!(pending.code, 8, "{}", pending.stderr);
    let lost = run(env.sandbox_cmd().args(["--timeout", "1"]).args(set(
        purchase_args_for("369471660504"),
        "--years",
        "2",
    )));
    assert_eq!(lost.code, 7, "{}", lost.stderr);
    bought.stdout.trim().to_owned()
}

fn table_commands(order: &str) -> Vec<(&'static str, Vec<String>)> {
    let words = |args: &[&str]| args.iter().map(|a| a.to_string()).collect();
    vec![
        ("products", words(&["products", "--sn", "369471660409"])),
        ("billing_contacts", words(&["billing-contacts"])),
        ("subscriptions", words(&["subscriptions"])),
        ("orders_list", words(&["orders", "list"])),
        ("orders_show", words(&["orders", "show", order])),
        // Last: it settles the unknown order.
        ("orders_reconcile", words(&["orders", "reconcile"])),
    ]
}

/// Piped, a table is tab-separated rows without a header, for `cut` and `awk`.
#[test]
fn tables_piped() {
    let env = TestEnv::new();
    let order = shop(&env);
    for (name, args) in table_commands(&order) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, text) = sandbox(&env, &args);
        snapshot(&format!("table__{name}_piped"), &text);
    }
}

/// On a terminal (a pty 200 columns wide, so that only the program's own line breaks show),
/// with a header row and aligned columns; stderr shares the screen, as it does for a person.
#[cfg(unix)]
#[test]
fn tables_on_a_terminal() {
    use crate::common::pty::{command, Pty};
    let env = TestEnv::new();
    let order = shop(&env);
    for (name, args) in table_commands(&order) {
        let mut cmd = command(&env, 200);
        cmd.arg("--sandbox").args(&args);
        let ended = Pty::spawn(cmd, 200).finish();
        // The first row is the harness's `pgid=…`.
        let screen: Vec<String> = ended.rows().into_iter().skip(1).collect();
        let screen = screen.join("\n").trim_end().to_owned();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let text = format!(
            "$ linkus --sandbox {}  (on a terminal)\n[exit {}]\n{screen}\n",
            args.join(" "),
            ended.code
        );
        snapshot(&format!("table__{name}_terminal"), &text);
    }
}

/// On an 80-column terminal every table fits: columns that matter least are left out and
/// long cells wrap inside their column, so the terminal itself never wraps a row.
#[cfg(unix)]
#[test]
fn tables_fit_80_columns() {
    use crate::common::pty::{command, Pty};
    let env = TestEnv::new();
    let order = shop(&env);
    for (name, args) in table_commands(&order) {
        if name == "orders_show" || name == "orders_reconcile" {
            continue;
        }
        let mut cmd = command(&env, 80);
        cmd.arg("--sandbox").args(&args);
        let ended = Pty::spawn(cmd, 80).finish();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let stdout_rows: Vec<String> = ended
            .wrapped_rows()
            .into_iter()
            .filter(|row| !row.starts_with("pgid="))
            .collect();
        assert!(
            stdout_rows.is_empty(),
            "linkus --sandbox {}: rows wider than 80 columns: {stdout_rows:#?}\n{}",
            args.join(" "),
            ended.contents()
        );
        let screen: Vec<String> = ended.rows().into_iter().skip(1).collect();
        let screen = screen.join("\n").trim_end().to_owned();
        let text = format!(
            "$ linkus --sandbox {}  (on a terminal 80 columns wide)\n[exit {}]\n{screen}\n",
            args.join(" "),
            ended.code
        );
        snapshot(&format!("table__{name}_80_columns"), &text);
    }
}

// ---------------------------------------------------------------------------------------------
// Each error kind: the text on stderr, then the `--json` error object

/// Runs `one(json)` for text and for `--json`, checks the exit code of both, and snapshots the
/// two transcripts in one file.
fn error_kind(name: &str, code: i32, mut one: impl FnMut(&[&str]) -> (Run, String)) {
    let (text_run, text) = one(&[]);
    assert_eq!(text_run.code, code, "{name}: {}", text_run.stderr);
    let (json_run, json) = one(&["--json"]);
    assert_eq!(json_run.code, code, "{name} --json: {}", json_run.stderr);
    json_run.json();
    snapshot(&format!("error__{name}"), &format!("{text}\n{json}"));
}

fn purchase_without(flag: &str) -> Vec<&'static str> {
    let args = purchase_args();
    let at = args.iter().position(|a| *a == flag).expect("flag");
    [&args[..at], &args[at + 2..]].concat()
}

/// `args` with `flag`'s value replaced.
fn set(mut args: Vec<&'static str>, flag: &str, value: &'static str) -> Vec<&'static str> {
    let at = args.iter().position(|a| *a == flag).expect("flag");
    args[at + 1] = value;
    args
}

fn with_plan(plan: &'static str) -> Vec<&'static str> {
    set(purchase_args(), "--plan", plan)
}

#[test]
fn usage_errors() {
    error_kind("usage_missing_flag", 2, |json| {
        sandbox(
            &TestEnv::new(),
            &[json, &purchase_without("--plan")].concat(),
        )
    });
    error_kind("usage_unknown_plan", 2, |json| {
        sandbox(
            &TestEnv::new(),
            &[json, &with_plan("Linkus Cloud Gold")].concat(),
        )
    });
}

#[test]
fn config_error_for_an_unreadable_config_file() {
    error_kind("config_unreadable", 2, |json| {
        let env = TestEnv::new();
        std::fs::create_dir_all(env.config_dir()).unwrap();
        std::fs::write(
            env.config_dir().join("config.toml"),
            "[profiles.default\nclient_id =\n",
        )
        .unwrap();
        let args = [json, &["auth", "status"]].concat();
        let run = run(env.cmd().args(&args));
        let text = transcript(&args, &run);
        (
            run,
            format!("# config.toml: `[profiles.default` and `client_id =`\n{text}"),
        )
    });
}

#[test]
fn over_cap_by_max_total() {
    error_kind("over_cap_max_total", 3, |json| {
        let mut args = with_plan("Linkus Cloud Service Pro");
        args.extend(["--max-total", "150USD"]);
        sandbox(&TestEnv::new(), &[json, &args].concat())
    });
}

#[tokio::test]
async fn auth_errors() {
    let server = wiremock::MockServer::start().await;
    respond(
        &server,
        "POST",
        TOKEN_PATH,
        rejection(401, "invalid_client", "Invalid credentials", "req-creds-9"),
    )
    .await;
    let url = server.uri();
    error_kind("auth_invalid_credentials", 4, |json| {
        at_portal(
            &TestEnv::new(),
            &url,
            &[json, &["products", "--sn", SN]].concat(),
        )
    });
    error_kind("auth_no_credentials", 4, |json| {
        let args = [json, &["--base-url", &url, "billing-contacts"]].concat();
        let run = run(TestEnv::new().cmd().args(&args));
        let text = transcript(&args, &run);
        (run, text)
    });
}

#[test]
fn rejected_not_eligible() {
    error_kind("rejected_not_eligible", 5, |json| {
        sandbox(
            &TestEnv::new(),
            &[json, &purchase_args_for("369471660402")].concat(),
        )
    });
}

#[test]
fn network_connection_refused() {
    let url = closed_port_url();
    error_kind("network_connection_refused", 6, |json| {
        at_portal(
            &TestEnv::new(),
            &url,
            &[json, &["products", "--sn", SN]].concat(),
        )
    });
}

#[tokio::test]
async fn network_error_for_an_answer_of_another_shape() {
    let server = portal().await;
    let plans = r#"{"code":"success","requestId":"req-plans-x","result":{"offeringId":"31",
        "planList":[{"planName":"Linkus Cloud Service","multiCycleList":[1]}]}}"#;
    respond(&server, "GET", PLANS_PATH, json_response(plans.to_owned())).await;
    let url = server.uri();
    error_kind("shape_plans_without_ids", 6, |json| {
        at_portal(&TestEnv::new(), &url, &[json, &purchase_args()].concat())
    });
}

#[test]
fn order_unknown_after_a_timeout() {
    error_kind("order_unknown", 7, |json| {
        let args = [
            json,
            &["--timeout", "1"],
            &purchase_args_for("369471660504"),
        ]
        .concat();
        sandbox(&TestEnv::new(), &args)
    });
}

/// The order is printed on stdout (the result, also with `--json`), the failure on stderr.
#[test]
fn order_incomplete_when_pending() {
    error_kind("order_incomplete", 8, |json| {
        sandbox(
            &TestEnv::new(),
            &[json, &purchase_args_for("369471660202")].concat(),
        )
    });
}

#[test]
fn blocked_by_a_recent_purchase() {
    let env = TestEnv::new();
    let (first, _) = sandbox(&env, &purchase_args());
    assert_eq!(first.code, 0, "{}", first.stderr);
    error_kind("blocked_recent_purchase", 9, |json| {
        sandbox(&env, &[json, &purchase_args()].concat())
    });
}

/// Ctrl-C while the order is on the wire: the outcome is unknown, and the user is told how to
/// find out.
#[cfg(unix)]
#[test]
fn interrupted_while_the_order_is_out() {
    use crate::common::raw::Reply;
    use crate::never_twice::{finish, raw_portal, spawn, wait_until};
    error_kind("interrupted", 130, |json| {
        let server = raw_portal(|_| Reply::Hang(std::time::Duration::from_secs(60)));
        let env = TestEnv::new();
        let args = [json, &purchase_args()].concat();
        let child = spawn(env.portal_cmd(&server.url).args(&args));
        wait_until("the order is on the wire", || {
            server.count("POST", ORDER_PATH) == 1
        });
        let sent = std::process::Command::new("kill")
            .args(["-INT".to_owned(), child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let run = finish(child);
        assert!(
            !run.stderr.contains('\u{1b}'),
            "an escape sequence on a stderr that is not a terminal:\n{:?}",
            run.stderr
        );
        let text = format!(
            "# LINKUS_BASE_URL={}; SIGINT once the order is sent\n{}",
            server.url,
            transcript(&args, &run)
        );
        (run, text)
    });
}
