//! Issue 9's "Losing track" and "Secrets, bad input, files", and the rough edges of issue 13
//! item 4: each case as the user would see it.

mod files;
mod input;
#[cfg(unix)]
mod journal;
mod output;
mod secrets;
#[cfg(unix)]
mod terminal;

use crate::common::*;

/// Both streams must be free of raw control characters: no escape sequence, no carriage
/// return, no bell from portal text reaches a terminal.
fn assert_no_raw_controls(run: &Run, what: &str) {
    for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        for bad in ['\u{1b}', '\r', '\u{7}', '\u{9b}'] {
            assert!(
                !text.contains(bad),
                "{what}: {name} holds a raw {bad:?}:\n{text:?}"
            );
        }
    }
}

/// The server's URL with a user name and password in it.
fn with_userinfo(url: &str, user: &str, password: &str) -> String {
    url.replacen("http://", &format!("http://{user}:{password}@"), 1)
}
