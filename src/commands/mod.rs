//! One module per command, each an `async fn run`.

pub mod api;
pub mod auth;
pub mod billing_contacts;
pub mod completions;
pub mod orders;
pub mod products;
pub mod purchase;
pub mod sandbox;

use anyhow::Result;

use crate::cli::{AuthCommand, Command, OrdersCommand, SandboxCommand};
use crate::context::Context;

pub async fn dispatch(ctx: &Context, command: Command) -> Result<()> {
    match command {
        Command::Auth(AuthCommand::Login(args)) => auth::login(ctx, args).await,
        Command::Auth(AuthCommand::Status) => auth::status(ctx),
        Command::Auth(AuthCommand::Logout) => auth::logout(ctx),
        Command::Products(args) => products::run(ctx, args).await,
        Command::BillingContacts => billing_contacts::run(ctx).await,
        Command::Purchase(args) => purchase::run(ctx, args).await,
        Command::Orders(OrdersCommand::List(args)) => orders::list(ctx, args).await,
        Command::Orders(OrdersCommand::Show(args)) => orders::show(ctx, args).await,
        Command::Orders(OrdersCommand::Reconcile) => orders::reconcile(ctx).await,
        Command::Api(args) => api::run(ctx, args).await,
        Command::Sandbox(SandboxCommand::Serve(args)) => sandbox::serve(ctx, args).await,
        Command::Sandbox(SandboxCommand::Reset) => sandbox::reset(ctx),
        Command::Completions(args) => completions::run(ctx, args),
    }
}
