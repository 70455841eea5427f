//! The token cache: one private file per profile and portal, holding the client ID it belongs
//! to, so that tokens are reused across invocations (CLI.md section 3).

use crate::portal_clock::{epoch_secs, from_ms};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use yeastar_partner::{Token, TokenStore};

use crate::files;
use crate::redact;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CacheFile {
    client_id: String,
    portal: String,
    token: String,
    authorization: String,
    refresh_token: Option<String>,
    obtained_at: u64,
    expires_at: u64,
    refresh_expires_at: u64,
}

/// The cache file of one profile, portal and client ID.
pub struct FileTokenStore {
    path: PathBuf,
    client_id: String,
    portal: String,
}

impl FileTokenStore {
    /// `portal` names the portal the tokens are for: its base URL, or `sandbox`.
    pub fn new(cache_dir: &Path, profile: &str, portal: &str, client_id: &str) -> Self {
        FileTokenStore {
            path: cache_path(cache_dir, profile, portal),
            client_id: client_id.to_owned(),
            portal: portal.to_owned(),
        }
    }

    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write(&self, token: &Token) -> anyhow::Result<()> {
        let file = CacheFile {
            client_id: self.client_id.clone(),
            portal: self.portal.clone(),
            token: token.access.expose().to_owned(),
            authorization: token.authorization.expose().to_owned(),
            refresh_token: token.refresh.as_ref().map(|r| r.expose().to_owned()),
            obtained_at: epoch_secs(token.obtained_at),
            expires_at: epoch_secs(token.expires_at),
            refresh_expires_at: epoch_secs(token.refresh_expires_at),
        };
        files::write_private(&self.path, &serde_json::to_vec_pretty(&file)?)
    }
}

/// Every token that passes through is remembered as a secret, so that no log, error or
/// capture can show it.
fn remember(token: &Token) {
    redact::remember(token.access.expose());
    redact::remember(token.authorization.expose());
    if let Some(refresh) = &token.refresh {
        redact::remember(refresh.expose());
    }
}

impl TokenStore for FileTokenStore {
    /// The cached token, if there is a readable one for these credentials. A corrupt file is
    /// ignored: it is rebuilt on the next save.
    fn load(&self) -> Option<Token> {
        let bytes = std::fs::read(&self.path).ok()?;
        let file: CacheFile = serde_json::from_slice(&bytes).ok()?;
        if file.client_id != self.client_id || file.portal != self.portal || file.token.is_empty() {
            return None;
        }
        let token = Token::restored(
            redact::secret(file.token),
            redact::secret(file.authorization),
            file.refresh_token.map(redact::secret),
            from_secs(file.obtained_at),
            from_secs(file.expires_at),
            from_secs(file.refresh_expires_at),
        );
        token.fits_a_header().then_some(token)
    }

    fn save(&self, token: &Token) {
        remember(token);
        if let Err(error) = self.write(token) {
            crate::output::warn(&format!(
                "could not cache the access token in {}: {error:#}",
                self.path.display()
            ));
        }
    }
}

/// `tokens/<profile>-<hash of the portal>.json` in the cache folder.
pub fn cache_path(cache_dir: &Path, profile: &str, portal: &str) -> PathBuf {
    cache_dir.join("tokens").join(format!(
        "{profile}-{:016x}.json",
        files::fnv1a(portal.as_bytes())
    ))
}

/// All cached tokens of a profile, for `auth logout`.
pub fn cache_files_of(cache_dir: &Path, profile: &str) -> Vec<PathBuf> {
    let prefix = format!("{profile}-");
    std::fs::read_dir(cache_dir.join("tokens"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| {
                    path.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|name| {
                            name.strip_prefix(&prefix).is_some_and(|rest| {
                                rest.len() == 21
                                    && rest.ends_with(".json")
                                    && rest[..16].bytes().all(|b| b.is_ascii_hexdigit())
                            })
                        })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The instant `secs` seconds after the Unix epoch (the cache keeps whole seconds).
fn from_secs(secs: u64) -> std::time::SystemTime {
    from_ms(secs.saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_files_are_per_profile_and_portal() {
        let dir = Path::new("/c");
        assert_ne!(
            cache_path(dir, "default", "https://a"),
            cache_path(dir, "default", "https://b")
        );
        assert_ne!(
            cache_path(dir, "default", "https://a"),
            cache_path(dir, "other", "https://a")
        );
    }

    #[test]
    fn a_cache_of_other_credentials_or_garbage_is_ignored() {
        let temp = tempfile::tempdir().unwrap();
        let cache = FileTokenStore::new(temp.path(), "default", "https://p", "client-a");
        let token = Token::new(
            "tok-abcdef".into(),
            None,
            None,
            std::time::Duration::from_secs(1800),
            from_secs(1_000),
        );
        cache.save(&token);
        assert!(cache.load().is_some());
        let other = FileTokenStore::new(temp.path(), "default", "https://p", "client-b");
        assert!(other.load().is_none());
        std::fs::write(cache.path(), b"{not json").unwrap();
        assert!(cache.load().is_none());
        assert_eq!(cache_files_of(temp.path(), "default").len(), 1);
        assert!(cache_files_of(temp.path(), "def").is_empty());
    }
}
