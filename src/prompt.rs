//! The only place that talks to a terminal: prompts, the spinner and the terminal's state, all
//! on stderr. Esc cancels a prompt (exit 3); Ctrl-C interrupts (exit 130).
//!
//! Each prompt runs on a blocking thread while the command awaits it, so that the runtime
//! keeps serving while a person reads: the connection pool notices a connection the portal
//! closed, and a signal is handled at once (the terminal is restored, an order in flight is
//! journaled) instead of after the next key.

use std::io::{self, IsTerminal};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Result;
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Confirm, Input, Password, Select};

use crate::error::{Failure, Kind, Signal};
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

/// A prompt is on the screen: an interruption must first end its line.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Ctrl-C inside a prompt arrives as an interrupted read.
fn prompt_error(error: dialoguer::Error) -> anyhow::Error {
    let dialoguer::Error::IO(io) = error;
    let _ = console::Term::stderr().show_cursor();
    if io.kind() == io::ErrorKind::Interrupted {
        crate::output::stderr("\n");
        Failure::new(
            Kind::Interrupted(Signal::Interrupt),
            "Interrupted; nothing was bought.",
        )
        .into()
    } else {
        anyhow::Error::new(io).context("could not read from the terminal")
    }
}

/// Runs a prompt on a blocking thread.
async fn ask<T: Send + 'static>(prompt: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    ACTIVE.store(true, Ordering::SeqCst);
    let result = tokio::task::spawn_blocking(prompt).await;
    ACTIVE.store(false, Ordering::SeqCst);
    result.map_err(|error| anyhow::anyhow!("the prompt stopped: {error}"))?
}

/// The PBX serial number, checked as it is typed.
pub async fn serial_number() -> Result<String> {
    text(
        "PBX serial number (Resource Monitor > Information)",
        |value| crate::cli::parse_sn(value).map(drop),
    )
    .await
}

/// A line of text, checked by `validate` before it is accepted.
pub async fn text(
    prompt: &str,
    validate: impl Fn(&String) -> std::result::Result<(), String> + Send + 'static,
) -> Result<String> {
    let prompt = prompt.to_owned();
    ask(move || {
        let theme = theme();
        Input::<String>::with_theme(theme.as_ref())
            .with_prompt(prompt)
            .validate_with(move |value: &String| validate(value))
            .interact_text()
            .map(|value| value.trim().to_owned())
            .map_err(prompt_error)
    })
    .await
}

/// An optional PO number; empty means none, a control character is refused.
pub async fn po_number() -> Result<Option<String>> {
    ask(move || {
        let theme = theme();
        Input::<String>::with_theme(theme.as_ref())
            .with_prompt("PO number (optional)")
            .allow_empty(true)
            .validate_with(|value: &String| crate::cli::parse_po_number(value).map(drop))
            .interact_text()
            .map(|value| Some(value.trim().to_owned()).filter(|v| !v.is_empty()))
            .map_err(prompt_error)
    })
    .await
}

/// One of `items`; Esc or `q` cancels.
pub async fn select(prompt: &str, items: &[String], default: usize) -> Result<usize> {
    let prompt = prompt.to_owned();
    let items: Vec<String> = items
        .iter()
        .map(|item| crate::output::clean(item))
        .collect();
    ask(move || {
        let theme = theme();
        Select::with_theme(theme.as_ref())
            .with_prompt(prompt)
            .items(&items)
            .default(default)
            .interact_opt()
            .map_err(prompt_error)?
            .ok_or_else(cancelled)
    })
    .await
}

/// Yes or no, defaulting to `default`; Esc cancels.
pub async fn confirm(prompt: &str, default: bool) -> Result<bool> {
    let prompt = prompt.to_owned();
    ask(move || {
        let theme = theme();
        Confirm::with_theme(theme.as_ref())
            .with_prompt(prompt)
            .default(default)
            .wait_for_newline(true)
            .interact_opt()
            .map_err(prompt_error)?
            .ok_or_else(cancelled)
    })
    .await
}

/// A secret, typed without echo.
pub async fn password(prompt: &str) -> Result<Secret> {
    let prompt = prompt.to_owned();
    ask(move || {
        let theme = theme();
        Password::with_theme(theme.as_ref())
            .with_prompt(prompt)
            .interact()
            .map(crate::redact::secret)
            .map_err(prompt_error)
    })
    .await
}

/// The terminal's settings as they were when `linkus` started, to put back if a signal ends
/// the run in the middle of a prompt (raw mode, no echo, a hidden cursor).
pub struct Terminal {
    #[cfg(unix)]
    saved: Option<rustix::termios::Termios>,
}

impl Terminal {
    pub fn save() -> Self {
        #[cfg(unix)]
        {
            let stdin = rustix::stdio::stdin();
            let saved = rustix::termios::isatty(stdin)
                .then(|| rustix::termios::tcgetattr(stdin).ok())
                .flatten();
            Terminal { saved }
        }
        #[cfg(not(unix))]
        Terminal {}
    }

    /// Echo, line mode and the cursor back as they were; the prompt's line ended.
    pub fn restore(&self) {
        #[cfg(unix)]
        if let Some(saved) = &self.saved {
            let _ = rustix::termios::tcsetattr(
                rustix::stdio::stdin(),
                rustix::termios::OptionalActions::Now,
                saved,
            );
        }
        // Only a terminal takes the escape code; a log file would keep it as noise.
        if io::stderr().is_terminal() {
            let _ = console::Term::stderr().show_cursor();
        }
        if ACTIVE.swap(false, Ordering::SeqCst) {
            crate::output::stderr("\n");
        }
    }
}

/// A spinner on stderr while something is fetched or sent; nothing at all without a terminal.
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

/// A progress bar on stderr for work in many steps (a batch's rows, a listing's pages);
/// nothing at all without a terminal.
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    pub fn start(enabled: bool, total: u64, message: &str) -> Self {
        if !enabled {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:24} {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress(Some(bar))
    }

    pub fn is_shown(&self) -> bool {
        self.0.is_some()
    }

    pub fn advance(&self, message: &str) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
            bar.set_message(message.to_owned());
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}
