//! Narrowing InfluxDB 1.x refusals against a fake server that answers as InfluxDB 1.6.7 does
//! (`partial write: REASON dropped=N` naming no line; the whole-batch `field type conflict`),
//! and its `database is required`, which refuses no line but stops the run.

use super::*;
use crate::batch::Body;
use crate::clock::SystemClock;
use crate::stats::RequestStats;
use crate::transport::{Response, TransportError};
use std::collections::HashSet;
use std::sync::Mutex;

/// Refuses the lines containing `bad`, as InfluxDB 1.x does; every request is counted, and
/// the requests numbered in `resets` fail on the network first.
struct Influx1 {
    whole_first: bool,
    no_db: bool,
    resets: HashSet<usize>,
    seen: Mutex<usize>,
}

impl Influx1 {
    fn new() -> Influx1 {
        Influx1 {
            whole_first: false,
            no_db: false,
            resets: HashSet::new(),
            seen: Mutex::new(0),
        }
    }
    fn requests(&self) -> usize {
        *self.seen.lock().unwrap()
    }
}

impl Transport for Influx1 {
    fn send(&self, request: &Request<'_>) -> Result<Response, TransportError> {
        let n = {
            let mut seen = self.seen.lock().unwrap();
            *seen += 1;
            *seen - 1
        };
        if self.resets.contains(&n) {
            return Err(TransportError {
                retryable: true,
                message: "connection reset".into(),
            });
        }
        if self.no_db {
            return Ok(Response {
                status: 400,
                retry_after: None,
                location: None,
                body: include_str!("../partial/fixtures/v1_database_required_400.json").into(),
            });
        }
        let text = String::from_utf8_lossy(request.body).into_owned();
        let dropped = text.lines().filter(|l| l.contains("bad")).count();
        let body = if dropped == 0 {
            String::new()
        } else if self.whole_first && n == 0 {
            r#"{"error":"field type conflict"}"#.to_owned()
        } else {
            format!(
                r#"{{"error":"partial write: field type conflict: input field \"f\" on measurement \"m\" is type string, already exists as type float dropped={dropped}"}}"#
            )
        };
        Ok(Response {
            status: if dropped == 0 { 204 } else { 400 },
            retry_after: None,
            location: None,
            body,
        })
    }
}

/// A batch of `n` lines from input line 1, those in `bad` refused by the server.
fn batch(n: usize, bad: &[usize]) -> Batch {
    let mut body = Vec::new();
    for i in 0..n {
        if bad.contains(&i) {
            body.extend_from_slice(format!("m f=\"bad\" {i}\n").as_bytes());
        } else {
            body.extend_from_slice(format!("m f={i} {i}\n").as_bytes());
        }
    }
    Batch {
        seq: 0,
        input: 0,
        span: 0..body.len() as u64,
        line_numbers: None,
        first_line: 1,
        lines: n as u64,
        body: Body::Owned(body),
        first_ts_ns: None,
        prefix_crc32: None,
    }
}

fn send(server: &Influx1, batch: &Batch, limit: u32) -> Outcome {
    let policy = RetryPolicy {
        initial: Duration::from_millis(1),
        ..RetryPolicy::default()
    };
    let stop = AtomicBool::new(false);
    let live = LiveCounters::default();
    let ctx = SendContext {
        transport: server,
        clock: &SystemClock,
        url: "http://h/write?db=d",
        authorization: None,
        api: Api::V1,
        gzip: false,
        policy: &policy,
        stop: &stop,
        live: &live,
        narrow_limit: limit,
    };
    let outcome = send_batch(
        &ctx,
        batch,
        &mut RequestStats::default(),
        &mut Jitter::new(1),
    );
    assert_eq!(
        outcome.acked + outcome.refused_count(),
        batch.lines,
        "every line acknowledged or refused: {outcome:?}"
    );
    outcome
}

fn refused_lines(o: &Outcome) -> Vec<u64> {
    o.refused.iter().map(|r| r.line_number).collect()
}

#[test]
fn a_partial_write_naming_no_line_is_narrowed_to_exactly_the_refused_lines() {
    let server = Influx1::new();
    let o = send(&server, &batch(5000, &[17, 4321]), NARROW_REQUESTS);
    assert_eq!(refused_lines(&o), vec![18, 4322]);
    assert!(o.unidentified.is_empty(), "{:?}", o.unidentified);
    assert_eq!(o.acked, 4998);
    assert_eq!(
        o.refused[0].reason,
        r#"field type conflict: input field "f" on measurement "m" is type string, already exists as type float"#
    );
    assert_eq!(o.refused[0].text, b"m f=\"bad\" 17");
    // Within the bound: 2 * 2 * ceil(log2 5000) extra requests.
    assert!(server.requests() <= 1 + 52, "{}", server.requests());
}

#[test]
fn neighbouring_refused_lines_cost_few_requests() {
    let server = Influx1::new();
    let bad: Vec<usize> = (0..1000).collect();
    let o = send(&server, &batch(5000, &bad), NARROW_REQUESTS);
    assert_eq!(refused_lines(&o), (1..=1000).collect::<Vec<u64>>());
    assert!(server.requests() <= 1 + 4 * 13, "{}", server.requests());
}

#[test]
fn past_the_bound_the_rest_is_reported_as_the_server_said() {
    let server = Influx1::new();
    let bad: Vec<usize> = (0..5000).step_by(50).collect();
    let o = send(&server, &batch(5000, &bad), NARROW_REQUESTS);
    assert!(server.requests() <= 1 + NARROW_REQUESTS as usize);
    assert_eq!(o.refused_count(), 100);
    assert!(!o.unidentified.is_empty());
    for r in &o.refused {
        assert!(bad.contains(&(r.line_number as usize - 1)), "{r:?}");
    }
    for u in &o.unidentified {
        assert!(u.reason.contains("not narrowed down further"), "{u:?}");
        assert!(u.count < u.lines && u.first_line + u.lines - 1 == u.last_line);
    }
}

#[test]
fn without_narrowing_the_refusal_is_reported_as_it_came() {
    let server = Influx1::new();
    let o = send(&server, &batch(100, &[3, 9]), 0);
    assert_eq!(server.requests(), 1);
    assert!(o.refused.is_empty());
    assert_eq!(o.unidentified.len(), 1);
    let u = &o.unidentified[0];
    assert_eq!(
        (u.count, u.first_line, u.last_line, u.lines),
        (2, 1, 100, 100)
    );
    assert!(!u.reason.contains("narrowed"), "{u:?}");
}

#[test]
fn a_whole_batch_type_conflict_is_narrowed_and_the_good_lines_stored() {
    let mut server = Influx1::new();
    server.whole_first = true;
    let o = send(&server, &batch(64, &[5]), NARROW_REQUESTS);
    assert_eq!(refused_lines(&o), vec![6]);
    assert_eq!(o.acked, 63);
}

#[test]
fn a_narrowing_request_that_fails_on_the_network_is_retried() {
    let mut server = Influx1::new();
    server.resets = HashSet::from([1, 2, 5]);
    let o = send(&server, &batch(16, &[7]), NARROW_REQUESTS);
    assert!(o.failure.is_none(), "{o:?}");
    assert_eq!(refused_lines(&o), vec![8]);
}

#[test]
fn a_write_without_a_database_stops_the_run_naming_db() {
    let mut server = Influx1::new();
    server.no_db = true;
    let batch = batch(10, &[]);
    let stop = AtomicBool::new(false);
    let live = LiveCounters::default();
    let ctx = SendContext {
        transport: &server,
        clock: &SystemClock,
        url: "http://h/write?precision=n",
        authorization: None,
        api: Api::V1,
        gzip: false,
        policy: &RetryPolicy::default(),
        stop: &stop,
        live: &live,
        narrow_limit: NARROW_REQUESTS,
    };
    let o = send_batch(
        &ctx,
        &batch,
        &mut RequestStats::default(),
        &mut Jitter::new(1),
    );
    assert_eq!((o.acked, o.refused_count()), (0, 0));
    match o.failure {
        Some(Failure::Fatal {
            status: 400,
            message,
        }) => {
            assert!(message.contains("give --db NAME"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests(), 1);
}

/// Answers request `n` (0-based) of `lines` lines as `answer` says.
struct Scripted {
    answer: fn(usize, usize) -> (u16, String),
    seen: Mutex<usize>,
}

impl Transport for Scripted {
    fn send(&self, request: &Request<'_>) -> Result<Response, TransportError> {
        let n = {
            let mut seen = self.seen.lock().unwrap();
            *seen += 1;
            *seen - 1
        };
        let lines = request.body.iter().filter(|&&b| b == b'\n').count();
        let (status, body) = (self.answer)(n, lines);
        Ok(Response {
            status,
            retry_after: None,
            location: (status == 307).then(|| "http://elsewhere/write".to_owned()),
            body,
        })
    }
}

fn scripted(answer: fn(usize, usize) -> (u16, String)) -> Scripted {
    Scripted {
        answer,
        seen: Mutex::new(0),
    }
}

fn send_to(server: &Scripted, batch: &Batch) -> Outcome {
    let policy = RetryPolicy {
        initial: Duration::from_millis(1),
        ..RetryPolicy::default()
    };
    let stop = AtomicBool::new(false);
    let live = LiveCounters::default();
    let ctx = SendContext {
        transport: server,
        clock: &SystemClock,
        url: "http://h/write?db=d",
        authorization: None,
        api: Api::V1,
        gzip: false,
        policy: &policy,
        stop: &stop,
        live: &live,
        narrow_limit: NARROW_REQUESTS,
    };
    send_batch(
        &ctx,
        batch,
        &mut RequestStats::default(),
        &mut Jitter::new(1),
    )
}

#[test]
fn a_server_that_drops_more_than_it_was_sent_refuses_each_line_once_within_the_bound() {
    let server = scripted(|_, _| {
        (
            400,
            r#"{"error":"partial write: points beyond retention policy dropped=99999"}"#.into(),
        )
    });
    let b = batch(1000, &[]);
    let o = send_to(&server, &b);
    assert!(o.failure.is_none(), "{o:?}");
    assert_eq!((o.acked, o.refused_count()), (0, 1000), "{o:?}");
    assert!(*server.seen.lock().unwrap() <= 1 + NARROW_REQUESTS as usize);
}

#[test]
fn a_server_that_stores_everything_on_the_re_send_acknowledges_every_line() {
    let server = scripted(|n, _| match n {
        0 => (
            400,
            r#"{"error":"partial write: field type conflict dropped=2"}"#.into(),
        ),
        _ => (204, String::new()),
    });
    let b = batch(100, &[]);
    let o = send_to(&server, &b);
    assert!(o.failure.is_none(), "{o:?}");
    assert_eq!((o.acked, o.refused_count()), (100, 0), "{o:?}");
    assert_eq!(*server.seen.lock().unwrap(), 3);
}

#[test]
fn a_redirect_while_narrowing_stops_with_no_line_counted_twice() {
    let server = scripted(|n, _| match n {
        0 => (
            400,
            r#"{"error":"partial write: field type conflict dropped=1"}"#.into(),
        ),
        1 => (204, String::new()),
        _ => (307, String::new()),
    });
    let b = batch(100, &[]);
    let o = send_to(&server, &b);
    assert!(matches!(o.failure, Some(Failure::Fatal { .. })), "{o:?}");
    // The first half was stored; the second was not answered (pending, not refused).
    assert_eq!((o.acked, o.refused_count()), (50, 0), "{o:?}");
}

#[test]
fn a_retention_policy_that_does_not_exist_stops_at_once_naming_rp() {
    // InfluxDB 1.x answers 500 for it: retried, it failed the same for --max-retry-time.
    let server = scripted(|_, _| {
        (
            500,
            r#"{"error":"retention policy not found: nope"}"#.into(),
        )
    });
    let o = send_to(&server, &batch(10, &[]));
    match o.failure {
        Some(Failure::Fatal {
            status: 500,
            message,
        }) => assert!(message.contains("--rp"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(*server.seen.lock().unwrap(), 1);
}
