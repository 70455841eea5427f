//! What the sandbox portal answers: the shapes of partner-api.md section 10, its data, and the
//! special serial numbers that rehearse failures (CLI.md section 7).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};

use super::state::{new_order_id, now_ms, SandboxOrder, State, Store};
use crate::portal::token::TOKEN_PATH;
use crate::portal::{
    CONTACTS_PATH, INSTANCES_PATH, ORDERS_PATH, ORDER_DETAILS_PATH, ORDER_PATH, PLANS_PATH,
};

pub const PRODUCT_LIST_PATH: &str = "/pricing/openapi/purchase/v1/product_list";

/// The two Linkus plans, with the IDs printed in the portal's tutorial (partner-api.md 7.1).
pub const PLANS: [(u64, &str); 2] = [
    (3048918321840570368, "Linkus Cloud Service"),
    (3048918719332507648, "Linkus Cloud Service Pro"),
];

/// The two billing contacts; the first has the tutorial's ID.
pub fn contacts() -> Value {
    json!([
        {
            "billingContactId": "3197218168379846218",
            "firstName": "Ana", "lastName": "Silva", "company": "Example Telecom",
            "emailAddress": "billing@example.com", "phoneNumber": "+351210000000",
            "country": "Portugal", "stateProvince": "Lisboa", "city": "Lisboa",
            "street": "Rua Exemplo 1", "zipCode": "1000-001", "taxNum": "PT999999990", "remark": ""
        },
        {
            "billingContactId": "3201475529867382784",
            "firstName": "Ben", "lastName": "Okafor", "company": "Northwind Networks",
            "emailAddress": "accounts@northwind.example", "phoneNumber": "+442071234567",
            "country": "United Kingdom", "stateProvince": "London", "city": "London",
            "street": "1 Example Street", "zipCode": "EC1A 1AA", "taxNum": "GB999999973", "remark": ""
        }
    ])
}

fn contact_ids() -> Vec<u64> {
    contacts()
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|c| c["billingContactId"].as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

pub const ACCOUNT: &str = "sandbox-partner@example.com";
const ACCESS_LIFETIME: u64 = 1800;
const REFRESH_LIFETIME: u64 = 15 * 24 * 3600;

/// How long the `0504` serial number keeps the client waiting: longer than any client waits.
const HANG: Duration = Duration::from_secs(600);

/// A parsed request, as the portal sees it.
pub struct Call<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Vec<(String, String)>,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

impl Call<'_> {
    fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

pub struct Answer {
    pub status: u16,
    pub body: Value,
    /// Wait this long before answering (the `0504` serial number).
    pub delay: Duration,
}

fn answer(status: u16, code: &str, detail: &str, result: Value) -> Answer {
    Answer {
        status,
        body: json!({
            "code": code,
            "detailMessage": detail,
            "requestId": format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)),
            "result": result,
            "status": status,
        }),
        delay: Duration::ZERO,
    }
}

fn ok(result: Value) -> Answer {
    answer(200, "success", "", result)
}

fn invalid(field: &str, detail: &str) -> Answer {
    answer(
        400,
        "parameter_validation_failed",
        detail,
        json!({"field": field, "tag": "invalid"}),
    )
}

/// The sandbox portal: its store and the per-serial-number failure counters.
pub struct SandboxPortal {
    store: Store,
    unavailable: Mutex<HashMap<String, u32>>,
}

impl SandboxPortal {
    pub fn new(dir: &Path) -> Self {
        SandboxPortal {
            store: Store::new(dir),
            unavailable: Mutex::new(HashMap::new()),
        }
    }

    pub fn handle(&self, call: &Call) -> Answer {
        if call.path == TOKEN_PATH && call.method == "POST" {
            return token(call);
        }
        if !authorized(call.authorization) {
            return answer(
                401,
                "invalid_token",
                "The access token is invalid or has expired.",
                Value::Null,
            );
        }
        let sn = call.param("productNo").unwrap_or("");
        if call.method == "GET" && sn.ends_with("0503") && self.still_unavailable(call.path, sn) {
            return answer(
                503,
                "service_unavailable",
                "The service is busy; try again.",
                Value::Null,
            );
        }
        match (call.method, call.path) {
            ("GET", PLANS_PATH) => self.plans(call),
            ("GET", CONTACTS_PATH) => ok(contacts()),
            ("GET", PRODUCT_LIST_PATH) => ok(json!([
                {"name": "Linkus Cloud Service", "productId": 9, "offeringId": [31]}
            ])),
            ("GET", INSTANCES_PATH) => self.instances(call),
            ("GET", ORDERS_PATH) => self.orders(call),
            ("GET", path) if path.starts_with(&format!("{ORDER_DETAILS_PATH}/")) => {
                self.order_details(&path[ORDER_DETAILS_PATH.len() + 1..])
            }
            ("POST", ORDER_PATH) => self.create_order(call),
            _ => answer(404, "not_found", "No such API.", Value::Null),
        }
    }

    /// The `0503` serial numbers: two 503s, then an answer, then again.
    fn still_unavailable(&self, path: &str, sn: &str) -> bool {
        let Ok(mut counters) = self.unavailable.lock() else {
            return false;
        };
        let count = counters.entry(format!("{path} {sn}")).or_insert(0);
        *count += 1;
        *count % 3 != 0
    }

    fn plans(&self, call: &Call) -> Answer {
        let sn = call.param("productNo").unwrap_or("");
        if call.param("productId") != Some("9") {
            return invalid(
                "productId",
                "The sandbox sells Linkus Cloud Service only (productId 9).",
            );
        }
        if sn.is_empty() {
            return invalid(
                "productNo",
                "productNo must not be blank for Linkus Cloud Service.",
            );
        }
        if sn.ends_with("0402") {
            return not_eligible(sn);
        }
        let plans: Vec<Value> = PLANS
            .iter()
            .map(|(id, name)| {
                json!({
                    "planId": id, "planName": name, "purchaseType": "purchase",
                    "billingModel": "recurring", "billingCycle": "annually",
                    "multiCycleList": [1, 2, 3, 4, 5]
                })
            })
            .collect();
        ok(json!({
            "productId": 9, "productName": "Linkus Cloud Service", "offeringId": "31",
            "planList": plans, "serviceList": []
        }))
    }

    fn instances(&self, call: &Call) -> Answer {
        let state = self.store.load();
        let now = now_ms();
        let mut items: Vec<Value> = Vec::new();
        for order in state.orders.iter().rev() {
            let live = state.subscription(&order.product_no, now).map(|o| o.id) == Some(order.id);
            if live {
                items.push(json!({
                    "productNo": order.product_no,
                    "productName": "Linkus Cloud Service",
                    "planName": order.plan_name,
                    "expireTime": order.expire_time(),
                    "activationCode": "",
                    "activationStatus": "activated",
                    "comment": ""
                }));
            }
        }
        page(call, items)
    }

    fn orders(&self, call: &Call) -> Answer {
        let state = self.store.load();
        let items = state.orders.iter().rev().map(order_item).collect();
        page(call, items)
    }

    fn order_details(&self, key: &str) -> Answer {
        let state = self.store.load();
        let Some(order) = state
            .orders
            .iter()
            .find(|o| o.order_no == key || o.id.to_string() == key)
        else {
            return answer(
                404,
                "order_not_found",
                &format!("No order {key}."),
                Value::Null,
            );
        };
        let contact = contacts()
            .as_array()
            .and_then(|list| {
                list.iter()
                    .find(|c| c["billingContactId"].as_str() == Some(&order.billing_id.to_string()))
                    .cloned()
            })
            .unwrap_or(Value::Null);
        ok(json!({
            "basicInformation": {
                "productId": "9", "productName": "Linkus Cloud Service", "productNo": order.product_no
            },
            "billingInformation": contact,
            "orderInformation": order_item(order),
            "orderSummary": {
                "planId": order.plan_id, "planName": order.plan_name,
                "multiCycle": order.multi_cycle, "currencyCode": "USD"
            }
        }))
    }

    fn create_order(&self, call: &Call) -> Answer {
        let request = match check_order(call.body) {
            Ok(request) => request,
            Err(answer) => return answer,
        };
        if request.sn.ends_with("0402") {
            return not_eligible(&request.sn);
        }
        let now = now_ms();
        let placed = self.store.update(|state: &mut State| {
            if let Some(existing) = state.subscription(&request.sn, now) {
                return Err(existing.expire_time());
            }
            let id = new_order_id();
            let order = SandboxOrder {
                id,
                order_no: format!("LR{id}"),
                order_status: if request.sn.ends_with("0202") {
                    "pending"
                } else {
                    "succeed"
                }
                .to_owned(),
                transaction_no: format!("QO{}", id + 1),
                instance_id: (100_000 + state.orders.len() as u64 + 1).to_string(),
                create_time: now,
                product_no: request.sn.clone(),
                plan_id: request.plan_id,
                plan_name: request.plan_name.clone(),
                billing_id: request.billing_id,
                multi_cycle: request.years,
                po_number: request.po_number.clone(),
            };
            state.orders.push(order.clone());
            Ok(order)
        });
        match placed {
            Err(error) => answer(500, "internal_error", &format!("{error:#}"), Value::Null),
            Ok(Err(expires)) => answer(
                400,
                "product_already_subscribed",
                &format!(
                    "The PBX {} already has Linkus Cloud Service until {}.",
                    request.sn,
                    crate::output::format_date_ms(expires)
                ),
                Value::Null,
            ),
            Ok(Ok(order)) => {
                let mut reply = ok(json!({
                    "instanceId": order.instance_id,
                    "orderNo": order.order_no,
                    "orderStatus": order.order_status,
                    "productNo": order.product_no,
                    "transactionNo": order.transaction_no,
                }));
                if request.sn.ends_with("0504") {
                    reply.delay = HANG;
                }
                reply
            }
        }
    }
}

fn not_eligible(sn: &str) -> Answer {
    answer(
        400,
        "product_not_eligible",
        &format!("The PBX {sn} is not eligible for Linkus Cloud Service."),
        Value::Null,
    )
}

fn order_item(order: &SandboxOrder) -> Value {
    json!({
        "id": order.id.to_string(),
        "orderNo": order.order_no,
        "orderStatus": order.order_status,
        "createTime": order.create_time,
        "currencyCode": "USD",
        "customReferenceNo": "",
        "invoiceNo": "",
        "productId": 9,
        "productName": "Linkus Cloud Service",
        "productNo": order.product_no,
        "poNumber": order.po_number,
        "transactionNo": order.transaction_no,
    })
}

fn page(call: &Call, items: Vec<Value>) -> Answer {
    let page_no: usize = call
        .param("pageNo")
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1);
    let page_size: usize = call
        .param("pageSize")
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(25)
        .min(1000);
    let total = items.len();
    let total_page = total.div_ceil(page_size).max(1);
    let results: Vec<Value> = items
        .into_iter()
        .skip((page_no - 1).saturating_mul(page_size))
        .take(page_size)
        .collect();
    ok(json!({
        "count": results.len(), "pageNo": page_no, "pageSize": page_size,
        "total": total, "totalPage": total_page, "results": results
    }))
}

/// An order body that passed the checks of partner-api.md 5.1–5.3 and 7.1.
struct CheckedOrder {
    sn: String,
    plan_id: u64,
    plan_name: String,
    billing_id: u64,
    years: u8,
    po_number: Option<String>,
}

fn check_order(body: &[u8]) -> Result<CheckedOrder, Answer> {
    let body: Value =
        serde_json::from_slice(body).map_err(|_| invalid("body", "The body is not JSON."))?;
    let text = |field: &str| body.get(field).and_then(Value::as_str);
    if text("operationType") != Some("purchase_plan") {
        return Err(invalid(
            "operationType",
            "operationType must be purchase_plan.",
        ));
    }
    if body.get("productId").and_then(Value::as_u64) != Some(9) {
        return Err(invalid("productId", "productId must be the number 9."));
    }
    let sn = text("productNo").unwrap_or("").to_owned();
    if sn.is_empty() || !sn.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid(
            "productNo",
            "productNo must be the PBX serial number.",
        ));
    }
    let billing_id = body
        .get("billingId")
        .and_then(Value::as_u64)
        .ok_or_else(|| invalid("billingId", "billingId must be a number (Long)."))?;
    if !contact_ids().contains(&billing_id) {
        return Err(invalid(
            "billingId",
            "billingId is not one of the account's billing contacts.",
        ));
    }
    let po_number = match body.get("poNumber") {
        None | Some(Value::Null) => None,
        Some(Value::String(po)) => Some(po.clone()),
        Some(_) => return Err(invalid("poNumber", "poNumber must be a string.")),
    };
    let services = body
        .get("serviceList")
        .and_then(Value::as_array)
        .filter(|list| list.len() == 1)
        .ok_or_else(|| invalid("serviceList", "serviceList must hold exactly one plan."))?;
    let service = &services[0];
    let field = |name: &str| service.get(name).and_then(Value::as_str);
    for (name, expected) in [
        ("serviceType", "plan"),
        ("purchaseType", "purchase"),
        ("billingModel", "recurring"),
        ("billingCycle", "annually"),
    ] {
        if field(name) != Some(expected) {
            return Err(invalid(name, &format!("{name} must be {expected}.")));
        }
    }
    let plan_id = service
        .get("serviceId")
        .and_then(Value::as_u64)
        .ok_or_else(|| invalid("serviceId", "serviceId must be a number."))?;
    let Some((_, plan_name)) = PLANS.iter().find(|(id, _)| *id == plan_id) else {
        return Err(invalid("serviceId", "serviceId is not a Linkus plan."));
    };
    let years = service
        .get("multiCycle")
        .and_then(Value::as_u64)
        .filter(|y| (1..=5).contains(y))
        .ok_or_else(|| invalid("multiCycle", "multiCycle must be 1 to 5."))? as u8;
    Ok(CheckedOrder {
        sn,
        plan_id,
        plan_name: (*plan_name).to_owned(),
        billing_id,
        years,
        po_number,
    })
}

/// The token endpoint: any client ID and secret; refresh tokens the sandbox issued.
fn token(call: &Call) -> Answer {
    let form: HashMap<String, String> = url::form_urlencoded::parse(call.body)
        .into_owned()
        .collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    match field("grant_type") {
        "pp_credentials"
            if !field("client_id").is_empty() && !field("client_secret").is_empty() =>
        {
            issue(field("client_id"))
        }
        "pp_credentials" => answer(
            401,
            "invalid_client",
            "client_id and client_secret are required.",
            Value::Null,
        ),
        "refresh_token" => match claims(field("refresh_token")) {
            Some(claims)
                if claims["token_type"] == "refresh"
                    && claims["exp"].as_u64() > Some(now_ms() / 1000) =>
            {
                issue(claims["client_id"].as_str().unwrap_or("sandbox"))
            }
            _ => answer(
                401,
                "invalid_grant",
                "The refresh token is invalid or has expired.",
                Value::Null,
            ),
        },
        _ => invalid(
            "grant_type",
            "grant_type must be pp_credentials or refresh_token.",
        ),
    }
}

fn issue(client_id: &str) -> Answer {
    let now = now_ms() / 1000;
    ok(json!({
        "token": jwt(client_id, "openapi", now + ACCESS_LIFETIME),
        "tokenHead": "Bearer ",
        "expiresIn": ACCESS_LIFETIME.to_string(),
        "refreshToken": jwt(client_id, "refresh", now + REFRESH_LIFETIME),
    }))
}

/// A JWT-shaped token with the claims of the guide's sample, unsigned: it only has to look
/// and expire like the real thing.
fn jwt(client_id: &str, kind: &str, exp: u64) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = engine.encode(
        json!({
            "aud": ["openapi"],
            "X-MS-USER": {"type": "partner", "userCode": "Distributor", "username": ACCOUNT},
            "user_name": ACCOUNT,
            "scope": ["all"],
            "exp": exp,
            "token_type": kind,
            "jti": format!("{:016x}", fastrand::u64(..)),
            "client_id": client_id,
        })
        .to_string(),
    );
    format!("{header}.{payload}.sandbox")
}

fn claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if signature != "sandbox" {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn authorized(header: Option<&str>) -> bool {
    let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")) else {
        return false;
    };
    claims(token.trim()).is_some_and(|c| {
        c["token_type"] == "openapi" && c["exp"].as_u64().is_some_and(|exp| exp > now_ms() / 1000)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call<'a>(method: &'a str, path: &'a str, auth: Option<&'a str>, body: &'a [u8]) -> Call<'a> {
        Call {
            method,
            path,
            query: Vec::new(),
            authorization: auth,
            body,
        }
    }

    #[test]
    fn tokens_are_issued_refreshed_and_checked() {
        let temp = tempfile::tempdir().unwrap();
        let portal = SandboxPortal::new(temp.path());
        let granted = portal.handle(&call(
            "POST",
            TOKEN_PATH,
            None,
            b"client_id=a&client_secret=b&grant_type=pp_credentials",
        ));
        assert_eq!(granted.status, 200);
        let access = granted.body["result"]["token"].as_str().unwrap().to_owned();
        let refresh = granted.body["result"]["refreshToken"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            crate::portal::token::account_from_jwt(&access).as_deref(),
            Some("sandbox-partner@example.com (Distributor)")
        );
        let bearer = format!("Bearer {access}");
        assert_eq!(
            portal
                .handle(&call("GET", CONTACTS_PATH, Some(&bearer), b""))
                .status,
            200
        );
        assert_eq!(
            portal.handle(&call("GET", CONTACTS_PATH, None, b"")).status,
            401
        );
        // A refresh token is not an access token.
        assert_eq!(
            portal
                .handle(&call(
                    "GET",
                    CONTACTS_PATH,
                    Some(&format!("Bearer {refresh}")),
                    b""
                ))
                .status,
            401
        );
        let body = format!("grant_type=refresh_token&refresh_token={refresh}");
        assert_eq!(
            portal
                .handle(&call("POST", TOKEN_PATH, None, body.as_bytes()))
                .status,
            200
        );
        assert_eq!(
            portal
                .handle(&call(
                    "POST",
                    TOKEN_PATH,
                    None,
                    b"grant_type=refresh_token&refresh_token=x"
                ))
                .status,
            401
        );
    }

    #[test]
    fn order_bodies_are_checked_like_the_portal_would() {
        let good = br#"{"operationType":"purchase_plan","productId":9,"productNo":"369471667338","billingId":3197218168379846218,"serviceList":[{"serviceType":"plan","serviceId":3048918321840570368,"purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":1}]}"#;
        assert!(check_order(good).is_ok());
        let text = String::from_utf8(good.to_vec()).unwrap();
        let quoted = text.replace("3197218168379846218", "\"3197218168379846218\"");
        assert!(check_order(quoted.as_bytes()).is_err());
        let six = text.replace("\"multiCycle\":1", "\"multiCycle\":6");
        assert!(check_order(six.as_bytes()).is_err());
    }
}
