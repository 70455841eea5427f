//! Create an Order (partner-api.md 5, 10.4, 10.9): purchase, renew and switch bodies are
//! checked as the portal would, then applied to the PBX's subscription under the state lock.

use std::time::Duration;

use serde_json::{json, Value};

use crate::catalog::{contact, plan_name, PRODUCT_ID};
use crate::envelope::{answer, invalid, ok, Answer};
use crate::portal::{SandboxPortal, Special};
use crate::state::{new_order_id, Operation, SandboxOrder, State, Subscription};
use crate::time::{date, now_ms, YEAR_MS};

/// How long the `0504` serial numbers keep the client waiting: longer than any client waits.
const HANG: Duration = Duration::from_secs(600);

/// An order body that passed the checks of partner-api.md 5.1–5.3, 7.1, 7.2 and 10.9.
#[derive(Debug)]
pub(crate) struct CheckedOrder {
    pub operation: Operation,
    pub sn: String,
    pub plan_id: u64,
    pub plan_name: String,
    pub billing_id: u64,
    pub years: u8,
    pub po_number: Option<String>,
}

impl SandboxPortal {
    pub(crate) fn create_order(&self, call: &crate::Call) -> Answer {
        let request = match check_order(call.body) {
            Ok(request) => request,
            Err(answer) => return answer,
        };
        let special = self.special(&request.sn);
        if let Some(refused) = special.refusal(&request.sn) {
            return refused;
        }
        let now = now_ms();
        let placed = self.store.update(|state: &mut State| {
            let current = self.subscription(state, &request.sn, now);
            let next = apply(&request, current, now)?;
            let id = new_order_id();
            let order = SandboxOrder {
                id,
                order_no: format!("LR{id}"),
                order_status: if special == Special::Pending {
                    "pending"
                } else {
                    "succeed"
                }
                .to_owned(),
                operation_type: request.operation,
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
            // A pending order changes nothing until it is paid, which the sandbox never does.
            if order.succeeded() {
                state.set_subscription(&request.sn, next);
            }
            Ok::<_, Answer>(order)
        });
        match placed {
            Err(error) => answer(500, "internal_error", &format!("{error:#}"), Value::Null),
            Ok(Err(refused)) => refused,
            Ok(Ok(order)) => {
                let mut reply = ok(json!({
                    "instanceId": order.instance_id,
                    "orderNo": order.order_no,
                    "orderStatus": order.order_status,
                    "productNo": order.product_no,
                    "transactionNo": order.transaction_no,
                }));
                if special == Special::Hang {
                    reply.delay = HANG;
                }
                reply
            }
        }
    }
}

/// The subscription the order leaves the PBX with, or why it is refused.
pub(crate) fn apply(
    request: &CheckedOrder,
    current: Option<Subscription>,
    now: u64,
) -> Result<Subscription, Answer> {
    let sn = &request.sn;
    let years = u64::from(request.years);
    match request.operation {
        Operation::Purchase => match current {
            Some(current) if current.is_live(now) => Err(answer(
                400,
                "product_already_subscribed",
                &format!(
                    "The PBX {sn} already has Linkus Cloud Service until {}.",
                    date(current.expire_time)
                ),
                Value::Null,
            )),
            _ => Ok(Subscription {
                plan_id: request.plan_id,
                plan_name: request.plan_name.clone(),
                multi_cycle: request.years,
                expire_time: now + years * YEAR_MS,
                auto_renew: false,
                since: now,
            }),
        },
        Operation::Renew => {
            let Some(current) = current else {
                return Err(not_subscribed(sn, "nothing to renew; buy a subscription"));
            };
            if request.plan_id != current.plan_id {
                return Err(invalid(
                    "serviceId",
                    &format!(
                        "A renewal is for the PBX's current plan, {} ({}); to change plans, switch.",
                        current.plan_name, current.plan_id
                    ),
                ));
            }
            Ok(Subscription {
                multi_cycle: request.years,
                expire_time: current.expire_time.max(now) + years * YEAR_MS,
                ..current
            })
        }
        Operation::Switch => {
            let current = match current {
                Some(current) if current.is_live(now) => current,
                Some(expired) => {
                    return Err(not_subscribed(
                        sn,
                        &format!(
                            "its subscription expired on {}; renew it before switching plans",
                            date(expired.expire_time)
                        ),
                    ))
                }
                None => return Err(not_subscribed(sn, "nothing to switch; buy a subscription")),
            };
            if request.plan_id == current.plan_id {
                return Err(invalid(
                    "serviceId",
                    &format!(
                        "The PBX {sn} already has {}; a switch needs another plan.",
                        current.plan_name
                    ),
                ));
            }
            if request.years != current.multi_cycle {
                return Err(invalid(
                    "multiCycle",
                    &format!(
                        "A switch keeps the billing interval: multiCycle must be {}, the current subscription's.",
                        current.multi_cycle
                    ),
                ));
            }
            Ok(Subscription {
                plan_id: request.plan_id,
                plan_name: request.plan_name.clone(),
                ..current
            })
        }
    }
}

fn not_subscribed(sn: &str, why: &str) -> Answer {
    answer(
        400,
        "product_not_subscribed",
        &format!("The PBX {sn} has no Linkus Cloud Service: {why}."),
        Value::Null,
    )
}

pub(crate) fn check_order(body: &[u8]) -> Result<CheckedOrder, Answer> {
    let body: Value =
        serde_json::from_slice(body).map_err(|_| invalid("body", "The body is not JSON."))?;
    let text = |field: &str| body.get(field).and_then(Value::as_str);
    let operation = match text("operationType") {
        Some("purchase_plan") => Operation::Purchase,
        Some("renew_plan") => Operation::Renew,
        Some("switch_plan") => Operation::Switch,
        _ => {
            return Err(invalid(
                "operationType",
                "operationType must be purchase_plan, renew_plan or switch_plan.",
            ))
        }
    };
    if body.get("productId").and_then(Value::as_u64) != Some(PRODUCT_ID) {
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
    if contact(billing_id).is_none() {
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
    if field("serviceType") != Some("plan") {
        return Err(invalid("serviceType", "serviceType must be plan."));
    }
    if field("purchaseType") != Some(operation.purchase_type()) {
        return Err(invalid(
            "purchaseType",
            &format!(
                "purchaseType must be {} for operationType {}.",
                operation.purchase_type(),
                operation.operation_type()
            ),
        ));
    }
    for (name, expected) in [("billingModel", "recurring"), ("billingCycle", "annually")] {
        if field(name) != Some(expected) {
            return Err(invalid(name, &format!("{name} must be {expected}.")));
        }
    }
    let plan_id = service
        .get("serviceId")
        .and_then(Value::as_u64)
        .ok_or_else(|| invalid("serviceId", "serviceId must be a number."))?;
    let Some(plan_name) = plan_name(plan_id) else {
        return Err(invalid("serviceId", "serviceId is not a Linkus plan."));
    };
    let years = service
        .get("multiCycle")
        .and_then(Value::as_u64)
        .filter(|y| (1..=5).contains(y))
        .ok_or_else(|| invalid("multiCycle", "multiCycle must be 1 to 5."))? as u8;
    Ok(CheckedOrder {
        operation,
        sn,
        plan_id,
        plan_name: plan_name.to_owned(),
        billing_id,
        years,
        po_number,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"operationType":"purchase_plan","productId":9,"productNo":"369471667338","billingId":3197218168379846218,"serviceList":[{"serviceType":"plan","serviceId":3048918321840570368,"purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":1}]}"#;

    fn field(body: &str) -> String {
        match check_order(body.as_bytes()) {
            Ok(_) => "ok".to_owned(),
            Err(answer) => {
                assert_eq!(answer.status, 400);
                assert_eq!(answer.body["code"], "parameter_validation_failed");
                answer.body["result"]["field"].as_str().unwrap().to_owned()
            }
        }
    }

    #[test]
    fn order_bodies_are_checked_like_the_portal_would() {
        assert_eq!(field(GOOD), "ok");
        let checked = check_order(GOOD.as_bytes()).unwrap();
        assert_eq!(checked.operation, Operation::Purchase);
        assert_eq!(checked.billing_id, 3197218168379846218);
        // IDs are JSON numbers, never strings.
        let quoted = GOOD.replace("3197218168379846218", "\"3197218168379846218\"");
        assert_eq!(field(&quoted), "billingId");
        let quoted = GOOD.replace("3048918321840570368", "\"3048918321840570368\"");
        assert_eq!(field(&quoted), "serviceId");
        assert_eq!(
            field(&GOOD.replace("\"productId\":9", "\"productId\":\"9\"")),
            "productId"
        );
        assert_eq!(
            field(&GOOD.replace("\"multiCycle\":1", "\"multiCycle\":6")),
            "multiCycle"
        );
        assert_eq!(
            field(&GOOD.replace("\"multiCycle\":1", "\"multiCycle\":0")),
            "multiCycle"
        );
        assert_eq!(
            field(&GOOD.replace("3197218168379846218", "1")),
            "billingId"
        );
        assert_eq!(
            field(&GOOD.replace("3048918321840570368", "1")),
            "serviceId"
        );
        assert_eq!(field(&GOOD.replace("annually", "monthly")), "billingCycle");
        assert_eq!(field("not json"), "body");
    }

    #[test]
    fn operation_and_purchase_type_must_agree() {
        let with = |operation: &str, purchase: &str| {
            field(
                &GOOD
                    .replace("purchase_plan", operation)
                    .replace("\"purchase\"", &format!("\"{purchase}\"")),
            )
        };
        assert_eq!(with("renew_plan", "renew"), "ok");
        assert_eq!(with("switch_plan", "switch"), "ok");
        assert_eq!(with("renew_plan", "purchase"), "purchaseType");
        assert_eq!(with("switch_plan", "renew"), "purchaseType");
        assert_eq!(with("purchase_plan", "switch"), "purchaseType");
        assert_eq!(with("trial_plan", "trial"), "operationType");
        assert_eq!(with("renew_service", "renew"), "operationType");
        let renew = GOOD
            .replace("purchase_plan", "renew_plan")
            .replace("\"purchase\"", "\"renew\"");
        assert_eq!(
            check_order(renew.as_bytes()).unwrap().operation,
            Operation::Renew
        );
    }
}
