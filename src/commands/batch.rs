//! `purchase | renew | switch --from FILE`: many orders from one file.

use std::path::PathBuf;

use anyhow::Result;
use yeastar_partner::Operation;

use crate::cli::OrderArgs;
use crate::context::Context;
use crate::error::{usage, ExitStatus};

pub async fn run(
    _ctx: &Context,
    _operation: Operation,
    _args: OrderArgs,
    _file: PathBuf,
) -> Result<ExitStatus> {
    Err(usage("--from is not built yet"))
}
