//! The report's data, as `report.json` holds it: built from a run's [`RunInfo`] and
//! [`BenchResult`], serialized by [`super::json`].

use super::run_info::RunInfo;
use crate::config::Mode;
use crate::ramp::{Saturation, StepResult};
use crate::run::BenchResult;
use crate::timeline::{Counts, Period, Sample};
use lpconvert_send::stats::{Ending, Percentiles};
use serde::Serialize;
use std::collections::BTreeMap;

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// Version of lpconvert that ran.
    pub lpconvert_version: &'a str,
    /// The command line, shell-quoted.
    pub command_line: &'a str,
    /// Start time, Unix seconds.
    pub started_unix_s: f64,
    /// Nothing was sent.
    pub dry_run: bool,
    /// The server.
    pub server: Server<'a>,
    /// The data sent.
    pub workload: Workload<'a>,
    /// The load.
    pub mode: ModeReport,
    /// The load in words.
    pub mode_description: &'a str,
    /// Sending settings.
    pub settings: Settings,
    /// `completed`, `fatal` or `gave_up`.
    pub ending: &'static str,
    /// Why the run did not complete.
    pub message: Option<&'a str>,
    /// The status the process exits with.
    pub exit_code: u8,
    /// Wall time, seconds.
    pub elapsed_s: f64,
    /// Measured period, whole run, sender counts.
    pub summary: SummaryReport,
    /// The saturation point of a ramp.
    pub saturation: Option<&'a Saturation>,
    /// Ramp steps evaluated, in order.
    pub steps: &'a [StepResult],
    /// Every second of the run.
    pub samples: Vec<SampleReport>,
}

/// The server written to.
#[derive(Debug, Serialize)]
pub struct Server<'a> {
    /// `--url`, credentials redacted.
    pub url: String,
    /// The write URL.
    pub write_url: &'a str,
    /// Product, as the server said.
    pub product: Option<&'a str>,
    /// Version, as the server said.
    pub version: Option<&'a str>,
    /// Where the version was read.
    pub version_source: Option<&'a str>,
}

/// The workload.
#[derive(Debug, Serialize)]
pub struct Workload<'a> {
    /// The workload in words.
    pub description: &'a str,
    /// Seed of the generator.
    pub seed: u64,
    /// First timestamp.
    pub start: i64,
    /// Step between rounds.
    pub interval: i64,
    /// Nanoseconds per timestamp unit.
    pub precision_ns: i64,
}

/// The load, `kind` naming it.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ModeReport {
    /// A fixed rate.
    Rate,
    /// As fast as the connections go.
    Unthrottled,
    /// Steps up to saturation.
    Ramp {
        /// Rate of the first step, lines/s.
        start_lines_per_s: f64,
        /// Factor between steps.
        factor: f64,
        /// Highest rate, lines/s.
        max_lines_per_s: f64,
        /// Step length, seconds.
        step_s: u64,
        /// The p99 bound, ms.
        max_p99_ms: f64,
        /// Least share of the target acknowledged.
        min_ratio: f64,
    },
}

/// Sending settings.
#[derive(Debug, Serialize)]
pub struct Settings {
    /// Parallel connections.
    pub concurrency: usize,
    /// Most lines per request.
    pub batch_lines: usize,
    /// Most bytes per request.
    pub batch_bytes: usize,
    /// gzip request bodies.
    pub gzip: bool,
    /// Warm-up, seconds.
    pub warmup_s: u64,
    /// Measurement, seconds.
    pub duration_s: u64,
}

/// The measured period, the whole run and the sender's own counts.
#[derive(Debug, Serialize)]
pub struct SummaryReport {
    /// Warm-up and drain excluded.
    pub measured: PeriodReport,
    /// The whole run.
    pub total: PeriodReport,
    /// Requests, retries and splits as the sender counted them.
    pub sender: SenderReport,
}

/// The sender's counts.
#[derive(Debug, Serialize)]
pub struct SenderReport {
    /// Requests sent.
    pub requests: u64,
    /// Retries.
    pub retries: u64,
    /// 413 splits.
    pub splits: u64,
}

/// A rate, sent and acknowledged.
#[derive(Debug, Serialize)]
pub struct SentAcked {
    /// Sent per second.
    pub sent: f64,
    /// Acknowledged per second.
    pub acked: f64,
}

/// Latency percentiles, ms.
#[derive(Debug, Serialize)]
pub struct LatencyReport {
    /// Requests measured.
    pub requests: u64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p99_9: f64,
    /// Maximum.
    pub max: f64,
}

impl From<&Percentiles> for LatencyReport {
    fn from(l: &Percentiles) -> Self {
        LatencyReport {
            requests: l.count,
            p50: l.p50_ms,
            p90: l.p90_ms,
            p99: l.p99_ms,
            p99_9: l.p999_ms,
            max: l.max_ms,
        }
    }
}

/// What a period or a second moved, and how fast: the keys both reports share.
#[derive(Debug, Serialize)]
pub struct Traffic {
    /// Lines, fields, bytes.
    pub counts: Counts,
    /// Lines per second.
    pub lines_per_s: SentAcked,
    /// Fields per second.
    pub fields_per_s: SentAcked,
    /// Megabytes (10^6) per second.
    pub mb_per_s: SentAcked,
    /// Requests completed.
    pub requests: u64,
    /// Bytes on the wire.
    pub wire_bytes: u64,
    /// Answers per HTTP status.
    pub status_counts: BTreeMap<u16, u64>,
    /// Requests without an answer.
    pub network_errors: u64,
    /// Non-2xx answers plus network errors.
    pub errors: u64,
    /// Latency.
    pub latency_ms: LatencyReport,
}

/// The requests of a period or a second, as the timeline counted them.
struct Wire<'a> {
    requests: u64,
    bytes: u64,
    statuses: &'a BTreeMap<u16, u64>,
    network_errors: u64,
    errors: u64,
}

impl Traffic {
    /// `per_s` turns a count into a rate over the time covered.
    fn new(c: &Counts, per_s: impl Fn(u64) -> f64, wire: Wire<'_>, latency: &Percentiles) -> Self {
        let rate = |sent: u64, acked: u64, scale: f64| SentAcked {
            sent: per_s(sent) / scale,
            acked: per_s(acked) / scale,
        };
        Traffic {
            counts: *c,
            lines_per_s: rate(c.sent_lines, c.acked_lines, 1.0),
            fields_per_s: rate(c.sent_fields, c.acked_fields, 1.0),
            mb_per_s: rate(c.sent_bytes, c.acked_bytes, 1e6),
            requests: wire.requests,
            wire_bytes: wire.bytes,
            status_counts: wire.statuses.clone(),
            network_errors: wire.network_errors,
            errors: wire.errors,
            latency_ms: latency.into(),
        }
    }
}

/// A period (the measurement or the whole run).
#[derive(Debug, Serialize)]
pub struct PeriodReport {
    /// Seconds covered.
    pub seconds: f64,
    /// What it moved.
    #[serde(flatten)]
    pub traffic: Traffic,
}

impl From<&Period> for PeriodReport {
    fn from(p: &Period) -> Self {
        let wire = Wire {
            requests: p.requests.requests,
            bytes: p.requests.bytes_sent,
            statuses: &p.requests.statuses,
            network_errors: p.requests.network_errors,
            errors: p.errors(),
        };
        PeriodReport {
            seconds: p.seconds,
            traffic: Traffic::new(&p.counts, |n| p.per_s(n), wire, &p.latency()),
        }
    }
}

/// One second.
#[derive(Debug, Serialize)]
pub struct SampleReport {
    /// Seconds since the start.
    pub t: u64,
    /// Length covered.
    pub duration_s: f64,
    /// `warmup`, `measure`, `step N`, `drain`.
    pub phase: String,
    /// The rate asked for, if limited.
    pub target_lines_per_s: Option<f64>,
    /// What it moved.
    #[serde(flatten)]
    pub traffic: Traffic,
}

impl From<&Sample> for SampleReport {
    fn from(s: &Sample) -> Self {
        let d = s.duration_s.max(1e-9);
        let wire = Wire {
            requests: s.requests,
            bytes: s.wire_bytes,
            statuses: &s.statuses,
            network_errors: s.network_errors,
            errors: s.errors(),
        };
        SampleReport {
            t: s.second,
            duration_s: s.duration_s,
            phase: s.phase.label(),
            target_lines_per_s: s.target_lines_per_s,
            traffic: Traffic::new(&s.counts, |n| n as f64 / d, wire, &s.latency),
        }
    }
}

/// `completed`, `fatal` or `gave_up`, and the message of the last two.
fn ending_name(e: &Ending) -> (&'static str, Option<&str>) {
    match e {
        Ending::Completed => ("completed", None),
        Ending::Fatal { message, .. } => ("fatal", Some(message)),
        Ending::GaveUp { message } => ("gave_up", Some(message)),
    }
}

impl<'a> Report<'a> {
    /// The report of the run `r` described by `info`.
    pub fn new(info: &'a RunInfo, r: &'a BenchResult) -> Report<'a> {
        let c = &info.config;
        let (ending, message) = ending_name(&r.ending);
        let mode = match &c.mode {
            Mode::Rate(_) => ModeReport::Rate,
            Mode::Unthrottled => ModeReport::Unthrottled,
            Mode::Ramp(rc) => ModeReport::Ramp {
                start_lines_per_s: rc.start,
                factor: rc.factor,
                max_lines_per_s: rc.max_rate,
                step_s: rc.step.as_secs(),
                max_p99_ms: rc.max_p99.as_secs_f64() * 1000.0,
                min_ratio: rc.min_ratio,
            },
        };
        Report {
            lpconvert_version: &info.lpconvert_version,
            command_line: &info.command_line,
            started_unix_s: info.started_unix_s,
            dry_run: info.dry_run,
            server: Server {
                url: lpconvert_send::dialect::redact_url(&c.target.url),
                write_url: &info.write_url,
                product: info.server.product.as_deref(),
                version: info.server.version.as_deref(),
                version_source: info.server.source.as_deref(),
            },
            workload: Workload {
                description: &info.workload,
                seed: c.seed,
                start: c.clocking.start,
                interval: c.clocking.interval,
                precision_ns: c.target.precision.nanos(),
            },
            mode,
            mode_description: &info.mode,
            settings: Settings {
                concurrency: c.concurrency,
                batch_lines: c.batch_lines,
                batch_bytes: c.batch_bytes,
                gzip: c.gzip,
                warmup_s: c.warmup.as_secs(),
                duration_s: c.duration.as_secs(),
            },
            ending,
            message,
            exit_code: info.exit_code,
            elapsed_s: r.elapsed.as_secs_f64(),
            summary: SummaryReport {
                measured: (&r.measured).into(),
                total: (&r.total).into(),
                sender: SenderReport {
                    requests: r.sender.requests,
                    retries: r.sender.retries,
                    splits: r.sender.splits,
                },
            },
            saturation: r.saturation.as_ref(),
            steps: &r.steps,
            samples: r.samples.iter().map(SampleReport::from).collect(),
        }
    }
}
