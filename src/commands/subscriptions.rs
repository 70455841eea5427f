//! `linkus subscriptions`: the account's PBXs with Linkus Cloud Service.

use anyhow::Result;

use crate::cli::SubscriptionsArgs;
use crate::context::Context;
use crate::error::{usage, ExitStatus};

pub async fn run(_ctx: &Context, _args: SubscriptionsArgs) -> Result<ExitStatus> {
    Err(usage("`linkus subscriptions` is not built yet"))
}
