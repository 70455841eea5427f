//! What the portal or the network can say. Every error names the endpoint and carries what is
//! known of the HTTP status, the portal's `code` and message, and its `requestId`; deciding
//! what a user is told, and with which exit code, is the caller's business.

/// Where a transport failure happened, which decides whether a request may have been sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No byte of the request reached a live connection (refused, unreachable, DNS, or a
    /// pooled connection found closed before the request was written).
    Connect,
    /// The request was (or may have been) sent and no answer came in time.
    Timeout,
    /// The connection broke after the request was (or may have been) written.
    Broken,
}

#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
/// What went wrong with a call to the portal. Every variant names the endpoint; those with an answer carry its HTTP status, and the portal's `requestId` where it sent one.
pub enum Error {
    /// An envelope whose `code` is not `success`, or a success code with a non-2xx status.
    #[error("{endpoint} was refused: {message} ({code}, HTTP {status})", message = shown_message(message))]
    Rejected {
        /// The endpoint, as `POST /path`.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The portal's `code`.
        code: String,
        /// The portal's message, or what failed.
        message: String,
        /// The portal's `requestId`, when it sent one.
        request_id: Option<String>,
        /// The token endpoint refused the client credentials or the refresh token.
        credentials: bool,
    },

    /// A body that is not JSON at all, such as a proxy's HTML error page.
    #[error("{endpoint} answered HTTP {status} with a body that is not JSON: {snippet}")]
    NotJson {
        /// The endpoint, as `POST /path`.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body, control characters removed.
        snippet: String,
    },

    /// JSON, but not the shape this client needs: a field missing or of another type.
    #[error("{endpoint} answered in an unexpected shape: {detail}")]
    Shape {
        /// The endpoint, as `POST /path`.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The field that is missing or of the wrong type, where it can be named.
        field: Option<String>,
        /// What is wrong with the shape.
        detail: String,
        /// The portal's `requestId`, when it sent one.
        request_id: Option<String>,
    },

    /// A body larger than any answer this client expects.
    #[error(
        "{endpoint} answered HTTP {status} with a body over {limit_mib} MiB, which is not read"
    )]
    TooLarge {
        /// The endpoint, as `POST /path`.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The limit, in MiB.
        limit_mib: usize,
    },

    /// The connection failed; `phase` tells whether the request may have been sent.
    #[error("{endpoint} {what}", what = transport_text(*phase, message))]
    Transport {
        /// The endpoint, as `POST /path`.
        endpoint: String,
        /// How far the request got.
        phase: Phase,
        /// The portal's message, or what failed.
        message: String,
    },

    /// The server's TLS certificate is not trusted (a company proxy that inspects TLS, say).
    /// Nothing was sent; trying again changes nothing.
    #[error("{endpoint} could not be reached securely: {message}")]
    Certificate {
        /// The endpoint, as `POST /path`.
        endpoint: String,
        /// The portal's message, or what failed.
        message: String,
    },

    /// The portal asked to be retried later than this client waits.
    #[error("{endpoint} answered HTTP {status} and asked to retry after {seconds} s")]
    RetryLater {
        /// The endpoint, as `POST /path`.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// How long the portal asked to wait.
        seconds: u64,
        /// The portal's `requestId`, when it sent one.
        request_id: Option<String>,
    },

    /// A redirect: the base URL is not the API's (an `http://` URL redirected to `https://`).
    #[error("{endpoint} answered HTTP {status}, a redirect{to}", to = location.as_deref().map(|l| format!(" to {l}")).unwrap_or_default())]
    Redirect {
        /// The endpoint, as `POST /path`.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The `Location` header, when there was one.
        location: Option<String>,
    },

    /// The request was answered 401 (the access token was refused, so it was not processed)
    /// and renewing the token failed; `cause` says how.
    #[error("{endpoint} was answered HTTP 401 (the access token was refused, so it was not processed), and renewing the access token failed: {cause}")]
    Renewal {
        /// The endpoint, as `POST /path`.
        endpoint: String,
        /// Why the renewal failed.
        cause: Box<Error>,
    },

    /// The client could not be set up (an unusable base URL, say).
    #[error("{0}")]
    Setup(String),
}

/// The `code` of an error answer that had none.
pub(crate) const NO_CODE: &str = "(none)";

fn shown_message(message: &str) -> &str {
    if message.trim().is_empty() {
        "no reason given"
    } else {
        message
    }
}

fn transport_text(phase: Phase, message: &str) -> String {
    match phase {
        Phase::Connect => format!("could not be reached: {message}"),
        Phase::Timeout => format!("got no answer in time: {message}"),
        Phase::Broken => format!("failed while talking to the portal: {message}"),
    }
}

impl Error {
    /// `GET /path`: the endpoint the error is about.
    pub fn endpoint(&self) -> Option<&str> {
        match self {
            Error::Rejected { endpoint, .. }
            | Error::NotJson { endpoint, .. }
            | Error::Shape { endpoint, .. }
            | Error::TooLarge { endpoint, .. }
            | Error::Transport { endpoint, .. }
            | Error::Certificate { endpoint, .. }
            | Error::RetryLater { endpoint, .. }
            | Error::Redirect { endpoint, .. }
            | Error::Renewal { endpoint, .. } => Some(endpoint),
            Error::Setup(_) => None,
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Rejected { status, .. }
            | Error::NotJson { status, .. }
            | Error::Shape { status, .. }
            | Error::TooLarge { status, .. }
            | Error::RetryLater { status, .. }
            | Error::Redirect { status, .. } => Some(*status),
            Error::Renewal { cause, .. } => cause.status(),
            Error::Transport { .. } | Error::Certificate { .. } | Error::Setup(_) => None,
        }
    }

    /// The portal's `code`, when it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Rejected { code, .. } => Some(code),
            Error::Renewal { cause, .. } => cause.code(),
            _ => None,
        }
    }

    /// The portal's `detailMessage`, when it gave one.
    pub fn message(&self) -> Option<&str> {
        match self {
            Error::Rejected { message, .. } if !message.trim().is_empty() => Some(message),
            _ => None,
        }
    }

    /// The portal's `requestId`, to quote to Yeastar support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Rejected { request_id, .. }
            | Error::Shape { request_id, .. }
            | Error::RetryLater { request_id, .. } => request_id.as_deref(),
            Error::Renewal { cause, .. } => cause.request_id(),
            _ => None,
        }
    }

    /// The transport phase of a connection failure.
    pub fn phase(&self) -> Option<Phase> {
        match self {
            Error::Transport { phase, .. } => Some(*phase),
            Error::Certificate { .. } => Some(Phase::Connect),
            _ => None,
        }
    }

    /// The token endpoint refused the credentials (or the refresh token).
    pub fn is_credentials(&self) -> bool {
        match self {
            Error::Rejected { credentials, .. } => *credentials,
            Error::Renewal { cause, .. } => cause.is_credentials(),
            _ => false,
        }
    }

    /// The field an unexpected answer lacks, where it can be named.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Shape { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// An endpoint that does not exist here: HTTP 404 with a body that is not the portal's
    /// envelope (partner-api.md 10.7): not JSON, or JSON without a `code` (a framework's
    /// own "Not Found" page).
    pub fn is_missing_endpoint(&self) -> bool {
        match self {
            Error::NotJson { status: 404, .. } => true,
            Error::Rejected {
                status: 404, code, ..
            } => code == NO_CODE,
            _ => false,
        }
    }

    /// The request provably took no effect: it never reached a live connection, or it was
    /// answered 401 and the token could not be renewed to send it again.
    pub fn never_sent(&self) -> bool {
        self.phase() == Some(Phase::Connect) || matches!(self, Error::Renewal { .. })
    }

    pub(crate) fn shape(
        endpoint: &str,
        status: u16,
        request_id: Option<String>,
        detail: impl Into<String>,
    ) -> Self {
        let detail = without_position(detail.into());
        Error::Shape {
            endpoint: endpoint.to_owned(),
            status,
            field: field_named_in(&detail),
            detail,
            request_id,
        }
    }
}

/// serde's ` at line 1 column 56` counts in the text of one list item, not in the body the
/// user could look at: it is left out.
fn without_position(detail: String) -> String {
    let Some(at) = detail.rfind(" at line ") else {
        return detail;
    };
    let tail = &detail[at + " at line ".len()..];
    let is_position = tail.split_once(" column ").is_some_and(|(line, column)| {
        !line.is_empty()
            && !column.is_empty()
            && line.bytes().all(|b| b.is_ascii_digit())
            && column.bytes().all(|b| b.is_ascii_digit())
    });
    if is_position {
        detail[..at].to_owned()
    } else {
        detail
    }
}

/// The field serde names in "missing field `planId`" or "invalid type … for key `x`".
fn field_named_in(detail: &str) -> Option<String> {
    let start = detail.find('`')? + 1;
    let end = start + detail[start..].find('`')?;
    Some(detail[start..end].to_owned()).filter(|field| !field.is_empty())
}

/// The start of a body, cleaned for a terminal: an HTML page's title, else the first line that
/// is not blank; at most 120 characters, no control codes.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let line = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("");
    let mut clean: String = line
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(120)
        .collect();
    if line.chars().count() > 120 {
        clean.push('…');
    }
    if clean.is_empty() {
        return "(empty body)".to_owned();
    }
    // An HTML page's first line is often just `<html>`; its title says what happened.
    match html_title(&text) {
        Some(title) if !clean.contains(title) => {
            let title: String = title.chars().filter(|c| !c.is_control()).take(80).collect();
            format!("{clean} (page title: {title})")
        }
        _ => clean,
    }
}

fn html_title(text: &str) -> Option<&str> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title")?;
    text.get(open_end..close)
        .map(str::trim)
        .filter(|title| !title.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_show_the_first_line_and_an_html_title() {
        assert_eq!(
            snippet(b"\n\n  <html><title>502 Bad Gateway</title>"),
            "<html><title>502 Bad Gateway</title>"
        );
        assert_eq!(
            snippet(b"<html>\n<head><title> Access denied </title></head>"),
            "<html> (page title: Access denied)"
        );
        assert_eq!(snippet(b""), "(empty body)");
        assert_eq!(snippet(b"\x1b[31mred"), " [31mred");
        assert!(snippet(&[b'x'; 500]).ends_with('…'));
        assert_eq!(snippet(b"\xff\xfe{"), "\u{fffd}\u{fffd}{");
    }

    #[test]
    fn shape_errors_name_the_field() {
        let error = Error::shape(
            "GET /p",
            200,
            None,
            "item 1: missing field `planId` at line 1 column 56",
        );
        assert_eq!(error.field(), Some("planId"));
        assert!(
            error.to_string().ends_with("missing field `planId`"),
            "{error}"
        );
        assert!(error.to_string().contains("GET /p"));
        assert_eq!(Error::shape("GET /p", 200, None, "no field").field(), None);
    }
}
