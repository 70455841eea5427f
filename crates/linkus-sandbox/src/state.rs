//! The sandbox's persistent state: the orders placed and the subscriptions they made. Kept in
//! `state.json` in the sandbox folder, changed under a lock and written atomically (mode
//! 0600), so that several processes can use one sandbox at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use crate::files;
use crate::time::{now_ms, YEAR_MS};

/// What an order does, as its `operationType` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Operation {
    /// A new subscription.
    #[default]
    #[serde(rename = "purchase_plan")]
    Purchase,
    /// More years of the current plan.
    #[serde(rename = "renew_plan")]
    Renew,
    /// Another plan, same expiry.
    #[serde(rename = "switch_plan")]
    Switch,
}

impl Operation {
    /// The `operationType` of the order body.
    pub fn operation_type(self) -> &'static str {
        match self {
            Operation::Purchase => "purchase_plan",
            Operation::Renew => "renew_plan",
            Operation::Switch => "switch_plan",
        }
    }

    /// The `purchaseType` its `serviceList` item must carry.
    pub fn purchase_type(self) -> &'static str {
        match self {
            Operation::Purchase => "purchase",
            Operation::Renew => "renew",
            Operation::Switch => "switch",
        }
    }
}

/// One order as the sandbox keeps it. `operationType` is absent from orders written before
/// renewals existed: they are purchases.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxOrder {
    pub id: u64,
    pub order_no: String,
    pub order_status: String,
    #[serde(default)]
    pub operation_type: Operation,
    pub transaction_no: String,
    pub instance_id: String,
    pub create_time: u64,
    pub product_no: String,
    /// The plan bought, renewed, or switched to.
    pub plan_id: u64,
    pub plan_name: String,
    pub billing_id: u64,
    pub multi_cycle: u8,
    pub po_number: Option<String>,
}

impl SandboxOrder {
    pub fn succeeded(&self) -> bool {
        self.order_status == "succeed"
    }

    /// An order placed for `sn` from elsewhere (another machine, the portal's own pages)
    /// `age` ago with `status`, for tests and benchmarks that need the portal to know of
    /// orders no local record has. The basic plan for a year, the first billing contact.
    pub fn elsewhere(
        sn: &str,
        operation: Operation,
        status: &str,
        age: std::time::Duration,
    ) -> SandboxOrder {
        let id = new_order_id();
        let (plan_id, plan_name) = crate::catalog::PLANS[0];
        SandboxOrder {
            id,
            order_no: format!("LR{id}"),
            order_status: status.to_owned(),
            operation_type: operation,
            transaction_no: format!("QO{}", id + 1),
            instance_id: String::new(),
            create_time: now_ms()
                .saturating_sub(u64::try_from(age.as_millis()).unwrap_or(u64::MAX)),
            product_no: sn.to_owned(),
            plan_id,
            plan_name: plan_name.to_owned(),
            billing_id: 3_197_218_168_379_846_218,
            multi_cycle: 1,
            po_number: None,
        }
    }
}

/// A PBX's Linkus Cloud Service, live or expired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub plan_id: u64,
    pub plan_name: String,
    /// The years of the last purchase or renewal.
    pub multi_cycle: u8,
    /// Epoch milliseconds.
    pub expire_time: u64,
    pub auto_renew: bool,
    /// When it was first bought, epoch milliseconds.
    pub since: u64,
}

impl Subscription {
    pub fn is_live(&self, now_ms: u64) -> bool {
        self.expire_time > now_ms
    }
}

/// Everything the sandbox remembers. Subscriptions are keyed by the SN as first ordered and
/// found whatever the case of the SN asked about.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(from = "StoredState")]
pub struct State {
    pub orders: Vec<SandboxOrder>,
    pub subscriptions: BTreeMap<String, Subscription>,
}

/// `state.json` as it may be on disk: a file written before subscriptions were kept has
/// `orders` only, and its subscriptions follow from its succeeded orders.
#[derive(Deserialize)]
struct StoredState {
    #[serde(default)]
    orders: Vec<SandboxOrder>,
    #[serde(default)]
    subscriptions: Option<BTreeMap<String, Subscription>>,
}

impl From<StoredState> for State {
    fn from(stored: StoredState) -> Self {
        let subscriptions = match stored.subscriptions {
            Some(subscriptions) => subscriptions,
            None => derive_subscriptions(&stored.orders),
        };
        State {
            orders: stored.orders,
            subscriptions,
        }
    }
}

/// Each SN's subscription from orders that were all purchases: the succeeded order that
/// expires last.
fn derive_subscriptions(orders: &[SandboxOrder]) -> BTreeMap<String, Subscription> {
    let mut subscriptions = State::default();
    for order in orders.iter().filter(|o| o.succeeded()) {
        let derived = Subscription {
            plan_id: order.plan_id,
            plan_name: order.plan_name.clone(),
            multi_cycle: order.multi_cycle,
            expire_time: order.create_time + u64::from(order.multi_cycle) * YEAR_MS,
            auto_renew: false,
            since: order.create_time,
        };
        let later = subscriptions
            .subscription(&order.product_no)
            .is_none_or(|known| known.expire_time < derived.expire_time);
        if later {
            subscriptions.set_subscription(&order.product_no, derived);
        }
    }
    subscriptions.subscriptions
}

impl State {
    /// The subscription stored for an SN, live or expired.
    pub fn subscription(&self, sn: &str) -> Option<&Subscription> {
        self.key(sn).and_then(|key| self.subscriptions.get(key))
    }

    /// Stores an SN's subscription, under the key it already has if any.
    pub fn set_subscription(&mut self, sn: &str, subscription: Subscription) {
        let key = self.key(sn).cloned().unwrap_or_else(|| sn.to_owned());
        self.subscriptions.insert(key, subscription);
    }

    fn key(&self, sn: &str) -> Option<&String> {
        if let Some((key, _)) = self.subscriptions.get_key_value(sn) {
            return Some(key);
        }
        self.subscriptions
            .keys()
            .find(|key| key.eq_ignore_ascii_case(sn))
    }
}

/// The state file of one sandbox folder.
#[derive(Debug, Clone)]
pub struct Store {
    path: PathBuf,
}

impl Store {
    pub fn new(state_dir: &Path) -> Self {
        Store {
            path: state_dir.join("state.json"),
        }
    }

    /// `state.json` in the sandbox folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The state as last written; a missing or unreadable file is an empty sandbox.
    pub fn load(&self) -> State {
        std::fs::read(&self.path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Changes the state under the lock and writes it back atomically.
    pub fn update<T>(&self, change: impl FnOnce(&mut State) -> T) -> Result<T> {
        let _lock = files::lock(&self.path)?;
        let mut state = self.load();
        let value = change(&mut state);
        files::write_private(&self.path, &serde_json::to_vec_pretty(&state)?)
            .context("could not save the sandbox state")?;
        Ok(value)
    }

    /// Adds an order to the list as if it had been placed elsewhere (see
    /// [`SandboxOrder::elsewhere`]); subscriptions are left as they are.
    pub fn add_order(&self, order: SandboxOrder) -> Result<()> {
        self.update(|state| state.orders.push(order))
    }

    /// Forgets every order and subscription. `Ok(false)` when there was nothing to forget.
    pub fn reset(&self) -> Result<bool> {
        let _lock = files::lock(&self.path)?;
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(error) => {
                Err(error).with_context(|| format!("could not remove {}", self.path.display()))
            }
        }
    }
}

/// IDs like the portal's: 19 digits, increasing, unique across processes (time and a random
/// tail).
pub(crate) fn new_order_id() -> u64 {
    (now_ms() << 22) | fastrand::u64(..1 << 22)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(no: String, sn: &str, create_time: u64, years: u8, status: &str) -> SandboxOrder {
        SandboxOrder {
            id: new_order_id(),
            order_no: no,
            order_status: status.into(),
            operation_type: Operation::Purchase,
            transaction_no: String::new(),
            instance_id: String::new(),
            create_time,
            product_no: sn.into(),
            plan_id: 1,
            plan_name: String::new(),
            billing_id: 1,
            multi_cycle: years,
            po_number: None,
        }
    }

    #[test]
    fn concurrent_processes_never_lose_an_order() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().to_path_buf();
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let dir = dir.clone();
                std::thread::spawn(move || {
                    let store = Store::new(&dir);
                    for i in 0..10 {
                        store
                            .update(|state| {
                                state.orders.push(order(
                                    format!("LR{w}{i}"),
                                    "A1",
                                    now_ms(),
                                    1,
                                    "succeed",
                                ))
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        assert_eq!(Store::new(&dir).load().orders.len(), 40);
        assert!(new_order_id() > 1_000_000_000_000_000_000);
    }

    #[test]
    fn old_orders_give_the_subscriptions_they_bought() {
        let now = now_ms();
        let orders = vec![
            order("LR1".into(), "A1", now - 2 * YEAR_MS, 1, "succeed"),
            order("LR2".into(), "a1", now - 1000, 2, "succeed"),
            order("LR3".into(), "B2", now, 1, "pending"),
            order("LR4".into(), "C3", now - 3 * YEAR_MS, 1, "succeed"),
        ];
        let json = serde_json::json!({ "orders": orders });
        let state: State = serde_json::from_value(json).unwrap();
        assert_eq!(state.subscriptions.len(), 2);
        let a1 = state.subscription("A1").unwrap();
        assert_eq!(a1.expire_time, now - 1000 + 2 * YEAR_MS);
        assert_eq!(a1.since, now - 1000);
        assert!(state.subscription("B2").is_none());
        assert!(!state.subscription("c3").unwrap().is_live(now));
        // Once written, an empty map stays empty rather than being derived again.
        let written = serde_json::to_value(State {
            orders: state.orders.clone(),
            subscriptions: BTreeMap::new(),
        })
        .unwrap();
        let reread: State = serde_json::from_value(written).unwrap();
        assert!(reread.subscriptions.is_empty());
        assert_eq!(reread.orders[0].operation_type, Operation::Purchase);
    }
}
