//! The checks that need no portal: folders and their modes, where the credentials come from,
//! the base URL, TLS trust and the proxy in use.

use std::path::Path;

use url::Url;
use yeastar_partner::{Client, DEFAULT_BASE_URL};

use super::{Checks, Level};
use crate::config::{self, ConfigFile, Credentials};
use crate::context::{Context, Settings};
use crate::error::{diagnose, Kind};
use crate::lock::LockDir;
use crate::redact::without_userinfo;

/// The kind, the message and the hints of an error, for a check.
fn failed(error: &anyhow::Error) -> (Kind, String, Option<String>) {
    let report = diagnose(error);
    let mut message = report.message;
    for cause in report.causes {
        message.push_str(": ");
        message.push_str(&cause);
    }
    let hint = (!report.hints.is_empty()).then(|| report.hints.join(" "));
    (report.kind, message, hint)
}

#[cfg(unix)]
fn mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|meta| meta.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode_of(_path: &Path) -> Option<u32> {
    None
}

fn shown_mode(mode: Option<u32>) -> String {
    mode.map(|m| format!("mode {m:04o}")).unwrap_or_default()
}

/// `what (mode 0700)`, or just `what` where modes do not apply.
fn with_mode(what: impl std::fmt::Display, mode: Option<u32>) -> String {
    match mode {
        Some(_) => format!("{what} ({})", shown_mode(mode)),
        None => what.to_string(),
    }
}

/// Group or others can read or enter it.
fn is_open(mode: Option<u32>) -> bool {
    mode.is_some_and(|m| m & 0o077 != 0)
}

/// The config folder and file, the token cache, the data folder and the lock folder.
pub fn folders(settings: &Settings, checks: &mut Checks) {
    config_files(settings, checks);
    token_cache(settings, checks);
    data_folder(settings, checks);
    lock_folder(checks);
}

fn config_files(settings: &Settings, checks: &mut Checks) {
    let dir = &settings.dirs.config;
    let file = settings.dirs.config_file();
    if !dir.exists() {
        checks.pass(
            "config",
            format!(
                "{} does not exist yet (`linkus auth login` creates it)",
                dir.display()
            ),
        );
        return;
    }
    let dir_mode = mode_of(dir);
    if !file.exists() {
        checks.pass(
            "config",
            format!(
                "{}, no config.toml: no stored profile",
                with_mode(dir.display(), dir_mode)
            ),
        );
        return;
    }
    let file_mode = mode_of(&file);
    if is_open(file_mode) {
        checks.fail(
            "config",
            Kind::Config,
            format!(
                "{} is {}: other users can read the client secret in it",
                file.display(),
                shown_mode(file_mode)
            ),
            format!("Run `chmod 600 {}`.", file.display()),
        );
        return;
    }
    let profiles = match ConfigFile::load(&file) {
        Ok(config) => config.profiles.keys().cloned().collect::<Vec<_>>(),
        Err(error) => {
            let (kind, message, hint) = failed(&error);
            checks.add("config", Level::Fail(kind), message, hint);
            return;
        }
    };
    let detail = format!(
        "{}, {}, profiles: {}",
        with_mode(dir.display(), dir_mode),
        with_mode("config.toml", file_mode),
        if profiles.is_empty() {
            "none".to_owned()
        } else {
            profiles.join(", ")
        }
    );
    if is_open(dir_mode) {
        checks.warn(
            "config",
            detail,
            format!(
                "Other users can list the folder; `chmod 700 {}` keeps them out.",
                dir.display()
            ),
        );
    } else {
        checks.pass("config", detail);
    }
}

fn token_cache(settings: &Settings, checks: &mut Checks) {
    let files = crate::tokens::cache_files_of(&settings.dirs.cache, settings.profile());
    let open: Vec<_> = files.iter().filter(|f| is_open(mode_of(f))).collect();
    if let Some(file) = open.first() {
        checks.fail(
            "token cache",
            Kind::Config,
            format!(
                "{} is {}: other users can read the access token",
                file.display(),
                shown_mode(mode_of(file))
            ),
            format!("Run `chmod 600 {}`.", file.display()),
        );
    } else {
        let noun = if files.len() == 1 { "file" } else { "files" };
        checks.pass(
            "token cache",
            format!(
                "{}: {} {noun} for profile '{}'{}",
                settings.dirs.cache.join("tokens").display(),
                files.len(),
                settings.profile(),
                if files.is_empty() || !cfg!(unix) {
                    ""
                } else {
                    ", mode 0600"
                }
            ),
        );
    }
}

/// Writable, as the journal must be before any order.
fn writable(dir: &Path) -> anyhow::Result<()> {
    crate::files::ensure_private_dir(dir)?;
    tempfile::Builder::new()
        .prefix(".linkus-doctor-")
        .tempfile_in(dir)
        .map_err(|error| anyhow::anyhow!("cannot write in {}: {error}", dir.display()))?;
    Ok(())
}

fn data_folder(settings: &Settings, checks: &mut Checks) {
    let dir = &settings.dirs.data;
    let journal = settings.dirs.journal_file();
    let result = writable(dir).and_then(|()| {
        if journal.exists() {
            std::fs::OpenOptions::new()
                .append(true)
                .open(&journal)
                .map_err(|error| {
                    anyhow::anyhow!("cannot append to {}: {error}", journal.display())
                })?;
        }
        Ok(())
    });
    match result {
        Ok(()) => checks.pass(
            "data folder",
            format!(
                "{} is writable{}",
                dir.display(),
                if journal.exists() {
                    ", and so is the order journal"
                } else {
                    " (no order journal yet)"
                }
            ),
        ),
        Err(error) => checks.fail(
            "data folder",
            Kind::Config,
            format!("{error:#}"),
            "linkus writes each order to its journal before sending it, so it will not order without it: make the folder writable, or set LINKUS_DATA_DIR.",
        ),
    }
}

fn lock_folder(checks: &mut Checks) {
    match LockDir::locate().and_then(|locks| {
        writable(locks.path())?;
        Ok(locks)
    }) {
        Ok(locks) => checks.pass(
            "lock folder",
            format!("{} is yours and writable", locks.path().display()),
        ),
        Err(error) => {
            let (kind, message, hint) = failed(&error);
            checks.add(
                "lock folder",
                Level::Fail(kind),
                message,
                hint.or_else(|| Some("Set LINKUS_LOCK_DIR to a folder of yours.".to_owned())),
            );
        }
    }
}

/// Where the credentials come from; `None` when there are none to use.
pub fn credentials(settings: &Settings, checks: &mut Checks) -> Option<Credentials> {
    if settings.global.sandbox {
        checks.pass("credentials", "the built-in sandbox's (no account)");
        return settings.credentials().ok();
    }
    match config::find_credentials(&settings.dirs, settings.profile()) {
        Ok(lookup) => match lookup.active {
            Some(credentials) => {
                let detail = format!(
                    "from the {}, client ID {}",
                    credentials.source, credentials.client_id
                );
                if lookup.shadowed_profile {
                    checks.warn(
                        "credentials",
                        format!("{detail}; they override the stored profile '{}'", settings.profile()),
                        "Unset LINKUS_CLIENT_ID and LINKUS_CLIENT_SECRET to use the stored profile.",
                    );
                } else {
                    checks.pass("credentials", detail);
                }
                Some(credentials)
            }
            None => {
                let (kind, message, hint) = failed(&config::no_credentials(settings.profile()));
                checks.add("credentials", Level::Fail(kind), message, hint);
                None
            }
        },
        Err(error) => {
            let (kind, message, hint) = failed(&error);
            checks.add("credentials", Level::Fail(kind), message, hint);
            None
        }
    }
}

/// The portal's address; `None` when it cannot be used.
pub fn base_url(ctx: &Context, checks: &mut Checks) -> Option<Url> {
    if ctx.settings.global.sandbox {
        return match ctx.base_url() {
            Ok(url) => {
                checks.pass("portal", format!("the built-in sandbox at {url}"));
                Some(url)
            }
            Err(error) => {
                let (kind, message, hint) = failed(&error);
                checks.add("portal", Level::Fail(kind), message, hint);
                None
            }
        };
    }
    let url = ctx
        .settings
        .global
        .base_url
        .clone()
        .or_else(|| Url::parse(DEFAULT_BASE_URL).ok())?;
    let shown = without_userinfo(&url);
    if url.scheme() == "http" {
        checks.warn(
            "portal",
            format!(
                "{shown} is plain http: the client secret and tokens cross the network unencrypted"
            ),
            "Use https:// unless this is a test portal on your own machine.",
        );
    } else {
        checks.pass("portal", format!("{shown}"));
    }
    Some(url)
}

/// Where TLS certificates are trusted from, as reqwest's verifier reads them.
pub fn trust_store() -> String {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let unix_not_apple = cfg!(all(unix, not(target_vendor = "apple")));
    match (set("SSL_CERT_FILE"), set("SSL_CERT_DIR")) {
        (Some(file), _) if unix_not_apple => format!(
            "the certificates in SSL_CERT_FILE ({}), instead of the system's store",
            Path::new(&file).display()
        ),
        (None, Some(dir)) if unix_not_apple => format!(
            "the certificates in SSL_CERT_DIR ({}), instead of the system's store",
            Path::new(&dir).display()
        ),
        _ => "the system's trust store".to_owned(),
    }
}

/// The proxy requests to the portal go through, as reqwest decides it.
pub fn proxy(url: &Url, checks: &mut Checks) {
    let host = url.host_str().unwrap_or("");
    if Client::ignores_proxies_for(url) {
        checks.pass(
            "proxy",
            format!("none: {host} is this machine, which proxies are not used for"),
        );
        return;
    }
    let env = |names: [&'static str; 2]| {
        names.iter().find_map(|name| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(|v| (*name, v))
        })
    };
    let https = url.scheme() == "https";
    let source = if https {
        env(["HTTPS_PROXY", "https_proxy"])
    } else {
        env(["HTTP_PROXY", "http_proxy"])
    }
    .or_else(|| env(["ALL_PROXY", "all_proxy"]));
    if std::env::var_os("REQUEST_METHOD").is_some() && source.is_some() {
        checks.pass(
            "proxy",
            "none: REQUEST_METHOD is set, and proxy variables are then ignored (as in CGI scripts)",
        );
        return;
    }
    let intercept =
        url.as_str().parse::<http::Uri>().ok().and_then(|uri| {
            hyper_util::client::proxy::matcher::Matcher::from_system().intercept(&uri)
        });
    match (intercept, source) {
        (Some(intercept), source) => {
            let uri = intercept.uri();
            let scheme = uri.scheme_str().unwrap_or("http");
            let shown = format!(
                "{scheme}://{}",
                uri.authority()
                    .map(|a| a.as_str().rsplit('@').next().unwrap_or("").to_owned())
                    .unwrap_or_default()
            );
            let from = source
                .map(|(name, _)| format!(" (from {name})"))
                .unwrap_or_default();
            if scheme.starts_with("socks") {
                checks.fail(
                    "proxy",
                    Kind::Config,
                    format!("{shown}{from}, a SOCKS proxy, which this build of linkus cannot use"),
                    "Use an HTTP proxy, or set NO_PROXY for the portal's host.",
                );
            } else {
                checks.pass("proxy", format!("{shown}{from} for {host}"));
            }
        }
        (None, Some((name, _))) => {
            let no_proxy = std::env::var("NO_PROXY")
                .or_else(|_| std::env::var("no_proxy"))
                .unwrap_or_default();
            if no_proxy.trim().is_empty() {
                checks.warn(
                    "proxy",
                    format!("none: {name} is set but is not a proxy URL linkus can use"),
                    format!("Set {name} to a URL such as http://proxy.example:3128."),
                );
            } else {
                checks.pass(
                    "proxy",
                    format!("none: NO_PROXY covers {host} ({name} is set for other hosts)"),
                );
            }
        }
        (None, None) => checks.pass(
            "proxy",
            "none (HTTPS_PROXY, HTTP_PROXY and ALL_PROXY are not set)",
        ),
    }
}
