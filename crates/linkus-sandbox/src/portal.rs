//! What the sandbox portal answers: the shapes of partner-api.md section 10, its data, and the
//! special serial numbers that rehearse failures (CLI.md section 7).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::auth;
use crate::catalog::{
    contact, contacts, price_info, CURRENCY, OFFERING_ID, PLANS, PRODUCT_ID, PRODUCT_NAME,
};
use crate::envelope::{answer, invalid, ok, Answer, Call};
use crate::fleet::Fleet;
use crate::state::{SandboxOrder, State, Store, Subscription};
use crate::time::{date_time, now_ms, DAY_MS, YEAR_MS};
use crate::users::save_user;
use crate::AUTO_RENEW_PATH;
use crate::{
    CONTACTS_PATH, INSTANCES_PATH, ORDERS_PATH, ORDER_DETAILS_PATH, ORDER_PATH, PLANS_PATH,
    PRICE_PATH, PRODUCT_DETAILS_PATH, PRODUCT_LIST_PATH, SAVE_USER_PATH, TOKEN_PATH,
};

/// The `0409` PBX that the account's product list shows, last, until an order stores a
/// subscription for it (any SN ending in `0409` has Linkus expiring in 20 days; this is the one
/// listed).
pub const EXPIRING_SN: &str = "369471660409";

/// Page sizes above this are cut down to it, as the portal does.
const MAX_PAGE_SIZE: usize = 100;
const DEFAULT_PAGE_SIZE: usize = 25;

/// What a serial number rehearses (CLI.md section 7), by its last four digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Special {
    Normal,
    /// `0402`: not eligible for Linkus.
    NotEligible,
    /// `0202`: orders stay `pending`.
    Pending,
    /// `0504`: the order is placed, its answer held back for longer than any client waits.
    Hang,
    /// `0503`: reads answer 503 twice, then normally.
    Unavailable,
    /// `0409`: already has Linkus, expiring in 20 days.
    Expiring,
    /// `0404`: not a PBX of this partner account.
    NotInAccount,
}

impl Special {
    /// How plans, orders and Enable Auto-renewal refuse an SN that cannot be sold to
    /// (`0402`, `0404`); `None` for every other SN.
    pub(crate) fn refusal(self, sn: &str) -> Option<Answer> {
        match self {
            Special::NotEligible => Some(not_eligible(sn)),
            Special::NotInAccount => Some(not_in_account(sn)),
            _ => None,
        }
    }
}

/// The sandbox portal: its store, its fleet, and the per-serial-number failure counters.
pub struct SandboxPortal {
    pub(crate) store: Store,
    fleet: Fleet,
    unavailable: Mutex<HashMap<String, u32>>,
    /// The state as last read for the order list, with the file's stamp: pages asked for
    /// together are answered without parsing the file once per page.
    read: Mutex<Option<(FileStamp, Arc<State>)>>,
}

/// What tells one version of the state file from another (it is replaced, never edited).
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    modified: Option<std::time::SystemTime>,
    len: u64,
    #[cfg(unix)]
    inode: u64,
}

impl FileStamp {
    fn of(path: &Path) -> Option<FileStamp> {
        let metadata = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            modified: metadata.modified().ok(),
            len: metadata.len(),
            #[cfg(unix)]
            inode: std::os::unix::fs::MetadataExt::ino(&metadata),
        })
    }
}

impl SandboxPortal {
    /// The portal whose state lives in `state_dir/state.json`.
    pub fn new(state_dir: &Path) -> Self {
        SandboxPortal {
            store: Store::new(state_dir),
            fleet: Fleet::default(),
            unavailable: Mutex::new(HashMap::new()),
            read: Mutex::new(None),
        }
    }

    /// Adds `pbxs` PBXs that already have Linkus to the account (`F00000000001` and on),
    /// generated on the fly from their index, never stored: plans alternate (basic first),
    /// 1 to 3 years, expiry spread from 30 days ago to 400 days ahead (so some have expired),
    /// auto-renew on for every third. They answer product details and are listed after the
    /// stored subscriptions. Their SNs are ordinary: the special endings do not apply to them.
    /// A renew, switch or (once expired) purchase stores a subscription that replaces the
    /// generated one.
    pub fn with_fleet(mut self, pbxs: u32) -> Self {
        self.fleet = Fleet::new(pbxs);
        self
    }

    /// Makes exactly `pbxs` PBXs of the fleet (the first ones) end within 30 days, none of
    /// them renewing automatically, and the others 31 to 400 days ahead (for benchmarks of
    /// `renew --expiring-within 30`).
    pub fn with_fleet_expiring(mut self, pbxs: u32) -> Self {
        self.fleet = self.fleet.with_expiring(pbxs);
        self
    }

    /// The state for answers that only read it, parsed again only when the file changed.
    fn state_to_read(&self) -> Arc<State> {
        let Some(stamp) = FileStamp::of(self.store.path()) else {
            return Arc::new(self.store.load());
        };
        if let Ok(read) = self.read.lock() {
            if let Some((seen, state)) = read.as_ref() {
                if *seen == stamp {
                    return state.clone();
                }
            }
        }
        let state = Arc::new(self.store.load());
        // Stamped as it was before the read: a change meanwhile makes the next read parse again.
        if let Ok(mut read) = self.read.lock() {
            *read = Some((stamp, state.clone()));
        }
        state
    }

    /// The state file this portal keeps.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Answers one request.
    pub fn handle(&self, call: &Call) -> Answer {
        if call.path == TOKEN_PATH && call.method == "POST" {
            return auth::token(call);
        }
        if !auth::authorized(call.authorization) {
            return answer(
                401,
                "invalid_token",
                "The access token is invalid or has expired.",
                Value::Null,
            );
        }
        let sn = call.param("productNo").unwrap_or("");
        if call.method == "GET"
            && self.special(sn) == Special::Unavailable
            && self.still_unavailable(call.path, sn)
        {
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
                {"name": PRODUCT_NAME, "productId": PRODUCT_ID, "offeringId": [31]}
            ])),
            ("GET", PRICE_PATH) => price_info(call),
            ("GET", INSTANCES_PATH) => self.products(call),
            ("GET", PRODUCT_DETAILS_PATH) => self.product_details(call),
            ("GET", ORDERS_PATH) => self.orders(call),
            ("GET", path) if path.starts_with(&format!("{ORDER_DETAILS_PATH}/")) => {
                self.order_details(&path[ORDER_DETAILS_PATH.len() + 1..])
            }
            ("POST", ORDER_PATH) => self.create_order(call),
            ("POST", AUTO_RENEW_PATH) => self.enable_auto_renew(call.body),
            ("POST", SAVE_USER_PATH) => save_user(call.body),
            _ => answer(404, "not_found", "No such API.", Value::Null),
        }
    }

    /// What an SN rehearses. The fleet's SNs are ordinary whatever their ending.
    pub(crate) fn special(&self, sn: &str) -> Special {
        if self.fleet.index(sn).is_some() {
            return Special::Normal;
        }
        match sn.get(sn.len().saturating_sub(4)..) {
            Some("0402") => Special::NotEligible,
            Some("0202") => Special::Pending,
            Some("0504") => Special::Hang,
            Some("0503") => Special::Unavailable,
            Some("0409") => Special::Expiring,
            Some("0404") => Special::NotInAccount,
            _ => Special::Normal,
        }
    }

    /// An SN's subscription, live or expired: the stored one, else the fleet's, else the
    /// `0409` one that always expires in 20 days.
    pub(crate) fn subscription(&self, state: &State, sn: &str, now: u64) -> Option<Subscription> {
        if let Some(stored) = state.subscription(sn) {
            return Some(stored.clone());
        }
        if let Some(index) = self.fleet.index(sn) {
            return Some(self.fleet.subscription(index, now));
        }
        (self.special(sn) == Special::Expiring).then(|| expiring(now))
    }

    /// The `0503` serial numbers: two 503s, then an answer, then again, per path.
    fn still_unavailable(&self, path: &str, sn: &str) -> bool {
        let Ok(mut counters) = self.unavailable.lock() else {
            return false;
        };
        let count = counters.entry(format!("{path} {sn}")).or_insert(0);
        *count += 1;
        *count % 3 != 0
    }

    /// Query Available Subscription Plans (10.2).
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
        if let Some(refused) = self.special(sn).refusal(sn) {
            return refused;
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
            "productId": PRODUCT_ID, "productName": PRODUCT_NAME, "offeringId": OFFERING_ID,
            "planList": plans, "serviceList": []
        }))
    }

    /// Get Product Details (10.7): one SN, whatever the size of the account.
    fn product_details(&self, call: &Call) -> Answer {
        let sn = call.param("productNo").unwrap_or("").trim();
        if sn.is_empty() {
            return invalid("productNo", "productNo is required.");
        }
        if call.param("productId") != Some("9") {
            return crate::catalog::not_linkus();
        }
        if self.special(sn) == Special::NotInAccount {
            return not_in_account(sn);
        }
        let now = now_ms();
        let state = self.store.load();
        let Some(subscription) = self.subscription(&state, sn, now) else {
            return answer(
                404,
                "product_not_found",
                &format!("The account has no Linkus Cloud Service for the PBX {sn}."),
                Value::Null,
            );
        };
        ok(json!({
            "productNo": sn,
            "productId": PRODUCT_ID,
            "planId": subscription.plan_id,
            "planName": subscription.plan_name,
            "multiCycle": subscription.multi_cycle,
            "status": status(&subscription, now),
            "currentPlan": "",
            "currentPlanExpireDate": date_time(subscription.expire_time),
            "autoRenewStatus": u8::from(subscription.auto_renew),
            "activationStatus": "activated",
            "activationCode": "",
            "comment": "",
            "createTime": subscription.since,
        }))
    }

    /// Query Product List (6.1, 10.5): the stored subscriptions, newest first, then the
    /// fleet in index order, then the `0409` PBX. Only the asked page is built, so a page of a
    /// fleet of any size costs the same.
    fn products(&self, call: &Call) -> Answer {
        let (page_no, page_size) = paging(call);
        let now = now_ms();
        let state = self.store.load();

        let mut stored: Vec<(&String, &Subscription)> = state.subscriptions.iter().collect();
        stored.sort_by(|a, b| b.1.since.cmp(&a.1.since).then_with(|| a.0.cmp(b.0)));
        // Fleet PBXs with a stored subscription are listed once, as stored.
        let mut overridden: Vec<u64> = state
            .subscriptions
            .keys()
            .filter_map(|sn| self.fleet.index(sn))
            .collect();
        overridden.sort_unstable();
        overridden.dedup();
        let fleet_end = stored.len() + (self.fleet.size() - overridden.len() as u64) as usize;
        let listed_expiring = state.subscription(EXPIRING_SN).is_none();
        let total = fleet_end + usize::from(listed_expiring);

        let start = (page_no - 1).saturating_mul(page_size).min(total);
        let end = start.saturating_add(page_size).min(total);
        let mut results = Vec::with_capacity(end - start);
        for (sn, subscription) in stored.iter().take(end).skip(start) {
            results.push(product_item(sn, subscription, now));
        }
        let (fleet_from, fleet_to) = (start.max(stored.len()), end.min(fleet_end));
        if fleet_from < fleet_to {
            let mut index = fleet_index(fleet_from - stored.len(), &overridden);
            let mut wanted = fleet_to - fleet_from;
            while wanted > 0 {
                if overridden.binary_search(&index).is_err() {
                    let subscription = self.fleet.subscription(index, now);
                    results.push(product_item(&Fleet::sn(index), &subscription, now));
                    wanted -= 1;
                }
                index += 1;
            }
        }
        if listed_expiring && start <= fleet_end && fleet_end < end {
            results.push(product_item(EXPIRING_SN, &expiring(now), now));
        }
        page_answer(page_no, page_size, total, results)
    }

    /// Query Order List (6.2): newest first by creation time, as the portal's Orders page
    /// lists them (orders seeded "from elsewhere" with an age of their own included).
    fn orders(&self, call: &Call) -> Answer {
        let (page_no, page_size) = paging(call);
        let state = self.state_to_read();
        let total = state.orders.len();
        let mut newest_first: Vec<&SandboxOrder> = state.orders.iter().rev().collect();
        newest_first.sort_by_key(|order| std::cmp::Reverse(order.create_time));
        let results = newest_first
            .into_iter()
            .skip((page_no - 1).saturating_mul(page_size))
            .take(page_size)
            .map(order_item)
            .collect();
        page_answer(page_no, page_size, total, results)
    }

    /// Get Order Details (6.2), by order number or ID.
    fn order_details(&self, key: &str) -> Answer {
        let state = self.state_to_read();
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
        ok(json!({
            "basicInformation": {
                "productId": PRODUCT_ID.to_string(),
                "productName": PRODUCT_NAME,
                "productNo": order.product_no,
            },
            "billingInformation": contact(order.billing_id).unwrap_or(Value::Null),
            "orderInformation": order_item(order),
            "orderSummary": {
                "planId": order.plan_id,
                "planName": order.plan_name,
                "multiCycle": order.multi_cycle,
                "currencyCode": CURRENCY,
                "amount": crate::catalog::amount(order.plan_id, order.multi_cycle),
            }
        }))
    }
}

/// The fleet index listed at `position` (from 0) once the `overridden` indices (ascending)
/// are left out.
fn fleet_index(position: usize, overridden: &[u64]) -> u64 {
    let mut index = position as u64 + 1;
    for skipped in overridden {
        if *skipped <= index {
            index += 1;
        } else {
            break;
        }
    }
    index
}

/// The `0409` subscription: the basic plan for a year, expiring 20 days from now.
fn expiring(now: u64) -> Subscription {
    let expire_time = now + 20 * DAY_MS;
    Subscription {
        plan_id: PLANS[0].0,
        plan_name: PLANS[0].1.to_owned(),
        multi_cycle: 1,
        expire_time,
        auto_renew: false,
        since: expire_time - YEAR_MS,
    }
}

fn status(subscription: &Subscription, now: u64) -> &'static str {
    if subscription.is_live(now) {
        "active"
    } else {
        "expired"
    }
}

/// The `0404` serial numbers: a PBX that is not in the partner's account (a typo in the SN, or
/// a PBX another partner manages).
fn not_in_account(sn: &str) -> Answer {
    answer(
        400,
        "product_not_in_account",
        &format!("The PBX {sn} is not in this partner account."),
        Value::Null,
    )
}

fn not_eligible(sn: &str) -> Answer {
    answer(
        400,
        "product_not_eligible",
        &format!("The PBX {sn} is not eligible for Linkus Cloud Service."),
        Value::Null,
    )
}

fn product_item(sn: &str, subscription: &Subscription, now: u64) -> Value {
    json!({
        "productNo": sn,
        "productName": PRODUCT_NAME,
        "planId": subscription.plan_id,
        "planName": subscription.plan_name,
        "multiCycle": subscription.multi_cycle,
        "expireTime": subscription.expire_time,
        "autoRenewStatus": u8::from(subscription.auto_renew),
        "status": status(subscription, now),
        "activationStatus": "activated",
        "activationCode": "",
        "comment": "",
    })
}

fn order_item(order: &SandboxOrder) -> Value {
    json!({
        "id": order.id.to_string(),
        "orderNo": order.order_no,
        "orderStatus": order.order_status,
        "operationType": order.operation_type.operation_type(),
        "createTime": order.create_time,
        "currencyCode": CURRENCY,
        "amount": crate::catalog::amount(order.plan_id, order.multi_cycle),
        "customReferenceNo": "",
        "invoiceNo": "",
        "productId": PRODUCT_ID,
        "productName": PRODUCT_NAME,
        "productNo": order.product_no,
        "planId": order.plan_id,
        "planName": order.plan_name,
        "multiCycle": order.multi_cycle,
        "poNumber": order.po_number,
        "transactionNo": order.transaction_no,
    })
}

/// `pageNo` (from 1) and `pageSize` (25 unless asked, at most 100).
fn paging(call: &Call) -> (usize, usize) {
    let page_no = call
        .param("pageNo")
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1);
    let page_size = call
        .param("pageSize")
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .min(MAX_PAGE_SIZE);
    (page_no, page_size)
}

fn page_answer(page_no: usize, page_size: usize, total: usize, results: Vec<Value>) -> Answer {
    ok(json!({
        "count": results.len(), "pageNo": page_no, "pageSize": page_size,
        "total": total, "totalPage": total.div_ceil(page_size).max(1), "results": results
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_positions_skip_the_overridden_indices() {
        assert_eq!(fleet_index(0, &[]), 1);
        assert_eq!(fleet_index(9, &[]), 10);
        assert_eq!(fleet_index(0, &[1]), 2);
        assert_eq!(fleet_index(1, &[2]), 3);
        assert_eq!(fleet_index(1, &[2, 3]), 4);
        assert_eq!(fleet_index(1, &[3]), 2);
        assert_eq!(fleet_index(4, &[1, 5, 9]), 7);
    }

    #[test]
    fn special_endings_apply_outside_the_fleet_only() {
        let temp = tempfile::tempdir().unwrap();
        let portal = SandboxPortal::new(temp.path()).with_fleet(1000);
        assert_eq!(portal.special("1234560402"), Special::NotEligible);
        assert_eq!(portal.special("1234560202"), Special::Pending);
        assert_eq!(portal.special("1234560504"), Special::Hang);
        assert_eq!(portal.special("1234560503"), Special::Unavailable);
        assert_eq!(portal.special("1234560409"), Special::Expiring);
        assert_eq!(portal.special("369471667338"), Special::Normal);
        assert_eq!(portal.special("409"), Special::Normal);
        assert_eq!(portal.special("F00000000504"), Special::Normal);
        assert_eq!(portal.special("F00000001504"), Special::Normal);
        assert_eq!(portal.special("F00000010504"), Special::Hang);
    }
}
