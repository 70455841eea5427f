//! HTTP: one request at a time, with the retry rules of a money-spending client. Reads and
//! token requests are retried on transient failures; anything that may spend money is sent
//! again only when it provably never reached a live connection.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{
    HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER, USER_AGENT,
};
use url::Url;

use crate::clock::Clock;
use crate::envelope::request_id_of;
use crate::error::{Error, Phase};
use crate::retry::{is_retryable_status, parse_retry_after, RetryPolicy, Throttle};
use crate::secret::Secret;

/// An HTTP method of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`: a read.
    Get,
    /// `POST`: orders, tokens, Enable Auto-renewal.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// `GET`, `POST`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    fn to_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The headers of a request as sent or of an answer as received. Its `Debug` shows every
/// name, and the values of all but the credentials (`Authorization`, cookies).
#[derive(Clone, Default)]
pub struct Headers(HeaderMap);

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const CREDENTIALS: [&str; 4] = [
            "authorization",
            "proxy-authorization",
            "cookie",
            "set-cookie",
        ];
        f.debug_map()
            .entries(self.0.iter().map(|(name, value)| {
                let shown = if CREDENTIALS.contains(&name.as_str()) {
                    crate::REDACTED
                } else {
                    value.to_str().unwrap_or("(not text)")
                };
                (name.as_str(), shown)
            }))
            .finish()
    }
}

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Headers::default()
    }

    /// The first value of the header `name` (any case), when it is visible ASCII text.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|value| value.to_str().ok())
    }

    /// Every header in order: its name (lower case) and its value's bytes.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.0
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()))
    }

    /// How many header values there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds a header (a name or value that HTTP cannot carry is ignored).
    pub fn insert(&mut self, name: &str, value: &str) {
        if let (Ok(name), Ok(value)) = (
            reqwest::header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// No answer the portal gives is this large; a bigger body is refused, not buffered.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// A pooled connection idle for longer than this is not used again: a load balancer may have
/// closed it, and an order sent on it could be lost unnoticed (CLI.md section 3).
pub const POOL_IDLE: Duration = Duration::from_secs(1);

/// The body of a request. Its `Debug` shows the form's field names and its `grant_type`,
/// and a JSON body's size: never a secret, a token or a customer's data.
#[derive(Clone)]
pub enum Body {
    /// No body.
    Empty,
    /// Form fields (the token requests).
    Form(Vec<(&'static str, String)>),
    /// The exact bytes of a JSON body.
    Json(Vec<u8>),
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Form(fields) => f
                .debug_tuple("Form")
                .field(&DebugList(fields.iter().map(|(key, value)| {
                    let shown = if *key == "grant_type" {
                        value.as_str()
                    } else {
                        crate::REDACTED
                    };
                    (*key, shown)
                })))
                .finish(),
            Body::Json(bytes) => write!(f, "Json({} bytes)", bytes.len()),
        }
    }
}

/// Lists what an iterator yields, for `Debug` impls that choose what shows.
struct DebugList<I>(I);

impl<I, T> fmt::Debug for DebugList<I>
where
    I: Iterator<Item = T> + Clone,
    T: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.clone()).finish()
    }
}

/// Which failures may be answered by sending the request again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// Token requests and reads: connection errors, timeouts, 429, 502, 503, 504.
    Idempotent,
    /// Anything that may spend money: only when the request provably never left the machine.
    OnlyIfNotSent,
}

/// One request to a path of the API.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Request {
    /// The HTTP method.
    pub method: Method,
    /// The path under the base URL.
    pub path: String,
    /// Query parameters, in order.
    pub query: Vec<(String, String)>,
    /// The body.
    pub body: Body,
    /// When the request may be sent again.
    pub resend: Resend,
}

impl Request {
    /// A request with `method` to `path`, no query and no body, resent as a read is; set the
    /// fields (`query`, `body`, `resend`) as needed.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Request {
            method,
            path: path.into(),
            query: Vec::new(),
            body: Body::Empty,
            resend: Resend::Idempotent,
        }
    }

    /// A read: retried on transient failures.
    pub fn get(path: impl Into<String>) -> Self {
        Request::new(Method::Get, path)
    }

    /// A request with a JSON body that may change something: never retried once it may have
    /// been sent.
    pub fn json(method: Method, path: impl Into<String>, body: Vec<u8>) -> Self {
        Request {
            body: Body::Json(body),
            resend: Resend::OnlyIfNotSent,
            ..Request::new(method, path)
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_owned(), value.to_string()));
        self
    }

    /// `GET /path`, the name errors use for an endpoint.
    pub fn endpoint(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// An answer with any status: the caller reads the envelope. Its `Debug` shows the body's
/// size, not the body (a token answer holds the tokens).
#[derive(Clone)]
#[non_exhaustive]
pub struct RawResponse {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: Headers,
    /// The body as received.
    pub body: Vec<u8>,
    /// What a `Retry-After` header asked for, when there was one.
    pub retry_after: Option<Duration>,
}

impl fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &format_args!("{} bytes", self.body.len()))
            .field("retry_after", &self.retry_after)
            .finish()
    }
}

impl RawResponse {
    /// The portal's `requestId`, when the body is a JSON object that has one (for logs).
    pub fn request_id(&self) -> Option<String> {
        request_id_of(&self.body)
    }

    /// The answer read as the portal's envelope (partner-api.md 1.3): a [`Reply`](crate::Reply) when the
    /// status is 2xx **and** the body's `code` is `success`, else the error it is, naming
    /// `endpoint` (`POST /path`).
    pub fn reply(&self, endpoint: &str) -> Result<crate::Reply, Error> {
        crate::envelope::parse(endpoint, self.status, &self.body)
    }

    /// Like [`RawResponse::reply`], with a redirect's `Location` in its error: how the client
    /// reads every answer but an order's.
    pub(crate) fn reply_located(&self, endpoint: &str) -> Result<crate::Reply, Error> {
        if (300..400).contains(&self.status) {
            return Err(Error::Redirect {
                endpoint: endpoint.to_owned(),
                status: self.status,
                location: self.location(),
            });
        }
        self.reply(endpoint)
    }

    /// The start of the body, cleaned for a terminal: an HTML page's title, else the first
    /// line that is not blank; at most 120 characters, no control codes.
    pub fn snippet(&self) -> String {
        crate::error::snippet(&self.body)
    }

    /// Where a redirect points.
    pub fn location(&self) -> Option<String> {
        self.headers.get(LOCATION.as_str()).map(str::to_owned)
    }
}

/// A request as it goes on the wire, shown to an [`Observer`]. Secrets are in it as sent
/// (the `Authorization` header, the token request's form): an observer redacts them.
#[non_exhaustive]
pub struct SentRequest<'a> {
    /// The HTTP method.
    pub method: &'a Method,
    /// The full URL.
    pub url: &'a Url,
    /// The headers as sent.
    pub headers: &'a Headers,
    /// The body as sent, if any.
    pub body: Option<&'a [u8]>,
}

impl SentRequest<'_> {
    /// The start of the body, cleaned for a terminal (see [`RawResponse::snippet`]); `""`
    /// when there is none.
    pub fn body_snippet(&self) -> String {
        self.body.map(crate::error::snippet).unwrap_or_default()
    }
}

/// One finished exchange (one attempt), shown to an [`Observer`].
#[non_exhaustive]
pub struct Exchange<'a> {
    /// The request.
    pub request: SentRequest<'a>,
    /// When the attempt started.
    pub started_at: SystemTime,
    /// How long it took.
    pub elapsed: Duration,
    /// The answer, or why there was none.
    pub response: Result<&'a RawResponse, &'a Error>,
}

/// Sees every HTTP exchange: for logs (`-v`) and captures for bug reports. The default
/// methods do nothing.
pub trait Observer: Send + Sync {
    /// A request is about to be sent.
    fn request(&self, _request: &SentRequest<'_>) {}
    /// A request was answered, or failed.
    fn exchange(&self, _exchange: &Exchange<'_>) {}
    /// A request will be sent again after `delay`.
    fn retry(&self, _endpoint: &str, _next_attempt: u32, _attempts: u32, _delay: Duration) {}
}

/// Which connection a request may go out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Connection {
    /// An idle pooled connection when there is one (every request but some orders).
    Pooled,
    /// A new connection, opened for this request and not kept: one the server cannot have
    /// closed while it sat idle (an order, where the pool's state cannot be trusted).
    Fresh,
}

/// The HTTP layer: a connection pool, a base URL and the retry rules.
pub struct Transport {
    client: reqwest::Client,
    /// The client for [`Connection::Fresh`], built when first needed.
    fresh: std::sync::OnceLock<Option<reqwest::Client>>,
    timeout: Duration,
    base: Url,
    retry: RetryPolicy,
    user_agent: HeaderValue,
    observer: Option<Arc<dyn Observer>>,
    clock: Arc<dyn Clock>,
    throttle: Throttle,
}

impl Transport {
    pub(crate) fn new(
        base: Url,
        timeout: Duration,
        retry: RetryPolicy,
        user_agent: &str,
        observer: Option<Arc<dyn Observer>>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        if !matches!(base.scheme(), "http" | "https") {
            return Err(Error::Setup(format!(
                "the base URL must start with https:// (or http://), not {}://",
                base.scheme()
            )));
        }
        let client = http_client(&base, timeout, Connection::Pooled)?;
        let user_agent = HeaderValue::from_str(user_agent)
            .map_err(|_| Error::Setup(format!("{user_agent:?} cannot be a User-Agent")))?;
        Ok(Transport {
            client,
            fresh: std::sync::OnceLock::new(),
            timeout,
            base,
            retry,
            user_agent,
            observer,
            clock,
            throttle: Throttle::default(),
        })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    fn url(&self, request: &Request) -> Result<Url, Error> {
        let mut url = url_for(&self.base, &request.path).map_err(|error| Error::Transport {
            endpoint: request.endpoint(),
            phase: Phase::Connect,
            message: format!("invalid URL: {error}"),
        })?;
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&request.query);
        }
        Ok(url)
    }

    /// Sends, with retries as the request's [`Resend`] allows. A response with any status is
    /// `Ok`: the caller reads the envelope.
    pub async fn send(
        &self,
        request: &Request,
        authorization: Option<&Secret>,
    ) -> Result<RawResponse, Error> {
        self.send_on(request, authorization, Connection::Pooled)
            .await
    }

    /// Like [`Transport::send`], on the kind of connection given.
    pub(crate) async fn send_on(
        &self,
        request: &Request,
        authorization: Option<&Secret>,
        connection: Connection,
    ) -> Result<RawResponse, Error> {
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            self.throttle.wait().await;
            let outcome = self.send_once(request, authorization, connection).await;
            if let Ok(response) = &outcome {
                if response.status == 429 {
                    let wait = self.retry.delay(attempt, response.retry_after);
                    self.throttle.pause(wait.unwrap_or(self.retry.max_delay));
                }
            }
            let retry_after = match &outcome {
                Ok(response)
                    if request.resend == Resend::Idempotent
                        && is_retryable_status(response.status) =>
                {
                    Some(response.retry_after)
                }
                Err(Error::Transport { phase, .. })
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
                    Ok(response) => Err(Error::RetryLater {
                        endpoint: request.endpoint(),
                        status: response.status,
                        seconds: retry_after.unwrap_or_default().as_secs(),
                        request_id: request_id_of(&response.body),
                    }),
                    Err(error) => Err(error),
                };
            };
            if started.elapsed() + delay > self.retry.budget {
                return outcome;
            }
            if let Some(observer) = &self.observer {
                observer.retry(&request.endpoint(), attempt + 1, self.retry.attempts, delay);
            }
            // A 429 paused every request already; other failures wait here.
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn send_once(
        &self,
        request: &Request,
        authorization: Option<&Secret>,
        connection: Connection,
    ) -> Result<RawResponse, Error> {
        let url = self.url(request)?;
        let endpoint = request.endpoint();
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, self.user_agent.clone());
        if let Some(authorization) = authorization {
            let mut value =
                HeaderValue::from_str(authorization.expose()).map_err(|_| Error::Transport {
                    endpoint: endpoint.clone(),
                    phase: Phase::Connect,
                    message: "the access token has characters a header cannot carry".to_owned(),
                })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let body: Option<Vec<u8>> = match &request.body {
            Body::Empty => None,
            Body::Form(fields) => {
                headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                );
                Some(
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(fields)
                        .finish()
                        .into_bytes(),
                )
            }
            Body::Json(bytes) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Some(bytes.clone())
            }
        };
        let headers = Headers(headers);
        let sent = SentRequest {
            method: &request.method,
            url: &url,
            headers: &headers,
            body: body.as_deref(),
        };
        if let Some(observer) = &self.observer {
            observer.request(&sent);
        }
        let started_at = self.clock.now();
        let started = Instant::now();
        let result = match self.client_for(connection) {
            Ok(client) => {
                self.exchange(
                    client,
                    request.method,
                    &url,
                    &endpoint,
                    &headers,
                    body.clone(),
                )
                .await
            }
            Err(error) => Err(Error::Transport {
                endpoint: endpoint.clone(),
                phase: Phase::Connect,
                message: error.to_string(),
            }),
        };
        if let Some(observer) = &self.observer {
            observer.exchange(&Exchange {
                request: sent,
                started_at,
                elapsed: started.elapsed(),
                response: result.as_ref(),
            });
        }
        result
    }

    /// The pooled client, or the one that opens a new connection per request.
    fn client_for(&self, connection: Connection) -> Result<&reqwest::Client, Error> {
        match connection {
            Connection::Pooled => Ok(&self.client),
            Connection::Fresh => self
                .fresh
                .get_or_init(|| http_client(&self.base, self.timeout, Connection::Fresh).ok())
                .as_ref()
                .ok_or_else(|| Error::Setup("could not set up HTTP for a new connection".into())),
        }
    }

    async fn exchange(
        &self,
        client: &reqwest::Client,
        method: Method,
        url: &Url,
        endpoint: &str,
        headers: &Headers,
        body: Option<Vec<u8>>,
    ) -> Result<RawResponse, Error> {
        let started = Instant::now();
        let mut builder = client
            .request(method.to_reqwest(), url.clone())
            .headers(headers.0.clone());
        if let Some(body) = body {
            builder = builder.body(body);
        }
        let mut response = builder
            .send()
            .await
            .map_err(|error| transport_error(endpoint, &error, started))?;
        let status = response.status().as_u16();
        let headers = Headers(response.headers().clone());
        let retry_after = headers
            .get(RETRY_AFTER.as_str())
            .and_then(|value| parse_retry_after(value, self.clock.now()));
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_BODY {
                        return Err(Error::TooLarge {
                            endpoint: endpoint.to_owned(),
                            status,
                            limit_mib: MAX_BODY >> 20,
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(error) => return Err(transport_error(endpoint, &error, started)),
            }
        }
        Ok(RawResponse {
            status,
            headers,
            body,
            retry_after,
        })
    }
}

/// An HTTP client for the base URL: pooled connections, or ([`Connection::Fresh`]) none kept.
fn http_client(
    base: &Url,
    timeout: Duration,
    connection: Connection,
) -> Result<reqwest::Client, Error> {
    // reqwest is built without a default crypto provider, so that no C toolchain is needed
    // beyond ring's; installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder();
    if is_loopback(base) {
        // A proxy cannot reach this machine's loopback (the built-in sandbox, a local test
        // portal): HTTPS_PROXY and friends do not apply, as in Go's and curl's clients.
        builder = builder.no_proxy();
    }
    builder = match connection {
        Connection::Pooled => builder.pool_idle_timeout(POOL_IDLE),
        Connection::Fresh => builder.pool_max_idle_per_host(0),
    };
    builder
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| Error::Setup(format!("could not set up HTTP: {error}")))
}

/// The URL a request for `path` goes to: the base URL, then `path` without its leading
/// slashes, read as a browser reads a URL (`.` and `..` segments resolved, `%2e` counted as a
/// dot, `\` as `/`). The one place that builds request URLs, so that a caller can decide on
/// the URL exactly as it will be sent.
pub fn url_for(base: &Url, path: &str) -> Result<Url, url::ParseError> {
    let base = base.as_str().trim_end_matches('/');
    let path = path.trim_start_matches('/');
    Url::parse(&format!("{base}/{path}"))
}

/// Whether a URL points at this machine: `localhost` or a loopback address.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Classifies a reqwest failure: was the request provably never written, or may it have been?
fn transport_error(endpoint: &str, error: &reqwest::Error, started: Instant) -> Error {
    let mut never_written = error.is_connect();
    let mut certificate = None;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            // A pooled connection found closed before the request was written to it.
            never_written |= hyper.is_canceled();
        }
        if let Some(rustls::Error::InvalidCertificate(reason)) = tls_error(cause) {
            certificate = Some(certificate_reason(reason));
        }
        source = cause.source();
    }
    if let Some(reason) = certificate {
        return Error::Certificate {
            endpoint: endpoint.to_owned(),
            message: format!("the server's certificate is not trusted ({reason})"),
        };
    }
    let phase = if never_written {
        Phase::Connect
    } else if error.is_timeout() {
        Phase::Timeout
    } else {
        Phase::Broken
    };
    let message = match phase {
        Phase::Timeout => format!("timed out after {:.1} s", started.elapsed().as_secs_f64()),
        _ => innermost(error),
    };
    Error::Transport {
        endpoint: endpoint.to_owned(),
        phase,
        message,
    }
}

/// The rustls error in a cause, also where it sits inside (nested) `io::Error`s, whose
/// `source()` skips the error they wrap.
fn tls_error<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let mut io = cause.downcast_ref::<std::io::Error>();
    while let Some(inner) = io.and_then(std::io::Error::get_ref) {
        if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        io = inner.downcast_ref::<std::io::Error>();
    }
    None
}

/// Why a certificate was refused, in words.
fn certificate_reason(reason: &rustls::CertificateError) -> String {
    use rustls::CertificateError as Why;
    match reason {
        Why::UnknownIssuer => {
            "issued by a certificate authority that this system does not trust".to_owned()
        }
        Why::Expired | Why::ExpiredContext { .. } => "expired".to_owned(),
        Why::NotValidYet | Why::NotValidYetContext { .. } => {
            "not valid yet: check this machine's clock".to_owned()
        }
        Why::NotValidForName | Why::NotValidForNameContext { .. } => {
            "issued for another host name".to_owned()
        }
        Why::Revoked => "revoked".to_owned(),
        other => format!("{other:?}"),
    }
}

/// The innermost, most specific cause of an error, without URLs or debug dumps.
fn innermost(error: &reqwest::Error) -> String {
    let mut innermost = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        innermost = cause.to_string();
        source = cause.source();
    }
    innermost
}

#[cfg(test)]
mod debug_tests {
    use super::*;
    use crate::REDACTED;

    const SECRET: &str = "s3cr3t-client-value";
    const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.access-token";

    #[test]
    fn a_token_request_s_debug_shows_the_grant_never_the_secret_or_refresh_token() {
        let request = Request {
            body: Body::Form(vec![
                ("client_id", "id-1".to_owned()),
                ("client_secret", SECRET.to_owned()),
                ("grant_type", "pp_credentials".to_owned()),
                ("refresh_token", TOKEN.to_owned()),
            ]),
            ..Request::new(Method::Post, "/token")
        };
        let shown = format!("{request:?} {:?}", request.body);
        assert!(!shown.contains(SECRET) && !shown.contains(TOKEN), "{shown}");
        assert!(
            shown.contains("pp_credentials") && shown.contains(REDACTED),
            "{shown}"
        );
    }

    #[test]
    fn an_answer_s_debug_shows_its_size_never_its_body_or_credentials_in_headers() {
        let mut headers = Headers::new();
        headers.insert("authorization", &format!("Bearer {TOKEN}"));
        headers.insert("set-cookie", &format!("session={TOKEN}"));
        headers.insert("content-type", "application/json");
        let response = RawResponse {
            status: 200,
            headers,
            body: format!(r#"{{"result":{{"access_token":"{TOKEN}"}}}}"#).into_bytes(),
            retry_after: None,
        };
        let shown = format!("{response:?}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(
            shown.contains("200") && shown.contains("application/json"),
            "{shown}"
        );
        let json = Body::Json(format!(r#"{{"password":"{SECRET}"}}"#).into_bytes());
        assert!(!format!("{json:?}").contains(SECRET));
    }
}
