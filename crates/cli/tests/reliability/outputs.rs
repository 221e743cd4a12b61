//! Issue 10, outputs.

#[allow(unused_imports)]
use crate::support;
