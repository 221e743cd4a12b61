//! Issue 10, value_rules.

#[allow(unused_imports)]
use crate::support;
