//! Get Product Details and Query Product List: stored subscriptions, the `0409` PBX, the fleet,
//! and state written by an older sandbox.

use std::time::{Duration, Instant};

use linkus_sandbox::*;
use serde_json::{json, Value};

use crate::{now_ms, refused, success, Sandbox, BASIC, DAY_MS, PRO, SN, YEAR_MS};

fn details(sandbox: &Sandbox, sn: &str) -> Answer {
    sandbox.get(
        PRODUCT_DETAILS_PATH,
        &[("productNo", sn), ("productId", "9")],
    )
}

fn page(sandbox: &Sandbox, page_no: usize, page_size: usize) -> Value {
    let (page_no, page_size) = (page_no.to_string(), page_size.to_string());
    success(sandbox.get(
        INSTANCES_PATH,
        &[
            ("productId", "9"),
            ("pageNo", &page_no),
            ("pageSize", &page_size),
        ],
    ))
}

#[test]
fn product_details_answer_for_a_pbx_with_linkus_and_404_without() {
    let sandbox = Sandbox::new();
    let detail = refused(details(&sandbox, SN), 404, "product_not_found");
    assert!(detail.contains(SN), "{detail}");
    refused(
        sandbox.get(PRODUCT_DETAILS_PATH, &[("productId", "9")]),
        400,
        "parameter_validation_failed",
    );

    let before = now_ms();
    success(sandbox.order("purchase", SN, PRO, 2));
    let after = now_ms();
    let result = success(details(&sandbox, SN));
    let since = result["createTime"].as_u64().unwrap();
    assert!((before..=after).contains(&since));
    let expiry = since + 2 * YEAR_MS;
    let expected_date =
        humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_millis(expiry))
            .to_string()
            .replace('T', " ")
            .replace('Z', "");
    assert_eq!(
        result,
        json!({
            "productNo": SN, "productId": 9, "planId": PRO,
            "planName": "Linkus Cloud Service Pro", "multiCycle": 2, "status": "active",
            "currentPlan": "", "currentPlanExpireDate": expected_date, "autoRenewStatus": 0,
            "activationStatus": "activated", "activationCode": "", "comment": "",
            "createTime": since
        })
    );
    assert_eq!(expected_date.len(), "2027-11-29 00:00:00".len());
}

#[test]
fn a_0409_pbx_has_linkus_expiring_in_20_days_even_in_an_empty_sandbox() {
    let sandbox = Sandbox::new();
    let result = success(details(&sandbox, "1234560409"));
    assert_eq!(result["planId"].as_u64(), Some(BASIC));
    assert_eq!(result["multiCycle"], 1);
    assert_eq!(result["autoRenewStatus"], 0);
    assert_eq!(result["status"], "active");
    let date = result["currentPlanExpireDate"].as_str().unwrap();
    let in_20_days = humantime::format_rfc3339_seconds(
        std::time::SystemTime::now() + Duration::from_secs(20 * 24 * 3600),
    )
    .to_string();
    assert_eq!(date[..10], in_20_days[..10], "{date}");

    // The account's list shows one such PBX.
    let list = page(&sandbox, 1, 25);
    assert_eq!(list["total"], 1);
    let item = &list["results"][0];
    assert_eq!(item["productNo"], EXPIRING_SN);
    let expires = item["expireTime"].as_u64().unwrap();
    assert!(expires.abs_diff(now_ms() + 20 * DAY_MS) < 60_000);
}

#[test]
fn product_list_items_carry_plan_expiry_renewal_and_status() {
    let sandbox = Sandbox::new();
    success(sandbox.order("purchase", SN, BASIC, 1));
    let list = page(&sandbox, 1, 25);
    assert_eq!(list["total"], 2);
    assert_eq!(list["count"], 2);
    assert_eq!(list["totalPage"], 1);
    let item = list["results"][0].clone();
    let expire_time = item["expireTime"].as_u64().unwrap();
    assert_eq!(
        item,
        json!({
            "productNo": SN, "productName": "Linkus Cloud Service", "planId": BASIC,
            "planName": "Linkus Cloud Service", "multiCycle": 1, "expireTime": expire_time,
            "autoRenewStatus": 0, "status": "active", "activationStatus": "activated",
            "activationCode": "", "comment": ""
        })
    );
    assert_eq!(list["results"][1]["productNo"], EXPIRING_SN);
}

#[test]
fn a_fleet_of_10000_pages_in_order_and_fast() {
    let sandbox = Sandbox::with(|portal| portal.with_fleet(10_000));
    // The fleet, then the 0409 PBX.
    let first = page(&sandbox, 1, 100);
    assert_eq!(first["total"], 10_001);
    assert_eq!(first["totalPage"], 101);
    assert_eq!(first["count"], 100);
    assert_eq!(first["results"][0]["productNo"], "F00000000001");
    assert_eq!(first["results"][99]["productNo"], "F00000000100");

    let hundredth = page(&sandbox, 100, 100);
    assert_eq!(hundredth["count"], 100);
    assert_eq!(hundredth["results"][0]["productNo"], "F00000009901");
    assert_eq!(hundredth["results"][99]["productNo"], "F00000010000");
    let last = page(&sandbox, 101, 100);
    assert_eq!(last["count"], 1);
    assert_eq!(last["results"][0]["productNo"], EXPIRING_SN);
    let beyond = page(&sandbox, 102, 100);
    assert_eq!(beyond["count"], 0);
    assert_eq!(beyond["total"], 10_001);

    // pageSize is capped at 100, and defaults to 25.
    assert_eq!(page(&sandbox, 1, 1000)["pageSize"], 100);
    assert_eq!(page(&sandbox, 1, 1000)["count"], 100);
    let default = success(sandbox.get(INSTANCES_PATH, &[("productId", "9")]));
    assert_eq!(default["pageSize"], 25);
    assert_eq!(default["totalPage"], 401);

    // Alternating plans, some expired, auto-renew on every third.
    let items: Vec<Value> = (1..=100)
        .flat_map(|n| {
            page(&sandbox, n, 100)["results"]
                .as_array()
                .unwrap()
                .clone()
        })
        .collect();
    assert_eq!(items.len(), 10_000);
    assert_eq!(items[0]["planId"].as_u64(), Some(BASIC));
    assert_eq!(items[1]["planId"].as_u64(), Some(PRO));
    let expired = items.iter().filter(|i| i["status"] == "expired").count();
    assert!((500..1000).contains(&expired), "{expired} expired");
    assert_eq!(items[2]["autoRenewStatus"], 1);
    assert_eq!(items[3]["autoRenewStatus"], 0);

    // Every fleet PBX answers product details, consistently with the list.
    let one = success(details(&sandbox, "F00000004242"));
    let listed = &items[4241];
    assert_eq!(one["planId"], listed["planId"]);
    assert_eq!(one["multiCycle"], listed["multiCycle"]);
    assert_eq!(one["status"], listed["status"]);
    assert_eq!(one["autoRenewStatus"], listed["autoRenewStatus"]);
    refused(details(&sandbox, "F00000010001"), 404, "product_not_found");

    // One page costs the same whatever the size of the fleet: the largest fleet there is.
    let huge = Sandbox::with(|portal| portal.with_fleet(u32::MAX));
    let started = Instant::now();
    let last = page(&huge, 42_949_673, 100);
    let took = started.elapsed();
    assert_eq!(last["total"], u64::from(u32::MAX) + 1);
    assert_eq!(last["results"][94]["productNo"], "F04294967295");
    assert!(took < Duration::from_secs(1), "one page took {took:?}");
}

#[test]
fn a_renewed_fleet_pbx_is_listed_once_as_stored() {
    let sandbox = Sandbox::with(|portal| portal.with_fleet(10));
    let before = success(details(&sandbox, "F00000000003"));
    let plan = before["planId"].as_u64().unwrap();
    success(sandbox.order("renew", "F00000000003", plan, 1));
    let items = page(&sandbox, 1, 100)["results"]
        .as_array()
        .unwrap()
        .clone();
    let sns: Vec<&str> = items
        .iter()
        .map(|i| i["productNo"].as_str().unwrap())
        .collect();
    assert_eq!(
        sns,
        [
            "F00000000003",
            "F00000000001",
            "F00000000002",
            "F00000000004",
            "F00000000005",
            "F00000000006",
            "F00000000007",
            "F00000000008",
            "F00000000009",
            "F00000000010",
            EXPIRING_SN
        ]
    );
    assert_eq!(page(&sandbox, 1, 100)["total"], 11);
    // Paging across the gap the stored PBX leaves in the fleet.
    let second = page(&sandbox, 2, 3)["results"].clone();
    let sns: Vec<&str> = second
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["productNo"].as_str().unwrap())
        .collect();
    assert_eq!(sns, ["F00000000004", "F00000000005", "F00000000006"]);
}

#[test]
fn an_old_state_file_with_orders_only_still_loads() {
    let sandbox = Sandbox::new();
    let now = now_ms();
    let old = json!({
        "orders": [
            {
                "id": 13_000_000_000_000_000_001u64, "orderNo": "LR13000000000000000001",
                "orderStatus": "succeed", "transactionNo": "QO1", "instanceId": "100001",
                "createTime": now - 1000, "productNo": SN, "planId": BASIC,
                "planName": "Linkus Cloud Service", "billingId": 3197218168379846218u64,
                "multiCycle": 2, "poNumber": "PO-OLD"
            },
            {
                "id": 13_000_000_000_000_000_002u64, "orderNo": "LR13000000000000000002",
                "orderStatus": "pending", "transactionNo": "QO2", "instanceId": "100002",
                "createTime": now - 500, "productNo": "1234560202", "planId": PRO,
                "planName": "Linkus Cloud Service Pro", "billingId": 3197218168379846218u64,
                "multiCycle": 1, "poNumber": null
            }
        ]
    });
    std::fs::write(
        sandbox.dir.path().join("state.json"),
        serde_json::to_vec_pretty(&old).unwrap(),
    )
    .unwrap();

    let result = success(details(&sandbox, SN));
    assert_eq!(result["planId"].as_u64(), Some(BASIC));
    assert_eq!(result["multiCycle"], 2);
    assert_eq!(result["createTime"], now - 1000);
    refused(details(&sandbox, "1234560202"), 404, "product_not_found");
    let orders = success(sandbox.get(ORDERS_PATH, &[]));
    assert_eq!(orders["total"], 2);
    assert_eq!(orders["results"][1]["operationType"], "purchase_plan");
    assert_eq!(orders["results"][1]["amount"], "240.00");
    refused(
        sandbox.order("purchase", SN, BASIC, 1),
        400,
        "product_already_subscribed",
    );
    // Renewing writes the new shape, subscriptions and all.
    success(sandbox.order("renew", SN, BASIC, 1));
    let state = Store::new(sandbox.dir.path()).load();
    assert_eq!(state.orders.len(), 3);
    assert_eq!(
        state.subscriptions[SN].expire_time,
        now - 1000 + 3 * YEAR_MS
    );
}
