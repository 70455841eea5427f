//! `linkus completions SHELL`.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionShell, CompletionsArgs};
use crate::error::ExitStatus;

pub fn run(args: CompletionsArgs) -> Result<ExitStatus> {
    use clap_complete::Shell;
    let mut command = Cli::command();
    let mut script = Vec::new();
    let out = &mut script;
    match args.shell {
        CompletionShell::Bash => clap_complete::generate(Shell::Bash, &mut command, "linkus", out),
        CompletionShell::Zsh => clap_complete::generate(Shell::Zsh, &mut command, "linkus", out),
        CompletionShell::Fish => clap_complete::generate(Shell::Fish, &mut command, "linkus", out),
        CompletionShell::Powershell => {
            clap_complete::generate(Shell::PowerShell, &mut command, "linkus", out)
        }
        CompletionShell::Elvish => {
            clap_complete::generate(Shell::Elvish, &mut command, "linkus", out)
        }
        CompletionShell::Nushell => {
            clap_complete::generate(clap_complete_nushell::Nushell, &mut command, "linkus", out)
        }
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(ExitStatus::Success)
}
