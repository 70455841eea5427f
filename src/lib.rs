//! `linkus`: buy Linkus Cloud Service for Yeastar PBXs through the Partner Portal API.
//!
//! The layout follows the architecture: [`cli`] (flags and help), [`commands`] (one flow per
//! command), [`portal`] (the HTTP client, envelope, tokens, typed requests), [`output`]
//! (tables and JSON), [`prompt`] (the only place that talks to a terminal), [`error`] (kinds,
//! hints and exit codes in one table) and [`sandbox`] (the built-in portal).

pub mod cli;
pub mod commands;
pub mod config;
pub mod context;
pub mod error;
pub mod files;
pub mod journal;
pub mod output;
pub mod portal;
pub mod prompt;
pub mod redact;
pub mod sandbox;

use std::io::{self, IsTerminal};
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{AuthCommand, Cli, Command, SandboxCommand};
use crate::context::{output_mode, Context};
use crate::error::{diagnose, Failure, Kind};
use crate::output::{Mode, Output};

/// The whole program: parse, run, print the outcome, pick the exit code.
pub fn main() -> ExitCode {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return clap_failure(error),
    };
    match std::panic::catch_unwind(|| run(cli)) {
        Ok(code) => code,
        // The hook has already said what happened.
        Err(_) => ExitCode::from(Kind::Internal.exit_code()),
    }
}

fn run(cli: Cli) -> ExitCode {
    let mode = output_mode(cli.global.json, cli.global.quiet);
    let out = Output::new(mode);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return finish(&out, Err(anyhow::anyhow!("could not start: {error}"))),
    };
    // A hidden password prompt reads in cooked mode, where a SIGINT handler would leave it
    // waiting for Enter; there, Ctrl-C keeps its default meaning.
    // `sandbox serve` stops on Ctrl-C by design, and handles it itself.
    let hidden_prompt =
        matches!(&cli.command, Command::Auth(AuthCommand::Login(_))) && io::stdin().is_terminal();
    let catch_ctrl_c =
        !hidden_prompt && !matches!(&cli.command, Command::Sandbox(SandboxCommand::Serve(_)));
    let ctx = match Context::new(cli.global, out) {
        Ok(ctx) => ctx,
        Err(error) => return finish(&Output::new(mode), Err(error)),
    };
    let result = runtime.block_on(async {
        if !catch_ctrl_c {
            return commands::dispatch(&ctx, cli.command).await;
        }
        // Registered before the command starts: a prompt may block this thread at once.
        let mut interrupt = Interrupt::register()?;
        tokio::select! {
            result = commands::dispatch(&ctx, cli.command) => result,
            () = interrupt.recv() => Err(journal::interrupted()),
        }
    });
    // The embedded sandbox and any stuck request are dropped with the runtime, without waiting.
    runtime.shutdown_background();
    finish(&ctx.out, result)
}

/// Ctrl-C, caught from the moment it is registered (tokio's `ctrl_c()` only registers when
/// first polled, which is too late when a prompt blocks the thread first).
struct Interrupt {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
    #[cfg(windows)]
    signal: tokio::signal::windows::CtrlC,
}

impl Interrupt {
    fn register() -> io::Result<Self> {
        #[cfg(unix)]
        let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
        #[cfg(windows)]
        let signal = tokio::signal::windows::ctrl_c()?;
        Ok(Interrupt { signal })
    }

    async fn recv(&mut self) {
        self.signal.recv().await;
    }
}

/// Prints a failure (text on stderr, and the JSON error object with `--json`) and returns the
/// exit code of its kind.
fn finish(out: &Output, result: anyhow::Result<()>) -> ExitCode {
    let error = match result {
        Ok(()) => return ExitCode::SUCCESS,
        Err(error) => error,
    };
    if is_broken_pipe(&error) {
        return ExitCode::SUCCESS;
    }
    let report = diagnose(&error);
    if out.mode == Mode::Json && !report.stdout_written {
        let printed = match &report.json_result {
            Some(result) => out.json(result),
            None => out.json(&report.to_json()),
        };
        if printed.is_err() {
            return ExitCode::from(report.exit_code());
        }
    }
    output::stderr(&report.to_text(&out.style));
    ExitCode::from(report.exit_code())
}

/// `linkus … | head` closing the pipe early is not an error.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Help and version go to stdout with exit 0; every other parse error is a usage error (2),
/// as JSON on stdout too when `--json` or `LINKUS_OUTPUT=json` was asked for.
fn clap_failure(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    let wants_json = std::env::args().any(|arg| arg == "--json");
    if output_mode(wants_json, false) == Mode::Json {
        let message = error
            .render()
            .to_string()
            .lines()
            .next()
            .unwrap_or("invalid arguments")
            .trim_start_matches("error: ")
            .to_owned();
        let report = diagnose(&Failure::usage(message).into());
        let _ = Output::new(Mode::Json).json(&report.to_json());
    }
    let _ = error.print();
    ExitCode::from(Kind::Usage.exit_code())
}

/// A panic is a bug: say so in one line, without a backtrace or a debug dump.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let detail = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        output::stderr(&format!(
            "Error: linkus hit an internal error{place}: {}\nHint: This is a bug; please report it with the command you ran.\n",
            redact::scrub(&detail)
        ));
    }));
}
