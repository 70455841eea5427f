//! The checks that ask the portal, read-only: a token, TLS trust, the clock against the
//! portal's `Date` header, and each read endpoint `linkus` relies on, field by field. No order
//! is ever sent from here.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use url::Url;
use yeastar_partner::{Error as PortalError, Exchange, Observer};

use super::{setup, Checks};
use crate::config::Credentials;
use crate::context::Context;
use crate::error::{classify, Kind};
use crate::output::clip;
use crate::redact::scrub;

/// Remembers the last `Date` header the portal sent, with when it arrived here.
#[derive(Default)]
pub struct DateWatch {
    seen: Mutex<Option<(SystemTime, SystemTime)>>,
    answered: Mutex<bool>,
}

impl Observer for DateWatch {
    fn exchange(&self, exchange: &Exchange<'_>) {
        let Ok(response) = exchange.response else {
            return;
        };
        if let Ok(mut answered) = self.answered.lock() {
            *answered = true;
        }
        let date = response
            .headers
            .get("date")
            .and_then(|value| httpdate::parse_http_date(value).ok());
        if let (Some(date), Ok(mut seen)) = (date, self.seen.lock()) {
            *seen = Some((date, exchange.started_at + exchange.elapsed));
        }
    }
}

pub const SHAPE_HINT: &str = "linkus cannot use this answer as it is, and trying again will not change it: send us a capture (see the end of this report).";
pub const LESS_HINT: &str =
    "linkus works with this answer, showing less; if the portal names these fields differently, send us a capture.";

/// The names of the checks that need a token, for when there is none.
fn portal_checks(sn: Option<&str>) -> Vec<&'static str> {
    let mut names = vec!["billing contacts", "product list", "order list"];
    if sn.is_some() {
        names.extend(["plans", "product details", "price"]);
    }
    names
}

pub async fn run(
    ctx: &Context,
    credentials: Option<Credentials>,
    url: Option<&Url>,
    sn: Option<&str>,
    checks: &mut Checks,
) {
    let (Some(credentials), Some(url)) = (credentials, url) else {
        for name in ["token"].into_iter().chain(portal_checks(sn)) {
            checks.skip(name, "not checked: no credentials or no portal address");
        }
        return;
    };
    let watch = Arc::new(DateWatch::default());
    let client = match ctx.client_observed(&credentials, Some(watch.clone())) {
        Ok(client) => client,
        Err(error) => {
            checks.fail(
                "token",
                Kind::Config,
                format!("{error:#}"),
                "Check --base-url (LINKUS_BASE_URL).",
            );
            return;
        }
    };

    // A new token with the client credentials: a cached one would prove nothing about them.
    // It replaces the cached token, as `auth login` does, so the cache keeps the newest.
    let started = Instant::now();
    let token = client.verify_credentials().await;
    let ms = started.elapsed().as_millis();
    let certificate = matches!(&token, Err(PortalError::Certificate { .. }));
    match &token {
        Ok(token) => {
            let minutes = token
                .expires_at
                .duration_since(token.obtained_at)
                .unwrap_or_default()
                .as_secs()
                / 60;
            let account = token
                .account()
                .map(|account| format!(", account {account}"))
                .unwrap_or_default();
            checks.pass(
                "token",
                format!("a new access token in {ms} ms, valid for {minutes} min{account}"),
            );
        }
        Err(error) if certificate => checks.fail(
            "token",
            Kind::Network,
            shown(error),
            "See the TLS check below.",
        ),
        Err(error) => failed_read(checks, "token", error),
    }
    if url.scheme() == "https" && !ctx.global.sandbox {
        match &token {
            Err(error) if certificate => {
                let (_, hints) = classify(error);
                checks.fail(
                    "TLS",
                    Kind::Network,
                    format!(
                        "{}; certificates come from {}",
                        shown(error),
                        setup::trust_store()
                    ),
                    hints.join(" "),
                );
            }
            Err(error) if error.status().is_none() => {
                checks.skip("TLS", "not checked: no connection to the portal");
            }
            _ => checks.pass(
                "TLS",
                format!(
                    "the portal's certificate is trusted (from {})",
                    setup::trust_store()
                ),
            ),
        }
    }
    clock(&watch, checks);
    if token.is_err() {
        for name in portal_checks(sn) {
            checks.skip(name, "not checked: no access token");
        }
        return;
    }

    super::endpoints::check_all(&client, sn, checks).await;
}

/// An error as one line of sensible length, secrets scrubbed: a portal message of 500 lines
/// does not become a report of 500 lines.
pub fn shown(error: &PortalError) -> String {
    let text = clip(&scrub(&error.to_string()));
    let mut line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 300 {
        line = line.chars().take(300).collect::<String>() + "…";
    }
    line
}

/// A read that failed: the kind and hints every command would give, except that a shape
/// problem points at the capture rather than at `doctor` itself.
pub fn failed_read(checks: &mut Checks, name: &'static str, error: &PortalError) {
    let (kind, hints) = classify(error);
    let hint = match error {
        PortalError::Shape { .. } | PortalError::TooLarge { .. } => SHAPE_HINT.to_owned(),
        _ => hints.join(" "),
    };
    let mut detail = shown(error);
    if let Some(request_id) = error.request_id() {
        detail.push_str(&format!("; requestId {request_id}"));
    }
    checks.fail(name, kind, detail, hint);
}

fn clock(watch: &DateWatch, checks: &mut Checks) {
    let seen = watch.seen.lock().ok().and_then(|seen| *seen);
    let answered = watch.answered.lock().is_ok_and(|answered| *answered);
    let Some((date, arrived)) = seen else {
        if answered {
            checks.warn(
                "clock",
                "the portal's answers carry no Date header, so the clock was not compared",
                "Keep this machine's clock right (NTP): token expiry and dates depend on it.",
            );
        } else {
            checks.skip("clock", "not checked: no answer from the portal");
        }
        return;
    };
    // `Date` has whole seconds: the portal's time was within the second after it.
    let portal = date + Duration::from_millis(500);
    let (ahead, by) = match arrived.duration_since(portal) {
        Ok(by) => (true, by),
        Err(error) => (false, error.duration()),
    };
    let secs = by.as_secs_f64().round() as u64;
    let detail = if secs <= 1 {
        "this machine's clock agrees with the portal's Date header (within 1 s)".to_owned()
    } else {
        format!(
            "this machine's clock is {secs} s {} the portal's Date header",
            if ahead { "ahead of" } else { "behind" }
        )
    };
    let fix = "Set the clock right (on Linux `timedatectl set-ntp true`): token expiry, days left and the journal's 24-hour rule read it.";
    if secs > 300 {
        checks.fail("clock", Kind::Config, detail, fix);
    } else if secs > 60 {
        checks.warn("clock", detail, fix);
    } else {
        checks.pass("clock", detail);
    }
}
