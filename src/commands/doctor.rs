//! `linkus doctor`: read-only checks of the set-up, the portal and its answers' shapes.

use anyhow::Result;

use crate::cli::DoctorArgs;
use crate::context::Context;
use crate::error::{usage, ExitStatus};

pub async fn run(_ctx: &Context, _args: DoctorArgs) -> Result<ExitStatus> {
    Err(usage("`linkus doctor` is not built yet"))
}
