//! What a person does in the portal's pages, which the API does not offer: paying or
//! cancelling a pending order (`linkus sandbox pay | cancel`), and Enable Auto-renewal
//! (partner-api.md 10.10), which the API does offer.

use serde_json::{json, Value};

use crate::envelope::{answer, invalid, ok, Answer};
use crate::orders::{apply, CheckedOrder};
use crate::portal::SandboxPortal;
use crate::state::SandboxOrder;
use crate::time::now_ms;

/// What became of an order that `pay` or `cancel` was asked about.
#[derive(Debug)]
pub enum Settled {
    /// Paid: the order succeeded and its subscription is in place.
    Paid(SandboxOrder),
    /// Cancelled: the order ended, nothing changed.
    Cancelled(SandboxOrder),
    /// No order has that number or ID.
    NotFound,
    /// The order is not pending (its status is given).
    NotPending(SandboxOrder),
    /// Paying it would make a subscription the portal refuses (the reason).
    Refused(SandboxOrder, String),
}

impl SandboxPortal {
    /// Pays (`pay`) or cancels a pending order, found by its number (`LR…`) or ID.
    pub fn settle(&self, order: &str, pay: bool) -> anyhow::Result<Settled> {
        let key = order.trim();
        let now = now_ms();
        self.store.update(|state| {
            let Some(index) = state
                .orders
                .iter()
                .position(|o| o.order_no.eq_ignore_ascii_case(key) || o.id.to_string() == key)
            else {
                return Settled::NotFound;
            };
            let found = state.orders[index].clone();
            if found.order_status != "pending" {
                return Settled::NotPending(found);
            }
            if !pay {
                state.orders[index].order_status = "cancelled".to_owned();
                return Settled::Cancelled(state.orders[index].clone());
            }
            let request = CheckedOrder {
                operation: found.operation_type,
                sn: found.product_no.clone(),
                plan_id: found.plan_id,
                plan_name: found.plan_name.clone(),
                billing_id: found.billing_id,
                years: found.multi_cycle,
                po_number: found.po_number.clone(),
            };
            let current = self.subscription(state, &found.product_no, now);
            match apply(&request, current, now) {
                Ok(next) => {
                    state.orders[index].order_status = "succeed".to_owned();
                    state.set_subscription(&found.product_no, next);
                    Settled::Paid(state.orders[index].clone())
                }
                Err(refused) => Settled::Refused(found, refused.detail()),
            }
        })
    }

    /// Enable Auto-renewal (10.10): for a PBX with a live Linkus subscription, on its
    /// current plan; `result` is `true`.
    pub(crate) fn enable_auto_renew(&self, body: &[u8]) -> Answer {
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return invalid("body", "The body must be a JSON object.");
        };
        let Some(sn) = body["productNo"]
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        else {
            return invalid("productNo", "productNo is required.");
        };
        let product = match &body["productId"] {
            Value::String(text) => text.trim().to_owned(),
            Value::Number(number) => number.to_string(),
            _ => String::new(),
        };
        if product != "9" {
            return crate::catalog::not_linkus();
        }
        let Some(plan_id) = body["planOrServiceId"].as_u64() else {
            return invalid(
                "planOrServiceId",
                "planOrServiceId must be a number (Long).",
            );
        };
        if let Some(refused) = self.special(sn).refusal(sn) {
            return refused;
        }
        let now = now_ms();
        let changed = self.store.update(|state| {
            let Some(current) = self.subscription(state, sn, now).filter(|s| s.is_live(now)) else {
                return Err(answer(
                    400,
                    "product_not_subscribed",
                    &format!(
                        "The PBX {sn} has no live Linkus Cloud Service to renew automatically."
                    ),
                    Value::Null,
                ));
            };
            if current.plan_id != plan_id {
                return Err(invalid(
                    "planOrServiceId",
                    &format!(
                        "planOrServiceId must be the PBX's current plan, {} ({}).",
                        current.plan_name, current.plan_id
                    ),
                ));
            }
            let mut next = current;
            next.auto_renew = true;
            state.set_subscription(sn, next);
            Ok(())
        });
        match changed {
            Err(error) => answer(500, "internal_error", &format!("{error:#}"), Value::Null),
            Ok(Err(refused)) => refused,
            Ok(Ok(())) => ok(json!(true)),
        }
    }
}
