//! The replay of streams whose producer reports its own errors (the streaming conversion).

use super::*;
use crate::batch::BatchLimits;
use crate::clock::SystemClock;
use crate::dialect::{Api, Auth, Precision};
use crate::input::tests::FailsAfter;
use crate::input::StreamInput;
use crate::transport::DryRunTransport;
use std::io::Read;

fn config(sources: Vec<Source>) -> ReplayConfig {
    ReplayConfig {
        auto_precision: false,
        target: Target {
            url: "http://127.0.0.1:9".into(),
            api: Api::V1,
            db: Some("db".into()),
            rp: None,
            bucket: None,
            org: None,
            precision: Precision::Ns,
            auth: Auth::None,
            v3: Default::default(),
            tls: Default::default(),
        },
        sources,
        limits: BatchLimits {
            max_lines: 1000,
            max_bytes: 1 << 20,
        },
        gzip: false,
        concurrency: 2,
        rates: vec![],
        time: TimeMode::Keep,
        pace: None,
        retry: RetryPolicy::default(),
        checkpoint: None,
        checkpoint_interval: Duration::from_secs(1),
        rejects: None,
        dry_run: true,
        flush_interval: Some(Duration::from_millis(20)),
        cancel: None,
        shard: None,
    }
}

fn stream(reader: impl Read + Send + 'static) -> Source {
    Source::from(StreamInput::new(
        "data.csv as line protocol",
        None,
        Box::new(move || Ok(Box::new(reader) as Box<dyn Read + Send>)),
    ))
}

#[test]
fn a_producer_error_ends_reading_after_the_lines_before_it() {
    let lines: Vec<u8> = (0..2500)
        .flat_map(|i| format!("m f={i}i {i}\n").into_bytes())
        .collect();
    let config = config(vec![stream(FailsAfter(io::Cursor::new(lines)))]);
    let live = LiveCounters::default();
    let s = run(&config, &DryRunTransport, &SystemClock, &live).expect("the producer reports it");
    assert_eq!(s.lines_acked, 2500);
}

#[test]
fn a_line_too_long_in_a_stream_is_a_read_error_of_the_replay_not_a_silent_end() {
    // A stream that never ends a line: the replay's own reading fails (too long), and that
    // is no error of the producer's, so it must not end the input as if it had reported it.
    let config = config(vec![stream(io::repeat(b'x'))]);
    let live = LiveCounters::default();
    let err = run(&config, &DryRunTransport, &SystemClock, &live)
        .expect_err("a line too long is an error, not a clean end of the replay");
    assert!(err.to_string().contains("longer than 64 MiB"), "{err}");
}
