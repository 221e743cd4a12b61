//! Per-second statistics of a benchmark: every request's latency and status, every batch sent
//! and answered, attributed to the second (since the start) in which it happened; each second
//! closed into a [`Sample`] and merged into its phase (warm-up, measurement, ramp step, drain).
//!
//! Shared by the worker threads (through a [`TimedTransport`] and [`Timeline::batch_done`]) and
//! the controller; one mutex, taken a few times per request, which is nothing next to a request.

use lpconvert_send::clock::Clock;
use lpconvert_send::stats::{LiveCounters, Percentiles, RequestStats};
use lpconvert_send::transport::{Request, Response, Transport, TransportError};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What part of a run a second belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Excluded from the statistics.
    Warmup,
    /// The measurement of a fixed-rate or unthrottled run.
    Measure,
    /// Step `n` (from 0) of a ramp.
    Step(u32),
    /// After the end: in-flight requests finishing; counted in the totals only.
    Drain,
}

impl Phase {
    /// `warmup`, `measure`, `step N`, `drain`.
    pub fn label(&self) -> String {
        match self {
            Phase::Warmup => "warmup".into(),
            Phase::Measure => "measure".into(),
            Phase::Step(n) => format!("step {n}"),
            Phase::Drain => "drain".into(),
        }
    }
    /// Whether the second counts in the measured summary.
    pub fn is_measured(&self) -> bool {
        matches!(self, Phase::Measure | Phase::Step(_))
    }
}

/// Counts of lines, fields and bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Lines handed to the transport (first attempt of a batch).
    pub sent_lines: u64,
    /// Fields in those lines.
    pub sent_fields: u64,
    /// Uncompressed bytes of those lines.
    pub sent_bytes: u64,
    /// Lines the server acknowledged.
    pub acked_lines: u64,
    /// Fields in those lines.
    pub acked_fields: u64,
    /// Bytes of those lines.
    pub acked_bytes: u64,
    /// Lines the server refused (400, 422, partial writes).
    pub refused_lines: u64,
    /// Lines sent but never answered: the run stopped (fatal status, retries exhausted, or the
    /// end of the run cut their retries short).
    pub abandoned_lines: u64,
    /// Retries of requests.
    pub retries: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.sent_lines += o.sent_lines;
        self.sent_fields += o.sent_fields;
        self.sent_bytes += o.sent_bytes;
        self.acked_lines += o.acked_lines;
        self.acked_fields += o.acked_fields;
        self.acked_bytes += o.acked_bytes;
        self.refused_lines += o.refused_lines;
        self.abandoned_lines += o.abandoned_lines;
        self.retries += o.retries;
    }
}

/// One second of a run.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Seconds since the start (this sample covers `second..second+duration_s`).
    pub second: u64,
    /// Length covered, 1 s except for the last one.
    pub duration_s: f64,
    /// What part of the run.
    pub phase: Phase,
    /// The rate asked for during this second (lines/s), if limited.
    pub target_lines_per_s: Option<f64>,
    /// Lines, fields, bytes.
    pub counts: Counts,
    /// Requests answered or failed in this second (retries included).
    pub requests: u64,
    /// Bytes on the wire (after compression, all attempts).
    pub wire_bytes: u64,
    /// Answers per HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests without an answer (connection refused or reset, timeout).
    pub network_errors: u64,
    /// Latency of the requests completed in this second.
    pub latency: Percentiles,
}

impl Sample {
    /// Answers that are not 2xx, plus network errors.
    pub fn errors(&self) -> u64 {
        error_count(&self.statuses, self.network_errors)
    }
}

fn error_count(statuses: &BTreeMap<u16, u64>, network_errors: u64) -> u64 {
    statuses
        .iter()
        .filter(|(s, _)| !(200..300).contains(*s))
        .map(|(_, n)| n)
        .sum::<u64>()
        + network_errors
}

/// Requests and counts of a period (a phase, a ramp step, or the whole run).
#[derive(Debug, Clone, Default)]
pub struct Period {
    /// Request statistics: latency histogram, statuses, network errors.
    pub requests: RequestStats,
    /// Lines, fields, bytes.
    pub counts: Counts,
    /// Seconds covered.
    pub seconds: f64,
}

impl Period {
    fn add(&mut self, stats: &RequestStats, counts: &Counts, seconds: f64) {
        self.requests.merge(stats);
        self.counts.add(counts);
        self.seconds += seconds;
    }
    /// Non-2xx answers plus network errors.
    pub fn errors(&self) -> u64 {
        error_count(&self.requests.statuses, self.requests.network_errors)
    }
    /// Latency percentiles.
    pub fn latency(&self) -> Percentiles {
        Percentiles::of(&self.requests)
    }
    /// `n` per second of this period.
    pub fn per_s(&self, n: u64) -> f64 {
        if self.seconds <= 0.0 {
            0.0
        } else {
            n as f64 / self.seconds
        }
    }
}

struct Inner {
    t0: Instant,
    /// The open second.
    cur: u64,
    stats: RequestStats,
    counts: Counts,
    target: Option<f64>,
    samples: Vec<Sample>,
    measured: Period,
    total: Period,
    steps: BTreeMap<u32, Period>,
    /// First second of the drain, once the run has ended.
    end: Option<u64>,
    last_retries: u64,
}

/// The per-second record of a run.
pub struct Timeline {
    warmup_s: u64,
    step_s: Option<u64>,
    inner: Mutex<Inner>,
}

impl Timeline {
    /// A timeline whose first `warmup_s` seconds are warm-up and, for a ramp, whose later
    /// seconds are cut into steps of `step_s` seconds. Time starts at `t0`.
    pub fn new(t0: Instant, warmup_s: u64, step_s: Option<u64>) -> Timeline {
        Timeline {
            warmup_s,
            step_s: step_s.map(|s| s.max(1)),
            inner: Mutex::new(Inner {
                t0,
                cur: 0,
                stats: RequestStats::default(),
                counts: Counts::default(),
                target: None,
                samples: Vec::new(),
                measured: Period::default(),
                total: Period::default(),
                steps: BTreeMap::new(),
                end: None,
                last_retries: 0,
            }),
        }
    }

    /// When the run started.
    pub fn t0(&self) -> Instant {
        self.lock().t0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The phase of second `k`.
    pub fn phase_of(&self, k: u64, end: Option<u64>) -> Phase {
        if end.is_some_and(|e| k >= e) {
            Phase::Drain
        } else if k < self.warmup_s {
            Phase::Warmup
        } else if let Some(step) = self.step_s {
            Phase::Step(u32::try_from((k - self.warmup_s) / step).unwrap_or(u32::MAX))
        } else {
            Phase::Measure
        }
    }

    /// Closes every second before the one containing `now`.
    fn roll(&self, inner: &mut Inner, now: Instant, live: Option<&LiveCounters>) {
        let k = now.saturating_duration_since(inner.t0).as_secs();
        while inner.cur < k {
            self.close(inner, 1.0, live);
            inner.cur += 1;
        }
    }

    fn close(&self, inner: &mut Inner, duration_s: f64, live: Option<&LiveCounters>) {
        if let Some(live) = live {
            let r = LiveCounters::get(&live.retries);
            inner.counts.retries = r.saturating_sub(inner.last_retries);
            inner.last_retries = r;
        }
        let phase = self.phase_of(inner.cur, inner.end);
        let stats = std::mem::take(&mut inner.stats);
        let counts = std::mem::take(&mut inner.counts);
        inner.total.add(&stats, &counts, duration_s);
        if phase.is_measured() {
            inner.measured.add(&stats, &counts, duration_s);
        }
        if let Phase::Step(n) = phase {
            inner
                .steps
                .entry(n)
                .or_default()
                .add(&stats, &counts, duration_s);
        }
        let sample = Sample {
            second: inner.cur,
            duration_s,
            phase,
            target_lines_per_s: inner.target,
            counts,
            requests: stats.requests,
            wire_bytes: stats.bytes_sent,
            network_errors: stats.network_errors,
            latency: Percentiles::of(&stats),
            statuses: stats.statuses,
        };
        inner.samples.push(sample);
    }

    /// Closes the seconds that are over (the controller calls it at phase boundaries and the
    /// progress display regularly), reading the retry counter from `live`.
    pub fn tick(&self, now: Instant, live: &LiveCounters) {
        let mut inner = self.lock();
        self.roll(&mut inner, now, Some(live));
    }

    /// Sets the rate asked for from now on (lines/s), for the samples.
    pub fn set_target(&self, now: Instant, target: Option<f64>) {
        let mut inner = self.lock();
        self.roll(&mut inner, now, None);
        inner.target = target;
    }

    /// A batch of `lines` lines (`fields` fields, `bytes` bytes) goes to the transport.
    pub fn batch_sent(&self, now: Instant, lines: u64, fields: u64, bytes: u64) {
        let mut inner = self.lock();
        self.roll(&mut inner, now, None);
        inner.counts.sent_lines += lines;
        inner.counts.sent_fields += fields;
        inner.counts.sent_bytes += bytes;
    }

    /// A batch was answered: `acked` of its `lines` lines stored, `refused` refused, the rest
    /// abandoned. Fields and bytes acknowledged are counted in proportion.
    #[allow(clippy::too_many_arguments)]
    pub fn batch_done(
        &self,
        now: Instant,
        lines: u64,
        fields: u64,
        bytes: u64,
        acked: u64,
        refused: u64,
    ) {
        let mut inner = self.lock();
        self.roll(&mut inner, now, None);
        let share = |n: u64| {
            if acked == lines {
                n
            } else {
                (n as u128 * acked as u128 / lines.max(1) as u128) as u64
            }
        };
        inner.counts.acked_lines += acked;
        inner.counts.acked_fields += share(fields);
        inner.counts.acked_bytes += share(bytes);
        inner.counts.refused_lines += refused;
        inner.counts.abandoned_lines += lines.saturating_sub(acked + refused);
    }

    /// One request completed (or failed without a status) after `latency`.
    pub fn request(&self, now: Instant, latency: Duration, status: Option<u16>, wire_bytes: u64) {
        let mut inner = self.lock();
        self.roll(&mut inner, now, None);
        inner.stats.record_latency(latency);
        inner.stats.requests += 1;
        inner.stats.bytes_sent += wire_bytes;
        match status {
            Some(s) => *inner.stats.statuses.entry(s).or_default() += 1,
            None => inner.stats.network_errors += 1,
        }
    }

    /// Marks the end of the measurement: from second `end` on, seconds are drain.
    pub fn set_end(&self, now: Instant, end: u64) {
        let mut inner = self.lock();
        self.roll(&mut inner, now, None);
        inner.end = Some(end.max(inner.cur));
    }

    /// The statistics of ramp step `n` so far (closed seconds only).
    pub fn step(&self, n: u32) -> Period {
        self.lock().steps.get(&n).cloned().unwrap_or_default()
    }

    /// The last closed second, if any.
    pub fn last_sample(&self) -> Option<Sample> {
        self.lock().samples.last().cloned()
    }

    /// Closes the open (partial) second and returns the samples, the measured period and the
    /// whole run.
    pub fn finish(&self, now: Instant, live: &LiveCounters) -> (Vec<Sample>, Period, Period) {
        let mut inner = self.lock();
        self.roll(&mut inner, now, Some(live));
        let elapsed = now.saturating_duration_since(inner.t0).as_secs_f64();
        let part = (elapsed - inner.cur as f64).clamp(0.0, 1.0);
        let has_data = inner.stats.requests > 0 || inner.counts != Counts::default();
        if part > 0.0 || has_data {
            self.close(&mut inner, part, Some(live));
            inner.cur += 1;
        }
        (
            std::mem::take(&mut inner.samples),
            inner.measured.clone(),
            inner.total.clone(),
        )
    }
}

/// A transport that times every request into a [`Timeline`], then answers as `inner` did.
pub struct TimedTransport<'a> {
    /// The real transport.
    pub inner: &'a dyn Transport,
    /// Where to record.
    pub timeline: &'a Timeline,
    /// The clock giving "now".
    pub clock: &'a dyn Clock,
}

impl Transport for TimedTransport<'_> {
    fn send(&self, request: &Request<'_>) -> Result<Response, TransportError> {
        let t0 = self.clock.now();
        let r = self.inner.send(request);
        let now = self.clock.now();
        let status = r.as_ref().ok().map(|resp| resp.status);
        self.timeline.request(
            now,
            now.saturating_duration_since(t0),
            status,
            request.body.len() as u64,
        );
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_closed_into_samples_and_phases() {
        let t0 = Instant::now();
        let live = LiveCounters::default();
        let tl = Timeline::new(t0, 1, Some(2));
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        tl.set_target(at(0), Some(100.0));
        tl.batch_sent(at(100), 10, 100, 1000);
        tl.request(at(150), Duration::from_millis(5), Some(204), 500);
        tl.batch_done(at(150), 10, 100, 1000, 10, 0);
        // Second 1 and 2: step 0.
        tl.batch_sent(at(1100), 10, 100, 1000);
        tl.request(at(1200), Duration::from_millis(50), Some(503), 500);
        tl.request(at(2300), Duration::from_millis(7), Some(204), 500);
        tl.batch_done(at(2300), 10, 100, 1000, 4, 2);
        // Second 3: step 1.
        tl.request(at(3500), Duration::from_millis(9), None, 500);
        tl.tick(at(3999), &live);
        let s0 = tl.step(0);
        assert_eq!(s0.seconds, 2.0);
        assert_eq!(s0.counts.acked_lines, 4);
        assert_eq!(s0.counts.acked_fields, 40);
        assert_eq!(s0.counts.refused_lines, 2);
        assert_eq!(s0.counts.abandoned_lines, 4);
        assert_eq!(s0.errors(), 1);
        assert_eq!(tl.step(1).seconds, 0.0, "second 3 is still open");
        tl.set_end(at(4000), 4);
        let (samples, measured, total) = tl.finish(at(4500), &live);
        let phases: Vec<Phase> = samples.iter().map(|s| s.phase).collect();
        assert_eq!(
            phases,
            [
                Phase::Warmup,
                Phase::Step(0),
                Phase::Step(0),
                Phase::Step(1),
                Phase::Drain
            ]
        );
        assert_eq!(samples[0].counts.acked_lines, 10);
        assert_eq!(samples[0].target_lines_per_s, Some(100.0));
        assert!((samples[4].duration_s - 0.5).abs() < 1e-9);
        assert_eq!(samples[3].network_errors, 1);
        assert_eq!(measured.counts.acked_lines, 4, "warm-up excluded");
        assert_eq!(measured.errors(), 2);
        assert_eq!(total.counts.acked_lines, 14);
        assert_eq!(total.counts.sent_lines, 20);
        assert_eq!(total.requests.requests, 4);
        assert!((measured.latency().max_ms - 50.0).abs() < 0.1);
    }
}
