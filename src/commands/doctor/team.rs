//! The team journal's checks: connection, TLS, schema and the clock difference. Read-only:
//! nothing is created or written.

use super::Checks;
use crate::context::Settings;
use crate::error::Kind;
use crate::team::settings::PasswordSource;
use crate::team::{Setting, TeamError, SCHEMA_VERSION};

/// A clock difference above this is named.
const CLOCK_LIMIT_MS: i64 = 5 * 60 * 1000;

pub async fn run(settings: &Settings, checks: &mut Checks) {
    if settings.global.sandbox {
        return;
    }
    let setting = match settings.team_setting() {
        Ok(setting) => setting,
        Err(error) => {
            checks.fail(
                "team journal",
                Kind::Usage,
                format!("{error:#}"),
                "Fix --team-journal, LINKUS_TEAM_JOURNAL or the profile's team_journal.",
            );
            return;
        }
    };
    let journal = match setting {
        Setting::Unset => return,
        Setting::Off(source) => {
            checks.warn(
                "team journal",
                format!("off for this run ({})", source.name()),
                "Orders of other machines cannot be seen while it is off.",
            );
            return;
        }
        Setting::On(journal) => journal,
    };
    let team = crate::team::TeamJournal::new(*journal, settings.global.timeout);
    let shown = team.shown();
    let info = match team.probe().await {
        Ok(info) => info,
        Err(error) => {
            let detail = match &error {
                TeamError::Schema(failure) => failure.message.clone(),
                other => other.to_string(),
            };
            checks.fail(
                "team journal",
                Kind::Network,
                format!("could not connect to {shown}: {detail}"),
                "Check the host, port, database, user and password (LINKUS_TEAM_JOURNAL, PGPASSWORD or ~/.pgpass) and that the server accepts this machine; until then orders are refused (exit 6).",
            );
            for name in ["team TLS", "team schema", "team clock"] {
                checks.skip(name, "the team journal could not be reached");
            }
            return;
        }
    };
    let password = match team.settings.password_source {
        PasswordSource::None => "no password",
        PasswordSource::Url => "password from the URL",
        PasswordSource::PgPassword => "password from PGPASSWORD",
        PasswordSource::PgPass => "password from ~/.pgpass",
    };
    checks.pass(
        "team journal",
        format!(
            "{shown} (from {}): PostgreSQL {} as {} ({password})",
            team.settings.source.name(),
            info.server_version,
            info.user
        ),
    );
    let mode = team.settings.sslmode.name();
    if info.tls {
        checks.pass("team TLS", format!("in use (sslmode={mode})"));
    } else if team.settings.is_loopback() {
        checks.warn(
            "team TLS",
            format!("not in use (sslmode={mode}); the server is on this machine"),
            "Fine on one machine; a shared database should use sslmode=verify-full.",
        );
    } else {
        checks.fail(
            "team TLS",
            Kind::Config,
            format!("not in use (sslmode={mode}): the password and entries cross the network in clear text"),
            "Turn on TLS on the server and add sslmode=verify-full (with sslrootcert=CA.pem if its certificate is from a private CA) to the URL.",
        );
    }
    match info.schema_version {
        0 => checks.fail(
            "team schema",
            Kind::Network,
            "no linkus schema in this database yet",
            "Run `linkus team init` (as a role that may create tables), or let the first order create it.",
        ),
        v if v > SCHEMA_VERSION => checks.fail(
            "team schema",
            Kind::Network,
            format!("version {v}, newer than this linkus knows ({SCHEMA_VERSION})"),
            "Upgrade linkus: orders are refused (exit 6) until then.",
        ),
        v if v < SCHEMA_VERSION => checks.warn(
            "team schema",
            format!("version {v}; this linkus brings {SCHEMA_VERSION}"),
            "`linkus team init` upgrades it (the first order does too, when the role may).",
        ),
        v => checks.pass("team schema", format!("version {v}")),
    }
    let diff = info.clock_difference_ms;
    let text = format!(
        "the database's clock is {:+.1} s from this machine's",
        diff as f64 / 1000.0
    );
    if diff.abs() > CLOCK_LIMIT_MS {
        checks.warn(
            "team clock",
            text,
            "The 24-hour rule and ages use the database's clock, so orders stay safe; fix this machine's (or the server's) time anyway.",
        );
    } else {
        checks.pass("team clock", text);
    }
}
