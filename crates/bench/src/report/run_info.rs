//! What a report says about a run besides its result.

use crate::config::BenchConfig;
use crate::probe::ServerInfo;

/// Facts about the run that the result does not hold.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// Version of lpconvert.
    pub lpconvert_version: String,
    /// The command line, shell-quoted.
    pub command_line: String,
    /// Start time, Unix seconds.
    pub started_unix_s: f64,
    /// The workload in words.
    pub workload: String,
    /// The mode in words.
    pub mode: String,
    /// What the server said about itself.
    pub server: ServerInfo,
    /// The write URL (no credentials: they go in headers).
    pub write_url: String,
    /// The configuration.
    pub config: BenchConfig,
    /// Nothing was sent.
    pub dry_run: bool,
    /// The signal that stopped the run, or 0.
    pub signal: i32,
    /// The status the process exits with (the cli's, from the outcome and the signal).
    pub exit_code: u8,
}
