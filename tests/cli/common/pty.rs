//! `linkus` in a real pseudo-terminal, run under `sh` so that after it exits the same
//! terminal's settings can be read (`stty -a`) as the next program would find them, and a
//! signal can go to the terminal's foreground process group as a hangup does. What the
//! screen shows is read through a terminal emulator (vt100), not from the bytes that drew it.

use std::num::NonZeroU16;
use std::process::Command;
use std::time::Duration;

use rexpect::session::{spawn_command, PtySession};

use super::*;

/// Prints the shell's process group, turns echo and line mode on as a terminal has them
/// (rexpect starts the pty without echo), runs linkus, then shows its exit code and the
/// terminal's settings. The shell survives the signals the tests send to the whole group.
const SCRIPT: &str = r#"echo "pgid=$$"
trap : INT TERM HUP
stty cols "$COLUMNS_UNDER_TEST" rows 24 echo icanon
"$@"
echo "[exit $?]"
stty -a"#;

pub struct Pty {
    session: PtySession,
    /// Everything the terminal received, one char per byte (rexpect reads bytes as Latin-1).
    seen: String,
    cols: u16,
}

/// The end of a run: exit code, the screen, and the terminal's settings afterwards.
pub struct Ended {
    pub code: i32,
    screen: vt100::Parser,
    stty: Vec<String>,
}

impl Pty {
    /// `linkus ARGS` against `base_url`, with credentials, on a terminal `cols` wide.
    pub fn linkus(env: &TestEnv, base_url: &str, cols: u16, args: &[&str]) -> Pty {
        let mut command = command(env, cols);
        command
            .env("LINKUS_BASE_URL", base_url)
            .env("LINKUS_CLIENT_ID", CLIENT_ID)
            .env("LINKUS_CLIENT_SECRET", CLIENT_SECRET)
            .args(args);
        Pty::spawn(command, cols)
    }

    pub fn spawn(command: Command, cols: u16) -> Pty {
        let mut pty = Pty {
            session: spawn_command(command, Some(20_000)).expect("spawn sh in a pty"),
            seen: String::new(),
            cols,
        };
        pty.expect("pgid=");
        pty
    }

    pub fn expect(&mut self, needle: &str) {
        let before = self
            .session
            .exp_string(needle)
            .unwrap_or_else(|e| panic!("no {needle:?} ({e}); the screen:\n{}", self.contents()));
        self.seen.push_str(&before);
        self.seen.push_str(needle);
    }

    /// A prompt takes the terminal only once it has drawn itself: a person is never faster.
    pub fn key(&mut self, keys: &str) {
        std::thread::sleep(Duration::from_millis(200));
        self.session.send(keys).expect("send keys");
        self.session.flush().expect("flush keys");
    }

    pub fn line(&mut self, text: &str) {
        self.key(&format!("{text}\r"));
    }

    /// `signal` (TERM, HUP) to the terminal's foreground process group.
    pub fn signal(&mut self, signal: &str) {
        std::thread::sleep(Duration::from_millis(200));
        let pgid = self
            .seen
            .split("pgid=")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("the shell's pid")
            .to_owned();
        let status = Command::new("sh")
            .args(["-c", &format!("kill -s {signal} -- -{pgid}")])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    pub fn contents(&self) -> String {
        screen(&self.seen, self.cols).screen().contents()
    }

    /// What the screen shows once the program has drawn what the last key made it draw.
    pub fn settled(&mut self) -> String {
        std::thread::sleep(Duration::from_millis(400));
        while let Some(c) = self.session.try_read() {
            self.seen.push(c);
        }
        self.contents()
    }

    /// The screen's row that holds `needle` (the last such row).
    pub fn row_with(&mut self, needle: &str) -> String {
        let screen = screen(&self.seen, self.cols);
        let rows: Vec<String> = screen
            .screen()
            .rows(0, screen.screen().size().1.get())
            .collect();
        rows.into_iter()
            .rev()
            .find(|row| row.contains(needle))
            .unwrap_or_else(|| panic!("no row with {needle:?}:\n{}", self.contents()))
    }

    pub fn finish(mut self) -> Ended {
        let rest = self.session.exp_eof().expect("the shell ends");
        self.seen.push_str(&rest);
        let _ = self.session.process_mut().wait();
        let (shown, after) = self
            .seen
            .split_once("[exit ")
            .unwrap_or_else(|| panic!("linkus did not finish:\n{}", self.seen));
        let (code, stty) = after.split_once(']').expect("[exit N]");
        Ended {
            code: code.parse().expect("exit code"),
            screen: screen(shown, self.cols),
            stty: stty.split_whitespace().map(str::to_owned).collect(),
        }
    }
}

/// The bytes on a screen `cols` wide and tall enough that nothing scrolls away.
pub fn screen(seen: &str, cols: u16) -> vt100::Parser {
    let bytes: Vec<u8> = seen.chars().map(|c| c as u32 as u8).collect();
    let mut parser = vt100::Parser::new(
        NonZeroU16::new(400).unwrap(),
        NonZeroU16::new(cols).unwrap(),
        0,
    );
    parser.process(&bytes);
    parser
}

impl Ended {
    pub fn contents(&self) -> String {
        self.screen.screen().contents()
    }

    pub fn rows(&self) -> Vec<String> {
        self.screen
            .screen()
            .rows(0, self.screen.screen().size().1.get())
            .collect()
    }

    /// The rows the terminal wrapped because a line was wider than the screen.
    pub fn wrapped_rows(&self) -> Vec<String> {
        let screen = self.screen.screen();
        let rows = self.rows();
        (0..screen.size().1.get())
            .filter(|&row| screen.row_wrapped(row))
            .map(|row| rows[usize::from(row)].clone())
            .collect()
    }

    /// Echo and line mode on, the cursor shown: the shell after linkus is usable.
    pub fn assert_terminal_restored(&self) {
        let has = |flag: &str| self.stty.iter().any(|word| word == flag);
        assert!(
            has("echo") && !has("-echo"),
            "echo left off: {:?}",
            self.stty
        );
        assert!(
            has("icanon") && !has("-icanon"),
            "line mode left off: {:?}",
            self.stty
        );
        assert!(
            !self.screen.screen().hide_cursor(),
            "the cursor was left hidden"
        );
    }

    /// `message` starts a row of its own: not after what was typed.
    pub fn assert_on_its_own_row(&self, message: &str) {
        let rows = self.rows();
        assert!(
            rows.iter().any(|row| row.starts_with(message)),
            "{message:?} is not on a row of its own:\n{}",
            self.contents()
        );
    }
}

/// As `command`, with colour on as a person's terminal has it (the themes differ).
pub fn command_in_colour(env: &TestEnv, cols: u16) -> Command {
    let mut command = command(env, cols);
    command.env_remove("NO_COLOR").env_remove("CLICOLOR");
    command
}

/// `sh -c SCRIPT linkus` in an isolated home, prompts on, no colour.
pub fn command(env: &TestEnv, cols: u16) -> Command {
    let mut command = Command::new("sh");
    command
        .args(["-c", SCRIPT, "sh"])
        .arg(assert_cmd::cargo::cargo_bin("linkus"))
        .env("COLUMNS_UNDER_TEST", cols.to_string())
        .env("HOME", env.dir.path().join("home"))
        .env("LINKUS_CONFIG_DIR", env.config_dir())
        .env("LINKUS_CACHE_DIR", env.cache_dir())
        .env("LINKUS_DATA_DIR", env.data_dir())
        .env("LINKUS_LOCK_DIR", env.lock_dir())
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .env_remove("COLUMNS")
        .env_remove("LINES")
        .env_remove("LINKUS_NO_INPUT")
        .env_remove("LINKUS_OUTPUT")
        .env_remove("LINKUS_CLIENT_ID")
        .env_remove("LINKUS_CLIENT_SECRET");
    command
}
