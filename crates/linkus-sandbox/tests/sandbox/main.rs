//! The sandbox through its public API: `SandboxPortal::handle` for the shapes and rules, and
//! one server on a real socket.

mod http;
mod orders;
mod products;
mod reads;
mod settle;

use linkus_sandbox::{Answer, Call, SandboxPortal, ORDER_PATH, PLANS, TOKEN_PATH};
use serde_json::{json, Value};
use tempfile::TempDir;

/// The tutorial's PBX, which behaves normally.
pub const SN: &str = "369471667338";
pub const BASIC: u64 = PLANS[0].0;
pub const PRO: u64 = PLANS[1].0;
pub const CONTACT: u64 = 3197218168379846218;
pub const DAY_MS: u64 = 24 * 3600 * 1000;
pub const YEAR_MS: u64 = 365 * DAY_MS;

/// A portal on a fresh state folder, and an access token for it.
pub(crate) struct Sandbox {
    pub dir: TempDir,
    pub portal: SandboxPortal,
    pub bearer: String,
}

impl Sandbox {
    pub fn new() -> Self {
        Self::with(|portal| portal)
    }

    pub fn with(build: impl FnOnce(SandboxPortal) -> SandboxPortal) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let portal = build(SandboxPortal::new(dir.path()));
        let granted = portal.handle(&Call {
            method: "POST",
            path: TOKEN_PATH,
            query: Vec::new(),
            authorization: None,
            body: b"client_id=sandbox&client_secret=s&grant_type=pp_credentials",
        });
        assert_eq!(granted.status, 200, "{}", granted.body);
        let bearer = format!(
            "Bearer {}",
            granted.body["result"]["token"].as_str().unwrap()
        );
        Sandbox {
            dir,
            portal,
            bearer,
        }
    }

    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Answer {
        self.portal.handle(&Call {
            method: "GET",
            path,
            query: query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            authorization: Some(&self.bearer),
            body: b"",
        })
    }

    pub fn post(&self, path: &str, body: &Value) -> Answer {
        let body = body.to_string();
        self.portal.handle(&Call {
            method: "POST",
            path,
            query: Vec::new(),
            authorization: Some(&self.bearer),
            body: body.as_bytes(),
        })
    }

    /// A purchase, renew or switch order (`operation` is purchase, renew or switch).
    pub fn order(&self, operation: &str, sn: &str, plan: u64, years: u8) -> Answer {
        self.post(ORDER_PATH, &order_body(operation, sn, plan, years))
    }
}

pub fn order_body(operation: &str, sn: &str, plan: u64, years: u8) -> Value {
    json!({
        "operationType": format!("{operation}_plan"),
        "productId": 9,
        "productNo": sn,
        "billingId": CONTACT,
        "poNumber": "PO-42",
        "serviceList": [{
            "serviceType": "plan", "serviceId": plan, "purchaseType": operation,
            "billingModel": "recurring", "billingCycle": "annually", "multiCycle": years
        }]
    })
}

/// Asserts a success and gives its `result`.
#[track_caller]
pub fn success(answer: Answer) -> Value {
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["code"], "success", "{}", answer.body);
    assert_eq!(answer.body["status"], 200);
    assert_eq!(answer.body["requestId"].as_str().unwrap().len(), 32);
    answer.body["result"].clone()
}

/// Asserts a refusal with this status and code, and gives its `detailMessage`.
#[track_caller]
pub fn refused(answer: Answer, status: u16, code: &str) -> String {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["code"], code, "{}", answer.body);
    assert_eq!(answer.body["status"], status);
    answer.body["detailMessage"].as_str().unwrap().to_owned()
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}
