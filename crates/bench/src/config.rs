//! What a benchmark run is asked to do: the load ([`Mode`], [`RampConfig`]) and everything
//! else ([`BenchConfig`]).

use crate::workload::{Clocking, WorkloadSpec};
use lpconvert_send::dialect::{Target, TargetError};
use lpconvert_send::retry::RetryPolicy;
use lpconvert_send::units::Rate;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// How the offered load is chosen.
#[derive(Debug, Clone)]
pub enum Mode {
    /// A fixed rate (lines/s and/or bytes/s) for the duration.
    Rate(Vec<Rate>),
    /// As fast as the connections go, for the duration.
    Unthrottled,
    /// Step the rate up until the server saturates.
    Ramp(RampConfig),
}

/// The ramp's steps and the bound that ends it.
#[derive(Debug, Clone, Copy)]
pub struct RampConfig {
    /// Rate of the first step, lines/s.
    pub start: f64,
    /// Each step's rate is the previous one times this (> 1).
    pub factor: f64,
    /// No step goes above this rate (lines/s).
    pub max_rate: f64,
    /// Length of a step, whole seconds.
    pub step: Duration,
    /// A step whose p99 request latency is above this fails.
    pub max_p99: Duration,
    /// A step whose acknowledged rate is below this share of its target fails (the server, or
    /// the client, does not keep up).
    pub min_ratio: f64,
}

impl RampConfig {
    /// The rate of step `n`.
    pub fn rate(&self, n: u32) -> f64 {
        (self.start * self.factor.powi(n.min(10_000) as i32)).min(self.max_rate)
    }
}

/// Everything a benchmark run needs.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Where to write.
    pub target: Target,
    /// The data.
    pub workload: WorkloadSpec,
    /// Seed of the generator.
    pub seed: u64,
    /// Timestamps of generated data, in the target's precision.
    pub clocking: Clocking,
    /// Most lines per request.
    pub batch_lines: usize,
    /// Most bytes per request (a batch stops growing past it).
    pub batch_bytes: usize,
    /// gzip request bodies.
    pub gzip: bool,
    /// Parallel connections.
    pub concurrency: usize,
    /// The load.
    pub mode: Mode,
    /// Excluded from the statistics (whole seconds).
    pub warmup: Duration,
    /// Measurement length (rate and unthrottled), or the longest a ramp may run, warm-up
    /// excluded (whole seconds).
    pub duration: Duration,
    /// Retry policy of the sender.
    pub retry: RetryPolicy,
    /// After the end, how long in-flight requests (and their retries) may take.
    pub drain: Duration,
    /// Set (by a signal handler) to stop: no new batch, batches in flight answered for up to
    /// `drain`, then the result of what was measured.
    pub cancel: Option<std::sync::Arc<AtomicBool>>,
}

/// A benchmark could not start.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Incomplete target.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// Bad settings.
    #[error("{0}")]
    Usage(String),
}

impl BenchConfig {
    /// The workload in words; `interval` is the clock's step as typed, `from` the file of a
    /// [`WorkloadSpec::Lines`] workload.
    pub fn describe_workload(&self, interval: &str, from: Option<&Path>) -> String {
        let seed = self.seed;
        match &self.workload {
            WorkloadSpec::Cpu { hosts } => format!(
                "cpu (TSBS-like: {hosts} hosts, 10 tags, 10 float fields, seed {seed}, interval {interval})"
            ),
            WorkloadSpec::Home { rooms } => format!(
                "home ({rooms} rooms, 3 fields, seed {seed}, interval {interval})"
            ),
            WorkloadSpec::Lines(set) => format!(
                "{} lines of {} looped, timestamps shifted by {} per pass",
                set.len(),
                from.map(|p| p.display().to_string()).unwrap_or_default(),
                set.pass_shift()
            ),
        }
    }

    /// The load in words.
    pub fn describe_mode(&self) -> String {
        let warm = self.warmup.as_secs();
        let secs = self.duration.as_secs();
        let conns = self.concurrency;
        match &self.mode {
            Mode::Rate(r) => {
                let rates: Vec<String> = r
                    .iter()
                    .map(|r| match r {
                        Rate::Lines(v) => format!("{v:.0} lines/s"),
                        Rate::Bytes(v) => format!("{:.1} MB/s", v / 1e6),
                    })
                    .collect();
                format!(
                    "fixed rate {} for {secs} s after {warm} s warm-up, {conns} connections",
                    rates.join(" and ")
                )
            }
            Mode::Unthrottled => {
                format!("unthrottled, {conns} connections, {secs} s after {warm} s warm-up")
            }
            Mode::Ramp(r) => format!(
                "ramp from {:.0} lines/s x{} every {} s until p99 > {} ms or errors (at most \
                 {secs} s), {conns} connections, {warm} s warm-up",
                r.start,
                r.factor,
                r.step.as_secs(),
                r.max_p99.as_millis(),
            ),
        }
    }
}
