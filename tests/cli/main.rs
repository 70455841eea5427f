//! Integration tests: the real `linkus` binary against a wiremock portal, a scripted raw
//! server, or the built-in sandbox. One test binary, a module per area.

mod common;

mod auth;
mod autorenew;
mod batch;
mod capture;
mod doctor;
mod examples;
mod faults;
mod foundation;
mod help_pages;
mod hygiene;
mod jq;
mod never_twice;
mod order_status;
mod orders;
mod prices;
#[cfg(unix)]
mod prompts;
mod purchase;
mod readme;
mod renew_switch;
mod sandbox;
mod sandbox_steps;
mod shapes;
mod snapshots;
mod subscriptions;
#[cfg(unix)]
mod team;
mod tls;
mod whole_runs;
#[cfg(unix)]
mod wizard;
