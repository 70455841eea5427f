//! The README's "Nightly renewals in CI" workflow, extracted from the README so that the copy
//! checked is the one users read (issue 18, item 6). CI also runs actionlint on it
//! (.github/workflows/ci.yml, job `readme-workflow`).

use yaml_rust2::{Yaml, YamlLoader};

/// The first ```yaml block after the heading "### Nightly renewals in CI".
pub fn nightly_workflow() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split_once("### Nightly renewals in CI")
        .expect("the README has a \"Nightly renewals in CI\" section")
        .1;
    let block = section
        .split_once("```yaml\n")
        .expect("a ```yaml block in that section")
        .1;
    block
        .split_once("\n```")
        .expect("the block is closed")
        .0
        .to_owned()
}

fn key<'a>(yaml: &'a Yaml, name: &str) -> &'a Yaml {
    let value = &yaml[name];
    assert!(!value.is_badvalue(), "no `{name}` in {yaml:?}");
    value
}

#[test]
fn the_readme_s_nightly_workflow_parses_and_has_every_step_a_nightly_job_needs() {
    let text = nightly_workflow();
    let docs = YamlLoader::load_from_str(&text).expect("the workflow is YAML");
    assert_eq!(docs.len(), 1);
    let workflow = &docs[0];
    let cron = key(&key(key(workflow, "on"), "schedule")[0], "cron");
    assert_eq!(
        cron.as_str().unwrap().split_whitespace().count(),
        5,
        "{cron:?}"
    );
    let job = key(key(workflow, "jobs"), "renew");
    assert!(key(job, "runs-on").as_str().is_some());
    let steps = key(job, "steps").as_vec().expect("steps");
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    let all = runs.join("\n");
    for piece in [
        "sha256sum --check",
        "linkus renew --expiring-within 30",
        "--max-total",
        "--results renewals.csv",
        "--yes",
        "GITHUB_OUTPUT",
    ] {
        assert!(all.contains(piece), "no {piece:?} in the workflow's steps");
    }
    // Credentials and the team journal come from secrets, never written in the file.
    let renew = steps
        .iter()
        .find(|s| s["id"].as_str() == Some("renew"))
        .expect("the renew step");
    let env = key(renew, "env");
    for name in [
        "LINKUS_CLIENT_ID",
        "LINKUS_CLIENT_SECRET",
        "LINKUS_TEAM_JOURNAL",
    ] {
        let value = key(env, name).as_str().unwrap();
        assert!(value.starts_with("${{ secrets."), "{name}: {value}");
    }
    // The results are kept whatever the exit code, and the paging codes fail the job.
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
        })
        .expect("an upload-artifact step");
    assert_eq!(upload["if"].as_str(), Some("always()"));
    assert_eq!(key(upload, "with")["path"].as_str(), Some("renewals.csv"));
    let last = runs.last().unwrap();
    for code in ["7)", "8)", "9)", "3)", "*)"] {
        assert!(
            last.contains(code),
            "the last step does not handle exit {code}"
        );
    }
}

/// The README's shell examples: each line of a ```sh block (a line ending in `\\` joined with
/// the next), leaving out the development commands (`cargo ...`, `bash ...`).
fn readme_examples() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let mut examples = Vec::new();
    let mut in_block = false;
    let mut current = String::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_block = line == "```sh";
            continue;
        }
        if !in_block || line.trim().is_empty() {
            continue;
        }
        match line.trim_end().strip_suffix('\\') {
            Some(part) => {
                current.push_str(part.trim());
                current.push(' ');
            }
            None => {
                current.push_str(line.trim());
                examples.push(std::mem::take(&mut current));
            }
        }
    }
    examples.retain(|e| !e.starts_with("cargo ") && !e.starts_with("bash "));
    examples
}

use crate::examples::UNTESTED;

#[test]
fn every_readme_example_runs_against_the_sandbox() {
    let examples = readme_examples();
    assert!(examples.len() > 40, "{examples:?}");
    let untested = examples.iter().filter(|e| e.contains(UNTESTED)).count();
    assert!(
        untested <= 8,
        "{untested} README examples are marked {UNTESTED}"
    );
    let failed: Vec<String> = examples
        .iter()
        .filter(|e| !e.contains(UNTESTED))
        .filter_map(|e| {
            crate::examples::run_example(e)
                .err()
                .map(|error| format!("{e}\n  {error}"))
        })
        .collect();
    assert!(
        failed.is_empty(),
        "README examples that fail:\n{}",
        failed.join("\n")
    );
}
