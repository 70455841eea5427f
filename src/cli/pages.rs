//! The help pages as clap prints them. Each subcommand's page names the global options in one
//! line, as gh shows inherited flags, instead of repeating their nine lines on every page
//! (`linkus --help` has them): the pages are set up once here, on the command the arguments
//! are parsed with, so that clap finds the page asked for (`linkus orders show --help`,
//! `linkus help orders show`, `linkus orders` alone) and nothing reads argv by hand.

use clap::{Command, CommandFactory};

use super::Cli;

/// The command line the arguments are parsed with, its help pages set up.
pub fn command() -> Command {
    let mut command = Cli::command();
    // Global arguments are copied into every subcommand when the command is built, unless
    // the subcommand has its own: each page gets a hidden copy.
    let globals: Vec<clap::Arg> = command
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .map(|arg| arg.clone().hide(true))
        .collect();
    let names: Vec<String> = command
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .filter_map(|arg| arg.get_long().map(|long| format!("--{long}")))
        .collect();
    let note = global_note(&names);
    for sub in command.get_subcommands_mut() {
        let taken = std::mem::replace(sub, Command::new(""));
        *sub = page(taken, &globals, &note);
    }
    command
}

/// `Global options: --profile, …` wrapped as wide as clap wraps the page (the terminal or
/// `COLUMNS`, at most 100).
fn global_note(names: &[String]) -> String {
    let note_width = crate::output::terminal_width().min(100);
    let mut note = String::from("Global options:");
    let mut width = note.len();
    for (index, name) in names.iter().enumerate() {
        let word = if index + 1 < names.len() {
            format!("{name},")
        } else {
            name.clone()
        };
        if width + 1 + word.len() > note_width {
            note.push_str("\n ");
            width = 1;
        }
        note.push(' ');
        note.push_str(&word);
        width += 1 + word.len();
    }
    format!("{note}\n  (see `linkus --help`)")
}

/// A subcommand's page (and its subcommands'): the global arguments hidden and named in the
/// note after its examples; `--help` shows the same page as `-h`.
fn page(mut command: Command, globals: &[clap::Arg], note: &str) -> Command {
    command = command.args(globals);
    let after = match command.get_after_help() {
        Some(examples) => format!("{examples}\n\n{note}"),
        None => note.to_owned(),
    };
    command = command.after_help(after);
    for sub in command.get_subcommands_mut() {
        let taken = std::mem::replace(sub, Command::new(""));
        *sub = page(taken, globals, note);
    }
    command
}

/// What `linkus` without a command prints: the five commands used most, and where the rest is.
pub fn short_usage() -> String {
    "\
linkus buys Linkus Cloud Service for Yeastar PBXs through the Partner Portal, safely.

Usage: linkus [OPTIONS] <COMMAND>

Most used:
  linkus purchase                buy for a PBX (asks for what is missing)
  linkus renew --sn SN           add years to a PBX's current plan
  linkus subscriptions           the account's PBXs with Linkus, soonest expiry first
  linkus orders list             the orders, newest first
  linkus products --sn SN        the plans and prices for a PBX

Try it without an account or money: linkus --sandbox purchase
Every command and option: linkus --help
"
    .to_owned()
}
