//! Replay throughput against a local null server (answers 204, discards the body).
//!
//! `cargo bench -p lpconvert-bench --bench replay_throughput` (release). Generates the `cpu`
//! workload of `lpconvert bench` (10 tags, 10 float fields, about 300 bytes a line) into a temporary
//! file, then replays it through the full pipeline (mmap, batching, HTTP keep-alive) with 2
//! connections, gzip off and on. Environment: `REPLAY_BENCH_LINES` (default 2,000,000),
//! `REPLAY_BENCH_CONCURRENCY` (default 2), `REPLAY_BENCH_BATCH` (default 5000).

use lpconvert_bench::workload::{Clocking, Generator, WorkloadSpec};
use lpconvert_send::batch::BatchLimits;
use lpconvert_send::clock::SystemClock;
use lpconvert_send::input::{Open, Opened, Source};
use lpconvert_send::retry::RetryPolicy;
use lpconvert_send::timeshift::TimeMode;
use lpconvert_send::{
    Api, Auth, HttpConfig, HttpTransport, LiveCounters, Precision, ReplayConfig, Target,
};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `cpu` workload of `lpconvert bench` (1000 hosts, 10 tags, 10 float fields), one round
/// of all hosts every 10 s from 2016-01-01.
fn generate(path: &std::path::Path, n: usize) -> u64 {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let clock = Clocking {
        start: 1_451_606_400_000_000_000,
        interval: 10_000_000_000,
    };
    let mut gen = Generator::new(WorkloadSpec::Cpu { hosts: 1000 }, 1, clock);
    let mut bytes = 0u64;
    let mut chunk = Vec::with_capacity(1 << 20);
    let mut left = n;
    while left > 0 {
        let lines = left.min(1000);
        chunk.clear();
        gen.fill(&mut chunk, lines);
        bytes += chunk.len() as u64;
        out.write_all(&chunk).unwrap();
        left -= lines;
    }
    out.flush().unwrap();
    bytes
}

/// Answers every request with 204 and throws the body away.
fn null_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            std::thread::spawn(move || serve(s));
        }
    });
    url
}

fn serve(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::with_capacity(1 << 20, stream);
    let mut sink = vec![0u8; 1 << 20];
    loop {
        let mut len = 0usize;
        let mut first = true;
        loop {
            let mut h = String::new();
            match r.read_line(&mut h) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if h == "\r\n" && !first {
                break;
            }
            first = false;
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        while len > 0 {
            let n = len.min(sink.len());
            if r.read_exact(&mut sink[..n]).is_err() {
                return;
            }
            len -= n;
        }
        if w.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").is_err() {
            return;
        }
    }
}

/// The generated file, opened as a plain file (the cli opens inputs with the engine).
struct PlainFile(std::path::PathBuf);

impl Open for PlainFile {
    fn open(&self) -> std::io::Result<Opened> {
        Ok(Opened {
            reader: Box::new(std::fs::File::open(&self.0)?),
            pipe: false,
            watch: None,
        })
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs this too: keep that short.
    let quick = !std::env::args().any(|a| a == "--bench");
    let n = if quick {
        20_000
    } else {
        env_or("REPLAY_BENCH_LINES", 2_000_000)
    };
    let concurrency = env_or("REPLAY_BENCH_CONCURRENCY", 2);
    let batch = env_or("REPLAY_BENCH_BATCH", 5000);
    let path = std::env::temp_dir().join(format!("replay-bench-cpu-{}.lp", std::process::id()));
    let bytes = generate(&path, n);
    let url = null_server();
    println!(
        "replay_throughput: {n} cpu lines, {:.1} MB ({:.0} bytes/line), {concurrency} connections, batches of {batch}",
        bytes as f64 / 1e6,
        bytes as f64 / n as f64
    );
    for gzip in [false, true] {
        let config = ReplayConfig {
            auto_precision: false,
            target: Target {
                url: url.clone(),
                api: Api::V1,
                db: Some("bench".into()),
                rp: None,
                bucket: None,
                org: None,
                precision: Precision::Ns,
                auth: Auth::None,
                v3: Default::default(),
                tls: Default::default(),
            },
            sources: vec![Source::new(
                path.display().to_string(),
                PlainFile(path.clone()),
            )],
            limits: BatchLimits {
                max_lines: batch,
                max_bytes: 64 << 20,
            },
            gzip,
            concurrency,
            rates: vec![],
            time: TimeMode::Keep,
            pace: None,
            retry: RetryPolicy::default(),
            checkpoint: None,
            checkpoint_interval: Duration::from_secs(1),
            rejects: None,
            dry_run: false,
            flush_interval: None,
            cancel: None,
            shard: None,
        };
        let transport = HttpTransport::new(&HttpConfig {
            timeout: Duration::from_secs(60),
            connections: concurrency,
            ..HttpConfig::default()
        });
        let live = LiveCounters::default();
        let s = lpconvert_send::run(&config, &transport, &SystemClock, &live).expect("replay runs");
        assert_eq!(s.lines_acked, n as u64, "every line acknowledged");
        let l = s.latency();
        println!(
            "replay_throughput: gzip {:<5} {:>10.0} lines/s {:>8.1} MB/s  ({} requests, {:.2} s, wire {:.1} MB, p50 {:.1} ms p99 {:.1} ms)",
            if gzip { "on" } else { "off" },
            s.lines_per_s(),
            s.mb_per_s(),
            s.requests.requests,
            s.elapsed.as_secs_f64(),
            s.requests.bytes_sent as f64 / 1e6,
            l.p50_ms,
            l.p99_ms
        );
    }
    let _ = std::fs::remove_file(&path);
}
