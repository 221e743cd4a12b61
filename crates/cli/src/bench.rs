//! `lpconvert bench`: a synthetic ingest benchmark. Generates a deterministic workload (TSBS-like
//! `cpu`, `home`, or real data with `--from`), sends it with the replay sender at a fixed rate,
//! unthrottled, or ramping up until the server saturates, and reports per-second throughput and
//! latency (`--report DIR`: report.json, report.md, chart.svg).
//! The work is done by the `lpconvert_bench` crate; this is options, the workload, progress, the
//! summary, the report files and the exit status.

use crate::exit::Exit;
use crate::signals;
use anyhow::{bail, Context};
use lpconvert_bench::probe::{probe, ServerInfo};
use lpconvert_bench::report::{self as bench_report, RunInfo};
use lpconvert_bench::timeline::Timeline;
use lpconvert_bench::workload::{Clocking, LineSet, WorkloadSpec};
use lpconvert_bench::{self as bench, BenchConfig, BenchResult, Mode, RampConfig};
use lpconvert_send::clock::{Clock, SystemClock};
use lpconvert_send::retry::RetryPolicy;
use lpconvert_send::units::{
    check_range, parse_duration, parse_rate, parse_signed_duration_ns, sending_limits, Rate,
};
use lpconvert_send::{Ending, LiveCounters, Precision};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Options of `lpconvert bench` (boxed: the option set is large next to other commands').
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    options: Box<BenchOptions>,
}

/// The options themselves.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchOptions {
    #[command(flatten)]
    pub server: crate::server::ServerArgs,
    #[command(flatten)]
    pub create_db: crate::server::CreateDbArg,

    /// Generated workload: cpu (TSBS-like: 10 tags, 10 float fields per host) or home (small
    /// rows: a room tag, 3 fields).
    #[arg(long, default_value = "cpu", value_parser = ["cpu", "home"])]
    pub workload: String,
    /// Hosts (cpu) or rooms (home): the number of series (at most 1000000).
    #[arg(long, default_value_t = 100)]
    pub hosts: usize,
    /// Seed of the generator: the same seed, --start and options give the same lines.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First timestamp of generated data: now, now-DURATION (now-7d) or epoch nanoseconds.
    #[arg(long, default_value = "now-7d")]
    pub start: String,
    /// Timestamp step between rounds of generated data (one line per host per round).
    #[arg(long, default_value = "10s")]
    pub interval: String,
    /// Use real data as the workload: line protocol, or CSV/NDJSON with --schema; sent in a
    /// loop, each pass shifting the timestamps past the previous one.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// Convert --from with this schema first.
    #[arg(long, requires = "from")]
    pub schema: Option<PathBuf>,
    /// Most lines of --from kept in memory for the loop.
    #[arg(long, default_value_t = 1_000_000)]
    pub sample_lines: usize,
    /// Precision of the timestamps of --from line protocol: ns, us, ms or s.
    #[arg(long, default_value = "ns")]
    pub precision: String,

    /// Fixed rate: lines/s (50000, 50k) and/or bytes/s (10MB/s). Without --rate or --ramp the
    /// load is unthrottled.
    #[arg(long, value_delimiter = ',', conflicts_with = "ramp")]
    pub rate: Vec<String>,
    /// Ramp the rate up every --step-interval until p99 latency exceeds --max-p99, errors
    /// appear, or the server falls behind; report the highest sustained rate.
    #[arg(long)]
    pub ramp: bool,
    /// Rate of the first ramp step, lines/s.
    #[arg(long, default_value = "10k")]
    pub ramp_start: String,
    /// Each ramp step's rate is the previous one times this.
    #[arg(long, default_value_t = 1.5)]
    pub ramp_factor: f64,
    /// Highest ramp rate, lines/s.
    #[arg(long, default_value = "10M")]
    pub ramp_max: String,
    /// Length of a ramp step (whole seconds).
    #[arg(long, default_value = "10s")]
    pub step_interval: String,
    /// A ramp step with a p99 request latency above this fails.
    #[arg(long, default_value = "500ms")]
    pub max_p99: String,
    /// A ramp step acknowledging less than this share of its rate fails.
    #[arg(long, default_value_t = 0.9)]
    pub min_ratio: f64,
    /// Measurement length (fixed rate, unthrottled); for --ramp, the longest it may run
    /// (default 10m).
    #[arg(long)]
    pub duration: Option<String>,
    /// Warm-up before the measurement, excluded from the statistics.
    #[arg(long, default_value = "5s")]
    pub warmup: String,
    /// Parallel connections (at most 1024).
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Most lines per request (at most 1000000).
    #[arg(long, default_value_t = 5000)]
    pub batch_lines: usize,
    /// Most bytes per request (5MB, 8MiB, ...; at most 1GiB).
    #[arg(long, default_value = "8MiB")]
    pub batch_bytes: String,
    /// Compress request bodies with gzip.
    #[arg(long)]
    pub gzip: bool,
    /// Timeout of one request.
    #[arg(long, default_value = "30s")]
    pub timeout: String,
    /// Give up retrying a batch after this long.
    #[arg(long, default_value = "30s")]
    pub max_retry_time: String,
    /// After the end, how long requests still in flight may take.
    #[arg(long, default_value = "10s")]
    pub drain: String,
    /// Generate and time everything, send nothing (measures the client alone).
    #[arg(long)]
    pub dry_run: bool,
    /// Write report.json, report.md and chart.svg into this directory.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// No progress, no summary.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `lpconvert bench`; returns the exit status.
pub fn run(args: BenchArgs) -> anyhow::Result<Exit> {
    let args = *args.options;
    let timeout =
        crate::server::check_connection(&args.server, &args.timeout, "bench", args.quiet, false)?;
    let mut config = build_config(&args)?;
    args.create_db.check(&config.target)?;
    if let (Some(dir), Some(from)) = (&args.report, &args.from) {
        // The report files must not be the data or the schema they are made from.
        if dir.is_dir() {
            // Each written through FILE.tmp: neither may be the data.
            let outs: Vec<(String, PathBuf)> = bench_report::file_names()
                .iter()
                .flat_map(|f| lpconvert_send::output::report_outputs(&dir.join(f)))
                .collect();
            let ins = lpconvert_send::output::with_schema(
                &[from.display().to_string()],
                args.schema.as_deref(),
            );
            lpconvert_send::output::check_outputs(&ins, &outs).map_err(anyhow::Error::msg)?;
        }
    }
    if let Some(dir) = &args.report {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the report directory {}", dir.display()))?;
        bench_report::check_dir_writable(dir)?;
    }
    // SIGINT, SIGTERM, SIGHUP: stop sending, wait for the requests in flight (--drain), write
    // the reports of what was measured, exit 128 + signal. A second signal exits at once.
    let cancel = std::sync::Arc::new(AtomicBool::new(false));
    signals::install().context("cannot install the signal handlers")?;
    config.cancel = Some(std::sync::Arc::clone(&cancel));
    let server = if args.dry_run {
        ServerInfo::default()
    } else {
        let endpoint = config.target.endpoint()?;
        probe(&endpoint.server, endpoint.authorization.as_deref(), timeout)
    };
    let transport =
        crate::server::transport(args.dry_run, &config.target, timeout, config.concurrency)?;
    if let Err(e) = args
        .create_db
        .create(&config.target, transport.as_ref(), args.dry_run)
    {
        note!("lpconvert bench: {e}");
        return Ok(Exit::Stopped);
    }
    let live = LiveCounters::default();
    let clock = SystemClock;
    let timeline = bench::timeline_for(&config, &clock);
    let done = AtomicBool::new(false);
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let started_wall = SystemTime::now();
    let result = std::thread::scope(|scope| {
        // Without this thread the run goes on, without a progress bar.
        if show_progress {
            let _ = std::thread::Builder::new()
                .name("progress".into())
                .spawn_scoped(scope, || progress(&timeline, &live, &done, &clock));
        }
        let _ = std::thread::Builder::new()
            .name("signals".into())
            .spawn_scoped(scope, || {
                while !done.load(Ordering::Relaxed) {
                    if signals::received() != 0 {
                        cancel.store(true, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
        let r = bench::run(&config, transport.as_ref(), &clock, &live, &timeline);
        done.store(true, Ordering::Relaxed);
        r
    })?;
    let mut result = result;
    let signal = signals::received();
    if signal != 0 {
        result.ending = Ending::GaveUp {
            message: format!(
                "interrupted by {}: stopped sending; the reports cover what was measured until then",
                signals::name(signal)
            ),
        };
    }
    let exit = if signal != 0 {
        Exit::Signal(signal)
    } else {
        Exit::from(result.outcome())
    };
    let info = RunInfo {
        lpconvert_version: env!("CARGO_PKG_VERSION").to_owned(),
        command_line: command_line(),
        started_unix_s: started_wall
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64()),
        workload: config.describe_workload(&args.interval, args.from.as_deref()),
        mode: config.describe_mode(),
        server,
        write_url: config
            .target
            .endpoint()
            .map(|e| e.display_url)
            .unwrap_or_default(),
        config: config.clone(),
        dry_run: args.dry_run,
        signal,
        exit_code: exit.code(),
    };
    if let Some(dir) = &args.report {
        bench_report::write_all(dir, &info, &result)?;
    }
    if !args.quiet {
        print_summary(&info, &result, args.report.as_ref());
    } else if let Ending::Fatal { message, .. } | Ending::GaveUp { message } = &result.ending {
        note!("lpconvert bench: {message}");
    }
    Ok(exit)
}

fn build_config(args: &BenchOptions) -> anyhow::Result<BenchConfig> {
    let (workload, precision) = load_workload(args)?;
    let target = args.server.target(precision)?;
    let batch_bytes = sending_limits(args.concurrency, args.batch_lines, &args.batch_bytes)?;
    let whole_secs = |name: &str, text: &str| -> anyhow::Result<Duration> {
        let d = parse_duration(text).with_context(|| name.to_string())?;
        Ok(Duration::from_secs(d.as_secs()))
    };
    let lines_rate = |name: &str, text: &str| -> anyhow::Result<f64> {
        match parse_rate(text).with_context(|| name.to_string())? {
            Rate::Lines(v) if v > 0.0 => Ok(v),
            _ => bail!("{name} `{text}`: expected a positive rate in lines/s (10000, 10k)"),
        }
    };
    let mode = if args.ramp {
        let step = whole_secs("--step-interval", &args.step_interval)?;
        if step.is_zero() {
            bail!("--step-interval must be at least 1s");
        }
        if !(args.ramp_factor > 1.0 && args.ramp_factor.is_finite()) {
            bail!("--ramp-factor must be above 1 (1.5 adds half each step)");
        }
        if !(0.0..=1.0).contains(&args.min_ratio) {
            bail!("--min-ratio must be between 0 and 1");
        }
        Mode::Ramp(RampConfig {
            start: lines_rate("--ramp-start", &args.ramp_start)?,
            factor: args.ramp_factor,
            max_rate: lines_rate("--ramp-max", &args.ramp_max)?,
            step,
            max_p99: parse_duration(&args.max_p99).context("--max-p99")?,
            min_ratio: args.min_ratio,
        })
    } else if args.rate.is_empty() {
        Mode::Unthrottled
    } else {
        let mut rates = Vec::new();
        for r in &args.rate {
            rates.push(parse_rate(r).context("--rate")?);
        }
        Mode::Rate(rates)
    };
    let default_duration = if args.ramp { "10m" } else { "60s" };
    let duration = whole_secs(
        "--duration",
        args.duration.as_deref().unwrap_or(default_duration),
    )?;
    if duration.is_zero() {
        bail!("--duration must be at least 1s");
    }
    let nanos = i128::from(precision.nanos());
    let start_ns = parse_start(&args.start)?;
    let interval_ns = parse_duration(&args.interval)
        .context("--interval")?
        .as_nanos();
    let interval = i64::try_from(interval_ns / nanos as u128).unwrap_or(i64::MAX);
    if interval < 1 {
        bail!(
            "--interval `{}` is below one unit of the precision",
            args.interval
        );
    }
    Ok(BenchConfig {
        target,
        workload,
        seed: args.seed,
        clocking: Clocking {
            start: i64::try_from(start_ns / nanos).unwrap_or(i64::MAX),
            interval,
        },
        batch_lines: args.batch_lines,
        batch_bytes: usize::try_from(batch_bytes.max(1)).unwrap_or(usize::MAX),
        gzip: args.gzip,
        concurrency: args.concurrency,
        mode,
        warmup: whole_secs("--warmup", &args.warmup)?,
        duration,
        retry: RetryPolicy {
            max_elapsed: parse_duration(&args.max_retry_time).context("--max-retry-time")?,
            ..RetryPolicy::default()
        },
        drain: parse_duration(&args.drain).context("--drain")?,
        cancel: None,
    })
}

/// `now`, `now-7d`, `now+1h`, or epoch nanoseconds.
fn parse_start(text: &str) -> anyhow::Result<i128> {
    let t = text.trim();
    if let Ok(ns) = t.parse::<i64>() {
        return Ok(i128::from(ns));
    }
    let Some(rest) = t.strip_prefix("now") else {
        bail!("--start `{text}`: expected now, now-DURATION (now-7d) or epoch nanoseconds");
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128);
    // Whole seconds, so that two runs a moment apart differ only by whole seconds.
    let now = now - now % 1_000_000_000;
    let offset = match rest.trim() {
        "" => 0,
        r => {
            let (sign, d) = match r.split_at(1) {
                ("-", d) => (-1, d),
                ("+", d) => (1, d),
                _ => bail!("--start `{text}`: expected now-DURATION or now+DURATION"),
            };
            sign * parse_signed_duration_ns(d).context("--start")?
        }
    };
    Ok(now + offset)
}

/// The workload and the precision of its timestamps.
/// Most series of a generated workload (`--hosts`): their keys are built up front.
const MAX_HOSTS: u64 = 1_000_000;

fn load_workload(args: &BenchOptions) -> anyhow::Result<(WorkloadSpec, Precision)> {
    let Some(path) = &args.from else {
        check_range(
            "--hosts",
            args.hosts as u64,
            MAX_HOSTS,
            &MAX_HOSTS.to_string(),
        )?;
        let spec = match args.workload.as_str() {
            "home" => WorkloadSpec::Home { rooms: args.hosts },
            _ => WorkloadSpec::Cpu { hosts: args.hosts },
        };
        return Ok((spec, Precision::Ns));
    };
    if args.sample_lines == 0 {
        bail!("--sample-lines must be at least 1");
    }
    let (data, precision) = match &args.schema {
        None => {
            let precision = lpconvert_send::dialect::parse_precision(&args.precision)
                .with_context(|| {
                    format!("--precision `{}`: expected ns, us, ms or s", args.precision)
                })?;
            (crate::inputs::read_sample(path)?, precision)
        }
        Some(schema) => crate::bench_from::convert_sample(path, schema, args.sample_lines)?,
    };
    let set = LineSet::parse(data, args.sample_lines).map_err(|e| {
        // A message quoting a long line is cut: it is read by a person.
        let text = e.to_string();
        let cut: String = text.chars().take(500).collect();
        let more = if cut.len() < text.len() { "..." } else { "" };
        anyhow::anyhow!("{}: {cut}{more}", path.display())
    })?;
    if set.is_empty() {
        bail!("{}: no line protocol lines to send", path.display());
    }
    Ok((WorkloadSpec::Lines(set), precision))
}

/// The command line as typed, shell-quoted where needed.
/// The command line, quoted for a shell, with credentials in URLs redacted (`--url
/// http://user:PASSWORD@host` is stored in the report).
fn command_line() -> String {
    std::env::args()
        .map(|a| lpconvert_send::dialect::redact_url(&a))
        .map(|a| {
            if !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./:=,+@%".contains(&b))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One status line per second on a terminal.
fn progress(timeline: &Timeline, live: &LiveCounters, done: &AtomicBool, clock: &dyn Clock) {
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}") {
        bar.set_style(style);
    }
    while !done.load(Ordering::Relaxed) {
        timeline.tick(clock.now(), live);
        if let Some(s) = timeline.last_sample() {
            let target = s
                .target_lines_per_s
                .map(|t| format!(" (asked {t:.0})"))
                .unwrap_or_default();
            bar.set_message(format!(
                "{}: {:.0} lines/s acked{target}, {:.1} MB/s, p99 {:.1} ms, {} errors; {} lines acked in all",
                s.phase.label(),
                s.counts.acked_lines as f64 / s.duration_s.max(1e-9),
                s.counts.acked_bytes as f64 / 1e6 / s.duration_s.max(1e-9),
                s.latency.p99_ms,
                s.errors(),
                LiveCounters::get(&live.lines_acked),
            ));
        }
        bar.tick();
        std::thread::sleep(Duration::from_millis(200));
    }
    bar.finish_and_clear();
}

fn print_summary(info: &RunInfo, r: &BenchResult, report: Option<&PathBuf>) {
    let what = if info.dry_run {
        "bench (dry run, nothing sent)"
    } else {
        "bench"
    };
    for line in bench_report::summary_lines(info, r) {
        note!("lpconvert {what}: {line}");
    }
    if let Some(dir) = report {
        note!(
            "lpconvert {what}: report written to {}/{{report.json,report.md,chart.svg}}",
            dir.display().to_string().trim_end_matches('/')
        );
    }
}
