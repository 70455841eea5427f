//! `linkus doctor [--sn SN]`: read-only checks of everything a purchase depends on, one line
//! each, with what to do when one fails (CLI.md section 1).
//!
//! In order: the folders and their modes, the credentials, the portal's address, the proxy,
//! a token request (and TLS, and the clock against the portal's `Date` header), then every
//! read endpoint `linkus` relies on, field by field ([`shapes`]). It never sends an order:
//! only the token request is a POST. The exit code is that of the first failure's kind; an
//! answer of the wrong shape is 6.

mod endpoints;
mod portal;
mod setup;
mod shapes;
mod team;

use std::io::IsTerminal;

use anyhow::Result;
use serde::Serialize;

use crate::cli::DoctorArgs;
use crate::context::{Context, Settings};
use crate::error::{ExitStatus, Kind};
use crate::output::Output;

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Pass,
    /// Works, with something the user should know (`ok` is still true).
    Warn,
    Fail(Kind),
    /// Not checked, because an earlier check failed.
    Skip,
}

/// One line of the report; its JSON form is the contract's `{"name", "ok", "detail", "hint"}`.
#[derive(Debug, Serialize)]
pub struct Check {
    name: &'static str,
    ok: bool,
    detail: String,
    hint: Option<String>,
    #[serde(skip)]
    level: Level,
}

#[derive(Debug, Default)]
pub struct Checks(Vec<Check>);

impl Checks {
    pub fn add(
        &mut self,
        name: &'static str,
        level: Level,
        detail: impl Into<String>,
        hint: Option<String>,
    ) {
        self.0.push(Check {
            name,
            ok: matches!(level, Level::Pass | Level::Warn),
            detail: detail.into(),
            hint,
            level,
        });
    }

    pub fn pass(&mut self, name: &'static str, detail: impl Into<String>) {
        self.add(name, Level::Pass, detail, None);
    }

    pub fn warn(&mut self, name: &'static str, detail: impl Into<String>, hint: impl Into<String>) {
        self.add(name, Level::Warn, detail, Some(hint.into()));
    }

    pub fn fail(
        &mut self,
        name: &'static str,
        kind: Kind,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let hint = hint.into();
        self.add(
            name,
            Level::Fail(kind),
            detail,
            (!hint.is_empty()).then_some(hint),
        );
    }

    pub fn skip(&mut self, name: &'static str, why: impl Into<String>) {
        self.add(name, Level::Skip, why, None);
    }

    /// The kind of the first failure, if any.
    fn first_failure(&self) -> Option<Kind> {
        self.0.iter().find_map(|check| match check.level {
            Level::Fail(kind) => Some(kind),
            _ => None,
        })
    }

    fn count(&self, wanted: impl Fn(Level) -> bool) -> usize {
        self.0.iter().filter(|check| wanted(check.level)).count()
    }
}

pub async fn run(ctx: &Context, args: DoctorArgs) -> Result<ExitStatus> {
    let mut checks = Checks::default();
    setup::folders(&ctx.settings, &mut checks);
    let credentials = setup::credentials(&ctx.settings, &mut checks);
    let url = setup::base_url(ctx, &mut checks);
    if let Some(url) = &url {
        setup::proxy(url, &mut checks);
    }
    team::run(&ctx.settings, &mut checks).await;
    portal::run(
        ctx,
        credentials,
        url.as_ref(),
        args.sn.as_deref(),
        &mut checks,
    )
    .await;

    let failure = checks.first_failure();
    if ctx.out.is_json() {
        #[derive(Serialize)]
        struct Doctor<'a> {
            ok: bool,
            checks: &'a [Check],
        }
        ctx.out.json(&Doctor {
            ok: failure.is_none(),
            checks: &checks.0,
        })?;
        if failure.is_some() {
            ctx.out
                .status(&closing(&ctx.settings, args.sn.as_deref()).join(" "));
        }
    } else {
        ctx.out.print(&report(
            &ctx.settings,
            &ctx.out,
            &checks,
            args.sn.as_deref(),
        ))?;
    }
    Ok(match failure {
        Some(kind) => ExitStatus::Failed(kind),
        None => ExitStatus::Success,
    })
}

/// The marks: symbols on a terminal, words that `grep` finds otherwise.
fn mark(level: Level, terminal: bool) -> &'static str {
    match (level, terminal) {
        (Level::Pass, true) => "✔",
        (Level::Warn, true) => "!",
        (Level::Fail(_), true) => "✘",
        (Level::Skip, true) => "-",
        (Level::Pass, false) => "ok",
        (Level::Warn, false) => "warn",
        (Level::Fail(_), false) => "FAIL",
        (Level::Skip, false) => "skip",
    }
}

fn report(settings: &Settings, out: &Output, checks: &Checks, sn: Option<&str>) -> String {
    let terminal = out.stdout_is_terminal && std::io::stdout().is_terminal();
    let mark_width = if terminal { 1 } else { 4 };
    let name_width = checks.0.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut text = String::new();
    for check in &checks.0 {
        text.push_str(&format!(
            "{:<mark_width$} {:<name_width$}  {}\n",
            mark(check.level, terminal),
            check.name,
            check.detail
        ));
        if let Some(hint) = &check.hint {
            if !matches!(check.level, Level::Pass) {
                text.push_str(&format!(
                    "{:indent$}Hint: {hint}\n",
                    "",
                    indent = mark_width + name_width + 3
                ));
            }
        }
    }
    text.push('\n');
    let failed = checks.count(|l| matches!(l, Level::Fail(_)));
    let skipped = checks.count(|l| l == Level::Skip);
    let warned = checks.count(|l| l == Level::Warn);
    if failed == 0 {
        text.push_str(&format!(
            "All {} checks passed{}.\n",
            checks.0.len(),
            match warned {
                0 => String::new(),
                1 => ", 1 with a warning".to_owned(),
                n => format!(", {n} with warnings"),
            }
        ));
        if sn.is_none() {
            text.push_str("Add --sn SN to check a PBX's plans, subscription and price too.\n");
        }
    } else {
        text.push_str(&format!(
            "{failed} of {} checks failed{}.\n",
            checks.0.len(),
            if skipped > 0 {
                format!(", {skipped} could not be run")
            } else {
                String::new()
            }
        ));
        for line in closing(settings, sn) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
}

/// How to send what the portal answered: `--capture`, or where this run's capture is.
fn closing(settings: &Settings, sn: Option<&str>) -> Vec<String> {
    if let Some(dir) = &settings.global.capture {
        return vec![format!(
            "This run's HTTP exchanges are in {}, secrets redacted and personal data replaced: attach them to your report, with this output.",
            dir.display()
        )];
    }
    let sn = sn.map(|sn| format!(" --sn {sn}")).unwrap_or_default();
    vec![
        "To show us (or Yeastar support) what the portal answered, run".to_owned(),
        format!("  linkus doctor{sn} --capture linkus-capture"),
        "and attach the files in linkus-capture with this output: secrets are redacted and personal data replaced. Quote any requestId to Yeastar.".to_owned(),
    ]
}
