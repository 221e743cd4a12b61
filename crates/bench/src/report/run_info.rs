//! What a report says about a run besides its result.

use crate::config::BenchConfig;
use crate::probe::ServerInfo;
use crate::run::BenchResult;

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
}

impl RunInfo {
    /// The status the process exits with: 128 + the signal after one, else the result's.
    pub fn exit_code(&self, r: &BenchResult) -> u8 {
        if self.signal != 0 {
            u8::try_from(128 + self.signal).unwrap_or(1)
        } else {
            r.exit_code()
        }
    }
}
