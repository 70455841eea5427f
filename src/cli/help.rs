//! The "Examples:" and "Automation notes:" that end each command's help.

pub(super) const MAIN_EXAMPLES: &str = "\
Examples:
  linkus auth login
  linkus products --sn 369471667338
  linkus purchase --sn 369471667338                 # asks for the rest [untested: a terminal]
  linkus purchase --sn 369471667338 --plan \"Linkus Cloud Service\" \\
      --billing-contact billing@example.com --years 1 --yes
  linkus --sandbox purchase --sn 369471667338 --plan \"Linkus Cloud Service\" \\
      --billing-contact 3197218168379846218 --years 1 --yes
  linkus renew --expiring-within 30 --billing-contact billing@example.com --yes

Exit codes: 0 ok, 1 internal error, 2 usage, 3 declined, 4 authentication, 5 refused by the
portal, 6 network or server failure (nothing bought), 7 order outcome unknown (run
`linkus orders reconcile` before retrying), 8 order created but not paid, 9 blocked by an
earlier order or another run (nothing sent), 130 interrupted (143 SIGTERM, 129 SIGHUP).";

pub(super) const LOGIN_HELP: &str = "\
Examples:
  linkus auth login
  linkus auth login --client-id ac0f51b2 --secret-stdin < secret.txt
  pass show yeastar/api | linkus auth login --client-id ac0f51b2 --secret-stdin \\
      --profile acme

Automation notes:
  The secret is never a command-line argument. In CI, prefer LINKUS_CLIENT_ID and
  LINKUS_CLIENT_SECRET over a stored profile. Nothing is saved unless the portal accepts
  the credentials.";

pub(super) const STATUS_HELP: &str = "\
Examples:
  linkus auth status
  linkus auth status --profile acme --json

Automation notes:
  Exits 4 when no credentials are found. Makes no network request.";

pub(super) const LOGOUT_HELP: &str = "\
Examples:
  linkus auth logout
  linkus auth logout --profile acme";

pub(super) const PRODUCTS_HELP: &str = "\
Examples:
  linkus products --sn 369471667338
  linkus products --sn 369471667338 --json
  linkus products --sn 369471667338 --quiet     # plan IDs, one a line

Automation notes:
  IDs are JSON strings in --json output, so that tools reading numbers as doubles keep
  them exact.";

pub(super) const CONTACTS_HELP: &str = "\
Examples:
  linkus billing-contacts
  linkus billing-contacts --json
  linkus billing-contacts --quiet                 # contact IDs, one a line";

pub(super) const RENEW_HELP: &str = "\
Examples:
  linkus renew --sn 369471667338 --billing-contact billing@example.com --years 1 --yes
  linkus renew --sn 369471667338 --billing-contact billing@example.com --dry-run
  linkus renew --expiring-within 30 --billing-contact billing@example.com \\
      --max-total 5000USD --results renewed.csv --yes
  linkus subscriptions --expiring-within 30 --json |
      linkus renew --from - --billing-contact billing@example.com --yes

Automation notes:
  --expiring-within DAYS lists the account's subscriptions and renews each as a batch row:
  nothing expiring is \"nothing to renew\", exit 0; subscriptions that renew automatically
  are reported, not renewed (--include-auto-renew), and those that ended more than 30 days
  ago are left out (--include-expired).
  Renews the SN's current plan (the order body is inferred from the portal's other renewal
  tutorials; --dry-run shows it). Refused (exit 5) for a PBX without Linkus. Nothing
  protects a renewal across machines that share no journal: a renewal ordered elsewhere is
  not seen.";

pub(super) const SWITCH_HELP: &str = "\
Examples:
  linkus switch --sn 369471667338 --plan \"Linkus Cloud Service Pro\" \\
      --billing-contact billing@example.com --yes
  linkus switch --sn 369471667338 --plan 3048918719332507648 \\
      --billing-contact billing@example.com --dry-run

Automation notes:
  Sends the current subscription's billing cycles (a switch cannot change them); --years
  is needed only when the portal does not say them. Refused (exit 5) for a PBX without
  Linkus, for the plan it already has, and while a switch is under way.";

pub(super) const PURCHASE_HELP: &str = "\
Examples:
  linkus purchase                 # the wizard asks for everything [untested: a terminal]
  linkus purchase --sn 369471667338 --plan \"Linkus Cloud Service\" \\
      --billing-contact billing@example.com --years 1 --dry-run
  linkus purchase --sn 369471667338 --plan \"Linkus Cloud Service Pro\" \\
      --billing-contact billing@example.com --years 2 --po-number PO-2026-0042 --yes

Automation notes:
  Without a terminal (or with --no-input or CI set) nothing is asked: every missing flag
  is a usage error (exit 2), and --yes is required to buy. The order is sent at most once.
  Exit 7 means the order was sent but its outcome is unknown: run
  `linkus orders reconcile` before trying again. Exit 8 means the order exists but is not
  paid: finish it in the Partner Portal, Orders & Billing > Orders. Exit 9 means nothing
  was sent because an earlier order for the SN, or another run, is in the way: the message
  names the command that unblocks it. --max-total caps the list-price total (exit 3).";

pub(super) const ORDERS_LIST_HELP: &str = "\
Examples:
  linkus orders list
  linkus orders list --sn 369471667338 --limit 5
  linkus orders list --status open --since 7d --limit all
  linkus orders list --po PO-2026-0042 --since 2026-11-01 --json";

pub(super) const ORDERS_SHOW_HELP: &str = "\
Examples:
  linkus orders show LR3206190457467703296
  linkus orders show LR3206190457467703296 --json";

pub(super) const RECONCILE_HELP: &str = "\
Examples:
  linkus orders reconcile
  linkus --sandbox orders reconcile

Automation notes:
  Exits 0 when every entry is settled, 7 while some outcome is still unknown, 8 while
  entries are only still open (not paid). Damaged journal lines are listed but do not change
  the exit code. --not-placed asks first, or needs --yes.";

pub(super) const API_HELP: &str = "\
Examples:
  linkus api GET /order/openapi/order/v1/page -F pageNo=1 -F pageSize=5
  linkus api GET /pricing/openapi/purchase/v1/purchase_product_info \\
      -F productId=9 -f productNo=369471667338
  linkus api POST /user/openapi/user/v1/client/save_user --input user.json

Automation notes:
  The body is printed as received, numbers digit for digit, secrets scrubbed. Only GET is
  retried; any other method is sent again only when the connection could not be opened. A
  POST to the order path (/order/openapi/order/v1/save) takes the same lock and journal as
  `linkus purchase`.";

pub(super) const AUTH_HELP: &str = "\
Examples:
  linkus auth login
  linkus auth status
  linkus auth logout --profile acme";

pub(super) const ORDERS_HELP: &str = "\
Examples:
  linkus orders list --sn 369471667338
  linkus orders show LR3206190457467703296 --wait
  linkus orders reconcile";

pub(super) const SANDBOX_HELP: &str = "\
Examples:
  linkus sandbox serve --port 8469 --fleet 1000
  linkus sandbox reset
  linkus sandbox pay LR3206190457467703296";

pub(super) const PAY_HELP: &str = "\
Examples:
  linkus --sandbox purchase --sn 369471660202 --plan \"Linkus Cloud Service\" \\
      --billing-contact 3197218168379846218 --years 1 --yes      # exit 8: pending
  linkus sandbox pay LR3206190457467703296
  linkus --sandbox orders show LR3206190457467703296 --wait       # exit 0

Automation notes:
  Only a pending order of the sandbox in this data folder; the real portal is never asked.
  Paid, the order succeeds and its subscription starts, as on the real portal.";

pub(super) const CANCEL_HELP: &str = "\
Examples:
  linkus sandbox cancel LR3206190457467703296
  linkus --sandbox orders reconcile

Automation notes:
  Only a pending order of the sandbox in this data folder; the real portal is never asked.
  Cancelled, the order ends (`orders show --wait` exits 5) and nothing changes.";

pub(super) const AUTORENEW_HELP: &str = "\
Examples:
  linkus autorenew enable --sn 369471667338 --yes
  linkus autorenew enable --sn 369471667338 --dry-run";

pub(super) const AUTORENEW_ENABLE_HELP: &str = "\
Examples:
  linkus autorenew enable --sn 369471667338         # asks first [untested: a terminal]
  linkus autorenew enable --sn 369471667338 --yes
  linkus autorenew enable --sn 369471667338 --dry-run --json

Automation notes:
  Needs --yes when prompts are off. Refused (exit 5, nothing sent) for a PBX without Linkus.
  The portal offers no API to switch it off: that is done in the Partner Portal, on the
  PBX's Plan Details page (Cancel Auto Renew).";

pub(super) const SERVE_HELP: &str = "\
Examples:
  linkus sandbox serve
  linkus sandbox serve --port 0 --latency-ms 50
  LINKUS_BASE_URL=http://127.0.0.1:8469 LINKUS_CLIENT_ID=any LINKUS_CLIENT_SECRET=any \\
      linkus products --sn 369471667338

Automation notes:
  Prints its base URL on stdout, one line per request on stderr; accepts any client ID and
  secret; stops cleanly on Ctrl-C.";

pub(super) const RESET_HELP: &str = "\
Examples:
  linkus sandbox reset

Automation notes:
  Also forgets the sandbox's entries in the order journal and in the lock folder's SN
  records, never those of a real portal, so that the same sandbox orders can be placed
  again.";

pub(super) const SUBSCRIPTIONS_HELP: &str = "\
Examples:
  linkus subscriptions
  linkus subscriptions --expiring-within 30
  linkus subscriptions --expiring-within 30 --json |
      linkus renew --from - --billing-contact billing@example.com --yes
  linkus subscriptions --quiet                    # SNs, one a line

Automation notes:
  Reads every page of the account's product list, six pages (600 PBXs) at a time; --sn reads
  one PBX with one request. At most 1,000 pages (100,000 PBXs) are read: a longer list is
  printed with a warning and exits 6, never cut silently. A page that cannot be read fails
  the command (no shorter list). --expiring-within DAYS keeps subscriptions that end within
  DAYS days or have ended.";

pub(super) const DOCTOR_HELP: &str = "\
Examples:
  linkus doctor
  linkus doctor --sn 369471667338
  linkus doctor --json
  linkus doctor --sn 369471667338 --capture linkus-capture   # files for a bug report

Automation notes:
  Read-only: it never sends an order (it asks for a new access token, which replaces the
  cached one). Exits 0 when every check passes (warnings included), else with the exit code
  of the first failure's kind: 6 for an answer of an unexpected shape. Piped, each line
  starts with ok, warn, FAIL or skip.";

pub(super) const MAN_HELP: &str = "\
Examples:
  linkus man --dir ~/.local/share/man/man1
  linkus man | man -l -";

pub(super) const COMPLETIONS_HELP: &str = "\
Examples:
  linkus completions bash > ~/.local/share/bash-completion/completions/linkus
  linkus completions zsh > \"${fpath[1]}/_linkus\"
  linkus completions fish > ~/.config/fish/completions/linkus.fish
  linkus completions powershell >> $PROFILE
  linkus completions nushell | save -f ~/.config/nushell/linkus.nu   # then `use` it";

pub(super) const TEAM_HELP: &str = "\
Examples:
  export LINKUS_TEAM_JOURNAL='postgresql://linkus@db.example.com/linkus?sslmode=verify-full'
  linkus team init
  linkus team status
  linkus team sync

Automation notes:
  The URL comes from --team-journal (never with a password), LINKUS_TEAM_JOURNAL, or
  team_journal in the profile; the password from that URL, PGPASSWORD or ~/.pgpass.";

pub(super) const TEAM_INIT_HELP: &str = "\
Examples:
  linkus team init

Automation notes:
  Needs a role that may create tables and functions in the database; orders then need only
  SELECT, INSERT and UPDATE on linkus_entries and EXECUTE on the linkus_ functions.";

pub(super) const TEAM_STATUS_HELP: &str = "\
Examples:
  linkus team status
  linkus team status --json | jq '.entries[] | select(.state == \"unknown\")'";

pub(super) const TEAM_SYNC_HELP: &str = "\
Examples:
  linkus team sync

Automation notes:
  Run it after a run warned that the team journal missed an outcome: until then other
  machines stay blocked on that SN. Writing is idempotent and never overwrites a settled
  outcome.";
