//! Regressions for review findings on `lpconvert replay`: far-future Retry-After dates, lines
//! left pending never exit 0, indented lines named by a v1 partial write, tiny --rate and
//! --pace, large partial-write answers. Same fault server as `replay.rs`.

mod support;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::{
    report, run_lpconvert, stderr, write_lines, write_text, FaultServer, Reply, Seen, TempDir,
};

fn lpconvert(args: &[&str]) -> Output {
    run_lpconvert("replay", args, &[])
}

/// `n` distinct lines with distinct timestamps (seconds).
fn lines(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("m,host=h{} value={}i {}", i % 7, i, 1_600_000_000 + i))
        .collect()
}

/// Runs `lpconvert replay ARGS`; kills it after `limit` (returns None then).
fn run_bounded(args: &[&str], limit: Duration) -> Option<Output> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lpconvert"))
        .arg("replay")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("INFLUX_TOKEN")
        .env_remove("INFLUX_PASSWORD")
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    None
}

/// Finding 1. A `Retry-After` HTTP date far in the future makes `parse_http_date`
/// (crates/send/src/retry.rs) compute `UNIX_EPOCH + Duration::from_secs(..)` past what a
/// `SystemTime` holds: the worker thread panics. `replay::run` ignores the panicked worker
/// (`if let Ok(stats) = w.join()`), the batch it held is never answered, and the run ends
/// "Completed": exit 0 while nothing was stored. Expected: the date is capped (like a huge
/// number of seconds) and, with `--max-retry-time 2s`, the run gives up with exit 1
/// (or waits and stores everything).
#[test]
fn retry_after_date_far_in_the_future_does_not_panic_or_exit_0() {
    let dir = TempDir::new("rv-date");
    let input = lines(20);
    let file = write_lines(&dir, "in.lp", &input);
    let server = FaultServer::start(|s: &Seen| {
        if s.n == 0 {
            Reply::with_header(503, "Retry-After", "Sun, 06 Nov 300000000000 08:49:37 GMT")
        } else {
            Reply::status(204)
        }
    });
    let rep = dir.join("report.json");
    let out = run_bounded(
        &[
            "--url",
            &server.url,
            "--db",
            "d",
            "--concurrency",
            "1",
            "--max-retry-time",
            "2s",
            "--report",
            rep.to_str().unwrap(),
            &file,
        ],
        Duration::from_secs(30),
    )
    .expect("replay finished within 30 s");
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "a worker panicked:\n{err}");
    let stored = server.stored().len();
    assert!(
        out.status.code() == Some(1) || (out.status.code() == Some(0) && stored == 20),
        "exit {:?} with {stored} of 20 lines stored:\n{err}",
        out.status.code()
    );
}

/// Finding 1b. Any worker panic ends the run as "Completed" with exit 0 although lines were
/// never answered (`Summary::exit_code` in crates/send/src/stats.rs ignores
/// `lines_pending`; `replay::run` drops the worker's panic). Same trigger as above, but with
/// `--concurrency 2` and more batches: the other worker goes on, the panicked worker's
/// batch is lost, and the report says exit 0 with lines pending.
#[test]
fn lines_pending_never_exit_0() {
    let dir = TempDir::new("rv-pending");
    let input = lines(100);
    let file = write_lines(&dir, "in.lp", &input);
    let server = FaultServer::start(|s: &Seen| {
        if s.n == 0 {
            Reply::with_header(429, "Retry-After", "Sun, 06 Nov 300000000000 08:49:37 GMT")
        } else {
            Reply::status(204)
        }
    });
    let rep = dir.join("report.json");
    let out = run_bounded(
        &[
            "--url",
            &server.url,
            "--db",
            "d",
            "--batch-lines",
            "10",
            "--concurrency",
            "2",
            "--report",
            rep.to_str().unwrap(),
            &file,
        ],
        Duration::from_secs(120),
    )
    .expect("replay finished within 120 s");
    let r = report(&rep);
    let pending = r["lines_pending"].as_u64().unwrap();
    let stored = server.stored().len();
    assert!(
        !(out.status.code() == Some(0) && (pending > 0 || stored < 100)),
        "exit 0 with {pending} lines pending and {stored} of 100 stored: {r}\n{}",
        stderr(&out)
    );
}

/// Finding 2. InfluxDB 1.x names an unparsable line in its partial-write message after
/// skipping the line's leading whitespace (`models.ParsePoints`: `block[start:]` with
/// `start = skipWhitespace(block, 0)`), but the batcher sends an indented line as it is.
/// `v1_unparsable_lines` (crates/send/src/partial.rs) then finds no line with that text, the
/// refusal names nothing, `dropped=0` adds nothing, and `send_part` counts the refused line
/// as acknowledged: it is neither in `--rejects` nor counted refused, exit 0. Expected: a
/// named line that cannot be matched is at least counted refused (unidentified), exit 3.
#[test]
fn v1_partial_write_naming_an_indented_line_is_not_counted_as_stored() {
    let dir = TempDir::new("rv-indent");
    let file = write_text(&dir, "in.lp", "m f=1 1\n  m f=oops 2\nm f=3 3\n");
    // Behaves as InfluxDB 1.8 does: stores the good lines, names the bad one trimmed.
    let server = FaultServer::start(|s: &Seen| {
        let lines = s.lines();
        let bad: Vec<&String> = lines.iter().filter(|l| l.contains("oops")).collect();
        if bad.is_empty() {
            return Reply::status(204);
        }
        let msg = bad
            .iter()
            .map(|l| format!("unable to parse '{}': invalid number", l.trim_start()))
            .collect::<Vec<_>>()
            .join("\n");
        Reply::Status {
            status: 400,
            headers: vec![],
            body: serde_json::json!({ "error": format!("partial write: {msg} dropped=0") })
                .to_string(),
            delay: Duration::ZERO,
            stored: Some(
                lines
                    .iter()
                    .filter(|l| !l.contains("oops"))
                    .cloned()
                    .collect(),
            ),
        }
    });
    let rej = dir.join("rejects.lp");
    let rep = dir.join("report.json");
    let out = lpconvert(&[
        "--url",
        &server.url,
        "--db",
        "d",
        "--rejects",
        rej.to_str().unwrap(),
        "--report",
        rep.to_str().unwrap(),
        &file,
    ]);
    let r = report(&rep);
    assert_eq!(server.stored().len(), 2);
    assert_eq!(
        (
            r["lines_acknowledged"].as_u64(),
            r["lines_refused"].as_u64()
        ),
        (Some(2), Some(1)),
        "the server stored 2 lines and refused 1: {r}"
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let rejects = std::fs::read_to_string(&rej).unwrap_or_default();
    assert!(rejects.contains("oops"), "rejects file: {rejects:?}");
}

/// Finding 3. A tiny `--rate` is accepted by `parse_rate` (any finite value > 0) but
/// `RateLimiter::acquire` (crates/send/src/ratelimit.rs) computes
/// `Duration::from_secs_f64(cost)` and `due + cost` without bounds: with 1e-19 lines/s the
/// first batch panics the producer (exit 101, a Rust panic message). Expected: a usage error
/// (exit 2) or a saturated wait; here one line, so the first batch may leave at once.
#[test]
fn a_tiny_rate_does_not_panic() {
    let dir = TempDir::new("rv-rate");
    let file = write_lines(&dir, "in.lp", &lines(1));
    let server = FaultServer::accept_all();
    let out = run_bounded(
        &[
            "--url",
            &server.url,
            "--db",
            "d",
            "--rate",
            "0.0000000000000000001",
            &file,
        ],
        Duration::from_secs(20),
    )
    .expect("finished");
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "exit {:?}: {err}",
        out.status.code()
    );
}

/// Finding 4. `--pace` with a tiny speed-up (`Pace::parse` accepts any finite value > 0)
/// panics the producer in `replay::run`'s `emit`: `Duration::from_secs_f64(offset_s)` /
/// `t0 + Duration` overflow for the second batch (exit 101). Expected: refused as a usage
/// error, or a (long) wait; killed after 5 s here, which passes.
#[test]
fn a_tiny_pace_does_not_panic() {
    let dir = TempDir::new("rv-pace");
    let file = write_text(&dir, "in.lp", "m f=1 1000\nm f=2 2000000000\n");
    let server = FaultServer::accept_all();
    let out = run_bounded(
        &[
            "--url",
            &server.url,
            "--db",
            "d",
            "--precision",
            "s",
            "--pace",
            "0.0000000001x",
            &file,
        ],
        Duration::from_secs(5),
    );
    if let Some(out) = out {
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(out.status.code(), Some(2), "{err}");
    }
}

/// Finding 5. A partial-write answer larger than `MAX_RESPONSE_BODY` (256 KiB,
/// crates/send/src/transport.rs) is not cut: ureq's `limit` makes `read_to_string` fail and
/// `HttpTransport::send` replaces the body by "(response body unreadable: ...)". The refusal
/// is then read as "nothing stored" (`parse_refusal`, crates/send/src/partial.rs): every line
/// of the batch, including the ones the server stored, is counted refused and written to
/// `--rejects`. A 2000-line v1 batch with 1200 unparsable lines of ~200 bytes is enough.
/// Expected: 800 acknowledged, 1200 refused (keep the first 256 KiB, or read enough of the
/// JSON, or at least not report stored lines as refused).
#[test]
fn a_large_partial_write_answer_is_not_read_as_all_refused() {
    let dir = TempDir::new("rv-bigbody");
    let pad = "x".repeat(180);
    let input: Vec<String> = (0..2000)
        .map(|i| {
            if i % 5 < 3 {
                format!("m,pad={pad} f=oops{i} {i}")
            } else {
                format!("m,pad={pad} f={i} {i}")
            }
        })
        .collect();
    let file = write_lines(&dir, "in.lp", &input);
    let server = FaultServer::start(|s: &Seen| {
        let lines = s.lines();
        let (bad, good): (Vec<String>, Vec<String>) =
            lines.into_iter().partition(|l| l.contains("oops"));
        if bad.is_empty() {
            return Reply::status(204);
        }
        let msg = bad
            .iter()
            .map(|l| format!("unable to parse '{l}': invalid number"))
            .collect::<Vec<_>>()
            .join("\n");
        Reply::Status {
            status: 400,
            headers: vec![],
            body: serde_json::json!({ "error": format!("partial write: {msg} dropped=0") })
                .to_string(),
            delay: Duration::ZERO,
            stored: Some(good),
        }
    });
    let rej = dir.join("rejects.lp");
    let rep = dir.join("report.json");
    let out = lpconvert(&[
        "--url",
        &server.url,
        "--db",
        "d",
        "--batch-lines",
        "2000",
        "--rejects",
        rej.to_str().unwrap(),
        "--report",
        rep.to_str().unwrap(),
        &file,
    ]);
    assert_eq!(server.stored().len(), 800);
    let r = report(&rep);
    assert_eq!(
        (
            r["lines_acknowledged"].as_u64(),
            r["lines_refused"].as_u64()
        ),
        (Some(800), Some(1200)),
        "{r}\n{}",
        stderr(&out)
    );
}

/// A checkpoint remembers the options that change what is stored: resuming with another
/// `--precision` or `--time` is refused (exit 2) instead of storing the rest differently.
#[test]
fn resume_with_other_precision_or_time_is_refused() {
    let dir = TempDir::new("review-settings");
    let input = write_lines(&dir, "in.lp", &lines(50));
    let ckpt = dir.join("c.json");
    let ckpt = ckpt.to_str().unwrap();
    let server = FaultServer::accept_all();
    let base = ["--url", &server.url, "--db", "d", "--checkpoint", ckpt];
    let first = lpconvert(&[&base[..], &["--precision", "s", &input]].concat());
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let other = lpconvert(&[&base[..], &["--precision", "ms", &input]].concat());
    assert_eq!(other.status.code(), Some(2), "{}", stderr(&other));
    assert!(
        stderr(&other).contains("rerun with the same options"),
        "{}",
        stderr(&other)
    );
    let shifted = lpconvert(
        &[
            &base[..],
            &["--precision", "s", "--time", "shift:1h", &input],
        ]
        .concat(),
    );
    assert_eq!(shifted.status.code(), Some(2), "{}", stderr(&shifted));
    let same = lpconvert(&[&base[..], &["--precision", "s", &input]].concat());
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));
    assert_eq!(
        server.stored().len(),
        50,
        "nothing sent twice, nothing lost"
    );
}
