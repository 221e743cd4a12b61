//! Issue 10 ("nothing lost, nothing overwritten"): one module per area, each test named for
//! what it pins. Every test here failed on the code before its fix.

mod support;

#[path = "reliability/outputs.rs"]
mod outputs;

#[path = "reliability/replay_network.rs"]
mod replay_network;

#[path = "reliability/replay_control.rs"]
mod replay_control;

#[path = "reliability/input_limits.rs"]
mod input_limits;

#[path = "reliability/value_rules.rs"]
mod value_rules;
