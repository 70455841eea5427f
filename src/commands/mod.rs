//! One module per command, each an `async fn` that returns how the command ended, and
//! [`order_flow`], what `purchase | renew | switch` share with their batches. Commands use
//! each other one way only (`tests/architecture.rs`); a command that needs less than the whole
//! [`Context`] takes only the settings, the printer or the client.

pub mod api;
pub mod auth;
pub mod autorenew;
pub mod batch;
pub mod billing_contacts;
pub mod completions;
pub mod doctor;
pub mod man;
pub mod order_flow;
pub mod orders;
pub mod products;
pub mod purchase;
pub mod reconcile;
pub mod sandbox;
pub mod subscriptions;
pub mod team;

use anyhow::Result;
use yeastar_partner::Operation;

use crate::cli::{
    AuthCommand, AutorenewCommand, Command, OrderArgs, OrdersCommand, SandboxCommand, TeamCommand,
};
use crate::context::Context;
use crate::error::ExitStatus;

pub async fn dispatch(ctx: &Context, command: Command) -> Result<ExitStatus> {
    match command {
        Command::Auth(AuthCommand::Login(args)) => auth::login(ctx, args).await,
        Command::Auth(AuthCommand::Status) => {
            auth::status(&ctx.settings, &ctx.out, ctx.clock.as_ref())
        }
        Command::Auth(AuthCommand::Logout) => auth::logout(&ctx.settings, &ctx.out),
        Command::Products(args) => products::run(ctx, args).await,
        Command::BillingContacts => billing_contacts::run(&ctx.client()?, &ctx.out).await,
        Command::Subscriptions(args) => subscriptions::run(ctx, args).await,
        Command::Purchase(args) => order(ctx, Operation::Purchase, args).await,
        Command::Renew(args) => match args.expiring_within {
            Some(within) => {
                let expiring = batch::expiring::Expiring {
                    within,
                    include_expired: args.include_expired,
                    include_auto_renew: args.include_auto_renew,
                };
                batch::expiring::run(ctx, args.into(), expiring).await
            }
            None => order(ctx, Operation::Renew, args.into()).await,
        },
        Command::Switch(args) => order(ctx, Operation::Switch, args.into()).await,
        Command::Orders(OrdersCommand::List(args)) => orders::list(ctx, args).await,
        Command::Orders(OrdersCommand::Show(args)) => orders::show(ctx, args).await,
        Command::Orders(OrdersCommand::Reconcile(args)) => reconcile::run(ctx, args).await,
        Command::Api(args) => api::run(ctx, args).await,
        Command::Doctor(args) => doctor::run(ctx, args).await,
        Command::Sandbox(SandboxCommand::Serve(args)) => {
            sandbox::serve(&ctx.settings, &ctx.out, args).await
        }
        Command::Sandbox(SandboxCommand::Reset) => sandbox::reset(&ctx.settings, &ctx.out),
        Command::Sandbox(SandboxCommand::Pay(args)) => {
            sandbox::settle(&ctx.settings, &ctx.out, args, true)
        }
        Command::Sandbox(SandboxCommand::Cancel(args)) => {
            sandbox::settle(&ctx.settings, &ctx.out, args, false)
        }
        Command::Autorenew(AutorenewCommand::Enable(args)) => autorenew::enable(ctx, args).await,
        Command::Team(TeamCommand::Init) => team::init(ctx).await,
        Command::Team(TeamCommand::Status) => team::status(ctx).await,
        Command::Team(TeamCommand::Sync) => team::sync(ctx).await,
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(&ctx.out, args),
    }
}

/// `purchase | renew | switch`: a batch with `--from FILE`, else one SN.
async fn order(ctx: &Context, operation: Operation, args: OrderArgs) -> Result<ExitStatus> {
    match args.batch.from.clone() {
        Some(file) => batch::run(ctx, operation, args, file).await,
        None => purchase::run(ctx, operation, args).await,
    }
}
