//! Text, secret and yes/no prompts read key by key with `console`: dialoguer's `Input` cannot
//! be cancelled with Esc (an open upstream issue), clears what was typed when it is refused,
//! and redraws a prompt that wraps on a narrow terminal one row too low.
//!
//! While a prompt is up the terminal stays in raw mode, so that a key typed between two reads
//! is never echoed by the terminal itself and Ctrl-C arrives as a key (the line is ended
//! before anything else is printed).

use std::fmt::Write as _;
use std::io;

use console::{measure_text_width, Key, Term};
use dialoguer::theme::Theme;

use super::{mark_block, Answer};

/// What a key did to the line being edited.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Step {
    Edited,
    Unchanged,
    Submit,
    Cancel,
    Interrupt,
}

/// Drops what is left of an escape sequence that `console` could not decode: it reads at most
/// three bytes after Esc, so Ctrl-Left (`ESC [1;5D`) would otherwise type "5D", and F1
/// (`ESC O P`) a "P".
#[derive(Debug, Default)]
pub(super) struct Keys {
    skip: Skip,
}

#[derive(Debug, Default, PartialEq, Eq)]
enum Skip {
    #[default]
    Nothing,
    /// Up to and including a CSI sequence's final byte.
    ToFinal,
    /// One character (after `ESC O`).
    One,
}

impl Keys {
    /// The key a person pressed, or `None` for a fragment of a sequence.
    pub fn pass(&mut self, key: Key) -> Option<Key> {
        match (std::mem::take(&mut self.skip), &key) {
            (Skip::ToFinal, Key::Char(c)) => {
                if !is_final(*c) {
                    self.skip = Skip::ToFinal;
                }
                return None;
            }
            (Skip::One, Key::Char(_)) => return None,
            _ => {}
        }
        if let Key::UnknownEscSeq(sequence) = &key {
            self.skip = match sequence.as_slice() {
                ['O'] => Skip::One,
                ['[', .., last] if !is_final(*last) => Skip::ToFinal,
                _ => Skip::Nothing,
            };
            return None;
        }
        Some(key)
    }
}

/// The byte that ends a CSI sequence.
fn is_final(c: char) -> bool {
    ('\u{40}'..='\u{7e}').contains(&c)
}

/// A line of text and the cursor in it, edited by keys.
#[derive(Debug, Default)]
pub(super) struct Line {
    chars: Vec<char>,
    cursor: usize,
    keys: Keys,
}

impl Line {
    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    pub fn before_cursor(&self) -> String {
        self.chars[..self.cursor].iter().collect()
    }

    pub fn key(&mut self, key: Key) -> Step {
        let Some(key) = self.keys.pass(key) else {
            return Step::Unchanged;
        };
        match key {
            Key::Enter => Step::Submit,
            Key::Escape => Step::Cancel,
            Key::CtrlC => Step::Interrupt,
            Key::Char('\u{15}') => {
                // Ctrl-U, as in a shell: everything before the cursor goes.
                self.chars.drain(..self.cursor);
                self.cursor = 0;
                Step::Edited
            }
            Key::Char(c) if !c.is_control() => {
                self.chars.insert(self.cursor, c);
                self.cursor += 1;
                Step::Edited
            }
            Key::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                self.chars.remove(self.cursor);
                Step::Edited
            }
            Key::Del if self.cursor < self.chars.len() => {
                self.chars.remove(self.cursor);
                Step::Edited
            }
            Key::ArrowLeft => self.move_to(self.cursor.saturating_sub(1)),
            Key::ArrowRight => self.move_to((self.cursor + 1).min(self.chars.len())),
            Key::Home => self.move_to(0),
            Key::End => self.move_to(self.chars.len()),
            _ => Step::Unchanged,
        }
    }

    fn move_to(&mut self, cursor: usize) -> Step {
        self.cursor = cursor;
        Step::Unchanged
    }
}

/// The rows a prompt occupies on the screen, redrawn in place however they wrap.
pub(super) struct Block {
    term: Term,
    /// Rows from the block's first row down to the cursor.
    cursor_row: usize,
    /// Rows from the cursor down to the block's last row.
    below: usize,
}

impl Block {
    pub fn new(term: Term) -> Self {
        Block {
            term,
            cursor_row: 0,
            below: 0,
        }
    }

    /// Shows `first` with the cursor `at` columns into it, and `under` on the rows beneath,
    /// in place of what the block showed before.
    pub fn draw(&mut self, first: &str, at: usize, under: &[String]) -> io::Result<()> {
        let width = usize::from(self.term.size().1).max(1);
        let mut out = self.rewind();
        out.push_str("\x1b[J");
        out.push_str(first);
        let first_width = measure_text_width(first);
        // A line that fills its last row exactly leaves the cursor in that row's last
        // column: a new row gives the cursor a place after the text.
        if first_width > 0 && first_width.is_multiple_of(width) {
            out.push_str("\r\n");
        }
        let mut rows = first_width / width + 1;
        for line in under {
            out.push_str("\r\n");
            out.push_str(line);
            rows += measure_text_width(line).max(1).div_ceil(width);
        }
        let row = at / width;
        let up = rows - 1 - row;
        if up > 0 {
            let _ = write!(out, "\x1b[{up}A");
        }
        out.push('\r');
        let column = at % width;
        if column > 0 {
            let _ = write!(out, "\x1b[{column}C");
        }
        self.cursor_row = row;
        self.below = up;
        mark_block(Some(up));
        self.term.write_str(&out)?;
        self.term.flush()
    }

    /// Replaces the block with `line`, the prompt's answer, and ends it.
    pub fn finish(&mut self, line: &str) -> io::Result<()> {
        let mut out = self.rewind();
        out.push_str("\x1b[J");
        out.push_str(line);
        out.push_str("\r\n");
        self.done(out)
    }

    /// Clears the block, leaving the cursor where it began: a step gone back over leaves no
    /// line behind.
    pub fn erase(&mut self) -> io::Result<()> {
        let mut out = self.rewind();
        out.push_str("\x1b[J");
        self.done(out)
    }

    /// Keeps what the block shows and moves below it, for what is printed next.
    pub fn leave(&mut self) -> io::Result<()> {
        let mut out = String::new();
        if self.below > 0 {
            let _ = write!(out, "\x1b[{}B", self.below);
        }
        out.push_str("\r\n");
        self.done(out)
    }

    fn done(&mut self, out: String) -> io::Result<()> {
        mark_block(None);
        self.cursor_row = 0;
        self.below = 0;
        self.term.write_str(&out)?;
        self.term.flush()
    }

    fn rewind(&self) -> String {
        let mut out = String::from("\r");
        if self.cursor_row > 0 {
            let _ = write!(out, "\x1b[{}A", self.cursor_row);
        }
        out
    }
}

/// The terminal in raw mode for as long as this lives, output processing kept (so that `\n`
/// still starts a new row for anything another thread prints).
pub(super) struct RawMode {
    #[cfg(unix)]
    saved: Option<rustix::termios::Termios>,
}

impl RawMode {
    pub fn enter() -> Self {
        #[cfg(unix)]
        {
            use rustix::termios::{tcgetattr, tcsetattr, LocalModes, OptionalActions};
            let stdin = rustix::stdio::stdin();
            let saved = tcgetattr(stdin).ok();
            if let Some(saved) = &saved {
                let mut raw = saved.clone();
                raw.local_modes -=
                    LocalModes::ECHO | LocalModes::ICANON | LocalModes::ISIG | LocalModes::IEXTEN;
                let _ = tcsetattr(stdin, OptionalActions::Now, &raw);
            }
            RawMode { saved }
        }
        #[cfg(not(unix))]
        RawMode {}
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(saved) = &self.saved {
            let _ = rustix::termios::tcsetattr(
                rustix::stdio::stdin(),
                rustix::termios::OptionalActions::Now,
                saved,
            );
        }
    }
}

/// A line of text, checked by `validate` on Enter; a refusal is shown under the line and
/// leaves the text as typed. A `secret` shows nothing of what is typed. `note` follows the
/// prompt while it is up; a prompt with a note (Esc goes back a step) is erased on Esc.
pub(super) fn read_line(
    theme: &dyn Theme,
    prompt: &str,
    note: &str,
    secret: bool,
    validate: &dyn Fn(&str) -> Result<(), String>,
    shown_answer: &dyn Fn(&str) -> String,
) -> io::Result<Answer<String>> {
    let term = Term::stderr();
    let _raw = RawMode::enter();
    let mut head = String::new();
    let _ = theme.format_input_prompt(&mut head, &format!("{prompt}{note}"), None);
    let mut block = Block::new(term.clone());
    let mut line = Line::default();
    let mut refusal: Option<String> = None;
    loop {
        let (shown, at) = if secret {
            (String::new(), 0)
        } else {
            (line.text(), measure_text_width(&line.before_cursor()))
        };
        let under = refusal_lines(theme, refusal.as_deref());
        block.draw(
            &format!("{head}{shown}"),
            measure_text_width(&head) + at,
            &under,
        )?;
        match line.key(term.read_key_raw()?) {
            Step::Edited => refusal = None,
            Step::Unchanged => {}
            Step::Submit => match validate(&line.text()) {
                Ok(()) => {
                    let mut done = String::new();
                    let answer = shown_answer(&line.text());
                    if secret {
                        let _ = theme.format_password_prompt_selection(&mut done, prompt);
                    } else {
                        let _ = theme.format_input_prompt_selection(&mut done, prompt, &answer);
                    }
                    block.finish(&done)?;
                    return Ok(Answer::Given(line.text()));
                }
                Err(why) => refusal = Some(why),
            },
            Step::Cancel if !note.is_empty() => {
                // Esc goes back a step: this prompt leaves no line behind.
                block.erase()?;
                return Ok(Answer::Cancelled);
            }
            step @ (Step::Cancel | Step::Interrupt) => {
                block.draw(&format!("{head}{shown}"), 0, &[])?;
                block.leave()?;
                return Ok(if step == Step::Cancel {
                    Answer::Cancelled
                } else {
                    Answer::Interrupted
                });
            }
        }
    }
}

/// Whether every word of `filter` is in `item`, without regard to case.
pub(super) fn matches(item: &str, filter: &str) -> bool {
    let item = item.to_lowercase();
    filter
        .to_lowercase()
        .split_whitespace()
        .all(|word| item.contains(word))
}

/// One of `items`, narrowed by what is typed: an item stays while every typed word is in its
/// whole text (so an ID or e-mail cut off at the right edge still matches). Each item is cut
/// to one row; at most `rows` are shown at a time, the list scrolling under the selection.
/// Up and Down (or Tab) move, Enter chooses, Esc cancels (or, with `back`, erases the list
/// and goes back a step); the line then shows the choice.
pub(super) fn filter_select(
    theme: &dyn Theme,
    prompt: &str,
    back: bool,
    items: &[String],
    default: usize,
    rows: usize,
) -> io::Result<Answer<usize>> {
    let term = Term::stderr();
    let _raw = RawMode::enter();
    let note = if back {
        " (type to filter, Esc: back)"
    } else {
        " (type to filter)"
    };
    let mut head = String::new();
    let _ = theme.format_input_prompt(&mut head, &format!("{prompt}{note}"), None);
    let mut block = Block::new(term.clone());
    let mut line = Line::default();
    let rows = rows.max(1);
    // The selection as a position in `shown`, and the first shown row.
    let mut selected = default.min(items.len().saturating_sub(1));
    let mut top = selected.saturating_sub(rows - 1);
    let mut filter = String::new();
    let mut shown: Vec<usize> = (0..items.len()).collect();
    loop {
        let width = usize::from(term.size().1).max(1);
        let room = width.saturating_sub(3).max(10);
        let mut under: Vec<String> = shown
            .iter()
            .enumerate()
            .skip(top)
            .take(rows)
            .map(|(position, &index)| {
                let text = console::truncate_str(&items[index], room, "…");
                let mut row = String::new();
                let _ = theme.format_select_prompt_item(&mut row, &text, position == selected);
                row
            })
            .collect();
        if shown.is_empty() {
            under.push("  (nothing matches; Backspace widens the search)".to_owned());
        } else if shown.len() > rows {
            under.push(format!(
                "  ({}-{} of {}; ↑↓ to scroll)",
                top + 1,
                (top + rows).min(shown.len()),
                shown.len()
            ));
        }
        let under: Vec<String> = under
            .into_iter()
            .map(|row| console::truncate_str(&row, width - 1, "…").into_owned())
            .collect();
        block.draw(
            &format!("{head}{}", line.text()),
            measure_text_width(&head) + measure_text_width(&line.before_cursor()),
            &under,
        )?;
        let key = term.read_key_raw()?;
        match key {
            Key::ArrowUp | Key::BackTab if !shown.is_empty() => {
                selected = (selected + shown.len() - 1) % shown.len();
            }
            Key::ArrowDown | Key::Tab if !shown.is_empty() => {
                selected = (selected + 1) % shown.len();
            }
            Key::PageUp => selected = selected.saturating_sub(rows),
            Key::PageDown if !shown.is_empty() => {
                selected = (selected + rows).min(shown.len() - 1);
            }
            key => match line.key(key) {
                Step::Edited | Step::Unchanged => {}
                Step::Submit => {
                    if let Some(&index) = shown.get(selected) {
                        let mut done = String::new();
                        let _ =
                            theme.format_select_prompt_selection(&mut done, prompt, &items[index]);
                        block.finish(&done)?;
                        return Ok(Answer::Given(index));
                    }
                }
                Step::Cancel if back => {
                    block.erase()?;
                    return Ok(Answer::Cancelled);
                }
                step @ (Step::Cancel | Step::Interrupt) => {
                    block.draw(&format!("{head}{}", line.text()), 0, &[])?;
                    block.leave()?;
                    return Ok(if step == Step::Cancel {
                        Answer::Cancelled
                    } else {
                        Answer::Interrupted
                    });
                }
            },
        }
        if line.text() != filter {
            filter = line.text();
            shown = (0..items.len())
                .filter(|&index| matches(&items[index], &filter))
                .collect();
            selected = 0;
        }
        if selected < top {
            top = selected;
        } else if selected >= top + rows {
            top = selected + 1 - rows;
        }
    }
}

/// What a typed answer to a yes/no question means: empty is the default, `y`/`yes` and
/// `n`/`no` in any case are answers, anything else is not (the question is asked again).
pub(super) fn yes_no_answer(typed: &str, default: bool) -> Option<bool> {
    match typed.trim().to_lowercase().as_str() {
        "" => Some(default),
        "y" | "yes" => Some(true),
        "n" | "no" => Some(false),
        _ => None,
    }
}

/// Yes or no, typed and confirmed with Enter (Enter alone takes `default`); the line shows
/// exactly what was typed, never the default beside it, and an answer that is neither yes
/// nor no is refused under the line and asked again. An order is never one stray keystroke
/// away: `y` alone places nothing.
pub(super) fn yes_no(theme: &dyn Theme, prompt: &str, default: bool) -> io::Result<Answer<bool>> {
    let term = Term::stderr();
    let _raw = RawMode::enter();
    // The question without a default, and with it. A theme that shows the default after the
    // question (ColorfulTheme: `(y/n) › no`) has it as a placeholder while nothing is typed,
    // gone at the first key; one that shows it in the hint (`[y/N]`) keeps the hint.
    let mut asked = String::new();
    let _ = theme.format_confirm_prompt(&mut asked, prompt, None);
    let mut hinted = String::new();
    let _ = theme.format_confirm_prompt(&mut hinted, prompt, Some(default));
    let (head, placeholder) = match hinted.strip_prefix(asked.as_str()) {
        Some(rest) if !rest.trim().is_empty() => {
            let head = if asked.ends_with(' ') {
                asked.clone()
            } else {
                format!("{asked} ")
            };
            (head, rest.trim_start().to_owned())
        }
        _ => (hinted.clone(), String::new()),
    };
    let mut block = Block::new(term.clone());
    let mut line = Line::default();
    let mut refusal: Option<String> = None;
    loop {
        let typed = line.text();
        let shown = if typed.is_empty() {
            &placeholder
        } else {
            &typed
        };
        let under = refusal_lines(theme, refusal.as_deref());
        block.draw(
            &format!("{head}{shown}"),
            measure_text_width(&head) + measure_text_width(&line.before_cursor()),
            &under,
        )?;
        match line.key(term.read_key_raw()?) {
            Step::Edited => refusal = None,
            Step::Unchanged => {}
            Step::Submit => match yes_no_answer(&line.text(), default) {
                Some(answer) => {
                    let mut done = String::new();
                    let _ = theme.format_confirm_prompt_selection(&mut done, prompt, Some(answer));
                    block.finish(&done)?;
                    return Ok(Answer::Given(answer));
                }
                None => refusal = Some("Type y (yes) or n (no), then Enter.".to_owned()),
            },
            step @ (Step::Cancel | Step::Interrupt) => {
                // Without the default shown after it, which would read as an answer.
                block.draw(&asked, 0, &[])?;
                block.leave()?;
                return Ok(if step == Step::Cancel {
                    Answer::Cancelled
                } else {
                    Answer::Interrupted
                });
            }
        }
    }
}

/// The refusal under a prompt's line (why the answer was not taken), in the theme's error
/// style; none once the line is edited.
fn refusal_lines(theme: &dyn Theme, refusal: Option<&str>) -> Vec<String> {
    refusal
        .iter()
        .map(|why| {
            let mut text = String::new();
            let _ = theme.format_error(&mut text, why);
            text
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(keys: Vec<Key>) -> (Line, Vec<Step>) {
        let mut line = Line::default();
        let steps = keys.into_iter().map(|key| line.key(key)).collect();
        (line, steps)
    }

    fn chars(text: &str) -> Vec<Key> {
        text.chars().map(Key::Char).collect()
    }

    #[test]
    fn editing_moves_and_deletes_where_the_cursor_is() {
        let mut keys = chars("36947166738");
        keys.extend([Key::ArrowLeft, Key::ArrowLeft, Key::Char('3')]);
        keys.extend([
            Key::Home,
            Key::Del,
            Key::Char('3'),
            Key::End,
            Key::Backspace,
        ]);
        keys.push(Key::Char('8'));
        let (line, _) = typed(keys);
        assert_eq!(line.text(), "369471667338");
        assert_eq!(line.before_cursor(), "369471667338");
    }

    #[test]
    fn esc_cancels_and_arrows_do_not() {
        let (_, steps) = typed(vec![Key::ArrowLeft, Key::ArrowUp, Key::Escape]);
        assert_eq!(
            steps,
            [Step::Unchanged, Step::Unchanged, Step::Cancel],
            "an arrow is not Esc"
        );
        let (_, steps) = typed(vec![Key::CtrlC]);
        assert_eq!(steps, [Step::Interrupt]);
    }

    #[test]
    fn fragments_of_unknown_sequences_never_become_text() {
        // Ctrl-Left as console decodes it: `ESC [1;` then "5", "D".
        let mut keys = vec![Key::UnknownEscSeq(vec!['[', '1', ';'])];
        keys.extend(chars("5Dab"));
        // F1: `ESC O` then "P"; Alt-x: `ESC x`.
        keys.extend([Key::UnknownEscSeq(vec!['O']), Key::Char('P')]);
        keys.extend([Key::UnknownEscSeq(vec!['x']), Key::Char('c')]);
        let (line, _) = typed(keys);
        assert_eq!(line.text(), "abc");
    }

    #[test]
    fn a_filter_keeps_items_that_hold_every_word_typed() {
        let item = "Ana Souza <ana@example.com>  (3197218168379846218)";
        assert!(matches(item, ""));
        assert!(matches(item, "ana"));
        assert!(matches(item, "SOUZA 846218"));
        assert!(matches(item, "example.com ana"));
        assert!(!matches(item, "ben"));
        assert!(!matches(item, "ana ben"));
    }

    #[test]
    fn only_yes_and_no_answer_a_question() {
        assert_eq!(yes_no_answer("", false), Some(false));
        assert_eq!(yes_no_answer("", true), Some(true));
        assert_eq!(yes_no_answer(" Y ", false), Some(true));
        assert_eq!(yes_no_answer("yes", false), Some(true));
        assert_eq!(yes_no_answer("NO", true), Some(false));
        for other in ["x", "ye", "yess", "noy", "1", "oui"] {
            assert_eq!(yes_no_answer(other, false), None, "{other}");
        }
    }

    #[test]
    fn control_characters_are_not_typed() {
        let (line, _) = typed(vec![
            Key::Char('a'),
            Key::Char('\u{7}'),
            Key::Tab,
            Key::Char('b'),
            Key::Char('\u{15}'),
            Key::Char('c'),
        ]);
        assert_eq!(line.text(), "c");
    }
}
