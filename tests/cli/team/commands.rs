//! `team init`, `team status`, `team sync`, and secrets.

use super::*;
