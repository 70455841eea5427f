//! "Never twice" (CLI.md section 3): whether an earlier order for the same portal and SN
//! blocks a new one. Read from the journal and the SN's record beside the locks.
//!
//! - an earlier order whose outcome is unknown blocks until `orders reconcile` settles it or
//!   `orders reconcile --not-placed` marks it;
//! - an earlier order still open (`pending` and the like) is looked up again and blocks while
//!   it is still open or cannot be looked up;
//! - an earlier order of the same operation that succeeded in the last 24 hours blocks unless
//!   `--again` names it.

use std::collections::HashMap;

use yeastar_partner::{Operation, OrderState, OrderStatus};

use crate::context::same_portal_key;
use crate::error::{BlockedBy, Failure, Kind};
use crate::journal::{Contents, Intent, State};

/// How long a success of the same operation blocks another: the portal's product list may
/// not show a new subscription at once.
pub const RECENT_MS: u64 = 24 * 3600 * 1000;

/// The earlier orders for one portal and SN, oldest first.
#[derive(Debug, Default)]
pub struct History {
    pub orders: Vec<(Intent, State)>,
}

/// What a fresh look at an open order found.
#[derive(Debug, Clone)]
pub enum LookedUp {
    Status(OrderStatus),
    Failed(String),
}

impl History {
    /// The intents of `contents` for this portal and SN.
    pub fn of(contents: &Contents, portal: &str, sn: &str) -> History {
        History {
            orders: contents
                .intents()
                .into_iter()
                .filter(|(intent, _)| {
                    same_portal_key(&intent.base_url) == same_portal_key(portal)
                        && intent.sn.eq_ignore_ascii_case(sn)
                })
                .collect(),
        }
    }

    /// Order numbers of open orders, to look up again before deciding.
    pub fn open_orders(&self) -> Vec<String> {
        let mut open: Vec<String> = self
            .orders
            .iter()
            .filter_map(|(_, state)| match state {
                State::Open { order_no, .. } => Some(order_no.clone()),
                _ => None,
            })
            .collect();
        open.dedup();
        open
    }

    /// Applies fresh looks at open orders: an order that is no longer open takes its new state.
    pub fn apply(&mut self, looked_up: &HashMap<String, LookedUp>) {
        for (_, state) in &mut self.orders {
            let State::Open { order_no, .. } = state else {
                continue;
            };
            let Some(LookedUp::Status(status)) = looked_up.get(order_no.as_str()) else {
                continue;
            };
            *state = match status.state() {
                OrderState::Succeeded => State::Succeeded {
                    order_no: Some(order_no.clone()),
                },
                OrderState::Failed => State::Closed {
                    outcome: status.as_str().to_owned(),
                },
                OrderState::Open if is_final(status) => State::Closed {
                    outcome: status.as_str().to_owned(),
                },
                OrderState::Open => State::Open {
                    order_no: order_no.clone(),
                    status: status.as_str().to_owned(),
                },
            };
        }
    }

    /// Whether an order for `operation` may be sent now; a block is a [`Failure`] of kind
    /// [`Kind::Blocked`] that names the earlier order and what unblocks it. `looked_up` holds
    /// fresh looks at open orders; `None` means they have not been looked up yet, and open
    /// orders are left for the check that follows the look-up.
    pub fn check(
        &self,
        operation: Operation,
        now_ms: u64,
        again: Option<&str>,
        looked_up: Option<&HashMap<String, LookedUp>>,
    ) -> Result<(), Failure> {
        match self.block(operation, now_ms, again, looked_up) {
            Some(block) => Err(block.failure(again)),
            None => Ok(()),
        }
    }

    /// What blocks an order for `operation` now, if anything (see [`History::check`]).
    pub fn block(
        &self,
        operation: Operation,
        now_ms: u64,
        again: Option<&str>,
        looked_up: Option<&HashMap<String, LookedUp>>,
    ) -> Option<Block> {
        for (intent, state) in self.orders.iter().rev() {
            match state {
                State::Unknown => return Some(Block::Unknown(intent.clone())),
                State::Open { .. } if looked_up.is_none() => {}
                State::Open { order_no, status } => {
                    return Some(
                        match looked_up.and_then(|found| found.get(order_no.as_str())) {
                            Some(LookedUp::Failed(why)) => Block::Unreachable {
                                intent: intent.clone(),
                                order_no: order_no.clone(),
                                why: why.clone(),
                            },
                            _ => Block::Open {
                                intent: intent.clone(),
                                order_no: order_no.clone(),
                                status: status.clone(),
                            },
                        },
                    )
                }
                State::Succeeded { order_no } if intent.operation == operation => {
                    let Some(at) = parse_time_ms(&intent.time) else {
                        continue;
                    };
                    if now_ms.saturating_sub(at) >= RECENT_MS {
                        continue;
                    }
                    let named = match (order_no.as_deref(), again) {
                        (Some(order_no), Some(again)) => {
                            order_no.eq_ignore_ascii_case(again.trim())
                        }
                        _ => false,
                    };
                    if !named {
                        return Some(Block::Recent {
                            intent: intent.clone(),
                            order_no: order_no.clone(),
                            age_ms: now_ms - at,
                        });
                    }
                }
                State::Succeeded { .. } | State::Closed { .. } => {}
            }
        }
        None
    }

    /// The newest order of `operation` that succeeded, whatever its age.
    pub fn last_success(&self, operation: Operation) -> Option<(&Intent, Option<&str>)> {
        self.orders
            .iter()
            .rev()
            .find_map(|(intent, state)| match state {
                State::Succeeded { order_no } if intent.operation == operation => {
                    Some((intent, order_no.as_deref()))
                }
                _ => None,
            })
    }
}

/// Why an order may not be sent now.
#[derive(Debug, Clone)]
pub enum Block {
    /// An earlier order's outcome is unknown.
    Unknown(Intent),
    /// An earlier order is still open.
    Open {
        intent: Intent,
        order_no: String,
        status: String,
    },
    /// An earlier order was open and cannot be looked up now.
    Unreachable {
        intent: Intent,
        order_no: String,
        why: String,
    },
    /// The same operation succeeded in the last 24 hours.
    Recent {
        intent: Intent,
        order_no: Option<String>,
        age_ms: u64,
    },
}

impl Block {
    pub fn failure(&self, again: Option<&str>) -> Failure {
        match self {
            Block::Unknown(intent) => unknown(intent),
            Block::Open {
                intent,
                order_no,
                status,
            } => still_open(intent, order_no, status),
            Block::Unreachable {
                intent,
                order_no,
                why,
            } => open_unreachable(intent, order_no, why),
            Block::Recent {
                intent,
                order_no,
                age_ms,
            } => recent_success(intent, order_no.as_deref(), *age_ms, again),
        }
    }
}

/// A status that is not open for our purposes though it is not a failure either.
fn is_final(status: &OrderStatus) -> bool {
    status.as_str().eq_ignore_ascii_case("refunded")
}

pub fn parse_time_ms(text: &str) -> Option<u64> {
    humantime::parse_rfc3339_weak(text)
        .ok()
        .map(yeastar_partner::clock::epoch_ms)
}

fn blocked(message: String, entry: &Intent, order_no: Option<&str>) -> Failure {
    let mut failure = Failure::new(Kind::Blocked, message);
    failure.blocked_by = Some(BlockedBy {
        entry: Some(entry.id.clone()),
        order_no: order_no.map(str::to_owned),
        pid: entry.pid,
        source: Some("journal"),
        ..BlockedBy::default()
    });
    failure
}

fn unknown(intent: &Intent) -> Failure {
    blocked(
        format!(
            "An earlier {} for SN {} (journal entry {}, sent {}) has no known outcome: it may have been placed. Nothing was sent.",
            intent.operation.name(),
            intent.sn,
            intent.id,
            intent.time
        ),
        intent,
        None,
    )
    .hint("Run `linkus orders reconcile` to look it up in the portal.")
    .hint(format!(
        "If the portal shows no such order (Orders & Billing > Orders), `linkus orders reconcile --not-placed {}` records that it was not placed and unblocks the SN.",
        intent.id
    ))
}

fn still_open(intent: &Intent, order_no: &str, status: &str) -> Failure {
    blocked(
        format!(
            "Order {order_no} for SN {} is still {status}; nothing was sent.",
            intent.sn
        ),
        intent,
        Some(order_no),
    )
    .hint("Finish or cancel it in the Partner Portal (Orders & Billing > Orders) before ordering again.")
    .hint(format!(
        "`linkus orders show {order_no} --wait` waits until it is no longer open."
    ))
}

fn open_unreachable(intent: &Intent, order_no: &str, why: &str) -> Failure {
    blocked(
        format!(
            "Order {order_no} for SN {} was still open, and it could not be looked up now ({why}); nothing was sent.",
            intent.sn
        ),
        intent,
        Some(order_no),
    )
    .hint(format!(
        "Run the command again when the portal answers, or check the order with `linkus orders show {order_no}`."
    ))
}

fn recent_success(
    intent: &Intent,
    order_no: Option<&str>,
    age_ms: u64,
    again: Option<&str>,
) -> Failure {
    let hours = age_ms / 3_600_000;
    let ago = if hours == 0 {
        format!("{} min ago", (age_ms / 60_000).max(1))
    } else {
        format!("{hours} h ago")
    };
    let order = order_no.unwrap_or("(number unknown)");
    let mut failure = blocked(
        format!(
            "SN {} already had a {} that succeeded {ago}: order {order}. Nothing was sent.",
            intent.sn,
            intent.operation.name()
        ),
        intent,
        order_no,
    );
    if let Some(again) = again {
        failure = failure.hint(format!("--again {again} does not name that order."));
    }
    match order_no {
        Some(order_no) => failure.hint(format!(
            "If you mean to order again for this PBX, run the same command with `--again {order_no}`."
        )),
        None => failure.hint("Check the order in the Partner Portal (Orders & Billing > Orders)."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Entry, Outcome};
    use yeastar_partner::Id;

    const NOW: u64 = 1_795_000_000_000;

    fn intent(id: &str, operation: Operation, age_ms: u64) -> Intent {
        Intent {
            id: id.to_owned(),
            time: humantime::format_rfc3339_millis(
                std::time::UNIX_EPOCH + std::time::Duration::from_millis(NOW - age_ms),
            )
            .to_string(),
            profile: "default".into(),
            base_url: "https://p".into(),
            sn: "A1".into(),
            operation,
            plan_id: Id(1),
            plan_name: "Linkus Cloud Service".into(),
            billing_contact_id: Id(2),
            years: 1,
            po_number: None,
            list_total: None,
            pid: Some(7),
        }
    }

    fn outcome(id: &str, outcome: &str, order_no: Option<&str>) -> Entry {
        Entry::Outcome(Outcome {
            id: id.into(),
            time: "t".into(),
            outcome: outcome.into(),
            order_no: order_no.map(str::to_owned),
            order_status: None,
            request_id: None,
        })
    }

    fn history(entries: Vec<Entry>) -> History {
        History::of(
            &Contents {
                entries,
                damaged: Vec::new(),
            },
            "https://p",
            "a1",
        )
    }

    fn check(history: &History, operation: Operation, again: Option<&str>) -> Result<(), Failure> {
        history.check(operation, NOW, again, Some(&HashMap::new()))
    }

    #[test]
    fn an_unknown_outcome_blocks_every_operation_until_settled() {
        let h = history(vec![Entry::Intent(intent("a", Operation::Purchase, 1000))]);
        let failure = check(&h, Operation::Renew, None).unwrap_err();
        assert_eq!(failure.kind, Kind::Blocked);
        assert!(failure.hints.join(" ").contains("--not-placed a"));
        assert_eq!(failure.blocked_by.unwrap().entry.as_deref(), Some("a"));
        let h = history(vec![
            Entry::Intent(intent("a", Operation::Purchase, 1000)),
            outcome("a", "unknown", None),
        ]);
        assert!(check(&h, Operation::Purchase, None).is_err());
    }

    #[test]
    fn an_open_order_blocks_while_open_and_not_once_settled() {
        let h = history(vec![
            Entry::Intent(intent("a", Operation::Purchase, 1000)),
            outcome("a", "pending", Some("LR1")),
        ]);
        assert_eq!(h.open_orders(), vec!["LR1".to_owned()]);
        let failure = check(&h, Operation::Purchase, None).unwrap_err();
        assert!(failure.message.contains("LR1"), "{}", failure.message);

        let mut failed = History::of(
            &Contents {
                entries: vec![
                    Entry::Intent(intent("a", Operation::Purchase, 1000)),
                    outcome("a", "pending", Some("LR1")),
                ],
                damaged: Vec::new(),
            },
            "https://p",
            "A1",
        );
        let looked = HashMap::from([(
            "LR1".to_owned(),
            LookedUp::Status(OrderStatus::new("cancelled")),
        )]);
        failed.apply(&looked);
        assert!(failed
            .check(Operation::Purchase, NOW, None, Some(&looked))
            .is_ok());

        let unreachable = HashMap::from([("LR1".to_owned(), LookedUp::Failed("timed out".into()))]);
        let failure = h
            .check(Operation::Purchase, NOW, None, Some(&unreachable))
            .unwrap_err();
        // Before the look-up, an open order is left for later.
        assert!(h.check(Operation::Purchase, NOW, None, None).is_ok());
        assert!(
            failure.message.contains("could not be looked up"),
            "{}",
            failure.message
        );
    }

    #[test]
    fn a_recent_success_of_the_same_operation_blocks_unless_named() {
        let h = history(vec![
            Entry::Intent(intent("a", Operation::Renew, 3 * 3600 * 1000)),
            outcome("a", "succeed", Some("LR9")),
        ]);
        let failure = check(&h, Operation::Renew, None).unwrap_err();
        assert!(failure.message.contains("3 h ago"), "{}", failure.message);
        assert!(failure.hints.join(" ").contains("--again LR9"));
        assert!(check(&h, Operation::Renew, Some("LR9")).is_ok());
        assert!(check(&h, Operation::Renew, Some("LR8")).is_err());
        // Another operation is not blocked by it.
        assert!(check(&h, Operation::Switch, None).is_ok());
        // Nor is the same one after 24 hours.
        let old = history(vec![
            Entry::Intent(intent("a", Operation::Renew, RECENT_MS + 1)),
            outcome("a", "succeed", Some("LR9")),
        ]);
        assert!(check(&old, Operation::Renew, None).is_ok());
    }

    #[test]
    fn other_portals_and_sns_do_not_count() {
        let mut other = intent("a", Operation::Purchase, 1000);
        other.base_url = "https://elsewhere".into();
        let mut other_sn = intent("b", Operation::Purchase, 1000);
        other_sn.sn = "B2".into();
        let h = history(vec![Entry::Intent(other), Entry::Intent(other_sn)]);
        assert!(check(&h, Operation::Purchase, None).is_ok());
    }

    #[test]
    fn failures_and_refusals_do_not_block() {
        let h = history(vec![
            Entry::Intent(intent("a", Operation::Purchase, 1000)),
            outcome("a", "rejected", None),
            Entry::Intent(intent("b", Operation::Purchase, 500)),
            outcome("b", "not_sent", None),
            Entry::Intent(intent("c", Operation::Purchase, 100)),
            outcome("c", "failed", Some("LR3")),
        ]);
        assert!(check(&h, Operation::Purchase, None).is_ok());
    }
}
