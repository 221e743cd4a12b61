//! Issue 10, input_limits.

#[allow(unused_imports)]
use crate::support;
