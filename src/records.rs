//! The records of earlier orders that guard against paying twice (CLI.md section 3, "The
//! record is the guard"): each one is a [`Store`], and an order goes out only after every
//! configured store has *claimed* it, that is read its earlier orders for the portal and SN,
//! let [`guard::decide`] judge them, and written the intent, in one step under the store's own
//! lock. The SN lock is not the guard: two runs with different lock folders still share the
//! journal in the data folder, and its file lock makes them take turns.
//!
//! The stores today:
//! - [`JournalStore`] over `orders.jsonl` in the data folder ([`Source::Journal`], required:
//!   a failure stops the order), and over the SN's record beside the locks
//!   ([`Source::Lock`], best effort: a failure is a warning);
//! - the portal's order list ([`Source::Portal`], read-only) and the team journal
//!   ([`Source::Team`]) plug in the same way.
//!
//! # Adding a store
//!
//! 1. Implement [`Store`]: `read` returns the SN's earlier orders as [`Earlier`] values tagged
//!    with your [`Source`] (oldest first, times by the clock they were written with, `pid`
//!    only for a run still alive); `claim` does read, `check` and write of the intent as one
//!    step under the store's own lock (a transaction, a file lock) and returns
//!    [`Claim::Refused`] with check's failure untouched, without writing; a read-only store
//!    checks and returns [`Claim::Checked`]; `settle` records a later word about an intent
//!    it claimed (idempotent; never overwrites a settled word).
//! 2. Say whether it is [`Store::required`]: when it cannot be read or written before the
//!    order, nothing is sent (a store that cannot be reached is exit 6: return a
//!    [`Failure`] of kind [`Kind::Network`]).
//! 3. Add it to the run's [`Records`] with [`Records::push`]; `order::place` claims every
//!    store in order before sending, rolls back the claims made (`not_sent`) when a later one
//!    refuses, and settles every store after the answer.
//!
//! Nothing here depends on the run's context, so that the context may hold an order in flight
//! ([`InFlight`]) without a cycle.

use std::sync::{Arc, Mutex};

use anyhow::Result;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;

use crate::error::{Failure, Kind};
use crate::guard::{self, Clock, Decision, Look, Stamp, Status};
pub use crate::guard::{Ask, Earlier, Source};
use crate::journal::{Contents, Entry, Intent, Journal, Outcome, Recorded, State, Word};
use crate::portal_key;

/// The decision a store's claim applies to the earlier orders it read under its lock.
pub type Check<'a> = dyn Fn(&[Earlier]) -> Result<(), Failure> + Send + Sync + 'a;

/// What a claim did.
#[derive(Debug)]
pub enum Claim {
    /// The intent is written: the store is to be settled after the answer.
    Written,
    /// A read-only store found nothing that blocks.
    Checked,
    /// The check refused: nothing was written.
    Refused(Box<Failure>),
}

/// A store of earlier orders. See the module's documentation for how to add one.
pub trait Store: Send + Sync {
    fn source(&self) -> Source;

    /// A failure to use this store stops the order (true), or is a warning (false).
    fn required(&self) -> bool;

    /// The SN's earlier orders, oldest first, without claiming anything.
    fn read(&self) -> BoxFuture<'_, Result<Vec<Earlier>>>;

    /// One step under the store's own lock: read the SN's earlier orders, `check` them, and
    /// write the intent only if the check passes.
    fn claim<'a>(
        &'a self,
        intent: &'a Intent,
        check: &'a Check<'a>,
    ) -> BoxFuture<'a, Result<Claim>>;

    /// Records a later word about an intent this store claimed.
    fn settle<'a>(&'a self, entry: &'a Entry) -> BoxFuture<'a, Result<()>>;

    /// Whether the store keeps the run's intents and outcomes (false for a read-only store,
    /// such as the portal's order list: settling it records nothing).
    fn records_outcomes(&self) -> bool {
        true
    }
}

/// The journal in the data folder, or the SN's record beside the locks: a JSON-lines file
/// whose lock is the file's own.
pub struct JournalStore {
    journal: Journal,
    source: Source,
    /// The portal's label (its intents' `baseUrl`), compared normalised.
    portal: String,
    sn: String,
    /// The file already read for many SNs at once (a batch's check phase): what `read`
    /// gives. A claim always reads the file again under its lock.
    preloaded: Option<Contents>,
}

impl JournalStore {
    pub fn new(journal: Journal, source: Source, portal: &str, sn: &str) -> Self {
        JournalStore {
            journal,
            source,
            portal: portal_key::normalise(portal),
            sn: sn.trim().to_owned(),
            preloaded: None,
        }
    }

    /// The same, with `read` answered from lines already read.
    pub fn preloaded(mut self, contents: Contents) -> Self {
        self.preloaded = Some(contents);
        self
    }

    /// The SN's intents in `contents`, with their states.
    pub fn recorded(&self, contents: &Contents) -> Vec<Recorded> {
        contents
            .intents()
            .into_iter()
            .filter(|r| {
                portal_key::normalise(&r.intent.base_url) == self.portal
                    && r.intent.sn.trim().eq_ignore_ascii_case(&self.sn)
            })
            .collect()
    }

    fn earlier(&self, contents: &Contents) -> Vec<Earlier> {
        self.recorded(contents)
            .iter()
            .map(|r| earlier_of(self.source, r))
            .collect()
    }
}

impl Store for JournalStore {
    fn source(&self) -> Source {
        self.source
    }

    fn required(&self) -> bool {
        self.source == Source::Journal
    }

    fn read(&self) -> BoxFuture<'_, Result<Vec<Earlier>>> {
        async move {
            match &self.preloaded {
                Some(contents) => Ok(self.earlier(contents)),
                None => Ok(self.earlier(&self.journal.read_for_sn(&self.sn)?)),
            }
        }
        .boxed()
    }

    fn claim<'a>(
        &'a self,
        intent: &'a Intent,
        check: &'a Check<'a>,
    ) -> BoxFuture<'a, Result<Claim>> {
        async move {
            let entry = Entry::Intent(intent.clone());
            let claimed = self
                .journal
                .claim_for_sn(&entry, &self.sn, |contents| check(&self.earlier(contents)))?;
            Ok(match claimed {
                Ok(()) => Claim::Written,
                Err(failure) => Claim::Refused(Box::new(failure)),
            })
        }
        .boxed()
    }

    fn settle<'a>(&'a self, entry: &'a Entry) -> BoxFuture<'a, Result<()>> {
        async move { self.journal.append(entry) }.boxed()
    }
}

/// A journal intent as the guard sees it.
pub fn earlier_of(source: Source, recorded: &Recorded) -> Earlier {
    let intent = &recorded.intent;
    let (status, order_no) = match &recorded.state {
        State::InFlight => (Status::InFlight, None),
        State::Unknown => (Status::Unknown, None),
        State::Open { order_no, status } => (
            Status::Open {
                status: status.clone(),
                look: Look::NotYet,
            },
            Some(order_no.clone()),
        ),
        State::Succeeded { order_no } => (Status::Succeeded, order_no.clone()),
        State::Closed { .. } => (Status::Closed, None),
    };
    let unsettled = matches!(recorded.state, State::InFlight | State::Unknown);
    Earlier {
        source,
        entry: Some(intent.id.clone()),
        order_no,
        operation: (!intent.any_operation).then_some(intent.operation),
        plan_id: Some(intent.plan_id),
        status,
        at: stamp_of(intent),
        at_text: intent.time.clone(),
        host: intent.host.clone(),
        user: intent.user.clone(),
        pid: intent.pid.filter(|pid| unsettled && alive(intent, *pid)),
    }
}

/// When an intent was written: by the portal's clock where the intent has that time
/// (compared with the portal's clock), else by the local one; neither readable: damaged, and
/// it blocks.
pub fn stamp_of(intent: &Intent) -> Stamp {
    let portal = intent
        .portal_time
        .as_deref()
        .and_then(guard::parse_time_ms)
        .map(|ms| Stamp::At {
            ms,
            clock: Clock::Portal,
        });
    let local = guard::parse_time_ms(&intent.time).map(|ms| Stamp::At {
        ms,
        clock: Clock::Local,
    });
    portal.or(local).unwrap_or(Stamp::Unreadable)
}

/// Whether the run that wrote an intent is still alive: only known for this machine.
fn alive(intent: &Intent, pid: u32) -> bool {
    let here = this_host();
    if intent.host.is_none() || intent.host != here {
        return false;
    }
    process_alive(pid)
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .is_some_and(|pid| rustix::process::test_kill_process(pid).is_ok())
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    false
}

/// This machine's name, for intents.
pub fn this_host() -> Option<String> {
    #[cfg(unix)]
    let name = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    #[cfg(not(unix))]
    let name = std::env::var("COMPUTERNAME").unwrap_or_default();
    let name = name.trim().to_owned();
    (!name.is_empty()).then_some(name)
}

/// The user running linkus, for intents.
pub fn this_user() -> Option<String> {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
}

/// Every store of earlier orders a run uses for one portal and SN, in the order they are
/// claimed.
#[derive(Clone)]
pub struct Records {
    stores: Vec<Arc<dyn Store>>,
}

impl Records {
    pub fn new() -> Records {
        Records { stores: Vec::new() }
    }

    /// Adds a store, claimed after those already in.
    pub fn push(&mut self, store: Arc<dyn Store>) {
        self.stores.push(store);
    }

    /// Every store's earlier orders: a required store that cannot be read stops the order;
    /// another is left out.
    pub async fn read(&self) -> Result<Vec<Earlier>> {
        let mut all = Vec::new();
        for store in &self.stores {
            match store.read().await {
                Ok(earlier) => all.extend(earlier),
                // A store that says why it cannot be used (the team journal: exit 6) is
                // taken at its word.
                Err(error) if store.required() && error.downcast_ref::<Failure>().is_some() => {
                    return Err(error)
                }
                Err(error) if store.required() => {
                    return Err(Failure::new(
                        Kind::Config,
                        format!(
                            "Could not read {}, which every order is checked against, so it was not sent: {error:#}",
                            store.source().name()
                        ),
                    )
                    .hint("Make the data folder readable (or set LINKUS_DATA_DIR), then run the command again; nothing was bought.")
                    .into())
                }
                Err(_) => {}
            }
        }
        Ok(all)
    }

    /// Claims the intent in every store, in order: each reads its earlier orders, decides with
    /// `ask` for each operation the intent is checked as ([`Intent::checked_as`]; on them and
    /// on what the stores before it read), and writes the intent, under its
    /// own lock. A refusal, or a required store that fails, takes back the claims already
    /// made (`not_sent`) and stops the order. `warn` hears what a best-effort store could
    /// not do.
    pub async fn claim(&self, intent: &Intent, ask: &Ask<'_>, warn: &dyn Fn(String)) -> Result<()> {
        let mut known: Vec<Earlier> = Vec::new();
        let mut written: Vec<&Arc<dyn Store>> = Vec::new();
        for store in &self.stores {
            let fresh: Mutex<Vec<Earlier>> = Mutex::new(Vec::new());
            let check = |earlier: &[Earlier]| -> Result<(), Failure> {
                if let Ok(mut slot) = fresh.lock() {
                    *slot = earlier.to_vec();
                }
                let mut all = known.clone();
                all.extend_from_slice(earlier);
                // An operation linkus does not know is checked as every one.
                for operation in intent.checked_as() {
                    let ask = Ask {
                        operation: *operation,
                        ..*ask
                    };
                    match guard::decide(&all, &ask) {
                        Decision::Clear => {}
                        Decision::Blocked(block) => return Err(block.failure(ask.again)),
                        // Not a batch's check phase: a success found now blocks.
                        Decision::Already(earlier) => {
                            return Err(guard::Block {
                                sn: ask.sn.to_owned(),
                                operation: ask.operation,
                                earlier,
                                why: guard::Why::Recent,
                                age_ms: None,
                            }
                            .failure(ask.again))
                        }
                    }
                }
                Ok(())
            };
            let claimed = store.claim(intent, &check).await;
            let refused = match claimed {
                Ok(Claim::Written) => {
                    written.push(store);
                    None
                }
                Ok(Claim::Checked) => None,
                Ok(Claim::Refused(failure)) => Some(anyhow::Error::from(*failure)),
                Err(error) if store.required() => Some(match error.downcast::<Failure>() {
                    Ok(failure) => failure.into(),
                    Err(error) => Failure::new(
                        Kind::Config,
                        format!(
                            "Could not record the order in {}, so it was not sent: {error:#}",
                            store.source().name()
                        ),
                    )
                    .hint("Make the data folder writable (or set LINKUS_DATA_DIR), then run the command again; nothing was bought.")
                    .into(),
                }),
                Err(error) => {
                    warn(format!(
                        "could not note the order in {}: {error:#}",
                        store.source().name()
                    ));
                    None
                }
            };
            if let Some(error) = refused {
                let back = Entry::Outcome(Outcome {
                    id: intent.id.clone(),
                    time: intent.time.clone(),
                    outcome: Word::NotSent,
                    order_no: None,
                    order_status: None,
                    request_id: None,
                });
                for store in written {
                    if let Err(problem) = store.settle(&back).await {
                        warn(format!(
                            "could not take back the intent in {}: {problem:#}; `linkus orders reconcile --not-placed {}` does",
                            store.source().name(),
                            intent.id
                        ));
                    }
                }
                return Err(error);
            }
            known.extend(fresh.into_inner().unwrap_or_default());
        }
        Ok(())
    }

    /// Writes a later word about an intent to every store; what could not be written, if
    /// anything.
    pub async fn settle(&self, entry: &Entry) -> Result<(), Unrecorded> {
        let mut written = 0;
        let mut problems: Vec<String> = Vec::new();
        for store in self.stores.iter().filter(|store| store.records_outcomes()) {
            match store.settle(entry).await {
                Ok(()) => written += 1,
                Err(error) => problems.push(format!("{}: {error:#}", store.source().name())),
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Unrecorded {
                problem: problems.join("; "),
                nowhere: written == 0,
            })
        }
    }
}

impl Default for Records {
    fn default() -> Self {
        Records::new()
    }
}

/// A word about an order that could not be written everywhere.
#[derive(Debug, Clone)]
pub struct Unrecorded {
    pub problem: String,
    /// Written nowhere: the SN stays unknown until reconciled.
    pub nowhere: bool,
}

impl Unrecorded {
    /// What a user is told about an order's outcome that was not recorded.
    pub fn warning(&self, sn: &str) -> String {
        if self.nowhere {
            format!(
                "the outcome of the order for SN {sn} could not be written to the journal ({}); until `linkus orders reconcile` settles it, linkus will treat the SN as unknown.",
                self.problem
            )
        } else {
            format!(
                "the outcome of the order for SN {sn} was not recorded everywhere ({}).",
                self.problem
            )
        }
    }
}

/// The order on the wire, for an interruption to journal as unknown.
#[derive(Clone)]
pub struct InFlight {
    pub records: Records,
    pub entry: String,
    pub sn: String,
    pub sent_at: String,
}

impl InFlight {
    /// Journals the order as unknown and says so: the run was interrupted while it was out.
    /// Only the stores that answer at once (the files) are written here; the intent alone
    /// already blocks in the others.
    pub fn interrupted(self, now: &str) -> String {
        let entry = Entry::Outcome(Outcome {
            id: self.entry.clone(),
            time: now.to_owned(),
            outcome: Word::Unknown,
            order_no: None,
            order_status: None,
            request_id: None,
        });
        let _ = self.records.settle(&entry).now_or_never();
        format!(
            "Interrupted while the order for SN {} was being sent (at {}); its outcome is unknown.",
            self.sn, self.sent_at
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::{Now, Pass};
    use yeastar_partner::{BillingContactId, Operation, PlanId};

    fn intent(id: &str, base_url: &str) -> Intent {
        Intent {
            id: id.to_owned(),
            time: humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
            portal_time: None,
            profile: "default".into(),
            base_url: base_url.into(),
            sn: "A1".into(),
            operation: Operation::Purchase,
            any_operation: false,
            plan_id: PlanId::new(1),
            plan_name: "Linkus Cloud Service".into(),
            billing_contact_id: BillingContactId::new(2),
            years: 1,
            po_number: None,
            list_total: None,
            pid: Some(std::process::id()),
            host: this_host(),
            user: None,
        }
    }

    fn ask(again: &[String]) -> Ask<'_> {
        Ask {
            sn: "A1",
            operation: Operation::Purchase,
            now: Now {
                local_ms: crate::portal_clock::epoch_ms(std::time::SystemTime::now()),
                portal_ms: None,
            },
            again,
            pass: Pass::Final,
            batch_row: false,
        }
    }

    fn records(dir: &std::path::Path, portal: &str) -> Records {
        let mut records = Records::new();
        records.push(Arc::new(JournalStore::new(
            Journal::new(dir.join("orders.jsonl")),
            Source::Journal,
            portal,
            "a1",
        )));
        records.push(Arc::new(JournalStore::new(
            Journal::new(dir.join("record.jsonl")),
            Source::Lock,
            portal,
            "A1",
        )));
        records
    }

    #[tokio::test]
    async fn a_second_claim_sees_the_first_intent_and_writes_nothing() {
        let temp = tempfile::tempdir().unwrap();
        let first = records(temp.path(), "http://127.0.0.1:9/");
        first
            .claim(&intent("a", "http://127.0.0.1:9/"), &ask(&[]), &|_| {})
            .await
            .unwrap();
        // Another spelling of the same portal, another run.
        let second = records(temp.path(), "http://LOCALHOST:9");
        let refused = second
            .claim(&intent("b", "http://localhost:9"), &ask(&[]), &|_| {})
            .await
            .unwrap_err();
        let failure = refused.downcast_ref::<Failure>().unwrap();
        assert_eq!(failure.kind, Kind::Blocked);
        assert!(
            failure.message.contains("journal entry a"),
            "{}",
            failure.message
        );
        // The run is alive and on this machine: it is named.
        assert_eq!(
            failure.blocked_by.as_ref().unwrap().pid,
            Some(std::process::id())
        );
        let journal = Journal::new(temp.path().join("orders.jsonl"))
            .read()
            .unwrap();
        assert_eq!(journal.entries.len(), 1);
    }

    #[test]
    fn other_portals_and_sns_do_not_count() {
        let mut other_sn = intent("b", "http://127.0.0.1:9");
        other_sn.sn = "B2".into();
        let contents = Contents {
            entries: vec![
                Entry::Intent(intent("a", "https://elsewhere")),
                Entry::Intent(other_sn),
                Entry::Intent(intent("c", "http://[::1]:9/")),
            ],
            damaged: Vec::new(),
        };
        let store = JournalStore::new(
            Journal::new("unused".into()),
            Source::Journal,
            "http://localhost:9",
            " a1 ",
        );
        let ids: Vec<String> = store
            .recorded(&contents)
            .into_iter()
            .map(|r| r.intent.id)
            .collect();
        assert_eq!(ids, vec!["c".to_owned()]);
    }

    #[tokio::test]
    async fn a_refusal_by_a_later_store_takes_back_the_earlier_claims() {
        let temp = tempfile::tempdir().unwrap();
        // The record beside the locks knows an unknown order the journal does not.
        let record = Journal::new(temp.path().join("record.jsonl"));
        record.append(&Entry::Intent(intent("old", "p"))).unwrap();
        record
            .append(&Entry::Outcome(Outcome {
                id: "old".into(),
                time: "t".into(),
                outcome: Word::Unknown,
                order_no: None,
                order_status: None,
                request_id: None,
            }))
            .unwrap();
        let refused = records(temp.path(), "p")
            .claim(&intent("new", "p"), &ask(&[]), &|_| {})
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("entry old"), "{refused}");
        let journal = Journal::new(temp.path().join("orders.jsonl"))
            .read()
            .unwrap();
        let states: Vec<State> = journal.intents().into_iter().map(|r| r.state).collect();
        assert_eq!(
            states,
            vec![State::Closed {
                outcome: Word::NotSent
            }]
        );
    }

    #[tokio::test]
    async fn an_intent_of_an_operation_linkus_does_not_know_is_claimed_as_every_operation() {
        let temp = tempfile::tempdir().unwrap();
        // Another run (another lock folder) renewed the SN since this run's checks.
        let journal = Journal::new(temp.path().join("orders.jsonl"));
        let mut renewed = intent("renewed", "p");
        renewed.operation = Operation::Renew;
        journal.append(&Entry::Intent(renewed)).unwrap();
        journal
            .append(&Entry::Outcome(Outcome {
                id: "renewed".into(),
                time: "t".into(),
                outcome: Word::Succeed,
                order_no: Some("LR1".into()),
                order_status: None,
                request_id: None,
            }))
            .unwrap();
        let mut odd = intent("odd", "p");
        odd.any_operation = true;
        let refused = records(temp.path(), "p")
            .claim(&odd, &ask(&[]), &|_| {})
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("LR1"), "{refused}");
        assert_eq!(journal.read().unwrap().intents().len(), 1);
        // Written, it blocks an order of any operation.
        let recorded = Recorded {
            intent: odd,
            state: State::Succeeded { order_no: None },
        };
        assert_eq!(earlier_of(Source::Journal, &recorded).operation, None);
    }

    #[tokio::test]
    async fn a_settled_word_in_one_record_settles_an_intent_left_in_flight_in_the_other() {
        let temp = tempfile::tempdir().unwrap();
        let earlier = intent("a", "p");
        let journal = Journal::new(temp.path().join("orders.jsonl"));
        let record = Journal::new(temp.path().join("record.jsonl"));
        journal.append(&Entry::Intent(earlier.clone())).unwrap();
        record.append(&Entry::Intent(earlier)).unwrap();
        journal
            .append(&Entry::Outcome(Outcome {
                id: "a".into(),
                time: "t".into(),
                outcome: Word::Failed("failed".into()),
                order_no: Some("LR1".into()),
                order_status: None,
                request_id: None,
            }))
            .unwrap();
        records(temp.path(), "p")
            .claim(&intent("b", "p"), &ask(&[]), &|_| {})
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_journal_is_required_and_the_record_beside_the_locks_is_not() {
        let temp = tempfile::tempdir().unwrap();
        // The record's path is a folder: it cannot be read or written.
        std::fs::create_dir_all(temp.path().join("record.jsonl")).unwrap();
        let records = records(temp.path(), "p");
        assert!(records.read().await.unwrap().is_empty());
        let warned = Mutex::new(Vec::new());
        records
            .claim(&intent("a", "p"), &ask(&[]), &|w| {
                warned.lock().unwrap().push(w)
            })
            .await
            .unwrap();
        let warned = warned.into_inner().unwrap();
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert!(
            warned[0].contains("the record beside the locks"),
            "{warned:?}"
        );
        assert_eq!(records.read().await.unwrap().len(), 1);
        let settled = records
            .settle(&Entry::Outcome(Outcome {
                id: "a".into(),
                time: "t".into(),
                outcome: Word::Succeed,
                order_no: Some("LR1".into()),
                order_status: None,
                request_id: None,
            }))
            .await
            .unwrap_err();
        assert!(!settled.nowhere, "{settled:?}");

        // The journal's path is a folder: nothing is read, claimed or sent.
        let temp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(temp.path().join("orders.jsonl")).unwrap();
        let records = super::tests::records(temp.path(), "p");
        let error = records.read().await.unwrap_err();
        assert!(error.to_string().contains("so it was not sent"), "{error}");
        let error = records
            .claim(&intent("b", "p"), &ask(&[]), &|_| {})
            .await
            .unwrap_err();
        let failure = error.downcast_ref::<Failure>().unwrap();
        assert_eq!(failure.kind, Kind::Config);
        assert!(
            failure.message.contains("so it was not sent"),
            "{failure:?}"
        );
    }

    #[test]
    fn a_pid_is_named_only_for_an_unsettled_intent_of_a_run_alive_on_this_machine() {
        let here = intent("a", "p");
        let recorded = |intent: &Intent, state: State| Recorded {
            intent: intent.clone(),
            state,
        };
        let pid = |r: &Recorded| earlier_of(Source::Journal, r).pid;
        assert_eq!(
            pid(&recorded(&here, State::InFlight)),
            Some(std::process::id())
        );
        assert_eq!(
            pid(&recorded(&here, State::Unknown)),
            Some(std::process::id())
        );
        assert_eq!(
            pid(&recorded(&here, State::Succeeded { order_no: None })),
            None
        );
        let mut elsewhere = here.clone();
        elsewhere.host = Some("another-machine".into());
        assert_eq!(pid(&recorded(&elsewhere, State::InFlight)), None);
        let mut unnamed = here.clone();
        unnamed.host = None;
        assert_eq!(pid(&recorded(&unnamed, State::InFlight)), None);
        let mut gone = here.clone();
        // Above the kernel's pid limit (2^22): no such process.
        gone.pid = Some(0x3fff_fff0);
        assert_eq!(pid(&recorded(&gone, State::InFlight)), None);
        // The portal's time wins over the local one; neither readable is damaged.
        let mut timed = here.clone();
        timed.portal_time = Some("2026-11-18T10:00:00Z".into());
        assert_eq!(
            earlier_of(Source::Journal, &recorded(&timed, State::InFlight)).at,
            Stamp::At {
                ms: 1_794_996_000_000,
                clock: Clock::Portal
            }
        );
        timed.portal_time = None;
        timed.time = "garbage".into();
        assert_eq!(
            earlier_of(Source::Journal, &recorded(&timed, State::InFlight)).at,
            Stamp::Unreadable
        );
    }

    #[test]
    fn this_host_and_user_are_names_not_blanks() {
        assert!(this_host().is_some_and(|h| !h.trim().is_empty()));
        assert!(this_user().is_none_or(|u| !u.trim().is_empty()));
    }
}
