//! The only place that talks to a terminal: prompts (dialoguer) and the spinner (indicatif),
//! all on stderr. Esc cancels a prompt (exit 3); Ctrl-C interrupts (exit 130).

use std::io;
use std::time::Duration;

use anyhow::Result;
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Confirm, Input, Password, Select};

use crate::error::{Failure, Kind};
use crate::redact::Secret;

fn theme() -> Box<dyn Theme> {
    if console::colors_enabled_stderr() {
        Box::new(ColorfulTheme::default())
    } else {
        Box::new(SimpleTheme)
    }
}

fn cancelled() -> anyhow::Error {
    Failure::new(Kind::Cancelled, "Cancelled; nothing was bought.").into()
}

/// Ctrl-C inside a prompt arrives as an interrupted read.
fn prompt_error(error: dialoguer::Error) -> anyhow::Error {
    let dialoguer::Error::IO(io) = error;
    let _ = console::Term::stderr().show_cursor();
    if io.kind() == io::ErrorKind::Interrupted {
        Failure::new(Kind::Interrupted, "Interrupted; nothing was bought.").into()
    } else {
        anyhow::Error::new(io).context("could not read from the terminal")
    }
}

/// A line of text, checked by `validate` before it is accepted.
pub fn text(
    prompt: &str,
    validate: impl Fn(&String) -> std::result::Result<(), String> + 'static,
) -> Result<String> {
    let theme = theme();
    Input::<String>::with_theme(theme.as_ref())
        .with_prompt(prompt)
        .validate_with(move |value: &String| validate(value))
        .interact_text()
        .map(|value| value.trim().to_owned())
        .map_err(prompt_error)
}

/// An optional line of text; empty means none.
pub fn optional_text(prompt: &str) -> Result<Option<String>> {
    let theme = theme();
    Input::<String>::with_theme(theme.as_ref())
        .with_prompt(prompt)
        .allow_empty(true)
        .interact_text()
        .map(|value| Some(value.trim().to_owned()).filter(|v| !v.is_empty()))
        .map_err(prompt_error)
}

/// One of `items`; Esc or `q` cancels.
pub fn select(prompt: &str, items: &[String], default: usize) -> Result<usize> {
    let theme = theme();
    Select::with_theme(theme.as_ref())
        .with_prompt(prompt)
        .items(items)
        .default(default)
        .interact_opt()
        .map_err(prompt_error)?
        .ok_or_else(cancelled)
}

/// Yes or no, defaulting to `default`; Esc cancels.
pub fn confirm(prompt: &str, default: bool) -> Result<bool> {
    let theme = theme();
    Confirm::with_theme(theme.as_ref())
        .with_prompt(prompt)
        .default(default)
        .wait_for_newline(true)
        .interact_opt()
        .map_err(prompt_error)?
        .ok_or_else(cancelled)
}

/// A secret, typed without echo.
pub fn password(prompt: &str) -> Result<Secret> {
    let theme = theme();
    Password::with_theme(theme.as_ref())
        .with_prompt(prompt)
        .interact()
        .map(Secret::new)
        .map_err(prompt_error)
}

/// A spinner on stderr while something is fetched; nothing at all without a terminal.
pub struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    pub fn start(enabled: bool, message: &str) -> Self {
        if !enabled {
            return Spinner(None);
        }
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(80));
        Spinner(Some(bar))
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}
