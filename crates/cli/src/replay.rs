//! `lpconvert replay`: send line protocol to a server at a controlled rate, losing nothing.
//! The work is done by `lpconvert_send::replay`; this is options, secrets from the
//! environment, progress, the summary and the exit status. With `--schema`, CSV/NDJSON is
//! converted while it is sent (`replay_convert`).

use crate::replay_convert::{reopen_in_checkpoint, Conversion, ConversionOutcome, ConvertOptions};
use anyhow::{bail, Context};
use lpconvert_engine::EngineError;
use lpconvert_send::batch::BatchLimits;
use lpconvert_send::clock::SystemClock;
use lpconvert_send::input::Source;
use lpconvert_send::retry::RetryPolicy;
use lpconvert_send::timeshift::{Pace, TimeMode};
use lpconvert_send::units::{parse_duration, parse_rate, parse_size};
use lpconvert_send::{
    Api, DryRunTransport, Ending, HttpConfig, HttpTransport, LiveCounters, Precision, ReplayConfig,
    Summary, Target, Transport,
};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Options of `lpconvert replay` (boxed: the option set is large next to other commands').
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    #[command(flatten)]
    options: Box<ReplayOptions>,
}

/// The options themselves.
#[derive(clap::Args, Debug)]
struct ReplayOptions {
    /// Line-protocol files (`.gz` is decompressed), or CSV/NDJSON with --schema; none or `-`
    /// reads stdin.
    #[arg(value_name = "INPUT")]
    inputs: Vec<String>,
    /// Server base URL, e.g. http://127.0.0.1:8086.
    #[arg(long)]
    url: String,
    /// Write API: v1 (/write), v2 (/api/v2/write) or v3 (/api/v3/write_lp).
    #[arg(long, default_value = "v1", value_parser = ["v1", "v2", "v3"])]
    api: String,
    /// Database (v1, v3; v2 uses it when --bucket is not given).
    #[arg(long)]
    db: Option<String>,
    /// Retention policy (v1).
    #[arg(long)]
    rp: Option<String>,
    /// Bucket (v2).
    #[arg(long)]
    bucket: Option<String>,
    /// Organisation (v2).
    #[arg(long)]
    org: Option<String>,
    /// Environment variable holding the token (never printed).
    #[arg(long, default_value = "INFLUX_TOKEN", value_name = "VAR")]
    token_env: String,
    /// User name for Basic authentication (v1).
    #[arg(long)]
    username: Option<String>,
    /// Environment variable holding the password for --username (never printed).
    #[arg(long, default_value = "INFLUX_PASSWORD", value_name = "VAR")]
    password_env: String,
    /// Precision of the timestamps in the input: ns, us, ms or s (default ns; with --schema,
    /// the schema's, which this overrides).
    #[arg(long)]
    precision: Option<String>,
    /// Most lines per request.
    #[arg(long, default_value_t = 5000)]
    batch_lines: usize,
    /// Most bytes per request (5MB, 8MiB, ...).
    #[arg(long, default_value = "8MiB")]
    batch_bytes: String,
    /// Compress request bodies with gzip.
    #[arg(long)]
    gzip: bool,
    /// Parallel connections.
    #[arg(long, default_value_t = 2)]
    concurrency: usize,
    /// Rate limit: lines/s (50000, 50k) and/or bytes/s (10MB/s); repeat or separate by commas.
    #[arg(long, value_delimiter = ',')]
    rate: Vec<String>,
    /// Timestamps: keep, now (first timestamp becomes now) or shift:DURATION (shift:-7d).
    #[arg(long, default_value = "keep")]
    time: String,
    /// Send at the original spacing of the timestamps: original, or NX (10x faster).
    #[arg(long)]
    pace: Option<String>,
    /// Resume file: where the last run stopped (written atomically while running).
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Write lines the server refused there, each after a `# input:line: reason` comment.
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// Give up retrying a batch after this long (30s, 5m, 1h).
    #[arg(long, default_value = "5m")]
    max_retry_time: String,
    /// Timeout of one request.
    #[arg(long, default_value = "60s")]
    timeout: String,
    /// Read and batch everything, send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Write the summary as JSON to this file.
    #[arg(long, value_name = "FILE.json")]
    report: Option<PathBuf>,
    /// Convert CSV/NDJSON inputs with this schema while sending (one pass).
    #[arg(long)]
    schema: Option<PathBuf>,
    /// With --schema: override the schema's input format.
    #[arg(long, requires = "schema", value_parser = ["csv", "ndjson"])]
    format: Option<String>,
    /// With --schema: override the schema's bad-row policy.
    #[arg(long, requires = "schema", value_parser = ["fail", "skip"])]
    on_error: Option<String>,
    /// With --schema: rows the schema rejects, verbatim (CSV header first); reasons in
    /// FILE.errors as file:line:column: message.
    #[arg(long, requires = "schema", value_name = "FILE")]
    convert_rejects: Option<PathBuf>,
    /// With --schema: conversion worker threads (default: all cores).
    #[arg(long, requires = "schema")]
    threads: Option<usize>,
    /// With --schema: longest record (row) read, e.g. 64M; a longer one is a bad row.
    #[arg(long, requires = "schema", value_parser = crate::output::parse_size)]
    max_record_size: Option<usize>,
    /// No progress, no summary.
    #[arg(short, long)]
    quiet: bool,
}

/// Runs `lpconvert replay`; returns the exit status.
pub fn run(args: ReplayArgs) -> anyhow::Result<u8> {
    let args = *args.options;
    let conversion = match &args.schema {
        None => None,
        Some(schema) => Some(Conversion::prepare(&ConvertOptions {
            schema,
            inputs: &args.inputs,
            format: args.format.as_deref(),
            precision: args.precision.as_deref(),
            on_error: args.on_error.as_deref(),
            rejects: args.convert_rejects.as_deref(),
            threads: args.threads,
            max_record: args.max_record_size,
            checkpoint: args.checkpoint.is_some() && !args.dry_run,
        })?),
    };
    let config = build_config(&args, conversion.as_ref())?;
    let live = LiveCounters::default();
    let transport: Box<dyn Transport> = if args.dry_run {
        Box::new(DryRunTransport)
    } else {
        let timeout = parse_duration(&args.timeout).context("--timeout")?;
        Box::new(HttpTransport::new(&HttpConfig {
            timeout,
            connections: config.concurrency,
        }))
    };
    let done = AtomicBool::new(false);
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    // Progress: through the converted input with --schema, else through the line protocol.
    let (total, position): (Option<u64>, Box<dyn Fn() -> u64 + Sync>) = match &conversion {
        Some(c) => (c.total_bytes, Box::new(|| c.bytes_done())),
        None => (
            config
                .sources
                .iter()
                .map(Source::size_hint)
                .try_fold(0u64, |acc, s| s.map(|s| acc + s)),
            Box::new(|| LiveCounters::get(&live.bytes_read)),
        ),
    };
    let result = std::thread::scope(|scope| {
        if show_progress {
            scope.spawn(|| progress(&live, &done, total, position.as_ref()));
        }
        let r = lpconvert_send::run(&config, transport.as_ref(), &SystemClock, &live);
        done.store(true, Ordering::Relaxed);
        r
    });
    drop(position);
    // The conversion threads end once the replay has stopped reading.
    let converted = conversion.map(Conversion::finish).transpose();
    let summary = result?;
    let converted = converted?;
    if let (Some(c), Some(path)) = (&converted, &config.checkpoint) {
        if let Some(e) = &c.error {
            if !config.dry_run {
                reopen_in_checkpoint(path, e.input)?;
            }
        }
    }
    if let Some(path) = &args.report {
        let mut report = summary.to_json();
        report["url"] = config.target.write_url().unwrap_or_default().into();
        if let Some(c) = &converted {
            report["conversion"] = c.to_json();
        }
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("writing the report {}", path.display()))?;
    }
    if !args.quiet {
        if let Some(c) = &converted {
            print_conversion(c, &args);
        }
        print_summary(&summary, &config);
    } else if let Ending::Fatal { message, .. } | Ending::GaveUp { message } = &summary.ending {
        eprintln!("lpconvert replay: {message}");
    }
    let code = summary.exit_code();
    let Some(c) = converted else {
        return Ok(code);
    };
    Ok(match &c.error {
        Some(e) => {
            // Shown even with --quiet: the replay did not send everything.
            match &e.error {
                EngineError::Schema(s) => {
                    eprintln!("lpconvert replay: {}: {s}", c.schema_path.display())
                }
                EngineError::Row(m) => eprintln!("{m}"),
                other => eprintln!("lpconvert replay: {other}"),
            }
            match &e.error {
                EngineError::Row(_) => {
                    eprintln!(
                        "lpconvert replay: the conversion stopped at this row (on_error = \"fail\"); the {} lines converted before it were sent; use --on-error skip --convert-rejects FILE to set bad rows aside",
                        c.counters.written
                    );
                    1
                }
                _ => 2,
            }
        }
        None if code == 0 && c.counters.rejected > 0 => 3,
        None => code,
    })
}

/// The conversion's line of the summary, and the first rejected rows.
fn print_conversion(c: &ConversionOutcome, args: &ReplayOptions) {
    let n = &c.counters;
    eprintln!(
        "lpconvert replay: converted {} rows: {} lines, {} skipped (no fields), {} rejected",
        n.rows, n.written, n.skipped, n.rejected
    );
    if n.rejected > 0 {
        for r in &c.first_rejects {
            eprintln!("lpconvert replay: rejected {r}");
        }
        if n.rejected > c.first_rejects.len() as u64 {
            eprintln!(
                "lpconvert replay: ... {} more rejected rows",
                n.rejected - c.first_rejects.len() as u64
            );
        }
        match &args.convert_rejects {
            Some(p) => eprintln!(
                "lpconvert replay: rejected rows are in {}, reasons in {}.errors",
                p.display(),
                p.display()
            ),
            None => {
                eprintln!("lpconvert replay: use --convert-rejects FILE to keep the rejected rows")
            }
        }
    }
}

fn build_config(
    args: &ReplayOptions,
    conversion: Option<&Conversion>,
) -> anyhow::Result<ReplayConfig> {
    let api = Api::parse(&args.api).context("--api must be v1, v2 or v3")?;
    let precision = match (conversion, args.precision.as_deref()) {
        // The schema's precision, with --precision already applied to it.
        (Some(c), _) => c.precision,
        (None, p) => {
            let p = p.unwrap_or("ns");
            Precision::parse(p)
                .with_context(|| format!("--precision `{p}`: expected ns, us, ms or s"))?
        }
    };
    let auth = crate::server::auth(
        args.username.as_deref(),
        &args.token_env,
        &args.password_env,
    )?;
    let target = Target {
        url: args.url.clone(),
        api,
        db: args.db.clone(),
        rp: args.rp.clone(),
        bucket: args.bucket.clone(),
        org: args.org.clone(),
        precision,
        auth,
    };
    target.write_url()?;
    let mut rates = Vec::new();
    for r in &args.rate {
        rates.push(parse_rate(r).context("--rate")?);
    }
    if args.batch_lines == 0 {
        bail!("--batch-lines must be at least 1");
    }
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let max_bytes = parse_size(&args.batch_bytes).context("--batch-bytes")?;
    let sources: Vec<Source> = if let Some(c) = conversion {
        c.sources()
    } else if args.inputs.is_empty() {
        vec![Source::Stdin]
    } else {
        args.inputs.iter().map(|a| Source::from_arg(a)).collect()
    };
    Ok(ReplayConfig {
        target,
        sources,
        limits: BatchLimits {
            max_lines: args.batch_lines,
            max_bytes: usize::try_from(max_bytes.max(1)).unwrap_or(usize::MAX),
        },
        gzip: args.gzip,
        concurrency: args.concurrency,
        rates,
        time: TimeMode::parse(&args.time)?,
        pace: args.pace.as_deref().map(Pace::parse).transpose()?,
        retry: RetryPolicy {
            max_elapsed: parse_duration(&args.max_retry_time).context("--max-retry-time")?,
            ..RetryPolicy::default()
        },
        checkpoint: args.checkpoint.clone(),
        checkpoint_interval: Duration::from_millis(250),
        rejects: args.rejects.clone(),
        dry_run: args.dry_run,
    })
}

/// A progress bar on stderr (only on a terminal): input position, lines, lines/s, retries.
fn progress(
    live: &LiveCounters,
    done: &AtomicBool,
    total: Option<u64>,
    position: &(dyn Fn() -> u64 + Sync),
) {
    let bar = match total {
        Some(t) => indicatif::ProgressBar::new(t),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let template = if total.is_some() {
        "{bar:30} {bytes}/{total_bytes} {msg} ETA {eta}"
    } else {
        "{spinner} {bytes} {msg}"
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    let start = Instant::now();
    while !done.load(Ordering::Relaxed) {
        let lines = LiveCounters::get(&live.lines_acked);
        let secs = start.elapsed().as_secs_f64().max(1e-3);
        bar.set_position(position());
        bar.set_message(format!(
            "{} lines acked, {:.0} lines/s, {} refused, {} retries",
            lines,
            lines as f64 / secs,
            LiveCounters::get(&live.lines_refused),
            LiveCounters::get(&live.retries)
        ));
        std::thread::sleep(Duration::from_millis(200));
    }
    bar.finish_and_clear();
}

fn print_summary(s: &Summary, config: &ReplayConfig) {
    let l = s.latency();
    let statuses: Vec<String> = s
        .requests
        .statuses
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let what = if s.dry_run {
        "dry run, nothing sent"
    } else {
        "replay"
    };
    for (input, offset) in &s.resumed {
        eprintln!("lpconvert {what}: {input}: resumed at byte {offset} from the checkpoint");
    }
    eprintln!(
        "lpconvert {what}: {} lines read, {} acknowledged, {} refused, {} pending; {} requests, {} retries, {} network errors; {:.2} s, {:.0} lines/s, {:.1} MB/s",
        s.lines_read,
        s.lines_acked,
        s.lines_refused,
        s.lines_pending(),
        s.requests.requests,
        s.requests.retries,
        s.requests.network_errors,
        s.elapsed.as_secs_f64(),
        s.lines_per_s(),
        s.mb_per_s(),
    );
    eprintln!(
        "lpconvert {what}: latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; status {{{}}}",
        l.p50_ms,
        l.p90_ms,
        l.p99_ms,
        l.max_ms,
        statuses.join(", ")
    );
    if s.lines_refused > 0 {
        match &config.rejects {
            Some(p) => eprintln!("lpconvert replay: {} lines refused by the server: see {}", s.lines_refused, p.display()),
            None => eprintln!("lpconvert replay: {} lines refused by the server (use --rejects FILE to keep them)", s.lines_refused),
        }
    }
    match &s.ending {
        Ending::Completed => {}
        Ending::Fatal { message, .. } => eprintln!("lpconvert replay: stopped: {message}"),
        Ending::GaveUp { message } => eprintln!("lpconvert replay: {message}"),
    }
    if !matches!(s.ending, Ending::Completed) && config.checkpoint.is_some() {
        eprintln!("lpconvert replay: run again with the same --checkpoint to resume");
    }
}
