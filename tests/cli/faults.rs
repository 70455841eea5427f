//! Fault injection: each row is one fault on one request, with the exit code, the error kind
//! and the words on stderr it must give, and, for purchases, how many order requests reached
//! the portal. Rows of a table run concurrently (each with its own home and its own server),
//! and every problem of every row is reported by row name at the end.
//!
//! On every row, whatever happens: no Rust panic, no backtrace, and no secret (client secret,
//! access or refresh token) on stdout or stderr. Every table prints how many rows it has and
//! how many order requests each row's portal received (`cargo test faults -- --nocapture`
//! shows them), and fails if a purchase row received more than one (two on the rows whose
//! order is answered 401, the one resend the contract allows).

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::raw::{RawRequest, RawServer, Reply};
use crate::common::*;
use crate::never_twice::{intent_line, outcome_line, seed, spawn};

const ACCESS_3: &str = "eyJ.access-token-three-eeeeeeee";

/// The order number of every order answer here.
const ORDER_NO: &str = "LR3206190457467703296";

/// Everything that must never be printed.
const SECRETS: [&str; 6] = [
    CLIENT_SECRET,
    ACCESS_1,
    ACCESS_2,
    ACCESS_3,
    REFRESH_1,
    REFRESH_2,
];

/// No row may take this long: timeouts are 0.5–1 s and retries are fast in tests.
const ROW_LIMIT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// Checks that collect problems instead of stopping at the first one.

#[derive(Default)]
struct Checks(Vec<String>);

impl Checks {
    fn check(&mut self, row: &str, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(format!("[{row}] {}", what()));
        }
    }

    /// No panic, no backtrace, no secret, whatever the outcome.
    fn hygiene(&mut self, row: &str, run: &Run) {
        let all = run.all_output();
        for marker in ["panicked", "RUST_BACKTRACE", "internal error"] {
            self.check(row, !all.contains(marker), || {
                format!("output shows {marker:?}:\n{all}")
            });
        }
        for secret in SECRETS {
            self.check(row, !all.contains(secret), || {
                format!("output shows the secret {secret:?}:\n{all}")
            });
        }
    }

    /// The exit code, the words on stderr and, with `--json`, the error object on stdout.
    fn outcome(&mut self, row: &str, run: &Run, code: i32, kind: Option<&str>, words: &[&str]) {
        self.check(row, run.code == code, || {
            format!(
                "exit code {} instead of {code}\nstdout: {}\nstderr: {}",
                run.code,
                clip(&run.stdout),
                run.stderr
            )
        });
        for word in words {
            self.check(row, run.stderr.contains(word), || {
                format!("stderr lacks {word:?}:\n{}", run.stderr)
            });
        }
        let Some(kind) = kind else { return };
        match serde_json::from_str::<Value>(&run.stdout) {
            Ok(document) => {
                let error = &document["error"];
                self.check(row, error["kind"] == kind, || {
                    format!("JSON error kind {} instead of {kind:?}", error["kind"])
                });
                self.check(row, error["exitCode"] == code, || {
                    format!("JSON exitCode {} instead of {code}", error["exitCode"])
                });
            }
            Err(e) => self.check(row, false, || {
                format!(
                    "stdout is not one JSON document ({e}): {}",
                    clip(&run.stdout)
                )
            }),
        }
    }

    fn finish(self) {
        assert!(
            self.0.is_empty(),
            "{} problem(s):\n{}",
            self.0.len(),
            self.0.join("\n\n")
        );
    }
}

fn clip(text: &str) -> String {
    match text.char_indices().nth(2000) {
        Some((end, _)) => format!("{}… ({} bytes)", &text[..end], text.len()),
        None => text.to_owned(),
    }
}

/// One row's order requests, for the table's tally.
struct Tally {
    row: String,
    /// `None` for a row that buys nothing (a read).
    orders: Option<usize>,
    /// The most order requests the row may cause: 1, or 2 when its order is answered 401.
    most: usize,
}

impl Tally {
    fn purchase(row: &str, orders: usize) -> Self {
        Tally {
            row: row.to_owned(),
            orders: Some(orders),
            most: 1,
        }
    }
}

/// Prints the table's size and each row's order requests, and checks that no row received
/// more order requests than it may.
fn tally(table: &str, rows: &[Tally], checks: &mut Checks) {
    let mut text = format!(
        "fault table `{table}`: {} rows\n  orders  row\n",
        rows.len()
    );
    for row in rows {
        let orders = row.orders.map_or("-".to_owned(), |n| n.to_string());
        text.push_str(&format!("  {orders:>6}  {}\n", row.row));
        if let Some(orders) = row.orders {
            checks.check(&row.row, orders <= row.most, || {
                format!("{orders} order requests: never more than {}", row.most)
            });
        }
    }
    #[allow(clippy::print_stderr)]
    {
        eprint!("{text}");
    }
}

fn timed(mut cmd: assert_cmd::Command) -> (Run, Duration) {
    let started = Instant::now();
    let run = run(&mut cmd);
    (run, started.elapsed())
}

/// Runs commands at once, each on its own blocking thread, in order of the input.
async fn run_all(cmds: Vec<assert_cmd::Command>) -> Vec<(Run, Duration)> {
    let handles: Vec<_> = cmds
        .into_iter()
        .map(|cmd| tokio::task::spawn_blocking(move || timed(cmd)))
        .collect();
    let mut runs = Vec::new();
    for handle in handles {
        runs.push(handle.await.expect("join"));
    }
    runs
}

// ---------------------------------------------------------------------------------------------
// Bodies.

fn token_ok(access: &str) -> String {
    envelope(token_result(access, REFRESH_1, "1800")).to_string()
}

fn instances_ok() -> String {
    envelope(json!({"pageNo": 1, "totalPage": 1, "results": []})).to_string()
}

fn order_ok() -> String {
    json!({
        "code": "success", "detailMessage": "", "requestId": "req-order-1", "status": 200,
        "result": {
            "instanceId": "106396", "orderNo": "LR3206190457467703296", "orderStatus": "succeed",
            "productNo": SN, "transactionNo": "QO3206190458986041345"
        }
    })
    .to_string()
}

/// A 400 rejection envelope, as the portal gives for an SN that is not eligible.
fn rejection_json(status: u16) -> String {
    json!({
        "code": "product_not_eligible", "detailMessage": "The SN is not eligible",
        "requestId": "req-rejected-1", "result": null, "status": status
    })
    .to_string()
}

fn server_error_json() -> String {
    json!({
        "code": "internal_error", "detailMessage": "something broke",
        "requestId": "req-500", "result": null, "status": 500
    })
    .to_string()
}

fn html_page(status: u16) -> String {
    format!("<html>\n<head><title>{status} Error</title></head><body>nginx</body></html>")
}

/// A valid success envelope, `total` bytes or more, padded with an unknown member.
fn padded_envelope(total: usize) -> Vec<u8> {
    format!(
        r#"{{"code":"success","detailMessage":"","requestId":"req-big","status":200,"result":[],"padding":"{}"}}"#,
        "x".repeat(total)
    )
    .into_bytes()
}

/// 6 MiB sent chunked, with no Content-Length to refuse it by.
fn chunked_6_mib() -> Vec<u8> {
    let body = padded_envelope(6 << 20);
    let mut bytes = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for chunk in body.chunks(64 * 1024) {
        bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        bytes.extend_from_slice(chunk);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"0\r\n\r\n");
    bytes
}

/// A real contacts list of about 3 MiB: many contacts, each with its own ID.
fn big_contacts_body() -> (String, usize) {
    let mut items = Vec::new();
    let mut size = 0;
    let mut n: u64 = 0;
    while size < 3 << 20 {
        let item = format!(
            r#"{{"billingContactId":"{}","firstName":"Contact","lastName":"Number {n}","company":"Example Telecom {n}","emailAddress":"billing{n}@example.com","phoneNumber":"+351210{n:06}"}}"#,
            3197218168379846218 + n
        );
        size += item.len() + 1;
        items.push(item);
        n += 1;
    }
    let body = format!(
        r#"{{"code":"success","detailMessage":"","requestId":"req-contacts-big","status":200,"result":[{}]}}"#,
        items.join(",")
    );
    (body, items.len())
}

/// A head that promises more than is sent, then the connection closes.
fn truncated() -> Vec<u8> {
    let mut bytes = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n".to_vec();
    bytes.extend_from_slice(br#"{"code":"success","detailMessage":"","requestId":"req-cut","res"#);
    bytes
}

/// An envelope whose strings hold bytes that are not UTF-8.
fn invalid_utf8() -> Vec<u8> {
    let mut bytes =
        br#"{"code":"success","detailMessage":"","requestId":"req-bytes","status":200,"result":[{"billingContactId":"1","firstName":""#
            .to_vec();
    bytes.extend_from_slice(b"\xff\xfe\xc3\x28 Ana");
    bytes.extend_from_slice(br#"","emailAddress":"a@example.com"}]}"#);
    bytes
}

fn trickle(body: String) -> Reply {
    Reply::Trickle {
        status: 200,
        body: body.into_bytes(),
        every: Duration::from_millis(100),
    }
}

// ---------------------------------------------------------------------------------------------
// The portal with one faulty route.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    /// `products --sn SN`; the fault is on the plans lookup.
    Products,
    /// `billing-contacts`; the fault is on the contacts lookup.
    Contacts,
    /// A whole purchase; the fault is on the plans lookup, before any order.
    PurchasePlans,
    /// A whole purchase; the fault is on the order request.
    Order,
    /// `linkus api POST PATH --input ORDER` with the order path spelled this way; the fault is
    /// on that request, wherever the spelling takes it.
    Api(&'static str),
}

impl Target {
    fn route(self) -> (&'static str, &'static str) {
        match self {
            Target::Products | Target::PurchasePlans => ("GET", PLANS_PATH),
            Target::Contacts => ("GET", CONTACTS_PATH),
            Target::Order | Target::Api(_) => ("POST", ORDER_PATH),
        }
    }

    fn args(self) -> Vec<&'static str> {
        match self {
            Target::Products => vec!["products", "--sn", SN],
            Target::Contacts => vec!["billing-contacts"],
            Target::PurchasePlans | Target::Order => purchase_args(),
            Target::Api(spelled) => vec!["api", "POST", spelled],
        }
    }

    fn is_purchase(self) -> bool {
        matches!(self, Target::PurchasePlans | Target::Order | Target::Api(_))
    }

    /// Whether a request is the one the row's fault is on.
    fn is_faulty(self, verb: &str, request_path: &str) -> bool {
        let (route_verb, route) = self.route();
        match self {
            Target::Api(_) => verb == "POST" && is_order_spelling(request_path),
            _ => verb == route_verb && request_path == route,
        }
    }
}

/// A POST that any spelling of the order path in these tables reaches: its path starts with
/// `/order`, in any case, after any number of slashes.
fn is_order_spelling(request_path: &str) -> bool {
    request_path
        .trim_start_matches('/')
        .to_ascii_lowercase()
        .starts_with("order")
}

/// The body of an order sent with `linkus api`, as purchase_args would send it.
fn api_order_body() -> String {
    format!(
        r#"{{"operationType":"purchase_plan","productId":9,"productNo":"{SN}","billingId":{CONTACT_ID},"serviceList":[{{"serviceType":"plan","serviceId":{PLAN_ID},"purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":1}}]}}"#
    )
}

enum Fault {
    /// Served by the scripted raw server: resets, hangs, truncation, trickles.
    Raw(fn() -> Reply),
    /// Served by wiremock: whole responses with any status, header and body.
    Mock(fn() -> ResponseTemplate),
}

struct Row {
    name: &'static str,
    target: Target,
    fault: Fault,
    /// `--timeout`, when the row needs a short one.
    timeout: Option<&'static str>,
    code: i32,
    /// The JSON error object's `kind`; `None` when the command succeeds.
    kind: Option<&'static str>,
    stderr: &'static [&'static str],
    /// Requests the faulty route received: attempts for a read, order requests for an order.
    hits: usize,
}

enum Server {
    Raw(RawServer),
    Mock(MockServer),
}

impl Server {
    fn url(&self) -> String {
        match self {
            Server::Raw(server) => server.url.clone(),
            Server::Mock(server) => server.uri(),
        }
    }

    async fn count(&self, verb: &str, route: &str) -> usize {
        match self {
            Server::Raw(server) => server.count(verb, route),
            Server::Mock(server) => count(server, verb, route).await,
        }
    }

    /// The requests the row's fault was on (for `api` rows, any spelling of the order path).
    async fn count_faulty(&self, target: Target) -> usize {
        match self {
            Server::Raw(server) => server
                .requests()
                .iter()
                .filter(|r| target.is_faulty(&r.method, r.path()))
                .count(),
            Server::Mock(server) => server
                .received_requests()
                .await
                .unwrap_or_default()
                .iter()
                .filter(|r| target.is_faulty(r.method.as_str(), r.url.path()))
                .count(),
        }
    }
}

fn normal_raw(request: &RawRequest) -> Reply {
    match (request.method.as_str(), request.path()) {
        ("POST", TOKEN_PATH) => Reply::json(200, token_ok(ACCESS_1)),
        ("GET", PLANS_PATH) => Reply::json(200, plans_body()),
        ("GET", CONTACTS_PATH) => Reply::json(200, contacts_body()),
        ("GET", INSTANCES_PATH) => Reply::json(200, instances_ok()),
        ("GET", ORDERS_PATH) => Reply::json(200, empty_orders_body()),
        ("POST", ORDER_PATH) => Reply::json(200, order_ok()),
        _ => Reply::json(404, "{}"),
    }
}

async fn serve(row: &Row) -> Server {
    let (verb, route) = row.target.route();
    let target = row.target;
    match row.fault {
        Fault::Raw(fault) => Server::Raw(RawServer::start(move |request| {
            if target.is_faulty(&request.method, request.path()) {
                fault()
            } else {
                normal_raw(request)
            }
        })),
        Fault::Mock(fault) => {
            let server = portal().await;
            Mock::given(method("POST"))
                .and(path(ORDER_PATH))
                .respond_with(order_created("succeed"))
                .mount(&server)
                .await;
            let faulty = Mock::given(method(verb));
            let faulty = match target {
                Target::Api(_) => faulty.and(wiremock::matchers::path_regex("(?i)^/+order")),
                _ => faulty.and(path(route)),
            };
            faulty
                .respond_with(fault())
                .with_priority(1)
                .mount(&server)
                .await;
            Server::Mock(server)
        }
    }
}

async fn run_table(table: &str, rows: Vec<Row>) {
    let mut cases = Vec::new();
    for row in rows {
        let server = serve(&row).await;
        cases.push((row, server, TestEnv::new()));
    }
    let cmds = cases
        .iter()
        .map(|(row, server, env)| {
            let mut cmd = env.portal_cmd(&server.url());
            if let Some(timeout) = row.timeout {
                cmd.args(["--timeout", timeout]);
            }
            cmd.args(row.target.args()).arg("--json");
            if let Target::Api(_) = row.target {
                let body = env.dir.path().join("order.json");
                std::fs::write(&body, api_order_body()).expect("order body");
                cmd.arg("--input").arg(body);
            }
            cmd
        })
        .collect();
    let runs = run_all(cmds).await;

    let mut checks = Checks::default();
    let mut tallies = Vec::new();
    for ((row, server, env), (run, elapsed)) in cases.iter().zip(runs) {
        let name = row.name;
        checks.hygiene(name, &run);
        checks.outcome(name, &run, row.code, row.kind, row.stderr);
        checks.check(name, elapsed < ROW_LIMIT, || format!("took {elapsed:?}"));

        let (verb, route) = row.target.route();
        let hits = server.count_faulty(row.target).await;
        checks.check(name, hits == row.hits, || {
            format!(
                "{verb} {route} received {hits} request(s), expected {}",
                row.hits
            )
        });
        let orders = match row.target {
            Target::Api(_) => hits,
            _ => server.count("POST", ORDER_PATH).await,
        };
        let expected_orders = match row.target {
            Target::Order | Target::Api(_) => row.hits,
            Target::PurchasePlans | Target::Products | Target::Contacts => 0,
        };
        checks.check(name, orders == expected_orders, || {
            format!("{orders} order request(s), expected {expected_orders}")
        });
        tallies.push(Tally {
            row: name.to_owned(),
            orders: row.target.is_purchase().then_some(orders),
            most: 1,
        });

        if row.target.is_purchase() {
            let journal = env.journal_lines();
            // An answer that carries an order number: the order exists, whatever else it says.
            if run.all_output().contains(ORDER_NO) {
                for never in ["nothing was bought", "not sent", "may or may not"] {
                    checks.check(name, !run.stderr.contains(never), || {
                        format!(
                            "an order with a number is reported as {never:?}:\n{}",
                            run.stderr
                        )
                    });
                }
                let last = journal.last().map(|l| l["orderNo"].clone());
                checks.check(name, last == Some(json!(ORDER_NO)), || {
                    format!("the journal's last line has orderNo {last:?}")
                });
                if row.code == 0 || row.code == 8 {
                    let document: Value = serde_json::from_str(&run.stdout).unwrap_or_default();
                    // `api` prints the portal's own answer.
                    let document = match row.target {
                        Target::Api(_) => document["result"].clone(),
                        _ => document,
                    };
                    checks.check(name, document["orderNo"] == ORDER_NO, || {
                        format!("stdout is not the order: {}", clip(&run.stdout))
                    });
                }
            }
            if row.target == Target::PurchasePlans {
                checks.check(name, journal.is_empty(), || {
                    format!("nothing was sent, yet the journal has {journal:?}")
                });
            }
            if row.code == 7 {
                let last = journal.last().map(|l| l["outcome"].clone());
                checks.check(name, last == Some(json!("unknown")), || {
                    format!("the journal's last outcome is {last:?}, not \"unknown\"")
                });
                for word in [
                    "It may or may not have been placed",
                    "linkus orders list --sn",
                ] {
                    checks.check(name, run.stderr.contains(word), || {
                        format!("an unknown outcome does not say {word:?}:\n{}", run.stderr)
                    });
                }
            }
            if row.code == 6 {
                checks.check(name, !run.stderr.contains("may or may not"), || {
                    format!(
                        "a failure before the order speaks of an order:\n{}",
                        run.stderr
                    )
                });
                if matches!(row.target, Target::Order | Target::Api(_)) {
                    let last = journal.last().map(|l| l["outcome"].clone());
                    checks.check(name, last == Some(json!("not_sent")), || {
                        format!("the journal's last outcome is {last:?}, not \"not_sent\"")
                    });
                }
            }
        }
    }
    tally(table, &tallies, &mut checks);
    checks.finish();
}

// ---------------------------------------------------------------------------------------------
// Reads: `products` and `billing-contacts`.

#[tokio::test]
async fn read_faults() {
    let rows = vec![
        Row {
            name: "read hangs past --timeout (timeout before sending)",
            target: Target::Products,
            fault: Fault::Raw(|| Reply::Hang(Duration::from_secs(5))),
            timeout: Some("0.5"),
            code: 6,
            kind: Some("network"),
            stderr: &["got no answer in time", "--timeout"],
            hits: 3,
        },
        Row {
            name: "connection reset on a read, retried",
            target: Target::Contacts,
            fault: Fault::Raw(|| Reply::Reset),
            timeout: None,
            code: 6,
            kind: Some("network"),
            stderr: &["failed while talking to the portal"],
            hits: 3,
        },
        Row {
            name: "4xx with a JSON envelope on a read",
            target: Target::Products,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(400).set_body_raw(rejection_json(400), "application/json")
            }),
            timeout: None,
            code: 5,
            kind: Some("rejected"),
            stderr: &[
                "The SN is not eligible",
                "product_not_eligible",
                "HTTP 400",
                "req-rejected-1",
            ],
            hits: 1,
        },
        // No `code`, so not the portal's rejection: a proxy or server failure (exit 6).
        Row {
            name: "400 with an HTML body on a read",
            target: Target::Contacts,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(400).set_body_raw(html_page(400), "text/html")
            }),
            timeout: None,
            code: 6,
            kind: Some("network"),
            stderr: &["HTTP 400", "not JSON", "<html>"],
            hits: 1,
        },
        Row {
            name: "404 with an HTML body on a read",
            target: Target::Products,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(404).set_body_raw(html_page(404), "text/html")
            }),
            timeout: None,
            code: 6,
            kind: Some("network"),
            stderr: &["HTTP 404", "not JSON"],
            hits: 1,
        },
        Row {
            name: "500 with a JSON envelope on a read (not retried)",
            target: Target::Contacts,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(500).set_body_raw(server_error_json(), "application/json")
            }),
            timeout: None,
            code: 6,
            kind: Some("network"),
            stderr: &["HTTP 500", "something broke", "req-500"],
            hits: 1,
        },
        Row {
            name: "502 with an HTML body on a read (retried)",
            target: Target::Products,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(502).set_body_raw(html_page(502), "text/html")
            }),
            timeout: None,
            code: 6,
            kind: Some("network"),
            stderr: &["HTTP 502", "not JSON", "<html>"],
            hits: 3,
        },
        Row {
            name: "503 with a JSON envelope on a read (retried)",
            target: Target::Contacts,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(503).set_body_raw(server_error_json(), "application/json")
            }),
            timeout: None,
            code: 6,
            kind: Some("network"),
            stderr: &["HTTP 503"],
            hits: 3,
        },
        Row {
            name: "truncated body on a read (Content-Length larger than sent)",
            target: Target::Contacts,
            fault: Fault::Raw(|| Reply::Raw(truncated())),
            timeout: None,
            code: 6,
            kind: Some("network"),
            stderr: &["failed while talking to the portal"],
            hits: 3,
        },
        Row {
            name: "valid envelope served as text/html is accepted",
            target: Target::Contacts,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(200).set_body_raw(contacts_body(), "text/html")
            }),
            timeout: None,
            code: 0,
            kind: None,
            stderr: &[],
            hits: 1,
        },
        Row {
            name: "6 MiB body on a read is refused",
            target: Target::Contacts,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(200)
                    .set_body_raw(padded_envelope(6 << 20), "application/json")
            }),
            timeout: None,
            code: 6,
            kind: Some("network"),
            stderr: &["over 4 MiB"],
            hits: 1,
        },
        Row {
            name: "6 MiB chunked body (no Content-Length) on a read is refused",
            target: Target::Products,
            fault: Fault::Raw(|| Reply::Raw(chunked_6_mib())),
            timeout: None,
            code: 6,
            kind: Some("network"),
            stderr: &["over 4 MiB"],
            hits: 1,
        },
        Row {
            name: "3 MiB contacts list is read",
            target: Target::Contacts,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(200).set_body_raw(big_contacts_body().0, "application/json")
            }),
            timeout: None,
            code: 0,
            kind: None,
            stderr: &[],
            hits: 1,
        },
        Row {
            name: "trickling body (a byte every 100 ms) past --timeout 1 on a read",
            target: Target::Contacts,
            fault: Fault::Raw(|| trickle(contacts_body())),
            timeout: Some("1"),
            code: 6,
            kind: Some("network"),
            stderr: &["got no answer in time"],
            hits: 3,
        },
        Row {
            name: "invalid UTF-8 in the body of a read",
            target: Target::Contacts,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(200).set_body_raw(invalid_utf8(), "application/json")
            }),
            timeout: None,
            code: 6,
            kind: Some("network"),
            stderr: &["not JSON", "HTTP 200"],
            hits: 1,
        },
    ];
    run_table("read_faults", rows).await;
}

#[tokio::test]
async fn a_3_mib_contacts_list_is_read_whole() {
    let (body, contacts) = big_contacts_body();
    let server = portal().await;
    Mock::given(method("GET"))
        .and(path(CONTACTS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .with_priority(1)
        .mount(&server)
        .await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(["billing-contacts", "--json"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list = run.json();
    assert_eq!(list.as_array().map(Vec::len), Some(contacts));
    assert_eq!(list[0]["billingContactId"], CONTACT_ID);
}

#[tokio::test]
async fn a_valid_envelope_with_the_wrong_content_type_prints_the_contacts() {
    let server = portal().await;
    Mock::given(method("GET"))
        .and(path(CONTACTS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_raw(contacts_body(), "text/html"))
        .with_priority(1)
        .mount(&server)
        .await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(["billing-contacts", "-q"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, format!("{CONTACT_ID}\n{OTHER_CONTACT_ID}\n"));
}

/// 401 and 403 mean "access denied" whatever the body (CLI.md section 4: exit 4), and a 403
/// page from a proxy is how a Client IP Restriction may look (partner-api.md 10, item 12).
#[tokio::test]
async fn access_denied_with_an_html_page_is_an_authentication_failure() {
    let rows: [(&str, &str, &str, u16); 3] = [
        ("token request answered 403 HTML", "POST", TOKEN_PATH, 403),
        ("read answered 403 HTML", "GET", CONTACTS_PATH, 403),
        (
            "read answered 401 HTML, also after renewal",
            "GET",
            CONTACTS_PATH,
            401,
        ),
    ];
    let mut checks = Checks::default();
    for (name, verb, route, status) in rows {
        let server = portal().await;
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(
                ResponseTemplate::new(status).set_body_raw(html_page(status), "text/html"),
            )
            .with_priority(1)
            .mount(&server)
            .await;
        let run = run(TestEnv::new()
            .portal_cmd(&server.uri())
            .args(["billing-contacts", "--json"]));
        checks.hygiene(name, &run);
        checks.outcome(name, &run, 4, Some("auth"), &["Client IP Restriction"]);
    }
    checks.finish();
}

// ---------------------------------------------------------------------------------------------
// Purchases: faults before the order, and on the order itself.

#[tokio::test]
async fn purchase_faults() {
    let rows = vec![
        Row {
            name: "plans lookup hangs (timeout before sending)",
            target: Target::PurchasePlans,
            fault: Fault::Raw(|| Reply::Hang(Duration::from_secs(5))),
            timeout: Some("0.5"),
            code: 6,
            kind: Some("network"),
            stderr: &["Could not list the plans", "got no answer in time"],
            hits: 3,
        },
        Row {
            name: "plans lookup reset",
            target: Target::PurchasePlans,
            fault: Fault::Raw(|| Reply::Reset),
            timeout: None,
            code: 6,
            kind: Some("network"),
            stderr: &["Could not list the plans"],
            hits: 3,
        },
        Row {
            name: "plans lookup 502 HTML",
            target: Target::PurchasePlans,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(502).set_body_raw(html_page(502), "text/html")
            }),
            timeout: None,
            code: 6,
            kind: Some("network"),
            stderr: &["Could not list the plans", "HTTP 502"],
            hits: 3,
        },
        Row {
            name: "order hangs past --timeout (timeout after sending)",
            target: Target::Order,
            fault: Fault::Raw(|| Reply::Hang(Duration::from_secs(5))),
            timeout: Some("0.5"),
            code: 7,
            kind: Some("order_unknown"),
            stderr: &["timed out"],
            hits: 1,
        },
        Row {
            name: "connection reset on the order",
            target: Target::Order,
            fault: Fault::Raw(|| Reply::Reset),
            timeout: None,
            code: 7,
            kind: Some("order_unknown"),
            stderr: &[],
            hits: 1,
        },
        Row {
            name: "4xx with a JSON envelope on the order",
            target: Target::Order,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(400).set_body_raw(rejection_json(400), "application/json")
            }),
            timeout: None,
            code: 5,
            kind: Some("rejected"),
            stderr: &["The SN is not eligible", "nothing was bought"],
            hits: 1,
        },
        // No envelope, so no proof that the portal refused it: the outcome is unknown.
        Row {
            name: "4xx with an HTML body on the order",
            target: Target::Order,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(400).set_body_raw(html_page(400), "text/html")
            }),
            timeout: None,
            code: 7,
            kind: Some("order_unknown"),
            stderr: &["HTTP 400"],
            hits: 1,
        },
        Row {
            name: "500 with a JSON envelope on the order",
            target: Target::Order,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(500).set_body_raw(server_error_json(), "application/json")
            }),
            timeout: None,
            code: 7,
            kind: Some("order_unknown"),
            stderr: &["HTTP 500", "req-500"],
            hits: 1,
        },
        Row {
            name: "502 with an HTML body on the order",
            target: Target::Order,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(502).set_body_raw(html_page(502), "text/html")
            }),
            timeout: None,
            code: 7,
            kind: Some("order_unknown"),
            stderr: &["HTTP 502"],
            hits: 1,
        },
        Row {
            name: "503 with a JSON envelope on the order (never retried)",
            target: Target::Order,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(503).set_body_raw(server_error_json(), "application/json")
            }),
            timeout: None,
            code: 7,
            kind: Some("order_unknown"),
            stderr: &["HTTP 503"],
            hits: 1,
        },
        Row {
            name: "truncated body on the order",
            target: Target::Order,
            fault: Fault::Raw(|| Reply::Raw(truncated())),
            timeout: None,
            code: 7,
            kind: Some("order_unknown"),
            stderr: &[],
            hits: 1,
        },
        Row {
            name: "trickling answer to the order past --timeout 1",
            target: Target::Order,
            fault: Fault::Raw(|| trickle(order_ok())),
            timeout: Some("1"),
            code: 7,
            kind: Some("order_unknown"),
            stderr: &["timed out"],
            hits: 1,
        },
        Row {
            name: "6 MiB answer to the order",
            target: Target::Order,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(200)
                    .set_body_raw(padded_envelope(6 << 20), "application/json")
            }),
            timeout: None,
            code: 7,
            kind: Some("order_unknown"),
            stderr: &["over 4 MiB"],
            hits: 1,
        },
        Row {
            name: "invalid UTF-8 in the answer to the order",
            target: Target::Order,
            fault: Fault::Mock(|| {
                ResponseTemplate::new(200).set_body_raw(invalid_utf8(), "application/json")
            }),
            timeout: None,
            code: 7,
            kind: Some("order_unknown"),
            stderr: &["not JSON"],
            hits: 1,
        },
        Row {
            name: "order answer served as text/html is accepted",
            target: Target::Order,
            fault: Fault::Mock(|| ResponseTemplate::new(200).set_body_raw(order_ok(), "text/html")),
            timeout: None,
            code: 0,
            kind: None,
            stderr: &[],
            hits: 1,
        },
    ];
    run_table("purchase_faults", rows).await;
}

/// An answer to the order with any HTTP status and `code`, with `result.orderNo` (and
/// `orderStatus` when given) when `numbered`.
fn order_answer(http: u16, code: &str, numbered: bool, status: Option<&str>) -> ResponseTemplate {
    let result = numbered.then(|| {
        json!({"instanceId": "106396", "orderNo": ORDER_NO, "orderStatus": status,
               "productNo": SN, "transactionNo": "QO3206190458986041345"})
    });
    ResponseTemplate::new(http).set_body_json(json!({
        "code": code, "detailMessage": format!("answered {code}"), "requestId": "req-order-9",
        "result": result, "status": http
    }))
}

/// An order answer that carries an order number created that order, whatever its HTTP status
/// or `code` (CLI.md section 3): `succeed` 0; `failed`, `invalid`, `cancelled` 5 with the
/// number; anything else 8; never "nothing was bought". A 429 without one was not processed,
/// whatever its body: "not sent", exit 6.
#[tokio::test]
async fn order_answers_with_and_without_an_order_number() {
    let row = |name, fault, code, kind, stderr| Row {
        name,
        target: Target::Order,
        fault: Fault::Mock(fault),
        timeout: None,
        code,
        kind,
        stderr,
        hits: 1,
    };
    let rows = vec![
        row(
            "payment_required (HTTP 402) with an order number, pending",
            || order_answer(402, "payment_required", true, Some("pending")),
            8,
            None,
            &[ORDER_NO, "pending", "payment_required", "Pay Now"],
        ),
        row(
            "payment_required (HTTP 200) with an order number, pending",
            || order_answer(200, "payment_required", true, Some("pending")),
            8,
            None,
            &[ORDER_NO, "pending", "payment_required"],
        ),
        row(
            "HTTP 400 with code success and an order number, succeed",
            || order_answer(400, "success", true, Some("succeed")),
            0,
            None,
            &[ORDER_NO, "Bought"],
        ),
        row(
            "429 with an order number, succeed",
            || order_answer(429, "too_many_requests", true, Some("succeed")),
            0,
            None,
            &[ORDER_NO, "Bought"],
        ),
        row(
            "503 with an order number, pending",
            || order_answer(503, "service_unavailable", true, Some("pending")),
            8,
            None,
            &[ORDER_NO, "pending"],
        ),
        row(
            "500 with an order number, succeed",
            || order_answer(500, "internal_error", true, Some("succeed")),
            0,
            None,
            &[ORDER_NO, "Bought"],
        ),
        row(
            "an order number with status failed",
            || order_answer(200, "success", true, Some("failed")),
            5,
            Some("rejected"),
            &[ORDER_NO, "status failed"],
        ),
        row(
            "an order number with status invalid",
            || order_answer(200, "success", true, Some("invalid")),
            5,
            Some("rejected"),
            &[ORDER_NO, "status invalid"],
        ),
        row(
            "an order number with status cancelled",
            || order_answer(200, "success", true, Some("cancelled")),
            5,
            Some("rejected"),
            &[ORDER_NO, "status cancelled"],
        ),
        row(
            "an order number with status refunded",
            || order_answer(200, "success", true, Some("refunded")),
            5,
            Some("rejected"),
            &[ORDER_NO, "status refunded"],
        ),
        row(
            "an order number with a status never seen (on_hold)",
            || order_answer(200, "success", true, Some("on_hold")),
            8,
            None,
            &[ORDER_NO, "on_hold"],
        ),
        row(
            "an order number with no status",
            || order_answer(200, "success", true, None),
            8,
            None,
            &[ORDER_NO],
        ),
        row(
            "429 with a JSON envelope and no order number",
            || order_answer(429, "too_many_requests", false, None),
            6,
            Some("network"),
            &["not sent", "nothing was bought", "HTTP 429"],
        ),
        row(
            "429 with an HTML body",
            || ResponseTemplate::new(429).set_body_raw(html_page(429), "text/html"),
            6,
            Some("network"),
            &["not sent", "nothing was bought", "HTTP 429"],
        ),
        row(
            "429 with an empty body",
            || ResponseTemplate::new(429),
            6,
            Some("network"),
            &["not sent", "nothing was bought", "HTTP 429"],
        ),
    ];
    run_table("order_answers", rows).await;
}

/// Every spelling of the order path that `linkus api` must take as the order path (CLI.md
/// section 1): the order through each is journaled and its outcome decided as an order's:
/// created (0, journal with its number), unknown after a 500 or a reset (7, journal
/// `unknown`), never sent twice.
const API_SPELLINGS: [&str; 16] = [
    "/order/openapi/order/v1/save",
    "//order/openapi/order/v1/save",
    "/order/openapi/order/v1/x/../save",
    "/order/openapi/./order/v1/save",
    "/order/openapi/order/v1/x/%2e%2e/save",
    "/order/openapi/%2E/order/v1/save",
    "/order/openapi/order/v1/%73ave",
    "/order%2Fopenapi%2Forder%2Fv1%2Fsave",
    "/order/openapi/order/v1/x%2F..%2Fsave",
    "/ORDER/OpenAPI/Order/V1/SAVE",
    "/order/openapi/order/v1/save/",
    "/order/openapi/order/v1/save;jsessionid=1",
    "/order\\openapi\\order\\v1\\save",
    "/order//openapi/order/v1//save",
    "/order/openapi/order/v1/save?x=1",
    "/order/openapi/order/v1/save#x",
];

#[tokio::test]
async fn api_order_faults_for_every_spelling_of_the_order_path() {
    // Four spellings (16 rows, 16 processes) at a time: a machine shared with builds copes.
    for spellings in API_SPELLINGS.chunks(4) {
        api_order_faults(spellings).await;
    }
}

async fn api_order_faults(spellings: &[&'static str]) {
    let mut rows = Vec::new();
    for &spelled in spellings {
        let name = |what: &str| -> &'static str {
            Box::leak(format!("api POST {spelled}: {what}").into_boxed_str())
        };
        rows.push(Row {
            name: name("created"),
            target: Target::Api(spelled),
            fault: Fault::Mock(|| order_answer(200, "success", true, Some("succeed"))),
            timeout: None,
            code: 0,
            kind: None,
            stderr: &[],
            hits: 1,
        });
        rows.push(Row {
            name: name("500 envelope"),
            target: Target::Api(spelled),
            fault: Fault::Mock(|| {
                ResponseTemplate::new(500).set_body_raw(server_error_json(), "application/json")
            }),
            timeout: None,
            code: 7,
            kind: None,
            stderr: &["HTTP 500"],
            hits: 1,
        });
        rows.push(Row {
            name: name("connection reset"),
            target: Target::Api(spelled),
            fault: Fault::Raw(|| Reply::Reset),
            timeout: None,
            code: 7,
            kind: None,
            stderr: &[],
            hits: 1,
        });
        rows.push(Row {
            name: name("302 without Location"),
            target: Target::Api(spelled),
            fault: Fault::Mock(|| redirect(302, None)),
            timeout: None,
            code: 7,
            kind: None,
            stderr: &["redirect"],
            hits: 1,
        });
    }
    run_table("api_order_spellings", rows).await;
}

/// A 3xx answer to the order: an empty body, and `Location` as given.
fn redirect(status: u16, location: Option<&str>) -> ResponseTemplate {
    let answer = ResponseTemplate::new(status);
    match location {
        Some(location) => answer.insert_header("Location", location),
        None => answer,
    }
}

/// Get Order Details for the order number every order answer here carries.
const DETAILS_LOCATION: &str =
    "https://openapi.partner.example.com/order/openapi/order/v1/get/LR3206190457467703296";
/// Somewhere that names no order.
const LOGIN_LOCATION: &str = "https://partner.example.com/login?next=%2Forder";

/// A redirect is not a refusal (CLI.md section 3): a 3xx answer to the order means it was
/// processed. Never followed; "unknown" (exit 7, journal `unknown`) unless the answer carries
/// an order number, in the body or as the last segment of a `Location` that points at Get
/// Order Details: then the order was created (its status unknown: exit 8, the number shown).
#[tokio::test]
async fn redirected_order_answers_are_unknown_or_created_never_not_sent() {
    let row = |name, fault, code, kind, stderr| Row {
        name,
        target: Target::Order,
        fault: Fault::Mock(fault),
        timeout: None,
        code,
        kind,
        stderr,
        hits: 1,
    };
    let unknown: &[&str] = &["redirect", "It may or may not have been placed"];
    let created: &[&str] = &[ORDER_NO, "was created"];
    let rows = vec![
        row(
            "301 without Location",
            || redirect(301, None),
            7,
            Some("order_unknown"),
            unknown,
        ),
        row(
            "302 without Location",
            || redirect(302, None),
            7,
            Some("order_unknown"),
            unknown,
        ),
        row(
            "303 without Location",
            || redirect(303, None),
            7,
            Some("order_unknown"),
            unknown,
        ),
        row(
            "307 without Location",
            || redirect(307, None),
            7,
            Some("order_unknown"),
            unknown,
        ),
        row(
            "308 without Location",
            || redirect(308, None),
            7,
            Some("order_unknown"),
            unknown,
        ),
        row(
            "301 to a login page (no order number)",
            || redirect(301, Some(LOGIN_LOCATION)),
            7,
            Some("order_unknown"),
            unknown,
        ),
        row(
            "302 to a login page (no order number)",
            || redirect(302, Some(LOGIN_LOCATION)),
            7,
            Some("order_unknown"),
            unknown,
        ),
        row(
            "303 to a login page (no order number)",
            || redirect(303, Some(LOGIN_LOCATION)),
            7,
            Some("order_unknown"),
            unknown,
        ),
        row(
            "307 to a login page (no order number)",
            || redirect(307, Some(LOGIN_LOCATION)),
            7,
            Some("order_unknown"),
            unknown,
        ),
        row(
            "308 to a login page (no order number)",
            || redirect(308, Some(LOGIN_LOCATION)),
            7,
            Some("order_unknown"),
            unknown,
        ),
        row(
            "301 to Get Order Details of the new order",
            || redirect(301, Some(DETAILS_LOCATION)),
            8,
            None,
            created,
        ),
        row(
            "302 to Get Order Details of the new order",
            || redirect(302, Some(DETAILS_LOCATION)),
            8,
            None,
            created,
        ),
        row(
            "303 to Get Order Details of the new order",
            || redirect(303, Some(DETAILS_LOCATION)),
            8,
            None,
            created,
        ),
        row(
            "307 to Get Order Details of the new order (relative Location)",
            || {
                redirect(
                    307,
                    Some("/order/openapi/order/v1/get/LR3206190457467703296"),
                )
            },
            8,
            None,
            created,
        ),
        row(
            "308 to Get Order Details of the new order",
            || redirect(308, Some(DETAILS_LOCATION)),
            8,
            None,
            created,
        ),
        row(
            "302 with the order number in the body, succeed",
            || {
                order_answer(302, "success", true, Some("succeed"))
                    .insert_header("Location", LOGIN_LOCATION)
            },
            0,
            None,
            &[ORDER_NO, "Bought"],
        ),
    ];
    run_table("redirected_orders", rows).await;
}

/// A 3xx whose `Location` points at Get Order Details names the order; the run looks it up
/// (a read, never the order again) and reports its status: `succeed` exit 0, `pending` 8,
/// `failed` 5, each with the number and journaled with its status.
#[tokio::test]
async fn a_redirect_to_the_new_order_reports_the_status_the_portal_gives_for_it() {
    for (status, code) in [("succeed", 0), ("pending", 8), ("failed", 5)] {
        let server = portal().await;
        respond(
            &server,
            "POST",
            ORDER_PATH,
            redirect(302, Some(DETAILS_LOCATION)),
        )
        .await;
        respond(
            &server,
            "GET",
            &format!("/order/openapi/order/v1/get/{ORDER_NO}"),
            ResponseTemplate::new(200).set_body_json(envelope(json!({
                "basicInformation": {"productId": "9", "productNo": SN},
                "orderInformation": {"orderNo": ORDER_NO, "orderStatus": status}
            }))),
        )
        .await;
        let env = TestEnv::new();
        let run = run(env.portal_cmd(&server.uri()).args(purchase_args()));
        assert_eq!(run.code, code, "{status}: {}", run.stderr);
        assert!(
            run.all_output().contains(ORDER_NO),
            "{status}: {}",
            run.stderr
        );
        assert_eq!(count(&server, "POST", ORDER_PATH).await, 1, "{status}");
        let last = env.journal_lines().last().cloned().unwrap_or_default();
        assert_eq!(last["orderNo"], ORDER_NO, "{status}: {last}");
        assert_eq!(last["orderStatus"], status, "{status}: {last}");
    }
}

/// After a 3xx answer to the order, running the same purchase again is blocked (exit 9)
/// before anything is sent: the portal receives exactly one order.
#[tokio::test]
async fn a_rerun_after_a_redirected_order_is_blocked() {
    for status in [301, 302, 303, 307, 308] {
        for location in [None, Some(LOGIN_LOCATION), Some(DETAILS_LOCATION)] {
            let server = portal().await;
            respond(&server, "POST", ORDER_PATH, redirect(status, location)).await;
            let env = TestEnv::new();
            let first = run(env.portal_cmd(&server.uri()).args(purchase_args()));
            let expected = if location == Some(DETAILS_LOCATION) {
                8
            } else {
                7
            };
            assert_eq!(
                first.code, expected,
                "{status} {location:?}: {}",
                first.stderr
            );
            let rerun = run(env.portal_cmd(&server.uri()).args(purchase_args()));
            assert_eq!(rerun.code, 9, "{status} {location:?}: {}", rerun.stderr);
            assert_eq!(
                count(&server, "POST", ORDER_PATH).await,
                1,
                "{status} {location:?}"
            );
        }
    }
}

/// A 5xx with an envelope on the order is "outcome unknown" (exit 7), and still shows the
/// portal's `code` and `detailMessage` (CLI.md section 3), in the text and the JSON object.
#[tokio::test]
async fn a_5xx_envelope_on_the_order_shows_the_portals_reason() {
    let server = portal().await;
    Mock::given(method("POST"))
        .and(path(ORDER_PATH))
        .respond_with(
            ResponseTemplate::new(500).set_body_raw(server_error_json(), "application/json"),
        )
        .mount(&server)
        .await;
    let run = run(TestEnv::new()
        .portal_cmd(&server.uri())
        .args(purchase_args())
        .arg("--json"));
    let mut checks = Checks::default();
    let name = "500 envelope on the order";
    checks.hygiene(name, &run);
    checks.outcome(
        name,
        &run,
        7,
        Some("order_unknown"),
        &["internal_error", "something broke", "req-500"],
    );
    let error = serde_json::from_str::<Value>(&run.stdout).unwrap_or_default()["error"].clone();
    checks.check(
        name,
        error["httpStatus"] == 500 && error["portalCode"] == "internal_error",
        || format!("the JSON error object lacks the status and code: {error}"),
    );
    checks.check(name, count(&server, "POST", ORDER_PATH).await == 1, || {
        "not one order".to_owned()
    });
    checks.finish();
}

// ---------------------------------------------------------------------------------------------
// Blocked before sending (exit 9): another run holds the SN, or the journal's rules.

/// What came before the row's purchase for the same SN.
enum Earlier {
    /// Another linkus waits for the answer to its order.
    Holder,
    /// A journal entry `age` ago: its operation (`None` for a line of linkus 0.1), its outcome
    /// (`None`: no outcome line) and order number.
    Entry {
        operation: Option<&'static str>,
        outcome: Option<&'static str>,
        order_no: Option<&'static str>,
        age: Duration,
    },
}

struct BlockedRow {
    name: &'static str,
    earlier: Earlier,
    /// Get Order Details' answer for the earlier order.
    details: Option<fn() -> ResponseTemplate>,
    /// Arguments after the purchase's own.
    extra: &'static [&'static str],
    stderr: &'static [&'static str],
    /// Get Order Details requests the row must make (the open order looked up again).
    lookups: usize,
}

const ENTRY: &str = "f0000000000000f1";
const EARLIER: &str = "LR3206190457467700001";

fn entry(
    operation: Option<&'static str>,
    outcome: Option<&'static str>,
    order_no: Option<&'static str>,
    age: Duration,
) -> Earlier {
    Earlier::Entry {
        operation,
        outcome,
        order_no,
        age,
    }
}

/// Every way a purchase is blocked before sending: exit 9, the JSON error `blocked` with
/// `blockedBy`, the words that name the earlier order and what unblocks it, no order request,
/// and the journal as it was.
#[tokio::test]
async fn blocked_before_sending() {
    let minute = Duration::from_secs(60);
    let hour = Duration::from_secs(3600);
    let pending = Some("pending");
    let rows = vec![
        BlockedRow {
            name: "another linkus waits on its order for the SN",
            earlier: Earlier::Holder,
            details: None,
            extra: &[],
            stderr: &["Another linkus (pid", "ordering for SN", "nothing was sent"],
            lookups: 0,
        },
        BlockedRow {
            name: "an earlier purchase's outcome is unknown",
            earlier: entry(Some("purchase"), Some("unknown"), None, minute),
            details: None,
            extra: &[],
            stderr: &[
                "has no known outcome",
                "linkus orders reconcile --not-placed f0000000000000f1",
            ],
            lookups: 0,
        },
        BlockedRow {
            name: "an earlier purchase has no outcome line (its run died)",
            earlier: entry(Some("purchase"), None, None, minute),
            details: None,
            extra: &[],
            stderr: &["has no known outcome", "--not-placed f0000000000000f1"],
            lookups: 0,
        },
        BlockedRow {
            name: "a line of linkus 0.1 (no operation, no outcome)",
            earlier: entry(None, None, None, minute),
            details: None,
            extra: &[],
            stderr: &["has no known outcome", "--not-placed f0000000000000f1"],
            lookups: 0,
        },
        BlockedRow {
            name: "an earlier order is still pending when looked up again",
            earlier: entry(Some("purchase"), pending, Some(EARLIER), minute),
            details: Some(|| details_answer(200, Some("pending"))),
            extra: &[],
            stderr: &["LR3206190457467700001", "is still pending", "--wait"],
            lookups: 1,
        },
        BlockedRow {
            name: "an earlier open order cannot be looked up (500)",
            earlier: entry(Some("purchase"), pending, Some(EARLIER), minute),
            details: Some(|| details_answer(500, None)),
            extra: &[],
            stderr: &["LR3206190457467700001", "could not be looked up"],
            lookups: 1,
        },
        BlockedRow {
            name: "an earlier open order cannot be looked up (no status in the answer)",
            earlier: entry(Some("purchase"), pending, Some(EARLIER), minute),
            details: Some(|| details_answer(200, None)),
            extra: &[],
            stderr: &["could not be looked up", "gave no status"],
            lookups: 1,
        },
        BlockedRow {
            name: "a purchase succeeded 1 h ago",
            earlier: entry(Some("purchase"), Some("succeed"), Some(EARLIER), hour),
            details: None,
            extra: &[],
            stderr: &[
                "succeeded 1 h ago: order LR3206190457467700001",
                "--again LR3206190457467700001",
            ],
            lookups: 0,
        },
        BlockedRow {
            name: "a purchase of linkus 0.1 (no operation) succeeded 2 h ago",
            earlier: entry(None, Some("succeed"), Some(EARLIER), 2 * hour),
            details: None,
            extra: &[],
            stderr: &["succeeded 2 h ago", "--again LR3206190457467700001"],
            lookups: 0,
        },
        BlockedRow {
            name: "--again names another order than the recent success",
            earlier: entry(Some("purchase"), Some("succeed"), Some(EARLIER), hour),
            details: None,
            extra: &["--again", "LR1111"],
            stderr: &[
                "--again LR1111 does not name that order",
                "--again LR3206190457467700001",
            ],
            lookups: 0,
        },
    ];

    let mut cases = Vec::new();
    for row in &rows {
        let server = portal().await;
        Mock::given(method("POST"))
            .and(path(ORDER_PATH))
            .respond_with(order_created("succeed"))
            .mount(&server)
            .await;
        if let Some(answer) = row.details {
            Mock::given(method("GET"))
                .and(path(format!("/order/openapi/order/v1/get/{EARLIER}")))
                .respond_with(answer())
                .mount(&server)
                .await;
        }
        let env = TestEnv::new();
        let holder = match row.earlier {
            Earlier::Holder => {
                // The holder's order is answered after a minute; any later one at once.
                Mock::given(method("POST"))
                    .and(path(ORDER_PATH))
                    .respond_with(order_created("succeed").set_delay(Duration::from_secs(60)))
                    .up_to_n_times(1)
                    .with_priority(1)
                    .mount(&server)
                    .await;
                let holder = spawn(env.portal_cmd(&server.uri()).args(purchase_args()));
                let deadline = Instant::now() + Duration::from_secs(20);
                while count(&server, "POST", ORDER_PATH).await == 0 && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Some(holder)
            }
            Earlier::Entry {
                operation,
                outcome,
                order_no,
                age,
            } => {
                let base_url = format!("{}/", server.uri());
                let age_ms = age.as_millis() as u64;
                let mut lines = vec![intent_line(ENTRY, &base_url, operation, age_ms)];
                if let Some(outcome) = outcome {
                    lines.push(outcome_line(ENTRY, outcome, order_no));
                }
                seed(&env, &lines);
                None
            }
        };
        let before = count(&server, "POST", ORDER_PATH).await;
        let journal = std::fs::read_to_string(env.journal()).unwrap_or_default();
        cases.push((server, env, holder, before, journal));
    }
    let cmds = rows
        .iter()
        .zip(&cases)
        .map(|(row, (server, env, ..))| {
            let mut cmd = env.portal_cmd(&server.uri());
            cmd.args(purchase_args()).args(row.extra).arg("--json");
            cmd
        })
        .collect();
    let runs = run_all(cmds).await;

    let mut checks = Checks::default();
    let mut tallies = Vec::new();
    for ((row, (server, env, holder, before, journal)), (run, _)) in
        rows.iter().zip(cases).zip(runs)
    {
        let name = row.name;
        checks.hygiene(name, &run);
        checks.outcome(name, &run, 9, Some("blocked"), row.stderr);
        let orders = count(&server, "POST", ORDER_PATH).await - before;
        tallies.push(Tally::purchase(name, orders));
        checks.check(name, orders == 0, || {
            format!("{orders} order request(s) sent")
        });
        let lookups = count(
            &server,
            "GET",
            &format!("/order/openapi/order/v1/get/{EARLIER}"),
        )
        .await;
        checks.check(name, lookups == row.lookups, || {
            format!("{lookups} order look-up(s), expected {}", row.lookups)
        });
        let blocked_by = serde_json::from_str::<Value>(&run.stdout).unwrap_or_default()["error"]
            ["blockedBy"]
            .clone();
        match (&row.earlier, holder) {
            (Earlier::Holder, Some(mut holder)) => {
                checks.check(name, blocked_by["pid"] == holder.id(), || {
                    format!("blockedBy {blocked_by} does not name pid {}", holder.id())
                });
                let _ = holder.kill();
                let _ = holder.wait();
            }
            (Earlier::Entry { order_no, .. }, _) => {
                checks.check(name, blocked_by["entry"] == ENTRY, || {
                    format!("blockedBy {blocked_by} does not name entry {ENTRY}")
                });
                if let Some(order_no) = order_no {
                    checks.check(name, blocked_by["orderNo"] == *order_no, || {
                        format!("blockedBy {blocked_by} does not name order {order_no}")
                    });
                }
                let now = std::fs::read_to_string(env.journal()).unwrap_or_default();
                checks.check(name, now == journal, || {
                    format!("the journal changed:\n{journal}\n---\n{now}")
                });
            }
            (Earlier::Holder, None) => checks.check(name, false, || "no holder".to_owned()),
        }
    }
    tally("blocked_before_sending", &tallies, &mut checks);
    checks.finish();
}

/// Get Order Details for the earlier order: this HTTP status, with or without a status.
fn details_answer(http: u16, status: Option<&str>) -> ResponseTemplate {
    ResponseTemplate::new(http).set_body_json(json!({
        "code": if http == 200 { "success" } else { "internal_error" },
        "detailMessage": "", "requestId": "req-details-9", "status": http,
        "result": (http == 200).then(|| json!({
            "basicInformation": {"productId": "9", "productNo": SN},
            "orderInformation": {"orderNo": EARLIER, "orderStatus": status}
        }))
    }))
}

// ---------------------------------------------------------------------------------------------
// Tokens.

fn grant_types(requests: &[wiremock::Request]) -> Vec<String> {
    requests
        .iter()
        .filter_map(|r| {
            body_text(r)
                .split('&')
                .find_map(|pair| pair.strip_prefix("grant_type=").map(str::to_owned))
        })
        .collect()
}

async fn mount_token(server: &MockServer, grant: &str, response: ResponseTemplate, once: bool) {
    let mock = Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains(format!("grant_type={grant}")));
    let mock = if once {
        mock.respond_with(response)
            .up_to_n_times(1)
            .with_priority(1)
    } else {
        mock.respond_with(response).with_priority(2)
    };
    mock.mount(server).await;
}

fn token_template(access: &str, refresh: &str, expires_in: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(envelope(token_result(access, refresh, expires_in)))
}

struct MidPurchase {
    name: &'static str,
    refresh: fn() -> ResponseTemplate,
    /// What the credentials grant answers after its first, successful, answer.
    credentials_again: fn() -> ResponseTemplate,
    code: i32,
    grants: &'static [&'static str],
    /// The bearer token of each order request, in order.
    bearers: &'static [&'static str],
}

/// The token expires while a purchase runs: the order is answered 401 once. linkus renews
/// (refresh grant, else the credentials) and sends the order exactly once more.
#[tokio::test]
async fn a_token_that_expires_in_the_middle_of_a_purchase() {
    let rows = [
        MidPurchase {
            name: "renewed with the refresh grant",
            refresh: || token_template(ACCESS_2, REFRESH_2, "1800"),
            credentials_again: || token_template(ACCESS_3, REFRESH_2, "1800"),
            code: 0,
            grants: &["pp_credentials", "refresh_token"],
            bearers: &[ACCESS_1, ACCESS_2],
        },
        MidPurchase {
            name: "refresh grant refused (401): falls back to the credentials",
            refresh: || rejection(401, "invalid_grant", "refresh token expired", "req-rf"),
            credentials_again: || token_template(ACCESS_3, REFRESH_2, "1800"),
            code: 0,
            grants: &["pp_credentials", "refresh_token", "pp_credentials"],
            bearers: &[ACCESS_1, ACCESS_3],
        },
        MidPurchase {
            name: "refresh grant fails (500): falls back to the credentials",
            refresh: || rejection(500, "internal_error", "oops", "req-rf"),
            credentials_again: || token_template(ACCESS_3, REFRESH_2, "1800"),
            code: 0,
            grants: &["pp_credentials", "refresh_token", "pp_credentials"],
            bearers: &[ACCESS_1, ACCESS_3],
        },
        MidPurchase {
            name: "refresh and credentials both refused: exit 4, no third order",
            refresh: || rejection(401, "invalid_grant", "refresh token expired", "req-rf"),
            credentials_again: || {
                rejection(401, "invalid_client", "Invalid credentials", "req-cred")
            },
            code: 4,
            grants: &["pp_credentials", "refresh_token", "pp_credentials"],
            bearers: &[ACCESS_1],
        },
    ];
    let mut servers = Vec::new();
    for row in &rows {
        let server = MockServer::start().await;
        mount_token(
            &server,
            "pp_credentials",
            token_template(ACCESS_1, REFRESH_1, "1800"),
            true,
        )
        .await;
        mount_token(&server, "pp_credentials", (row.credentials_again)(), false).await;
        mount_token(&server, "refresh_token", (row.refresh)(), false).await;
        mount_purchase_reads(&server).await;
        Mock::given(method("POST"))
            .and(path(ORDER_PATH))
            .respond_with(rejection(401, "invalid_token", "token expired", "req-401"))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(ORDER_PATH))
            .respond_with(order_created("succeed"))
            .with_priority(2)
            .mount(&server)
            .await;
        servers.push((server, TestEnv::new()));
    }
    let cmds = servers
        .iter()
        .map(|(server, env)| {
            let mut cmd = env.portal_cmd(&server.uri());
            cmd.args(purchase_args()).arg("--json");
            cmd
        })
        .collect();
    let runs = run_all(cmds).await;

    let mut checks = Checks::default();
    let mut tallies = Vec::new();
    for (row, ((server, _), (run, _))) in rows.iter().zip(servers.iter().zip(runs)) {
        let name = row.name;
        checks.hygiene(name, &run);
        let kind = (row.code != 0).then_some("auth");
        checks.outcome(name, &run, row.code, kind, &[]);
        let grants = grant_types(&received(server, "POST", TOKEN_PATH).await);
        checks.check(name, grants == row.grants, || {
            format!("token grants {grants:?}, expected {:?}", row.grants)
        });
        let orders = received(server, "POST", ORDER_PATH).await;
        let bearers: Vec<String> = orders
            .iter()
            .map(|o| {
                header(o, "authorization")
                    .trim_start_matches("Bearer ")
                    .to_owned()
            })
            .collect();
        checks.check(name, bearers == row.bearers, || {
            format!(
                "order requests with bearers {bearers:?}, expected {:?}",
                row.bearers
            )
        });
        if orders.len() == 2 {
            checks.check(name, orders[0].body == orders[1].body, || {
                "the resent order differs from the first".to_owned()
            });
        }
        // The order is answered 401 once: the one resend the contract allows.
        tallies.push(Tally {
            row: format!("order answered 401, {name}"),
            orders: Some(orders.len()),
            most: 2,
        });
    }
    tally(
        "a_token_that_expires_in_the_middle_of_a_purchase",
        &tallies,
        &mut checks,
    );
    checks.finish();
}

/// The order is answered 401 and renewing the token fails: that is what is said ("renewing
/// the access token failed"), never "the portal refused the purchase"; the order was not
/// processed (journal `not_sent`, nothing bought, no third order); exit 4 when the credentials
/// are refused, 6 when the token endpoint fails.
#[tokio::test]
async fn an_order_answered_401_whose_token_cannot_be_renewed_says_so() {
    struct Row {
        name: &'static str,
        token_again: fn() -> ResponseTemplate,
        code: i32,
        kind: &'static str,
    }
    let rows = [
        Row {
            name: "credentials refused on renewal",
            token_again: || rejection(401, "invalid_client", "Invalid credentials", "req-cred"),
            code: 4,
            kind: "auth",
        },
        Row {
            name: "token endpoint fails on renewal",
            token_again: || rejection(503, "service_unavailable", "down", "req-503"),
            code: 6,
            kind: "network",
        },
        Row {
            name: "token endpoint answers HTML on renewal",
            token_again: || ResponseTemplate::new(502).set_body_raw(html_page(502), "text/html"),
            code: 6,
            kind: "network",
        },
    ];
    let mut checks = Checks::default();
    for json in [false, true] {
        let mut cases = Vec::new();
        for row in &rows {
            let server = MockServer::start().await;
            mount_token(
                &server,
                "pp_credentials",
                token_template(ACCESS_1, REFRESH_1, "1800"),
                true,
            )
            .await;
            mount_token(&server, "pp_credentials", (row.token_again)(), false).await;
            mount_token(&server, "refresh_token", (row.token_again)(), false).await;
            mount_purchase_reads(&server).await;
            Mock::given(method("POST"))
                .and(path(ORDER_PATH))
                .respond_with(rejection(401, "invalid_token", "token expired", "req-401"))
                .mount(&server)
                .await;
            cases.push((server, TestEnv::new()));
        }
        let cmds = cases
            .iter()
            .map(|(server, env)| {
                let mut cmd = env.portal_cmd(&server.uri());
                cmd.args(purchase_args());
                if json {
                    cmd.arg("--json");
                }
                cmd
            })
            .collect();
        let runs = run_all(cmds).await;
        for (row, ((server, env), (run, _))) in rows.iter().zip(cases.iter().zip(runs)) {
            let name = &format!("{} (json: {json})", row.name);
            checks.hygiene(name, &run);
            checks.outcome(
                name,
                &run,
                row.code,
                json.then_some(row.kind),
                &["renewing the access token failed", "nothing was bought"],
            );
            for never in ["refused the purchase", "may or may not"] {
                checks.check(name, !run.stderr.contains(never), || {
                    format!("stderr says {never:?}:\n{}", run.stderr)
                });
            }
            let last = env.journal_lines().last().map(|l| l["outcome"].clone());
            checks.check(name, last == Some(json!("not_sent")), || {
                format!("the journal's last outcome is {last:?}, not \"not_sent\"")
            });
            let orders = count(server, "POST", ORDER_PATH).await;
            checks.check(name, orders == 1, || {
                format!("{orders} order requests, expected 1")
            });
        }
    }
    checks.finish();
}

/// A cached token that has expired, and a refresh grant that fails: the credentials grant
/// is used instead, and the read succeeds.
#[tokio::test]
async fn a_failing_refresh_on_a_read_falls_back_to_the_credentials() {
    struct Refresh {
        name: &'static str,
        answer: fn() -> ResponseTemplate,
        grants: &'static [&'static str],
    }
    let rows = [
        Refresh {
            name: "refresh answers 500",
            answer: || rejection(500, "internal_error", "oops", "req-rf"),
            grants: &["pp_credentials", "refresh_token", "pp_credentials"],
        },
        Refresh {
            name: "refresh answers 401",
            answer: || rejection(401, "invalid_grant", "refresh token expired", "req-rf"),
            grants: &["pp_credentials", "refresh_token", "pp_credentials"],
        },
        Refresh {
            name: "refresh answers 503 (retried, then given up)",
            answer: || ResponseTemplate::new(503).set_body_raw(html_page(503), "text/html"),
            grants: &[
                "pp_credentials",
                "refresh_token",
                "refresh_token",
                "refresh_token",
                "pp_credentials",
            ],
        },
        Refresh {
            name: "refresh answers 200 with no token",
            answer: || ResponseTemplate::new(200).set_body_json(envelope(json!({}))),
            grants: &["pp_credentials", "refresh_token", "pp_credentials"],
        },
    ];
    let mut checks = Checks::default();
    for row in &rows {
        let server = MockServer::start().await;
        // Every token is due for renewal as soon as it arrives.
        mount_token(
            &server,
            "pp_credentials",
            token_template(ACCESS_1, REFRESH_1, "0"),
            false,
        )
        .await;
        mount_token(&server, "refresh_token", (row.answer)(), false).await;
        Mock::given(method("GET"))
            .and(path(PLANS_PATH))
            .respond_with(json_response(plans_body()))
            .mount(&server)
            .await;
        let env = TestEnv::new();
        let first = run(env
            .portal_cmd(&server.uri())
            .args(["products", "--sn", SN, "-q"]));
        checks.check(row.name, first.code == 0, || {
            format!("first run: {}", first.stderr)
        });
        // One read (plan IDs only), so that the grants of that read are all there is.
        let second = run(env
            .portal_cmd(&server.uri())
            .args(["products", "--sn", SN, "-q"]));
        checks.hygiene(row.name, &second);
        checks.outcome(row.name, &second, 0, None, &[]);
        let grants = grant_types(&received(&server, "POST", TOKEN_PATH).await);
        checks.check(row.name, grants == row.grants, || {
            format!("token grants {grants:?}, expected {:?}", row.grants)
        });
        checks.check(
            row.name,
            count(&server, "GET", PLANS_PATH).await == 2,
            || "the read was not made once per run".to_owned(),
        );
    }
    checks.finish();
}

/// Pseudo-random bytes, the same on every run.
fn garbage(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// A corrupt token cache is ignored: a new token is requested and the file is rewritten.
#[tokio::test]
async fn a_corrupt_token_cache_is_ignored_and_rebuilt() {
    let rows = [
        Corruption {
            name: "random binary garbage",
            bytes: |_| garbage(4096),
        },
        Corruption {
            name: "an empty file",
            bytes: |_| Vec::new(),
        },
        Corruption {
            name: "JSON, but an array",
            bytes: |_| b"[1, 2, 3]".to_vec(),
        },
        Corruption {
            name: "JSON null",
            bytes: |_| b"null".to_vec(),
        },
        Corruption {
            name: "JSON object of the wrong shape",
            bytes: |_| br#"{"clientId": 5, "token": ["x"], "expiresAt": "soon"}"#.to_vec(),
        },
        Corruption {
            name: "the right members with a wrong type",
            bytes: |cache| {
                let mut cache = cache.clone();
                cache["expiresAt"] = json!("tomorrow");
                cache.to_string().into_bytes()
            },
        },
        Corruption {
            name: "cut in the middle",
            bytes: |cache| {
                let text = cache.to_string();
                text.as_bytes()[..text.len() / 2].to_vec()
            },
        },
    ];
    check_cache_corruptions(&rows).await;
}

struct Corruption {
    name: &'static str,
    /// The new contents, from the cache file as linkus wrote it.
    bytes: fn(&Value) -> Vec<u8>,
}

/// For each row: a first run writes the cache, the row corrupts it, and a second run must
/// succeed with one new token request and leave a rebuilt cache.
async fn check_cache_corruptions(rows: &[Corruption]) {
    let server = portal().await;
    let mut checks = Checks::default();
    for row in rows {
        let env = TestEnv::new();
        let first = run(env
            .portal_cmd(&server.uri())
            .args(["billing-contacts", "-q"]));
        checks.check(row.name, first.code == 0, || {
            format!("first run: {}", first.stderr)
        });
        let files = all_files_under(&env.cache_dir());
        let [cache] = files.as_slice() else {
            checks.check(row.name, false, || format!("cache files: {files:?}"));
            continue;
        };
        let original: Value = serde_json::from_slice(&std::fs::read(cache).unwrap()).unwrap();
        std::fs::write(cache, (row.bytes)(&original)).unwrap();
        let before = count(&server, "POST", TOKEN_PATH).await;

        let again = run(env
            .portal_cmd(&server.uri())
            .args(["billing-contacts", "--json"]));
        checks.hygiene(row.name, &again);
        checks.outcome(row.name, &again, 0, None, &[]);
        let after = count(&server, "POST", TOKEN_PATH).await;
        checks.check(row.name, after == before + 1, || {
            format!("{} token request(s) instead of one new one", after - before)
        });
        let rebuilt: Option<Value> = std::fs::read(cache)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        checks.check(
            row.name,
            rebuilt
                .as_ref()
                .is_some_and(|r| r["clientId"] == CLIENT_ID && r["token"] == ACCESS_1),
            || format!("the cache was not rebuilt: {rebuilt:?}"),
        );
    }
    checks.finish();
}

/// A cache file of the right shape whose token holds a newline, which no Authorization header
/// can carry: it is ignored like any corrupt cache, and replaced.
#[tokio::test]
async fn a_cached_token_that_no_header_can_carry_is_ignored() {
    check_cache_corruptions(&[Corruption {
        name: "a fresh token that no header can carry",
        bytes: |cache| {
            let mut cache = cache.clone();
            cache["token"] = json!("eyJ.broken\ntoken");
            cache["authorization"] = json!("Bearer eyJ.broken\ntoken");
            cache.to_string().into_bytes()
        },
    }])
    .await;
}

// ---------------------------------------------------------------------------------------------
// Files linkus cannot read or write.

fn config_file(env: &TestEnv) -> std::path::PathBuf {
    env.config_dir().join("config.toml")
}

/// A config file that cannot be read stops every command with exit 2, naming the file and
/// never quoting it (it holds the secret).
#[test]
fn a_corrupt_config_file_exits_2_naming_the_file() {
    let rows: [(&str, Vec<u8>); 6] = [
        ("garbage bytes", {
            let mut bytes = garbage(512);
            bytes.extend_from_slice(CLIENT_SECRET.as_bytes());
            bytes
        }),
        (
            "text that is not TOML",
            format!("}}}}{{{{ not toml at all = = [[ {CLIENT_SECRET}\n").into_bytes(),
        ),
        ("invalid UTF-8", {
            let mut bytes = b"[default]\nclient_id = \"id-\xff\xfe\"\n".to_vec();
            bytes.extend_from_slice(format!("client_secret = \"{CLIENT_SECRET}\"\n").as_bytes());
            bytes
        }),
        (
            "a TOML type error (client_id = 5)",
            format!("[default]\nclient_id = 5\nclient_secret = \"{CLIENT_SECRET}\"\n").into_bytes(),
        ),
        (
            "a TOML type error (client_secret = [..])",
            format!(
                "[default]\nclient_id = \"{CLIENT_ID}\"\nclient_secret = [\"{CLIENT_SECRET}\"]\n"
            )
            .into_bytes(),
        ),
        (
            "the [default] header forgotten",
            format!("client_secret = \"{CLIENT_SECRET}\"\nclient_id = \"{CLIENT_ID}\"\n")
                .into_bytes(),
        ),
    ];
    let mut checks = Checks::default();
    for (name, bytes) in rows {
        let env = TestEnv::new();
        std::fs::create_dir_all(env.config_dir()).unwrap();
        std::fs::write(config_file(&env), bytes).unwrap();
        let path = config_file(&env).display().to_string();
        for args in [
            vec!["billing-contacts", "--json"],
            vec!["auth", "status", "--json"],
        ] {
            let row = format!("{name}: {}", args[0..args.len() - 1].join(" "));
            let run = run(env
                .cmd()
                .args(["--base-url", &closed_port_url()])
                .args(&args));
            checks.hygiene(&row, &run);
            checks.outcome(&row, &run, 2, Some("config"), &[path.as_str()]);
        }
    }
    checks.finish();
}

/// A secret line outside any profile section: toml's message quotes the value it could not use
/// as a profile; linkus must pass on where the problem is, never the value.
#[test]
fn a_secret_outside_a_profile_section_is_not_shown() {
    let rows = [
        (
            "the secret line above the [default] header",
            format!(
                "client_secret = \"{CLIENT_SECRET}\"\n[default]\nclient_id = \"{CLIENT_ID}\"\n"
            ),
        ),
        (
            "only the secret line, no header",
            format!("client_secret = \"{CLIENT_SECRET}\"\n"),
        ),
    ];
    let mut checks = Checks::default();
    for (name, text) in rows {
        let env = TestEnv::new();
        std::fs::create_dir_all(env.config_dir()).unwrap();
        std::fs::write(config_file(&env), text).unwrap();
        for args in [vec!["billing-contacts"], vec!["auth", "status"]] {
            let row = format!("{name}: {}", args.join(" "));
            let run = run(env.cmd().args(&args).arg("--json"));
            checks.hygiene(&row, &run);
            checks.outcome(&row, &run, 2, Some("config"), &["config.toml"]);
        }
    }
    checks.finish();
}

/// `auth login` with a config folder that cannot be created (its parent is a regular file).
#[tokio::test]
async fn login_into_a_config_folder_that_cannot_be_written() {
    let server = portal().await;
    let mut checks = Checks::default();
    for json in [false, true] {
        let name = if json { "login --json" } else { "login" };
        let env = TestEnv::new();
        let blocker = env.dir.path().join("plain-file");
        std::fs::write(&blocker, b"not a folder").unwrap();
        let config_dir = blocker.join("linkus");
        let mut cmd = env.cmd();
        cmd.env("LINKUS_CONFIG_DIR", &config_dir)
            .args([
                "--base-url",
                &server.uri(),
                "auth",
                "login",
                "--client-id",
                CLIENT_ID,
            ])
            .arg("--secret-stdin")
            .write_stdin(format!("{CLIENT_SECRET}\n"));
        if json {
            cmd.arg("--json");
        }
        let run = run(&mut cmd);
        checks.hygiene(name, &run);
        checks.check(name, run.code != 0, || {
            "exit 0 though nothing was saved".to_owned()
        });
        checks.check(
            name,
            run.stderr.contains("Could not save the credentials"),
            || format!("stderr does not say what failed:\n{}", run.stderr),
        );
        checks.check(
            name,
            run.stderr.contains(&blocker.display().to_string()),
            || format!("stderr does not name the folder:\n{}", run.stderr),
        );
        checks.check(name, run.stderr.lines().count() <= 6, || {
            format!("not a short error:\n{}", run.stderr)
        });
        if json {
            let document: Option<Value> = serde_json::from_str(&run.stdout).ok();
            let exit = document.as_ref().map(|d| d["error"]["exitCode"].clone());
            checks.check(name, exit == Some(json!(run.code)), || {
                format!("stdout is not the error object: {}", run.stdout)
            });
        }
        checks.check(name, blocker.is_file(), || {
            "the blocking file was replaced".to_owned()
        });
    }
    checks.finish();
}

/// The same, judged by the contract: a config folder that cannot be used is the user's
/// environment, not a bug in linkus: a `config` error (exit 2), as for the journal. With
/// LINKUS_CLIENT_ID/SECRET set, which win over the stored profile, reads need no config file.
#[tokio::test]
async fn an_unusable_config_folder_is_a_config_error() {
    let server = portal().await;
    let mut checks = Checks::default();
    for (name, environment_credentials, args) in [
        (
            "auth login",
            false,
            vec!["auth", "login", "--client-id", CLIENT_ID, "--secret-stdin"],
        ),
        ("auth status", false, vec!["auth", "status"]),
        (
            "billing-contacts with credentials in the environment",
            true,
            vec!["billing-contacts"],
        ),
    ] {
        let env = TestEnv::new();
        let blocker = env.dir.path().join("plain-file");
        std::fs::write(&blocker, b"not a folder").unwrap();
        let mut cmd = if environment_credentials {
            env.portal_cmd(&server.uri())
        } else {
            env.cmd()
        };
        let run = run(cmd
            .env("LINKUS_CONFIG_DIR", blocker.join("linkus"))
            .args(["--base-url", &server.uri()])
            .args(&args)
            .arg("--json")
            .write_stdin(format!("{CLIENT_SECRET}\n")));
        checks.hygiene(name, &run);
        if environment_credentials {
            checks.check(name, run.code == 0 || run.code == 2, || {
                format!("exit {} instead of 0 (or 2):\n{}", run.code, run.stderr)
            });
        } else {
            checks.outcome(name, &run, 2, Some("config"), &["plain-file"]);
        }
        checks.check(name, !run.stderr.contains("bug in linkus"), || {
            format!("the user's folder is called a bug:\n{}", run.stderr)
        });
    }
    checks.finish();
}

/// A journal that cannot be written: the order is not sent, exit 2.
#[test]
fn a_journal_that_cannot_be_written_stops_the_order() {
    type Setup = fn(&TestEnv, &Path) -> Option<std::path::PathBuf>;
    let rows: [(&str, Setup); 2] = [
        ("the journal path is a folder", |env, _| {
            std::fs::create_dir_all(env.journal()).unwrap();
            None
        }),
        ("the data folder's parent is a regular file", |_, dir| {
            let blocker = dir.join("plain-file");
            std::fs::write(&blocker, b"").unwrap();
            Some(blocker.join("data"))
        }),
    ];
    let mut checks = Checks::default();
    for (name, setup) in rows {
        let server = RawServer::start(normal_raw);
        let env = TestEnv::new();
        let data_dir = setup(&env, env.dir.path());
        let mut cmd = env.portal_cmd(&server.url);
        if let Some(dir) = &data_dir {
            cmd.env("LINKUS_DATA_DIR", dir);
        }
        let run = run(cmd.args(purchase_args()).arg("--json"));
        checks.hygiene(name, &run);
        checks.outcome(
            name,
            &run,
            2,
            Some("config"),
            &["so it was not sent", "orders.jsonl", "nothing was bought"],
        );
        let orders = server.count("POST", ORDER_PATH);
        checks.check(name, orders == 0, || {
            format!("{orders} order request(s) were sent")
        });
    }
    checks.finish();
}

/// `ulimit -f 0` (no file may grow): linkus is not killed by SIGXFSZ; the journal's intent
/// cannot be written, which is said, and nothing is sent (exit 2, as for any journal that
/// cannot be written). A fresh data folder: the journal is created empty, its first line
/// fails.
#[cfg(unix)]
#[test]
fn an_order_with_no_room_to_grow_files_says_the_journal_cannot_be_written_and_sends_nothing() {
    let server = RawServer::start(normal_raw);
    let env = TestEnv::new();
    let mut probe = env.portal_cmd(&server.url);
    probe.args(purchase_args());
    let mut shell = assert_cmd::Command::new("sh");
    shell
        .arg("-c")
        .arg(r#"ulimit -f 0 && exec "$0" "$@""#)
        .arg(probe.get_program())
        .args(probe.get_args());
    let mut shell = env.isolate(shell);
    shell
        .env("LINKUS_BASE_URL", &server.url)
        .env("LINKUS_CLIENT_ID", CLIENT_ID)
        .env("LINKUS_CLIENT_SECRET", CLIENT_SECRET);
    let run = run(&mut shell);
    let name = "ulimit -f 0";
    let mut checks = Checks::default();
    checks.hygiene(name, &run);
    checks.outcome(
        name,
        &run,
        2,
        None,
        &[
            "Could not record the order in the journal",
            "orders.jsonl",
            "so it was not sent",
            "File too large",
            "nothing was bought",
        ],
    );
    let orders = server.count("POST", ORDER_PATH);
    checks.check(name, orders == 0, || {
        format!("{orders} order request(s) were sent")
    });
    checks.check(name, env.journal_lines().is_empty(), || {
        format!("the journal holds {:?}", env.journal_lines())
    });
    checks.finish();
}

/// The reads a purchase makes before its order (plans, contacts, the subscription, the
/// order list), answered normally: for tables whose rows differ only in the token and the
/// order's answers.
async fn mount_purchase_reads(server: &MockServer) {
    for (route, body) in [
        (PLANS_PATH, plans_body()),
        (CONTACTS_PATH, contacts_body()),
        (INSTANCES_PATH, instances_ok()),
        (ORDERS_PATH, empty_orders_body()),
    ] {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(json_response(body))
            .mount(server)
            .await;
    }
}
