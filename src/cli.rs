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

const MAIN_EXAMPLES: &str = "\
Examples:
  linkus auth login
  linkus products --sn 369471667338
  linkus purchase --sn 369471667338
  linkus purchase --sn 369471667338 --plan \"Linkus Cloud Service\" \\
      --billing-contact billing@example.com --years 1 --yes
  linkus --sandbox purchase --sn 369471667338 --plan \"Linkus Cloud Service\" \\
      --billing-contact 3197218168379846218 --years 1 --yes

Exit codes: 0 ok, 1 internal error, 2 usage, 3 declined, 4 authentication, 5 refused by the
portal, 6 network or server failure (nothing bought), 7 order outcome unknown (check
`linkus orders list --sn SN` before retrying), 8 order created but not paid, 130 interrupted.";

/// Buy Linkus Cloud Service for Yeastar PBXs through the Partner Portal, safely.
#[derive(Debug, Parser)]
#[command(name = "linkus", bin_name = "linkus", version, after_help = MAIN_EXAMPLES)]
#[command(propagate_version = true, max_term_width = 100)]
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
    #[arg(long, global = true, value_name = "NAME", env = "LINKUS_PROFILE", default_value = "default", value_parser = validate_profile)]
    pub profile: String,

    /// Partner Portal API base URL [default: https://openapi.partner.yeastar.com]
    #[arg(long, global = true, value_name = "URL", env = "LINKUS_BASE_URL", value_parser = parse_base_url)]
    pub base_url: Option<url::Url>,

    /// Use the built-in sandbox portal: no account, no money
    #[arg(long, global = true, env = "LINKUS_SANDBOX", value_parser = FalseyValueParser::new())]
    pub sandbox: bool,

    /// Print machine-readable JSON on stdout [env: LINKUS_OUTPUT=json]
    #[arg(long, global = true)]
    pub json: bool,

    /// Never prompt (also when stdin or stderr is not a terminal, or CI is set)
    #[arg(long, global = true, env = "LINKUS_NO_INPUT", value_parser = FalseyValueParser::new())]
    pub no_input: bool,

    /// Log each HTTP exchange to stderr; -vv adds bodies. Secrets are always redacted
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print only the essential value: the order number, or IDs one a line
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Write every HTTP exchange to this folder for a bug report (secrets and personal data
    /// replaced)
    #[arg(long, global = true, value_name = "DIR", env = "LINKUS_CAPTURE")]
    pub capture: Option<PathBuf>,

    /// Time limit for one HTTP request, in seconds
    #[arg(long, global = true, value_name = "SECS", env = "LINKUS_TIMEOUT", default_value = "30", value_parser = parse_timeout)]
    pub timeout: Duration,
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0) {
        return Err("the timeout is more than 0 and at most 3600 seconds".to_owned());
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// An `http://` or `https://` URL: anything else cannot be the portal.
fn parse_base_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "https" | "http" if url.has_host() => Ok(url),
        "https" | "http" => Err("the URL has no host".to_owned()),
        other => Err(format!(
            "the portal is reached over https:// (or http://), not {other}://"
        )),
    }
}

/// A PO number is printed on invoices: no control characters, at most 100 characters.
pub fn parse_po_number(text: &str) -> Result<String, String> {
    if let Some(bad) = text.chars().find(|c| c.is_control()) {
        return Err(format!(
            "a PO number cannot hold control characters such as {bad:?}"
        ));
    }
    if text.trim().chars().count() > 100 {
        return Err("a PO number has at most 100 characters".to_owned());
    }
    Ok(text.trim().to_owned())
}

/// An order number or ID: letters and digits.
pub fn parse_order(text: &str) -> Result<String, String> {
    let order = text.trim();
    if order.is_empty() || !order.chars().all(|c| c.is_ascii_alphanumeric()) || order.len() > 64 {
        return Err(format!(
            "{order:?} is not an order number or order ID (letters and digits only)"
        ));
    }
    Ok(order.to_owned())
}

fn parse_max_total(text: &str) -> Result<crate::quote::MaxTotal, String> {
    crate::quote::parse_max_total(text)
}

/// A PBX serial number: trimmed; letters and digits only.
pub fn parse_sn(text: &str) -> Result<String, String> {
    let sn = text.trim();
    if sn.is_empty() {
        return Err("the serial number is empty".to_owned());
    }
    if let Some(bad) = sn.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(format!(
            "a serial number has only letters and digits, not {bad:?} (see the PBX's Resource Monitor > Information)"
        ));
    }
    if sn.len() > 64 {
        return Err("the serial number is longer than 64 characters".to_owned());
    }
    Ok(sn.to_owned())
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Store, check or remove the Partner Portal API credentials
    #[command(subcommand)]
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
    #[command(subcommand)]
    Orders(OrdersCommand),

    /// Send one authenticated request to any Partner Portal API path
    #[command(after_help = API_HELP)]
    Api(ApiArgs),

    /// Check, read-only, everything a purchase depends on
    #[command(after_help = DOCTOR_HELP)]
    Doctor(DoctorArgs),

    /// Run or reset the built-in sandbox portal
    #[command(subcommand)]
    Sandbox(SandboxCommand),

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
    #[arg(long, value_name = "AMOUNT", env = "LINKUS_MAX_TOTAL", value_parser = parse_max_total)]
    pub max_total: Option<crate::quote::MaxTotal>,

    /// Order again although this order (for the same SN and operation) succeeded in the last
    /// 24 hours
    #[arg(long, value_name = "ORDER", value_parser = parse_order, conflicts_with = "from")]
    pub again: Option<String>,

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
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=16), requires = "from")]
    pub jobs: u8,

    /// Also write each row's result to this CSV file
    #[arg(long, value_name = "FILE", requires = "from")]
    pub results: Option<PathBuf>,

    /// Leave out rows that cannot be used instead of refusing the whole file
    #[arg(long, requires = "from")]
    pub skip_invalid: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RenewArgs {
    /// The PBX serial number
    #[arg(long, value_name = "SN", value_parser = parse_sn)]
    pub sn: Option<String>,

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
    /// How many orders to show at most
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub limit: u64,

    /// Only orders for this PBX serial number
    #[arg(long, value_name = "SN", value_parser = parse_sn)]
    pub sn: Option<String>,
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
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the sandbox portal in the foreground until Ctrl-C
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),

    /// Forget the sandbox's orders and subscriptions
    #[command(after_help = RESET_HELP)]
    Reset,
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
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

const LOGIN_HELP: &str = "\
Examples:
  linkus auth login
  linkus auth login --client-id ac0f51b2 --secret-stdin < secret.txt
  pass show yeastar/api | linkus auth login --client-id ac0f51b2 --secret-stdin --profile acme

Automation notes:
  The secret is never a command-line argument. In CI, prefer LINKUS_CLIENT_ID and
  LINKUS_CLIENT_SECRET over a stored profile. Nothing is saved unless the portal accepts the
  credentials.";

const STATUS_HELP: &str = "\
Examples:
  linkus auth status
  linkus auth status --profile acme --json

Automation notes:
  Exits 4 when no credentials are found. Makes no network request.";

const LOGOUT_HELP: &str = "\
Examples:
  linkus auth logout
  linkus auth logout --profile acme";

const PRODUCTS_HELP: &str = "\
Examples:
  linkus products --sn 369471667338
  linkus products --sn 369471667338 --json
  linkus products --sn 369471667338 --quiet     # plan IDs, one a line

Automation notes:
  IDs are JSON strings in --json output, so that tools reading numbers as doubles keep them
  exact.";

const CONTACTS_HELP: &str = "\
Examples:
  linkus billing-contacts
  linkus billing-contacts --json
  linkus billing-contacts --quiet                 # contact IDs, one a line";

const RENEW_HELP: &str = "\
Examples:
  linkus renew --sn 369471667338 --billing-contact billing@example.com --years 1 --yes
  linkus renew --sn 369471667338 --dry-run
  linkus subscriptions --expiring-within 30 --json | linkus renew --from - --yes

Automation notes:
  Renews the SN's current plan (the order body is inferred from the portal's other renewal
  tutorials; --dry-run shows it). Refused (exit 5) for a PBX without Linkus. Nothing
  protects a renewal across machines that share no journal: a renewal ordered elsewhere is
  not seen.";

const SWITCH_HELP: &str = "\
Examples:
  linkus switch --sn 369471667338 --plan \"Linkus Cloud Service Pro\" \\
      --billing-contact billing@example.com --yes
  linkus switch --sn 369471667338 --plan 3048918719332507648 --dry-run

Automation notes:
  Sends the current subscription's billing cycles (a switch cannot change them); --years is
  needed only when the portal does not say them. Refused (exit 5) for a PBX without Linkus,
  for the plan it already has, and while a switch is under way.";

const PURCHASE_HELP: &str = "\
Examples:
  linkus purchase                                  # the wizard asks for everything
  linkus purchase --sn 369471667338 --dry-run
  linkus purchase --sn 369471667338 --plan \"Linkus Cloud Service Pro\" \\
      --billing-contact billing@example.com --years 2 --po-number PO-2026-0042 --yes

Automation notes:
  Without a terminal (or with --no-input or CI set) nothing is asked: every missing flag is a
  usage error (exit 2), and --yes is required to buy. The order is sent at most once. Exit 7
  means the order was sent but its outcome is unknown: run `linkus orders list --sn SN` (or
  `linkus orders reconcile`) before trying again. Exit 8 means the order exists but is not
  paid: finish it in the Partner Portal, Orders & Billing > Orders.";

const ORDERS_LIST_HELP: &str = "\
Examples:
  linkus orders list
  linkus orders list --sn 369471667338 --limit 5
  linkus orders list --json";

const ORDERS_SHOW_HELP: &str = "\
Examples:
  linkus orders show LR3206190457467703296
  linkus orders show LR3206190457467703296 --json";

const RECONCILE_HELP: &str = "\
Examples:
  linkus orders reconcile
  linkus --sandbox orders reconcile

Automation notes:
  Exits 0 when every entry is settled, 7 when some outcome is still unknown.";

const API_HELP: &str = "\
Examples:
  linkus api GET /order/openapi/order/v1/page -F pageNo=1 -F pageSize=5
  linkus api GET /pricing/openapi/purchase/v1/purchase_product_info -F productId=9 -f productNo=369471667338
  linkus api POST /user/openapi/user/v1/client/save_user --input user.json

Automation notes:
  The body is printed as received, numbers digit for digit. Only GET is retried; any other
  method is sent again only when the connection could not be opened.";

const SERVE_HELP: &str = "\
Examples:
  linkus sandbox serve
  linkus sandbox serve --port 0 --latency-ms 50
  LINKUS_BASE_URL=http://127.0.0.1:8469 LINKUS_CLIENT_ID=any LINKUS_CLIENT_SECRET=any \\
      linkus products --sn 369471667338

Automation notes:
  Prints its base URL on stdout, one line per request on stderr; accepts any client ID and
  secret; stops cleanly on Ctrl-C.";

const RESET_HELP: &str = "\
Examples:
  linkus sandbox reset";

const SUBSCRIPTIONS_HELP: &str = "\
Examples:
  linkus subscriptions
  linkus subscriptions --expiring-within 30
  linkus subscriptions --expiring-within 30 --json | linkus renew --from - --yes
  linkus subscriptions --quiet                    # SNs, one a line

Automation notes:
  Reads every page of the account's product list, a few pages at a time; says so if it
  could not read them all.";

const DOCTOR_HELP: &str = "\
Examples:
  linkus doctor
  linkus doctor --sn 369471667338
  linkus doctor --json
  linkus doctor --sn 369471667338 --capture linkus-capture   # files for a bug report

Automation notes:
  Read-only: it never sends an order (it asks for a new access token, which replaces the
  cached one). Exits 0 when every check passes (warnings included), else with the exit code
  of the first failure's kind: 6 for an answer of an unexpected shape. Piped, each line starts
  with ok, warn, FAIL or skip.";

const MAN_HELP: &str = "\
Examples:
  linkus man --dir ~/.local/share/man/man1
  linkus man | man -l -";

const COMPLETIONS_HELP: &str = "\
Examples:
  linkus completions bash > ~/.local/share/bash-completion/completions/linkus
  linkus completions zsh > \"${fpath[1]}/_linkus\"
  linkus completions fish > ~/.config/fish/completions/linkus.fish
  linkus completions powershell >> $PROFILE";

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_subcommand_ends_its_help_with_examples() {
        fn walk(command: &clap::Command, path: &str) {
            for sub in command.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                if sub.has_subcommands() {
                    walk(sub, &path);
                } else {
                    let after = sub
                        .get_after_help()
                        .map(|h| h.to_string())
                        .unwrap_or_default();
                    assert!(after.starts_with("Examples:"), "{path} has no examples");
                }
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
