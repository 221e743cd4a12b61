//! Issue 10, replay_network.

#[allow(unused_imports)]
use crate::support;
