//! The team journal as one more store of earlier orders ([`crate::records::Store`]). Its
//! claim is ONE statement, `linkus_claim(...)`, in which the schema decides what blocks (so
//! that every linkus version sharing the database agrees); the run's one pure decision
//! ([`crate::guard::decide`], through `check`) words the refusal. If the two ever disagree,
//! the schema's refusal stands.

use std::sync::Arc;

use anyhow::Result;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;

use super::{now_ms, Claim as TeamClaim, ClaimRequest, Settle, TeamEntry, TeamError, TeamJournal};
use crate::guard::{Clock, Earlier, Look, Source, Stamp, Status};
use crate::journal::{Entry, Intent, Word};
use crate::records::{Check, Claim, Store};

/// The team journal's name for every operation (`linkus_blocks` in the schema): an order sent
/// with an `operationType` linkus does not know. Read back, it parses as no operation, which
/// the guard counts as every one.
const ANY_OPERATION: &str = "any";

pub struct TeamStore {
    team: Arc<TeamJournal>,
    portal: String,
    sn: String,
    /// Whether `read` asks the database. A batch's check phase does (a row another machine
    /// bought is "already bought"); a single order leaves it to the claim, which decides in
    /// the same statement that writes the intent: at most 2 statements before the order (the
    /// connection's first, and the claim), 1 after.
    reads: bool,
    /// The SN's entries already read for many SNs at once (a batch's check phase): what
    /// `read` gives, with no statement of its own. A claim always asks the database.
    preloaded: Option<Vec<TeamEntry>>,
}

impl TeamStore {
    pub fn new(team: Arc<TeamJournal>, portal: &str, sn: &str, reads: bool) -> TeamStore {
        TeamStore {
            team,
            portal: portal.to_owned(),
            sn: sn.to_owned(),
            reads,
            preloaded: None,
        }
    }

    /// The same, with `read` answered from entries already read.
    pub fn preloaded(mut self, entries: Vec<TeamEntry>) -> TeamStore {
        self.preloaded = Some(entries);
        self
    }
}

/// A team entry as the guard sees it. Its time is its age by the database's clock, placed on
/// this machine's clock, so that a machine whose clock is off cannot shorten the 24 hours.
pub fn earlier_of(entry: &TeamEntry, now_local_ms: u64) -> Earlier {
    let status = match entry.state.as_str() {
        "in_flight" => Status::InFlight,
        "unknown" => Status::Unknown,
        "open" => Status::Open {
            status: entry.outcome.clone().unwrap_or_default(),
            look: Look::NotYet,
        },
        "succeeded" => Status::Succeeded,
        _ => Status::Closed,
    };
    Earlier {
        source: Source::Team,
        entry: Some(entry.id.clone()),
        order_no: entry.order_no.clone(),
        operation: yeastar_partner::Operation::parse(&entry.operation),
        plan_id: entry
            .plan_id
            .as_deref()
            .and_then(|p| p.parse().ok())
            .map(yeastar_partner::PlanId::new),
        status,
        at: Stamp::At {
            ms: now_local_ms.saturating_sub(entry.age_seconds.max(0) as u64 * 1000),
            clock: Clock::Local,
        },
        at_text: entry.created_at.clone(),
        host: entry.host.clone(),
        user: entry.user.clone(),
        // Whether the run that made it (on another machine) is alive cannot be known here:
        // its pid is not given as a live run's; the message names its host, user and age.
        pid: None,
    }
}

impl Store for TeamStore {
    fn source(&self) -> Source {
        Source::Team
    }

    fn required(&self) -> bool {
        true
    }

    fn read(&self) -> BoxFuture<'_, Result<Vec<Earlier>>> {
        async move {
            let read;
            let entries = match &self.preloaded {
                Some(entries) => entries,
                None if !self.reads => return Ok(Vec::new()),
                None => {
                    read = self
                        .team
                        .entries_of_sn(&self.portal, &self.sn)
                        .await
                        .map_err(|error| super::unusable(&self.team, &self.sn, error))?;
                    &read
                }
            };
            let now = now_ms();
            Ok(entries.iter().map(|e| earlier_of(e, now)).collect())
        }
        .boxed()
    }

    fn claim<'a>(
        &'a self,
        intent: &'a Intent,
        check: &'a Check<'a>,
    ) -> BoxFuture<'a, Result<Claim>> {
        async move {
            let plan_id = intent.plan_id.to_string();
            let contact = intent.billing_contact_id.to_string();
            let command = super::command_line();
            let again = self.team.again();
            let request = ClaimRequest {
                id: &intent.id,
                portal: &intent.base_url,
                sn: &intent.sn,
                // An operation linkus does not know is every operation, in the schema too.
                operation: if intent.any_operation {
                    ANY_OPERATION
                } else {
                    intent.operation.name()
                },
                again: &again,
                plan_id: Some(&plan_id),
                plan_name: Some(&intent.plan_name),
                years: Some(intent.years),
                billing_contact_id: Some(&contact),
                po_number: intent.po_number.as_deref(),
                profile: &intent.profile,
                command: &command,
                local_time: &intent.time,
            };
            match self.team.claim(&request).await {
                Ok(TeamClaim::Claimed) => Ok(Claim::Written),
                Ok(TeamClaim::Blocked(entry)) => {
                    let failure = match check(&[earlier_of(&entry, now_ms())]) {
                        Err(failure) => failure,
                        Ok(()) => super::blocked(&entry, intent.operation.name(), &again),
                    };
                    Ok(Claim::Refused(Box::new(failure)))
                }
                Err(error) => {
                    if matches!(error, TeamError::InDoubt(_)) {
                        // Whether or not the intent was written, the order certainly was not
                        // sent: say so there if the database answers now.
                        let _ = self
                            .team
                            .settle(&Settle {
                                id: &intent.id,
                                outcome: Word::NotSent.as_str(),
                                order_no: None,
                                order_status: None,
                                request_id: None,
                            })
                            .await;
                    }
                    Err(super::unusable(&self.team, &intent.sn, error).into())
                }
            }
        }
        .boxed()
    }

    fn settle<'a>(&'a self, entry: &'a Entry) -> BoxFuture<'a, Result<()>> {
        async move {
            let (Entry::Outcome(outcome) | Entry::Reconciled(outcome)) = entry else {
                return Ok(());
            };
            match self.team.settle(&Settle::of(outcome)).await {
                Ok(_) => Ok(()),
                Err(error) => {
                    self.team.missed(&outcome.id);
                    Err(anyhow::anyhow!("{error}"))
                }
            }
        }
        .boxed()
    }
}
