//! Counting what a replay did: live counters for the progress display, per-worker request
//! statistics (an HDR latency histogram, status counts), and the final [`Summary`] with its
//! JSON report.

use crate::sender::Failure;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counters updated while the replay runs; read by a progress display.
#[derive(Debug, Default)]
pub struct LiveCounters {
    /// Lines handed to the senders.
    pub lines_read: AtomicU64,
    /// Input bytes consumed (including dropped comments).
    pub bytes_read: AtomicU64,
    /// Lines the server stored.
    pub lines_acked: AtomicU64,
    /// Lines the server refused.
    pub lines_refused: AtomicU64,
    /// Retries so far.
    pub retries: AtomicU64,
    /// Requests so far.
    pub requests: AtomicU64,
}

impl LiveCounters {
    /// Adds `n` to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// The summary so far, for a run that cannot end normally: the counters, `elapsed`, and
    /// [`Ending::Completed`] for the caller to replace with how it ended.
    pub fn summary(&self, elapsed: Duration, dry_run: bool) -> Summary {
        Summary {
            lines_read: Self::get(&self.lines_read),
            lines_acked: Self::get(&self.lines_acked),
            lines_refused: Self::get(&self.lines_refused),
            bytes_read: Self::get(&self.bytes_read),
            requests: RequestStats {
                requests: Self::get(&self.requests),
                retries: Self::get(&self.retries),
                ..RequestStats::default()
            },
            elapsed,
            ending: Ending::Completed,
            dry_run,
            resumed: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// The longest latency a request histogram holds (1 hour, in microseconds; 1 us the least).
pub const MAX_LATENCY_US: u64 = 3_600_000_000;

/// Statistics of one worker's requests, merged at the end.
#[derive(Debug, Clone)]
pub struct RequestStats {
    /// Request latency in microseconds.
    pub latency_us: Histogram<u64>,
    /// Responses per HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no status (connection refused or reset, timeout).
    pub network_errors: u64,
    /// Requests sent.
    pub requests: u64,
    /// Retries (requests repeated after 408/429/5xx/network errors).
    pub retries: u64,
    /// Batches split after a 413.
    pub splits: u64,
    /// Bytes sent on the wire (after compression), all attempts.
    pub bytes_sent: u64,
}

impl Default for RequestStats {
    fn default() -> Self {
        RequestStats {
            // 1 us .. 1 hour, 3 significant digits.
            latency_us: Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)
                .expect("constant histogram bounds are valid"),
            statuses: BTreeMap::new(),
            network_errors: 0,
            requests: 0,
            retries: 0,
            splits: 0,
            bytes_sent: 0,
        }
    }
}

impl RequestStats {
    /// Records one request's latency.
    pub fn record_latency(&mut self, d: Duration) {
        let us = (d.as_micros() as u64).clamp(1, MAX_LATENCY_US);
        let _ = self.latency_us.record(us);
    }

    /// Adds another worker's statistics.
    pub fn merge(&mut self, other: &RequestStats) {
        let _ = self.latency_us.add(&other.latency_us);
        for (s, n) in &other.statuses {
            *self.statuses.entry(*s).or_default() += n;
        }
        self.network_errors += other.network_errors;
        self.requests += other.requests;
        self.retries += other.retries;
        self.splits += other.splits;
        self.bytes_sent += other.bytes_sent;
    }
}

/// How a replay ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Every line was read and answered (acknowledged or refused).
    Completed,
    /// A status that stops the run (401, 403, 404, ...).
    Fatal {
        /// The status, or 0 for a non-retryable transport error.
        status: u16,
        /// What the server said.
        message: String,
    },
    /// Retries exhausted (`--max-retry-time`).
    GaveUp {
        /// The last error.
        message: String,
    },
}

/// What a run's ending means for its caller: every line stored, some refused, or stopped
/// short (gave up, a fatal answer, lines unanswered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// Every line read was acknowledged.
    Done,
    /// Every line read was answered, some refused.
    SomeRefused,
    /// The run stopped before every line read was answered.
    Stopped,
}

impl Ending {
    /// How a run ends because of a batch that ended with `failure` (`None`: it does not end
    /// the run).
    pub fn of_failure(failure: &Failure) -> Option<Ending> {
        match failure {
            Failure::Fatal { status, message } => Some(Ending::Fatal {
                status: *status,
                message: message.clone(),
            }),
            Failure::GaveUp { message } => Some(Ending::GaveUp {
                message: message.clone(),
            }),
            Failure::Stopped => None,
        }
    }
}

/// Latency percentiles of a set of requests, in milliseconds: replay's summary and every
/// period and second of a benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Percentiles {
    /// Requests measured.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Maximum.
    pub max_ms: f64,
}

impl Percentiles {
    /// The percentiles of a request histogram (microseconds).
    pub fn of(stats: &RequestStats) -> Percentiles {
        let h = &stats.latency_us;
        if h.is_empty() {
            return Percentiles::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Percentiles {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }
}

/// The result of a replay.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Lines read and batched (blank lines and comments not counted).
    pub lines_read: u64,
    /// Lines the server stored.
    pub lines_acked: u64,
    /// Lines the server refused (written to the rejects file).
    pub lines_refused: u64,
    /// Uncompressed bytes of the lines read.
    pub bytes_read: u64,
    /// Request statistics.
    pub requests: RequestStats,
    /// Wall time.
    pub elapsed: Duration,
    /// How it ended.
    pub ending: Ending,
    /// Whether nothing was sent (`--dry-run`).
    pub dry_run: bool,
    /// Inputs skipped or resumed from a checkpoint.
    pub resumed: Vec<ResumedAt>,
    /// What the run decided that its user should know (e.g. how `--time now` was read).
    pub notes: Vec<String>,
}

impl Summary {
    /// Lines read but neither acknowledged nor refused (the run stopped early).
    pub fn lines_pending(&self) -> u64 {
        self.lines_read
            .saturating_sub(self.lines_acked + self.lines_refused)
    }

    /// What the run's ending means for its caller (which maps it to an exit status).
    pub fn outcome(&self) -> RunOutcome {
        match self.ending {
            Ending::Fatal { .. } | Ending::GaveUp { .. } => RunOutcome::Stopped,
            Ending::Completed if self.lines_pending() > 0 => RunOutcome::Stopped,
            Ending::Completed if self.lines_refused > 0 => RunOutcome::SomeRefused,
            Ending::Completed => RunOutcome::Done,
        }
    }

    /// Latency percentiles.
    pub fn latency(&self) -> Percentiles {
        Percentiles::of(&self.requests)
    }

    /// Acknowledged lines per second.
    pub fn lines_per_s(&self) -> f64 {
        self.lines_acked as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Megabytes (10^6) of line protocol read per second.
    pub fn mb_per_s(&self) -> f64 {
        self.bytes_read as f64 / 1e6 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The report written by `--report FILE.json`.
    pub fn to_json(&self) -> serde_json::Value {
        let l = self.latency();
        let (ending, message) = match &self.ending {
            Ending::Completed => ("completed", None),
            Ending::Fatal { message, .. } => ("fatal", Some(message.as_str())),
            Ending::GaveUp { message } => ("gave_up", Some(message.as_str())),
        };
        let report = SummaryReport {
            ending,
            message,
            dry_run: self.dry_run,
            lines_read: self.lines_read,
            lines_acknowledged: self.lines_acked,
            lines_refused: self.lines_refused,
            lines_pending: self.lines_pending(),
            bytes_read: self.bytes_read,
            bytes_sent: self.requests.bytes_sent,
            requests: self.requests.requests,
            retries: self.requests.retries,
            splits: self.requests.splits,
            network_errors: self.requests.network_errors,
            status_counts: &self.requests.statuses,
            elapsed_s: self.elapsed.as_secs_f64(),
            lines_per_s: self.lines_per_s(),
            mb_per_s: self.mb_per_s(),
            latency_ms: LatencyReport {
                p50: l.p50_ms,
                p90: l.p90_ms,
                p99: l.p99_ms,
                max: l.max_ms,
            },
            resumed: self
                .resumed
                .iter()
                .map(|r| Resumed {
                    input: &r.input,
                    offset: r.offset,
                    line: r.line,
                    complete: r.complete,
                })
                .collect(),
        };
        // Plain fields and string keys: serializing cannot fail.
        serde_json::to_value(report).unwrap_or_default()
    }
}

/// [`Summary::to_json`]'s shape.
#[derive(Serialize)]
struct SummaryReport<'a> {
    ending: &'static str,
    message: Option<&'a str>,
    dry_run: bool,
    lines_read: u64,
    lines_acknowledged: u64,
    lines_refused: u64,
    lines_pending: u64,
    bytes_read: u64,
    bytes_sent: u64,
    requests: u64,
    retries: u64,
    splits: u64,
    network_errors: u64,
    status_counts: &'a BTreeMap<u16, u64>,
    elapsed_s: f64,
    lines_per_s: f64,
    mb_per_s: f64,
    latency_ms: LatencyReport,
    resumed: Vec<Resumed<'a>>,
}

#[derive(Serialize)]
struct LatencyReport {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

#[derive(Serialize)]
struct Resumed<'a> {
    input: &'a str,
    offset: u64,
    line: Option<u64>,
    complete: bool,
}

/// Where a run resumed an input from its checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumedAt {
    /// The input's name.
    pub input: String,
    /// The byte offset resumed from.
    pub offset: u64,
    /// The line at that offset, once the run read there (`None`: the input was complete,
    /// or the run stopped before).
    pub line: Option<u64>,
    /// The checkpoint had the whole input sent: nothing of it is read.
    pub complete: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_and_percentiles() {
        let mut a = RequestStats::default();
        let mut b = RequestStats::default();
        for i in 1..=100u64 {
            a.record_latency(Duration::from_millis(i));
        }
        b.record_latency(Duration::from_secs(2));
        *b.statuses.entry(204).or_default() += 3;
        a.merge(&b);
        let s = Summary {
            lines_read: 10,
            lines_acked: 8,
            lines_refused: 1,
            bytes_read: 100,
            requests: a,
            elapsed: Duration::from_secs(1),
            ending: Ending::Completed,
            dry_run: false,
            resumed: vec![],
            notes: vec![],
        };
        let l = s.latency();
        assert!((l.p50_ms - 51.0).abs() < 0.5, "{l:?}"); // 101 samples: the 51st
        assert!((l.max_ms - 2000.0).abs() < 5.0, "{l:?}");
        // One line read but never answered: never a success, even if the run "completed".
        assert_eq!(s.lines_pending(), 1);
        assert_eq!(s.outcome(), RunOutcome::Stopped);
        let answered = Summary {
            lines_read: 9,
            ..s.clone()
        };
        assert_eq!(answered.lines_pending(), 0);
        assert_eq!(answered.outcome(), RunOutcome::SomeRefused);
        let j = s.to_json();
        assert_eq!(j["status_counts"]["204"], 3);
        assert_eq!(j["lines_refused"], 1);
    }

    #[test]
    fn percentiles_of_no_request_are_zero_and_of_one_are_that_request() {
        let none = Percentiles::of(&RequestStats::default());
        assert_eq!(none, Percentiles::default());
        assert_eq!(none.count, 0);
        let mut one = RequestStats::default();
        one.record_latency(Duration::from_micros(5_000));
        let p = Percentiles::of(&one);
        assert_eq!(p.count, 1);
        for v in [p.p50_ms, p.p90_ms, p.p99_ms, p.p999_ms, p.max_ms] {
            assert!(v.is_finite() && (v - 5.0).abs() < 0.01, "{p:?}");
        }
        // A zero latency is recorded as the histogram's lowest value, not lost.
        let mut zero = RequestStats::default();
        zero.record_latency(Duration::ZERO);
        assert_eq!(Percentiles::of(&zero).count, 1);
    }
}
