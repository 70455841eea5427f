//! The whole run: parse, start the runtime, dispatch, handle signals, print the outcome, pick
//! the exit code.

use std::io;
use std::process::ExitCode;

use clap::FromArgMatches;

use crate::cli::{Cli, Command, SandboxCommand};
use crate::commands;
use crate::context::{output_mode, Context, Settings};
use crate::error::{diagnose, ExitStatus, Failure, Kind, Signal};
use crate::output::{self, Mode, Output};
use crate::prompt::Terminal;

pub fn main() -> ExitCode {
    install_panic_hook();
    let command = crate::cli::pages::command();
    let parsed = command
        .clone()
        .try_get_matches_from(std::env::args_os())
        .and_then(|mut matches| Cli::from_arg_matches_mut(&mut matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(error) => return clap_failure(&command, error),
    };
    match std::panic::catch_unwind(|| run(cli)) {
        Ok(code) => code,
        // The hook has already said what happened.
        Err(_) => ExitCode::from(Kind::Internal.exit_code()),
    }
}

fn run(cli: Cli) -> ExitCode {
    let mode = output_mode(cli.global.json || cli.global.jq.is_some(), cli.global.quiet);
    let mut out = Output::new(mode);
    // Compiled before anything is sent: an expression that does not compile costs nothing.
    if let Some(expr) = &cli.global.jq {
        match crate::jq::Jq::new(expr) {
            Ok(jq) => out.jq = Some(jq),
            Err(error) => {
                return finish(
                    &out,
                    Err(crate::error::Failure::usage(format!("{error}; nothing was sent.")).into()),
                )
            }
        }
    }
    let terminal = Terminal::save();
    // One thread drives every connection: prompts wait on threads of their own, so the
    // connections keep being served while a person reads; and before an order the client
    // yields to this same thread's I/O driver, so a close the portal has already sent is
    // always seen first, however busy the machine (worker threads gave no such guarantee).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return finish(&out, Err(anyhow::anyhow!("could not start: {error}"))),
    };
    survive_file_size_limit(&runtime);
    // `sandbox serve` stops on a signal by design, and handles it itself.
    let catch_signals = !matches!(&cli.command, Command::Sandbox(SandboxCommand::Serve(_)));
    let ctx = match Context::new(cli.global, out) {
        Ok(ctx) => ctx,
        Err(error) => return finish(&Output::new(mode), Err(error)),
    };
    announce_sandbox(&ctx.settings, &ctx.out);
    let result = runtime.block_on(async {
        if !catch_signals {
            return commands::dispatch(&ctx, cli.command).await;
        }
        // Registered before the command starts, so that no signal is missed.
        let mut signals = Signals::register()?;
        tokio::select! {
            result = commands::dispatch(&ctx, cli.command) => result,
            signal = signals.recv() => interrupted(&ctx, &terminal, signal),
        }
    });
    // The embedded sandbox, a prompt's thread and any stuck request are dropped with the
    // runtime, without waiting.
    runtime.shutdown_background();
    finish(&ctx.out, result)
}

/// A file size limit (`ulimit -f`) must make a write fail, not kill the run silently: SIGXFSZ,
/// whose default action is to end the process, gets a handler (tokio's, which only notes the
/// signal and stays installed for the life of the process), so that a write past the limit
/// fails with EFBIG instead. A journal that cannot take the order's intent then stops the order
/// before it is sent, and says why, like any journal that cannot be written. Registered before
/// anything is written.
#[cfg(unix)]
fn survive_file_size_limit(runtime: &tokio::runtime::Runtime) {
    use tokio::signal::unix::{signal, SignalKind};
    let _context = runtime.enter();
    let file_size = SignalKind::from_raw(rustix::process::Signal::XFSZ.as_raw());
    if let Err(error) = signal(file_size) {
        output::warn(&format!(
            "could not catch SIGXFSZ ({error}): a file size limit (ulimit -f) would end linkus without a word."
        ));
    }
}

#[cfg(not(unix))]
fn survive_file_size_limit(_runtime: &tokio::runtime::Runtime) {}

/// SIGINT, SIGTERM and SIGHUP (Ctrl-C on Windows), caught from the moment they are registered.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hangup: tokio::signal::unix::Signal,
    #[cfg(windows)]
    interrupt: tokio::signal::windows::CtrlC,
}

impl Signals {
    fn register() -> io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
                hangup: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(windows)]
        Ok(Signals {
            interrupt: tokio::signal::windows::ctrl_c()?,
        })
    }

    async fn recv(&mut self) -> Signal {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => Signal::Interrupt,
                _ = self.terminate.recv() => Signal::Terminate,
                _ = self.hangup.recv() => Signal::Hangup,
            }
        }
        #[cfg(windows)]
        {
            self.interrupt.recv().await;
            Signal::Interrupt
        }
    }
}

/// A signal ended the run: the terminal is put back, and an order on the wire is journaled
/// as unknown and said so. A command whose result is a list (a batch) prints it so far.
fn interrupted(ctx: &Context, terminal: &Terminal, signal: Signal) -> anyhow::Result<ExitStatus> {
    terminal.restore();
    let kind = Kind::Interrupted(signal);
    let in_flight = ctx.orders.take();
    let sns: Vec<String> = in_flight.iter().map(|order| order.sn.clone()).collect();
    let now = ctx.now_rfc3339();
    let said: Vec<String> = in_flight
        .into_iter()
        .map(|order| order.interrupted(&now))
        .collect();
    let failure = if said.is_empty() {
        let message = if ctx.orders.placed_any() {
            "Interrupted."
        } else {
            "Interrupted; nothing was bought."
        };
        Failure::new(kind, message)
    } else {
        let check = match sns.as_slice() {
            [sn] => format!("`linkus orders list --sn {sn}`"),
            _ => "`linkus orders list`".to_owned(),
        };
        Failure::new(kind, said.join("\n")).hint(format!(
            "Check with {check} (or `linkus orders reconcile`) before you order again."
        ))
    };
    if ctx.orders.report_interrupted(ctx, kind, &sns) {
        crate::error::report(&ctx.out, failure);
        return Ok(ExitStatus::Failed(kind));
    }
    Err(failure.into())
}

/// Prints a failure (text on stderr, and the JSON error object with `--json`) and returns the
/// exit code.
fn finish(out: &Output, result: anyhow::Result<ExitStatus>) -> ExitCode {
    let error = match result {
        Ok(status) => return ExitCode::from(status.code()),
        Err(error) => error,
    };
    if is_broken_pipe(&error) {
        return ExitCode::SUCCESS;
    }
    let report = diagnose(&error);
    if out.mode == Mode::Json {
        let _ = out.json(&report.to_json());
    }
    output::stderr(&report.to_text(&out.style));
    ExitCode::from(report.exit_code())
}

/// `linkus … | head` closing the pipe early is not an error. (Commands that place orders
/// handle their own output, so that this never hides one.)
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Help and version go to stdout with exit 0; every other parse error is a usage error (2),
/// as JSON on stdout too when `--json` or `LINKUS_OUTPUT=json` was asked for.
fn clap_failure(command: &clap::Command, error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if error.kind() == ErrorKind::DisplayHelp {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    // `linkus` alone: a short usage with the commands used most, not the whole help;
    // `linkus orders` alone: the same page as `linkus orders --help`. Both on stderr, exit 2.
    if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        usage_error_as_json(
            Failure::usage("A command is missing.").hint("`linkus --help` lists the commands."),
        );
        // clap's page of the command that lacks a subcommand; `linkus` alone is the short usage.
        let page = error.render().to_string();
        let top = command.clone().render_help().to_string();
        if page == top {
            output::stderr(&crate::cli::pages::short_usage());
        } else {
            output::stderr(&page);
        }
        return ExitCode::from(Kind::Usage.exit_code());
    }
    if error.kind() == ErrorKind::DisplayVersion {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    let message = error
        .render()
        .to_string()
        .lines()
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_owned();
    usage_error_as_json(Failure::usage(message));
    let _ = error.print();
    ExitCode::from(Kind::Usage.exit_code())
}

/// A usage error found while the arguments were read, as the JSON error object on stdout
/// when `--json` or `LINKUS_OUTPUT=json` was asked for (clap has not said which).
fn usage_error_as_json(failure: Failure) {
    // Arguments that are not UTF-8 are compared as raw bytes: reading them as strings panics.
    let wants_json = std::env::args_os().any(|arg| arg == "--json");
    if output_mode(wants_json, false) == Mode::Json {
        let report = diagnose(&failure.into());
        let _ = Output::new(Mode::Json).json(&report.to_json());
    }
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
            output::clean(&crate::redact::scrub(&detail))
        ));
    }));
}

/// With `--sandbox`, one short line before anything else, even with `--quiet`: this run
/// spends nothing.
fn announce_sandbox(settings: &Settings, out: &Output) {
    if settings.global.sandbox {
        out.notice("Sandbox:", "the built-in portal; no account, no money.");
    }
}
