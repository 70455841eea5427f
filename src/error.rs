//! Error kinds, exit codes and hints, in one table (jj's `command_error.rs` pattern).
//!
//! Deep code returns `anyhow::Error` with context. The errors that decide an exit code are
//! typed: [`Failure`] for the ones `linkus` raises itself (usage, cancellation, blocks,
//! order outcomes) and [`PortalError`] for everything the portal or the network says, which
//! the client library reports without knowing about exit codes. [`diagnose`] walks an error
//! chain once, at the boundary, and turns it into a [`Report`]: text on stderr and, with
//! `--json`, the contract's error object.

use serde::Serialize;
use yeastar_partner::{Error as PortalError, Phase};

use crate::output::{clean, clip};

/// The signal that interrupted a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    Interrupt,
    Terminate,
    Hangup,
}

impl Signal {
    fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
            Signal::Hangup => 129,
        }
    }
}

/// What went wrong, in the terms of the contract's exit-code table (CLI.md section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Internal,
    Usage,
    Config,
    Cancelled,
    /// `--max-total` refused the order (exit 3, as a decline, but named apart).
    OverCap,
    Auth,
    Rejected,
    Network,
    OrderUnknown,
    OrderIncomplete,
    Blocked,
    Interrupted(Signal),
}

impl Kind {
    /// The one place where kinds become exit codes.
    pub(crate) fn exit_code(self) -> u8 {
        match self {
            Kind::Internal => 1,
            Kind::Usage | Kind::Config => 2,
            Kind::Cancelled | Kind::OverCap => 3,
            Kind::Auth => 4,
            Kind::Rejected => 5,
            Kind::Network => 6,
            Kind::OrderUnknown => 7,
            Kind::OrderIncomplete => 8,
            Kind::Blocked => 9,
            Kind::Interrupted(signal) => signal.exit_code(),
        }
    }

    /// How much a kind weighs when several rows of a batch ended differently: the contract's
    /// order 130, 7, 8, 9, 6, 4, 5, 3, 2, 1 (most serious first).
    pub(crate) fn severity(self) -> u8 {
        match self {
            Kind::Interrupted(_) => 10,
            Kind::OrderUnknown => 9,
            Kind::OrderIncomplete => 8,
            Kind::Blocked => 7,
            Kind::Network => 6,
            Kind::Auth => 5,
            Kind::Rejected => 4,
            Kind::Cancelled | Kind::OverCap => 3,
            Kind::Usage | Kind::Config => 2,
            Kind::Internal => 1,
        }
    }

    /// The `kind` member of the JSON error object.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Internal => "internal",
            Kind::Usage => "usage",
            Kind::Config => "config",
            Kind::Cancelled => "cancelled",
            Kind::OverCap => "over_cap",
            Kind::Auth => "auth",
            Kind::Rejected => "rejected",
            Kind::Network => "network",
            Kind::OrderUnknown => "order_unknown",
            Kind::OrderIncomplete => "order_incomplete",
            Kind::Blocked => "blocked",
            Kind::Interrupted(_) => "interrupted",
        }
    }
}

/// How a command ended. Commands return it, as uv's do: a command that printed its result
/// and still did not succeed (an order left pending, entries still unknown) returns the kind
/// that picks its exit code, having said why on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    Success,
    Failed(Kind),
}

impl ExitStatus {
    pub(crate) fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failed(kind) => kind.exit_code(),
        }
    }
}

/// What blocked an order (exit 9), for the JSON error object's `blockedBy`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BlockedBy {
    pub entry: Option<String>,
    pub order_no: Option<String>,
    /// `journal`, `lock`, `team` or `portal`.
    pub source: Option<&'static str>,
    pub host: Option<String>,
    pub user: Option<String>,
    /// Only for a run that is alive.
    pub pid: Option<u32>,
    /// Seconds since the earlier order, by its record's clock, where that is a possible age.
    pub age: Option<u64>,
}

/// An error raised by `linkus` itself whose kind decides the exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Failure {
    pub kind: Kind,
    pub message: String,
    pub hints: Vec<String>,
    /// The portal's request ID, HTTP status and code, when the failure is about one request.
    pub request_id: Option<String>,
    pub http_status: Option<u16>,
    pub portal_code: Option<String>,
    pub blocked_by: Option<BlockedBy>,
    /// Said as a plain line, not as `Error: …`: the user chose it (declined, pressed Esc).
    pub plain: bool,
}

impl Failure {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
            hints: Vec::new(),
            request_id: None,
            http_status: None,
            portal_code: None,
            blocked_by: None,
            plain: false,
        }
    }

    /// Printed without `Error:`, for an outcome the user chose; still exits with its kind.
    pub(crate) fn plain(mut self) -> Self {
        self.plain = true;
        self
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Failure::new(Kind::Usage, message)
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// The request ID, status and code of a portal answer this failure is about.
    pub(crate) fn about(mut self, error: &PortalError) -> Self {
        self.request_id = error.request_id().map(str::to_owned);
        self.http_status = error.status();
        self.portal_code = error.code().map(str::to_owned);
        self
    }
}

/// Shorthand for a usage error inside an `anyhow` flow.
pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
    Failure::usage(message).into()
}

/// Everything the boundary prints about a failed command.
#[derive(Debug)]
pub(crate) struct Report {
    pub kind: Kind,
    pub message: String,
    pub causes: Vec<String>,
    pub hints: Vec<String>,
    pub http_status: Option<u16>,
    pub portal_code: Option<String>,
    pub request_id: Option<String>,
    pub blocked_by: Option<BlockedBy>,
    pub plain: bool,
}

impl Report {
    pub(crate) fn exit_code(&self) -> u8 {
        self.kind.exit_code()
    }

    /// The contract's `{"error": {...}}` object (CLI.md section 5).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct ErrorObject<'a> {
            exit_code: u8,
            kind: &'a str,
            message: String,
            hint: Option<String>,
            http_status: Option<u16>,
            portal_code: Option<&'a str>,
            request_id: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            blocked_by: Option<&'a BlockedBy>,
        }
        let mut message = self.message.clone();
        for cause in &self.causes {
            message.push_str(": ");
            message.push_str(cause);
        }
        let object = ErrorObject {
            exit_code: self.exit_code(),
            kind: self.kind.name(),
            message,
            hint: (!self.hints.is_empty()).then(|| self.hints.join(" ")),
            http_status: self.http_status,
            portal_code: self.portal_code.as_deref(),
            request_id: self.request_id.as_deref(),
            blocked_by: self.blocked_by.as_ref(),
        };
        serde_json::json!({ "error": object })
    }

    /// The human form: `Error: …`, `Caused by: …`, the request ID, then `Hint: …` lines.
    pub(crate) fn to_text(&self, style: &crate::output::Style) -> String {
        let mut text = if self.plain {
            format!("{}\n", clean(&self.message))
        } else {
            format!("{} {}\n", style.error("Error:"), clean(&self.message))
        };
        for cause in &self.causes {
            text.push_str(&format!("Caused by: {}\n", clean(cause)));
        }
        if let Some(request_id) = &self.request_id {
            text.push_str(&format!(
                "Request ID: {} (quote it to Yeastar support)\n",
                clean(request_id)
            ));
        }
        for hint in &self.hints {
            text.push_str(&format!("{} {}\n", style.hint("Hint:"), clean(hint)));
        }
        text
    }
}

/// The kind and hints of an error the portal or the network gave.
pub(crate) fn classify(error: &PortalError) -> (Kind, Vec<String>) {
    let hints = |items: &[&str]| items.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>();
    let credentials = [
        "Check the client ID and secret with `linkus auth login` (Partner Portal, System > API).",
        "If the account restricts API access by IP (Client IP Restriction), allow this machine's address.",
    ];
    let base_url = "Check the base URL (--base-url, LINKUS_BASE_URL).";
    let shape = |field: Option<&str>| {
        vec![
            match field {
                Some(field) => format!("The portal's answer lacks `{field}` or gives it in another form, which trying again will not change."),
                None => "The portal's answer is not in the form linkus expects, which trying again will not change.".to_owned(),
            },
            "Run `linkus doctor` to see which answers differ, and add `--capture DIR` to record them for a bug report (secrets and personal data are left out).".to_owned(),
        ]
    };
    match error {
        PortalError::Rejected { .. } if error.is_credentials() => (Kind::Auth, hints(&credentials)),
        PortalError::Rejected { status: 401 | 403, .. } => (Kind::Auth, hints(&credentials)),
        PortalError::Rejected { status: 429, .. } => (
            Kind::Network,
            hints(&["The portal is limiting requests: wait a minute and run the command again."]),
        ),
        PortalError::Rejected { status: 500..=599, .. } => (
            Kind::Network,
            hints(&["The portal is having trouble: try again in a few minutes."]),
        ),
        PortalError::Rejected { code, .. } => {
            (Kind::Rejected, rejection_hints(code, error.endpoint()))
        }
        // A proxy or firewall page that denies access (an IP restriction, say) is still about
        // access, not about the network.
        PortalError::NotJson { status: 401 | 403, .. } => (Kind::Auth, hints(&credentials)),
        PortalError::NotJson { status: 404, .. } => (
            Kind::Network,
            vec![format!("Nothing answers there as the Partner Portal API would. {base_url}")],
        ),
        PortalError::NotJson { status: 500..=599, .. } => (
            Kind::Network,
            hints(&["The portal or a proxy in between is having trouble: try again in a few minutes."]),
        ),
        PortalError::NotJson { .. } => (
            Kind::Network,
            vec![
                format!("Something between linkus and the portal answered instead of the API (a proxy or a captive portal?). {base_url}"),
                "`linkus doctor` checks the set-up end to end.".to_owned(),
            ],
        ),
        PortalError::Shape { .. } => (Kind::Network, shape(error.field())),
        PortalError::TooLarge { .. } => (Kind::Network, shape(None)),
        PortalError::Transport { phase: Phase::Timeout, .. } => (
            Kind::Network,
            hints(&["The portal may be slow: try again, or allow more time with --timeout SECS."]),
        ),
        PortalError::Transport { phase: Phase::Connect, .. } => (
            Kind::Network,
            vec![format!("Check the network connection and the base URL (--base-url, LINKUS_BASE_URL), then try again.")],
        ),
        PortalError::Transport { .. } => (
            Kind::Network,
            hints(&["The connection broke: check the network and try again."]),
        ),
        PortalError::Certificate { .. } => (
            Kind::Network,
            hints(&[
                "A proxy or firewall that inspects TLS presents its own certificate: add its CA certificate to the system's trust store (Debian/Ubuntu: copy it to /usr/local/share/ca-certificates/ and run update-ca-certificates), or on Linux set SSL_CERT_FILE to a PEM file with that CA and the usual ones (the file replaces the system store).",
                "This will not change by itself; `linkus doctor` shows the proxy in use.",
            ]),
        ),
        PortalError::RetryLater { seconds, .. } => (
            Kind::Network,
            vec![format!("The portal asked to wait {seconds} s: run the command again after that.")],
        ),
        PortalError::Redirect { location, .. } => (
            Kind::Config,
            vec![match location {
                Some(location) => format!("The base URL redirects to {location}: use the address the API answers at as --base-url (LINKUS_BASE_URL), with https://."),
                None => format!("The base URL redirects elsewhere. {base_url}"),
            }],
        ),
        // A renewal refused is about the credentials (4); any other failure of it is the
        // portal's or the network's (6).
        PortalError::Renewal { cause, .. } => match classify(cause) {
            (Kind::Auth, hints) => (Kind::Auth, hints),
            (_, hints) => (Kind::Network, hints),
        },
        PortalError::Setup(_) => (Kind::Config, vec![base_url.to_owned()]),
        _ => (Kind::Network, Vec::new()),
    }
}

/// Hints for a refusal, by the portal's code where it says something specific, and for "not
/// found" by what the request was about (`GET /nope` has no SN or order to check).
fn rejection_hints(code: &str, endpoint: Option<&str>) -> Vec<String> {
    let code = code.to_ascii_lowercase();
    if code.contains("not_in_account") {
        vec!["Check the SN: that PBX is not in the partner account these credentials belong to (a typo, or another partner manages it).".to_owned()]
    } else if code.contains("not_found") {
        let path = endpoint
            .and_then(|e| e.split_whitespace().nth(1))
            .unwrap_or("");
        let hint = if path.starts_with(crate::paths::ORDER_DETAILS_PATH) {
            "Check the order number: `linkus orders list` lists the orders."
        } else if path.starts_with("/product/") || path.starts_with("/pricing/") {
            "Check the SN (on the PBX: Resource Monitor > Information > Serial Number)."
        } else {
            "Check the method and the path: the portal has no such API (the Partner Portal's API reference lists its paths)."
        };
        vec![hint.to_owned()]
    } else if code.contains("eligible") {
        vec!["Check the SN (on the PBX: Resource Monitor > Information > Serial Number), and that the PBX can have Linkus Cloud Service: Pro needs S-Series firmware 30.15.0.100, 65.16.0.8, 78.16.0.8 or later.".to_owned()]
    } else if code.contains("subscribed") {
        vec!["The PBX already has Linkus Cloud Service: `linkus renew` or `linkus switch` change it.".to_owned()]
    } else {
        vec!["Fix what the portal's message says, then run the command again.".to_owned()]
    }
}

/// Decides kind, message, causes and hints. A [`Failure`] anywhere in the chain decides the
/// kind; else a [`PortalError`]; anything else is an internal error.
pub(crate) fn diagnose(error: &anyhow::Error) -> Report {
    let failure = error.downcast_ref::<Failure>();
    let portal = error.downcast_ref::<PortalError>();
    let classified = portal.map(classify);
    let kind = failure
        .map(|f| f.kind)
        .or(classified.as_ref().map(|(kind, _)| *kind))
        .unwrap_or(Kind::Internal);

    let message = error.to_string();
    let mut causes: Vec<String> = Vec::new();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) && !causes.contains(&text) {
            causes.push(text);
        }
    }
    let mut hints = failure.map(|f| f.hints.clone()).unwrap_or_default();
    if failure.is_none_or(|f| f.hints.is_empty()) {
        hints.extend(classified.map(|(_, hints)| hints).unwrap_or_default());
    }
    if kind == Kind::Internal && hints.is_empty() {
        hints.push(
            "This looks like a bug in linkus. Run again with -v and report what it prints."
                .to_owned(),
        );
    }
    let scrub = |text: &str| clip(&crate::redact::scrub(text));
    Report {
        kind,
        message: scrub(&message),
        causes: causes.iter().map(|c| scrub(c)).collect(),
        hints,
        http_status: failure
            .and_then(|f| f.http_status)
            .or_else(|| portal.and_then(PortalError::status)),
        portal_code: failure
            .and_then(|f| f.portal_code.clone())
            .or_else(|| portal.and_then(|p| p.code().map(str::to_owned))),
        request_id: failure
            .and_then(|f| f.request_id.clone())
            .or_else(|| portal.and_then(|p| p.request_id().map(str::to_owned))),
        blocked_by: failure.and_then(|f| f.blocked_by.clone()),
        plain: failure.is_some_and(|f| f.plain) && causes.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_the_exit_code_of_the_contract() {
        let table = [
            (Kind::Internal, 1),
            (Kind::Usage, 2),
            (Kind::Config, 2),
            (Kind::Cancelled, 3),
            (Kind::OverCap, 3),
            (Kind::Auth, 4),
            (Kind::Rejected, 5),
            (Kind::Network, 6),
            (Kind::OrderUnknown, 7),
            (Kind::OrderIncomplete, 8),
            (Kind::Blocked, 9),
            (Kind::Interrupted(Signal::Interrupt), 130),
            (Kind::Interrupted(Signal::Terminate), 143),
            (Kind::Interrupted(Signal::Hangup), 129),
        ];
        for (kind, code) in table {
            assert_eq!(kind.exit_code(), code, "{kind:?}");
        }
    }

    #[test]
    fn severity_follows_the_contracts_order() {
        let order = [
            Kind::Interrupted(Signal::Interrupt),
            Kind::OrderUnknown,
            Kind::OrderIncomplete,
            Kind::Blocked,
            Kind::Network,
            Kind::Auth,
            Kind::Rejected,
            Kind::Cancelled,
            Kind::Usage,
            Kind::Internal,
        ];
        for pair in order.windows(2) {
            assert!(pair[0].severity() > pair[1].severity(), "{pair:?}");
        }
    }

    #[test]
    fn the_outermost_typed_error_decides_the_kind() {
        let error = anyhow::Error::from(Failure::usage("bad --years").hint("use 1 to 5"))
            .context("Could not buy");
        let report = diagnose(&error);
        assert_eq!(report.kind, Kind::Usage);
        assert_eq!(report.message, "Could not buy");
        assert_eq!(report.causes, vec!["bad --years".to_owned()]);
        assert_eq!(report.hints, vec!["use 1 to 5".to_owned()]);
        let json = report.to_json();
        assert_eq!(json["error"]["exitCode"], 2);
        assert_eq!(json["error"]["kind"], "usage");
        assert_eq!(json["error"]["requestId"], serde_json::Value::Null);
        assert!(json["error"].get("blockedBy").is_none());
    }

    #[test]
    fn an_untyped_error_is_internal_with_a_hint() {
        let report = diagnose(&anyhow::anyhow!("boom"));
        assert_eq!(report.kind, Kind::Internal);
        assert_eq!(report.exit_code(), 1);
        assert!(!report.hints.is_empty());
    }

    #[test]
    fn a_malformed_answer_never_says_try_again() {
        let error = PortalError::NotJson {
            endpoint: "GET /x".into(),
            status: 200,
            snippet: "<html>".into(),
        };
        let (kind, hints) = classify(&error);
        assert_eq!(kind, Kind::Network);
        assert!(!hints.join(" ").contains("try again"), "{hints:?}");
        let report = diagnose(&anyhow::Error::from(PortalError::Shape {
            endpoint: "GET /pricing".into(),
            status: 200,
            field: Some("planId".into()),
            detail: "missing field `planId`".into(),
            request_id: None,
        }));
        assert!(report.hints.join(" ").contains("`planId`"));
        assert!(report.hints.join(" ").contains("linkus doctor"));
        assert!(!report.hints.join(" ").contains("try again"));
    }
}
