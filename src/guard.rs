//! "Never twice" (CLI.md section 3): whether the earlier orders for one portal and SN block a
//! new one. One pure function, [`decide`], over the earlier orders that every record gives
//! (the journal, the record beside the locks, the portal's order list, the team journal),
//! each tagged with its [`Source`]; the records themselves are in [`crate::records`].
//!
//! - an earlier order with no outcome yet (in flight) or an unknown one blocks every
//!   operation until `orders reconcile` settles it or `orders reconcile --not-placed` marks
//!   it, whether or not its run is still alive;
//! - an earlier order still open (`pending` and the like) is looked up again and blocks while
//!   it is still open or cannot be looked up;
//! - an earlier order that succeeded in the last 24 hours blocks an order of the same
//!   operation (of any operation when the record cannot tell which) unless `--again` names
//!   it; one whose time cannot be read or lies more than 5 minutes in the future blocks the
//!   same way (fail closed), and `--again` releases it too.

use serde::Serialize;
use yeastar_partner::{Operation, PlanId};

use crate::error::{BlockedBy, Failure, Kind};

/// How long a success blocks another order: the portal's product list may not show a new
/// subscription at once.
pub const RECENT_MS: u64 = 24 * 3600 * 1000;

/// How far in the future a recorded time may lie (clocks differ a little) before it counts
/// as damaged.
pub const FUTURE_MS: u64 = 5 * 60 * 1000;

/// Times before this (2015-01-01, before linkus and the portal's API) are not possible ones:
/// they count as damaged.
pub const EARLIEST_MS: u64 = 1_420_070_400_000;

/// Which record an earlier order comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `orders.jsonl` in the data folder.
    Journal,
    /// The SN's record beside the locks.
    Lock,
    /// The team journal (PostgreSQL).
    Team,
    /// The portal's own order list.
    Portal,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Journal => "journal",
            Source::Lock => "lock",
            Source::Team => "team",
            Source::Portal => "portal",
        }
    }

    /// The record, in a sentence.
    pub fn name(self) -> &'static str {
        match self {
            Source::Journal => "the journal",
            Source::Lock => "the record beside the locks",
            Source::Team => "the team journal",
            Source::Portal => "the portal's order list",
        }
    }
}

/// Which clock a recorded time was read from; it is compared with the same clock's "now".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// This machine's (the journal and the lock folder's record write it).
    Local,
    /// The portal's (its order list's `createTime`, an intent's `portalTime`).
    Portal,
}

/// When an earlier order was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// Milliseconds since the epoch by `clock`.
    At { ms: u64, clock: Clock },
    /// A time that cannot be read (damaged or edited): it blocks, fail closed.
    Unreadable,
}

/// Where an earlier order stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Its intent is written and no outcome yet: sending, or its run died.
    InFlight,
    /// Sent, with no definitive answer.
    Unknown,
    /// Created, not finished.
    Open {
        status: String,
        look: Look,
    },
    Succeeded,
    /// Final without service, refused, not sent, or marked never placed.
    Closed,
}

/// What a fresh look at an open order found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Look {
    /// Not looked up yet in this run.
    NotYet,
    /// Looked up: still open.
    StillOpen,
    /// The look-up failed.
    Failed(String),
}

/// One earlier order for the portal and SN, from one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Earlier {
    pub source: Source,
    /// The record's ID for it (a journal entry), where it has one.
    pub entry: Option<String>,
    pub order_no: Option<String>,
    /// `None`: the record cannot tell which operation it was; it counts as any.
    pub operation: Option<Operation>,
    pub plan_id: Option<PlanId>,
    pub status: Status,
    pub at: Stamp,
    /// The time as the record wrote it, for messages.
    pub at_text: String,
    pub host: Option<String>,
    pub user: Option<String>,
    /// The process that made it, only while that process is alive.
    pub pid: Option<u32>,
}

/// "Now", by each clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub local_ms: u64,
    /// The portal's time, once one of its answers has said (its `Date` header).
    pub portal_ms: Option<u64>,
}

impl Now {
    fn by(&self, clock: Clock) -> u64 {
        match clock {
            Clock::Local => self.local_ms,
            Clock::Portal => self.portal_ms.unwrap_or(self.local_ms),
        }
    }
}

/// When in a run the decision is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Before open orders are looked up again: an open order not yet looked up is left for
    /// the pass that follows the look-up.
    BeforeLookUps,
    /// After the look-ups, and just before sending: every open order blocks.
    Final,
}

/// What is about to be ordered.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub sn: &'a str,
    pub operation: Operation,
    pub now: Now,
    /// The order numbers (or entry IDs) that `--again` names.
    pub again: &'a [String],
    pub pass: Pass,
    /// A batch row: a recent success of the same operation is "already done", not a block.
    pub batch_row: bool,
}

/// What the earlier orders allow.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Clear,
    Blocked(Block),
    /// A batch row whose order an earlier run already placed.
    Already(Earlier),
}

/// Why an order may not be sent now.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub sn: String,
    pub operation: Operation,
    pub earlier: Earlier,
    pub why: Why,
    /// The age of the earlier order by its record's clock, where it is a possible one.
    pub age_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    InFlight,
    Unknown,
    Open {
        status: String,
    },
    Unreachable {
        why: String,
    },
    Recent,
    /// A success whose time cannot be read, or is not a possible one.
    Unreadable,
    /// A success whose time lies this far in the future.
    Future {
        ahead_ms: u64,
    },
}

/// The decision: the earlier orders (each record's oldest first), newest looked at first; a
/// batch row's recent success of its operation is "already done" unless another order blocks.
pub fn decide(earlier: &[Earlier], ask: &Ask) -> Decision {
    // A batch row's "already done" holds only if nothing older blocks (an order still open
    // in the portal, an unknown outcome): it is remembered, and the scan goes on.
    let mut already: Option<Earlier> = None;
    for e in merged(earlier).iter().rev() {
        let now = match e.at {
            Stamp::At { clock, .. } => ask.now.by(clock),
            Stamp::Unreadable => ask.now.local_ms,
        };
        let age_ms = match e.at {
            Stamp::At { ms, .. } if (EARLIEST_MS..=now.saturating_add(FUTURE_MS)).contains(&ms) => {
                Some(now.saturating_sub(ms))
            }
            _ => None,
        };
        let block = |why: Why| {
            Decision::Blocked(Block {
                sn: ask.sn.to_owned(),
                operation: ask.operation,
                earlier: e.clone(),
                why,
                age_ms,
            })
        };
        match &e.status {
            Status::InFlight => return block(Why::InFlight),
            Status::Unknown => return block(Why::Unknown),
            Status::Open { look, .. }
                if *look == Look::NotYet && ask.pass == Pass::BeforeLookUps => {}
            Status::Open { look, status } => {
                return block(match look {
                    Look::Failed(why) => Why::Unreachable { why: why.clone() },
                    _ => Why::Open {
                        status: status.clone(),
                    },
                })
            }
            Status::Succeeded => {
                let same = e.operation == Some(ask.operation);
                if !(same || e.operation.is_none()) || named(e, ask.again) {
                    continue;
                }
                let why = match (e.at, age_ms) {
                    (Stamp::At { ms, .. }, None) if ms > now => Why::Future {
                        ahead_ms: ms.saturating_sub(now),
                    },
                    (Stamp::Unreadable, _) | (Stamp::At { .. }, None) => Why::Unreadable,
                    (Stamp::At { .. }, Some(age)) if age < RECENT_MS => Why::Recent,
                    (Stamp::At { .. }, Some(_)) => continue,
                };
                if why == Why::Recent && same && ask.batch_row {
                    already.get_or_insert_with(|| e.clone());
                    continue;
                }
                return block(why);
            }
            Status::Closed => {}
        }
    }
    match already {
        Some(done) => Decision::Already(done),
        None => Decision::Clear,
    }
}

/// Whether `--again` names this earlier order, by its order number or its entry ID.
fn named(e: &Earlier, again: &[String]) -> bool {
    again.iter().map(|a| a.trim()).any(|a| {
        !a.is_empty()
            && (e
                .order_no
                .as_deref()
                .is_some_and(|no| no.eq_ignore_ascii_case(a))
                || e.entry
                    .as_deref()
                    .is_some_and(|id| id.eq_ignore_ascii_case(a)))
    })
}

/// One earlier order once, though several records know it: an entry that both local records
/// (or the team journal) hold counts once, with the word that settles it where one does; an
/// order the portal lists that a record already knows by its number is not counted twice.
fn merged(earlier: &[Earlier]) -> Vec<Earlier> {
    let mut out: Vec<Earlier> = Vec::with_capacity(earlier.len());
    for e in earlier.iter().filter(|e| e.source != Source::Portal) {
        let same = e
            .entry
            .as_ref()
            .and_then(|id| out.iter().position(|o| o.entry.as_ref() == Some(id)));
        match same {
            Some(index) => {
                if out[index].status == Status::InFlight && e.status != Status::InFlight {
                    out[index].status = e.status.clone();
                    out[index].order_no = out[index].order_no.clone().or(e.order_no.clone());
                }
            }
            None => out.push(e.clone()),
        }
    }
    for e in earlier.iter().filter(|e| e.source == Source::Portal) {
        let known = e.order_no.as_ref().is_some_and(|no| {
            out.iter().any(|o| {
                o.order_no
                    .as_ref()
                    .is_some_and(|o| o.eq_ignore_ascii_case(no))
            })
        });
        if !known {
            out.push(e.clone());
        }
    }
    out
}

/// The newest earlier order of `operation` that succeeded, whatever its age.
pub fn last_success(earlier: &[Earlier], operation: Operation) -> Option<&Earlier> {
    earlier
        .iter()
        .rev()
        .find(|e| e.status == Status::Succeeded && e.operation == Some(operation))
}

/// An age as a person reads it; never an impossible one.
pub fn age_text(age_ms: u64) -> String {
    let hours = age_ms / 3_600_000;
    if hours == 0 {
        format!("{} min ago", (age_ms / 60_000).max(1))
    } else if hours < 72 {
        format!("{hours} h ago")
    } else {
        format!("{} days ago", hours / 24)
    }
}

impl Block {
    /// The failure a user reads (exit 9), naming the earlier order and what unblocks it.
    pub fn failure(&self, again: &[String]) -> Failure {
        let e = &self.earlier;
        let sn = &self.sn;
        let what = e.operation.map(Operation::name).unwrap_or("order");
        let which = match (e.source, &e.entry) {
            (Source::Journal, Some(id)) => format!("journal entry {id}"),
            (source, Some(id)) => format!("entry {id} in {}", source.name()),
            (source, None) => format!("in {}", source.name()),
        };
        let sent = self.when();
        let by = self.by();
        let failure = match &self.why {
            Why::InFlight | Why::Unknown => {
                let (state, after) = if self.why == Why::InFlight {
                    (
                        "has no known outcome yet",
                        ": its run may still be waiting for the answer, or stopped before it came, and the order may have been placed",
                    )
                } else {
                    ("has no known outcome", ": it may have been placed")
                };
                let mut failure = Failure::new(
                    Kind::Blocked,
                    format!(
                        "An earlier {what} for SN {sn} ({which}, sent {sent}{by}) {state}{after}. Nothing was sent."
                    ),
                );
                if self.why == Why::InFlight && e.pid.is_some() {
                    failure = failure.hint("That run is still going: wait for it to finish, then run the command again.");
                }
                failure =
                    failure.hint("Run `linkus orders reconcile` to look it up in the portal.");
                match &e.entry {
                    Some(id) => failure.hint(format!(
                        "If the portal shows no such order (Orders & Billing > Orders), `linkus orders reconcile --not-placed {id}` records that it was not placed and unblocks the SN."
                    )),
                    None => failure,
                }
            }
            Why::Open { status } => {
                let order_no = e.order_no.as_deref().unwrap_or("(number unknown)");
                let message = match (e.source, self.age_ms) {
                    // Placed elsewhere, perhaps: when, by the portal's clock.
                    (Source::Portal, age) => format!(
                        "The portal lists order {order_no} for SN {sn}, placed {} and still {status}; nothing was sent.",
                        match age {
                            Some(age) => format!("{} by the portal's clock", age_text(age)),
                            None => format!("at a time that cannot be read ({})", e.at_text),
                        }
                    ),
                    _ => format!("Order {order_no} for SN {sn} is still {status}; nothing was sent."),
                };
                Failure::new(Kind::Blocked, message)
                .hint("Finish or cancel it in the Partner Portal (Orders & Billing > Orders) before ordering again.")
                .hint(format!(
                    "`linkus orders show {order_no} --wait` waits until it is no longer open."
                ))
            }
            Why::Unreachable { why } => {
                let order_no = e.order_no.as_deref().unwrap_or("(number unknown)");
                Failure::new(
                    Kind::Blocked,
                    format!(
                        "Order {order_no} for SN {sn} was still open, and it could not be looked up now ({why}); nothing was sent."
                    ),
                )
                .hint(format!(
                    "Run the command again when the portal answers, or check the order with `linkus orders show {order_no}`."
                ))
            }
            Why::Recent => {
                let ago = self.age_ms.map(age_text).unwrap_or_default();
                let order = e.order_no.as_deref().unwrap_or("(number unknown)");
                let (ago, seen) = if e.source == Source::Portal {
                    (
                        format!("{ago} by the portal's clock"),
                        format!(" (in {}{by})", e.source.name()),
                    )
                } else {
                    (ago, String::new())
                };
                let mut failure = Failure::new(
                    Kind::Blocked,
                    format!(
                        "SN {sn} already had a{} {what} that succeeded {ago}: order {order}{seen}. Nothing was sent.",
                        if what.starts_with(['a', 'e', 'i', 'o', 'u']) { "n" } else { "" }
                    ),
                );
                failure = self.again_hints(failure, again);
                failure
            }
            Why::Unreadable | Why::Future { .. } => {
                let problem = match &self.why {
                    Why::Future { ahead_ms } => format!(
                        "its time {:?} lies {} in the future",
                        e.at_text,
                        ahead_text(*ahead_ms)
                    ),
                    _ => format!("its time {:?} cannot be read as a possible time", e.at_text),
                };
                let order = e
                    .order_no
                    .as_deref()
                    .map(|no| format!(", order {no}"))
                    .unwrap_or_default();
                let failure = Failure::new(
                    Kind::Blocked,
                    format!(
                        "SN {sn} has an earlier {what} that succeeded ({which}{order}), but {problem}, so linkus cannot tell whether it was in the last 24 hours. Nothing was sent."
                    ),
                )
                .hint("`linkus orders reconcile` lists the entry; fix its time in the journal or order again on purpose:");
                self.again_hints(failure, again)
            }
        };
        with_blocked_by(failure, self)
    }

    fn again_hints(&self, mut failure: Failure, again: &[String]) -> Failure {
        if !again.is_empty() {
            failure = failure.hint(format!(
                "--again {} does not name that order.",
                again.join(", --again ")
            ));
        }
        let e = &self.earlier;
        match e.order_no.as_deref().or(e.entry.as_deref()) {
            Some(name) => failure.hint(format!(
                "If you mean to order again for this PBX, run the same command with `--again {name}`."
            )),
            None => failure.hint("Check the order in the Partner Portal (Orders & Billing > Orders)."),
        }
    }

    /// The earlier order's time as recorded, and its age where it is a possible one.
    fn when(&self) -> String {
        let e = &self.earlier;
        match (&e.at, self.age_ms) {
            (Stamp::Unreadable, _) => format!("at a time that cannot be read ({:?})", e.at_text),
            (Stamp::At { ms, .. }, None) if *ms < EARLIEST_MS => {
                format!("{}, not a possible time", e.at_text)
            }
            (Stamp::At { .. }, None) => format!("{}, a time in the future", e.at_text),
            (Stamp::At { .. }, Some(age)) => format!("{}, {}", e.at_text, age_text(age)),
        }
    }

    /// "by pid 7 of ana on build-1", as far as known.
    fn by(&self) -> String {
        let e = &self.earlier;
        let mut by = String::new();
        if let Some(pid) = e.pid {
            by.push_str(&format!(" by pid {pid}"));
        }
        if let Some(user) = &e.user {
            by.push_str(&format!(" of {user}"));
        }
        if let Some(host) = &e.host {
            by.push_str(&format!(" on {host}"));
        }
        by
    }
}

fn ahead_text(ms: u64) -> String {
    let minutes = ms / 60_000;
    if minutes < 120 {
        format!("{} min", minutes.max(1))
    } else if minutes < 72 * 60 {
        format!("{} h", minutes / 60)
    } else {
        format!("{} days", minutes / 1440)
    }
}

fn with_blocked_by(mut failure: Failure, block: &Block) -> Failure {
    let e = &block.earlier;
    failure.blocked_by = Some(BlockedBy {
        entry: e.entry.clone(),
        order_no: e.order_no.clone(),
        source: Some(e.source.as_str()),
        host: e.host.clone(),
        user: e.user.clone(),
        pid: e.pid,
        age: block.age_ms.map(|ms| ms / 1000),
    });
    failure
}

/// A recorded RFC 3339 time, or `None` when it cannot be read.
pub fn parse_time_ms(text: &str) -> Option<u64> {
    humantime::parse_rfc3339_weak(text.trim())
        .ok()
        .map(crate::portal_clock::epoch_ms)
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
