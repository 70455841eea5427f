//! Error kinds, exit codes and hints, in one table.
//!
//! Deep code returns `anyhow::Error` with context. The errors that decide an exit code are
//! typed: [`Failure`] for the ones `linkus` raises itself (usage, cancellation, order outcomes)
//! and [`crate::portal::PortalError`] for everything the portal or the network says.
//! [`diagnose`] walks an error chain once, at the boundary, and turns it into a [`Report`]
//! that is printed as text on stderr and, with `--json`, as the contract's error object.

use serde::Serialize;

use crate::portal::PortalError;

/// What went wrong, in the terms of the contract's exit-code table (CLI.md section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Internal,
    Usage,
    Config,
    Cancelled,
    Auth,
    Rejected,
    Network,
    OrderUnknown,
    OrderIncomplete,
    Interrupted,
}

impl Kind {
    /// The one place where kinds become exit codes.
    pub const fn exit_code(self) -> u8 {
        match self {
            Kind::Internal => 1,
            Kind::Usage | Kind::Config => 2,
            Kind::Cancelled => 3,
            Kind::Auth => 4,
            Kind::Rejected => 5,
            Kind::Network => 6,
            Kind::OrderUnknown => 7,
            Kind::OrderIncomplete => 8,
            Kind::Interrupted => 130,
        }
    }

    /// The `kind` member of the JSON error object.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Internal => "internal",
            Kind::Usage => "usage",
            Kind::Config => "config",
            Kind::Cancelled => "cancelled",
            Kind::Auth => "auth",
            Kind::Rejected => "rejected",
            Kind::Network => "network",
            Kind::OrderUnknown => "order_unknown",
            Kind::OrderIncomplete => "order_incomplete",
            Kind::Interrupted => "interrupted",
        }
    }
}

/// An error raised by `linkus` itself whose kind decides the exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
    pub hints: Vec<String>,
    /// The portal's request ID, HTTP status and code, when the failure is about one request.
    pub request_id: Option<String>,
    pub http_status: Option<u16>,
    pub portal_code: Option<String>,
    /// A JSON value to print on stdout instead of the error object (an order that exists).
    pub json_result: Option<serde_json::Value>,
    /// The command already wrote its result on stdout: print nothing more there.
    pub stdout_written: bool,
}

impl Failure {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
            hints: Vec::new(),
            request_id: None,
            http_status: None,
            portal_code: None,
            json_result: None,
            stdout_written: false,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(Kind::Usage, message)
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
}

/// Shorthand for a usage error inside an `anyhow` flow.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    Failure::usage(message).into()
}

/// Everything the boundary prints about a failed command.
#[derive(Debug)]
pub struct Report {
    pub kind: Kind,
    pub message: String,
    pub causes: Vec<String>,
    pub hints: Vec<String>,
    pub http_status: Option<u16>,
    pub portal_code: Option<String>,
    pub request_id: Option<String>,
    pub json_result: Option<serde_json::Value>,
    pub stdout_written: bool,
}

impl Report {
    pub fn exit_code(&self) -> u8 {
        self.kind.exit_code()
    }

    /// The contract's `{"error": {...}}` object (section 5).
    pub fn to_json(&self) -> serde_json::Value {
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
        };
        serde_json::json!({ "error": object })
    }

    /// The human form: `Error: …`, `Caused by: …`, the request ID, then `Hint: …` lines.
    pub fn to_text(&self, style: &crate::output::Style) -> String {
        let mut text = format!("{} {}\n", style.error("Error:"), self.message);
        for cause in &self.causes {
            text.push_str(&format!("Caused by: {cause}\n"));
        }
        if let Some(request_id) = &self.request_id {
            text.push_str(&format!(
                "Request ID: {request_id} (quote it to Yeastar support)\n"
            ));
        }
        for hint in &self.hints {
            text.push_str(&format!("{} {hint}\n", style.hint("Hint:")));
        }
        text
    }
}

/// Decides kind, message, causes and hints. A [`Failure`] anywhere in the chain decides the
/// kind; else a [`PortalError`]; else Ctrl-C; anything else is an internal error.
pub fn diagnose(error: &anyhow::Error) -> Report {
    let failure = error.downcast_ref::<Failure>();
    let portal = error.downcast_ref::<PortalError>();
    let interrupted = error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::Interrupted)
    });
    let kind = failure
        .map(|f| f.kind)
        .or(portal.map(PortalError::kind))
        .or(interrupted.then_some(Kind::Interrupted))
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
    if failure.is_none() {
        hints.extend(portal.map(PortalError::hints).unwrap_or_default());
    }
    if kind == Kind::Internal && hints.is_empty() {
        hints.push(
            "This looks like a bug in linkus. Run again with -v and report what it prints."
                .to_owned(),
        );
    }
    Report {
        kind,
        message: crate::redact::scrub(&message),
        causes: causes.iter().map(|c| crate::redact::scrub(c)).collect(),
        hints,
        http_status: failure
            .and_then(|f| f.http_status)
            .or_else(|| portal.and_then(PortalError::http_status)),
        portal_code: failure
            .and_then(|f| f.portal_code.clone())
            .or_else(|| portal.and_then(|p| p.portal_code().map(str::to_owned))),
        request_id: failure
            .and_then(|f| f.request_id.clone())
            .or_else(|| portal.and_then(|p| p.request_id().map(str::to_owned))),
        json_result: failure.and_then(|f| f.json_result.clone()),
        stdout_written: failure.is_some_and(|f| f.stdout_written),
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
            (Kind::Auth, 4),
            (Kind::Rejected, 5),
            (Kind::Network, 6),
            (Kind::OrderUnknown, 7),
            (Kind::OrderIncomplete, 8),
            (Kind::Interrupted, 130),
        ];
        for (kind, code) in table {
            assert_eq!(kind.exit_code(), code, "{kind:?}");
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
    }

    #[test]
    fn an_untyped_error_is_internal_with_a_hint() {
        let report = diagnose(&anyhow::anyhow!("boom"));
        assert_eq!(report.kind, Kind::Internal);
        assert_eq!(report.exit_code(), 1);
        assert!(!report.hints.is_empty());
    }
}
