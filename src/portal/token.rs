//! Access tokens: obtained with the client credentials, cached across invocations, renewed
//! with the refresh grant shortly before they expire (partner-api.md section 2).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::envelope;
use super::error::PortalError;
use super::http::{Body, Http, Request, Resend};
use super::ids::{lenient_opt_string, lenient_opt_u64};
use crate::config::Credentials;
use crate::files;
use crate::redact::Secret;

pub const TOKEN_PATH: &str = "/auth/openapi/v1/oauth/token";

/// Refresh tokens live 15 days (partner-api.md 2.2); we stop using them an hour early.
const REFRESH_LIFETIME_SECS: u64 = 15 * 24 * 3600 - 3600;

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[derive(Clone)]
pub struct Token {
    pub access: Secret,
    /// `Bearer <token>`, ready for the Authorization header.
    pub authorization: Secret,
    pub refresh: Option<Secret>,
    pub obtained_at: u64,
    pub expires_at: u64,
    pub refresh_expires_at: u64,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("access", &self.access)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Token {
    fn new(
        access: String,
        head: Option<String>,
        refresh: Option<String>,
        expires_in: u64,
        now: u64,
    ) -> Self {
        let head = head
            .map(|head| head.trim().to_owned())
            .filter(|head| !head.is_empty())
            .unwrap_or_else(|| "Bearer".to_owned());
        Token {
            authorization: Secret::new(format!("{head} {access}")),
            access: Secret::new(access),
            refresh: refresh.filter(|r| !r.is_empty()).map(Secret::new),
            obtained_at: now,
            expires_at: now + expires_in,
            refresh_expires_at: now + REFRESH_LIFETIME_SECS,
        }
    }

    /// Good to use: not within the renewal margin of its expiry. The margin is a fifth of the
    /// lifetime, at most five minutes: a 30-minute token is renewed after 25 minutes.
    pub fn is_fresh(&self, now: u64) -> bool {
        let lifetime = self.expires_at.saturating_sub(self.obtained_at);
        let margin = (lifetime / 5).min(300);
        now + margin < self.expires_at
    }

    pub fn can_refresh(&self, now: u64) -> bool {
        self.refresh.is_some() && now < self.refresh_expires_at
    }

    /// Whether the token can travel in an Authorization header at all.
    pub fn fits_a_header(&self) -> bool {
        reqwest::header::HeaderValue::from_str(self.authorization.expose()).is_ok()
    }

    /// The partner account named in the token's claims, where they can be read.
    pub fn account(&self) -> Option<String> {
        account_from_jwt(self.access.expose())
    }
}

/// Reads the partner account out of a JWT's payload without trusting or verifying it: it is
/// only shown to the user (partner-api.md 2.3 lists the claims seen in the guide's sample).
pub fn account_from_jwt(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let user = match claims.get("X-MS-USER") {
        Some(serde_json::Value::String(text)) => serde_json::from_str(text).ok(),
        Some(value) => Some(value.clone()),
        None => None,
    };
    let field = |value: Option<&serde_json::Value>, key: &str| {
        value
            .and_then(|v| v.get(key))
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let name = field(user.as_ref(), "username").or_else(|| field(Some(&claims), "user_name"))?;
    match field(user.as_ref(), "userCode") {
        Some(code) => Some(format!("{name} ({code})")),
        None => Some(name),
    }
}

/// The token cache file: one per profile and portal, holding the client ID it belongs to.
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

pub struct TokenCache {
    path: PathBuf,
    client_id: String,
    portal: String,
}

impl TokenCache {
    /// `portal` names the portal the tokens are for: its base URL, or `sandbox`.
    pub fn new(cache_dir: &Path, profile: &str, portal: &str, client_id: &str) -> Self {
        TokenCache {
            path: cache_path(cache_dir, profile, portal),
            client_id: client_id.to_owned(),
            portal: portal.to_owned(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached token, if there is a readable one for these credentials. A corrupt file is
    /// ignored: it is rebuilt on the next save.
    pub fn load(&self) -> Option<Token> {
        let bytes = std::fs::read(&self.path).ok()?;
        let file: CacheFile = serde_json::from_slice(&bytes).ok()?;
        if file.client_id != self.client_id || file.portal != self.portal || file.token.is_empty() {
            return None;
        }
        let token = Token {
            access: Secret::new(file.token),
            authorization: Secret::new(file.authorization),
            refresh: file.refresh_token.map(Secret::new),
            obtained_at: file.obtained_at,
            expires_at: file.expires_at,
            refresh_expires_at: file.refresh_expires_at,
        };
        token.fits_a_header().then_some(token)
    }

    pub fn save(&self, token: &Token) -> anyhow::Result<()> {
        let file = CacheFile {
            client_id: self.client_id.clone(),
            portal: self.portal.clone(),
            token: token.access.expose().to_owned(),
            authorization: token.authorization.expose().to_owned(),
            refresh_token: token.refresh.as_ref().map(|r| r.expose().to_owned()),
            obtained_at: token.obtained_at,
            expires_at: token.expires_at,
            refresh_expires_at: token.refresh_expires_at,
        };
        files::write_private(&self.path, &serde_json::to_vec_pretty(&file)?)
    }
}

/// `tokens/<profile>-<hash of the portal>.json` in the cache folder.
pub fn cache_path(cache_dir: &Path, profile: &str, portal: &str) -> PathBuf {
    cache_dir
        .join("tokens")
        .join(format!("{profile}-{:016x}.json", fnv1a(portal.as_bytes())))
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

/// A stable 64-bit hash for file names (FNV-1a).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenDetails {
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        alias = "accessToken",
        alias = "access_token"
    )]
    token: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    token_head: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_u64", alias = "expires_in")]
    expires_in: Option<u64>,
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        alias = "refresh_token"
    )]
    refresh_token: Option<String>,
}

/// Hands out a valid token, asking the portal only when it must. Concurrent callers share one
/// token request.
pub struct TokenManager {
    credentials: Credentials,
    cache: TokenCache,
    current: Mutex<Option<Token>>,
}

impl TokenManager {
    pub fn new(credentials: Credentials, cache: TokenCache) -> Self {
        TokenManager {
            credentials,
            cache,
            current: Mutex::new(None),
        }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The token in memory or in the cache if still fresh; else a refreshed or new one.
    pub async fn token(&self, http: &Http) -> Result<Token, PortalError> {
        let mut current = self.current.lock().await;
        let now = now_secs();
        if current.is_none() {
            *current = self.cache.load();
        }
        if let Some(token) = current.as_ref().filter(|t| t.is_fresh(now)) {
            return Ok(token.clone());
        }
        let token = self.renew_locked(http, current.take()).await?;
        *current = Some(token.clone());
        Ok(token)
    }

    /// After a 401: renew, unless another request already replaced the rejected token.
    pub async fn renew(&self, http: &Http, rejected: &Token) -> Result<Token, PortalError> {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref() {
            if token.access != rejected.access {
                return Ok(token.clone());
            }
        }
        let token = self.renew_locked(http, Some(rejected.clone())).await?;
        *current = Some(token.clone());
        Ok(token)
    }

    async fn renew_locked(&self, http: &Http, old: Option<Token>) -> Result<Token, PortalError> {
        let now = now_secs();
        if let Some(old) = old.filter(|t| t.can_refresh(now)) {
            let refresh = old
                .refresh
                .as_ref()
                .map(|r| r.expose().to_owned())
                .unwrap_or_default();
            let grant = vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", refresh),
            ];
            // A refresh that fails for any reason falls back to the credentials.
            if let Ok(token) = self.request(http, grant).await {
                self.save(&token);
                return Ok(token);
            }
        }
        let grant = vec![
            ("client_id", self.credentials.client_id.clone()),
            (
                "client_secret",
                self.credentials.client_secret.expose().to_owned(),
            ),
            ("grant_type", "pp_credentials".to_owned()),
        ];
        let token = self.request(http, grant).await?;
        self.save(&token);
        Ok(token)
    }

    /// Asks the portal for a token with the credentials, without the cache: `auth login`.
    pub async fn verify(&self, http: &Http) -> Result<Token, PortalError> {
        let token = self.renew_locked(http, None).await?;
        *self.current.lock().await = Some(token.clone());
        Ok(token)
    }

    pub fn save(&self, token: &Token) {
        if let Err(error) = self.cache.save(token) {
            crate::output::warn(&format!(
                "could not cache the access token in {}: {error:#}",
                self.cache.path().display()
            ));
        }
    }

    async fn request(
        &self,
        http: &Http,
        form: Vec<(&'static str, String)>,
    ) -> Result<Token, PortalError> {
        let request = Request {
            method: reqwest::Method::POST,
            path: TOKEN_PATH.to_owned(),
            query: Vec::new(),
            body: Body::Form(form),
            resend: Resend::Idempotent,
        };
        let endpoint = request.endpoint();
        let response = http.send(&request, None).await?;
        let reply = envelope::parse(&endpoint, response.status, &response.body).map_err(
            |error| match error {
                PortalError::Rejected {
                    endpoint,
                    status,
                    code,
                    detail,
                    request_id,
                    ..
                } if status < 500 && status != 429 => PortalError::Rejected {
                    endpoint,
                    status,
                    code,
                    detail,
                    request_id,
                    credentials: true,
                },
                other => other,
            },
        )?;
        let details: TokenDetails = super::types::decode(&endpoint, &reply, reply.result.clone())?;
        let Some(access) = details.token.filter(|t| !t.is_empty()) else {
            return Err(PortalError::Shape {
                endpoint,
                status: reply.status,
                detail: "the token answer has no `token`".to_owned(),
                request_id: reply.request_id,
            });
        };
        let token = Token::new(
            access,
            details.token_head,
            details.refresh_token,
            details.expires_in.unwrap_or(1800),
            now_secs(),
        );
        if !token.fits_a_header() {
            return Err(PortalError::Shape {
                endpoint,
                status: reply.status,
                detail: "the token has characters an HTTP header cannot carry".to_owned(),
                request_id: reply.request_id,
            });
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thirty_minute_token_is_renewed_after_twenty_five() {
        let token = Token::new(
            "a".into(),
            Some("Bearer ".into()),
            Some("r".into()),
            1800,
            1000,
        );
        assert_eq!(token.authorization.expose(), "Bearer a");
        assert!(token.is_fresh(1000));
        assert!(token.is_fresh(1000 + 1499));
        assert!(!token.is_fresh(1000 + 1500));
        assert!(token.can_refresh(1000 + 1800));
    }

    #[test]
    fn the_account_comes_from_the_claims_where_readable() {
        let claims = serde_json::json!({
            "X-MS-USER": {"type": "partner", "userCode": "Distributor", "username": "ana@example.com"},
            "user_name": "ana@example.com"
        });
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
        let token = format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig");
        assert_eq!(
            account_from_jwt(&token).as_deref(),
            Some("ana@example.com (Distributor)")
        );
        assert_eq!(account_from_jwt("opaque"), None);
        assert_eq!(account_from_jwt("a.!!!.c"), None);
    }

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
        let cache = TokenCache::new(temp.path(), "default", "https://p", "client-a");
        let token = Token::new("tok-abcdef".into(), None, None, 1800, now_secs());
        cache.save(&token).unwrap();
        assert!(cache.load().is_some());
        let other = TokenCache::new(temp.path(), "default", "https://p", "client-b");
        assert!(other.load().is_none());
        std::fs::write(cache.path(), b"{not json").unwrap();
        assert!(cache.load().is_none());
        assert_eq!(cache_files_of(temp.path(), "default").len(), 1);
        assert!(cache_files_of(temp.path(), "def").is_empty());
    }
}
