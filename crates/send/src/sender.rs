//! Sending one batch until it is answered: compression, the retry loop, 413 splitting and
//! reading refusals. Used by each worker thread.

use crate::batch::{body_lines, Batch};
use crate::clock::Clock;
use crate::dialect::Api;
use crate::partial::parse_refusal;
use crate::retry::{classify, Action, Jitter, RetryPolicy};
use crate::stats::{LiveCounters, RequestStats};
use crate::transport::{Request, Transport};
use flate2::write::GzEncoder;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Everything a worker needs to send batches.
pub struct SendContext<'a> {
    /// The transport.
    pub transport: &'a dyn Transport,
    /// The clock (sleeps between retries).
    pub clock: &'a dyn Clock,
    /// Write URL.
    pub url: &'a str,
    /// `Authorization` header value.
    pub authorization: Option<&'a str>,
    /// Dialect, for reading refusals.
    pub api: Api,
    /// Compress bodies with gzip.
    pub gzip: bool,
    /// Retry policy.
    pub policy: &'a RetryPolicy,
    /// Set when the run must stop (by any worker).
    pub stop: &'a AtomicBool,
    /// Live counters.
    pub live: &'a LiveCounters,
}

/// A line the server refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedLine {
    /// Input line number.
    pub line_number: u64,
    /// The line, verbatim.
    pub text: Vec<u8>,
    /// HTTP status.
    pub status: u16,
    /// The server's reason.
    pub reason: String,
}

/// Why a batch was not fully answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A fatal status (or a transport error that cannot be retried: status 0).
    Fatal {
        /// Status.
        status: u16,
        /// Message.
        message: String,
    },
    /// Retries exhausted.
    GaveUp {
        /// The last error.
        message: String,
    },
    /// Another worker stopped the run.
    Stopped,
}

/// What happened to a batch.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Lines stored.
    pub acked: u64,
    /// Lines refused, identified.
    pub refused: Vec<RefusedLine>,
    /// Lines refused that the server did not identify: (count, status, reason).
    pub unidentified: Vec<(u64, u16, String)>,
    /// Set when the batch was not fully answered.
    pub failure: Option<Failure>,
}

impl Outcome {
    /// Lines refused, identified or not.
    pub fn refused_count(&self) -> u64 {
        self.refused.len() as u64 + self.unidentified.iter().map(|u| u.0).sum::<u64>()
    }
}

/// Sends `batch`, retrying and splitting as the policy says.
pub fn send_batch(
    ctx: &SendContext<'_>,
    batch: &Batch,
    stats: &mut RequestStats,
    rng: &mut Jitter,
) -> Outcome {
    let mut outcome = Outcome::default();
    let lines = body_lines(batch.body.bytes());
    send_part(ctx, batch, &lines, 0, stats, rng, &mut outcome);
    outcome
}

fn join_lines(lines: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for l in lines {
        v.extend_from_slice(l);
        v.push(b'\n');
    }
    v
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(
        Vec::with_capacity(body.len() / 4 + 64),
        flate2::Compression::fast(),
    );
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(body);
    enc.finish().unwrap_or_default()
}

/// Sends `lines` (body lines `first..first+lines.len()` of `batch`).
fn send_part(
    ctx: &SendContext<'_>,
    batch: &Batch,
    lines: &[&[u8]],
    first: usize,
    stats: &mut RequestStats,
    rng: &mut Jitter,
    outcome: &mut Outcome,
) {
    if lines.is_empty() {
        return;
    }
    let whole = first == 0 && lines.len() as u64 == batch.lines;
    let joined;
    let raw: &[u8] = if whole {
        batch.body.bytes()
    } else {
        joined = join_lines(lines);
        &joined
    };
    let compressed = ctx.gzip.then(|| gzip(raw));
    let body = compressed.as_deref().unwrap_or(raw);
    let started = ctx.clock.now();
    let mut attempt: u32 = 0;
    loop {
        if ctx.stop.load(Ordering::Relaxed) {
            outcome.failure = Some(Failure::Stopped);
            return;
        }
        let request = Request {
            url: ctx.url,
            authorization: ctx.authorization,
            gzip: ctx.gzip,
            body,
        };
        let t0 = std::time::Instant::now();
        let result = ctx.transport.send(&request);
        stats.record_latency(t0.elapsed());
        stats.requests += 1;
        stats.bytes_sent += body.len() as u64;
        LiveCounters::add(&ctx.live.requests, 1);
        let (hint, error) = match result {
            Ok(resp) => {
                *stats.statuses.entry(resp.status).or_default() += 1;
                let action = classify(
                    resp.status,
                    resp.retry_after.as_deref(),
                    ctx.clock.wall(),
                    ctx.policy.retry_after_cap,
                );
                match action {
                    Action::Ack => {
                        outcome.acked += lines.len() as u64;
                        LiveCounters::add(&ctx.live.lines_acked, lines.len() as u64);
                        return;
                    }
                    Action::Split if lines.len() > 1 => {
                        stats.splits += 1;
                        let mid = lines.len() / 2;
                        send_part(ctx, batch, &lines[..mid], first, stats, rng, outcome);
                        if outcome.failure.is_none() {
                            send_part(ctx, batch, &lines[mid..], first + mid, stats, rng, outcome);
                        }
                        return;
                    }
                    Action::Split | Action::Refused => {
                        let refusal = if resp.status == 413 {
                            let reason =
                                format!("line too large for the server: {}", resp.body.trim());
                            crate::partial::Refusal {
                                message: reason.clone(),
                                lines: vec![(0, reason)],
                                unidentified: 0,
                            }
                        } else {
                            parse_refusal(ctx.api, resp.status, &resp.body, lines)
                        };
                        let refused = refusal.count();
                        let acked = lines.len() as u64 - refused;
                        outcome.acked += acked;
                        LiveCounters::add(&ctx.live.lines_acked, acked);
                        LiveCounters::add(&ctx.live.lines_refused, refused);
                        for (i, reason) in refusal.lines {
                            outcome.refused.push(RefusedLine {
                                line_number: batch.line_number(first + i),
                                text: lines[i].to_vec(),
                                status: resp.status,
                                reason,
                            });
                        }
                        if refusal.unidentified > 0 {
                            outcome.unidentified.push((
                                refusal.unidentified,
                                resp.status,
                                refusal.message,
                            ));
                        }
                        return;
                    }
                    Action::Fatal => {
                        ctx.stop.store(true, Ordering::Relaxed);
                        outcome.failure = Some(Failure::Fatal {
                            status: resp.status,
                            message: fatal_message(resp.status, &resp.body),
                        });
                        return;
                    }
                    Action::Retry(hint) => {
                        (hint, format!("HTTP {}: {}", resp.status, resp.body.trim()))
                    }
                }
            }
            Err(e) => {
                stats.network_errors += 1;
                if !e.retryable {
                    ctx.stop.store(true, Ordering::Relaxed);
                    outcome.failure = Some(Failure::Fatal {
                        status: 0,
                        message: e.message,
                    });
                    return;
                }
                (None, e.message)
            }
        };
        attempt += 1;
        let wait = ctx.policy.backoff(attempt, hint, rng);
        let spent = ctx.clock.now().saturating_duration_since(started);
        if spent + wait > ctx.policy.max_elapsed {
            ctx.stop.store(true, Ordering::Relaxed);
            outcome.failure = Some(Failure::GaveUp {
                message: format!(
                    "gave up on input lines {}.. after {} attempts in {:.1} s: {}",
                    batch.line_number(first),
                    attempt,
                    spent.as_secs_f64(),
                    error
                ),
            });
            return;
        }
        stats.retries += 1;
        LiveCounters::add(&ctx.live.retries, 1);
        sleep_unless_stopped(ctx, wait);
    }
}

/// Sleeps in short slices so that a stop is noticed quickly.
fn sleep_unless_stopped(ctx: &SendContext<'_>, wait: Duration) {
    let slice = Duration::from_millis(100);
    let mut left = wait;
    while !left.is_zero() && !ctx.stop.load(Ordering::Relaxed) {
        let d = left.min(slice);
        ctx.clock.sleep(d);
        left -= d;
    }
}

fn fatal_message(status: u16, body: &str) -> String {
    let what = match status {
        401 => "unauthorized: check the token (--token-env) or --username/--password-env",
        403 => "forbidden: the credentials may not write to this database or bucket",
        404 => "not found: the database, bucket or write endpoint does not exist (check --url, --api, --db, --bucket)",
        _ => "unexpected status",
    };
    let body = body.trim();
    if body.is_empty() {
        format!("HTTP {status}: {what}")
    } else {
        format!("HTTP {status}: {what} (server said: {body})")
    }
}
