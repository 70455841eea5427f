//! The team journal (issue 17, CLI.md section 3 "Team journal"): the journal's rules across
//! machines that share one PostgreSQL database. A real server every time (common/pg.rs),
//! never a mock. Two "machines" are two homes with their own config, data and lock folders
//! and their own host names, sharing only the database and a wiremock portal that does not
//! deduplicate orders and is slow to list them.

mod commands;
mod concurrency;
pub mod failures;
mod schema;

use std::time::Duration;

use assert_cmd::Command;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub use crate::common::pg;
pub use crate::common::*;
pub use crate::never_twice::{finish, spawn, ORDER_NO};

/// One machine: its own home, data and lock folders, and host name.
pub struct Machine {
    pub env: TestEnv,
    pub host: String,
}

impl Machine {
    pub fn new(host: &str) -> Machine {
        Machine {
            env: TestEnv::new(),
            host: host.to_owned(),
        }
    }

    /// `linkus` on this machine, with the team journal at `database`.
    pub fn cmd(&self, portal: &MockServer, database: &str) -> Command {
        self.cmd_at(&portal.uri(), database)
    }

    /// Runs `linkus ARGS` on this machine, with the team journal at `database`.
    pub async fn run(&self, portal: &MockServer, database: &str, args: &[&str]) -> Run {
        let mut cmd = self.cmd(portal, database);
        cmd.args(args);
        run_async(cmd).await
    }

    /// Runs the usual purchase (`purchase_args`), with `extra` arguments.
    pub async fn purchase(&self, portal: &MockServer, database: &str, extra: &[&str]) -> Run {
        self.run(portal, database, &[&purchase_args()[..], extra].concat())
            .await
    }

    /// The same for a portal at `url`.
    pub fn cmd_at(&self, url: &str, database: &str) -> Command {
        let mut cmd = self.env.portal_cmd(url);
        cmd.env("LINKUS_TEAM_JOURNAL", database)
            .env("LINKUS_HOST_NAME", &self.host)
            .env_remove("PGPASSWORD")
            .env("PGPASSFILE", self.env.dir.path().join("no-pgpass"));
        cmd
    }
}

/// A portal that does not deduplicate orders, lists orders slowly, and answers an order
/// after `order_latency`.
pub async fn team_portal(order_latency: Duration) -> MockServer {
    let server = MockServer::start().await;
    let token = ResponseTemplate::new(200)
        .set_body_json(envelope(token_result(ACCESS_1, REFRESH_1, "1800")));
    let routes = [
        ("POST", TOKEN_PATH, token, Duration::ZERO),
        (
            "GET",
            PLANS_PATH,
            json_response(plans_body()),
            Duration::ZERO,
        ),
        (
            "GET",
            CONTACTS_PATH,
            json_response(contacts_body()),
            Duration::ZERO,
        ),
        (
            "GET",
            PRICE_PATH,
            json_response(prices_body()),
            Duration::ZERO,
        ),
        ("GET", DETAILS_PATH, not_subscribed(), Duration::ZERO),
        ("GET", INSTANCES_PATH, empty_page(), Duration::ZERO),
        ("GET", ORDERS_PATH, empty_page(), Duration::from_millis(300)),
        ("POST", ORDER_PATH, order_created("succeed"), order_latency),
    ];
    for (verb, route, response, delay) in routes {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(response.set_delay(delay))
            .mount(&server)
            .await;
    }
    server
}

/// How many orders for `sn` reached the portal.
pub async fn orders_for(server: &MockServer, sn: &str) -> usize {
    received(server, "POST", ORDER_PATH)
        .await
        .iter()
        .filter(|request| body_text(request).contains(sn))
        .count()
}

/// The team journal's rows for an SN: id, host, outcome, order number.
pub fn team_rows(database: &str, sn: &str) -> Vec<Vec<Option<String>>> {
    pg::rows(
        database,
        &format!("SELECT id, host, outcome, order_no FROM linkus_entries WHERE sn = '{sn}' ORDER BY created_at"),
    )
}
