//! Command-line types. Doc comments are the help text.
//!
//! House rules: every value-taking option has an uppercase `value_name`; every subcommand's
//! help ends with "Examples:" (and "Automation notes:" where scripts need them); global options
//! live in [`GlobalArgs`] under the "Global options" heading, each with its environment variable.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::FalseyValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::validate_profile;

mod help;
pub mod pages;
mod values;
use help::*;
use values::{parse_base_url, parse_limit, parse_max_total, parse_since, parse_timeout};
pub use values::{parse_order, parse_po_number, parse_sn};
pub use values::{Limit, Since};

/// Buy Linkus Cloud Service for Yeastar PBXs through the Partner Portal, safely.
#[derive(Debug, Parser)]
#[command(name = "linkus", bin_name = "linkus", version, after_help = MAIN_EXAMPLES)]
#[command(max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Which stored credentials to use
    #[arg(long, global = true, value_name = "NAME", env = "LINKUS_PROFILE", hide_env_values = true, default_value = "default", value_parser = validate_profile)]
    pub profile: String,

    /// Partner Portal API base URL [default: https://openapi.partner.yeastar.com]
    #[arg(long, global = true, value_name = "URL", env = "LINKUS_BASE_URL", hide_env_values = true, value_parser = parse_base_url)]
    pub base_url: Option<url::Url>,

    /// Use the built-in sandbox portal: no account, no money
    #[arg(long, global = true, env = "LINKUS_SANDBOX", hide_env_values = true, value_parser = FalseyValueParser::new())]
    pub sandbox: bool,

    /// Print machine-readable JSON on stdout [env: LINKUS_OUTPUT=json]
    #[arg(long, global = true)]
    pub json: bool,

    /// Filter the JSON output through a jq expression (implies --json); strings print raw
    #[arg(long, global = true, value_name = "EXPR")]
    pub jq: Option<String>,

    /// Never prompt (also when stdin or stderr is not a terminal, or CI is set)
    #[arg(long, global = true, env = "LINKUS_NO_INPUT", hide_env_values = true, value_parser = FalseyValueParser::new())]
    pub no_input: bool,

    /// Log each HTTP exchange to stderr; -vv adds bodies. Secrets are always redacted
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print only the essential value: the order number, or IDs one a line
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Write every HTTP exchange to this folder for a bug report (secrets and personal data
    /// replaced)
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "LINKUS_CAPTURE",
        hide_env_values = true
    )]
    pub capture: Option<PathBuf>,

    /// The team journal: a postgres:// URL shared by every machine that orders, or `off` for
    /// this run (never with a password here) [env: LINKUS_TEAM_JOURNAL]
    #[arg(long, global = true, value_name = "URL")]
    pub team_journal: Option<String>,

    /// Time limit for one HTTP request, in seconds
    #[arg(long, global = true, value_name = "SECS", env = "LINKUS_TIMEOUT", hide_env_values = true, default_value = "30", value_parser = parse_timeout)]
    pub timeout: Duration,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Store, check or remove the Partner Portal API credentials
    #[command(subcommand, after_help = AUTH_HELP)]
    Auth(AuthCommand),

    /// List the Linkus plans that can be bought for a PBX
    #[command(after_help = PRODUCTS_HELP)]
    Products(ProductsArgs),

    /// List the billing contacts of the partner account
    #[command(after_help = CONTACTS_HELP)]
    BillingContacts,

    /// List the account's PBXs with Linkus Cloud Service, soonest expiry first
    #[command(after_help = SUBSCRIPTIONS_HELP)]
    Subscriptions(SubscriptionsArgs),

    /// Buy Linkus Cloud Service for a PBX, by flags or by a guided wizard
    #[command(after_help = PURCHASE_HELP)]
    Purchase(OrderArgs),

    /// Add years to a PBX's current Linkus plan
    #[command(after_help = RENEW_HELP)]
    Renew(RenewArgs),

    /// Move a PBX's Linkus subscription to another plan
    #[command(after_help = SWITCH_HELP)]
    Switch(SwitchArgs),

    /// List, show and reconcile orders
    #[command(subcommand, after_help = ORDERS_HELP)]
    Orders(OrdersCommand),

    /// Send one authenticated request to any Partner Portal API path
    #[command(after_help = API_HELP)]
    Api(ApiArgs),

    /// Check, read-only, everything a purchase depends on
    #[command(after_help = DOCTOR_HELP)]
    Doctor(DoctorArgs),

    /// Run, reset or settle orders of the built-in sandbox portal
    #[command(subcommand, after_help = SANDBOX_HELP)]
    Sandbox(SandboxCommand),

    /// Switch on automatic renewal of a PBX's Linkus plan (off is done in the portal)
    #[command(subcommand, after_help = AUTORENEW_HELP)]
    Autorenew(AutorenewCommand),
    /// Set up and look at the team journal shared by every machine that orders
    #[command(subcommand, after_help = TEAM_HELP)]
    Team(TeamCommand),

    /// Print a shell completion script
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),

    /// Write the manual pages, one per command
    #[command(after_help = MAN_HELP)]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct SubscriptionsArgs {
    /// Only this PBX
    #[arg(long, value_name = "SN", value_parser = parse_sn)]
    pub sn: Option<String>,

    /// Only subscriptions that end within this many days (or have ended)
    #[arg(long, value_name = "DAYS")]
    pub expiring_within: Option<u32>,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Also check this PBX's plans, subscription and price
    #[arg(long, value_name = "SN", value_parser = parse_sn)]
    pub sn: Option<String>,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The folder to write the pages to (created if missing); without it, the page of
    /// `linkus` itself goes to stdout
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Store API credentials for a profile, after checking them with the portal
    #[command(after_help = LOGIN_HELP)]
    Login(LoginArgs),

    /// Show which credentials are in use and the state of the access token
    #[command(after_help = STATUS_HELP)]
    Status,

    /// Remove a profile's stored credentials and cached tokens
    #[command(after_help = LOGOUT_HELP)]
    Logout,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The Client ID from Partner Portal > System > API (asked for when missing)
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,

    /// Read the client secret from the first line of stdin instead of a hidden prompt
    #[arg(long)]
    pub secret_stdin: bool,
}

#[derive(Debug, Args)]
pub struct ProductsArgs {
    /// The PBX serial number (Resource Monitor > Information > Serial Number)
    #[arg(long, value_name = "SN", value_parser = parse_sn)]
    pub sn: String,

    /// The product to list plans for
    #[arg(long, value_name = "ID", default_value_t = yeastar_partner::LINKUS_PRODUCT_ID)]
    pub product_id: u64,
}

/// Everything an order takes; `purchase` has all of it, `renew` and `switch` convert into it.
#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("batch_source").args(["from"]))]
pub struct OrderArgs {
    /// The PBX serial number (asked for when missing)
    #[arg(long, value_name = "SN", value_parser = parse_sn)]
    pub sn: Option<String>,

    /// Plan ID, or plan name matched case-insensitively ("Linkus Cloud Service Pro")
    #[arg(long, value_name = "PLAN")]
    pub plan: Option<String>,

    /// Billing contact ID or e-mail address
    #[arg(long, value_name = "CONTACT")]
    pub billing_contact: Option<String>,

    /// Number of annual billing cycles, 1 to 5
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=5))]
    pub years: Option<u8>,

    /// Your purchase-order number, printed on the order
    #[arg(long, value_name = "TEXT", value_parser = parse_po_number)]
    pub po_number: Option<String>,

    #[command(flatten)]
    pub common: CommonOrderArgs,

    #[command(flatten)]
    pub batch: BatchArgs,
}

/// The flags every kind of order shares.
#[derive(Debug, Clone, Args)]
pub struct CommonOrderArgs {
    /// Refuse (exit 3, nothing sent) when the list-price total is above this, unknown, or in
    /// another currency: 500 or 500USD
    #[arg(long, value_name = "AMOUNT", env = "LINKUS_MAX_TOTAL", hide_env_values = true, value_parser = parse_max_total)]
    pub max_total: Option<crate::quote::MaxTotal>,

    /// Order again although this earlier order (for the same SN) succeeded in the last 24
    /// hours, or its journal time cannot be read; may be given several times, each naming one
    /// order (in a batch, for its row's SN)
    #[arg(long, value_name = "ORDER", value_parser = parse_order)]
    pub again: Vec<String>,

    /// Place the order without asking for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Show the summary and the exact request body; buy nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// Many orders from one file (CLI.md section 1, "Batch").
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Batch")]
pub struct BatchArgs {
    /// Order for every row of this file: CSV with a header, a JSON array or JSON lines ("-"
    /// for stdin); the flags above are defaults for empty columns
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,

    /// How many orders are sent at once, 1 to 16
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=16), requires = "batch_source")]
    pub jobs: u8,

    /// Also write each row's result to this CSV file
    #[arg(long, value_name = "FILE", requires = "batch_source")]
    pub results: Option<PathBuf>,

    /// Leave out rows that cannot be used instead of refusing the whole file
    #[arg(long, requires = "batch_source")]
    pub skip_invalid: bool,
}

#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("batch_source").args(["from", "expiring_within"]))]
pub struct RenewArgs {
    /// The PBX serial number
    #[arg(long, value_name = "SN", value_parser = parse_sn)]
    pub sn: Option<String>,

    /// Renew, as one batch, every PBX of the account whose subscription ends within this many
    /// days (or ended in the last 30)
    #[arg(long, value_name = "DAYS", conflicts_with_all = ["sn", "from"], help_heading = "Batch")]
    pub expiring_within: Option<u32>,

    /// With --expiring-within: also renew subscriptions that ended more than 30 days ago
    #[arg(long, requires = "expiring_within", help_heading = "Batch")]
    pub include_expired: bool,

    /// With --expiring-within: also renew subscriptions that renew automatically
    #[arg(long, requires = "expiring_within", help_heading = "Batch")]
    pub include_auto_renew: bool,

    /// How many more annual billing cycles, 1 to 5 [default: 1]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=5))]
    pub years: Option<u8>,

    /// Billing contact ID or e-mail address
    #[arg(long, value_name = "CONTACT")]
    pub billing_contact: Option<String>,

    /// Your purchase-order number, printed on the order
    #[arg(long, value_name = "TEXT", value_parser = parse_po_number)]
    pub po_number: Option<String>,

    #[command(flatten)]
    pub common: CommonOrderArgs,

    #[command(flatten)]
    pub batch: BatchArgs,
}

#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("batch_source").args(["from"]))]
pub struct SwitchArgs {
    /// The PBX serial number
    #[arg(long, value_name = "SN", value_parser = parse_sn)]
    pub sn: Option<String>,

    /// The plan to switch to: plan ID or name
    #[arg(long, value_name = "PLAN")]
    pub plan: Option<String>,

    /// The billing cycles, only when the portal does not say how many the subscription has (a
    /// switch keeps them)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=5))]
    pub years: Option<u8>,

    /// Billing contact ID or e-mail address
    #[arg(long, value_name = "CONTACT")]
    pub billing_contact: Option<String>,

    /// Your purchase-order number, printed on the order
    #[arg(long, value_name = "TEXT", value_parser = parse_po_number)]
    pub po_number: Option<String>,

    #[command(flatten)]
    pub common: CommonOrderArgs,

    #[command(flatten)]
    pub batch: BatchArgs,
}

impl From<RenewArgs> for OrderArgs {
    fn from(args: RenewArgs) -> Self {
        OrderArgs {
            sn: args.sn,
            plan: None,
            billing_contact: args.billing_contact,
            years: args.years,
            po_number: args.po_number,
            common: args.common,
            batch: args.batch,
        }
    }
}

impl From<SwitchArgs> for OrderArgs {
    fn from(args: SwitchArgs) -> Self {
        OrderArgs {
            sn: args.sn,
            plan: args.plan,
            billing_contact: args.billing_contact,
            years: args.years,
            po_number: args.po_number,
            common: args.common,
            batch: args.batch,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// List orders, newest first
    #[command(after_help = ORDERS_LIST_HELP)]
    List(OrdersListArgs),

    /// Show one order by order number or order ID
    #[command(after_help = ORDERS_SHOW_HELP)]
    Show(OrdersShowArgs),

    /// Settle journal entries whose outcome was unknown, by looking the orders up
    #[command(after_help = RECONCILE_HELP)]
    Reconcile(ReconcileArgs),
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Mark this unknown journal entry as never placed, after checking the portal: the only
    /// way to unblock its SN when the portal shows no order for it
    #[arg(long, value_name = "ENTRY")]
    pub not_placed: Option<String>,

    /// Do not ask before marking an entry as not placed
    #[arg(long, short = 'y', requires = "not_placed")]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct OrdersListArgs {
    /// How many orders to show at most, or all
    #[arg(long, value_name = "N|all", default_value = "20", value_parser = parse_limit)]
    pub limit: Limit,

    /// Only orders for this PBX serial number
    #[arg(long, value_name = "SN", value_parser = parse_sn)]
    pub sn: Option<String>,

    /// Only orders with this status (again for more); `open` is every status not final
    #[arg(long, value_name = "STATUS")]
    pub status: Vec<String>,

    /// Only orders the portal created since then: an age (7d, 12h) or a date (2026-11-30, UTC)
    #[arg(long, value_name = "AGE", value_parser = parse_since)]
    pub since: Option<Since>,

    /// Only orders with exactly this PO number
    #[arg(long, value_name = "TEXT")]
    pub po: Option<String>,
}

#[derive(Debug, Args)]
pub struct OrdersShowArgs {
    /// The order number (LR…) or the order's ID
    #[arg(value_name = "ORDER", value_parser = parse_order)]
    pub order: String,

    /// Look the order up every few seconds until it is no longer open (pending and the like),
    /// then exit as a purchase would: 0 succeeded, 5 failed, 8 still open at the time limit
    #[arg(long)]
    pub wait: bool,

    /// How long --wait waits at most, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 600, requires = "wait", value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub wait_timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The HTTP method
    #[arg(value_name = "METHOD", ignore_case = true)]
    pub method: HttpMethod,

    /// The API path, such as /order/openapi/order/v1/page
    #[arg(value_name = "PATH")]
    pub path: String,

    /// A string field: a query parameter for GET, a JSON body member otherwise
    #[arg(short = 'f', long = "field", value_name = "KEY=VALUE")]
    pub fields: Vec<String>,

    /// A typed field: numbers, true, false and null keep their JSON type
    #[arg(short = 'F', long = "typed-field", value_name = "KEY=VALUE")]
    pub typed_fields: Vec<String>,

    /// Send this file as the JSON body ("-" for stdin)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["fields", "typed_fields"])]
    pub input: Option<PathBuf>,

    /// For a request that is an order: order again although this earlier order (for the same
    /// SN) succeeded in the last 24 hours; may be given several times, each naming one order
    #[arg(long, value_name = "ORDER", value_parser = parse_order)]
    pub again: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the sandbox portal in the foreground until Ctrl-C
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),

    /// Forget the sandbox's orders and subscriptions, and its entries in the local journal
    #[command(after_help = RESET_HELP)]
    Reset,

    /// Pay a pending sandbox order, as a person would in the portal's Orders page
    #[command(after_help = PAY_HELP)]
    Pay(SandboxOrderArgs),

    /// Cancel a pending sandbox order, as a person would in the portal's Orders page
    #[command(after_help = CANCEL_HELP)]
    Cancel(SandboxOrderArgs),
}

#[derive(Debug, Args)]
pub struct SandboxOrderArgs {
    /// The sandbox order's number (LR…) or ID
    #[arg(value_name = "ORDER", value_parser = parse_order)]
    pub order: String,
}

#[derive(Debug, Subcommand)]
pub enum AutorenewCommand {
    /// Switch on automatic renewal of a PBX's current Linkus plan
    #[command(after_help = AUTORENEW_ENABLE_HELP)]
    Enable(AutorenewArgs),
}

#[derive(Debug, Args)]
pub struct AutorenewArgs {
    /// The PBX serial number
    #[arg(long, value_name = "SN", value_parser = parse_sn)]
    pub sn: String,

    /// Switch it on without asking
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Show the request that would be sent, and send nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Create or upgrade the team journal's schema (safe to run again, and from two machines
    /// at once)
    #[command(after_help = TEAM_INIT_HELP)]
    Init,

    /// Show the server, the schema version, TLS, and the entries in flight, unknown or open
    #[command(after_help = TEAM_STATUS_HELP)]
    Status,

    /// Write the outcomes this machine's journal holds that the team journal missed
    #[command(after_help = TEAM_SYNC_HELP)]
    Sync,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port on 127.0.0.1 (0 picks a free one)
    #[arg(long, value_name = "PORT", default_value_t = 8469)]
    pub port: u16,

    /// Wait this long before answering each request, to imitate a distant portal
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,

    /// Put this many more PBXs with Linkus Cloud Service in the account (SNs F00000000001…)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub fleet: u32,

    /// Of the --fleet PBXs, make exactly this many end within 30 days (the rest later)
    #[arg(long, value_name = "N", requires = "fleet")]
    pub fleet_expiring: Option<u32>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for
    #[arg(value_name = "SHELL")]
    pub shell: CompletionShell,
}

/// The shells `linkus completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
    Nushell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_subcommand_and_group_ends_its_help_with_examples() {
        fn walk(command: &clap::Command, path: &str) {
            for sub in command.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                let after = sub
                    .get_after_help()
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                assert!(after.starts_with("Examples:"), "{path} has no examples");
                for line in after.lines() {
                    assert!(
                        line.chars().count() <= 92,
                        "{path}: a help line wider than 92 columns: {line}"
                    );
                }
                walk(sub, &path);
            }
        }
        walk(&Cli::command(), "linkus");
    }

    #[test]
    fn serial_numbers_are_trimmed_and_checked() {
        assert_eq!(parse_sn(" 369471667338 "), Ok("369471667338".to_owned()));
        assert!(parse_sn("").is_err());
        assert!(parse_sn("   ").is_err());
        assert!(parse_sn("3694-7166").is_err());
        assert!(parse_sn("36947166733é").is_err());
    }
}
