//! `linkus`: buy Linkus Cloud Service for Yeastar PBXs through the Partner Portal API.
//!
//! The layout follows the architecture: [`cli`] (flags and help), [`commands`] (one flow per
//! command), [`order`] with [`records`] (the stores of earlier orders: [`journal`], the
//! record beside the [`lock`]s), [`guard`] (the one decision over them) and [`portal_key`]
//! (never paying twice),
//! [`output`] (tables and JSON), [`prompt`] (the only place that talks to a terminal) and
//! [`error`] (kinds, hints and exit codes in one table). The Partner Portal API is the
//! `yeastar-partner` crate and the built-in portal the `linkus-sandbox` crate, both under
//! `crates/`.

// A `Failure` ends the run; that it is larger than a pointer costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

mod app;
mod capture;
mod cli;
mod commands;
mod config;
mod context;
mod error;
mod files;
mod guard;
mod http_log;
mod journal;
mod jq;
mod lock;
mod order;
mod output;
mod paths;
mod portal_clock;
mod portal_key;
mod portal_record;
mod prompt;
mod quote;
mod rawjson;
mod records;
mod redact;
mod team;
mod tokens;

fn main() -> std::process::ExitCode {
    app::main()
}
