//! The only place that talks to a terminal: prompts, the spinner and the terminal's state, all
//! on stderr. Esc cancels a prompt (exit 3); Ctrl-C interrupts (exit 130).
//!
//! Each prompt runs on a blocking thread while the command awaits it, so that the runtime
//! keeps serving while a person reads: the connection pool notices a connection the portal
//! closed, and a signal is handled at once (the terminal is restored, an order in flight is
//! journaled) instead of after the next key.

use std::io::{self, IsTerminal};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Result;
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::Select;

use crate::error::{Failure, Kind, Signal};
use crate::redact::Secret;

mod line;

fn theme() -> Box<dyn Theme> {
    if console::colors_enabled_stderr() {
        Box::new(ColorfulTheme::default())
    } else {
        Box::new(SimpleTheme)
    }
}

/// How a prompt ended, short of an error.
enum Answer<T> {
    Given(T),
    Cancelled,
    Interrupted,
}

impl<T> Answer<T> {
    /// Esc is a choice, said as a plain line; Ctrl-C is an interruption. `unchanged` says
    /// what did not happen ("nothing was bought").
    fn into_result(self, unchanged: &str) -> Result<T> {
        match self {
            Answer::Given(value) => Ok(value),
            Answer::Cancelled => Err(Failure::new(
                Kind::Cancelled,
                format!("Cancelled; {unchanged}."),
            )
            .plain()
            .into()),
            Answer::Interrupted => Err(interrupted(unchanged)),
        }
    }
}

const NOTHING_BOUGHT: &str = "nothing was bought";
const NOTHING_SAVED: &str = "nothing was saved";

fn interrupted(unchanged: &str) -> anyhow::Error {
    Failure::new(
        Kind::Interrupted(Signal::Interrupt),
        format!("Interrupted; {unchanged}."),
    )
    .into()
}

/// While one of our own prompts is on the screen: how many rows of it are below the cursor
/// (plus one), so that an interruption prints under the whole prompt; 0 when none is.
static BLOCK: AtomicUsize = AtomicUsize::new(0);

fn mark_block(below: Option<usize>) {
    BLOCK.store(below.map_or(0, |rows| rows + 1), Ordering::SeqCst);
}

/// Ends a prompt that a signal cut short, so that the next message starts on a row of its own.
fn end_prompt_line() {
    let rows = BLOCK.swap(0, Ordering::SeqCst);
    if rows > 0 {
        let down = if rows > 1 {
            format!("\x1b[{}B", rows - 1)
        } else {
            String::new()
        };
        crate::output::stderr(&format!("{down}\r\n"));
    }
}

fn terminal_error(error: io::Error) -> anyhow::Error {
    let _ = console::Term::stderr().show_cursor();
    if error.kind() == io::ErrorKind::Interrupted {
        return interrupted(NOTHING_BOUGHT);
    }
    anyhow::Error::new(error).context("could not read from the terminal")
}

/// Ctrl-C inside a select arrives as an interrupted read (`console` raises SIGINT too, which
/// ends the run the same way).
fn prompt_error(error: dialoguer::Error) -> anyhow::Error {
    let dialoguer::Error::IO(io) = error;
    terminal_error(io)
}

/// Runs a prompt on a blocking thread.
async fn ask<T: Send + 'static>(prompt: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(prompt)
        .await
        .map_err(|error| anyhow::anyhow!("the prompt stopped: {error}"))?
}

/// The PBX serial number, checked on Enter; shown back without the spaces around it.
pub async fn serial_number() -> Result<String> {
    ask(|| {
        line::read_line(
            theme().as_ref(),
            "PBX serial number (Resource Monitor > Information)",
            "",
            false,
            &|value| crate::cli::parse_sn(value).map(drop),
            &|value| value.trim().to_owned(),
        )
        .map_err(terminal_error)?
        .into_result(NOTHING_BOUGHT)
        .map(|value| value.trim().to_owned())
    })
    .await
}

/// A line of text for `auth login`, checked by `validate` before it is accepted.
pub async fn text(
    prompt: &str,
    validate: impl Fn(&String) -> std::result::Result<(), String> + Send + 'static,
) -> Result<String> {
    let prompt = prompt.to_owned();
    ask(move || {
        line::read_line(
            theme().as_ref(),
            &prompt,
            "",
            false,
            &|value| validate(&value.to_owned()),
            &|value| value.trim().to_owned(),
        )
        .map_err(terminal_error)?
        .into_result(NOTHING_SAVED)
        .map(|value| value.trim().to_owned())
    })
    .await
}

/// What a wizard step's prompt gave: an answer, or Esc to go back a step.
pub enum Step<T> {
    Given(T),
    Back,
}

/// What a step's prompt says while it is up, when Esc goes back.
fn back_note(back: bool) -> &'static str {
    if back {
        " (Esc: back)"
    } else {
        ""
    }
}

/// Esc as a step's answer: back a step where there is one, else the cancellation.
fn step<T>(answer: Answer<T>, back: bool) -> Result<Step<T>> {
    match answer {
        Answer::Cancelled if back => Ok(Step::Back),
        answer => answer.into_result(NOTHING_BOUGHT).map(Step::Given),
    }
}

/// An optional PO number; empty means none, a control character is refused. Esc goes back
/// a step when `back`, else cancels.
pub async fn po_number(back: bool) -> Result<Step<Option<String>>> {
    ask(move || {
        let answer = line::read_line(
            theme().as_ref(),
            "PO number (optional)",
            back_note(back),
            false,
            &|value| crate::cli::parse_po_number(value).map(drop),
            &|value| match value.trim() {
                "" => "none".to_owned(),
                po => po.to_owned(),
            },
        )
        .map_err(terminal_error)?;
        Ok(match step(answer, back)? {
            Step::Given(value) => {
                Step::Given(Some(value.trim().to_owned()).filter(|v| !v.is_empty()))
            }
            Step::Back => Step::Back,
        })
    })
    .await
}

/// Lists longer than this can be narrowed by typing.
pub const FILTER_OVER: usize = 7;

/// One of `items`; Esc (or `q` in a short list) goes back a step when `back`, else cancels.
/// Each item is cut to one row of the terminal while the list is up (dialoguer clears one
/// row per item, so a wrapped item would leave fragments); the answer line shows the whole
/// item. A list of more than [`FILTER_OVER`] items is narrowed by typing (partners have
/// dozens of billing contacts).
pub async fn select_step(
    prompt: &str,
    items: &[String],
    default: usize,
    back: bool,
) -> Result<Step<usize>> {
    let prompt = prompt.to_owned();
    let items: Vec<String> = items
        .iter()
        .map(|item| crate::output::clean(item))
        .collect();
    if items.len() > FILTER_OVER {
        return ask(move || {
            let answer = line::filter_select(
                theme().as_ref(),
                &prompt,
                back,
                &items,
                default,
                FILTER_OVER,
            )
            .map_err(terminal_error)?;
            step(answer, back)
        })
        .await;
    }
    ask(move || {
        let theme = theme();
        let term = console::Term::stderr();
        // Two columns for the marker, and the last column left free.
        let width = usize::from(term.size().1);
        let room = width.saturating_sub(3).max(10);
        let shown: Vec<String> = items
            .iter()
            .map(|item| console::truncate_str(item, room, "…").into_owned())
            .collect();
        let live = format!("{prompt}{}", back_note(back));
        let title = console::truncate_str(&live, width.saturating_sub(5).max(10), "…");
        // console switches to raw mode for each key only: a key pressed between two reads
        // would be echoed into the list.
        let raw = line::RawMode::enter();
        let chosen = Select::with_theme(theme.as_ref())
            .with_prompt(title)
            .items(&shown)
            .default(default)
            .report(false)
            .interact_opt()
            .map_err(prompt_error);
        drop(raw);
        let Some(index) = chosen? else {
            return step(Answer::Cancelled, back);
        };
        let mut done = String::new();
        let _ = theme.format_select_prompt_selection(&mut done, &prompt, &items[index]);
        term.write_line(&done).map_err(terminal_error)?;
        Ok(Step::Given(index))
    })
    .await
}

/// Yes or no, defaulting to `default`; `y` and `n` need no Enter; Esc cancels.
pub async fn confirm(prompt: &str, default: bool) -> Result<bool> {
    let prompt = prompt.to_owned();
    ask(move || {
        line::yes_no(theme().as_ref(), &prompt, default)
            .map_err(terminal_error)?
            .into_result(NOTHING_BOUGHT)
    })
    .await
}

/// A secret, typed without echo; Esc cancels.
pub async fn password(prompt: &str) -> Result<Secret> {
    let prompt = prompt.to_owned();
    ask(move || {
        line::read_line(theme().as_ref(), &prompt, "", true, &|_| Ok(()), &|_| {
            String::new()
        })
        .map_err(terminal_error)?
        .into_result(NOTHING_SAVED)
        .map(|value| crate::redact::secret(&value))
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
        end_prompt_line();
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

/// A progress line on stderr for work counted in steps (pages read of pages to read). It
/// appears only on a terminal and only once there are more than `quiet_up_to` steps, so a
/// short job never flickers a bar.
pub struct PageProgress {
    enabled: bool,
    quiet_up_to: u64,
    message: String,
    bar: std::sync::OnceLock<indicatif::ProgressBar>,
}

impl PageProgress {
    pub fn new(enabled: bool, quiet_up_to: u64, message: &str) -> Self {
        PageProgress {
            enabled,
            quiet_up_to,
            message: message.to_owned(),
            bar: std::sync::OnceLock::new(),
        }
    }

    /// `done` of `total` steps are done.
    pub fn set(&self, done: u64, total: u64) {
        if !self.enabled || total <= self.quiet_up_to {
            return;
        }
        let bar = self.bar.get_or_init(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(total),
                indicatif::ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} pages")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message(self.message.clone());
            bar
        });
        bar.set_length(total);
        bar.set_position(done);
    }
}

impl Drop for PageProgress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}
