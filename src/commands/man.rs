//! `linkus man [--dir DIR]`: manual pages from the same definitions as `--help`, with the
//! sections a manual page has and `--help` leaves to the README: EXAMPLES (laid out as
//! written), EXIT STATUS (CLI.md section 4) and ENVIRONMENT.

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result};
use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};
use crate::error::ExitStatus;
use crate::output::Output;

pub fn run(out: &Output, args: ManArgs) -> Result<ExitStatus> {
    let command = Cli::command();
    let Some(dir) = args.dir else {
        let page = render(&command)?;
        let mut out = std::io::stdout().lock();
        out.write_all(&page)?;
        out.flush()?;
        return Ok(ExitStatus::Success);
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    let written = write_pages(&command, "linkus", &dir)?;
    out.status(&format!(
        "Wrote {written} manual pages to {}.",
        dir.display()
    ));
    Ok(ExitStatus::Success)
}

/// One page per command and subcommand: `linkus.1`, `linkus-orders-show.1`, …
fn write_pages(command: &clap::Command, name: &str, dir: &Path) -> Result<usize> {
    let command = command
        .clone()
        .name(name.to_owned())
        .bin_name(name.replace('-', " "));
    let path = dir.join(format!("{name}.1"));
    let page = render(&command)?;
    std::fs::write(&path, page).with_context(|| format!("could not write {}", path.display()))?;
    let mut written = 1;
    for sub in command.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        written += write_pages(sub, &format!("{name}-{}", sub.get_name()), dir)?;
    }
    Ok(written)
}

/// The exit codes of CLI.md section 4.
const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "Success (for an order: it was created with status succeed)."),
    ("1", "Unexpected internal error. Check before running the command again."),
    ("2", "Usage error: a bad or missing flag or value, or a prompt needed while prompts are off."),
    ("3", "The confirmation was declined, a prompt was cancelled (Esc), or --max-total refused the order."),
    ("4", "Authentication failed: no credentials, credentials or token rejected, access denied."),
    ("5", "The portal rejected the request (not eligible, validation failed); nothing was bought."),
    ("6", "Network or server failure before any order was sent: nothing was bought. Safe to run again."),
    ("7", "Order outcome unknown: the order was sent and no definitive answer came back. Do not run again: check `linkus orders list --sn SN` or run `linkus orders reconcile` first."),
    ("8", "The order was created but has not succeeded (pending payment, for example): finish it in the portal."),
    ("9", "Blocked before sending: another linkus is ordering for the SN, or an earlier order is unknown, still open, or succeeded in the last 24 hours. Nothing was sent; the message names the command that unblocks it."),
    ("130", "Interrupted by Ctrl-C (143 for SIGTERM, 129 for SIGHUP). Check first, as for 7, if it happened while ordering."),
];

/// Every variable linkus reads.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("LINKUS_CLIENT_ID, LINKUS_CLIENT_SECRET", "API credentials; they win over a stored profile (the secret is never a command-line argument)."),
    ("LINKUS_PROFILE", "Which stored credentials to use (--profile)."),
    ("LINKUS_BASE_URL", "Partner Portal API base URL (--base-url)."),
    ("LINKUS_SANDBOX", "1 uses the built-in sandbox portal: no account, no money (--sandbox)."),
    ("LINKUS_OUTPUT", "json prints machine-readable JSON on stdout (--json)."),
    ("LINKUS_NO_INPUT", "1 never prompts (--no-input)."),
    ("LINKUS_TIMEOUT", "Time limit for one HTTP request, in seconds (--timeout)."),
    ("LINKUS_CAPTURE", "Write every HTTP exchange to this folder for a bug report (--capture)."),
    ("LINKUS_MAX_TOTAL", "The default --max-total: refuse an order whose list-price total is above it."),
    ("LINKUS_CONFIG_DIR", "Folder of the config and credentials (default ~/.config/linkus)."),
    ("LINKUS_CACHE_DIR", "Folder of the token cache (default ~/.cache/linkus)."),
    ("LINKUS_DATA_DIR", "Folder of the order journal and the sandbox's state (default ~/.local/share/linkus)."),
    ("LINKUS_LOCK_DIR", "Folder of the per-SN locks and records (default $XDG_RUNTIME_DIR/linkus, else linkus-UID in the temporary folder)."),
    ("LINKUS_TEAM_JOURNAL", "The team journal's postgres:// URL, or off (--team-journal); a URL with a password is only taken from here or the config file."),
    ("PGPASSWORD", "The team journal's password, as for libpq (also ~/.pgpass)."),
    ("LINKUS_HOST_NAME", "The name this machine gives itself in the team journal (default: its host name)."),
    ("LINKUS_RETRY_BASE_MS, LINKUS_RETRY_MAX_MS", "First and longest delay between retries of a read, in milliseconds."),
    ("LINKUS_WAIT_POLL_MS", "How often `orders show --wait` looks again, in milliseconds (default 5000)."),
    ("CI", "A true value turns prompts off, as --no-input does."),
    ("NO_COLOR", "Set to anything: no colour, even on a terminal."),
    ("COLUMNS", "The width tables and help are fitted to, instead of the terminal's."),
    ("HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY", "The proxy for requests to the portal, as usual."),
];

/// The page of `command`: clap_mangen's sections, then EXAMPLES and NOTES from the help's
/// "Examples:" and "Automation notes:" (not clap_mangen's "EXTRA"), EXIT STATUS and
/// ENVIRONMENT.
fn render(command: &clap::Command) -> Result<Vec<u8>> {
    let man = clap_mangen::Man::new(command.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    if command.get_arguments().any(|arg| !arg.is_hide_set()) {
        man.render_options_section(&mut page)?;
    }
    if command.has_subcommands() {
        man.render_subcommands_section(&mut page)?;
    }
    let after = command
        .get_after_long_help()
        .or_else(|| command.get_after_help())
        .map(|text| text.to_string())
        .unwrap_or_default();
    let mut text = String::new();
    for (title, body) in after_help_sections(&after) {
        match title.as_str() {
            "Examples" => {
                text.push_str(".SH EXAMPLES\n.nf\n");
                for line in body {
                    text.push_str(&roff_line(&line));
                }
                text.push_str(".fi\n");
            }
            // The top page's one-line summary of exit codes is EXIT STATUS below.
            "Exit codes" => {}
            _ => {
                text.push_str(&format!(
                    ".SH {}\n",
                    roff_line(&title.to_uppercase()).trim_end()
                ));
                text.push_str(&roff_line(
                    &body.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" "),
                ));
            }
        }
    }
    text.push_str(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in EXIT_STATUS {
        text.push_str(&format!(".TP\n\\fB{code}\\fR\n{}", roff_line(meaning)));
    }
    text.push_str(".SH ENVIRONMENT\n");
    for (name, meaning) in ENVIRONMENT {
        text.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}",
            roff_escape(name),
            roff_line(meaning)
        ));
    }
    page.extend_from_slice(text.as_bytes());
    if command.get_version().is_some() {
        man.render_version_section(&mut page)?;
    }
    Ok(page)
}

/// The help's closing text by heading ("Examples:", "Automation notes:", "Exit codes: …"):
/// each heading with the lines under it, the indentation of examples kept.
fn after_help_sections(text: &str) -> Vec<(String, Vec<String>)> {
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        let heading = (!line.starts_with(' '))
            .then(|| line.split_once(':'))
            .flatten()
            .filter(|(head, _)| !head.is_empty() && !head.contains('`'));
        match heading {
            Some((head, rest)) => {
                let mut body = Vec::new();
                if !rest.trim().is_empty() {
                    body.push(rest.trim().to_owned());
                }
                sections.push((head.trim().to_owned(), body));
            }
            None => {
                if let Some((_, body)) = sections.last_mut() {
                    if !line.trim().is_empty() {
                        body.push(line.strip_prefix("  ").unwrap_or(line).to_owned());
                    }
                }
            }
        }
    }
    sections
}

/// Text safe inside roff: backslashes escaped, a leading `.` or `'` not read as a request.
fn roff_escape(text: &str) -> String {
    text.replace('\\', "\\e").replace('-', "\\-")
}

/// One line of roff text, ending in a newline.
fn roff_line(text: &str) -> String {
    let escaped = roff_escape(text);
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}\n")
    } else {
        format!("{escaped}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_endings_split_into_examples_and_notes() {
        let text = "Examples:\n  linkus a \\\n      --b\n\nAutomation notes:\n  One.\n  Two.";
        let sections = after_help_sections(text);
        assert_eq!(sections[0].0, "Examples");
        assert_eq!(sections[0].1, ["linkus a \\", "    --b"]);
        assert_eq!(
            sections[1],
            (
                "Automation notes".to_owned(),
                vec!["One.".to_owned(), "Two.".to_owned()]
            )
        );
    }

    #[test]
    fn roff_text_cannot_become_a_request() {
        assert_eq!(roff_line(".hidden"), "\\&.hidden\n");
        assert_eq!(roff_line("a\\b-c"), "a\\eb\\-c\n");
    }
}
