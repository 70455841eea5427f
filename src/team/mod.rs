//! The team journal (CLI.md section 3, "Team journal"): the journal's rules across every
//! machine that shares one PostgreSQL database.
//!
//! - Before an order, ONE statement: `SELECT linkus_claim(...)`, a schema function that takes
//!   the transaction-level advisory lock keyed by portal and SN, reads the SN's entries and,
//!   if none blocks, inserts the intent; it commits before the order leaves (the simple query
//!   protocol answers only once the commit is done), and the lock is released with it. The
//!   row keeps every other run out until its outcome is written.
//! - After the answer, ONE statement: `SELECT linkus_settle(...)`, idempotent, never
//!   overwriting a settled outcome.
//! - What blocks, the lock key and the portal key's normalisation live in the versioned
//!   schema (`migrations/`), so that every linkus version sharing a database agrees.
//!
//! Every value goes into SQL as a literal quoted here ([`lit`]), with
//! `standard_conforming_strings` on for the session, so that the simple query protocol (one
//! round trip, the answer only after the commit) can be used without a prepare round trip.

pub mod settings;
pub mod store;
mod tls;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio_postgres::{Client, SimpleQueryMessage};

pub use settings::{Setting, Settings, SslMode};

use crate::error::{Failure, Kind};
use crate::redact;

/// The newest schema this binary knows.
pub const SCHEMA_VERSION: i64 = 1;

/// The migrations, in order: version and SQL.
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("migrations/0001_team_journal.sql"))];

/// Taken around migrations, so that two machines running `team init` at once apply them once.
const MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('linkus:migrate')::bigint)";

/// Pooled connections idle longer than this are not reused (a load balancer may have closed
/// them without telling).
const POOL_IDLE: Duration = Duration::from_secs(60);
/// Connections kept for reuse: as many as a batch runs at once (16 rows checked together,
/// `--jobs` at most 16), so that a busy batch reuses them instead of opening a new one
/// (connection set-up and its first statement) for every row past the eighth.
const POOL_SIZE: usize = 16;

/// The entries that can still matter to a decision for their SN: not settled, or made in the
/// last 7 days.
const STILL_MATTERS: &str =
    "(linkus_state(e.outcome, e.order_no) IN ('in_flight', 'unknown', 'open') \
     OR e.created_at > now() - interval '7 days')";

/// A SQL string literal (or NULL), for a session with `standard_conforming_strings` on.
pub fn lit(value: Option<&str>) -> String {
    match value {
        None => "NULL".to_owned(),
        Some(text) => format!("'{}'", text.replace('\0', "").replace('\'', "''")),
    }
}

fn lit_array(values: &[String]) -> String {
    let items: Vec<String> = values.iter().map(|v| lit(Some(v))).collect();
    format!("ARRAY[{}]::text[]", items.join(","))
}

/// One team entry as the schema's `linkus_entry_json` gives it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamEntry {
    pub id: String,
    pub portal: String,
    pub sn: String,
    pub operation: String,
    pub plan_id: Option<String>,
    pub plan_name: Option<String>,
    pub years: Option<i64>,
    pub po_number: Option<String>,
    pub profile: Option<String>,
    pub host: Option<String>,
    pub user: Option<String>,
    pub pid: Option<i64>,
    pub command: Option<String>,
    pub linkus_version: Option<String>,
    pub created_at: String,
    pub age_seconds: i64,
    /// `in_flight`, `unknown`, `open`, `succeeded` or `closed`.
    pub state: String,
    pub outcome: Option<String>,
    pub order_no: Option<String>,
    pub order_status: Option<String>,
    pub outcome_by: Option<String>,
}

impl TeamEntry {
    /// `host`, `user` (pid N), for messages.
    pub fn who(&self) -> String {
        format!(
            "{}@{}{}",
            self.user.as_deref().unwrap_or("?"),
            self.host.as_deref().unwrap_or("?"),
            self.pid
                .map(|pid| format!(" (pid {pid})"))
                .unwrap_or_default()
        )
    }

    pub fn age(&self) -> String {
        age_text(self.age_seconds)
    }

    pub fn is_unsettled(&self) -> bool {
        matches!(self.state.as_str(), "in_flight" | "unknown")
    }
}

/// `42 s`, `5 min`, `3 h`, `2 d`.
pub fn age_text(seconds: i64) -> String {
    let seconds = seconds.max(0);
    if seconds < 120 {
        format!("{seconds} s")
    } else if seconds < 2 * 3600 {
        format!("{} min", seconds / 60)
    } else if seconds < 2 * 86400 {
        format!("{} h", seconds / 3600)
    } else {
        format!("{} d", seconds / 86400)
    }
}

/// What the claim found.
#[derive(Debug)]
pub enum Claim {
    /// The intent is in the team journal: the order may be sent.
    Claimed,
    /// An earlier entry blocks the order.
    Blocked(Box<TeamEntry>),
}

/// What the server said about itself when a connection was opened.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    pub server_version: String,
    pub schema_version: i64,
    pub tls: bool,
    /// The database's clock, RFC 3339.
    pub now: String,
    /// The database's clock minus the local one, in milliseconds.
    pub clock_difference_ms: i64,
    pub user: String,
}

/// Why the team journal could not be used.
#[derive(Debug)]
pub enum TeamError {
    /// Could not connect, or the connection failed before the statement was sent.
    Unreachable(String),
    /// The server answered with an error: the statement's transaction did not commit.
    Refused(String),
    /// The statement was sent and no answer came: it may or may not have committed.
    InDoubt(String),
    /// The schema is missing and this role may not create it, or it is newer than known.
    Schema(Box<Failure>),
}

impl std::fmt::Display for TeamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TeamError::Unreachable(why) | TeamError::Refused(why) | TeamError::InDoubt(why) => {
                f.write_str(&redact::scrub(why))
            }
            TeamError::Schema(failure) => f.write_str(&redact::scrub(&failure.message)),
        }
    }
}

/// An answer of the schema's functions that is not the JSON this binary expects.
fn unread(error: serde_json::Error) -> TeamError {
    TeamError::Refused(format!("the team journal's answer was not read: {error}"))
}

fn describe(error: &tokio_postgres::Error) -> String {
    let text = match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        }
    };
    redact::scrub(&text)
}

struct Conn {
    client: Client,
    idle_since: Instant,
    /// Statements its set-up sent (the server's description, a migration), until the first
    /// statement on it counts them.
    setup: usize,
}

/// The team journal: its settings and a small pool of connections (a batch's rows share it).
pub struct TeamJournal {
    pub settings: Settings,
    timeout: Duration,
    pool: tokio::sync::Mutex<Vec<Conn>>,
    /// Whether to apply missing migrations on first use.
    auto_migrate: bool,
    /// Whether this run has looked for outcomes the team journal missed.
    caught_up: std::sync::atomic::AtomicBool,
    /// The run's `--again` order numbers (the schema's claim is told them).
    again: std::sync::Mutex<Vec<String>>,
    /// Entries whose outcome could not be written this run.
    missed: std::sync::Mutex<Vec<String>>,
    /// Statements each entry's claim and outcome took this run (for `-v`).
    per_entry: std::sync::Mutex<std::collections::HashMap<String, (usize, usize)>>,
}

impl std::fmt::Debug for TeamJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamJournal")
            .field("url", &self.shown())
            .finish_non_exhaustive()
    }
}

impl TeamJournal {
    pub fn new(settings: Settings, timeout: Duration) -> Arc<TeamJournal> {
        Arc::new(TeamJournal {
            settings,
            timeout,
            pool: tokio::sync::Mutex::new(Vec::new()),
            auto_migrate: true,
            caught_up: std::sync::atomic::AtomicBool::new(false),
            again: std::sync::Mutex::new(Vec::new()),
            missed: std::sync::Mutex::new(Vec::new()),
            per_entry: std::sync::Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// The URL without its password, for messages.
    /// The team journal as it may be shown: the URL without its password, scrubbed of any
    /// secret this run knows.
    pub fn shown(&self) -> String {
        redact::scrub(&self.settings.shown)
    }

    /// Sets the run's `--again` order numbers.
    pub fn set_again(&self, again: &[String]) {
        if let Ok(mut slot) = self.again.lock() {
            *slot = again.to_vec();
        }
    }

    pub fn again(&self) -> Vec<String> {
        self.again.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// Notes that an entry's outcome could not be written.
    pub fn missed(&self, entry: &str) {
        if let Ok(mut missed) = self.missed.lock() {
            missed.push(entry.to_owned());
        }
    }

    /// Whether an entry's outcome could not be written this run.
    pub fn has_missed(&self, entry: &str) -> bool {
        self.missed
            .lock()
            .is_ok_and(|m| m.iter().any(|e| e == entry))
    }

    /// True the first time it is asked in a run: the time to write outcomes an earlier run
    /// could not.
    pub fn first_catch_up(&self) -> bool {
        !self.caught_up.swap(true, Ordering::SeqCst)
    }

    /// How many statements an entry's claim and its outcome took this run.
    pub fn statements_of(&self, entry: &str) -> (usize, usize) {
        self.per_entry
            .lock()
            .ok()
            .and_then(|counts| counts.get(entry).copied())
            .unwrap_or_default()
    }

    fn count(&self, entry: &str, before: Option<usize>, after: Option<usize>) {
        if let Ok(mut counts) = self.per_entry.lock() {
            let slot = counts.entry(entry.to_owned()).or_default();
            slot.0 += before.unwrap_or(0);
            slot.1 += after.unwrap_or(0);
        }
    }

    async fn open(&self) -> Result<Client, TeamError> {
        let settings = &self.settings;
        let mut config = tokio_postgres::Config::new();
        config
            .host(&settings.host)
            .port(settings.port)
            .user(&settings.user)
            .dbname(&settings.database)
            .application_name(concat!("linkus/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(settings.connect_timeout)
            .keepalives(true)
            .options(format!(
                "-c standard_conforming_strings=on -c statement_timeout={ms} -c lock_timeout={ms} -c idle_in_transaction_session_timeout={ms}",
                ms = self.timeout.as_millis().max(1000)
            ));
        if let Some(password) = &settings.password {
            config.password(password.expose());
        }
        config.ssl_mode(match settings.sslmode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
        let tls = tls::client_config(settings)
            .map_err(|error| TeamError::Unreachable(redact::scrub(&format!("{error:#}"))))?;
        let connecting = async {
            match tls {
                None => {
                    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
                    tokio::spawn(connection);
                    Ok::<Client, tokio_postgres::Error>(client)
                }
                Some(tls) => {
                    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
                    let (client, connection) = config.connect(tls).await?;
                    tokio::spawn(connection);
                    Ok(client)
                }
            }
        };
        match tokio::time::timeout(self.timeout, connecting).await {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(error)) => Err(TeamError::Unreachable(describe(&error))),
            Err(_) => Err(TeamError::Unreachable(format!(
                "no connection within {} s",
                self.timeout.as_secs()
            ))),
        }
    }

    /// Sends one statement (or several, one string) and waits for the server to be ready
    /// again: the answer includes the commit.
    async fn send(&self, client: &Client, sql: &str) -> Result<Vec<SimpleQueryMessage>, TeamError> {
        match tokio::time::timeout(self.timeout, client.simple_query(sql)).await {
            Ok(Ok(messages)) => Ok(messages),
            // An error the server raised inside the statement: its transaction rolled back.
            // A FATAL one (the session ended: an administrator's command, a shutdown) may come
            // after the commit, so it leaves the outcome in doubt.
            Ok(Err(error))
                if error
                    .as_db_error()
                    .is_some_and(|db| !matches!(db.severity(), "FATAL" | "PANIC")) =>
            {
                Err(TeamError::Refused(describe(&error)))
            }
            Ok(Err(error)) => Err(TeamError::InDoubt(describe(&error))),
            Err(_) => Err(TeamError::InDoubt(format!(
                "no answer within {} s",
                self.timeout.as_secs()
            ))),
        }
    }

    fn first_row(messages: &[SimpleQueryMessage]) -> Vec<Option<String>> {
        messages
            .iter()
            .find_map(|message| match message {
                SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_owned))
                        .collect(),
                ),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// What the server says about itself and the schema version (0 when there is no
    /// schema yet): one statement, or two the first time, before the schema exists.
    /// Also how many statements that took.
    async fn hello(&self, client: &Client) -> Result<(ServerInfo, usize), TeamError> {
        const ABOUT: &str = "SELECT current_setting('server_version'), \
            to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), \
            coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false), \
            current_user";
        let asked = now_ms();
        let with_schema = format!("{ABOUT}, (SELECT coalesce(max(version), 0) FROM linkus_schema)");
        let (row, statements) = match self.send(client, &with_schema).await {
            Ok(messages) => (Self::first_row(&messages), 1),
            // No schema yet (undefined_table): ask without it.
            Err(TeamError::Refused(why)) if why.contains("42P01") => {
                (Self::first_row(&self.send(client, ABOUT).await?), 2)
            }
            Err(error) => return Err(error),
        };
        let answered = now_ms();
        let get = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        let now = get(1);
        let local = (asked + answered) / 2;
        let clock_difference_ms = crate::guard::parse_time_ms(&now)
            .map(|db| db as i64 - local as i64)
            .unwrap_or(0);
        Ok((
            ServerInfo {
                server_version: get(0),
                schema_version: get(4).parse().unwrap_or(0),
                tls: get(2) == "t",
                now,
                clock_difference_ms,
                user: get(3),
            },
            statements,
        ))
    }

    /// A new connection, checked: the schema is there (applied now when missing and the role
    /// may) and not newer than this binary knows.
    async fn connect(&self) -> Result<Conn, TeamError> {
        let client = self.open().await?;
        let (mut info, mut setup) = self.hello(&client).await?;
        if info.schema_version < SCHEMA_VERSION && self.auto_migrate {
            setup += 1;
            match self.migrate_on(&client).await {
                Ok((_, version)) => info.schema_version = version,
                Err(TeamError::Refused(why)) => {
                    return Err(TeamError::Schema(Box::new(
                        Failure::new(
                            Kind::Network,
                            format!(
                                "The team journal's database has no linkus schema (version {SCHEMA_VERSION}), and role {} may not create it ({why}). Nothing was sent.",
                                info.user
                            ),
                        )
                        .hint("Run `linkus team init` once as a role that may create tables and functions in that database (its owner), then run this again."),
                    )))
                }
                Err(other) => return Err(other),
            }
        }
        if info.schema_version > SCHEMA_VERSION {
            return Err(TeamError::Schema(Box::new(
                Failure::new(
                    Kind::Network,
                    format!(
                        "The team journal's schema is version {}, newer than this linkus knows ({SCHEMA_VERSION}): another machine runs a newer linkus. Nothing was sent.",
                        info.schema_version
                    ),
                )
                .hint("Upgrade linkus on this machine, then run the command again."),
            )));
        }
        Ok(Conn {
            client,
            idle_since: Instant::now(),
            setup,
        })
    }

    /// Applies the missing migrations under an advisory lock, in one transaction; the schema
    /// version found under the lock and the one afterwards.
    async fn migrate_on(&self, client: &Client) -> Result<(i64, i64), TeamError> {
        let mut sql = format!(
            "BEGIN; {MIGRATION_LOCK}; \
             CREATE TABLE IF NOT EXISTS linkus_schema (version integer PRIMARY KEY, \
             applied_at timestamptz NOT NULL DEFAULT now(), applied_by text); \
             SELECT 'before', coalesce(max(version), 0) FROM linkus_schema; "
        );
        // Each migration runs only if its version is missing, decided inside the transaction
        // under the lock, so that a second machine waiting on the lock applies nothing.
        for (version, migration) in MIGRATIONS {
            sql.push_str(&format!(
                "DO $linkus_migration$ BEGIN \
                 IF NOT EXISTS (SELECT 1 FROM linkus_schema WHERE version = {version}) THEN \
                 EXECUTE {body}; \
                 INSERT INTO linkus_schema (version, applied_by) VALUES ({version}, {by}); \
                 END IF; END $linkus_migration$; ",
                body = lit(Some(migration)),
                by = lit(Some(&format!(
                    "linkus {} on {}",
                    env!("CARGO_PKG_VERSION"),
                    host_name()
                ))),
            ));
        }
        sql.push_str("COMMIT; SELECT 'after', coalesce(max(version), 0) FROM linkus_schema;");
        let messages = match self.send(client, &sql).await {
            Ok(messages) => messages,
            Err(error) => {
                let _ = client.simple_query("ROLLBACK").await;
                return Err(error);
            }
        };
        let version = |tag: &str| {
            messages
                .iter()
                .find_map(|message| match message {
                    SimpleQueryMessage::Row(row) if row.get(0) == Some(tag) => {
                        row.get(1).and_then(|v| v.parse().ok())
                    }
                    _ => None,
                })
                .unwrap_or(0)
        };
        Ok((version("before"), version("after")))
    }

    /// A connection from the pool (live and not idle for long), else a new one; and whether
    /// it came from the pool.
    async fn take(&self) -> Result<(Conn, bool), TeamError> {
        {
            let mut pool = self.pool.lock().await;
            while let Some(conn) = pool.pop() {
                if !conn.client.is_closed() && conn.idle_since.elapsed() < POOL_IDLE {
                    return Ok((conn, true));
                }
            }
        }
        Ok((self.connect().await?, false))
    }

    /// Opens connections until the pool holds `wanted` (at most its size), all at once, so
    /// that a batch's first orders find them ready: called while the batch's check phase waits
    /// on the portal. A connection that cannot be opened is left for the claim to report.
    pub async fn warm(&self, wanted: usize) {
        let missing = wanted
            .min(POOL_SIZE)
            .saturating_sub(self.pool.lock().await.len());
        let opened = futures_util::future::join_all((0..missing).map(|_| self.connect())).await;
        for mut conn in opened.into_iter().flatten() {
            // Set up before any order, not before the one that first uses it.
            conn.setup = 0;
            self.give_back(conn).await;
        }
    }

    async fn give_back(&self, mut conn: Conn) {
        if conn.client.is_closed() {
            return;
        }
        conn.idle_since = Instant::now();
        let mut pool = self.pool.lock().await;
        if pool.len() < POOL_SIZE {
            pool.push(conn);
        }
    }

    /// Sends one statement on a pooled connection; a pooled connection found closed is
    /// replaced, and one that fails without an answer is retried once on a new connection
    /// (`retry_safe`: the statement is idempotent).
    async fn one(&self, sql: &str, retry_safe: bool) -> Result<Vec<SimpleQueryMessage>, TeamError> {
        self.counted(sql, retry_safe).await.0
    }

    /// [`Self::one`], and how many statements it took, the set-up of a new connection
    /// included (for `-v` and the benchmark: a shared counter cannot tell one order's
    /// statements from another's in a batch).
    async fn counted(
        &self,
        sql: &str,
        retry_safe: bool,
    ) -> (Result<Vec<SimpleQueryMessage>, TeamError>, usize) {
        let (mut conn, pooled) = match self.take().await {
            Ok(taken) => taken,
            Err(error) => return (Err(error), 0),
        };
        let mut sent = std::mem::take(&mut conn.setup) + 1;
        match self.send(&conn.client, sql).await {
            Ok(messages) => {
                self.give_back(conn).await;
                (Ok(messages), sent)
            }
            Err(TeamError::InDoubt(_)) if pooled && retry_safe => {
                drop(conn);
                let mut conn = match self.connect().await {
                    Ok(conn) => conn,
                    Err(error) => return (Err(error), sent),
                };
                sent += std::mem::take(&mut conn.setup) + 1;
                let result = self.send(&conn.client, sql).await;
                if result.is_ok() {
                    self.give_back(conn).await;
                }
                (result, sent)
            }
            Err(error) => (Err(error), sent),
        }
    }

    fn json_of(messages: &[SimpleQueryMessage]) -> Result<serde_json::Value, TeamError> {
        let text = Self::first_row(messages)
            .into_iter()
            .next()
            .flatten()
            .ok_or_else(|| TeamError::Refused("the team journal gave no answer".to_owned()))?;
        serde_json::from_str(&text).map_err(unread)
    }

    /// The claim: one statement. The claim is idempotent by entry id, so a stale pooled
    /// connection is retried once.
    pub async fn claim(&self, claim: &ClaimRequest<'_>) -> Result<Claim, TeamError> {
        let sql = format!(
            "SELECT linkus_claim({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
            lit(Some(claim.id)),
            lit(Some(claim.portal)),
            lit(Some(claim.sn)),
            lit(Some(claim.operation)),
            lit_array(claim.again),
            lit(claim.plan_id),
            lit(claim.plan_name),
            claim.years.map_or("NULL".to_owned(), |y| y.to_string()),
            lit(claim.billing_contact_id),
            lit(claim.po_number),
            lit(Some(claim.profile)),
            lit(Some(&host_name())),
            lit(Some(&user_name())),
            std::process::id(),
            lit(Some(&redact::scrub(claim.command))),
            lit(Some(env!("CARGO_PKG_VERSION"))),
            lit(Some(claim.local_time)),
        );
        let (answer, sent) = self.counted(&sql, true).await;
        self.count(claim.id, Some(sent), None);
        let value = Self::json_of(&answer?)?;
        let entry: TeamEntry = serde_json::from_value(value["entry"].clone()).map_err(unread)?;
        Ok(if value["claimed"] == serde_json::Value::Bool(true) {
            Claim::Claimed
        } else {
            Claim::Blocked(Box::new(entry))
        })
    }

    /// Writes an outcome: one statement, idempotent; a settled outcome is never overwritten.
    /// Whether the entry was found.
    pub async fn settle(&self, outcome: &Settle<'_>) -> Result<bool, TeamError> {
        let sql = format!(
            "SELECT linkus_settle({}, {}, {}, {}, {}, {})",
            lit(Some(outcome.id)),
            lit(Some(outcome.outcome)),
            lit(outcome.order_no),
            lit(outcome.order_status),
            lit(outcome.request_id),
            lit(Some(&outcome_by())),
        );
        let (answer, sent) = self.counted(&sql, true).await;
        self.count(outcome.id, None, Some(sent));
        let value = Self::json_of(&answer?)?;
        Ok(value["found"] == serde_json::Value::Bool(true))
    }

    /// Many outcomes at once (`team sync`): one statement; how many entries changed.
    pub async fn settle_many(&self, outcomes: &[Settle<'_>]) -> Result<usize, TeamError> {
        if outcomes.is_empty() {
            return Ok(0);
        }
        let by = lit(Some(&outcome_by()));
        let rows: Vec<String> = outcomes
            .iter()
            .map(|o| {
                format!(
                    "({}, {}, {}, {}, {})",
                    lit(Some(o.id)),
                    lit(Some(o.outcome)),
                    lit(o.order_no),
                    lit(o.order_status),
                    lit(o.request_id)
                )
            })
            .collect();
        let sql = format!(
            "SELECT count(*) FILTER (WHERE (linkus_settle(v.id, v.outcome, v.order_no, v.order_status, v.request_id, {by})->>'changed')::boolean) \
             FROM (VALUES {}) AS v(id, outcome, order_no, order_status, request_id)",
            rows.join(", ")
        );
        let messages = self.one(&sql, true).await?;
        Ok(Self::first_row(&messages)
            .first()
            .cloned()
            .flatten()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0))
    }

    /// Entries not settled (in flight, unknown, open) for a portal (every portal with
    /// `None`), oldest first.
    pub async fn unsettled(&self, portal: Option<&str>) -> Result<Vec<TeamEntry>, TeamError> {
        let filter = match portal {
            Some(portal) => format!("AND e.portal = linkus_portal_key({})", lit(Some(portal))),
            None => String::new(),
        };
        self.entries(&format!(
            "linkus_state(e.outcome, e.order_no) IN ('in_flight', 'unknown', 'open') {filter}"
        ))
        .await
    }

    /// One entry by its id.
    pub async fn entry(&self, id: &str) -> Result<Option<TeamEntry>, TeamError> {
        Ok(self
            .entries(&format!("e.id = {}", lit(Some(id))))
            .await?
            .into_iter()
            .next())
    }

    /// The entries of one SN that can still matter to a decision: not settled, or made in
    /// the last 7 days; oldest first.
    pub async fn entries_of_sn(&self, portal: &str, sn: &str) -> Result<Vec<TeamEntry>, TeamError> {
        self.entries(&format!(
            "e.portal = linkus_portal_key({}) AND e.sn = linkus_sn_key({}) AND {STILL_MATTERS}",
            lit(Some(portal)),
            lit(Some(sn))
        ))
        .await
    }

    /// The entries of several SNs at once, as [`TeamJournal::entries_of_sn`] gives each: a
    /// batch's check phase asks once for all its rows, not once per row.
    pub async fn entries_of_sns(
        &self,
        portal: &str,
        sns: &[String],
    ) -> Result<Vec<TeamEntry>, TeamError> {
        if sns.is_empty() {
            return Ok(Vec::new());
        }
        self.entries(&format!(
            "e.portal = linkus_portal_key({}) \
             AND e.sn IN (SELECT linkus_sn_key(x) FROM unnest({}) AS x) AND {STILL_MATTERS}",
            lit(Some(portal)),
            lit_array(sns)
        ))
        .await
    }

    /// The entries of one portal with these order numbers.
    pub async fn by_order_numbers(
        &self,
        portal: &str,
        numbers: &[String],
    ) -> Result<Vec<TeamEntry>, TeamError> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        self.entries(&format!(
            "e.portal = linkus_portal_key({}) AND e.order_no = ANY ({})",
            lit(Some(portal)),
            lit_array(numbers)
        ))
        .await
    }

    async fn entries(&self, condition: &str) -> Result<Vec<TeamEntry>, TeamError> {
        let sql = format!(
            "SELECT coalesce(json_agg(linkus_entry_json(e) ORDER BY e.created_at), '[]'::json) \
             FROM linkus_entries e WHERE {condition}"
        );
        let value = Self::json_of(&self.one(&sql, true).await?)?;
        serde_json::from_value(value).map_err(unread)
    }

    /// `team init`: connects without applying anything, then applies what is missing.
    /// The server's description and the schema version before and after.
    pub async fn init(&self) -> Result<(ServerInfo, i64), TeamError> {
        let client = self.open().await?;
        let (mut info, _) = self.hello(&client).await?;
        if info.schema_version > SCHEMA_VERSION {
            return Err(TeamError::Schema(Box::new(
                Failure::new(
                    Kind::Network,
                    format!(
                        "The team journal's schema is version {}, newer than this linkus knows ({SCHEMA_VERSION}).", info.schema_version
                    ),
                )
                .hint("Upgrade linkus on this machine."),
            )));
        }
        let (before, after) = self.migrate_on(&client).await?;
        info.schema_version = after;
        Ok((info, before))
    }

    /// Connects and asks the server about itself, changing nothing (`doctor`).
    pub async fn probe(&self) -> Result<ServerInfo, TeamError> {
        let client = self.open().await?;
        Ok(self.hello(&client).await?.0)
    }
}

/// The intent as the claim sends it.
#[derive(Debug)]
pub struct ClaimRequest<'a> {
    pub id: &'a str,
    pub portal: &'a str,
    pub sn: &'a str,
    pub operation: &'a str,
    pub again: &'a [String],
    pub plan_id: Option<&'a str>,
    pub plan_name: Option<&'a str>,
    pub years: Option<u8>,
    pub billing_contact_id: Option<&'a str>,
    pub po_number: Option<&'a str>,
    pub profile: &'a str,
    pub command: &'a str,
    pub local_time: &'a str,
}

/// An outcome to write.
#[derive(Debug, Clone)]
pub struct Settle<'a> {
    pub id: &'a str,
    pub outcome: &'a str,
    pub order_no: Option<&'a str>,
    pub order_status: Option<&'a str>,
    pub request_id: Option<&'a str>,
}

impl<'a> Settle<'a> {
    /// The local journal's outcome, as the team journal is told it.
    pub fn of(outcome: &'a crate::journal::Outcome) -> Settle<'a> {
        Settle {
            id: &outcome.id,
            outcome: outcome.outcome.as_str(),
            order_no: outcome.order_no.as_deref(),
            order_status: outcome.order_status.as_deref(),
            request_id: outcome.request_id.as_deref(),
        }
    }
}

pub(crate) fn now_ms() -> u64 {
    crate::portal_clock::epoch_ms(std::time::SystemTime::now())
}

/// The name this machine gives itself in the team journal: `LINKUS_HOST_NAME`, else the
/// host name (asked once a run: every claim and outcome names it).
pub fn host_name() -> String {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        std::env::var("LINKUS_HOST_NAME")
            .ok()
            .filter(|name| !name.trim().is_empty())
            .or_else(|| whoami::hostname().ok())
            .unwrap_or_else(|| "unknown-host".to_owned())
    })
    .clone()
}

/// The OS user (asked once a run: `whoami` reads the user database).
pub fn user_name() -> String {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        whoami::username()
            .ok()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "unknown-user".to_owned())
    })
    .clone()
}

/// Who writes an outcome: `user@host`.
fn outcome_by() -> String {
    format!("{}@{}", user_name(), host_name())
}

/// The command line for the entry, arguments that might hold secrets left out.
pub fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    redact::scrub(&format!("linkus {}", args.join(" ")))
}

/// The failure for a team journal that cannot be used before the intent (exit 6).
pub fn unusable(team: &TeamJournal, sn: &str, error: TeamError) -> Failure {
    let shown = team.shown();
    match error {
        TeamError::Schema(failure) => *failure,
        TeamError::InDoubt(why) => Failure::new(
            Kind::Network,
            format!(
                "The team journal ({shown}) did not confirm the intent for SN {sn} ({why}), so the order was not sent: nothing was bought."
            ),
        )
        .hint("The intent may have been written: if another run then reports this SN as blocked by this machine, `linkus orders reconcile` settles it.")
        .hint("Check the database, then run the command again (or `--team-journal off` to order without it, at your own risk)."),
        TeamError::Unreachable(why) | TeamError::Refused(why) => Failure::new(
            Kind::Network,
            format!(
                "Could not use the team journal ({shown}): {why}. The order for SN {sn} was not sent: nothing was bought."
            ),
        )
        .hint("Check that the database is up and reachable (`linkus doctor`), then run the command again.")
        .hint("To order without the team journal for one run, add `--team-journal off` (other machines cannot then see this order)."),
    }
}

/// Exit 9: an entry of the team journal blocks the order. It names the entry, who made it,
/// where and how long ago, and what unblocks it.
pub fn blocked(entry: &TeamEntry, operation: &str, again: &[String]) -> Failure {
    let who = entry.who();
    let age = entry.age();
    let order = entry.order_no.as_deref();
    let (message, hints): (String, Vec<String>) = match entry.state.as_str() {
        "in_flight" => (
            format!(
                "Another linkus run is ordering for SN {sn}, or stopped before its outcome was known: team journal entry {id} by {who}, {age} ago, has no outcome yet. Nothing was sent.",
                sn = entry.sn, id = entry.id
            ),
            vec![
                "Wait for that run to finish, then run the command again.".to_owned(),
                format!("If that run died, `linkus orders reconcile` (on any machine) looks its order up in the portal and settles the entry; if the portal shows no such order, `linkus orders reconcile --not-placed {}` unblocks the SN.", entry.id),
            ],
        ),
        "unknown" => (
            format!(
                "An earlier {op} for SN {sn} (team journal entry {id} by {who}, {age} ago) has no known outcome: it may have been placed. Nothing was sent.",
                op = if entry.operation == "any" { "order" } else { &entry.operation },
                sn = entry.sn,
                id = entry.id
            ),
            vec![
                "Run `linkus orders reconcile` (on any machine) to look it up in the portal.".to_owned(),
                format!("If the portal shows no such order, `linkus orders reconcile --not-placed {}` records that it was not placed and unblocks the SN.", entry.id),
            ],
        ),
        "open" => (
            format!(
                "Order {} for SN {} is still {} (team journal, ordered by {who} {age} ago); nothing was sent.",
                order.unwrap_or("?"),
                entry.sn,
                entry.outcome.as_deref().unwrap_or("open")
            ),
            vec![
                "Finish or cancel it in the Partner Portal (Orders & Billing > Orders), then `linkus orders reconcile` records it.".to_owned(),
            ],
        ),
        _ => {
            let mut hints = Vec::new();
            if let Some(given) = again.first() {
                hints.push(format!("--again {given} does not name that order."));
            }
            hints.push(match order {
                Some(order) => format!("If you mean to order again for this PBX, run the same command with `--again {order}`."),
                None => "Check the order in the Partner Portal (Orders & Billing > Orders).".to_owned(),
            });
            (
                format!(
                    "SN {} already had a {operation} that succeeded {age} ago: order {} (team journal, ordered by {who}). Nothing was sent.",
                    entry.sn,
                    order.unwrap_or("(number unknown)")
                ),
                hints,
            )
        }
    };
    let mut failure = Failure::new(Kind::Blocked, message);
    for hint in hints {
        failure = failure.hint(hint);
    }
    failure.blocked_by = Some(crate::error::BlockedBy {
        entry: Some(entry.id.clone()),
        order_no: entry.order_no.clone(),
        source: Some("team"),
        host: entry.host.clone(),
        user: entry.user.clone(),
        // Only a run that may still be alive (its entry in flight) is named by its pid.
        pid: entry
            .pid
            .filter(|_| entry.state == "in_flight")
            .and_then(|pid| u32::try_from(pid).ok()),
        age: u64::try_from(entry.age_seconds).ok(),
    });
    failure
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_cannot_end_the_string() {
        assert_eq!(lit(Some("a'b")), "'a''b'");
        assert_eq!(
            lit(Some("a\\'; DROP TABLE x; --")),
            "'a\\''; DROP TABLE x; --'"
        );
        assert_eq!(lit(None), "NULL");
        assert_eq!(lit(Some("nul\0here")), "'nulhere'");
    }

    #[test]
    fn ages_read_as_a_person_says_them() {
        assert_eq!(age_text(42), "42 s");
        assert_eq!(age_text(600), "10 min");
        assert_eq!(age_text(3 * 3600), "3 h");
        assert_eq!(age_text(-5), "0 s");
    }
}
