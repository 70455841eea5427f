//! `--capture DIR` / `LINKUS_CAPTURE`: every HTTP exchange as one JSON file that can be
//! attached to a bug report: no secret, no token, no personal value, the shape kept.

use std::path::{Path, PathBuf};

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::common::*;

/// Words that must never be in a capture file.
const NEVER: [&str; 9] = [
    CLIENT_SECRET,
    ACCESS_1,
    REFRESH_1,
    "billing@example.com",
    "accounts@northwind.example",
    "+351210000000",
    "Silva",
    "Okafor",
    "Example Telecom",
];

async fn portal_that_sells() -> MockServer {
    let server = portal().await;
    Mock::given(method("POST"))
        .and(path(ORDER_PATH))
        .respond_with(order_created("succeed"))
        .mount(&server)
        .await;
    server
}

fn capture_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = all_files_under(dir);
    files.sort();
    files
}

fn read(file: &Path) -> (String, Value) {
    let text = std::fs::read_to_string(file).unwrap();
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON ({e}):\n{text}", file.display()));
    (text, value)
}

/// The capture of the one exchange with `method` and a URL that contains `route`.
fn capture_of(dir: &Path, verb: &str, route: &str) -> (String, Value) {
    capture_files(dir)
        .iter()
        .map(|file| read(file))
        .find(|(_, value)| {
            value["request"]["method"] == verb
                && value["request"]["url"]
                    .as_str()
                    .is_some_and(|url| url.contains(route))
        })
        .unwrap_or_else(|| panic!("no capture of {verb} {route}"))
}

fn assert_clean(dir: &Path) {
    let files = capture_files(dir);
    assert!(!files.is_empty(), "no capture files in {}", dir.display());
    for file in files {
        let (text, _) = read(&file);
        for word in NEVER {
            assert!(
                !text.contains(word),
                "{} holds {word:?}:\n{text}",
                file.display()
            );
        }
        #[cfg(unix)]
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[tokio::test]
async fn a_purchase_captures_every_exchange_without_secrets_or_personal_data() {
    let server = portal_that_sells().await;
    let env = TestEnv::new();
    let dir = env.dir.path().join("capture");

    let out = run(env
        .portal_cmd(&server.uri())
        .arg("--capture")
        .arg(&dir)
        .args(purchase_args()));

    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("Capture:"), "{}", out.stderr);
    #[cfg(unix)]
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(
        capture_files(&dir).len(),
        total_requests(&server).await,
        "one file per exchange"
    );
    assert_clean(&dir);

    // The token exchange: the form's secret and the answer's tokens redacted.
    let (_, token) = capture_of(&dir, "POST", TOKEN_PATH);
    let form = token["request"]["body"].as_str().unwrap();
    assert!(form.contains("client_secret=(redacted)"), "{form}");
    assert!(form.contains("grant_type=pp_credentials"), "{form}");
    assert_eq!(token["response"]["status"], 200);
    assert_eq!(token["response"]["body"]["result"]["token"], "(redacted)");
    assert_eq!(token["response"]["body"]["result"]["expiresIn"], "1800");

    // Contacts: IDs digit for digit and of the type they came as; personal values replaced by
    // placeholders of the same type.
    let (text, contacts) = capture_of(&dir, "GET", CONTACTS_PATH);
    let first = &contacts["response"]["body"]["result"][0];
    assert_eq!(first["billingContactId"], CONTACT_ID);
    assert!(
        text.contains(&format!("\"billingContactId\": {OTHER_CONTACT_ID}")),
        "{text}"
    );
    assert_eq!(first["emailAddress"], "user@example.invalid");
    assert_eq!(first["firstName"], "(personal data)");
    assert_eq!(first["phoneNumber"], "(personal data)");
    assert_eq!(
        contacts["request"]["headers"]["authorization"],
        "(redacted)"
    );
    assert!(contacts["request"]["url"]
        .as_str()
        .unwrap()
        .starts_with(&server.uri()));
    assert!(contacts["startedAt"].as_str().unwrap().ends_with('Z'));
    assert!(contacts["elapsedMs"].is_u64());

    // The order: its body as sent, numbers digit for digit.
    let (text, order) = capture_of(&dir, "POST", ORDER_PATH);
    assert!(
        text.contains(&format!("\"serviceId\": {PLAN_ID}")),
        "{text}"
    );
    assert_eq!(order["request"]["body"]["productNo"], SN);
    assert_eq!(
        order["response"]["body"]["result"]["orderNo"],
        "LR3206190457467703296"
    );

    // Prices keep their decimals as written.
    let (text, _) = capture_of(&dir, "GET", PRICE_PATH);
    assert!(text.contains("\"120.00\""), "{text}");
}

#[tokio::test]
async fn linkus_capture_in_the_environment_works_too() {
    let server = portal().await;
    let env = TestEnv::new();
    let dir = env.dir.path().join("from-env");

    let out = run(env
        .portal_cmd(&server.uri())
        .env("LINKUS_CAPTURE", &dir)
        .args(["billing-contacts", "--json"]));

    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(capture_files(&dir).len(), 2, "token and contacts");
    assert_clean(&dir);
    // stdout still holds only the result.
    assert!(out.json().is_array());
}

#[test]
fn a_failed_exchange_is_captured_with_its_error() {
    let env = TestEnv::new();
    let dir = env.dir.path().join("capture");

    let out = run(env
        .portal_cmd(&closed_port_url())
        .arg("--capture")
        .arg(&dir)
        .arg("billing-contacts"));

    assert_eq!(out.code, 6, "{}", out.stderr);
    let files = capture_files(&dir);
    assert_eq!(files.len(), 3, "three attempts of the token request");
    for file in files {
        let (_, value) = read(&file);
        assert_eq!(value["response"], Value::Null);
        assert!(value["error"]
            .as_str()
            .unwrap()
            .contains("could not be reached"));
        assert_eq!(value["request"]["method"], "POST");
    }
    assert_clean(&dir);
}

#[tokio::test]
async fn two_runs_at_once_never_overwrite_each_others_files() {
    let server = portal().await;
    let env = TestEnv::new();
    let dir = env.dir.path().join("capture");

    let runs: Vec<_> = (0..4)
        .map(|_| {
            let mut cmd = env.portal_cmd(&server.uri());
            cmd.arg("--capture").arg(&dir).arg("billing-contacts");
            tokio::spawn(run_async(cmd))
        })
        .collect();
    for handle in runs {
        let out = handle.await.unwrap();
        assert_eq!(out.code, 0, "{}", out.stderr);
    }

    assert_eq!(capture_files(&dir).len(), total_requests(&server).await);
}

#[test]
fn a_capture_folder_that_cannot_be_written_is_refused_before_anything_is_sent() {
    let env = TestEnv::new();
    let file = env.dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();

    let out = run(env
        .portal_cmd(&closed_port_url())
        .arg("--capture")
        .arg(&file)
        .arg("billing-contacts"));

    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("capture folder"), "{}", out.stderr);
}
