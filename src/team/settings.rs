//! Where the team journal is and how to reach it: the URL from `--team-journal`,
//! `LINKUS_TEAM_JOURNAL` or the profile's `team_journal`, `sslmode` and `sslrootcert` as libpq
//! reads them, and the password from the URL (never the command line), `PGPASSWORD` or
//! `~/.pgpass`. Every password found is remembered as a secret, so it is scrubbed from
//! every output.

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::error::{Failure, Kind};
use crate::redact;

/// libpq's `sslmode`; `allow` is read as `prefer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn parse(text: &str) -> Option<SslMode> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

/// Where the setting came from, to name it in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    Environment,
    Profile,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Flag => "--team-journal",
            Source::Environment => "LINKUS_TEAM_JOURNAL",
            Source::Profile => "the profile's team_journal",
        }
    }
}

/// Where the password came from (never the password itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSource {
    None,
    Url,
    PgPassword,
    PgPass,
}

/// The team journal as configured.
#[derive(Debug, Clone)]
pub enum Setting {
    /// Nothing configured.
    Unset,
    /// `off` for this run.
    Off(Source),
    On(Box<Settings>),
}

/// How to reach the team journal.
#[derive(Clone)]
pub struct Settings {
    pub source: Source,
    /// The URL without its password, for messages.
    pub shown: String,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub database: String,
    pub password: Option<redact::Secret>,
    pub password_source: PasswordSource,
    pub sslmode: SslMode,
    pub sslrootcert: Option<PathBuf>,
    pub connect_timeout: Duration,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("shown", &self.shown)
            .field("sslmode", &self.sslmode)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Whether the server is on this machine (TLS off there is a warning, not a failure).
    pub fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
            || host.starts_with('/')
    }
}

fn usage(source: Source, message: String) -> Failure {
    let failure = Failure::new(Kind::Usage, message);
    match source {
        Source::Profile => failure.hint("Fix team_journal in the profile (config.toml), or run with --team-journal off."),
        _ => failure.hint("Give a URL such as postgresql://linkus@db.example.com/linkus?sslmode=verify-full, or `off`."),
    }
}

/// The password in a URL, percent-decoded.
fn url_password(url: &Url) -> Option<String> {
    url.password().map(percent_decode)
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Remembers the password of a URL-like text as a secret, before anything can print it.
pub fn remember_secrets(text: &str) {
    if let Ok(url) = Url::parse(text.trim()) {
        if let Some(password) = url.password() {
            redact::remember(password);
            if let Some(decoded) = url_password(&url) {
                redact::remember(&decoded);
            }
        }
    }
    if let Ok(password) = std::env::var("PGPASSWORD") {
        redact::remember(&password);
    }
}

/// Resolves the setting: the flag, then the environment, then the profile.
pub fn resolve(
    flag: Option<&str>,
    profile_value: Option<&str>,
    timeout: Duration,
) -> Result<Setting, Failure> {
    let env = std::env::var("LINKUS_TEAM_JOURNAL")
        .ok()
        .filter(|v| !v.trim().is_empty());
    for text in [flag, env.as_deref(), profile_value].into_iter().flatten() {
        remember_secrets(text);
    }
    let (text, source) = match (flag, env.as_deref(), profile_value) {
        (Some(flag), _, _) => (flag, Source::Flag),
        (None, Some(env), _) => (env, Source::Environment),
        (None, None, Some(profile)) => (profile, Source::Profile),
        (None, None, None) => return Ok(Setting::Unset),
    };
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(Setting::Off(source));
    }
    let url = Url::parse(text).map_err(|error| {
        usage(
            source,
            format!("{} is not a postgres:// URL ({error}).", source.name()),
        )
    })?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(usage(
            source,
            format!(
                "{} must be a postgres:// or postgresql:// URL, or `off`.",
                source.name()
            ),
        ));
    }
    if source == Source::Flag && url.password().is_some() {
        return Err(Failure::new(
            Kind::Usage,
            "--team-journal has a password in it; a password on the command line shows in `ps` and shell history, so it is refused.",
        )
        .hint("Put the URL in LINKUS_TEAM_JOURNAL or the profile's team_journal (config.toml, mode 0600), or the password in PGPASSWORD or ~/.pgpass.")
        .hint("Change that password if others can see this machine's process list or history."));
    }
    let host = match url.host_str() {
        Some(host) if !host.is_empty() => host.to_owned(),
        _ => std::env::var("PGHOST").unwrap_or_else(|_| "localhost".to_owned()),
    };
    let port = url
        .port()
        .or_else(|| std::env::var("PGPORT").ok().and_then(|p| p.parse().ok()))
        .unwrap_or(5432);
    let user = match url.username() {
        "" => std::env::var("PGUSER")
            .or_else(|_| std::env::var("USER"))
            .unwrap_or_else(|_| "postgres".to_owned()),
        name => percent_decode(name),
    };
    let database = match url.path().trim_start_matches('/') {
        "" => std::env::var("PGDATABASE").unwrap_or_else(|_| user.clone()),
        name => name.to_owned(),
    };
    let mut sslmode = std::env::var("PGSSLMODE")
        .ok()
        .and_then(|m| SslMode::parse(&m))
        .unwrap_or(SslMode::Prefer);
    let mut sslrootcert = std::env::var_os("PGSSLROOTCERT").map(PathBuf::from);
    let mut connect_timeout = timeout;
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "sslmode" => {
                sslmode = SslMode::parse(&value).ok_or_else(|| {
                    usage(
                        source,
                        format!(
                            "sslmode={value} is not one of disable, prefer, require, verify-ca, verify-full."
                        ),
                    )
                })?;
            }
            "sslrootcert" => sslrootcert = Some(PathBuf::from(value.as_ref())),
            "connect_timeout" => {
                if let Ok(secs) = value.trim().parse::<u64>() {
                    connect_timeout = Duration::from_secs(secs.max(1)).min(timeout);
                }
            }
            "application_name" | "options" | "target_session_attrs" => {}
            other => {
                return Err(usage(
                    source,
                    format!("the team journal URL has a parameter linkus does not know: {other}."),
                ))
            }
        }
    }
    let (password, password_source) = if let Some(password) = url_password(&url) {
        (Some(password), PasswordSource::Url)
    } else if let Some(password) = std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()) {
        (Some(password), PasswordSource::PgPassword)
    } else if let Some(password) = pgpass(&host, port, &database, &user) {
        (Some(password), PasswordSource::PgPass)
    } else {
        (None, PasswordSource::None)
    };
    let mut shown = url.clone();
    let _ = shown.set_password(None);
    Ok(Setting::On(Box::new(Settings {
        source,
        shown: shown.to_string(),
        host,
        port,
        user,
        database,
        password: password.map(redact::secret),
        password_source,
        sslmode,
        sslrootcert,
        connect_timeout,
    })))
}

/// `~/.pgpass` (or `PGPASSFILE`): `host:port:database:user:password`, `*` matching anything,
/// `\:` and `\\` escaped. Ignored, as libpq does, when others may read it.
fn pgpass(host: &str, port: u16, database: &str, user: &str) -> Option<String> {
    let path = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|dirs| dirs.home_dir().join(".pgpass")))?;
    if !private_enough(&path) {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    for line in text.lines() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        let fields = split_pgpass(line);
        if fields.len() != 5 {
            continue;
        }
        let matches = |field: &str, value: &str| field == "*" || field == value;
        let host_matches = matches(&fields[0], host)
            || (fields[0] == "localhost" && (host == "127.0.0.1" || host == "::1"));
        if host_matches
            && matches(&fields[1], &port.to_string())
            && matches(&fields[2], database)
            && matches(&fields[3], user)
        {
            redact::remember(&fields[4]);
            return Some(fields[4].clone());
        }
    }
    None
}

fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    fields.last_mut().expect("a field").push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().expect("a field").push(c),
        }
    }
    fields
}

#[cfg(unix)]
fn private_enough(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|meta| meta.permissions().mode() & 0o077 == 0)
}

#[cfg(not(unix))]
fn private_enough(path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(setting: Setting) -> Settings {
        match setting {
            Setting::On(settings) => *settings,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_password_on_the_command_line_is_refused_without_showing_it() {
        let failure = resolve(
            Some("postgres://u:hunter2-long@db/x"),
            None,
            Duration::from_secs(30),
        )
        .unwrap_err();
        assert_eq!(failure.kind, Kind::Usage);
        assert!(!failure.message.contains("hunter2-long"));
        assert!(!failure.hints.join(" ").contains("hunter2-long"));
        assert_eq!(redact::scrub("x hunter2-long y"), "x (redacted) y");
    }

    #[test]
    fn the_profile_may_hold_a_password_and_sslmode_is_read_as_libpq_does() {
        let settings = on(resolve(
            None,
            Some("postgresql://linkus:pa%40ss-word@db.example.com:6432/team?sslmode=verify-full&sslrootcert=/ca.pem"),
            Duration::from_secs(30),
        )
        .unwrap());
        assert_eq!(settings.host, "db.example.com");
        assert_eq!(settings.port, 6432);
        assert_eq!(settings.user, "linkus");
        assert_eq!(settings.database, "team");
        assert_eq!(settings.sslmode, SslMode::VerifyFull);
        assert_eq!(settings.sslrootcert, Some(PathBuf::from("/ca.pem")));
        assert_eq!(settings.password_source, PasswordSource::Url);
        assert!(!settings.shown.contains("pa%40ss"), "{}", settings.shown);
        assert_eq!(redact::scrub("pa@ss-word"), "(redacted)");
        assert!(resolve(
            None,
            Some("postgres://db/x?sslmode=sometimes"),
            Duration::from_secs(1)
        )
        .is_err());
    }

    #[test]
    fn off_turns_it_off_for_one_run() {
        assert!(matches!(
            resolve(Some("OFF"), Some("postgres://db/x"), Duration::from_secs(1)).unwrap(),
            Setting::Off(Source::Flag)
        ));
    }

    #[test]
    fn pgpass_lines_split_on_unescaped_colons() {
        assert_eq!(
            split_pgpass(r"db:5432:*:linkus:pa\:ss\\w:rd"),
            vec!["db", "5432", "*", "linkus", r"pa:ss\w:rd"]
        );
    }
}
