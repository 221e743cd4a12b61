//! `lpconvert verify`: does the server hold every point of the inputs? Counts the inputs'
//! points per measurement and time bucket, asks the server for the same buckets, reports the
//! buckets that differ; `--repair` sends exactly the missing points and verifies again. The
//! logic is `lpconvert_send::verify`; this is options, the passes over the inputs
//! (`verify_inputs`), messages, the report and the exit status. `replay --verify` calls
//! [`after_replay`].

use crate::exit::Exit;
use crate::server::ServerArgs;
use crate::verify_inputs::{count, missing_lines, InputOptions, ReadCounts};
use anyhow::{bail, Context};
use lpconvert_engine::Overrides;
use lpconvert_send::batch::BatchLimits;
use lpconvert_send::clock::SystemClock;
use lpconvert_send::input::{Source, StreamInput};
use lpconvert_send::retry::RetryPolicy;
use lpconvert_send::timeshift::TimeMode;
use lpconvert_send::verify::{
    self, Expected, Grid, KeyHasher, Missing, ServerKind, Store, Verification,
};
use lpconvert_send::{LiveCounters, ReplayConfig, Transport};
use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Options of `lpconvert verify` (boxed: the option set is large next to other commands').
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    options: Box<VerifyOptions>,
}

/// The options themselves.
#[derive(clap::Args, Debug)]
struct VerifyOptions {
    /// Line-protocol files (`.gz` and `.zst` are decompressed), or CSV/NDJSON with --schema;
    /// a directory or a quoted glob stands for the files below it, as for replay; none or
    /// `-` reads stdin (not with --repair, which reads the inputs twice).
    #[arg(value_name = "INPUT")]
    inputs: Vec<String>,
    #[command(flatten)]
    server: ServerArgs,
    /// The server: influxdb1 (InfluxQL), influxdb3 (SQL), victoriametrics (export);
    /// influxdb2 (Flux) is not implemented yet.
    #[arg(long, value_parser = ["influxdb1", "influxdb2", "influxdb3", "victoriametrics"])]
    target: String,
    #[command(flatten)]
    check: CheckArgs,
    /// Precision of the timestamps in the input: ns, us, ms or s (default ns; with --schema,
    /// the schema's, which this overrides).
    #[arg(long)]
    precision: Option<String>,
    /// Convert CSV/NDJSON inputs with this schema, as `replay --schema` does.
    #[arg(long)]
    schema: Option<PathBuf>,
    /// With --schema: override the schema's input format.
    #[arg(long, requires = "schema", value_parser = ["csv", "ndjson"])]
    format: Option<String>,
    /// With --schema: override the schema's bad-row policy (as given to replay).
    #[arg(long, requires = "schema", value_parser = ["fail", "skip"])]
    on_error: Option<String>,
    /// Timeout of one request.
    #[arg(long, default_value = "60s")]
    timeout: String,
    /// Write the result as JSON to this file.
    #[arg(long, value_name = "FILE.json")]
    report: Option<PathBuf>,
    /// No summary (the differing buckets are still printed).
    #[arg(short, long)]
    quiet: bool,
}

/// What verify and `replay --verify` share: the buckets and the repair.
#[derive(clap::Args, Debug, Clone)]
pub struct CheckArgs {
    /// Time bucket of the comparison (Go-style duration, a whole number of milliseconds).
    #[arg(long, default_value = "1h", value_name = "DURATION")]
    bucket_size: String,
    /// Send the points missing from each bucket that falls short (never the whole bucket),
    /// then verify again. Extra points are reported, never deleted.
    #[arg(long)]
    repair: bool,
    /// Parallel connections of the repair.
    #[arg(long, default_value_t = 2, value_name = "N")]
    repair_concurrency: usize,
}

impl CheckArgs {
    /// Whether any of these options differs from its default.
    pub fn given(&self) -> bool {
        self.repair || self.bucket_size != "1h" || self.repair_concurrency != 2
    }
}

/// Everything one verification needs.
struct Job<'a> {
    inputs: InputOptions<'a>,
    server: &'a ServerArgs,
    kind: ServerKind,
    check: &'a CheckArgs,
    timeout: Duration,
    /// Prefix of messages.
    who: &'static str,
    quiet: bool,
}

/// What a verification found, and what its repair did.
pub struct Outcome {
    read: ReadCounts,
    first: Verification,
    repair: Option<Repair>,
    /// Seconds counting the inputs, and querying the server the first time.
    timings: (f64, f64),
}

struct Repair {
    /// Points sent, and lines they were sent in.
    points: u64,
    lines: u64,
    /// Acknowledged lines.
    acked: u64,
    after: Verification,
}

impl Outcome {
    /// The last verification (after the repair, if any).
    pub fn last(&self) -> &Verification {
        self.repair.as_ref().map_or(&self.first, |r| &r.after)
    }

    /// Points verified: expected and found.
    pub fn verified(&self) -> u64 {
        let v = self.last();
        v.expected - v.missing
    }
}

/// Runs `lpconvert verify`; returns the exit status.
pub fn run(a: VerifyArgs) -> anyhow::Result<Exit> {
    let mut a = *a.options;
    // Directories and quoted globs stand for the files below them, as for replay.
    let accept = crate::inputs::sent_accepts(a.schema.as_deref(), a.format.as_deref());
    a.inputs = crate::inputs::list(&a.inputs, &crate::inputs::ListArgs::default(), accept)?;
    let env_precision =
        a.precision.is_none() && a.schema.is_none() && crate::server::env_precision().is_some();
    let timeout =
        crate::server::check_connection(&a.server, &a.timeout, "verify", a.quiet, env_precision)?;
    // Before anything is read: the report is not an input (nor the schema).
    lpconvert_send::output::check_outputs(
        &lpconvert_send::output::with_schema(
            &crate::shared::inputs_or_stdin(&a.inputs),
            a.schema.as_deref(),
        ),
        &lpconvert_send::output::replay_outputs(None, a.report.as_deref(), None, None),
    )
    .map_err(anyhow::Error::msg)?;
    if let Some(path) = &a.report {
        lpconvert_send::output::check_writable(path)
            .with_context(|| format!("--report {}", path.display()))?;
    }
    let job = Job {
        inputs: InputOptions {
            inputs: &a.inputs,
            schema: a.schema.as_deref(),
            overrides: Overrides {
                format: a.format.as_deref(),
                precision: a.precision.as_deref(),
                on_error: a.on_error.as_deref(),
            },
        },
        server: &a.server,
        kind: server_kind(&a.target)?,
        check: &a.check,
        timeout,
        who: "lpconvert verify",
        quiet: a.quiet,
    };
    let outcome = match job.run() {
        Ok(o) => o,
        Err(e) if e.is::<verify::VerifyError>() => {
            note!("lpconvert verify: {e:#}");
            return Ok(Exit::Stopped);
        }
        Err(e) => return Err(e),
    };
    let code = if outcome.last().matches() {
        Exit::Ok
    } else {
        Exit::Partial
    };
    if let Some(path) = &a.report {
        let mut json = outcome.to_json();
        json["exit_code"] = code.code().into();
        json["target"] = a.target.clone().into();
        let text = serde_json::to_string_pretty(&json)? + "\n";
        lpconvert_send::output::write_whole(path, text.as_bytes())
            .with_context(|| format!("--report {}", path.display()))?;
    }
    Ok(code)
}

/// `replay --verify TARGET`: verifies (and with `--repair`, repairs) the replay's inputs;
/// prints the verified count beside the acknowledged one. The exit status is 3 when points
/// are still missing or extra, else `code`.
pub fn after_replay(
    target: &str,
    check: &CheckArgs,
    (inputs, schema, overrides): (&[String], Option<&std::path::Path>, Overrides<'_>),
    server: &ServerArgs,
    timeout: Duration,
    acknowledged: u64,
    code: Exit,
) -> anyhow::Result<Exit> {
    let job = Job {
        inputs: InputOptions {
            inputs,
            schema,
            overrides,
        },
        server,
        kind: server_kind(target)?,
        check,
        timeout,
        who: "lpconvert replay",
        quiet: false,
    };
    let outcome = match job.run() {
        Ok(o) => o,
        Err(e) => {
            note!("lpconvert replay: --verify: {e:#}");
            return Ok(Exit::Stopped);
        }
    };
    note!(
        "lpconvert replay: {acknowledged} lines acknowledged, {} of {} points verified on the server",
        outcome.verified(),
        outcome.last().expected
    );
    Ok(if outcome.last().matches() {
        code
    } else {
        Exit::Partial
    })
}

fn server_kind(target: &str) -> anyhow::Result<ServerKind> {
    Ok(match target {
        "influxdb1" => ServerKind::Influxdb1,
        "influxdb2" => ServerKind::Influxdb2,
        "influxdb3" => ServerKind::Influxdb3,
        "victoriametrics" => ServerKind::VictoriaMetrics,
        other => {
            bail!("--target `{other}`: expected influxdb1, influxdb2, influxdb3 or victoriametrics")
        }
    })
}

impl Job<'_> {
    fn grid(&self) -> anyhow::Result<Grid> {
        let b = &self.check.bucket_size;
        let bucket_ns = lpconvert_lp::duration::parse_duration(b.as_bytes())
            .map_err(|e| anyhow::anyhow!("--bucket-size `{b}`: {e}"))?;
        if bucket_ns <= 0 || bucket_ns % 1_000_000 != 0 {
            bail!("--bucket-size `{b}` must be a positive whole number of milliseconds (1h, 10m, 500ms)");
        }
        Ok(Grid {
            bucket_ns,
            resolution_ns: self.kind.resolution_ns(),
            precision: self.inputs.precision()?,
            quote_escapes: self.kind == ServerKind::Influxdb1,
        })
    }

    fn run(&self) -> anyhow::Result<Outcome> {
        let grid = self.grid()?;
        if self.check.repair
            && crate::shared::inputs_or_stdin(self.inputs.inputs)
                .iter()
                .any(|i| i == "-")
        {
            bail!("--repair reads the inputs twice: give files, not standard input");
        }
        if self.kind == ServerKind::Influxdb2 {
            bail!("--target influxdb2 is not implemented: the Flux query it needs is in the README (InfluxDB 2 wants it as application/vnd.flux, which the transport does not send)");
        }
        if self.check.repair && !self.kind.reads_points() {
            bail!("--repair needs to read the server's points back: implemented for influxdb1 and victoriametrics");
        }
        let target = self.server.target(grid.precision)?;
        if self.kind == ServerKind::Influxdb1 && target.db.is_none() {
            bail!("--target influxdb1 reads the points back from a database: give --db NAME");
        }
        let endpoint = target.endpoint()?;
        let transport = crate::server::transport(
            false,
            &target,
            self.timeout,
            self.check.repair_concurrency.max(1),
        )?;
        // VictoriaMetrics: metric names, and `db` from --db added to the lines without one.
        let hasher = match self.kind {
            ServerKind::VictoriaMetrics => KeyHasher::victoria_metrics(target.db.as_deref()),
            _ => KeyHasher::new(),
        };
        let started = Instant::now();
        let mut expected = Expected::new(grid);
        let read = count(&self.inputs, &hasher, &mut expected)?;
        let points = expected.finish();
        let counted = started.elapsed().as_secs_f64();
        let store = Store {
            kind: self.kind,
            transport: transport.as_ref(),
            endpoint,
            db: target.db.clone(),
            rp: target.rp.clone(),
            grid,
            hasher: &hasher,
            measurements: points.measurements.iter().map(|(m, _)| m.clone()).collect(),
            db_tags: points.db_tags,
        };
        let started = Instant::now();
        let first = settled(&store, &points, None)?;
        let queried = started.elapsed().as_secs_f64();
        self.print_read(&read);
        self.print_verification(&first, "");
        let repair = if self.check.repair && first.missing > 0 {
            let keys = first
                .diffs
                .iter()
                .flat_map(|d| d.missing_keys.iter().copied());
            let mut missing = Missing::new(keys, grid, &hasher);
            let (body, sent_points) = missing_lines(&self.inputs, &mut missing)?;
            let lines = body.iter().filter(|&&b| b == b'\n').count() as u64;
            let acked = self.send(&target, transport.as_ref(), body)?;
            let after = settled(&store, &points, Some(first.missing))?;
            if !self.quiet {
                note!(
                    "{}: repair sent {sent_points} missing points in {lines} lines, {acked} acknowledged",
                    self.who
                );
            }
            self.print_verification(&after, "after repair: ");
            Some(Repair {
                points: sent_points,
                lines,
                acked,
                after,
            })
        } else {
            None
        };
        Ok(Outcome {
            read,
            first,
            repair,
            timings: (counted, queried),
        })
    }

    /// Sends `body` (whole lines) through the replay pipeline; returns the lines acknowledged.
    fn send(
        &self,
        target: &lpconvert_send::Target,
        transport: &dyn Transport,
        body: Vec<u8>,
    ) -> anyhow::Result<u64> {
        let source = Source::from(StreamInput::new(
            "missing points",
            None,
            Box::new(move || Ok(Box::new(std::io::Cursor::new(body)) as Box<dyn Read + Send>)),
        ));
        let config = ReplayConfig {
            auto_precision: false,
            target: target.clone(),
            sources: vec![source],
            limits: BatchLimits {
                max_lines: 5000,
                max_bytes: 8 << 20,
            },
            gzip: false,
            concurrency: self.check.repair_concurrency.clamp(1, 1024),
            rates: Vec::new(),
            time: TimeMode::Keep,
            pace: None,
            retry: RetryPolicy::default(),
            checkpoint: None,
            checkpoint_interval: Duration::from_millis(250),
            rejects: None,
            dry_run: false,
            flush_interval: None,
            cancel: None,
            shard: None,
        };
        let summary =
            lpconvert_send::run(&config, transport, &SystemClock, &LiveCounters::default())
                .context("--repair")?;
        if summary.lines_acked < summary.lines_read {
            note!(
                "{}: repair: {} of {} lines were not acknowledged",
                self.who,
                summary.lines_read - summary.lines_acked,
                summary.lines_read
            );
        }
        Ok(summary.lines_acked)
    }

    fn print_read(&self, r: &ReadCounts) {
        if self.quiet {
            return;
        }
        let unverifiable = r.no_timestamp + r.out_of_range + r.invalid;
        if unverifiable > 0 {
            note!(
                "{}: {unverifiable} lines cannot be verified: {} without a timestamp (the server gives them its own time), {} with a timestamp out of range, {} invalid",
                self.who,
                r.no_timestamp,
                r.out_of_range,
                r.invalid
            );
            for l in &r.first_invalid {
                note!("{}: invalid {l}", self.who);
            }
        }
    }

    fn print_verification(&self, v: &Verification, when: &str) {
        for d in &v.diffs {
            println!(
                "{when}{}\t{}\texpected {}\tfound {}\tmissing {}\textra {}",
                d.measurement,
                rfc3339(d.start),
                d.expected,
                d.found,
                d.missing,
                d.extra
            );
        }
        if self.quiet {
            return;
        }
        let dup = if v.duplicates > 0 {
            format!(", {} duplicate samples", v.duplicates)
        } else {
            String::new()
        };
        note!(
            "{}: {when}{} points expected in {} buckets of {} measurements, {} found; {} missing, {} extra in {} buckets{dup}",
            self.who,
            v.expected,
            v.buckets,
            v.measurements,
            v.found,
            v.missing,
            v.extra,
            v.diffs.len()
        );
    }
}

/// Verifies. VictoriaMetrics may show series created in the last seconds later, even after
/// its flush (up to about 8 s measured with 1.79, longer on a loaded machine or just after a
/// restart): while points are missing there, asks again after each pause of [`SETTLE`], and
/// stops early once an answer repeats after 4.5 s of pauses (so `--repair` does not send
/// points that were only not yet visible). After a repair (`repaired_from`: the points
/// missing before it), an answer still showing that many missing is not taken as settled:
/// the repair's points were acknowledged, so it asks again, while the answer changes or
/// shows none of them, for up to [`REPAIR_PATIENCE`].
fn settled(
    store: &Store<'_>,
    points: &verify::Points,
    repaired_from: Option<u64>,
) -> anyhow::Result<Verification> {
    let mut v = verify::verify(store, points)?;
    let mut waited = Duration::ZERO;
    let mut pauses = SETTLE.iter().copied().chain(std::iter::repeat(SETTLE[2]));
    while v.missing > 0 && store.kind == ServerKind::VictoriaMetrics {
        let limit = if repaired_from.is_some() {
            REPAIR_PATIENCE
        } else {
            SETTLE.iter().sum()
        };
        let Some(pause) = pauses.next().filter(|_| waited < limit) else {
            break;
        };
        std::thread::sleep(pause);
        waited += pause;
        let again = verify::verify(store, points)?;
        let same = (again.missing, again.extra) == (v.missing, v.extra);
        v = again;
        let still_unseen = repaired_from == Some(v.missing);
        if same && !still_unseen && waited >= Duration::from_millis(4500) {
            break;
        }
    }
    Ok(v)
}

/// The pauses before VictoriaMetrics is asked again.
const SETTLE: [Duration; 3] = [
    Duration::from_millis(1500),
    Duration::from_secs(3),
    Duration::from_secs(5),
];

/// The longest wait for the points a repair sent to show.
const REPAIR_PATIENCE: Duration = Duration::from_secs(30);

/// `ns` as RFC 3339 UTC (`2024-01-01T00:00:00Z`, a fraction when not whole seconds; years
/// 0 to 9999, else `Nns`).
fn rfc3339(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    // 0000-01-01 and 10000-01-01 in seconds since the epoch.
    if !(-62_167_219_200..253_402_300_800).contains(&secs) {
        return format!("{ns}ns");
    }
    let text = lpconvert_bench::datagen::cpu::rfc3339(secs);
    let text = String::from_utf8_lossy(&text);
    if frac == 0 {
        text.into_owned()
    } else {
        format!("{}.{frac:09}Z", text.trim_end_matches('Z'))
    }
}

impl Outcome {
    fn to_json(&self) -> serde_json::Value {
        let r = &self.read;
        let mut json = serde_json::json!({
            "read": {
                "lines": r.lines,
                "points": r.points,
                "no_timestamp": r.no_timestamp,
                "timestamp_out_of_range": r.out_of_range,
                "invalid": r.invalid,
                "first_invalid": r.first_invalid,
                "seconds": self.timings.0,
            },
            "verification": verification_json(&self.first),
            "query_seconds": self.timings.1,
            "matches": self.last().matches(),
            "verified": self.verified(),
        });
        if let Some(rep) = &self.repair {
            json["repair"] = serde_json::json!({
                "points_sent": rep.points,
                "lines_sent": rep.lines,
                "lines_acknowledged": rep.acked,
                "after": verification_json(&rep.after),
            });
        }
        json
    }
}

fn verification_json(v: &Verification) -> serde_json::Value {
    let buckets: Vec<serde_json::Value> = v
        .diffs
        .iter()
        .map(|d| {
            serde_json::json!({
                "measurement": d.measurement,
                "bucket": rfc3339(d.start),
                "bucket_start_ns": d.start,
                "expected": d.expected,
                "found": d.found,
                "missing": d.missing,
                "extra": d.extra,
                "duplicates": d.duplicates,
            })
        })
        .collect();
    serde_json::json!({
        "measurements": v.measurements,
        "buckets": v.buckets,
        "points_expected": v.expected,
        "points_found": v.found,
        "missing": v.missing,
        "extra": v.extra,
        "duplicates": v.duplicates,
        "differing_buckets": buckets,
    })
}
