//! `lpconvert replay`: send line protocol to a server at a controlled rate, losing nothing.
//! The work is done by `lpconvert_send::replay`; this is options, secrets from the
//! environment, progress, the summary and the exit status. With `--schema`, CSV/NDJSON is
//! converted while it is sent (`replay_convert`).

use crate::exit::Exit;
use crate::replay_convert::{Conversion, ConversionOutcome, ConvertOptions};
use crate::signals;
use anyhow::{bail, Context};
use lpconvert_engine::{EngineError, Overrides};
use lpconvert_send::batch::BatchLimits;
use lpconvert_send::clock::SystemClock;
use lpconvert_send::input::Source;
use lpconvert_send::retry::RetryPolicy;
use lpconvert_send::timeshift::{Pace, TimeMode};
use lpconvert_send::units::{parse_duration, parse_rate, sending_limits};
use lpconvert_send::{Ending, LiveCounters, ReplayConfig, Summary};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
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
    /// Line-protocol files (`.gz` and `.zst` are decompressed), or CSV/NDJSON with --schema;
    /// none or `-` reads stdin.
    #[arg(value_name = "INPUT")]
    inputs: Vec<String>,
    #[command(flatten)]
    list: crate::inputs::ListArgs,
    #[command(flatten)]
    server: crate::server::ServerArgs,
    #[command(flatten)]
    create_db: crate::server::CreateDbArg,
    /// Precision of the timestamps in the input: ns, us, ms or s (default ns; with --schema,
    /// the schema's, which this overrides).
    #[arg(long)]
    precision: Option<String>,
    /// Most lines per request (at most 1000000).
    #[arg(long, default_value_t = 5000)]
    batch_lines: usize,
    /// Most bytes per request (5MB, 8MiB, ...; at most 1GiB).
    #[arg(long, default_value = "8MiB")]
    batch_bytes: String,
    /// Compress request bodies with gzip.
    #[arg(long)]
    gzip: bool,
    /// Parallel connections (at most 1024).
    #[arg(long, default_value_t = 2)]
    concurrency: usize,
    /// Input from a pipe (stdin, FIFO): send the lines read so far once a batch has been
    /// open this long, without waiting for it to fill (`tail -f data.lp | lpconvert replay`).
    #[arg(long, default_value = "1s", value_name = "DURATION")]
    flush_interval: String,
    /// Rate limit: lines/s (50000, 50k) and/or bytes/s (10MB/s); repeat or separate by commas.
    #[arg(long, value_delimiter = ',')]
    rate: Vec<String>,
    /// Timestamps: keep, now (the newest timestamp of the inputs becomes now; a stream's
    /// first), first-at-now (the first timestamp becomes now) or shift:DURATION (shift:-7d).
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
    /// With --schema: rows that produced no line (every field empty), verbatim (CSV header
    /// first).
    #[arg(long, requires = "schema", value_name = "FILE")]
    convert_skipped: Option<PathBuf>,
    /// With --schema: threads that read and convert, 1 to 1024 (default: all cores).
    #[arg(long, requires = "schema", value_parser = crate::shared::parse_threads)]
    threads: Option<usize>,
    /// With --schema: longest record (row) read, e.g. 64M; a longer one is a bad row.
    #[arg(long, requires = "schema", value_parser = crate::shared::parse_size)]
    max_record_size: Option<usize>,
    /// No progress, no summary.
    #[arg(short, long)]
    quiet: bool,
    /// After the replay, verify that the server (influxdb1, influxdb3, victoriametrics) holds
    /// every point of the inputs, as `lpconvert verify` does.
    #[arg(long, value_name = "TARGET", value_parser = ["influxdb1", "influxdb2", "influxdb3", "victoriametrics"])]
    verify: Option<String>,
    #[command(flatten)]
    verify_check: crate::verify::CheckArgs,
}

/// Runs `lpconvert replay`; returns the exit status.
pub fn run(args: ReplayArgs) -> anyhow::Result<Exit> {
    let mut args = *args.options;
    let accept = crate::inputs::sent_accepts(args.schema.as_deref(), args.format.as_deref());
    args.inputs = crate::inputs::list(&args.inputs, &args.list, accept)?;
    let listed = crate::shared::inputs_or_stdin(&args.inputs);
    let shard = args.list.shard.resolve()?;
    let part = crate::shard::part(shard, &args.inputs, |_| args.schema.is_none())?;
    if part.is_some() && args.verify.is_some() {
        bail!(
            "--verify checks every input's points: run `lpconvert verify` once all shards are done"
        );
    }
    if let (Some(p), Some(_)) = (&part, &args.schema) {
        args.inputs = crate::shard_inputs::owned(&listed, p);
    }
    let env_precision = args.precision.is_none()
        && args.schema.is_none()
        && crate::server::env_precision().is_some();
    let timeout = crate::server::check_connection(
        &args.server,
        &args.timeout,
        "replay",
        args.quiet,
        env_precision,
    )?;
    // Before anything is opened: no output is an input or another output.
    let mut outputs = lpconvert_send::output::replay_outputs(
        args.rejects.as_deref(),
        args.report.as_deref(),
        args.checkpoint.as_deref(),
        args.convert_rejects.as_deref(),
    );
    let skipped = args.convert_skipped.iter();
    outputs
        .extend(skipped.flat_map(|p| lpconvert_send::output::file_outputs("--convert-skipped", p)));
    // Every shard's inputs, not only this shard's: another shard reads them (the same
    // outputs given to each shard would otherwise replace the other shards' inputs).
    lpconvert_send::output::check_outputs(
        &lpconvert_send::output::with_schema(&listed, args.schema.as_deref()),
        &outputs,
    )
    .map_err(anyhow::Error::msg)?;
    // The server's rejects are appended as they come, plain: a compressed name would hold
    // text that gzip and zstd refuse.
    if let Some(p) = args.rejects.as_deref() {
        if let Some(codec) = lpconvert_send::output::Codec::of(p) {
            anyhow::bail!(
                "--rejects {}: the lines the server refuses are written as plain text, not {}; name the file without .{}",
                p.display(),
                codec.name(),
                p.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default()
            );
        }
    }
    if args.verify.is_none() && args.verify_check.given() {
        bail!("--repair, --bucket-size and --repair-concurrency need --verify TARGET");
    }
    if args.verify.is_some() && TimeMode::parse(&args.time)? != TimeMode::Keep {
        bail!("--verify reads the inputs' own timestamps: it cannot check a replay with --time {} (the server holds other times; --repair would send the original ones)", args.time);
    }
    if args.verify.is_some()
        && crate::shared::inputs_or_stdin(&args.inputs).contains(&"-".to_owned())
    {
        bail!("--verify reads the inputs again after the replay: give files, not standard input");
    }
    // A shard that owns no input converts nothing (not standard input); the conversion is
    // still prepared, so the schema's precision is this shard's as the others'.
    let converted = match &part {
        Some(_) => args.inputs.clone(),
        None => crate::shared::inputs_or_stdin(&args.inputs),
    };
    let conversion = match &args.schema {
        None => None,
        Some(schema) => Some(Conversion::prepare(&ConvertOptions {
            schema,
            inputs: &converted,
            all_inputs: &listed,
            overrides: overrides(&args),
            rejects: args.convert_rejects.as_deref(),
            skipped: args.convert_skipped.as_deref(),
            threads: args.threads,
            max_record: args.max_record_size,
            checkpoint: args.checkpoint.is_some() && !args.dry_run,
            others: outputs,
        })?),
    };
    let mut config = build_config(&args, conversion.as_ref())?;
    args.create_db.check(&config.target)?;
    if let Some(p) = &part {
        if args.schema.is_none() {
            config.sources = crate::shard_inputs::replay_sources(&listed, p)?;
        }
    }
    // Only a shard's checkpoint and a report carry the job (it reads every input's size).
    if shard.is_some() || args.report.is_some() {
        let schema_text = args.schema.as_deref().and_then(|p| std::fs::read(p).ok());
        let url = config
            .target
            .endpoint()
            .map(|e| e.display_url)
            .unwrap_or_default();
        // What changes the points sent: shards run with other settings are not one job.
        let settings = format!(
            "precision {} --time {} --format {:?} --on-error {:?}",
            config.target.precision.as_str(),
            config.time,
            args.format,
            args.on_error
        );
        let stamp = crate::shard::JobStamp::new(
            "replay",
            &listed,
            &[
                schema_text.as_deref().unwrap_or_default(),
                url.as_bytes(),
                settings.as_bytes(),
            ],
            shard,
            part.as_ref(),
        );
        config.shard = shard.map(|s| format!("{s} job {}", stamp.job));
        stamp.keep();
    }
    // Every output must be writable before anything is sent.
    if let Some(path) = &args.report {
        lpconvert_send::output::check_writable(path)
            .with_context(|| format!("--report {}", path.display()))?;
    }
    let cancel = Arc::new(AtomicBool::new(false));
    signals::install().context("cannot install the signal handlers")?;
    config.cancel = Some(Arc::clone(&cancel));
    let live = LiveCounters::default();
    let transport =
        crate::server::transport(args.dry_run, &config.target, timeout, config.concurrency)?;
    if let Err(e) = args
        .create_db
        .create(&config.target, transport.as_ref(), args.dry_run)
    {
        note!("lpconvert replay: {e}");
        return Ok(Exit::Stopped);
    }
    let done = AtomicBool::new(false);
    let started = Instant::now();
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
    // Requests that hang past the grace: the summary and report from the live counters.
    let abandon = |signal: i32| {
        let summary = abandoned_summary(&live, started, &config, signal);
        if let Some(path) = &args.report {
            let code = Exit::Signal(signal);
            if let Err(e) = write_report(path, &summary, &config, None, signal, code, None) {
                note!("lpconvert replay: {e:#}");
            }
        }
        if !args.quiet {
            print_summary(&summary, &config);
        } else if let Ending::GaveUp { message } = &summary.ending {
            note!("lpconvert replay: {message}");
        }
    };
    let result = std::thread::scope(|scope| {
        // Without these threads the run goes on: no progress bar, or no graceful stop.
        if show_progress {
            let _ = std::thread::Builder::new()
                .name("progress".into())
                .spawn_scoped(scope, || progress(&live, &done, total, position.as_ref()));
        }
        let _ = std::thread::Builder::new()
            .name("signals".into())
            .spawn_scoped(scope, || signals::watch(&cancel, &done, &abandon));
        let r = lpconvert_send::run(&config, transport.as_ref(), &SystemClock, &live);
        done.store(true, Ordering::Relaxed);
        r
    });
    drop(position);
    // The conversion threads end once the replay has stopped reading.
    // A replay that stopped early (a signal, a fatal answer, an error) does not wait for a
    // conversion blocked on a pipe that sends nothing.
    let stopped_early = signals::received() != 0
        || !matches!(&result, Ok(s) if matches!(s.ending, Ending::Completed));
    let wait = stopped_early.then_some(signals::CONVERSION_WAIT);
    let converted = conversion.map(|c| c.finish(wait)).transpose();
    let mut summary = match result {
        Ok(s) => s,
        Err(e) => {
            // Lines sent before the error are accounted for, not left unsaid.
            let acked = LiveCounters::get(&live.lines_acked);
            let refused = LiveCounters::get(&live.lines_refused);
            if acked + refused > 0 {
                note!(
                    "lpconvert replay: before this error, {acked} lines were acknowledged and {refused} refused"
                );
                if config.checkpoint.is_some() && !config.dry_run {
                    note!("lpconvert replay: run again with the same --checkpoint to resume after them");
                }
            }
            // The report too, once lines were read: what was sent is accounted for in every
            // ending (an error before anything was read leaves no report, as a usage error).
            if let (Some(path), true) = (&args.report, LiveCounters::get(&live.lines_read) > 0) {
                let mut summary = live.summary(started.elapsed(), config.dry_run);
                summary.ending = Ending::GaveUp {
                    message: e.to_string(),
                };
                let code = Exit::Error;
                if let Err(re) = write_report(path, &summary, &config, None, 0, code, Some("error"))
                {
                    note!("lpconvert replay: {re:#}");
                }
            }
            return Err(e.into());
        }
    };
    let mut converted = converted?;
    let signal = signals::received();
    if signal != 0 {
        summary.ending = Ending::GaveUp {
            message: format!(
                "interrupted by {}: stopped sending; {} lines read were not sent or not answered",
                signals::name(signal),
                summary.lines_pending()
            ),
        };
    }
    let code = exit_status(&summary, converted.as_ref(), signal);
    if let Some(c) = &mut converted {
        c.settle_rejects(code, args.quiet)?;
    }
    let code = match (&args.verify, signal) {
        (Some(t), 0) if code.finished() && !args.dry_run => {
            let inputs = (&args.inputs[..], args.schema.as_deref(), overrides(&args));
            let acked = summary.lines_acked;
            crate::verify::after_replay(
                t,
                &args.verify_check,
                inputs,
                &args.server,
                timeout,
                acked,
                code,
            )?
        }
        _ => code,
    };
    if let Some(path) = &args.report {
        write_report(
            path,
            &summary,
            &config,
            converted.as_ref(),
            signal,
            code,
            None,
        )?;
    }
    if !args.quiet {
        if let Some(c) = &converted {
            print_conversion(c, &args);
        }
        print_summary(&summary, &config);
    } else if let Ending::Fatal { message, .. } | Ending::GaveUp { message } = &summary.ending {
        note!("lpconvert replay: {message}");
    }
    if let (0, Some(c)) = (signal, &converted) {
        if let Some(e) = &c.error {
            // Shown even with --quiet: the replay did not send everything.
            match &*e.error {
                EngineError::Schema(s) => {
                    note!("lpconvert replay: {}: {s}", c.schema_path.display())
                }
                EngineError::Row(m) => note!("{m}"),
                other => note!("lpconvert replay: {other}"),
            }
            if let EngineError::Row(_) = &*e.error {
                note!(
                    "lpconvert replay: the conversion stopped at this row (on_error = \"fail\"); the {} lines converted before it were sent; use --on-error skip --convert-rejects FILE to set bad rows aside",
                    c.counters.lines
                );
            }
        }
    }
    Ok(code)
}

/// `--format`, `--precision`, `--on-error`.
fn overrides(args: &ReplayOptions) -> Overrides<'_> {
    Overrides {
        format: args.format.as_deref(),
        precision: args.precision.as_deref(),
        on_error: args.on_error.as_deref(),
    }
}

/// Writes the `--report` JSON: the summary, the URL (redacted), the conversion's counters,
/// the signal, and the status the process exits with; `ending` overrides the summary's.
fn write_report(
    path: &Path,
    summary: &Summary,
    config: &ReplayConfig,
    converted: Option<&ConversionOutcome>,
    signal: i32,
    code: Exit,
    ending: Option<&str>,
) -> anyhow::Result<()> {
    let mut report = summary.to_json();
    crate::shard::stamp(&mut report, summary.elapsed);
    report["latency_histogram_us"] = crate::shard::histogram_json(&summary.requests.latency_us);
    if let Some(ending) = ending {
        report["ending"] = ending.into();
    }
    // The status the process exits with (a signal's, the conversion's), not only the
    // replay's.
    report["exit_code"] = code.code().into();
    report["url"] = config
        .target
        .endpoint()
        .map(|e| e.display_url)
        .unwrap_or_default()
        .into();
    if let Some(c) = converted {
        report["conversion"] = c.to_json();
    }
    if signal != 0 {
        report["ending"] = "interrupted".into();
        report["signal"] = signals::name(signal).into();
    }
    crate::shard::write(path, &report)
}

/// The summary of a run abandoned with requests still unanswered, from the live counters.
fn abandoned_summary(
    live: &LiveCounters,
    started: Instant,
    config: &ReplayConfig,
    signal: i32,
) -> Summary {
    let mut summary = live.summary(started.elapsed(), config.dry_run);
    summary.ending = Ending::GaveUp {
        message: format!(
            "interrupted by {}: requests still unanswered after {} s were abandoned; {} lines read were not sent or not answered",
            signals::name(signal),
            signals::GRACE.as_secs(),
            summary.lines_pending()
        ),
    };
    summary
}

/// The exit status: 128 + the signal after one; else the replay's, made 1 or 2 by a
/// conversion that stopped (a bad row, or a schema or input error) and 3 by rows the
/// conversion set aside.
fn exit_status(summary: &Summary, converted: Option<&ConversionOutcome>, signal: i32) -> Exit {
    if signal != 0 {
        return Exit::Signal(signal);
    }
    let code = Exit::from(summary.outcome());
    let Some(c) = converted else {
        return code;
    };
    match c.error.as_ref().map(|e| &*e.error) {
        Some(EngineError::Row(_)) => Exit::Stopped,
        Some(_) => Exit::Error,
        None if code == Exit::Ok && c.counters.rejected > 0 => Exit::Partial,
        None => code,
    }
}

/// The conversion's line of the summary, and the first rejected rows.
fn print_conversion(c: &ConversionOutcome, args: &ReplayOptions) {
    let n = &c.counters;
    let from = if n.lines == n.written {
        String::new()
    } else {
        format!(" (from {} rows)", n.written)
    };
    // A record of a schema that iterates is skipped when it writes no line, whatever the
    // reason (no match, or no value in any match).
    let why = if c.several_lines {
        "no line"
    } else {
        "no fields"
    };
    note!(
        "lpconvert replay: converted {} rows: {} lines{from}, {} skipped ({why}), {} rejected",
        n.rows,
        n.lines,
        n.skipped,
        n.rejected
    );
    let rejects = (args.convert_rejects.as_deref())
        .map(|p| format!("{}, reasons in {}.errors", p.display(), p.display()));
    let skipped = args
        .convert_skipped
        .as_deref()
        .map(|p| p.display().to_string());
    for (what, first, count, kept, option) in [
        (
            "rejected",
            &c.first_rejects,
            n.rejected,
            c.rejects_shown.clone().or(rejects),
            "--convert-rejects",
        ),
        (
            "skipped",
            &c.first_skipped,
            n.skipped,
            c.skipped_shown.clone().or(skipped),
            "--convert-skipped",
        ),
    ] {
        crate::shared::NamedRows {
            who: "lpconvert replay",
            what,
            first,
            count,
            kept,
            option,
        }
        .note();
    }
}

fn build_config(
    args: &ReplayOptions,
    conversion: Option<&Conversion>,
) -> anyhow::Result<ReplayConfig> {
    // The schema's precision (with --precision already applied to it), or the input's;
    // `auto`: each timestamp's unit read from its size, sent as nanoseconds.
    let (precision, auto_precision) = match conversion {
        Some(c) => (c.precision, false),
        None => match crate::server::line_precision(args.precision.as_deref())? {
            Some(p) => (p, false),
            None => (lpconvert_send::Precision::Ns, true),
        },
    };
    let target = args.server.target(precision)?;
    let mut rates = Vec::new();
    for r in &args.rate {
        rates.push(parse_rate(r).context("--rate")?);
    }
    let max_bytes = sending_limits(args.concurrency, args.batch_lines, &args.batch_bytes)?;
    let flush_interval = parse_duration(&args.flush_interval).context("--flush-interval")?;
    if flush_interval.is_zero() {
        bail!("--flush-interval must be above 0 (1s, 200ms)");
    }
    let sources: Vec<Source> = if let Some(c) = conversion {
        c.sources()
    } else if args.inputs.is_empty() {
        vec![crate::inputs::line_protocol("-")]
    } else {
        args.inputs
            .iter()
            .map(|a| crate::inputs::line_protocol(a))
            .collect()
    };
    Ok(ReplayConfig {
        target,
        auto_precision,
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
        flush_interval: Some(flush_interval),
        cancel: None,
        shard: None,
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
    for n in &s.notes {
        note!("lpconvert {what}: {n}");
    }
    for r in &s.resumed {
        match (r.line, r.complete) {
            (Some(line), _) => note!(
                "lpconvert {what}: {}: resumed at line {line} (byte {}) from the checkpoint",
                r.input,
                r.offset
            ),
            (None, true) => note!(
                "lpconvert {what}: {}: sent whole by an earlier run ({} bytes, checkpoint)",
                r.input,
                r.offset
            ),
            (None, false) => note!(
                "lpconvert {what}: {}: resumed at byte {} from the checkpoint",
                r.input,
                r.offset
            ),
        }
    }
    if s.dry_run {
        note!(
            "lpconvert replay: dry run, nothing sent: {} lines read and cut into {} requests ({} bytes); {:.2} s, {:.0} lines/s, {:.1} MB/s",
            s.lines_read,
            s.requests.requests,
            s.bytes_read,
            s.elapsed.as_secs_f64(),
            s.lines_per_s(),
            s.mb_per_s(),
        );
    } else {
        note!(
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
        note!(
            "lpconvert {what}: latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; status {{{}}}",
            l.p50_ms,
            l.p90_ms,
            l.p99_ms,
            l.max_ms,
            statuses.join(", ")
        );
    }
    if s.lines_refused > 0 {
        match &config.rejects {
            Some(p) => note!("lpconvert replay: {} lines refused by the server: see {}", s.lines_refused, p.display()),
            None => note!("lpconvert replay: {} lines refused by the server (use --rejects FILE to keep them)", s.lines_refused),
        }
    }
    match &s.ending {
        Ending::Completed => {}
        Ending::Fatal { message, .. } => note!("lpconvert replay: stopped: {message}"),
        Ending::GaveUp { message } => note!("lpconvert replay: {message}"),
    }
    if !matches!(s.ending, Ending::Completed) && config.checkpoint.is_some() {
        note!("lpconvert replay: run again with the same --checkpoint to resume");
    }
}
