//! `linkus team init | status | sync` (CLI.md section 1): the team journal's schema, what it
//! holds that is not settled, and the outcomes this machine holds that it missed.

use std::sync::Arc;

use anyhow::Result;
use serde::Serialize;

use crate::context::{Context, Settings};
use crate::error::{ExitStatus, Failure, Kind};
use crate::journal::{Entry, Journal};
use crate::output::clean;
use crate::team::{self, TeamEntry, TeamError, TeamJournal, SCHEMA_VERSION};

/// The team journal, or a usage error saying how to set one.
fn configured(ctx: &Context) -> Result<Arc<TeamJournal>> {
    if ctx.settings.global.sandbox {
        return Err(Failure::usage("The sandbox never uses a team journal.").into());
    }
    match ctx.team_journal()? {
        Some(team) => Ok(team),
        None => Err(Failure::usage(
            "No team journal is set (or it is off for this run).",
        )
        .hint("Set LINKUS_TEAM_JOURNAL=postgresql://USER@HOST/DATABASE (or team_journal in the profile's config), then run the command again.")
        .into()),
    }
}

/// A team journal failure outside an order: exit 6, the journal named.
pub fn failed(team: &TeamJournal, error: TeamError) -> anyhow::Error {
    match error {
        TeamError::Schema(failure) => (*failure).into(),
        other => Failure::new(
            Kind::Network,
            format!(
                "Could not use the team journal ({}): {other}.",
                team.shown()
            ),
        )
        .hint("Check that the database is up and reachable, and the URL, user and password (`linkus doctor` checks them).")
        .into(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InitOut<'a> {
    url: &'a str,
    server_version: &'a str,
    previous_schema_version: i64,
    schema_version: i64,
    tls: bool,
}

pub async fn init(ctx: &Context) -> Result<ExitStatus> {
    let team = configured(ctx)?;
    let (info, before) = team.init().await.map_err(|e| failed(&team, e))?;
    let shown = team.shown();
    if ctx.out.is_json() {
        ctx.out.json(&InitOut {
            url: &shown,
            server_version: &info.server_version,
            previous_schema_version: before,
            schema_version: info.schema_version,
            tls: info.tls,
        })?;
    } else {
        let what = if before == info.schema_version {
            "already up to date".to_owned()
        } else if before == 0 {
            "created".to_owned()
        } else {
            format!("upgraded from version {before}")
        };
        ctx.out.print(&format!(
            "Team journal {shown}: schema version {} ({what}); PostgreSQL {}, TLS {}.\n",
            info.schema_version,
            info.server_version,
            if info.tls { "in use" } else { "not in use" }
        ))?;
    }
    Ok(ExitStatus::Success)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusOut<'a> {
    url: &'a str,
    server_version: &'a str,
    schema_version: i64,
    known_schema_version: i64,
    tls: bool,
    clock_difference_ms: i64,
    entries: Vec<EntryOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryOut<'a> {
    pub entry: &'a str,
    pub portal: &'a str,
    pub sn: &'a str,
    pub operation: &'a str,
    pub state: &'a str,
    pub outcome: Option<&'a str>,
    pub order_no: Option<&'a str>,
    pub host: Option<&'a str>,
    pub user: Option<&'a str>,
    pub pid: Option<i64>,
    pub created_at: &'a str,
    pub age: String,
}

impl<'a> EntryOut<'a> {
    pub fn of(entry: &'a TeamEntry) -> EntryOut<'a> {
        EntryOut {
            entry: &entry.id,
            portal: &entry.portal,
            sn: &entry.sn,
            operation: &entry.operation,
            state: &entry.state,
            outcome: entry.outcome.as_deref(),
            order_no: entry.order_no.as_deref(),
            host: entry.host.as_deref(),
            user: entry.user.as_deref(),
            pid: entry.pid,
            created_at: &entry.created_at,
            age: entry.age(),
        }
    }
}

pub async fn status(ctx: &Context) -> Result<ExitStatus> {
    let team = configured(ctx)?;
    // Read-only: a database without the schema is said so, not set up.
    let info = team.probe().await.map_err(|e| failed(&team, e))?;
    if info.schema_version == 0 {
        return Err(Failure::new(
            Kind::Network,
            format!(
                "The team journal ({}) has no linkus schema yet.",
                team.shown()
            ),
        )
        .hint("Run `linkus team init` (as a role that may create tables), or let the first order create it.")
        .into());
    }
    let entries = team.unsettled(None).await.map_err(|e| failed(&team, e))?;
    let shown = team.shown();
    if ctx.out.is_json() {
        ctx.out.json(&StatusOut {
            url: &shown,
            server_version: &info.server_version,
            schema_version: info.schema_version,
            known_schema_version: SCHEMA_VERSION,
            tls: info.tls,
            clock_difference_ms: info.clock_difference_ms,
            entries: entries.iter().map(EntryOut::of).collect(),
        })?;
        return Ok(ExitStatus::Success);
    }
    let mut text = format!(
        "Team journal  {shown}\nServer        PostgreSQL {}\nSchema        version {} (this linkus knows {SCHEMA_VERSION})\nTLS           {}\nClock         the database's is {:+.1} s from this machine's\n",
        info.server_version,
        info.schema_version,
        if info.tls { "in use" } else { "not in use" },
        info.clock_difference_ms as f64 / 1000.0
    );
    if entries.is_empty() {
        text.push_str("\nNo entries in flight, unknown or open.\n");
        ctx.out.print(&text)?;
    } else {
        text.push_str(&format!(
            "\n{} entr{} in flight, unknown or open:\n",
            entries.len(),
            if entries.len() == 1 { "y" } else { "ies" }
        ));
        ctx.out.print(&text)?;
        let rows = entries
            .iter()
            .map(|e| {
                vec![
                    clean(&e.id),
                    clean(&e.sn),
                    clean(&e.operation),
                    e.state.replace('_', " "),
                    clean(e.order_no.as_deref().unwrap_or("")),
                    clean(&format!(
                        "{}@{}",
                        e.user.as_deref().unwrap_or("?"),
                        e.host.as_deref().unwrap_or("?")
                    )),
                    e.age(),
                ]
            })
            .collect();
        ctx.out.print(&ctx.out.table(
            &["ENTRY", "SN", "OPERATION", "STATE", "ORDER", "BY", "AGE"],
            rows,
        ))?;
    }
    Ok(ExitStatus::Success)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SyncOut {
    checked: usize,
    written: usize,
}

/// The outcomes of this machine's journal, each written where the team journal lacks it
/// (idempotent: a settled team entry never changes).
pub async fn sync(ctx: &Context) -> Result<ExitStatus> {
    let team = configured(ctx)?;
    let (checked, written) = push_outcomes(&ctx.settings, &team).await?;
    let _ = std::fs::remove_file(ctx.settings.dirs.data.join("team-journal-missed"));
    if ctx.out.is_json() {
        ctx.out.json(&SyncOut { checked, written })?;
    } else {
        ctx.out.print(&format!(
            "{written} outcome{} written to the team journal ({checked} checked from this machine's journal).\n",
            if written == 1 { "" } else { "s" }
        ))?;
    }
    Ok(ExitStatus::Success)
}

/// Pushes the last word about every intent of the local journal; (checked, written).
pub async fn push_outcomes(settings: &Settings, team: &TeamJournal) -> Result<(usize, usize)> {
    let contents = Journal::new(settings.dirs.journal_file()).read()?;
    // The last word about each intent, in the order the last words were written.
    let mut seen = std::collections::HashSet::new();
    let mut settles: Vec<team::Settle<'_>> = contents
        .entries
        .iter()
        .rev()
        .filter_map(|entry| match entry {
            Entry::Outcome(outcome) | Entry::Reconciled(outcome) => Some(outcome),
            Entry::Intent(_) => None,
        })
        .filter(|outcome| seen.insert(outcome.id.as_str()))
        .map(team::Settle::of)
        .collect();
    settles.reverse();
    let written = team
        .settle_many(&settles)
        .await
        .map_err(|e| failed(team, e))?;
    Ok((settles.len(), written))
}
