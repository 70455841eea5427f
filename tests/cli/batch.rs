//! `purchase | renew | switch --from FILE`: many orders from one file, resumably (CLI.md
//! section 1, "Batch"; issue 12). Each test reads like a partner's session: a file, a command,
//! what they see, the exit code, and what the portal received.

mod doubt;
mod files;
mod input;
mod phases;
pub mod portal;
mod results;

use std::path::PathBuf;

use serde_json::Value;

use crate::common::*;

/// The `i`-th SN of a test fleet: twelve digits, no special ending.
pub fn fleet_sn(i: usize) -> String {
    format!("51{i:08}77")
}

pub fn fleet(n: usize) -> Vec<String> {
    (1..=n).map(fleet_sn).collect()
}

/// A CSV file with an `sn` column and one row per SN.
pub fn csv_of(sns: &[String]) -> String {
    let mut text = "sn\n".to_owned();
    for sn in sns {
        text.push_str(sn);
        text.push('\n');
    }
    text
}

/// Writes `text` to a file in the test's folder.
pub fn file(env: &TestEnv, name: &str, text: &str) -> PathBuf {
    let path = env.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `purchase --from FILE` with every row's values as flags, and `--yes`.
pub fn batch_args(from: &std::path::Path) -> Vec<String> {
    [
        "purchase",
        "--from",
        &from.display().to_string(),
        "--plan",
        "Linkus Cloud Service",
        "--billing-contact",
        CONTACT_ID,
        "--years",
        "1",
        "--yes",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The rows of a `--json` batch result, by SN.
pub fn outcomes(run: &Run) -> Vec<(String, String)> {
    run.json()
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {}", run.stdout))
        .iter()
        .map(|row| {
            // The SN as the file gave it: a string, or a JSON number.
            let sn = match row.get("sn").or(row.get("productNo")) {
                Some(Value::String(sn)) => sn.clone(),
                Some(Value::Number(sn)) => sn.to_string(),
                _ => String::new(),
            };
            (sn, row["outcome"].as_str().unwrap_or("").to_owned())
        })
        .collect()
}

pub fn count_outcome(run: &Run, outcome: &str) -> usize {
    outcomes(run).iter().filter(|(_, o)| o == outcome).count()
}

/// The SN of an order body the portal received.
pub fn ordered_sn(body: &[u8]) -> String {
    let body: Value = serde_json::from_slice(body).expect("order body is JSON");
    body["productNo"].as_str().unwrap_or("").to_owned()
}
