//! What reaches stdout and stderr. stdout carries only results: a table or text, one JSON
//! document with `--json`, or bare values with `--quiet`. Everything else goes to stderr.

use std::io::{self, IsTerminal, Write};

use comfy_table::{presets, ContentArrangement, Table};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Human,
    Json,
    Quiet,
}

/// Colours for stderr, only on a terminal and never with `NO_COLOR`.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, text: &str, style: console::Style) -> String {
        if self.color {
            style.force_styling(true).apply_to(text).to_string()
        } else {
            text.to_owned()
        }
    }

    pub fn error(&self, text: &str) -> String {
        self.paint(text, console::Style::new().red().bold())
    }

    pub fn warning(&self, text: &str) -> String {
        self.paint(text, console::Style::new().yellow().bold())
    }

    pub fn hint(&self, text: &str) -> String {
        self.paint(text, console::Style::new().cyan())
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint(text, console::Style::new().bold())
    }

    pub fn dim(&self, text: &str) -> String {
        self.paint(text, console::Style::new().dim())
    }
}

/// Whether colour is allowed at all: `NO_COLOR` (any non-empty value) and `TERM=dumb` forbid it.
pub fn color_allowed() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    !no_color && !dumb
}

pub struct Output {
    pub mode: Mode,
    pub style: Style,
    pub stdout_is_terminal: bool,
    pub stderr_is_terminal: bool,
    /// stdout goes nowhere: `/dev/null`, or closed (which the Rust runtime reopens as
    /// `/dev/null` before `main`).
    pub stdout_discarded: bool,
    /// `--jq EXPR`, compiled when the arguments were read.
    pub jq: Option<crate::jq::Jq>,
}

impl Output {
    pub fn new(mode: Mode) -> Self {
        let stderr_is_terminal = io::stderr().is_terminal();
        let color = color_allowed() && stderr_is_terminal;
        console::set_colors_enabled(color);
        console::set_colors_enabled_stderr(color);
        Output {
            mode,
            style: Style { color },
            stdout_is_terminal: io::stdout().is_terminal(),
            stderr_is_terminal,
            stdout_discarded: stdout_discarded(),
            jq: None,
        }
    }

    pub fn is_json(&self) -> bool {
        self.mode == Mode::Json
    }

    pub fn is_quiet(&self) -> bool {
        self.mode == Mode::Quiet
    }

    /// Exactly one JSON document on stdout (or what `--jq` makes of it).
    pub fn json(&self, value: &impl Serialize) -> io::Result<()> {
        if let Some(jq) = &self.jq {
            let json = serde_json::to_vec(value).map_err(io::Error::other)?;
            return self.filtered(jq, &json);
        }
        let mut out = io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, value)?;
        out.write_all(b"\n")?;
        out.flush()
    }

    /// A JSON document given as text (the portal's own, digit for digit) on stdout, through
    /// `--jq` when it is set.
    pub fn json_text(&self, text: &str) -> io::Result<()> {
        match &self.jq {
            Some(jq) => self.filtered(jq, text.as_bytes()),
            None => self.print(text),
        }
    }

    /// The results of `--jq` on a document, one a line; a failure while it runs goes to
    /// stderr (naming the order, for an order's document) and changes no exit code.
    fn filtered(&self, jq: &crate::jq::Jq, json: &[u8]) -> io::Result<()> {
        let (lines, error) = jq.run(json);
        if !lines.is_empty() {
            let text: String = lines
                .iter()
                .map(|line| format!("{}\n", clean(line)))
                .collect();
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        if let Some(error) = error {
            // The orders of the document (one order, or a batch's rows) must reach the user
            // even when the expression fails on them.
            let orders: Vec<String> = match serde_json::from_slice::<serde_json::Value>(json) {
                Ok(serde_json::Value::Array(rows)) => rows
                    .iter()
                    .filter_map(|row| row.get("orderNo").and_then(|n| n.as_str()))
                    .map(str::to_owned)
                    .collect(),
                Ok(value) => value
                    .get("orderNo")
                    .and_then(|n| n.as_str())
                    .map(|n| vec![n.to_owned()])
                    .unwrap_or_default(),
                Err(_) => Vec::new(),
            };
            let order = match orders.as_slice() {
                [] => String::new(),
                [no] => format!(" The order is {no}: `linkus orders show {no}` shows it."),
                many => format!(" The orders are {}.", many.join(", ")),
            };
            stderr_line(&format!(
                "{} --jq failed on the output: {}.{order}",
                self.style.error("Error:"),
                clean(&error)
            ));
        }
        Ok(())
    }

    /// Text on stdout, with control characters made visible (see [`clean`]).
    pub fn print(&self, text: &str) -> io::Result<()> {
        let text = clean(text);
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        if !text.ends_with('\n') {
            out.write_all(b"\n")?;
        }
        out.flush()
    }

    /// The one value a run exists for (an order number) on stdout, and on stderr as well when
    /// stdout goes nowhere, so that it is never lost. A failed write is the caller's to report.
    pub fn essential(&self, value: &str) -> io::Result<()> {
        if self.stdout_discarded {
            stderr_line(&clean(value));
        }
        self.print(value)
    }

    /// Values one a line (`--quiet` lists); nothing at all for none.
    pub fn lines(
        &self,
        values: impl IntoIterator<Item = impl std::fmt::Display>,
    ) -> io::Result<()> {
        let text: String = values.into_iter().map(|v| format!("{v}\n")).collect();
        if text.is_empty() {
            return Ok(());
        }
        self.print(&text)
    }

    /// Progress and notes on stderr; `--quiet` keeps them back.
    pub fn status(&self, text: &str) {
        if !self.is_quiet() {
            stderr_line(&clean(text));
        }
    }

    /// A note that must reach the user even with `--quiet` (the sandbox notice), after a
    /// dimmed label.
    pub fn notice(&self, label: &str, text: &str) {
        stderr_line(&format!("{} {}", self.style.dim(label), clean(text)));
    }

    /// Warnings on stderr, shown even with `--quiet`; a portal message inside is cut to a few
    /// lines.
    pub fn warn(&self, text: &str) {
        stderr_line(&format!(
            "{} {}",
            self.style.warning("Warning:"),
            clean(&clip(text))
        ));
    }

    /// A table on a terminal; tab-separated rows without a header when piped.
    pub fn table(&self, headers: &[&str], rows: Vec<Vec<String>>) -> String {
        self.table_fit(headers, rows, &[])
    }

    /// As [`Output::table`]; on a terminal the table fits its width: columns no row fills
    /// go first, then the columns of `drop` in that order (the ones a person needs least),
    /// and what is still too wide wraps inside its cells. Piped, every column stays.
    pub fn table_fit(&self, headers: &[&str], rows: Vec<Vec<String>>, drop: &[&str]) -> String {
        if !self.stdout_is_terminal {
            let mut text = String::new();
            for row in rows {
                let row: Vec<String> = row
                    .iter()
                    .map(|cell| clean(cell).replace('\t', " "))
                    .collect();
                text.push_str(&row.join("\t"));
                text.push('\n');
            }
            return text;
        }
        let width = terminal_width();
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|row| row.iter().map(|cell| clean(cell)).collect())
            .collect();
        let keep = fitting_columns(headers, &rows, drop, width);
        let mut table = Table::new();
        table
            .load_preset(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Dynamic)
            // Two columns more than the screen: the outer padding is trimmed below.
            .set_width(u16::try_from(width + 1).unwrap_or(u16::MAX))
            .set_header(keep.iter().map(|&i| headers[i].to_uppercase()));
        for row in rows {
            table.add_row(
                keep.iter()
                    .map(|&i| row.get(i).cloned().unwrap_or_default()),
            );
        }
        // comfy-table pads each cell by one space on both sides; trim the outer edge.
        table
            .lines()
            .map(|line| {
                line.trim_end()
                    .strip_prefix(' ')
                    .unwrap_or(&line)
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The terminal's width in columns: `COLUMNS` when set, else what the terminal says, else 80.
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|columns| columns.trim().parse::<usize>().ok())
        .filter(|&columns| columns > 0)
        .or_else(|| {
            console::Term::stdout()
                .size_checked()
                .map(|(_, columns)| usize::from(columns))
        })
        .unwrap_or(80)
        .max(20)
}

/// The columns a table keeps to fit `width`: empty ones go, then those of `drop` in order,
/// until the widest row fits (what is still too wide then wraps).
fn fitting_columns(
    headers: &[&str],
    rows: &[Vec<String>],
    drop: &[&str],
    width: usize,
) -> Vec<usize> {
    let column_width = |i: usize| {
        rows.iter()
            .map(|row| {
                row.get(i)
                    .map_or(0, |cell| console::measure_text_width(cell))
            })
            .chain(std::iter::once(console::measure_text_width(headers[i])))
            .max()
            .unwrap_or(0)
    };
    let filled = |i: usize| {
        rows.iter()
            .any(|row| row.get(i).is_some_and(|c| !c.trim().is_empty()))
    };
    let total = |keep: &[usize]| -> usize {
        keep.iter()
            .map(|&i| column_width(i) + 2)
            .sum::<usize>()
            .saturating_sub(2)
    };
    let mut keep: Vec<usize> = (0..headers.len()).collect();
    if total(&keep) <= width {
        return keep;
    }
    if keep.iter().any(|&i| filled(i)) {
        keep.retain(|&i| filled(i));
    }
    for name in drop {
        if total(&keep) <= width {
            break;
        }
        if keep.len() > 1 {
            keep.retain(|&i| headers[i] != *name);
        }
    }
    keep
}

/// `text` in lines of at most `width` columns, broken between words (a word longer than a
/// line keeps a line of its own).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let needed = console::measure_text_width(&line)
            + usize::from(!line.is_empty())
            + console::measure_text_width(word);
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// How long ago `then_ms` was, for a person: "42 s ago", "5 min ago", "3 h ago", "2 days
/// ago"; a time in the future or older than 30 days is its date and time.
pub fn ago(then_ms: u64, now_ms: u64) -> String {
    if then_ms > now_ms + 60_000 {
        return format_ms(then_ms);
    }
    let seconds = now_ms.saturating_sub(then_ms) / 1000;
    match seconds {
        0..=59 => format!("{seconds} s ago"),
        60..=3599 => format!("{} min ago", seconds / 60),
        3600..=86_399 => format!("{} h ago", seconds / 3600),
        86_400..=172_799 => "1 day ago".to_owned(),
        _ if seconds < 30 * 86_400 => format!("{} days ago", seconds / 86_400),
        _ => format_ms(then_ms),
    }
}

/// Whether stdout is `/dev/null` (a closed stdout is reopened as `/dev/null` by the Rust
/// runtime, so this covers it too).
#[cfg(unix)]
fn stdout_discarded() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let Ok(fd) = io::stdout().as_fd().try_clone_to_owned() else {
        // Not even a descriptor to copy: nothing can be read from it.
        return true;
    };
    let (Ok(out), Ok(null)) = (
        std::fs::File::from(fd).metadata(),
        std::fs::metadata("/dev/null"),
    ) else {
        return false;
    };
    out.file_type().is_char_device() && out.rdev() == null.rdev()
}

#[cfg(not(unix))]
fn stdout_discarded() -> bool {
    false
}

/// One line of the `-v` HTTP log, on stderr.
pub fn log_line(line: &str) {
    stderr_line(&clean(line));
}

/// A warning from code that has no [`Output`] at hand.
pub fn warn(text: &str) {
    let style = Style {
        color: color_allowed() && io::stderr().is_terminal(),
    };
    stderr_line(&format!(
        "{} {}",
        style.warning("Warning:"),
        clean(&clip(text))
    ));
}

/// Writes text to stderr as it is. A stderr that cannot be written is not an error worth
/// failing for (and never a panic, as `eprintln!` would be).
pub fn stderr(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

fn stderr_line(text: &str) {
    stderr(&format!("{text}\n"));
}

/// Text from the portal or the user, made safe for a terminal: control characters (escape
/// sequences, carriage returns, bells) are shown as `\u{..}` escapes instead of being obeyed,
/// so that an answer cannot move the cursor, retitle the window or overwrite a line. Line
/// breaks and tabs stay.
pub fn clean(text: &str) -> String {
    if !text.chars().any(is_unsafe) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if is_unsafe(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn is_unsafe(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
        // Bidirectional overrides can make text read differently from what it is.
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A message of sensible size: at most 6 lines and 800 characters, the rest cut with `…`.
pub fn clip(text: &str) -> String {
    const LINES: usize = 6;
    const CHARS: usize = 800;
    let mut lines: Vec<&str> = text.lines().collect();
    let mut cut = lines.len() > LINES;
    lines.truncate(LINES);
    let mut out = lines.join("\n");
    if out.chars().count() > CHARS {
        out = out.chars().take(CHARS).collect();
        cut = true;
    }
    if cut {
        out.push('…');
    }
    out
}

/// Formats epoch milliseconds as an RFC 3339 UTC time, to the second.
pub fn format_ms(ms: u64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_seconds(time).to_string()
}

/// Formats epoch milliseconds as a date.
pub fn format_date_ms(ms: u64) -> String {
    format_ms(ms).chars().take(10).collect()
}

/// Quotes a word for a POSIX shell, only when it needs it.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_keeps_replays_exact() {
        assert_eq!(shell_quote("369471667338"), "369471667338");
        assert_eq!(shell_quote("PO 42"), "'PO 42'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(
            clean("LR1\x1b[2J\x1b]0;pwned\x07"),
            "LR1\\u{1b}[2J\\u{1b}]0;pwned\\u{7}"
        );
        assert_eq!(clean("nothing\rbought"), "nothing\\u{d}bought");
        assert_eq!(clean("two\nlines\tand a tab"), "two\nlines\tand a tab");
        assert_eq!(clean("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(clean("a\u{202e}b"), "a\\u{202e}b");
    }

    #[test]
    fn huge_messages_are_clipped() {
        let many = "line\n".repeat(50);
        assert_eq!(clip(&many).lines().count(), 6);
        assert!(clip(&"x".repeat(5000)).ends_with('…'));
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn text_wraps_between_words() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            ["averyveryverylongword", "x"]
        );
        assert_eq!(wrap("", 5), [""]);
    }

    #[test]
    fn times_a_person_reads_are_relative() {
        let now = 1_780_000_000_000;
        assert_eq!(ago(now - 42_000, now), "42 s ago");
        assert_eq!(ago(now - 5 * 60_000, now), "5 min ago");
        assert_eq!(ago(now - 3 * 3_600_000 - 5, now), "3 h ago");
        assert_eq!(ago(now - 30 * 3_600_000, now), "1 day ago");
        assert_eq!(ago(now - 3 * 86_400_000, now), "3 days ago");
        assert_eq!(
            ago(now - 40 * 86_400_000, now),
            format_ms(now - 40 * 86_400_000)
        );
        assert_eq!(ago(now + 3_600_000, now), format_ms(now + 3_600_000));
        assert_eq!(ago(now + 2_000, now), "0 s ago");
    }

    #[test]
    fn a_table_drops_empty_then_named_columns_until_it_fits() {
        let headers = ["A", "B", "C", "D"];
        let rows = vec![vec![
            "x".repeat(30),
            String::new(),
            "y".repeat(30),
            "z".repeat(30),
        ]];
        assert_eq!(
            fitting_columns(&headers, &rows, &["D", "C"], 200),
            [0, 1, 2, 3]
        );
        assert_eq!(fitting_columns(&headers, &rows, &["D", "C"], 80), [0, 2]);
        assert_eq!(fitting_columns(&headers, &rows, &["D", "C"], 50), [0]);
        assert_eq!(fitting_columns(&headers, &rows, &[], 50), [0, 2, 3]);
    }

    #[test]
    fn times_are_utc_rfc3339() {
        assert_eq!(format_ms(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_date_ms(1_767_225_600_000), "2026-01-01");
    }
}
