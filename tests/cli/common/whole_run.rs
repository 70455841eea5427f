//! Whole-run snapshots, the way uv's tests take them (`uv_snapshot!` in uv's
//! `crates/uv/tests/it/common/mod.rs`): the command line, `success`, `exit_code`, and both
//! streams whole, in one snapshot, so that a change in anything a person reads shows in
//! review. What varies from run to run (temporary folders, ports, times, durations, order
//! numbers, request and journal IDs, versions) is replaced by a `[NAME]` placeholder first
//! ([`FILTERS`]); credentials are never in a snapshot ([`whole_run`] checks).
//!
//! ```ignore
//! let run = linkus_snapshot!("run__purchase", env.sandbox_cmd().args(purchase_args()));
//! ```

use assert_cmd::Command;

use super::*;

/// The filters, in order (a stamp is a time before its date is a date). Times, dates and
/// order numbers become placeholders of the same width, so that the columns of a table still
/// line up in its snapshot.
pub const FILTERS: &[(&str, &str)] = &[
    (
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z",
        "YYYY-MM-DDThh:mm:ss.sssZ",
    ),
    (
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z",
        "YYYY-MM-DDThh:mm:ssZ",
    ),
    (
        r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}",
        "YYYY-MM-DD hh:mm:ss",
    ),
    (
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
        "[TIME]",
    ),
    (r"\b\d{4}-\d{2}-\d{2}\b", "YYYY-MM-DD"),
    (r"\b\d+ (s|min|h|days?) ago\b", "[N] $1 ago"),
    (r"\(\d+ ms\)", "([N] ms)"),
    (r"\b(in|within) \d+ (ms|s)\b", "$1 [N] $2"),
    (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
    // The sandbox numbers its orders from the clock.
    (r"\bLR\d{19}\b", "LR###################"),
    (r"\bLR\d+", "LR[ORDER]"),
    (r"\bQO\d{19}\b", "QO###################"),
    (r"\bQO\d+", "QO[TRANSACTION]"),
    (r"(Order ID\s+)\d+", "${1}[ORDER_ID]"),
    (r#""orderId": "\d+""#, r#""orderId": "[ORDER_ID]""#),
    (r#""id": "\d{19}""#, r#""id": "[ORDER_ID]""#),
    (r#""createTime": \d+"#, r#""createTime": [EPOCH_MS]"#),
    (r"\b[0-9a-f]{32}\b", "[REQUEST_ID]"),
    (r"\b[0-9a-f]{16}\b", "[ENTRY_ID]"),
    (r#""pid": \d+"#, r#""pid": [PID]"#),
    (r#""host": "[^"]*""#, r#""host": "[HOST]""#),
    (r#""user": (null|"[^"]*")"#, r#""user": [USER]"#),
    (r#""age": \d+"#, r#""age": [AGE]"#),
    (r"\bpid \d+", "pid [PID]"),
    (r"linkus-cli/\d+\.\d+\.\d+\S*", "linkus-cli/[VERSION]"),
    // The system's words for a refused connection (macOS and Windows number it otherwise).
    (
        r"(Connection refused|No connection could be made because the target machine actively refused it\.) \(os error \d+\)",
        "Connection refused (os error [N])",
    ),
];

/// Insta's settings: a test's home folder (a [`TestEnv`], `.tmpXXXXXX` in the system's
/// temporary folder) and the filters above as placeholders, and plain snapshot names
/// (`help__orders_show.snap`).
pub fn settings() -> insta::Settings {
    let mut settings = plain();
    let temp = std::env::temp_dir();
    let temp = temp.to_string_lossy();
    let temp = temp.trim_end_matches(['/', '\\']);
    // As printed, and inside a JSON string (where Windows's `\` is `\\`).
    for temp in [escape(temp), escape(&temp.replace('\\', r"\\"))] {
        settings.add_filter(&format!(r"{temp}(/|\\{{1,2}})\.tmp\w+"), "[HOME]");
        settings.add_filter(&temp, "[TMP]");
    }
    // Windows paths under the home folder, `\` or `\\` in JSON, as `/`: one separator a pass.
    for _ in 0..4 {
        settings.add_filter(r"(\[HOME\][\w./-]*)\\{1,2}", "$1/");
    }
    for (regex, replacement) in FILTERS {
        settings.add_filter(regex, *replacement);
    }
    // The machine an order was sent from, as the journal names it ("… on build-1").
    if let Some(host) = this_host() {
        settings.add_filter(&format!(r"( on ){}\b", escape(&host)), "$1[HOST]");
    }
    settings
}

/// This machine's name as linkus writes it in the journal (its node name).
fn this_host() -> Option<String> {
    #[cfg(unix)]
    let name = std::process::Command::new("uname")
        .arg("-n")
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
    #[cfg(not(unix))]
    let name = std::env::var("COMPUTERNAME").ok();
    name.filter(|name| !name.is_empty())
}

/// A literal path as a regular expression.
pub fn escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if r"\.+*?()|[]{}^$#&-~".contains(c) {
                format!("\\{c}")
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// No filters: for text that is the same on every run (help), where a filter could only hide
/// a change (the order number in an example is not a placeholder).
pub fn plain() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

/// The environment variables that every test sets to isolate itself: not part of a run's
/// story, so not shown.
const ISOLATION: &[&str] = &[
    "LINKUS_CONFIG_DIR",
    "LINKUS_CACHE_DIR",
    "LINKUS_DATA_DIR",
    "LINKUS_LOCK_DIR",
    "LINKUS_RETRY_BASE_MS",
    "LINKUS_RETRY_MAX_MS",
];

/// Values that must never reach a snapshot (nor the output).
const SECRETS: &[&str] = &[CLIENT_SECRET, ACCESS_1, ACCESS_2, REFRESH_1, REFRESH_2];

/// A word as a shell would need it quoted.
pub fn quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Control characters (an escape sequence, a carriage return) shown as `\u{..}`: the
/// snapshot shows what reached the stream rather than hiding it.
pub fn visible(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c.to_string(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// The command line as typed: the `LINKUS_*` variables that matter (a secret's value shown
/// as `[SECRET]`), then `linkus` and its arguments.
pub fn command_line(cmd: &Command) -> String {
    let mut words = Vec::new();
    let mut envs: Vec<(String, String)> = cmd
        .get_envs()
        .filter_map(|(key, value)| Some((key.to_string_lossy().into_owned(), value?)))
        .filter(|(key, _)| {
            (key.starts_with("LINKUS_") && !ISOLATION.contains(&key.as_str())) || key == "COLUMNS"
        })
        .map(|(key, value)| {
            let value = if key.contains("SECRET") {
                "[SECRET]".to_owned()
            } else {
                quote(&value.to_string_lossy())
            };
            (key, value)
        })
        .collect();
    envs.sort();
    for (key, value) in envs {
        words.push(format!("{key}={value}"));
    }
    words.push("linkus".to_owned());
    words.extend(cmd.get_args().map(|arg| quote(&arg.to_string_lossy())));
    words.join(" ")
}

/// uv's layout: `success`, `exit_code`, then stdout and stderr whole.
pub fn render(line: &str, run: &Run) -> String {
    let text = format!(
        "$ {line}\nsuccess: {}\nexit_code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}\n",
        run.code == 0,
        run.code,
        visible(&run.stdout),
        visible(&run.stderr),
    );
    assert_no_secret(&text);
    text
}

/// Runs `cmd` (with the test's home as its working folder, so that a file is named as a
/// person would name it) and renders the whole run.
pub fn whole_run(cmd: &mut Command) -> (Run, String) {
    let line = command_line(cmd);
    let run = run(cmd);
    let text = render(&line, &run);
    (run, text)
}

/// A snapshot never holds a credential or token, filtered or not.
pub fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "a secret in a snapshot:\n{text}");
    }
}

/// Runs a `linkus` command and snapshots the whole run (uv's `uv_snapshot!`) as
/// `snapshots/NAME.snap` beside the calling test; returns the [`Run`] for further checks (what
/// the server received, say).
#[macro_export]
macro_rules! linkus_snapshot {
    ($name:expr, $cmd:expr) => {{
        let (run, text) = $crate::common::whole_run::whole_run($cmd);
        $crate::common::whole_run::settings().bind(|| ::insta::assert_snapshot!($name, text));
        run
    }};
}

/// Snapshots text already rendered (a terminal session), with the same filters.
#[macro_export]
macro_rules! text_snapshot {
    ($name:expr, $text:expr) => {{
        let text: String = $text;
        $crate::common::whole_run::assert_no_secret(&text);
        $crate::common::whole_run::settings().bind(|| ::insta::assert_snapshot!($name, text));
    }};
}
