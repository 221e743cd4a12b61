//! Issue 10, replay_control.

#[allow(unused_imports)]
use crate::support;
