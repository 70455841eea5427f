//! A portal with a memory, on the scripted raw server: it keeps the orders it created, lists
//! them (Query Order List, Get Order Details) and answers Get Product Details from them, so
//! that a batch, `orders reconcile` and a rerun all see one consistent account. Faults the
//! tests of issue 12 need: the n-th order created and then its connection reset before the
//! answer; reads slowed down; one 429 with `Retry-After` on the plans.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::common::raw::{RawRequest, RawServer, Reply};
use crate::common::*;

const ORDER_DETAILS_PREFIX: &str = "/order/openapi/order/v1/get/";

#[derive(Debug, Clone)]
pub struct PortalOrder {
    pub sn: String,
    pub order_no: String,
    pub create_ms: u64,
}

/// One request as it reached the portal, and when.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub at: Duration,
    pub method: String,
    pub path: String,
    pub sn: Option<String>,
    pub status: u16,
}

#[derive(Default)]
pub struct Faults {
    /// The n-th order request (from 1) is created, then its connection is reset unanswered.
    pub reset_order: Option<usize>,
    /// Every GET waits this long before its answer.
    pub read_delay: Duration,
    /// The first plans request is answered 429 with `Retry-After: <seconds>`.
    pub plans_429_once: Option<u64>,
}

pub struct FakePortal {
    faults: Faults,
    started: Instant,
    throttled: AtomicBool,
    pub orders: Mutex<Vec<PortalOrder>>,
    pub arrivals: Mutex<Vec<Arrival>>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn ok(result: Value) -> Reply {
    Reply::json(200, envelope(result).to_string())
}

fn param(request: &RawRequest, name: &str) -> Option<String> {
    let query = request.target.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

impl FakePortal {
    pub fn start(faults: Faults) -> (Arc<FakePortal>, RawServer) {
        let portal = Arc::new(FakePortal {
            faults,
            started: Instant::now(),
            throttled: AtomicBool::new(false),
            orders: Mutex::new(Vec::new()),
            arrivals: Mutex::new(Vec::new()),
        });
        let handler = portal.clone();
        let server = RawServer::start(move |request| handler.answer(request));
        (portal, server)
    }

    pub fn orders(&self) -> Vec<PortalOrder> {
        self.orders.lock().unwrap().clone()
    }

    /// How many orders the portal holds for each SN.
    pub fn orders_per_sn(&self) -> std::collections::BTreeMap<String, usize> {
        let mut per_sn = std::collections::BTreeMap::new();
        for order in self.orders() {
            *per_sn.entry(order.sn).or_insert(0) += 1;
        }
        per_sn
    }

    pub fn arrivals(&self) -> Vec<Arrival> {
        self.arrivals.lock().unwrap().clone()
    }

    fn answer(&self, request: &RawRequest) -> Reply {
        let at = self.started.elapsed();
        let sn = param(request, "productNo");
        let reply = self.reply(request);
        let status = match &reply {
            Reply::Body(status, ..) => *status,
            Reply::Raw(_) => 429,
            _ => 0,
        };
        self.arrivals.lock().unwrap().push(Arrival {
            at,
            method: request.method.clone(),
            path: request.path().to_owned(),
            sn,
            status,
        });
        if request.method == "GET" && !self.faults.read_delay.is_zero() {
            std::thread::sleep(self.faults.read_delay);
        }
        reply
    }

    fn reply(&self, request: &RawRequest) -> Reply {
        match (request.method.as_str(), request.path()) {
            ("POST", TOKEN_PATH) => ok(token_result(ACCESS_1, REFRESH_1, "1800")),
            ("GET", PLANS_PATH) => match self.faults.plans_429_once {
                Some(seconds) if !self.throttled.swap(true, Ordering::SeqCst) => too_many(seconds),
                _ => Reply::json(200, plans_body()),
            },
            ("GET", CONTACTS_PATH) => Reply::json(200, contacts_body()),
            ("GET", PRICE_PATH) => Reply::json(200, prices_body()),
            ("GET", DETAILS_PATH) => self.details(&param(request, "productNo").unwrap_or_default()),
            ("GET", ORDERS_PATH) => self.order_page(request),
            ("GET", path) if path.starts_with(ORDER_DETAILS_PREFIX) => {
                self.order_details(&path[ORDER_DETAILS_PREFIX.len()..])
            }
            ("POST", ORDER_PATH) => self.create_order(request),
            _ => Reply::json(
                404,
                r#"{"code":"not_found","detailMessage":"No such API."}"#,
            ),
        }
    }

    fn create_order(&self, request: &RawRequest) -> Reply {
        let sn = crate::batch::ordered_sn(&request.body);
        // Numbered and kept under one lock: the n-th order is the n-th in the list.
        let (n, order_no) = {
            let mut orders = self.orders.lock().unwrap();
            let n = orders.len() + 1;
            let order_no = format!("LR{:019}", 3206190457467700000u64 + n as u64);
            orders.push(PortalOrder {
                sn: sn.clone(),
                order_no: order_no.clone(),
                create_ms: now_ms(),
            });
            (n, order_no)
        };
        if self.faults.reset_order == Some(n) {
            // Created, and then the connection drops before any answer.
            return Reply::Reset;
        }
        ok(json!({
            "instanceId": (100_000 + n).to_string(), "orderNo": order_no, "orderStatus": "succeed",
            "productNo": sn, "transactionNo": format!("QO{n}")
        }))
    }

    fn details(&self, sn: &str) -> Reply {
        if !self.orders().iter().any(|o| o.sn == sn) {
            return Reply::json(
                404,
                json!({"code": "product_not_found", "detailMessage": "The PBX has no Linkus Cloud Service.",
                       "requestId": "req-details-404", "result": null, "status": 404})
                .to_string(),
            );
        }
        ok(json!({
            "productNo": sn, "productId": 9, "planId": PLAN_ID.parse::<u64>().unwrap(),
            "planName": "Linkus Cloud Service", "multiCycle": 1, "status": "active",
            "currentPlan": "", "currentPlanExpireDate": "2099-01-01 00:00:00",
            "autoRenewStatus": 0, "activationStatus": "activated"
        }))
    }

    fn item(order: &PortalOrder, index: usize) -> Value {
        json!({
            "id": (7_000_000_000_000_000_000u64 + index as u64).to_string(),
            "orderNo": order.order_no, "orderStatus": "succeed", "operationType": "purchase_plan",
            "createTime": order.create_ms, "currencyCode": "USD", "productNo": order.sn,
        })
    }

    /// Query Order List: newest first, paged.
    fn order_page(&self, request: &RawRequest) -> Reply {
        let page_no: usize = param(request, "pageNo")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1)
            .max(1);
        let page_size: usize = param(request, "pageSize")
            .and_then(|v| v.parse().ok())
            .unwrap_or(25)
            .clamp(1, 100);
        let orders = self.orders();
        let total = orders.len();
        let results: Vec<Value> = orders
            .iter()
            .enumerate()
            .rev()
            .skip((page_no - 1) * page_size)
            .take(page_size)
            .map(|(index, order)| Self::item(order, index))
            .collect();
        ok(json!({
            "count": results.len(), "pageNo": page_no, "pageSize": page_size, "total": total,
            "totalPage": total.div_ceil(page_size).max(1), "results": results
        }))
    }

    fn order_details(&self, key: &str) -> Reply {
        let orders = self.orders();
        match orders.iter().enumerate().find(|(_, o)| o.order_no == key) {
            Some((index, order)) => ok(json!({
                "basicInformation": {"productId": "9", "productName": "Linkus Cloud Service", "productNo": order.sn},
                "orderInformation": Self::item(order, index),
            })),
            None => Reply::json(
                404,
                json!({"code": "order_not_found", "detailMessage": format!("No order {key}."),
                       "requestId": "req-od-404", "result": null, "status": 404})
                .to_string(),
            ),
        }
    }
}

/// 429 with `Retry-After`, which [`Reply::Body`] cannot carry.
fn too_many(seconds: u64) -> Reply {
    let body = r#"{"code":"too_many_requests","detailMessage":"Slow down.","requestId":"req-429","result":null,"status":429}"#;
    Reply::Raw(
        format!(
            "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nRetry-After: {seconds}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}
