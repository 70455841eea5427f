//! Help and manual pages (issue 20 item 6): help fits `COLUMNS`, `linkus` alone is a short
//! usage, `linkus orders` alone is the page of `orders --help`, and every manual page has
//! EXAMPLES as written, EXIT STATUS and ENVIRONMENT.

use crate::common::*;

/// Every page of help, by its command words.
const PAGES: &[&[&str]] = &[
    &[],
    &["auth"],
    &["auth", "login"],
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
    &["sandbox", "pay"],
    &["sandbox", "cancel"],
    &["autorenew"],
    &["autorenew", "enable"],
    &["completions"],
    &["man"],
];

#[test]
fn help_is_wrapped_to_columns_when_it_is_set() {
    let env = TestEnv::new();
    for columns in [60, 80] {
        for page in PAGES {
            let help = run(env
                .cmd()
                .env("COLUMNS", columns.to_string())
                .args(*page)
                .arg("--help"));
            assert_eq!(help.code, 0, "{page:?}: {}", help.stderr);
            for line in help.stdout.lines() {
                assert!(
                    line.chars().count() <= columns,
                    "linkus {} --help at COLUMNS={columns}: {line:?}",
                    page.join(" ")
                );
            }
        }
    }
}

#[test]
fn linkus_alone_prints_a_short_usage_with_the_five_most_used_commands() {
    let env = TestEnv::new();
    let alone = run(&mut env.cmd());
    assert_eq!(alone.code, 2, "{}", alone.stderr);
    assert!(alone.stdout.is_empty());
    let text = &alone.stderr;
    assert!(text.contains("Most used:"), "{text}");
    let commands: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "Most used:")
        .skip(1)
        .take_while(|l| l.starts_with("  linkus "))
        .collect();
    assert_eq!(commands.len(), 5, "{text}");
    assert!(text.contains("linkus --sandbox purchase"), "{text}");
    assert!(text.contains("linkus --help"), "{text}");
    assert!(
        text.lines().count() <= 15,
        "a short usage, not the whole help:\n{text}"
    );
    assert!(!text.contains("Global options"), "{text}");
}

#[test]
fn linkus_orders_alone_prints_the_same_block_as_orders_help() {
    let env = TestEnv::new();
    let alone = run(env.cmd().arg("orders"));
    assert_eq!(alone.code, 2, "a missing subcommand is a usage error");
    let help = run(env.cmd().args(["orders", "--help"]));
    assert_eq!(help.code, 0);
    assert_eq!(alone.stderr, help.stdout);
    assert!(
        !alone.stderr.contains("--base-url <URL>"),
        "{}",
        alone.stderr
    );
}

#[test]
fn every_manual_page_has_examples_exit_status_and_environment() {
    let env = TestEnv::new();
    let dir = env.dir.path().join("man");
    let wrote = run(env.cmd().args(["man", "--dir"]).arg(&dir));
    assert_eq!(wrote.code, 0, "{}", wrote.stderr);
    let mut pages = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let page = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        pages += 1;
        assert!(!page.contains(".SH EXTRA"), "{name}");
        assert!(
            page.contains(".SH EXAMPLES\n.nf\n"),
            "{name}: examples as written"
        );
        assert!(page.contains(".SH \"EXIT STATUS\""), "{name}");
        for code in ["0", "2", "3", "5", "6", "7", "8", "9", "130"] {
            assert!(
                page.contains(&format!(".TP\n\\fB{code}\\fR\n")),
                "{name}: exit {code}"
            );
        }
        assert!(page.contains(".SH ENVIRONMENT"), "{name}");
        for variable in [
            "LINKUS_CLIENT_ID",
            "LINKUS_CLIENT_SECRET",
            "LINKUS_PROFILE",
            "LINKUS_BASE_URL",
            "LINKUS_SANDBOX",
            "LINKUS_OUTPUT",
            "LINKUS_NO_INPUT",
            "LINKUS_TIMEOUT",
            "LINKUS_CAPTURE",
            "LINKUS_MAX_TOTAL",
            "LINKUS_CONFIG_DIR",
            "LINKUS_CACHE_DIR",
            "LINKUS_DATA_DIR",
            "LINKUS_LOCK_DIR",
            "LINKUS_TEAM_JOURNAL",
            "PGPASSWORD",
            "LINKUS_RETRY_BASE_MS",
            "LINKUS_WAIT_POLL_MS",
            "\\fBCI\\fR",
            "NO_COLOR",
        ] {
            assert!(
                page.contains(&variable.replace('-', "\\-")),
                "{name}: {variable}"
            );
        }
    }
    assert_eq!(pages, 30);
    let purchase = std::fs::read_to_string(dir.join("linkus-purchase.1")).unwrap();
    // A continued example keeps its line break and indentation.
    assert!(
        purchase.contains(
            "linkus purchase \\-\\-sn 369471667338 \\-\\-plan \"Linkus Cloud Service Pro\" \\e\n    \\-\\-billing\\-contact"
        ),
        "{purchase}"
    );
    assert!(
        purchase.contains(".SH \"AUTOMATION NOTES\"") || purchase.contains(".SH AUTOMATION NOTES")
    );
}

#[test]
fn completions_include_nushell_and_the_new_commands() {
    let env = TestEnv::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish", "nushell"] {
        let script = run(env.cmd().args(["completions", shell]));
        assert_eq!(script.code, 0, "{shell}: {}", script.stderr);
        assert!(script.stdout.contains("autorenew"), "{shell}");
    }
    let nu = run(env.cmd().args(["completions", "nushell"]));
    assert!(nu.stdout.contains("export extern linkus"), "{}", nu.stdout);
    assert!(
        nu.stdout.contains("export extern \"linkus sandbox pay\""),
        "{}",
        nu.stdout
    );
}

#[test]
fn a_missing_subcommand_with_json_still_prints_one_json_error() {
    let env = TestEnv::new();
    let alone = run(env.cmd().args(["--json", "orders"]));
    assert_eq!(alone.code, 2);
    let error = &alone.json()["error"];
    assert_eq!(error["kind"], "usage");
    assert_eq!(error["exitCode"], 2);
}

/// clap finds the page itself (no reading of the arguments by hand): `-h`, `--help`, `linkus
/// help …` and a global option's value that names a command all give the same page, and a
/// subcommand's page names the global options in one line instead of listing them.
#[test]
fn h_help_and_the_help_command_print_the_same_page_for_every_command() {
    let env = TestEnv::new();
    for page in PAGES.iter().filter(|page| !page.is_empty()) {
        let long = run(env.cmd().env("COLUMNS", "100").args(*page).arg("--help"));
        assert_eq!(long.code, 0, "{page:?}: {}", long.stderr);
        let short = run(env.cmd().env("COLUMNS", "100").args(*page).arg("-h"));
        assert_eq!(short.stdout, long.stdout, "{page:?}: -h and --help differ");
        let command = run(env.cmd().env("COLUMNS", "100").arg("help").args(*page));
        assert_eq!(
            command.stdout, long.stdout,
            "{page:?}: `help` and --help differ"
        );
        let valued = run(env
            .cmd()
            .env("COLUMNS", "100")
            .args(["--profile", "orders"])
            .args(*page)
            .arg("--help"));
        assert_eq!(valued.stdout, long.stdout, "{page:?}: --profile orders");
        assert!(
            long.stdout
                .contains("\nGlobal options: --profile, --base-url,")
                && long.stdout.ends_with("  (see `linkus --help`)\n")
                && !long.stdout.contains("--base-url <URL>"),
            "{page:?}:\n{}",
            long.stdout
        );
    }
}
