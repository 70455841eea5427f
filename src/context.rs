//! Settings resolved once from flags and the environment, and the portal built from them.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Result;
use url::Url;

use crate::cli::GlobalArgs;
use crate::config::{self, CredentialSource, Credentials, Dirs};
use crate::output::{Mode, Output};
use crate::portal::http::{Http, RetryPolicy};
use crate::portal::token::{TokenCache, TokenManager};
use crate::portal::Portal;
use crate::redact::Secret;
use crate::sandbox;

pub const DEFAULT_BASE_URL: &str = "https://openapi.partner.yeastar.com";

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
fn ci_is_set() -> bool {
    std::env::var("CI").is_ok_and(|value| {
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

pub struct Context {
    pub global: GlobalArgs,
    pub out: Output,
    pub dirs: Dirs,
    /// Prompts are allowed: a terminal on stdin and stderr, no `--no-input`, no `CI`.
    pub interactive: bool,
    pub retry: RetryPolicy,
    sandbox: OnceLock<sandbox::Embedded>,
}

impl Context {
    pub fn new(global: GlobalArgs, out: Output) -> Result<Self> {
        let interactive = !global.no_input
            && !ci_is_set()
            && std::io::stdin().is_terminal()
            && std::io::stderr().is_terminal();
        let mut retry = RetryPolicy::default();
        if let Some(base) = env_millis("LINKUS_RETRY_BASE_MS") {
            retry.base_delay = base;
        }
        if let Some(max) = env_millis("LINKUS_RETRY_MAX_MS") {
            retry.max_delay = max;
        }
        Ok(Context {
            dirs: Dirs::from_env()?,
            global,
            out,
            interactive,
            retry,
            sandbox: OnceLock::new(),
        })
    }

    /// Why prompts are off, in the user's terms, for usage errors.
    pub fn prompts_off_reason(&self) -> &'static str {
        if self.global.no_input {
            "--no-input is set"
        } else if ci_is_set() {
            "CI is set"
        } else if !std::io::stdin().is_terminal() {
            "stdin is not a terminal"
        } else {
            "stderr is not a terminal"
        }
    }

    pub fn profile(&self) -> &str {
        &self.global.profile
    }

    /// The portal's name in caches and the journal: its base URL, or `sandbox`.
    pub fn portal_label(&self) -> String {
        if self.global.sandbox {
            "sandbox".to_owned()
        } else {
            self.configured_base_url().to_string()
        }
    }

    fn configured_base_url(&self) -> Url {
        self.global
            .base_url
            .clone()
            .unwrap_or_else(|| Url::parse(DEFAULT_BASE_URL).expect("valid default URL"))
    }

    /// The URL requests go to; with `--sandbox`, the embedded portal is started first.
    pub fn base_url(&self) -> Result<Url> {
        if !self.global.sandbox {
            return Ok(self.configured_base_url());
        }
        if let Some(embedded) = self.sandbox.get() {
            return Ok(embedded.url.clone());
        }
        let embedded = sandbox::Embedded::start(&self.dirs.sandbox_dir())?;
        self.out.notice(&format!(
            "{} using the built-in sandbox portal at {}: no account, no money (state in {})",
            self.out.style.dim("Sandbox:"),
            embedded.url.as_str().trim_end_matches('/'),
            self.dirs.sandbox_dir().display()
        ));
        Ok(self.sandbox.get_or_init(|| embedded).url.clone())
    }

    /// The credentials in use: the sandbox's, the environment's or the profile's.
    pub fn credentials(&self) -> Result<Credentials> {
        if self.global.sandbox {
            return Ok(Credentials {
                client_id: sandbox::CLIENT_ID.to_owned(),
                client_secret: Secret::new(sandbox::CLIENT_SECRET),
                source: CredentialSource::Sandbox,
            });
        }
        config::find_credentials(&self.dirs, self.profile())?
            .active
            .ok_or_else(|| config::no_credentials(self.profile()))
    }

    pub fn http(&self) -> Result<Http> {
        Http::new(
            self.base_url()?,
            self.global.timeout,
            self.retry.clone(),
            self.global.verbose,
        )
    }

    pub fn token_cache(&self, client_id: &str) -> TokenCache {
        TokenCache::new(
            &self.dirs.cache,
            self.profile(),
            &self.portal_label(),
            client_id,
        )
    }

    /// A portal client with the credentials in use.
    pub fn portal(&self) -> Result<Portal> {
        let credentials = self.credentials()?;
        self.portal_with(credentials)
    }

    pub fn portal_with(&self, credentials: Credentials) -> Result<Portal> {
        let cache = self.token_cache(&credentials.client_id);
        Ok(Portal::new(
            self.http()?,
            TokenManager::new(credentials, cache),
        ))
    }
}
