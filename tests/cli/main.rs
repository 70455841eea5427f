//! Integration tests: the real `linkus` binary against a wiremock portal, a scripted raw
//! server, or the built-in sandbox. One test binary, a module per area.

mod common;

mod auth;
mod batch;
mod capture;
mod doctor;
mod faults;
mod foundation;
mod hygiene;
mod never_twice;
mod order_status;
mod orders;
mod prices;
#[cfg(unix)]
mod prompts;
mod purchase;
mod renew_switch;
mod sandbox;
mod shapes;
mod snapshots;
mod subscriptions;
#[cfg(unix)]
mod team;
mod tls;
#[cfg(unix)]
mod wizard;
