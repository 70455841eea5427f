//! Helpers that make each test read like the user's session: an isolated home, a wiremock
//! portal with the shapes of partner-api.md section 10, and accessors for what it received.
#![allow(dead_code)]

pub mod keepalive;
#[cfg(unix)]
pub mod pg;
#[cfg(unix)]
pub mod pty;
pub mod raw;
pub mod served;
pub mod tls;
pub mod whole_run;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{json, Value};
use tempfile::TempDir;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const SN: &str = "369471667338";
pub const PLAN_ID: &str = "3048918321840570368";
pub const PRO_PLAN_ID: &str = "3048918719332507648";
pub const CONTACT_ID: &str = "3197218168379846218";
pub const OTHER_CONTACT_ID: &str = "3201475529867382784";
pub const CLIENT_ID: &str = "client-id-test";
pub const CLIENT_SECRET: &str = "s3cret-VALUE-never-shown-42";
pub const ACCESS_1: &str = "eyJ.access-token-one-aaaaaaaa";
pub const ACCESS_2: &str = "eyJ.access-token-two-bbbbbbbb";
pub const REFRESH_1: &str = "eyJ.refresh-token-one-cccccccc";
pub const REFRESH_2: &str = "eyJ.refresh-token-two-dddddddd";

pub const TOKEN_PATH: &str = "/auth/openapi/v1/oauth/token";
pub const PLANS_PATH: &str = "/pricing/openapi/purchase/v1/purchase_product_info";
pub const CONTACTS_PATH: &str = "/user/openapi/user/v1/client/billing_contact_list";
pub const INSTANCES_PATH: &str =
    "/product/openapi/instance_product/v1/client/instance_product_list";
pub const ORDER_PATH: &str = "/order/openapi/order/v1/save";
pub const DETAILS_PATH: &str = "/product/openapi/instance_product/v1/detail";
pub const PRICE_PATH: &str = "/pricing/openapi/purchase/v1/my_price_info";
pub const ORDERS_PATH: &str = "/order/openapi/order/v1/page";

/// A private home for one test: config, cache and data folders that nothing else touches.
pub struct TestEnv {
    pub dir: TempDir,
}

impl TestEnv {
    pub fn new() -> Self {
        TestEnv {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The per-user lock folder, private to the test (CLI.md section 3).
    pub fn lock_dir(&self) -> PathBuf {
        self.dir.path().join("locks")
    }

    pub fn journal(&self) -> PathBuf {
        self.data_dir().join("orders.jsonl")
    }

    pub fn journal_lines(&self) -> Vec<Value> {
        std::fs::read_to_string(self.journal())
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("journal line is JSON"))
            .collect()
    }

    /// `linkus` with no credentials, prompts off, fast retries, and no access to the real home.
    pub fn cmd(&self) -> Command {
        self.isolate(Command::cargo_bin("linkus").expect("binary"))
    }

    /// Any program (a shell that sets limits, then runs linkus) with the environment of
    /// [`TestEnv::cmd`].
    pub fn isolate(&self, mut cmd: Command) -> Command {
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("LINKUS_") {
                cmd.env_remove(&key);
            }
        }
        let home = self.dir.path().join("home");
        cmd.env("HOME", &home)
            .env("USERPROFILE", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("APPDATA", home.join("AppData/Roaming"))
            .env("LOCALAPPDATA", home.join("AppData/Local"))
            .env("LINKUS_CONFIG_DIR", self.config_dir())
            .env("LINKUS_CACHE_DIR", self.cache_dir())
            .env("LINKUS_DATA_DIR", self.data_dir())
            .env("LINKUS_LOCK_DIR", self.lock_dir())
            .env("LINKUS_RETRY_BASE_MS", "1")
            .env("LINKUS_RETRY_MAX_MS", "100")
            .env("CI", "true")
            .env("NO_COLOR", "1")
            .env_remove("CLICOLOR_FORCE")
            .timeout(std::time::Duration::from_secs(60));
        cmd
    }

    /// `linkus` pointed at a portal, with credentials in the environment.
    pub fn portal_cmd(&self, base_url: &str) -> Command {
        let mut cmd = self.cmd();
        cmd.env("LINKUS_BASE_URL", base_url)
            .env("LINKUS_CLIENT_ID", CLIENT_ID)
            .env("LINKUS_CLIENT_SECRET", CLIENT_SECRET);
        cmd
    }

    pub fn sandbox_cmd(&self) -> Command {
        let mut cmd = self.cmd();
        cmd.arg("--sandbox");
        cmd
    }
}

pub fn envelope(result: Value) -> Value {
    json!({
        "code": "success",
        "detailMessage": "",
        "requestId": "req-ok-0000",
        "result": result,
        "status": 200
    })
}

pub fn rejection(status: u16, code: &str, detail: &str, request_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "code": code,
        "detailMessage": detail,
        "requestId": request_id,
        "result": null,
        "status": status
    }))
}

pub fn token_result(access: &str, refresh: &str, expires_in: &str) -> Value {
    json!({"token": access, "tokenHead": "Bearer ", "expiresIn": expires_in, "refreshToken": refresh})
}

/// The plans answer of partner-api.md 10.2, IDs as JSON numbers written digit for digit.
pub fn plans_body() -> String {
    format!(
        r#"{{"code":"success","detailMessage":"","requestId":"req-plans-1","status":200,
        "result":{{"productId":9,"productName":"Linkus Cloud Service","offeringId":"31",
        "planList":[
          {{"planId":{PLAN_ID},"planName":"Linkus Cloud Service","purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycleList":[1,2,3,4,5]}},
          {{"planId":{PRO_PLAN_ID},"planName":"Linkus Cloud Service Pro","purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycleList":[1,2,3,4,5]}}
        ],"serviceList":[]}}}}"#
    )
}

/// Billing contacts: one ID as a string, one as a JSON number above 2^53.
pub fn contacts_body() -> String {
    format!(
        r#"{{"code":"success","detailMessage":"","requestId":"req-contacts-1","status":200,"result":[
        {{"billingContactId":"{CONTACT_ID}","firstName":"Ana","lastName":"Silva","company":"Example Telecom","emailAddress":"billing@example.com","phoneNumber":"+351210000000"}},
        {{"billingContactId":{OTHER_CONTACT_ID},"firstName":"Ben","lastName":"Okafor","company":"Northwind Networks","emailAddress":"accounts@northwind.example","phoneNumber":"+442071234567"}}
        ]}}"#
    )
}

/// Query Subscription Price (partner-api.md 10.8): 120.00 and 180.00 USD a year.
pub fn prices_body() -> String {
    format!(
        r#"{{"code":"success","detailMessage":"","requestId":"req-price-1","status":200,
        "result":{{"offeringId":"31","planList":[
          {{"planId":{PLAN_ID},"planName":"Linkus Cloud Service","price":"120.00","currency":"USD","billingCycle":"annually"}},
          {{"planId":{PRO_PLAN_ID},"planName":"Linkus Cloud Service Pro","price":"180.00","currency":"USD","billingCycle":"annually"}}
        ],"serviceList":[]}}}}"#
    )
}

/// Get Product Details for an SN without Linkus (partner-api.md 10.7).
pub fn not_subscribed() -> ResponseTemplate {
    rejection(
        404,
        "product_not_found",
        "The PBX has no Linkus Cloud Service.",
        "req-details-404",
    )
}

/// Get Product Details for an SN with Linkus until `expires` (`YYYY-MM-DD HH:MM:SS`).
pub fn subscribed(expires: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(envelope(json!({
        "productNo": SN, "productId": 9, "planId": PLAN_ID.parse::<u64>().unwrap(),
        "planName": "Linkus Cloud Service", "multiCycle": 1, "status": "active", "currentPlan": "",
        "currentPlanExpireDate": expires, "autoRenewStatus": 0, "activationStatus": "activated"
    })))
}

pub fn json_response(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "application/json")
}

pub fn empty_page() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(envelope(json!({
        "count": 0, "pageNo": 1, "pageSize": 100, "total": 0, "totalPage": 1, "results": []
    })))
}

/// Query Order List with no orders: what every raw portal answers unless a test says more
/// (each order reads the list first, CLI.md section 3).
pub fn empty_orders_body() -> String {
    envelope(json!({
        "count": 0, "pageNo": 1, "pageSize": 100, "total": 0, "totalPage": 1, "results": []
    }))
    .to_string()
}

pub fn order_created(status: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "code": "success", "detailMessage": "", "requestId": "req-order-1", "status": 200,
        "result": {
            "instanceId": "106396", "orderNo": "LR3206190457467703296", "orderStatus": status,
            "productNo": SN, "transactionNo": "QO3206190458986041345"
        }
    }))
}

/// A portal that answers every read of a purchase like the real one would.
pub async fn portal() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains("grant_type=pp_credentials"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(envelope(token_result(ACCESS_1, REFRESH_1, "1800"))),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(envelope(token_result(ACCESS_2, REFRESH_2, "1800"))),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(PLANS_PATH))
        .respond_with(json_response(plans_body()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(CONTACTS_PATH))
        .respond_with(json_response(contacts_body()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(INSTANCES_PATH))
        .respond_with(empty_page())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(DETAILS_PATH))
        .respond_with(not_subscribed())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(PRICE_PATH))
        .respond_with(json_response(prices_body()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(ORDERS_PATH))
        .respond_with(empty_page())
        .mount(&server)
        .await;
    server
}

/// A portal without Get Product Details (404, not the API's envelope): the subscription is
/// then read by paging Query Product List (partner-api.md 10.7).
pub async fn details_endpoint_missing(server: &MockServer) {
    respond(
        server,
        "GET",
        DETAILS_PATH,
        ResponseTemplate::new(404)
            .set_body_raw("<html><title>404 Not Found</title></html>", "text/html"),
    )
    .await;
}

/// Answers `verb route` with `response`, ahead of the defaults of [`portal`].
pub async fn respond(server: &MockServer, verb: &str, route: &str, response: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(response)
        .with_priority(1)
        .mount(server)
        .await;
}

/// Like [`respond`], for the first `times` requests only; then the defaults answer again.
pub async fn respond_times(
    server: &MockServer,
    verb: &str,
    route: &str,
    times: u64,
    response: ResponseTemplate,
) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(response)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
}

/// Answers the token endpoint's `grant_type=grant` (`pp_credentials` or `refresh_token`).
pub async fn respond_to_grant(server: &MockServer, grant: &str, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains(format!("grant_type={grant}")))
        .respond_with(response)
        .with_priority(1)
        .mount(server)
        .await;
}

/// The requests the server received for one method and path, in order.
pub async fn received(server: &MockServer, verb: &str, route: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == route)
        .collect()
}

pub async fn count(server: &MockServer, verb: &str, route: &str) -> usize {
    received(server, verb, route).await.len()
}

pub async fn total_requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap_or_default().len()
}

pub fn header<'a>(request: &'a Request, name: &str) -> &'a str {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

pub fn body_text(request: &Request) -> String {
    String::from_utf8_lossy(&request.body).into_owned()
}

pub fn query(request: &Request) -> Vec<(String, String)> {
    request.url.query_pairs().into_owned().collect()
}

/// The output of a finished command, for assertions.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", self.stdout))
    }

    /// Both streams, for "never shows X" checks.
    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

pub fn run(cmd: &mut Command) -> Run {
    let output = cmd.output().expect("run linkus");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs the command on a blocking thread, so that a test's own runtime keeps serving.
pub async fn run_async(mut cmd: Command) -> Run {
    tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .expect("join")
}

/// A base URL whose port nobody listens on.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The arguments of a complete non-interactive purchase.
pub fn purchase_args() -> Vec<&'static str> {
    purchase_args_for(SN)
}

/// The same for another PBX.
pub fn purchase_args_for(sn: &str) -> Vec<&str> {
    vec![
        "purchase",
        "--sn",
        sn,
        "--plan",
        "Linkus Cloud Service",
        "--billing-contact",
        CONTACT_ID,
        "--years",
        "1",
        "--yes",
    ]
}

pub fn all_files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(all_files_under(&path));
            } else {
                files.push(path);
            }
        }
    }
    files
}
