//! Integration tests: the real `linkus` binary against a wiremock portal, a scripted raw
//! server, or the built-in sandbox. One test binary, a module per area.

mod common;

mod auth;
mod batch;
mod faults;
mod foundation;
mod orders;
mod purchase;
mod renew_switch;
mod sandbox;
#[cfg(unix)]
mod wizard;
