//! Sending one batch until it is answered: compression, the retry loop, 413 splitting,
//! reading refusals and narrowing those that name no line (`narrow.rs`); the messages made of
//! the server's answers are in `messages.rs`. Used by each worker thread.

mod messages;
mod narrow;

pub use narrow::NARROW_REQUESTS;

use crate::batch::{body_lines, Batch};
use crate::clock::Clock;
use crate::dialect::{escape_text, Api};
use crate::partial::parse_refusal;
use crate::retry::{classify, parse_retry_after, Action, Jitter, RetryPolicy};
use crate::stats::{LiveCounters, RequestStats};
use crate::transport::{Request, Transport};
use flate2::write::GzEncoder;
use messages::{fatal_message, is_web_page, one_line, with_server_text, wrong_setting};
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
    /// Most extra requests per batch spent finding the lines an InfluxDB 1.x refusal did not
    /// name ([`NARROW_REQUESTS`]; 0: none, the refusal is reported as it is).
    pub narrow_limit: u32,
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
    /// Lines refused that the server did not identify, per part of the batch.
    pub unidentified: Vec<Unidentified>,
    /// Set when the batch was not fully answered.
    pub failure: Option<Failure>,
}

/// Lines of a request the server refused without saying which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unidentified {
    /// How many were refused.
    pub count: u64,
    /// The lines of the request: input line numbers of the first and the last, and how many.
    pub first_line: u64,
    /// Input line number of the request's last line.
    pub last_line: u64,
    /// Lines in the request.
    pub lines: u64,
    /// HTTP status.
    pub status: u16,
    /// The server's reason.
    pub reason: String,
}

impl Outcome {
    /// Lines refused, identified or not.
    pub fn refused_count(&self) -> u64 {
        self.refused.len() as u64 + self.unidentified.iter().map(|u| u.count).sum::<u64>()
    }
}

/// What sending one batch carries from request to request.
struct Sending<'s> {
    stats: &'s mut RequestStats,
    rng: &'s mut Jitter,
    outcome: Outcome,
    narrowing: narrow::Budget,
}

/// Sends `batch`, retrying and splitting as the policy says.
pub fn send_batch(
    ctx: &SendContext<'_>,
    batch: &Batch,
    stats: &mut RequestStats,
    rng: &mut Jitter,
) -> Outcome {
    let lines = body_lines(batch.body.bytes());
    let mut sending = Sending {
        stats,
        rng,
        outcome: Outcome::default(),
        narrowing: narrow::Budget::default(),
    };
    send_part(ctx, batch, &lines, 0, &mut sending);
    sending.outcome
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
    sending: &mut Sending<'_>,
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
            sending.outcome.failure = Some(Failure::Stopped);
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
        sending.stats.record_latency(t0.elapsed());
        sending.stats.requests += 1;
        sending.stats.bytes_sent += body.len() as u64;
        LiveCounters::add(&ctx.live.requests, 1);
        let (hint, error) = match result {
            Ok(resp) => {
                *sending.stats.statuses.entry(resp.status).or_default() += 1;
                let action = classify(
                    resp.status,
                    resp.retry_after.as_deref(),
                    ctx.clock.wall(),
                    ctx.policy.retry_after_cap,
                );
                // A 400 that refuses no line (or a 500 no retry mends): a setting is wrong.
                if let Action::Refused | Action::Retry(_) = action {
                    if let Some(message) = wrong_setting(ctx.api, resp.status, &resp.body) {
                        ctx.stop.store(true, Ordering::Relaxed);
                        sending.outcome.failure = Some(Failure::Fatal {
                            status: resp.status,
                            message,
                        });
                        return;
                    }
                }
                match action {
                    // Write endpoints answer 204 (or an empty or JSON 2xx); a web page is a
                    // proxy or another application at that URL, and nothing was stored.
                    Action::Ack if is_web_page(&resp.body) => {
                        ctx.stop.store(true, Ordering::Relaxed);
                        sending.outcome.failure = Some(Failure::Fatal {
                            status: resp.status,
                            message: with_server_text(
                                format!("HTTP {}: the answer is a web page, not the acknowledgement of a write (is --url the database's address, not a proxy's or another application's?)", resp.status),
                                &resp.body,
                            ),
                        });
                        return;
                    }
                    Action::Ack => {
                        sending.outcome.acked += lines.len() as u64;
                        LiveCounters::add(&ctx.live.lines_acked, lines.len() as u64);
                        return;
                    }
                    Action::Split if lines.len() > 1 => {
                        sending.stats.splits += 1;
                        send_halves(ctx, batch, lines, first, sending);
                        return;
                    }
                    Action::Split | Action::Refused => {
                        let refusal = if resp.status == 413 {
                            let reason = with_server_text(
                                "line too large for the server".into(),
                                &resp.body,
                            );
                            crate::partial::Refusal {
                                message: reason.clone(),
                                lines: vec![(0, reason)],
                                unidentified: 0,
                            }
                        } else {
                            parse_refusal(ctx.api, resp.status, &resp.body, lines)
                        };
                        let mut refusal = refusal;
                        if refusal.narrowable(ctx.api, resp.status, lines.len()) {
                            if sending
                                .narrowing
                                .split(ctx.narrow_limit, &refusal, lines.len())
                            {
                                send_halves(ctx, batch, lines, first, sending);
                                return;
                            }
                            if ctx.narrow_limit > 0 {
                                for (_, why) in &mut refusal.lines {
                                    if *why == refusal.message {
                                        *why = narrow::unresolved(why);
                                    }
                                }
                                refusal.message = narrow::unresolved(&refusal.message);
                            }
                        }
                        let refused = refusal.count();
                        let acked = lines.len() as u64 - refused;
                        sending.outcome.acked += acked;
                        LiveCounters::add(&ctx.live.lines_acked, acked);
                        LiveCounters::add(&ctx.live.lines_refused, refused);
                        // Server texts go to the rejects file and the terminal: one line,
                        // control characters escaped.
                        for (i, reason) in refusal.lines {
                            sending.outcome.refused.push(RefusedLine {
                                line_number: batch.line_number(first + i),
                                text: lines[i].to_vec(),
                                status: resp.status,
                                reason: one_line(&reason),
                            });
                        }
                        if refusal.unidentified > 0 {
                            sending.outcome.unidentified.push(Unidentified {
                                count: refusal.unidentified,
                                first_line: batch.line_number(first),
                                last_line: batch.line_number(first + lines.len() - 1),
                                lines: lines.len() as u64,
                                status: resp.status,
                                reason: one_line(&refusal.message),
                            });
                        }
                        return;
                    }
                    Action::Fatal => {
                        ctx.stop.store(true, Ordering::Relaxed);
                        sending.outcome.failure = Some(Failure::Fatal {
                            status: resp.status,
                            message: fatal_message(
                                resp.status,
                                &resp.body,
                                resp.location.as_deref(),
                                ctx.url,
                            ),
                        });
                        return;
                    }
                    Action::Retry(hint) => {
                        let asked = resp
                            .retry_after
                            .as_deref()
                            .and_then(|v| parse_retry_after(v, ctx.clock.wall()));
                        let text = with_server_text(format!("HTTP {}", resp.status), &resp.body);
                        (hint, (text, asked))
                    }
                }
            }
            Err(e) => {
                sending.stats.network_errors += 1;
                if !e.retryable {
                    ctx.stop.store(true, Ordering::Relaxed);
                    sending.outcome.failure = Some(Failure::Fatal {
                        status: 0,
                        message: e.message,
                    });
                    return;
                }
                (None, (escape_text(&e.message), None))
            }
        };
        let (error, asked) = error;
        attempt += 1;
        let wait = ctx.policy.backoff(attempt, hint, sending.rng);
        let spent = ctx.clock.now().saturating_duration_since(started);
        if spent + wait > ctx.policy.max_elapsed {
            ctx.stop.store(true, Ordering::Relaxed);
            let why = match (asked, hint) {
                (Some(asked), Some(hint)) if spent + hint > ctx.policy.max_elapsed => format!(
                    "; the server asked to retry after {} s, past the end of --max-retry-time {} (raise --max-retry-time to wait that long)",
                    asked.as_secs_f64().ceil(),
                    crate::retry::format_duration(ctx.policy.max_elapsed)
                ),
                _ => String::new(),
            };
            sending.outcome.failure = Some(Failure::GaveUp {
                message: format!(
                    "gave up on input lines {}.. after {} attempts in {:.1} s: {error}{why}",
                    batch.line_number(first),
                    attempt,
                    spent.as_secs_f64(),
                ),
            });
            return;
        }
        sending.stats.retries += 1;
        LiveCounters::add(&ctx.live.retries, 1);
        sleep_unless_stopped(ctx, wait);
    }
}

/// Sends the two halves of `lines` (body lines `first..` of `batch`) one after the other,
/// the second unless the first failed.
fn send_halves(
    ctx: &SendContext<'_>,
    batch: &Batch,
    lines: &[&[u8]],
    first: usize,
    sending: &mut Sending<'_>,
) {
    let mid = lines.len() / 2;
    send_part(ctx, batch, &lines[..mid], first, sending);
    if sending.outcome.failure.is_none() {
        send_part(ctx, batch, &lines[mid..], first + mid, sending);
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

#[cfg(test)]
mod narrow_tests;
