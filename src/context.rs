//! The run's context, in parts a function can take one by one: the [`Settings`] resolved
//! once from flags and the environment, the [`Output`], the clock, the [`Portal`] clients
//! come from, the [`Orders`] on the wire and the team journal.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::Result;
use url::Url;
use yeastar_partner::{Client, Clock, Observer, RetryPolicy, SystemClock, DEFAULT_BASE_URL};

use crate::cli::GlobalArgs;
use crate::config::{self, CredentialSource, Credentials, Dirs};
use crate::output::{Mode, Output};
use crate::records::InFlight;
use crate::redact::{self, without_userinfo};
use crate::team::{self, TeamJournal};
use crate::tokens::FileTokenStore;

mod portal;
pub use portal::Portal;

pub const USER_AGENT: &str = concat!("linkus-cli/", env!("CARGO_PKG_VERSION"));

/// The output mode: `--json` or `LINKUS_OUTPUT=json`, then `--quiet`.
pub fn output_mode(json_flag: bool, quiet: bool) -> Mode {
    let json_env =
        std::env::var("LINKUS_OUTPUT").is_ok_and(|v| v.trim().eq_ignore_ascii_case("json"));
    if json_flag || json_env {
        Mode::Json
    } else if quiet {
        Mode::Quiet
    } else {
        Mode::Human
    }
}

/// `CI=true`, `CI=1`, … turn prompts off; `CI=false` or `CI=0` does not.
fn truthy(name: &str) -> bool {
    std::env::var(name).is_ok_and(|value| {
        let value = value.trim().to_ascii_lowercase();
        !matches!(value.as_str(), "" | "0" | "false" | "no" | "off")
    })
}

fn env_millis(name: &str) -> Option<Duration> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
}

/// Why prompts are off, in the user's terms, or `None` when they are on.
fn prompts_off(no_input_flag: bool) -> Option<&'static str> {
    let flag_given = std::env::args_os().any(|arg| arg == "--no-input");
    if no_input_flag && flag_given {
        Some("--no-input is set")
    } else if no_input_flag || truthy("LINKUS_NO_INPUT") {
        Some("LINKUS_NO_INPUT is set")
    } else if truthy("CI") {
        Some("CI is set")
    } else if !std::io::stdin().is_terminal() {
        Some("stdin is not a terminal")
    } else if !std::io::stderr().is_terminal() {
        Some("stderr is not a terminal")
    } else {
        None
    }
}

/// What the flags, the environment and the folders say, resolved once: read by everything,
/// changed by nothing (uv's settings structs). A command that needs only these and the
/// [`Output`] takes just the two.
pub struct Settings {
    pub global: GlobalArgs,
    pub dirs: Dirs,
    /// Why prompts are off; `None` when a person can be asked.
    prompts_off: Option<&'static str>,
    pub retry: RetryPolicy,
}

/// The run: its [`Settings`] and [`Output`] (the printer), and what it builds from them and
/// keeps while it runs: the clock, the [`Portal`] clients come from, the [`Orders`] on the
/// wire and the team journal. A function takes the parts it uses; one that takes a `Context`
/// builds clients, places orders or reaches the team journal.
pub struct Context {
    pub settings: Settings,
    pub out: Output,
    pub clock: Arc<dyn Clock>,
    /// Where portal clients come from.
    pub portal: Portal,
    /// The orders on the wire, for what a signal must journal and say.
    pub orders: Orders,
    /// The team journal, resolved on first use.
    team: OnceLock<Option<Arc<TeamJournal>>>,
}

/// Prints a command's result so far when a signal ends the run (a batch's rows), given the
/// signal's kind and the SNs whose orders were on the wire; true when it printed.
pub type InterruptReport = Box<dyn FnOnce(&Context, crate::error::Kind, &[String]) -> bool + Send>;

/// The order requests on the wire right now (a batch has several) and what to print if a
/// signal ends the run: the one state that commands change while they run.
#[derive(Default)]
pub struct Orders {
    in_flight: Mutex<Vec<InFlight>>,
    /// An order request left during this run.
    placed: std::sync::atomic::AtomicBool,
    /// What a command whose result is a list prints if a signal ends it early.
    interrupt_report: Mutex<Option<InterruptReport>>,
}

impl Orders {
    /// Marks an order request as on the wire; cleared by [`Orders::landed`]. It is not
    /// cleared on drop: when an interruption cancels the order's future, the report must
    /// still know that an order was on its way.
    pub fn sent(&self, order: InFlight) {
        self.placed.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut list) = self.in_flight.lock() {
            list.push(order);
        }
    }

    /// The order request of this journal entry came back, one way or another.
    pub fn landed(&self, entry: &str) {
        if let Ok(mut list) = self.in_flight.lock() {
            list.retain(|order| order.entry != entry);
        }
    }

    /// Sets (or with `None` clears) what to print if a signal ends the run now.
    pub fn on_interrupt(&self, report: Option<InterruptReport>) {
        if let Ok(mut slot) = self.interrupt_report.lock() {
            *slot = report;
        }
    }

    /// Prints the result so far, if the command left a way to; true when it did.
    pub fn report_interrupted(
        &self,
        ctx: &Context,
        kind: crate::error::Kind,
        in_flight: &[String],
    ) -> bool {
        let report = self
            .interrupt_report
            .lock()
            .ok()
            .and_then(|mut slot| slot.take());
        report.is_some_and(|report| report(ctx, kind, in_flight))
    }

    /// Whether an order request left during this run.
    pub fn placed_any(&self) -> bool {
        self.placed.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The orders on the wire, taken for an interruption to journal.
    pub fn take(&self) -> Vec<InFlight> {
        self.in_flight
            .lock()
            .map(|mut list| std::mem::take(&mut *list))
            .unwrap_or_default()
    }
}

impl Settings {
    /// Prompts are allowed: a terminal on stdin and stderr, no `--no-input`, no `CI`.
    pub fn interactive(&self) -> bool {
        self.prompts_off.is_none()
    }

    /// Why prompts are off, for usage errors.
    pub fn prompts_off_reason(&self) -> &'static str {
        self.prompts_off.unwrap_or("prompts are on")
    }

    pub fn profile(&self) -> &str {
        &self.global.profile
    }

    /// The portal's name in caches, the journal and summaries: its base URL without user
    /// name or password (written as linkus 0.1 wrote it, so that its journal lines still
    /// count), or `sandbox`.
    pub fn portal_label(&self) -> String {
        if self.global.sandbox {
            "sandbox".to_owned()
        } else {
            without_userinfo(&self.configured_base_url()).to_string()
        }
    }

    /// What identifies the portal for locks: its label, or for the sandbox its state folder,
    /// so that sandboxes of different homes never block each other.
    pub fn portal_key(&self) -> String {
        if self.global.sandbox {
            self.sandbox_portal_key()
        } else {
            crate::portal_key::normalise(&self.portal_label())
        }
    }

    /// The lock key of this data folder's sandbox, with or without `--sandbox`.
    pub fn sandbox_portal_key(&self) -> String {
        let dir = self.dirs.sandbox_dir();
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        format!("sandbox:{}", dir.display())
    }

    pub fn configured_base_url(&self) -> Url {
        self.global.base_url.clone().unwrap_or_else(|| {
            Url::parse(DEFAULT_BASE_URL)
                .unwrap_or_else(|_| Url::parse("https://localhost").expect("a valid URL"))
        })
    }

    /// The team journal setting, resolved from the flag, the environment and the profile.
    pub fn team_setting(&self) -> Result<team::Setting> {
        let profile_value = if self.global.team_journal.is_none()
            && std::env::var("LINKUS_TEAM_JOURNAL").map_or(true, |v| v.trim().is_empty())
        {
            config::ConfigFile::load(&self.dirs.config_file())
                .ok()
                .and_then(|mut file| file.profiles.remove(self.profile()))
                .and_then(|stored| stored.team_journal)
        } else {
            None
        };
        Ok(team::settings::resolve(
            self.global.team_journal.as_deref(),
            profile_value.as_deref(),
            self.global.timeout,
        )?)
    }

    /// The credentials in use: the sandbox's, the environment's or the profile's.
    pub fn credentials(&self) -> Result<Credentials> {
        if self.global.sandbox {
            return Ok(Credentials {
                client_id: linkus_sandbox::CLIENT_ID.to_owned(),
                client_secret: redact::secret(linkus_sandbox::CLIENT_SECRET),
                source: CredentialSource::Sandbox,
            });
        }
        config::find_credentials(&self.dirs, self.profile())?
            .active
            .ok_or_else(|| config::no_credentials(self.profile()))
    }

    pub fn token_store(&self, client_id: &str) -> FileTokenStore {
        FileTokenStore::new(
            &self.dirs.cache,
            self.profile(),
            &self.portal_label(),
            client_id,
        )
    }
}

impl Context {
    pub fn new(global: GlobalArgs, out: Output) -> Result<Self> {
        let mut retry = RetryPolicy::default();
        if let Some(base) = env_millis("LINKUS_RETRY_BASE_MS") {
            retry.base_delay = base;
        }
        if let Some(max) = env_millis("LINKUS_RETRY_MAX_MS") {
            retry.max_delay = max;
        }
        // A password inside --base-url is a secret like any other.
        if let Some(password) = global.base_url.as_ref().and_then(Url::password) {
            redact::remember(password);
            if let Ok(decoded) = urlencoding_decode(password) {
                redact::remember(&decoded);
            }
        }
        // The team journal's password (in the URL or PGPASSWORD) is a secret from the start;
        // a password on the command line is refused before anything else happens.
        if let Some(flag) = &global.team_journal {
            team::settings::remember_secrets(flag);
        }
        if let Ok(env) = std::env::var("LINKUS_TEAM_JOURNAL") {
            team::settings::remember_secrets(&env);
        }
        if let Some(flag) = &global.team_journal {
            team::settings::resolve(Some(flag), None, global.timeout)?;
        }
        let mut observers: Vec<Arc<dyn Observer>> = Vec::new();
        if let Some(dir) = &global.capture {
            let capture = crate::capture::Capture::new(dir, out.is_quiet()).map_err(|error| {
                crate::error::Failure::new(
                    crate::error::Kind::Config,
                    format!(
                        "Could not use the capture folder {}: {error:#}",
                        dir.display()
                    ),
                )
                .hint("Give --capture (LINKUS_CAPTURE) a folder you can write to.")
            })?;
            observers.push(Arc::new(capture));
        }
        Ok(Context {
            settings: Settings {
                dirs: Dirs::from_env()?,
                prompts_off: prompts_off(global.no_input),
                global,
                retry,
            },
            out,
            clock: Arc::new(SystemClock),
            portal: Portal::new(observers),
            orders: Orders::default(),
            team: OnceLock::new(),
        })
    }

    /// The team journal orders go through, if one is set (never for the sandbox). `off` is
    /// said once, on stderr.
    pub fn team_journal(&self) -> Result<Option<Arc<TeamJournal>>> {
        if let Some(team) = self.team.get() {
            return Ok(team.clone());
        }
        let team = if self.settings.global.sandbox {
            None
        } else {
            match self.settings.team_setting()? {
                team::Setting::Unset => None,
                team::Setting::Off(source) => {
                    self.out.warn(&format!(
                        "the team journal is off for this run ({}): linkus cannot check whether it holds orders of other machines for this SN that are unknown, in flight or open, and other machines will not see this run's orders.",
                        source.name()
                    ));
                    None
                }
                team::Setting::On(settings) => {
                    Some(TeamJournal::new(*settings, self.settings.global.timeout))
                }
            }
        };
        Ok(self.team.get_or_init(|| team).clone())
    }

    /// The URL requests go to; with `--sandbox`, the embedded portal is started first.
    pub fn base_url(&self) -> Result<Url> {
        self.portal.base_url(&self.settings, &self.out)
    }

    /// A portal client with the credentials in use.
    pub fn client(&self) -> Result<Client> {
        let credentials = self.settings.credentials()?;
        self.client_with(&credentials)
    }

    pub fn client_with(&self, credentials: &Credentials) -> Result<Client> {
        self.client_observed(credentials, None)
    }

    /// Like [`Context::client_with`], with one more observer of its HTTP exchanges (`doctor`
    /// reads the portal's `Date` header through one).
    pub fn client_observed(
        &self,
        credentials: &Credentials,
        extra: Option<Arc<dyn Observer>>,
    ) -> Result<Client> {
        let base_url = self.base_url()?;
        self.portal.client(
            &self.settings,
            base_url,
            self.clock.clone(),
            credentials,
            extra,
        )
    }

    /// Now, as RFC 3339 with milliseconds (UTC).
    pub fn now_rfc3339(&self) -> String {
        humantime::format_rfc3339_millis(self.clock.now()).to_string()
    }
}

/// `%40` and friends in a URL's password, decoded, so that the decoded form is scrubbed too.
fn urlencoding_decode(text: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes: Vec<u8> = url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned().into_bytes())
        .unwrap_or_default();
    String::from_utf8(bytes)
}
