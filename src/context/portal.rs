//! Where portal clients come from: the configured portal or the embedded sandbox (started on
//! first use), with the observers every client reports its HTTP exchanges to.

use std::sync::{Arc, OnceLock};

use anyhow::Result;
use url::Url;
use yeastar_partner::{Client, Clock, Observer};

use super::{Settings, USER_AGENT};
use crate::config::Credentials;
use crate::http_log::{HttpLog, Observers};
use crate::output::Output;
use crate::portal_clock::PortalClock;

/// The client factory of a run: one embedded sandbox at most, the captures, and the portal's
/// clock that every client's answers set.
pub struct Portal {
    sandbox: OnceLock<linkus_sandbox::Embedded>,
    /// Observers of HTTP exchanges besides the log and the portal's clock (captures).
    observers: Vec<Arc<dyn Observer>>,
    /// The portal's clock, from the `Date` header of its answers.
    pub clock: Arc<PortalClock>,
}

impl Portal {
    pub fn new(observers: Vec<Arc<dyn Observer>>) -> Self {
        Portal {
            sandbox: OnceLock::new(),
            observers,
            clock: Arc::default(),
        }
    }

    /// The URL requests go to; with `--sandbox`, the embedded portal is started first.
    pub fn base_url(&self, settings: &Settings, out: &Output) -> Result<Url> {
        if !settings.global.sandbox {
            return Ok(settings.configured_base_url());
        }
        if let Some(embedded) = self.sandbox.get() {
            return Ok(embedded.url.clone());
        }
        let embedded = linkus_sandbox::Embedded::start(&settings.dirs.sandbox_dir())?;
        // The one-line notice went out first (`app::announce_sandbox`); where it runs is
        // for -v.
        if settings.global.verbose > 0 {
            crate::output::log_line(&format!(
                "sandbox portal at {} (state in {})",
                embedded.url.as_str().trim_end_matches('/'),
                settings.dirs.sandbox_dir().display()
            ));
        }
        if settings.global.base_url.is_some() {
            out.warn("--base-url (LINKUS_BASE_URL) is ignored with --sandbox.");
        }
        Ok(self.sandbox.get_or_init(|| embedded).url.clone())
    }

    /// A client of the portal at `base_url` with these credentials, its token cached in the
    /// profile's cache, its exchanges logged (`-v`), captured and read for the portal's clock,
    /// and by `extra` if given.
    pub fn client(
        &self,
        settings: &Settings,
        base_url: Url,
        clock: Arc<dyn Clock>,
        credentials: &Credentials,
        extra: Option<Arc<dyn Observer>>,
    ) -> Result<Client> {
        let mut observers: Vec<Arc<dyn Observer>> = vec![Arc::new(HttpLog {
            verbosity: settings.global.verbose,
        })];
        observers.push(self.clock.clone());
        observers.extend(self.observers.iter().cloned());
        observers.extend(extra);
        let client = Client::builder(base_url, credentials.for_client())
            .token_store(Arc::new(settings.token_store(&credentials.client_id)))
            .timeout(settings.global.timeout)
            .retry(settings.retry.clone())
            .user_agent(USER_AGENT)
            .observer(Arc::new(Observers(observers)))
            .clock(clock)
            .build()?;
        Ok(client)
    }
}
