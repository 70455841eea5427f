//! Every example of every `--help` page runs against the sandbox (issue 18, item 5): an
//! example that does not work fails the tests. Each runs in bash, in a folder of its own with
//! the files examples name, with `LINKUS_SANDBOX=1` and prompts off. The few that cannot run
//! here are listed in [`NOT_RUN`] with the reason; a listed example that no page shows any
//! more fails the test too, so the list cannot go stale.

use std::path::Path;
use std::process::Command;

use crate::common::*;

/// Examples that need a team journal's database; tests/cli/team runs these commands.
const NEEDS_DATABASE: &str = "linkus team ";

/// Examples that cannot run in a test, by their text as the help page shows it (continuation
/// lines joined with a space), and why.
const NOT_RUN: &[(&str, &str)] = &[
    (
        "linkus purchase --sn 369471667338",
        "asks for the rest in a terminal",
    ),
    (
        "linkus purchase                                  # the wizard asks for everything",
        "the wizard, in a terminal",
    ),
    (
        "linkus purchase --sn 369471667338 --dry-run",
        "asks for the plan and contact in a terminal",
    ),
    (
        "linkus renew --sn 369471667338 --dry-run",
        "asks for the contact in a terminal",
    ),
    (
        "linkus switch --sn 369471667338 --plan 3048918719332507648 --dry-run",
        "asks for the contact in a terminal",
    ),
    (
        "linkus orders show LR3206190457467703296",
        "an order of a real account",
    ),
    (
        "linkus orders show LR3206190457467703296 --json",
        "an order of a real account",
    ),
    (
        "linkus orders show LR3206190457467703296 --wait",
        "an order of a real account",
    ),
    (
        "linkus completions powershell >> $PROFILE",
        "PowerShell, not bash",
    ),
    (
        "linkus completions nushell | save -f ~/.config/nushell/linkus.nu   # then `use` it",
        "Nushell, not bash",
    ),
    (
        "linkus autorenew enable --sn 369471667338",
        "asks in a terminal",
    ),
    (
        "linkus sandbox pay LR3206190457467703296",
        "an order number of a real account",
    ),
    (
        "linkus sandbox cancel LR3206190457467703296",
        "an order number of a real account",
    ),
    (
        "linkus --sandbox orders show LR3206190457467703296 --wait       # exit 0",
        "an order number of a real account",
    ),
    ("linkus sandbox serve", "serves until Ctrl-C"),
    (
        "linkus sandbox serve --port 0 --latency-ms 50",
        "serves until Ctrl-C",
    ),
    (
        "linkus sandbox serve --port 8469 --fleet 1000",
        "serves until Ctrl-C",
    ),
];

fn help(path: &[&str]) -> String {
    let out = Command::new(assert_cmd::cargo::cargo_bin("linkus"))
        .args(path)
        .arg("--help")
        .env("NO_COLOR", "1")
        .output()
        .expect("linkus --help");
    String::from_utf8(out.stdout).expect("UTF-8 help")
}

/// The subcommands a help page lists under "Commands:".
fn subcommands(page: &str) -> Vec<String> {
    let Some((_, rest)) = page.split_once("Commands:\n") else {
        return Vec::new();
    };
    rest.lines()
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// The examples of a help page: the indented lines after "Examples:", a line ending in `\` or
/// `|` joined with the next.
fn examples(page: &str) -> Vec<String> {
    let Some((_, rest)) = page.split_once("Examples:\n") else {
        return Vec::new();
    };
    let mut examples = Vec::new();
    let mut current = String::new();
    for line in rest.lines().take_while(|line| line.starts_with("  ")) {
        let line = line.trim();
        if !current.is_empty() {
            current.push(' ');
        }
        match line.strip_suffix('\\') {
            Some(joined) => current.push_str(joined.trim_end()),
            None => {
                current.push_str(line);
                if !line.ends_with('|') {
                    examples.push(std::mem::take(&mut current));
                }
            }
        }
    }
    examples
}

/// Every help page's examples, with the page's command.
fn all_examples() -> Vec<(String, String)> {
    let mut pages = vec![Vec::<String>::new()];
    let mut found = Vec::new();
    while let Some(path) = pages.pop() {
        let words: Vec<&str> = path.iter().map(String::as_str).collect();
        let page = help(&words);
        for example in examples(&page) {
            found.push((words.join(" "), example));
        }
        for sub in subcommands(&page) {
            let mut next = path.clone();
            next.push(sub);
            pages.push(next);
        }
    }
    found
}

/// The files and state the examples assume: the files they name, and PBX 369471667338 with
/// Linkus (for `renew` and `switch`).
pub fn prepare(env: &TestEnv, dir: &Path, example: &str) {
    std::fs::write(
        dir.join("pbxs.csv"),
        "sn,plan,billing_contact,years\n\
         369471668888,Linkus Cloud Service,billing@example.com,1\n\
         369471669999,Linkus Cloud Service Pro,billing@example.com,2\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("upgrades.json"),
        r#"[{"sn": "369471660409", "billing_contact": "3197218168379846218"}]"#,
    )
    .unwrap();
    std::fs::write(dir.join("secret.txt"), "any-secret\n").unwrap();
    std::fs::write(dir.join("acme-secret.txt"), "any-secret\n").unwrap();
    std::fs::write(
        dir.join("user.json"),
        r#"{"userType": "Customer", "yeastarId": "it@customer.example", "firstName": "Ana", "company": "Customer Ltd", "country": "PT"}"#,
    )
    .unwrap();
    // Where the completion examples write, and a `pass` that knows the secret.
    for folder in [
        ".local/share/bash-completion/completions",
        ".config/fish/completions",
    ] {
        std::fs::create_dir_all(env.dir.path().join("home").join(folder)).unwrap();
    }
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("pass"), "#!/bin/sh\necho any-secret\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join("pass"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    if example.contains(" renew --sn ")
        || example.contains(" switch --sn ")
        || example.contains(" autorenew enable --sn ")
    {
        let bought = run(env.sandbox_cmd().args(purchase_args()));
        assert_eq!(
            bought.code, 0,
            "setting up for {example}: {}",
            bought.stderr
        );
    }
}

/// The exit code an example's comment promises (`# exit 8: pending`), else 0.
fn expected_exit(example: &str) -> i32 {
    example
        .split_once('#')
        .and_then(|(_, comment)| comment.trim().strip_prefix("exit "))
        .and_then(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|code| code.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs one example in bash against the sandbox, in a folder of its own: `Err` says how it
/// failed (an exit code other than the one its comment promises, `# exit N`, else 0).
pub fn run_example(example: &str) -> Result<(), String> {
    let bin_dir = assert_cmd::cargo::cargo_bin("linkus")
        .parent()
        .unwrap()
        .to_owned();
    let env = TestEnv::new();
    let dir = env.dir.path().join("cwd");
    std::fs::create_dir_all(&dir).unwrap();
    prepare(&env, &dir, &format!(" {example}"));
    let mut bash = std::process::Command::new("bash");
    bash.args(["-o", "pipefail", "-c", example])
        .current_dir(&dir);
    for (key, value) in env.sandbox_cmd().get_envs() {
        match value {
            Some(value) => bash.env(key, value),
            None => bash.env_remove(key),
        };
    }
    let out = bash
        .env(
            "PATH",
            format!(
                "{}:{}:{}",
                dir.join("bin").display(),
                bin_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("LINKUS_SANDBOX", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("bash");
    if out.status.code() == Some(expected_exit(example)) {
        return Ok(());
    }
    Err(format!(
        "exit {:?}, not {}: {}",
        out.status.code(),
        expected_exit(example),
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("")
    ))
}

#[test]
fn every_help_example_runs_against_the_sandbox() {
    let examples = all_examples();
    assert!(examples.len() > 30, "{examples:?}");
    let mut failed = Vec::new();
    for (page, example) in &examples {
        if NOT_RUN.iter().any(|(text, _)| text == example) {
            continue;
        }
        // `team` needs a PostgreSQL server, which the sandbox never uses: those pages' examples
        // run in tests/cli/team against a real one (`team init`, `status`, `sync`).
        if example.starts_with(NEEDS_DATABASE) {
            continue;
        }
        if let Err(error) = run_example(example) {
            failed.push(format!("`linkus {page} --help`: {example}\n  {error}"));
        }
    }
    assert!(
        failed.is_empty(),
        "examples that fail:\n{}",
        failed.join("\n")
    );
    // The list of examples not run stays short and current.
    assert!(
        NOT_RUN.len() <= 18,
        "more examples skipped than run in a terminal deserves"
    );
    for (text, why) in NOT_RUN {
        assert!(
            examples.iter().any(|(_, example)| example == text),
            "NOT_RUN lists an example no help page shows any more: {text} ({why})"
        );
    }
}

#[test]
fn an_example_s_comment_says_the_exit_code_it_expects() {
    assert_eq!(expected_exit("linkus x --yes      # exit 8: pending"), 8);
    assert_eq!(expected_exit("order=$(linkus -q x)   # exit 8"), 8);
    assert_eq!(expected_exit("linkus x   # waits, then exits"), 0);
    assert_eq!(expected_exit("linkus x"), 0);
}
