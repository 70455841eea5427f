//! `linkus man [--dir DIR]`: manual pages from the same definitions as `--help`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result};
use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};
use crate::context::Context;
use crate::error::ExitStatus;

pub fn run(ctx: &Context, args: ManArgs) -> Result<ExitStatus> {
    let command = Cli::command();
    let Some(dir) = args.dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command).render(&mut page)?;
        let mut out = std::io::stdout().lock();
        out.write_all(&page)?;
        out.flush()?;
        return Ok(ExitStatus::Success);
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    let written = write_pages(&command, "linkus", &dir)?;
    ctx.out.status(&format!(
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
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
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
