//! Folders, stored profiles and where credentials come from (CLI.md sections 2 and 6).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::error::{Failure, Kind};
use crate::files;
use crate::redact::{self, Secret};

pub const CONFIG_FILE: &str = "config.toml";

/// The config, cache and data folders. Each can be moved by an environment variable, which is
/// how tests keep away from the real home folder.
#[derive(Debug, Clone)]
pub struct Dirs {
    pub config: PathBuf,
    pub cache: PathBuf,
    pub data: PathBuf,
}

impl Dirs {
    pub fn from_env() -> Result<Self> {
        let project = directories::ProjectDirs::from("", "", "linkus");
        let pick = |var: &str, default: Option<&Path>| -> Result<PathBuf> {
            match std::env::var_os(var).filter(|value| !value.is_empty()) {
                Some(dir) => Ok(PathBuf::from(dir)),
                None => default.map(Path::to_path_buf).ok_or_else(|| {
                    Failure::new(
                        Kind::Config,
                        format!("Could not find a home folder for linkus's files; set {var}."),
                    )
                    .into()
                }),
            }
        };
        Ok(Dirs {
            config: pick(
                "LINKUS_CONFIG_DIR",
                project.as_ref().map(|p| p.config_dir()),
            )?,
            cache: pick("LINKUS_CACHE_DIR", project.as_ref().map(|p| p.cache_dir()))?,
            data: pick("LINKUS_DATA_DIR", project.as_ref().map(|p| p.data_dir()))?,
        })
    }

    pub fn config_file(&self) -> PathBuf {
        self.config.join(CONFIG_FILE)
    }

    pub fn journal_file(&self) -> PathBuf {
        self.data.join("orders.jsonl")
    }

    pub fn sandbox_dir(&self) -> PathBuf {
        self.data.join("sandbox")
    }
}

/// A profile name is used in file names, so it is kept simple.
pub fn validate_profile(name: &str) -> std::result::Result<String, String> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(name.to_owned())
    } else {
        Err("a profile name has 1 to 64 letters, digits, '-' or '_'".to_owned())
    }
}

/// One stored profile: a section of `config.toml`.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredProfile {
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub client_secret: String,
    /// The team journal's URL (it may hold the database password: this file is 0600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_journal: Option<String>,
}

impl std::fmt::Debug for StoredProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredProfile")
            .field("client_id", &self.client_id)
            .field("client_secret", &crate::redact::REDACTED)
            .field(
                "team_journal",
                &self.team_journal.as_ref().map(|_| crate::redact::REDACTED),
            )
            .finish()
    }
}

/// The stored profiles, one a section.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConfigFile {
    pub profiles: BTreeMap<String, StoredProfile>,
}

impl ConfigFile {
    /// Parses the file's text; an error names what is wrong, never a secret.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        toml::from_str(text).map_err(|error| {
            // toml's messages quote the values they could not use, which may be a secret.
            let message = without_quoted(error.message());
            match error.span() {
                Some(span) => {
                    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                    format!("line {line}: {message}")
                }
                None => message,
            }
        })
    }

    pub fn load(path: &Path) -> Result<Self> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(ConfigFile::default())
            }
            Err(error) => return Err(config_error(path, "read the config file", error)),
        };
        let text = String::from_utf8(bytes).map_err(|_| corrupt(path, "it is not UTF-8 text"))?;
        ConfigFile::parse(&text).map_err(|reason| corrupt(path, &reason))
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let text = toml::to_string(self).context("could not encode the profiles")?;
        files::write_private(path, text.as_bytes())
    }

    /// Changes the file under a lock, so that two processes do not lose each other's changes.
    pub fn update<T>(path: &Path, change: impl FnOnce(&mut ConfigFile) -> T) -> Result<T> {
        let _lock = files::lock(&files::lock_path(path))
            .map_err(|error| config_error(path, "write the config file", format!("{error:#}")))?;
        let mut config = ConfigFile::load(path)?;
        let value = change(&mut config);
        config
            .save(path)
            .map_err(|error| config_error(path, "write the config file", format!("{error:#}")))?;
        Ok(value)
    }
}

/// A message with every quoted part replaced, so that no value from the file is repeated.
/// Grammar such as "expected `]`" stays: a quoted run of punctuation is no value.
fn without_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<(char, String)> = None;
    for c in message.chars() {
        match (&mut quote, c) {
            (None, '"' | '\'' | '`') => quote = Some((c, String::new())),
            (Some((open, quoted)), c) if c == *open => {
                if *open == '`'
                    && !quoted.is_empty()
                    && quoted.chars().all(|q| q.is_ascii_punctuation())
                {
                    out.push_str(&format!("`{quoted}`"));
                } else {
                    out.push_str("(a value)");
                }
                quote = None;
            }
            (Some((_, quoted)), c) => quoted.push(c),
            (None, c) => out.push(c),
        }
    }
    if quote.is_some() {
        out.push_str("(a value)");
    }
    out
}

/// A config problem is the user's to fix (exit 2), with the path and what to do.
pub fn config_error(path: &Path, what: &str, error: impl std::fmt::Display) -> anyhow::Error {
    Failure::new(
        Kind::Config,
        format!("Could not {what} {}: {error}", path.display()),
    )
    .hint("Check that the folder can be written, or point LINKUS_CONFIG_DIR elsewhere.")
    .into()
}

fn corrupt(path: &Path, reason: &str) -> anyhow::Error {
    Failure::new(
        Kind::Config,
        format!(
            "The config file {} cannot be read: {reason}",
            path.display()
        ),
    )
    .hint("Fix the file, or move it away and run `linkus auth login` again.")
    .into()
}

/// Where the credentials in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    Environment,
    Profile { name: String, path: PathBuf },
    Sandbox,
}

impl std::fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialSource::Environment => {
                f.write_str("environment (LINKUS_CLIENT_ID, LINKUS_CLIENT_SECRET)")
            }
            CredentialSource::Profile { name, path } => {
                write!(f, "profile '{name}' in {}", path.display())
            }
            CredentialSource::Sandbox => f.write_str("built-in sandbox"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: Secret,
    pub source: CredentialSource,
}

impl Credentials {
    /// The part the client library needs.
    pub fn for_client(&self) -> yeastar_partner::Credentials {
        yeastar_partner::Credentials::new(self.client_id.clone(), self.client_secret.clone())
    }
}

/// What `auth status` reports and what commands use.
pub struct CredentialLookup {
    pub active: Option<Credentials>,
    /// The environment wins, but a stored profile of the same name exists.
    pub shadowed_profile: bool,
}

/// Credentials, first found wins: the environment, then the stored profile.
pub fn find_credentials(dirs: &Dirs, profile: &str) -> Result<CredentialLookup> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let path = dirs.config_file();
    let from_env = match (env("LINKUS_CLIENT_ID"), env("LINKUS_CLIENT_SECRET")) {
        (Some(id), Some(secret)) => Some(Credentials {
            client_id: id.trim().to_owned(),
            client_secret: redact::secret(secret.trim()),
            source: CredentialSource::Environment,
        }),
        (Some(_), None) | (None, Some(_)) => {
            return Err(Failure::new(
                Kind::Auth,
                "Only one of LINKUS_CLIENT_ID and LINKUS_CLIENT_SECRET is set.",
            )
            .hint("Set both, or unset both to use the profile stored by `linkus auth login`.")
            .into())
        }
        (None, None) => None,
    };
    // Credentials in the environment need no config file: a broken one only loses the warning.
    let stored = match ConfigFile::load(&path) {
        Ok(mut config) => config
            .profiles
            .remove(profile)
            .filter(|stored| !stored.client_id.is_empty()),
        Err(_) if from_env.is_some() => None,
        Err(error) => return Err(error),
    };
    let shadowed_profile = from_env.is_some() && stored.is_some();
    let active = from_env.or_else(|| {
        stored.map(|stored| Credentials {
            client_id: stored.client_id,
            client_secret: redact::secret(stored.client_secret),
            source: CredentialSource::Profile {
                name: profile.to_owned(),
                path: path.clone(),
            },
        })
    });
    Ok(CredentialLookup {
        active,
        shadowed_profile,
    })
}

pub fn no_credentials(profile: &str) -> anyhow::Error {
    Failure::new(
        Kind::Auth,
        format!("No credentials for profile '{profile}'."),
    )
    .hint("Run `linkus auth login`, or set LINKUS_CLIENT_ID and LINKUS_CLIENT_SECRET.")
    .hint("To try linkus without an account, add --sandbox.")
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn profiles_round_trip_one_a_section() {
        let mut config = ConfigFile::default();
        config.profiles.insert(
            "default".to_owned(),
            StoredProfile {
                client_id: "id1".to_owned(),
                client_secret: "secret1".to_owned(),
                team_journal: None,
            },
        );
        config.profiles.insert(
            "acme".to_owned(),
            StoredProfile {
                client_id: "id2".to_owned(),
                client_secret: "secret2".to_owned(),
                team_journal: Some("postgres://db/team".to_owned()),
            },
        );
        let text = toml::to_string(&config).unwrap();
        assert!(text.contains("[default]"), "{text}");
        assert!(text.contains("[acme]"), "{text}");
        let parsed = ConfigFile::parse(&text).unwrap();
        assert_eq!(parsed.profiles["acme"].client_id, "id2");
    }

    #[test]
    fn a_corrupt_file_is_named_without_quoting_secrets() {
        let reason =
            ConfigFile::parse("[default]\nclient_id = \"x\"\nclient_secret = \"hunter2hunter2\n")
                .unwrap_err();
        assert!(reason.starts_with("line "), "{reason}");
        assert!(!reason.contains("hunter2hunter2"), "{reason}");
    }

    #[test]
    fn grammar_stays_in_errors_and_values_go() {
        assert_eq!(
            without_quoted("unclosed table, expected `]`"),
            "unclosed table, expected `]`"
        );
        assert_eq!(
            without_quoted("unknown field `hunter2`"),
            "unknown field (a value)"
        );
        assert_eq!(
            without_quoted("invalid type: string \"s3cret\", expected"),
            "invalid type: string (a value), expected"
        );
        assert_eq!(without_quoted("cut \"s3cr"), "cut (a value)");
    }

    #[test]
    fn no_value_from_the_file_is_quoted_in_errors() {
        let reason =
            ConfigFile::parse("client_secret = \"hunter2hunter2\"\n[default]\nclient_id = \"x\"\n")
                .unwrap_err();
        assert!(!reason.contains("hunter2hunter2"), "{reason}");
        assert!(reason.contains("line 1"), "{reason}");
    }

    #[test]
    fn profile_names_are_checked() {
        assert!(validate_profile("acme-01_b").is_ok());
        assert!(validate_profile("").is_err());
        assert!(validate_profile("../etc").is_err());
    }

    proptest! {
        #[test]
        fn the_config_reader_never_panics(text in ".*") {
            let _ = ConfigFile::parse(&text);
        }

        #[test]
        fn the_config_reader_never_panics_on_tomlish_text(text in "(\\[[a-z]{0,5}\\]|[a-z_]{0,12} ?= ?(\"[^\"]{0,8}\"?|[0-9]{0,4})|\n){0,12}") {
            let _ = ConfigFile::parse(&text);
        }
    }
}
