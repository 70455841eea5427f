//! What the portal or the network can say, typed so that the boundary can pick an exit code.

use crate::error::Kind;

/// Where a transport failure happened, which decides whether a request may have been sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The connection could not be opened: the request never left the machine.
    Connect,
    /// The request was (or may have been) sent and no answer came in time.
    Timeout,
    /// The connection broke after it was opened (reset, closed, unreadable body).
    Broken,
}

#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    /// An envelope whose `code` is not `success`, or a success code with a non-2xx status.
    #[error("{endpoint} was refused: {detail} ({code}, HTTP {status})", detail = display_detail(detail))]
    Rejected {
        endpoint: String,
        status: u16,
        code: String,
        detail: String,
        request_id: Option<String>,
        /// The token endpoint refused the credentials or the refresh token.
        credentials: bool,
    },

    /// A body that is not JSON at all, such as a proxy's HTML error page.
    #[error("{endpoint} answered HTTP {status} with a body that is not JSON: {snippet}")]
    NotJson {
        endpoint: String,
        status: u16,
        snippet: String,
    },

    /// JSON, but not the shape this client needs.
    #[error("{endpoint} answered in an unexpected shape: {detail}")]
    Shape {
        endpoint: String,
        status: u16,
        detail: String,
        request_id: Option<String>,
    },

    /// A body larger than any answer this client expects.
    #[error("{endpoint} answered HTTP {status} with a body over {limit_mib} MiB, which linkus does not read")]
    TooLarge {
        endpoint: String,
        status: u16,
        limit_mib: usize,
    },

    #[error("{endpoint} {what}", what = transport_text(*phase, message))]
    Transport {
        endpoint: String,
        phase: Phase,
        message: String,
    },

    /// The portal asked us to wait longer than this client will.
    #[error("{endpoint} answered HTTP {status} and asked to retry after {seconds} s")]
    RetryLater {
        endpoint: String,
        status: u16,
        seconds: u64,
        request_id: Option<String>,
    },
}

fn display_detail(detail: &str) -> &str {
    if detail.trim().is_empty() {
        "no reason given"
    } else {
        detail
    }
}

fn transport_text(phase: Phase, message: &str) -> String {
    match phase {
        Phase::Connect => format!("could not be reached: {message}"),
        Phase::Timeout => format!("got no answer in time: {message}"),
        Phase::Broken => format!("failed while talking to the portal: {message}"),
    }
}

impl PortalError {
    pub fn kind(&self) -> Kind {
        match self {
            PortalError::Rejected {
                credentials: true, ..
            } => Kind::Auth,
            PortalError::Rejected { status, .. } => match status {
                401 | 403 => Kind::Auth,
                429 | 500..=599 => Kind::Network,
                _ => Kind::Rejected,
            },
            // A proxy or firewall page that denies access (an IP restriction, say) is still
            // about access, not about the network.
            PortalError::NotJson {
                status: 401 | 403, ..
            } => Kind::Auth,
            PortalError::NotJson { .. }
            | PortalError::Shape { .. }
            | PortalError::TooLarge { .. }
            | PortalError::Transport { .. }
            | PortalError::RetryLater { .. } => Kind::Network,
        }
    }

    pub fn http_status(&self) -> Option<u16> {
        match self {
            PortalError::Rejected { status, .. }
            | PortalError::NotJson { status, .. }
            | PortalError::Shape { status, .. }
            | PortalError::TooLarge { status, .. }
            | PortalError::RetryLater { status, .. } => Some(*status),
            PortalError::Transport { .. } => None,
        }
    }

    pub fn portal_code(&self) -> Option<&str> {
        match self {
            PortalError::Rejected { code, .. } => Some(code),
            _ => None,
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            PortalError::Rejected { request_id, .. }
            | PortalError::Shape { request_id, .. }
            | PortalError::RetryLater { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The transport phase, for the order path's "was it sent?" decision.
    pub fn phase(&self) -> Option<Phase> {
        match self {
            PortalError::Transport { phase, .. } => Some(*phase),
            _ => None,
        }
    }

    pub fn hints(&self) -> Vec<String> {
        let mut hints = Vec::new();
        match self.kind() {
            Kind::Auth => {
                hints.push(
                    "Check the client ID and secret with `linkus auth login` (Partner Portal, System > API)."
                        .to_owned(),
                );
                hints.push(
                    "If the account restricts API access by IP (Client IP Restriction), allow this machine's address."
                        .to_owned(),
                );
            }
            Kind::Network => {
                if let PortalError::Transport {
                    phase: Phase::Timeout,
                    ..
                } = self
                {
                    hints.push(
                        "The portal may be slow: try again, or allow more time with --timeout SECS."
                            .to_owned(),
                    );
                } else if let PortalError::Transport {
                    phase: Phase::Connect,
                    ..
                } = self
                {
                    hints.push(
                        "Check the network connection and the base URL (--base-url, LINKUS_BASE_URL), then try again."
                            .to_owned(),
                    );
                } else if self.http_status() == Some(404) {
                    hints.push(
                        "Nothing answers at that address: check the base URL (--base-url, LINKUS_BASE_URL)."
                            .to_owned(),
                    );
                } else {
                    hints.push(
                        "The portal or a proxy in between is having trouble: try again in a few minutes."
                            .to_owned(),
                    );
                }
            }
            Kind::Rejected => {
                hints.push(
                    "The portal gave the reason above; fix the request and run the command again."
                        .to_owned(),
                );
            }
            _ => {}
        }
        hints
    }
}

/// The start of a body, cleaned for a terminal: an HTML page's title, else the first line that
/// is not blank; at most 120 characters, no control codes.
pub fn snippet(body: &[u8]) -> String {
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
}
