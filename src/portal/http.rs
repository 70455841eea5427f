//! One HTTP exchange with the portal: headers, timeouts, a bounded body, retries for reads,
//! and the `-v`/`-vv` log with secrets redacted.

use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use reqwest::Method;
use url::Url;

use super::envelope::request_id_of;
use super::error::{Phase, PortalError};
use crate::redact::{self, Secret};

pub const USER_AGENT_VALUE: &str = concat!("linkus-cli/", env!("CARGO_PKG_VERSION"));

/// No answer the portal gives is this large; a bigger body is refused, not buffered.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// How reads are retried (CLI.md section 3). Delays come from settings so tests never sleep.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: u32,
    /// The first backoff delay; each further one doubles.
    pub base_delay: Duration,
    /// The longest single wait, also the longest `Retry-After` that is honoured.
    pub max_delay: Duration,
    /// The longest time spent on one request, all attempts and waits included.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(300),
            max_delay: Duration::from_secs(10),
            budget: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`, or `None` when the portal asks for more than
    /// `max_delay` (retrying earlier than asked would only be refused again).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        match retry_after {
            Some(asked) if asked > self.max_delay => None,
            Some(asked) => Some(asked),
            None => {
                let backoff = self
                    .base_delay
                    .saturating_mul(1 << attempt.saturating_sub(1).min(16));
                // Up to 25% jitter, so that many clients do not retry in step.
                let jitter = backoff.mul_f64(fastrand::f64() * 0.25);
                Some((backoff + jitter).min(self.max_delay))
            }
        }
    }
}

/// `Retry-After` as delta-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Whether a status is worth another try for a request that is safe to repeat.
fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

#[derive(Debug, Clone)]
pub enum Body {
    Empty,
    Form(Vec<(&'static str, String)>),
    Json(Vec<u8>),
}

/// Which failures may be answered by sending the request again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// Token requests and reads: connection errors, timeouts, 429, 502, 503, 504.
    Idempotent,
    /// Anything that may spend money: only when the request provably never left the machine.
    OnlyIfNotSent,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Body,
    pub resend: Resend,
}

impl Request {
    pub fn get(path: impl Into<String>) -> Self {
        Request {
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            body: Body::Empty,
            resend: Resend::Idempotent,
        }
    }

    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_owned(), value.to_string()));
        self
    }

    /// `GET /path`, the name errors use for an endpoint.
    pub fn endpoint(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub body: Bytes,
    pub retry_after: Option<Duration>,
}

pub struct Http {
    client: reqwest::Client,
    base: Url,
    pub retry: RetryPolicy,
    verbosity: u8,
}

impl Http {
    pub fn new(
        base: Url,
        timeout: Duration,
        retry: RetryPolicy,
        verbosity: u8,
    ) -> anyhow::Result<Self> {
        // reqwest is built without a default crypto provider, so that no C toolchain is needed
        // beyond ring's; installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| anyhow::anyhow!("could not set up HTTP: {error}"))?;
        Ok(Http {
            client,
            base,
            retry,
            verbosity,
        })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    fn url(&self, request: &Request) -> Result<Url, PortalError> {
        let base = self.base.as_str().trim_end_matches('/');
        let path = request.path.trim_start_matches('/');
        let mut url =
            Url::parse(&format!("{base}/{path}")).map_err(|error| PortalError::Transport {
                endpoint: request.endpoint(),
                phase: Phase::Connect,
                message: format!("invalid URL: {error}"),
            })?;
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&request.query);
        }
        Ok(url)
    }

    /// Sends once, with retries as the request's [`Resend`] allows. A response with any
    /// status is `Ok`: the caller reads the envelope.
    pub async fn send(
        &self,
        request: &Request,
        authorization: Option<&Secret>,
    ) -> Result<RawResponse, PortalError> {
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let outcome = self.send_once(request, authorization).await;
            let retry_after = match &outcome {
                Ok(response)
                    if request.resend == Resend::Idempotent
                        && is_retryable_status(response.status) =>
                {
                    Some(response.retry_after)
                }
                Err(PortalError::Transport { phase, .. })
                    if *phase == Phase::Connect || request.resend == Resend::Idempotent =>
                {
                    Some(None)
                }
                _ => None,
            };
            let Some(retry_after) = retry_after else {
                return outcome;
            };
            if attempt >= self.retry.attempts {
                return outcome;
            }
            let Some(delay) = self.retry.delay(attempt, retry_after) else {
                return match outcome {
                    Ok(response) => Err(PortalError::RetryLater {
                        endpoint: request.endpoint(),
                        status: response.status,
                        seconds: retry_after.unwrap_or_default().as_secs(),
                        request_id: serde_json::from_slice(&response.body)
                            .ok()
                            .and_then(|body| request_id_of(&body)),
                    }),
                    Err(error) => Err(error),
                };
            };
            if started.elapsed() + delay > self.retry.budget {
                return outcome;
            }
            self.log(
                1,
                &format!(
                    "  retrying in {} ms (attempt {} of {})",
                    delay.as_millis(),
                    attempt + 1,
                    self.retry.attempts
                ),
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn send_once(
        &self,
        request: &Request,
        authorization: Option<&Secret>,
    ) -> Result<RawResponse, PortalError> {
        let url = self.url(request)?;
        let endpoint = request.endpoint();
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, USER_AGENT_VALUE.parse().expect("static header"));
        if let Some(authorization) = authorization {
            let mut value = authorization
                .expose()
                .parse::<reqwest::header::HeaderValue>()
                .map_err(|_| PortalError::Transport {
                    endpoint: endpoint.clone(),
                    phase: Phase::Connect,
                    message: "the access token has characters a header cannot carry".to_owned(),
                })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let mut builder = self.client.request(request.method.clone(), url.clone());
        let logged_body = match &request.body {
            Body::Empty => None,
            Body::Form(fields) => {
                builder = builder.form(fields);
                let text = serde_urlencoded_pairs(fields);
                Some(redact::redact_form(&text))
            }
            Body::Json(bytes) => {
                headers.insert(
                    CONTENT_TYPE,
                    "application/json".parse().expect("static header"),
                );
                builder = builder.body(bytes.clone());
                Some(loggable_json(bytes))
            }
        };
        self.log(1, &format!("> {} {}", request.method, url));
        if let Some(body) = logged_body {
            self.log(2, &format!("> {body}"));
        }
        let started = Instant::now();
        let mut response = builder
            .headers(headers)
            .send()
            .await
            .map_err(|error| self.transport_error(&endpoint, &error, started))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let mut body = BytesMut::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_BODY {
                        self.log(
                            1,
                            &format!("< {status} body over {} MiB, not read", MAX_BODY >> 20),
                        );
                        return Err(PortalError::TooLarge {
                            endpoint,
                            status,
                            limit_mib: MAX_BODY >> 20,
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(error) => return Err(self.transport_error(&endpoint, &error, started)),
            }
        }
        let body = body.freeze();
        if self.verbosity >= 1 {
            let parsed: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
            let request_id = parsed
                .as_ref()
                .and_then(request_id_of)
                .map(|id| format!(" requestId={id}"))
                .unwrap_or_default();
            self.log(
                1,
                &format!(
                    "< {status} ({} ms){request_id}",
                    started.elapsed().as_millis()
                ),
            );
            if self.verbosity >= 2 {
                let shown = match parsed {
                    Some(value) => redact::redact_json(&value).to_string(),
                    None => super::error::snippet(&body),
                };
                self.log(2, &format!("< {shown}"));
            }
        }
        Ok(RawResponse {
            status,
            body,
            retry_after,
        })
    }

    fn transport_error(
        &self,
        endpoint: &str,
        error: &reqwest::Error,
        started: Instant,
    ) -> PortalError {
        let phase = if error.is_connect() {
            Phase::Connect
        } else if error.is_timeout() {
            Phase::Timeout
        } else {
            Phase::Broken
        };
        let message = match phase {
            Phase::Timeout => format!("timed out after {:.1} s", started.elapsed().as_secs_f64()),
            _ => describe_reqwest_error(error),
        };
        self.log(1, &format!("< {endpoint}: {message}"));
        PortalError::Transport {
            endpoint: endpoint.to_owned(),
            phase,
            message,
        }
    }

    fn log(&self, level: u8, line: &str) {
        if self.verbosity >= level {
            crate::output::log_line(&redact::scrub(line));
        }
    }
}

/// The innermost, most specific cause of a reqwest error, without URLs or debug dumps.
fn describe_reqwest_error(error: &reqwest::Error) -> String {
    let mut innermost = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        innermost = cause.to_string();
        source = cause.source();
    }
    innermost
}

fn serde_urlencoded_pairs(fields: &[(&'static str, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

fn loggable_json(bytes: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(value) => redact::redact_json(&value).to_string(),
        Err(_) => super::error::snippet(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_honoured_as_seconds_or_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("soon", now), None);

        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        // Asking for more than we wait is an answer, not a retry.
        assert_eq!(policy.delay(1, Some(Duration::from_secs(600))), None);
    }

    #[test]
    fn backoff_doubles_within_bounds() {
        let policy = RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            budget: Duration::from_secs(5),
        };
        let first = policy.delay(1, None).unwrap();
        let second = policy.delay(2, None).unwrap();
        assert!(first >= Duration::from_millis(100) && first <= Duration::from_millis(125));
        assert!(second >= Duration::from_millis(200) && second <= Duration::from_millis(250));
        assert_eq!(policy.delay(10, None), Some(Duration::from_millis(1000)));
    }
}
