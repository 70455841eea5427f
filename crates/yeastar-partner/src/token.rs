//! Access tokens: obtained with the client credentials, kept in a [`TokenStore`] across runs,
//! and renewed with the refresh grant shortly before they expire (partner-api.md section 2).

use std::time::{Duration, SystemTime};

use crate::clock::{epoch_secs, from_secs};
use std::sync::{Arc, Mutex as StdMutex};

use base64::Engine;
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::clock::Clock;
use crate::error::Error;
use crate::ids::{lenient_opt_string, lenient_opt_u64};
use crate::paths::TOKEN_PATH;
use crate::secret::Secret;
use crate::transport::{Body, Method, Request, Transport};

/// Refresh tokens live 15 days (partner-api.md 2.2); they are not used in their last hour.
const REFRESH_LIFETIME_SECS: u64 = 15 * 24 * 3600 - 3600;

/// The API credentials from Partner Portal > System > API.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Credentials {
    /// The client ID of the partner's API credentials.
    pub client_id: String,
    /// The client secret.
    pub client_secret: Secret,
}

impl Credentials {
    /// Credentials from a client ID and secret.
    pub fn new(client_id: impl Into<String>, client_secret: Secret) -> Self {
        Credentials {
            client_id: client_id.into(),
            client_secret,
        }
    }
}

/// An access token and what is known of its life (to the second).
#[derive(Clone)]
#[non_exhaustive]
pub struct Token {
    /// The access token.
    pub access: Secret,
    /// `Bearer <token>`, ready for the Authorization header.
    pub authorization: Secret,
    /// The refresh token, when the portal gave one.
    pub refresh: Option<Secret>,
    /// When the token was obtained.
    pub obtained_at: SystemTime,
    /// When the access token expires.
    pub expires_at: SystemTime,
    /// When the refresh token expires.
    pub refresh_expires_at: SystemTime,
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
    /// A token as a [`TokenStore`] kept it: the access token, its `Authorization` value, the
    /// refresh token, and when it was obtained and expires.
    pub fn restored(
        access: Secret,
        authorization: Secret,
        refresh: Option<Secret>,
        obtained_at: SystemTime,
        expires_at: SystemTime,
        refresh_expires_at: SystemTime,
    ) -> Self {
        Token {
            access,
            authorization,
            refresh,
            obtained_at,
            expires_at,
            refresh_expires_at,
        }
    }

    /// A token received at `now` (counted to the second), valid for `expires_in` (whole
    /// seconds).
    pub fn new(
        access: String,
        head: Option<String>,
        refresh: Option<String>,
        expires_in: Duration,
        now: SystemTime,
    ) -> Self {
        let now = epoch_secs(now);
        let expires_in = expires_in.as_secs();
        let head = head
            .map(|head| head.trim().to_owned())
            .filter(|head| !head.is_empty())
            .unwrap_or_else(|| "Bearer".to_owned());
        Token {
            authorization: Secret::new(format!("{head} {access}")),
            access: Secret::new(access),
            refresh: refresh.filter(|r| !r.is_empty()).map(Secret::new),
            obtained_at: from_secs(now),
            expires_at: from_secs(now.saturating_add(expires_in)),
            refresh_expires_at: from_secs(now.saturating_add(REFRESH_LIFETIME_SECS)),
        }
    }

    /// Good to use: not within the renewal margin of its expiry. The margin is a fifth of the
    /// lifetime, at most five minutes: a 30-minute token is renewed after 25 minutes.
    pub fn is_fresh(&self, now: SystemTime) -> bool {
        let (now, expires_at) = (epoch_secs(now), epoch_secs(self.expires_at));
        let lifetime = expires_at.saturating_sub(epoch_secs(self.obtained_at));
        let margin = (lifetime / 5).min(300);
        now.saturating_add(margin) < expires_at
    }

    /// Whether the refresh token can still be used at `now`.
    pub fn can_refresh(&self, now: SystemTime) -> bool {
        self.refresh.is_some() && epoch_secs(now) < epoch_secs(self.refresh_expires_at)
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
/// only for display (partner-api.md 2.3 lists the claims seen in the guide's sample).
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

/// Where tokens are kept between runs. An implementation that cannot save reports it its own
/// way: the client goes on with the token in memory.
pub trait TokenStore: Send + Sync {
    /// The stored token, if any.
    fn load(&self) -> Option<Token>;
    /// Keeps a token for later runs.
    fn save(&self, token: &Token);
}

/// A store that forgets everything when dropped.
#[derive(Default)]
pub struct MemoryTokenStore(StdMutex<Option<Token>>);

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> Option<Token> {
        self.0.lock().ok().and_then(|token| token.clone())
    }

    fn save(&self, token: &Token) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(token.clone());
        }
    }
}

impl Held {
    /// A failure that happened while the caller was waiting for the lock; or a refusal of the
    /// credentials at any time: asking again with the same ones cannot change the answer, and
    /// a lookup first polled just after a concurrent one was refused must not ask again.
    fn failed_since(&self, asked: std::time::Instant) -> Option<Error> {
        self.failed
            .as_ref()
            .filter(|(at, error)| *at >= asked || error.is_credentials())
            .map(|(_, error)| error.clone())
    }

    fn keep(&mut self, renewed: Result<Token, Error>) -> Result<Token, Error> {
        match &renewed {
            Ok(token) => {
                self.token = Some(token.clone());
                self.obtained = Some(std::time::Instant::now());
                self.failed = None;
            }
            Err(error) => self.failed = Some((std::time::Instant::now(), error.clone())),
        }
        renewed
    }
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

/// The token in hand, and the last failure to get one.
#[derive(Default)]
struct Held {
    token: Option<Token>,
    /// When this process got `token` from the portal.
    obtained: Option<std::time::Instant>,
    failed: Option<(std::time::Instant, Error)>,
}

/// Hands out a valid token, asking the portal only when it must. Concurrent callers share one
/// token request, and its failure: a caller that was waiting while the request failed gets
/// that failure instead of asking again.
pub(crate) struct TokenManager {
    credentials: Credentials,
    store: Arc<dyn TokenStore>,
    clock: Arc<dyn Clock>,
    current: Mutex<Held>,
}

impl TokenManager {
    pub(crate) fn new(
        credentials: Credentials,
        store: Arc<dyn TokenStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        TokenManager {
            credentials,
            store,
            clock,
            current: Mutex::new(Held::default()),
        }
    }

    /// The token in memory or in the store if still fresh; else a refreshed or new one.
    pub(crate) async fn token(&self, http: &Transport) -> Result<Token, Error> {
        let asked = std::time::Instant::now();
        let mut held = self.current.lock().await;
        if let Some(error) = held.failed_since(asked) {
            return Err(error);
        }
        let now = self.clock.now();
        if held.token.is_none() {
            held.token = self.store.load().filter(Token::fits_a_header);
        }
        // A token that arrived while this caller waited is used, fresh or not: concurrent
        // requests share one renewal.
        let just_obtained = held.obtained.is_some_and(|at| at >= asked);
        if let Some(token) = held
            .token
            .as_ref()
            .filter(|t| just_obtained || t.is_fresh(now))
        {
            return Ok(token.clone());
        }
        let old = held.token.take();
        let renewed = self.renew_locked(http, old).await;
        held.keep(renewed)
    }

    /// After a 401: renew, unless another request already replaced the rejected token.
    pub(crate) async fn renew(&self, http: &Transport, rejected: &Token) -> Result<Token, Error> {
        let asked = std::time::Instant::now();
        let mut held = self.current.lock().await;
        if let Some(error) = held.failed_since(asked) {
            return Err(error);
        }
        if let Some(token) = held.token.as_ref() {
            if token.access != rejected.access {
                return Ok(token.clone());
            }
        }
        let renewed = self.renew_locked(http, Some(rejected.clone())).await;
        held.keep(renewed)
    }

    /// A new token from the credentials, ignoring the store: proof that they work.
    pub(crate) async fn verify(&self, http: &Transport) -> Result<Token, Error> {
        let mut held = self.current.lock().await;
        let renewed = self.renew_locked(http, None).await;
        held.keep(renewed)
    }

    async fn renew_locked(&self, http: &Transport, old: Option<Token>) -> Result<Token, Error> {
        let now = self.clock.now();
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
                self.store.save(&token);
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
        self.store.save(&token);
        Ok(token)
    }

    async fn request(
        &self,
        http: &Transport,
        form: Vec<(&'static str, String)>,
    ) -> Result<Token, Error> {
        // Resent as a read is (Request::new's default): a token request changes nothing.
        let request = Request {
            body: Body::Form(form),
            ..Request::new(Method::Post, TOKEN_PATH)
        };
        let endpoint = request.endpoint();
        let response = http.send(&request, None).await?;
        // The first request of a run is often this one: a base URL that redirects is named
        // with its target here too.
        let reply = response
            .reply_located(&endpoint)
            .map_err(|error| match error {
                // A refusal of the token request is about the credentials, unless the server
                // itself failed or throttled.
                Error::Rejected {
                    endpoint,
                    status,
                    code,
                    message,
                    request_id,
                    ..
                } if status < 500 && status != 429 => Error::Rejected {
                    endpoint,
                    status,
                    code,
                    message,
                    request_id,
                    credentials: true,
                },
                other => other,
            })?;
        let details: TokenDetails = reply.decode()?;
        let Some(access) = details.token.filter(|t| !t.is_empty()) else {
            return Err(reply.shape("the token answer has no `token`"));
        };
        let token = Token::new(
            access,
            details.token_head,
            details.refresh_token,
            Duration::from_secs(details.expires_in.unwrap_or(1800)),
            self.clock.now(),
        );
        if !token.fits_a_header() {
            return Err(reply.shape("the token has characters an HTTP header cannot carry"));
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
            Duration::from_secs(1800),
            from_secs(1000),
        );
        assert_eq!(token.authorization.expose(), "Bearer a");
        assert!(token.is_fresh(from_secs(1000)));
        assert!(token.is_fresh(from_secs(1000 + 1499)));
        assert!(!token.is_fresh(from_secs(1000 + 1500)));
        assert!(token.can_refresh(from_secs(1000 + 1800)));
        assert!(!token.can_refresh(from_secs(1000 + 15 * 24 * 3600)));
        assert_eq!(token.expires_at, from_secs(2800));
    }

    /// Counts the token requests a client sends.
    #[derive(Default)]
    struct TokenRequests(std::sync::atomic::AtomicUsize);

    impl crate::transport::Observer for TokenRequests {
        fn request(&self, request: &crate::transport::SentRequest<'_>) {
            if request.url.path() == TOKEN_PATH {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
    }

    /// A lookup that starts once another has already been refused (under load, the first can
    /// finish before the second is first polled) must not send the refused credentials again.
    #[tokio::test]
    async fn a_refusal_of_the_credentials_is_not_asked_again_in_the_same_run() {
        let state = std::env::temp_dir().join(format!(
            "yeastar-partner-refusal-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let sandbox = linkus_sandbox::Embedded::start(&state).unwrap();
        let requests = Arc::new(TokenRequests::default());
        // The sandbox refuses an empty secret with 401 invalid_client.
        let client = crate::Client::builder(
            sandbox.url.clone(),
            Credentials::new("client", Secret::new("")),
        )
        .token_store(Arc::new(MemoryTokenStore::default()))
        .observer(requests.clone())
        .build()
        .unwrap();
        assert!(client.token().await.unwrap_err().is_credentials());
        assert!(client.token().await.unwrap_err().is_credentials());
        assert_eq!(requests.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        let _ = std::fs::remove_dir_all(&state);
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
}
