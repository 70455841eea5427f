//! The sandbox portal: a fake Yeastar Partner Portal for rehearsing Linkus Cloud Service
//! orders without credentials or money. It imitates a remote portal, so it shares no code with
//! any client.

mod files;
mod state;
mod time;

pub use state::{Operation, SandboxOrder, State, Store, Subscription};
