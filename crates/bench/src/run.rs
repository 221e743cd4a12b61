//! The benchmark's run: worker pool, controller (batches, pacing, phases), ramp verdicts at
//! each step's end, drain.

use crate::config::{BenchConfig, BenchError, Mode};
use crate::ramp::{judge_step, Saturation, StepResult};
use crate::timeline::{Period, Phase, Sample, TimedTransport, Timeline};
use crate::workload::{Generator, WorkloadSpec};
use crossbeam_channel::SendTimeoutError;
use lpconvert_send::batch::{Batch, Body};
use lpconvert_send::clock::Clock;
use lpconvert_send::pool::{Pool, Started};
use lpconvert_send::ratelimit::RateLimiter;
use lpconvert_send::retry::Jitter;
use lpconvert_send::sender::{send_batch, SendContext};
use lpconvert_send::stats::{Ending, LiveCounters, RequestStats};
use lpconvert_send::transport::Transport;
use lpconvert_send::units::Rate;
use lpconvert_send::RunOutcome;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// What a benchmark measured.
#[derive(Debug, Clone)]
pub struct BenchResult {
    /// Every second, warm-up and drain included.
    pub samples: Vec<Sample>,
    /// The measured period (warm-up and drain excluded).
    pub measured: Period,
    /// The whole run.
    pub total: Period,
    /// Ramp steps evaluated, in order.
    pub steps: Vec<StepResult>,
    /// The saturation point of a ramp.
    pub saturation: Option<Saturation>,
    /// How the run ended.
    pub ending: Ending,
    /// Wall time.
    pub elapsed: Duration,
    /// Retries, splits, requests of the whole run as the sender counted them.
    pub sender: RequestStats,
}

impl BenchResult {
    /// How the run ended, as replay's: stopped (fatal or gave up), some lines refused, or done.
    pub fn outcome(&self) -> RunOutcome {
        match self.ending {
            Ending::Fatal { .. } | Ending::GaveUp { .. } => RunOutcome::Stopped,
            Ending::Completed if self.total.counts.refused_lines > 0 => RunOutcome::SomeRefused,
            Ending::Completed => RunOutcome::Done,
        }
    }
}

struct Work {
    batch: Batch,
    fields: u64,
}

/// A fresh timeline for `config`, starting now.
pub fn timeline_for(config: &BenchConfig, clock: &dyn Clock) -> Timeline {
    let step = match &config.mode {
        Mode::Ramp(r) => Some(r.step.as_secs()),
        _ => None,
    };
    Timeline::new(clock.now(), config.warmup.as_secs(), step)
}

/// Runs a benchmark. `timeline` must be fresh (see [`timeline_for`]); it starts the clock.
/// `live` is updated as the sender goes.
pub fn run(
    config: &BenchConfig,
    transport: &dyn Transport,
    clock: &dyn Clock,
    live: &LiveCounters,
    timeline: &Timeline,
) -> Result<BenchResult, BenchError> {
    let url = config.target.write_url()?;
    let authorization = config.target.authorization();
    if config.concurrency == 0 || config.batch_lines == 0 {
        return Err(BenchError::Usage(
            "--concurrency and --batch-lines must be at least 1".into(),
        ));
    }
    if let WorkloadSpec::Lines(set) = &config.workload {
        if set.is_empty() {
            return Err(BenchError::Usage("the workload has no lines".into()));
        }
    }
    if let Mode::Ramp(r) = &config.mode {
        if r.start <= 0.0 || r.factor <= 1.0 || r.step.as_secs() == 0 {
            return Err(BenchError::Usage(
                "a ramp needs --ramp-start > 0, --ramp-factor > 1 and --step-interval of at least 1s"
                    .into(),
            ));
        }
    }
    let started = timeline.t0();
    let warmup = config.warmup;
    let step_len = match &config.mode {
        Mode::Ramp(r) => Some(r.step),
        _ => None,
    };
    let end_at = warmup + config.duration;
    let mut gen = Generator::new(config.workload.clone(), config.seed, config.clocking);

    let timed = TimedTransport {
        inner: transport,
        timeline,
        clock,
    };
    let stop = AtomicBool::new(false);
    let finishing = AtomicBool::new(false);
    let failure: Mutex<Option<Ending>> = Mutex::new(None);
    let ctx = SendContext {
        transport: &timed,
        clock,
        url: &url,
        authorization: authorization.as_deref(),
        api: config.target.api,
        gzip: config.gzip,
        policy: &config.retry,
        stop: &stop,
        live,
        // A benchmark reports refusals as they come: no request beyond the workload's.
        narrow_limit: 0,
    };
    let concurrency = config.concurrency;
    let mut sender_stats = RequestStats::default();
    let mut steps: Vec<StepResult> = Vec::new();
    let mut stop_reason = String::new();
    let mut saturated = false;

    let cancelled = || {
        config
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    };
    let phase_at = |elapsed: Duration| -> Phase {
        if elapsed < warmup {
            Phase::Warmup
        } else if let Some(step) = step_len {
            let n = (elapsed - warmup).as_secs() / step.as_secs().max(1);
            Phase::Step(u32::try_from(n).unwrap_or(u32::MAX))
        } else {
            Phase::Measure
        }
    };
    let rates_for = |phase: Phase| -> Vec<Rate> {
        match (&config.mode, phase) {
            (Mode::Rate(r), _) => r.clone(),
            (Mode::Unthrottled, _) => Vec::new(),
            (Mode::Ramp(r), Phase::Step(n)) => vec![Rate::Lines(r.rate(n))],
            (Mode::Ramp(r), _) => vec![Rate::Lines(r.rate(0))],
        }
    };

    let ctx = &ctx;
    let mut spawn_error: Option<std::io::Error> = None;
    let failure_ref = &failure;
    let finishing_ref = &finishing;
    std::thread::scope(|scope| {
        let Started {
            work: work_tx,
            pool,
            spawn_error: pool_error,
        } = Pool::start(scope, concurrency, concurrency, |_| {
            move |work: Work, stats: &mut RequestStats, rng: &mut Jitter| {
                if finishing_ref.load(Ordering::Relaxed) || ctx.stop.load(Ordering::Relaxed) {
                    return true;
                }
                let b = &work.batch;
                let bytes = b.body.bytes().len() as u64;
                timeline.batch_sent(clock.now(), b.lines, work.fields, bytes);
                LiveCounters::add(&ctx.live.lines_read, b.lines);
                LiveCounters::add(&ctx.live.bytes_read, bytes);
                let outcome = send_batch(ctx, b, stats, rng);
                timeline.batch_done(
                    clock.now(),
                    b.lines,
                    work.fields,
                    bytes,
                    outcome.acked,
                    outcome.refused_count(),
                );
                if let Some(e) = outcome.failure.as_ref().and_then(Ending::of_failure) {
                    let mut f = failure_ref.lock().unwrap_or_else(|e| e.into_inner());
                    f.get_or_insert(e);
                }
                true
            }
        });
        if pool_error.is_some() {
            // The workers started end once the channel closes (work_tx is dropped on return).
            spawn_error = pool_error;
            return;
        }

        // The controller.
        let mut phase = phase_at(Duration::ZERO);
        let mut limiter = RateLimiter::new(&rates_for(phase));
        timeline.set_target(started, limiter.lines_per_s());
        let mut seq = 0u64;
        let mut avg_line = 200usize;
        let mut end_el = end_at;
        'run: loop {
            let now = clock.now();
            let el = now.saturating_duration_since(started);
            if stop.load(Ordering::Relaxed) {
                // In a ramp, a batch whose retries ran out (429, 503, network errors) is the
                // server refusing this step's rate: saturation, judged like the step's end.
                let gave_up = {
                    let mut f = failure.lock().unwrap_or_else(|e| e.into_inner());
                    match (&config.mode, phase, &*f) {
                        (Mode::Ramp(_), Phase::Step(_), Some(Ending::GaveUp { .. })) => f.take(),
                        _ => None,
                    }
                };
                if let (Mode::Ramp(r), Phase::Step(n), Some(Ending::GaveUp { message })) =
                    (&config.mode, phase, gave_up)
                {
                    timeline.tick(now, live);
                    let mut result = judge_step(n, &timeline.step(n), r);
                    if result.errors == 0 {
                        // The step's own answers are not all counted yet: the batch that
                        // gave up says what the server answered.
                        result.reason = format!(
                            "errors at {:.0} lines/s: {message}",
                            result.target_lines_per_s
                        );
                    }
                    result.passed = false;
                    stop_reason = result.reason.clone();
                    saturated = true;
                    steps.push(result);
                } else {
                    stop_reason = "the run stopped on a fatal answer".into();
                }
                end_el = el;
                break;
            }
            if cancelled() {
                stop_reason = "the run was interrupted".into();
                end_el = el;
                break;
            }
            if el >= end_at {
                break;
            }
            let p = phase_at(el);
            if p != phase {
                timeline.tick(now, live);
                if let (Mode::Ramp(r), Phase::Step(n)) = (&config.mode, phase) {
                    let result = judge_step(n, &timeline.step(n), r);
                    let passed = result.passed;
                    if !passed {
                        stop_reason = result.reason.clone();
                        saturated = true;
                    }
                    steps.push(result);
                    if !passed {
                        end_el = el;
                        break 'run;
                    }
                    if r.rate(n) >= r.max_rate {
                        stop_reason = format!("reached --ramp-max {:.0} lines/s", r.max_rate);
                        end_el = el;
                        break 'run;
                    }
                }
                phase = p;
                limiter = RateLimiter::new(&rates_for(phase));
                timeline.set_target(now, limiter.lines_per_s());
            }
            let (mut lines, bytes_cap) =
                limiter.smooth_batch(config.batch_lines, config.batch_bytes);
            lines = lines.min((bytes_cap / avg_line.max(1)).max(1));
            let mut body = Vec::with_capacity(lines * (avg_line + 16));
            let fields = gen.fill(&mut body, lines);
            avg_line = (body.len() / lines.max(1)).max(1);
            let batch = Batch {
                seq,
                input: 0,
                span: 0..0,
                line_numbers: None,
                first_line: gen.produced() - lines as u64 + 1,
                lines: lines as u64,
                first_ts_ns: None,
                prefix_crc32: None,
                body: Body::Owned(body),
            };
            seq += 1;
            // A slow rate waits no longer than the run (or a signal).
            let over = || cancelled() || clock.now().saturating_duration_since(started) >= end_at;
            if !limiter.acquire_unless(clock, batch.lines, batch.body.bytes().len() as u64, &over) {
                continue;
            }
            let mut work = Work { batch, fields };
            loop {
                match work_tx.send_timeout(work, Duration::from_millis(20)) {
                    Ok(()) => break,
                    Err(SendTimeoutError::Timeout(w)) => {
                        let el = clock.now().saturating_duration_since(started);
                        if stop.load(Ordering::Relaxed)
                            || cancelled()
                            || el >= end_at
                            || phase_at(el) != phase
                        {
                            // Not sent: the batch was never counted.
                            break;
                        }
                        work = w;
                    }
                    Err(SendTimeoutError::Disconnected(_)) => break 'run,
                }
            }
        }
        // A ramp that ran out of time: judge the last step if it ran its whole length.
        if let (Mode::Ramp(r), Phase::Step(n), true) = (&config.mode, phase, stop_reason.is_empty())
        {
            let now = clock.now();
            let el = now.saturating_duration_since(started);
            timeline.tick(now, live);
            let whole = el >= warmup + r.step * (n + 1);
            if whole {
                let result = judge_step(n, &timeline.step(n), r);
                if !result.passed {
                    stop_reason = result.reason.clone();
                    saturated = true;
                }
                steps.push(result);
            }
            if stop_reason.is_empty() {
                stop_reason = format!(
                    "reached --duration {} s before the server saturated",
                    config.duration.as_secs()
                );
            }
        }
        let end_sec = end_el.as_secs();
        timeline.set_end(clock.now(), end_sec);
        finishing.store(true, Ordering::Relaxed);
        drop(work_tx);
        pool.wait_until(clock, clock.now() + config.drain);
        stop.store(true, Ordering::Relaxed);
        sender_stats = pool.join().stats;
    });

    if let Some(e) = spawn_error {
        return Err(BenchError::Usage(format!(
            "cannot start a thread: {e}; lower --concurrency"
        )));
    }
    let now = clock.now();
    let (samples, measured, total) = timeline.finish(now, live);
    let ending = match failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
        // Once a ramp found saturation, batches that then ran out of retries are part of
        // that finding (counted as abandoned), not a failure of the run.
        Some(Ending::GaveUp { .. }) if saturated => Ending::Completed,
        other => other.unwrap_or(Ending::Completed),
    };
    let saturation = match &config.mode {
        Mode::Ramp(_) => {
            let best = steps.iter().rev().find(|s| s.passed);
            Some(Saturation {
                sustained_lines_per_s: best.map(|s| s.target_lines_per_s),
                acked_lines_per_s: best.map(|s| s.acked_lines_per_s),
                p99_ms: best.map(|s| s.p99_ms),
                saturated,
                reason: if stop_reason.is_empty() {
                    "the run stopped".into()
                } else {
                    stop_reason
                },
            })
        }
        _ => None,
    };
    Ok(BenchResult {
        samples,
        measured,
        total,
        steps,
        saturation,
        ending,
        elapsed: now.saturating_duration_since(started),
        sender: sender_stats,
    })
}
