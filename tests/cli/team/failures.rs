//! The database away, or lost: fail closed before the order; the order's outcome decides
//! after it.

use super::*;
