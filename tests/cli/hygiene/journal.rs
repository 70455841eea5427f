//! Issue 9 item 7: a journal on a nearly full disk. A torn line never swallows the next one,
//! reconcile names it, and a full disk is a real one (`ulimit -f`, SIGXFSZ ignored).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const ORDER_NO: &str = "LR3206190457467703296";

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

async fn portal_that_sells() -> MockServer {
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    server
}

/// The portal's order list now shows the order (for reconcile).
async fn lists_the_order(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(ORDERS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(envelope(json!({
            "count": 1, "pageNo": 1, "pageSize": 100, "total": 1, "totalPage": 1,
            "results": [{"id": "3206190457467703296", "orderNo": ORDER_NO, "orderStatus": "succeed",
                         "createTime": now_ms(), "currencyCode": "USD", "productNo": SN}]
        }))))
        .with_priority(1)
        .mount(server)
        .await;
}

/// The journal's lines but blank ones, each parsed if it can be (`None` for a damaged one).
fn journal_text_lines(env: &TestEnv) -> Vec<(String, Option<Value>)> {
    std::fs::read_to_string(env.journal())
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| (line.to_owned(), serde_json::from_str(line).ok()))
        .collect()
}

#[tokio::test]
async fn after_a_torn_last_line_the_next_intent_is_whole_and_reconcile_names_the_damage() {
    let server = portal_that_sells().await;
    let env = TestEnv::new();
    std::fs::create_dir_all(env.data_dir()).unwrap();
    // An earlier order for another PBX, then a write cut short by a full disk: half a line,
    // no newline.
    std::fs::write(
        env.journal(),
        concat!(
            r#"{"event":"intent","id":"0000000000000001","time":"2026-01-01T10:00:00.000Z","profile":"default","baseUrl":"x","sn":"111","operation":"purchase","planId":"1","planName":"p","billingContactId":"2","years":1,"poNumber":null}"#,
            "\n",
            r#"{"event":"outcome","id":"0000000000000001","time":"2026-01-01T10:00:01.000Z","outcome":"succeed","orderNo":"LR1","orderStatus":"succeed","requestId":null}"#,
            "\n",
            r#"{"event":"outcome","id":"00000000000000"#,
        ),
    )
    .unwrap();

    let bought = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    let lines = journal_text_lines(&env);
    assert_eq!(lines.len(), 5, "{lines:#?}");
    assert!(lines[2].1.is_none(), "line 3 stays the torn one");
    let intent = lines[3]
        .1
        .as_ref()
        .expect("the new intent is a line of its own");
    assert_eq!(intent["event"], "intent");
    assert_eq!(intent["sn"], SN);
    let outcome = lines[4].1.as_ref().expect("the outcome is readable");
    assert_eq!(outcome["id"], intent["id"]);
    assert_eq!(outcome["orderNo"], ORDER_NO);

    // Reconcile lists the damaged line by number; it does not change the exit code.
    let human = run(env.portal_cmd(&server.uri()).args(["orders", "reconcile"]));
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(human.stdout.contains("damaged"), "{}", human.stdout);
    assert!(human.stdout.contains("line 3"), "{}", human.stdout);
    let json = run(env
        .portal_cmd(&server.uri())
        .args(["orders", "reconcile", "--json"]));
    assert_eq!(json.code, 0, "{}", json.stderr);
    let rows = json.json();
    let damaged: Vec<&Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["status"] == "damaged")
        .collect();
    assert_eq!(damaged.len(), 1, "{rows:#}");
    assert_eq!(damaged[0]["line"], 3, "{rows:#}");
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
}

#[tokio::test]
async fn a_damaged_line_beside_an_unknown_order_leaves_reconcile_at_exit_7() {
    let server = portal().await;
    let env = TestEnv::new();
    std::fs::create_dir_all(env.data_dir()).unwrap();
    let intent = format!(
        r#"{{"event":"intent","id":"0000000000000009","time":"2026-01-01T10:00:00.000Z","profile":"default","baseUrl":"{}/","sn":"{SN}","operation":"purchase","planId":"1","planName":"p","billingContactId":"2","years":1,"poNumber":null}}"#,
        server.uri()
    );
    std::fs::write(
        env.journal(),
        format!(
            "{intent}\n{}\n{}",
            r#"{"event":"outcome","id":"0000000000000009","time":"2026-01-01T10:00:01.000Z","outcome":"unknown","orderNo":null,"orderStatus":null,"requestId":null}"#,
            r#"{"event":"reconciled","id":"0000000"#
        ),
    )
    .unwrap();
    let json = run(env
        .portal_cmd(&server.uri())
        .args(["orders", "reconcile", "--json"]));
    assert_eq!(json.code, 7, "{}", json.stderr);
    let rows = json.json();
    let statuses: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["unknown", "damaged"], "{rows:#}");
    assert_eq!(rows[1]["line"], 3);
}

/// linkus run by `sh` with files limited to `blocks` × 512 bytes (dash and bash in POSIX
/// mode count `ulimit -f` in 512-byte blocks) and SIGXFSZ ignored, so that a write past the
/// limit fails with EFBIG as on a full disk, after writing what fits.
fn on_a_full_disk(env: &TestEnv, blocks: u64, base_url: &str) -> Command {
    let mut cmd = env.isolate(Command::new("sh"));
    cmd.arg("-c")
        .arg(format!(
            r#"trap "" XFSZ; ulimit -f {blocks}; exec "$0" "$@""#
        ))
        .arg(assert_cmd::cargo::cargo_bin("linkus"))
        .env("LINKUS_BASE_URL", base_url)
        .env("LINKUS_CLIENT_ID", CLIENT_ID)
        .env("LINKUS_CLIENT_SECRET", CLIENT_SECRET);
    cmd
}

const BLOCKS: u64 = 16;
const LIMIT: usize = BLOCKS as usize * 512;

/// Fills `file` with blank lines (which the journal skips) up to `LIMIT - room` bytes.
fn fill(file: &Path, room: usize) {
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let size = LIMIT - room;
    let mut text = " ".repeat(size - 1);
    text.push('\n');
    std::fs::write(file, text).unwrap();
}

/// The length of an intent line and the name of the SN's record beside the locks, from a
/// purchase in another home (its pid may differ by a digit: callers leave a margin).
async fn measure(server: &MockServer) -> (usize, String) {
    let probe = TestEnv::new();
    let run = run(probe.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(probe.journal()).unwrap();
    let intent = text.lines().next().unwrap().len() + 1;
    let record = all_files_under(&probe.lock_dir())
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .expect("the SN's record beside the locks");
    let name = record.file_name().unwrap().to_string_lossy().into_owned();
    (intent, name)
}

#[tokio::test]
async fn an_outcome_the_full_disk_refuses_is_said_and_the_sn_stays_blocked_until_reconciled() {
    let server = portal_that_sells().await;
    let (intent_len, record_name) = measure(&server).await;
    let env = TestEnv::new();
    // Room for the intent, not for the outcome (about 170 bytes), in the journal and in the
    // SN's record beside the locks (the lock folder on the same full disk).
    let room = intent_len + 60;
    fill(&env.journal(), room);
    let record: PathBuf = env.lock_dir().join(&record_name);
    fill(&record, room);

    let full = run(on_a_full_disk(&env, BLOCKS, &server.uri()).args(purchase_args()));
    assert_eq!(
        count(&server, "POST", ORDER_PATH).await,
        2,
        "the order was sent"
    );
    assert_eq!(full.code, 0, "the order succeeded: {}", full.stderr);
    assert!(full.stdout.contains(ORDER_NO), "{}", full.stdout);
    assert!(
        full.stderr.contains(&format!(
            "the outcome of the order for SN {SN} could not be written to the journal"
        )),
        "{}",
        full.stderr
    );
    assert!(
        full.stderr.contains("linkus orders reconcile"),
        "{}",
        full.stderr
    );
    let lines = journal_text_lines(&env);
    let intent = lines
        .iter()
        .find_map(|(_, v)| v.as_ref().filter(|v| v["event"] == "intent"))
        .expect("the intent is whole on disk")
        .clone();
    assert!(
        lines.last().unwrap().1.is_none(),
        "the outcome line is torn: {lines:#?}"
    );

    // Later, with room again: the SN is blocked as unknown, and nothing is sent.
    let blocked = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(blocked.code, 9, "{}", blocked.stderr);
    assert!(
        blocked.stderr.contains("has no known outcome"),
        "{}",
        blocked.stderr
    );
    assert!(
        blocked.stderr.contains(intent["id"].as_str().unwrap()),
        "{}",
        blocked.stderr
    );
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 2);

    // Reconcile finds the order, and lists the torn outcome line.
    lists_the_order(&server).await;
    let settled = run(env
        .portal_cmd(&server.uri())
        .args(["orders", "reconcile", "--json"]));
    assert_eq!(settled.code, 0, "{}", settled.stderr);
    let rows = settled.json();
    assert_eq!(rows[0]["status"], "settled", "{rows:#}");
    assert_eq!(rows[0]["orderNo"], ORDER_NO, "{rows:#}");
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .any(|row| row["status"] == "damaged"),
        "{rows:#}"
    );
    // Settled: the block now names the order, and `--again` it lets a second one through.
    let named = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(named.code, 9, "{}", named.stderr);
    assert!(named.stderr.contains(ORDER_NO), "{}", named.stderr);
    let again = run(env
        .portal_cmd(&server.uri())
        .args(purchase_args())
        .args(["--again", ORDER_NO]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 3);
}

#[tokio::test]
async fn an_intent_the_full_disk_refuses_stops_the_order_with_exit_2() {
    let server = portal_that_sells().await;
    let env = TestEnv::new();
    fill(&env.journal(), 40);

    let full = run(on_a_full_disk(&env, BLOCKS, &server.uri()).args(purchase_args()));
    assert_eq!(full.code, 2, "{}", full.stderr);
    assert!(
        full.stderr.contains("so it was not sent"),
        "{}",
        full.stderr
    );
    assert!(
        full.stderr.contains("nothing was bought"),
        "{}",
        full.stderr
    );
    assert!(!full.stderr.contains("looks like a bug"), "{}", full.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);

    // The torn intent was never acted on: with room again, the purchase goes through.
    let later = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(later.code, 0, "{}", later.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);
    let lines = journal_text_lines(&env);
    assert_eq!(
        lines.iter().filter(|(_, v)| v.is_none()).count(),
        1,
        "the torn intent: {lines:#?}"
    );
}
