//! Whole runs of the main flows as snapshots (issue 19, "Whole-run snapshots"), the way uv's
//! tests take them: the command line, `success`, `exit_code`, stdout and stderr whole, in one
//! file per run under `whole_runs/snapshots/`, with temporary folders, ports, times,
//! durations, order numbers and request IDs filtered (common/whole_run.rs). A change in what
//! a person reads (a summary, a table, a tally, an error's message or hint) shows in review as
//! a diff of one of these files: `INSTA_UPDATE=always cargo test --test cli whole_runs`, then
//! `git diff`.
//!
//! `flows`: purchase, renew and switch with `--yes` (text and `--json`), batches with their
//! tables and tallies, the listings and `doctor`. `errors`: one run per exit code of CLI.md
//! section 4 at least, more where the message differs. `screens` (Unix): the wizard and the
//! confirmation in a terminal, first prompt to order.

mod errors;
mod flows;
#[cfg(unix)]
mod screens;

use assert_cmd::Command;

pub use crate::common::*;
pub use crate::{linkus_snapshot, text_snapshot};

/// `linkus --sandbox`, run from the test's home folder so that files are named as a person
/// names them (`--from pbxs.csv`), by user `ana` (the journal names who sent an order).
pub fn sandbox(env: &TestEnv) -> Command {
    person(env.sandbox_cmd(), env)
}

/// `linkus` against the portal at `url`, credentials in the environment, run from the home.
pub fn at(env: &TestEnv, url: &str) -> Command {
    person(env.portal_cmd(url), env)
}

/// `linkus` without the sandbox or credentials, run from the home.
pub fn plain(env: &TestEnv) -> Command {
    person(env.cmd(), env)
}

fn person(mut cmd: Command, env: &TestEnv) -> Command {
    cmd.current_dir(env.dir.path())
        .env("USER", "ana")
        .env_remove("LOGNAME")
        .env_remove("USERNAME");
    cmd
}

/// Writes `name` in the test's home folder.
pub fn file(env: &TestEnv, name: &str, text: &str) {
    std::fs::write(env.dir.path().join(name), text).unwrap();
}

/// A purchase that succeeds in the sandbox, for the runs that need an order first.
pub fn bought(env: &TestEnv, sn: &str) {
    let run = run(sandbox(env).args(purchase_args_for(sn)));
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_whole_run_shows_a_secret_s_name_never_its_value() {
    let env = TestEnv::new();
    let line = crate::common::whole_run::command_line(at(&env, "http://127.0.0.1:9").arg("doctor"));
    assert!(line.contains("LINKUS_CLIENT_SECRET=[SECRET]"), "{line}");
    assert!(!line.contains(CLIENT_SECRET), "{line}");
}

#[test]
#[should_panic(expected = "a secret in a snapshot")]
fn a_snapshot_with_a_secret_in_it_fails() {
    let run = Run {
        code: 0,
        stdout: format!("token {ACCESS_1}"),
        stderr: String::new(),
    };
    crate::common::whole_run::render("linkus x", &run);
}
