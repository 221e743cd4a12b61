//! `--shard K/N` (and `--shards N` with the index a scheduler sets) for convert, check and
//! replay: which shard this run is, its part of the inputs, and the job identity and shard
//! its JSON report carries for `lpconvert report merge`.

use anyhow::{bail, Context};
use lpconvert_engine::input::fnv1a;
use lpconvert_engine::shard::{Part, Shard};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The variable read for `K/N` when neither `--shard` nor `--shards` is given.
pub const SHARD_VAR: &str = "LPCONVERT_SHARD";
/// The 0-based index variables read with `--shards N`, in order: Kubernetes Indexed Jobs,
/// Slurm job arrays (the task ID as it is: `SLURM_ARRAY_TASK_MIN` is the smallest ID of the
/// array as submitted, which a resubmitted task, `--array=11`, would take for shard 1).
const INDEX_VARS: [&str; 2] = ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"];

/// The sharding options of convert, check and replay.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ShardArgs {
    /// Take only the K-th of N deterministic parts of the inputs (K from 1 to N): whole
    /// files, or byte ranges of a large file cut at record boundaries; the N parts together
    /// are the whole job. Also read from LPCONVERT_SHARD.
    #[arg(long, value_name = "K/N", conflicts_with = "shards")]
    pub shard: Option<String>,
    /// N shards, this run's index (0-based) read from JOB_COMPLETION_INDEX (Kubernetes
    /// Indexed Job) or SLURM_ARRAY_TASK_ID (Slurm job array): runs shard index+1 of N.
    #[arg(long, value_name = "N")]
    pub shards: Option<u64>,
}

impl ShardArgs {
    /// The shard this run is: `--shard`, else `--shards` with the scheduler's index, else
    /// `LPCONVERT_SHARD`; `None` without any (the whole job).
    pub fn resolve(&self) -> anyhow::Result<Option<Shard>> {
        if let Some(s) = &self.shard {
            return Shard::parse(s)
                .map(Some)
                .map_err(|e| anyhow::anyhow!("--shard {e}"));
        }
        if let Some(n) = self.shards {
            let Some((var, value)) = INDEX_VARS
                .iter()
                .find_map(|v| std::env::var(v).ok().map(|x| (*v, x)))
            else {
                bail!(
                    "--shards {n}: no shard index: set JOB_COMPLETION_INDEX or \
                     SLURM_ARRAY_TASK_ID (0-based), or give --shard K/N"
                );
            };
            let index: u64 = value.trim().parse().map_err(|_| {
                anyhow::anyhow!("--shards {n}: {var}={value:?} is not a shard index (0, 1, ...)")
            })?;
            return Shard::new(index.saturating_add(1), n)
                .map(Some)
                .map_err(|e| anyhow::anyhow!("--shards {n} with {var}={value}: {e}"));
        }
        match std::env::var(SHARD_VAR) {
            Ok(v) if !v.trim().is_empty() => Shard::parse(&v)
                .map(Some)
                .map_err(|e| anyhow::anyhow!("{SHARD_VAR} {e}")),
            _ => Ok(None),
        }
    }
}

/// A sharded run: its shard's part of the inputs.
pub fn part(
    shard: Option<Shard>,
    inputs: &[String],
    splittable: impl Fn(&str) -> bool,
) -> anyhow::Result<Option<Part>> {
    let Some(shard) = shard else {
        return Ok(None);
    };
    let inputs = crate::shared::inputs_or_stdin(inputs);
    Part::assign(&inputs, shard, splittable)
        .map(Some)
        .map_err(anyhow::Error::msg)
}

/// What a run's report says about the job it is part of.
#[derive(Debug, Clone)]
pub struct JobStamp {
    /// The command (`convert`, `check`, `replay`).
    pub command: &'static str,
    /// The job identity: the same for every shard of one job.
    pub job: String,
    /// This run's shard (`None`: the whole job, as 1/1).
    pub shard: Option<Shard>,
    /// The inputs this shard owns (each input is owned by exactly one shard).
    pub files: u64,
}

static STAMP: OnceLock<JobStamp> = OnceLock::new();

impl JobStamp {
    /// The stamp of a run of `command` over `inputs` (with their sizes) with `what` (the
    /// schema's text, the target): the identity leaves the shard's index out.
    pub fn new(
        command: &'static str,
        inputs: &[String],
        what: &[&[u8]],
        shard: Option<Shard>,
        part: Option<&Part>,
    ) -> JobStamp {
        let mut text = format!("lpconvert job v1\n{command}\n").into_bytes();
        for w in what {
            text.extend_from_slice(&(w.len() as u64).to_le_bytes());
            text.extend_from_slice(w);
        }
        for (i, p) in inputs.iter().enumerate() {
            let size = part
                .and_then(|pt| pt.sizes.get(i).copied())
                .or_else(|| std::fs::metadata(p).ok().map(|m| m.len()))
                .unwrap_or(0);
            text.extend_from_slice(format!("{p}\0{size}\n").as_bytes());
        }
        text.extend_from_slice(format!("shards {}", shard.map_or(1, |s| s.count)).as_bytes());
        JobStamp {
            command,
            job: format!("{:016x}", fnv1a(&text)),
            shard,
            files: part.map_or(inputs.len().max(1), Part::owned) as u64,
        }
    }

    /// Keeps this stamp for the run's report ([`stamp`]).
    pub fn keep(self) {
        let _ = STAMP.set(self);
    }
}

/// Adds the job, the shard and the wall span (ending now, `elapsed` long) to a report.
pub fn stamp(report: &mut serde_json::Value, elapsed: Duration) {
    let Some(s) = STAMP.get() else {
        return;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    report["command"] = s.command.into();
    report["job"] = s.job.clone().into();
    report["shard"] = serde_json::json!({
        "index": s.shard.map_or(1, |x| x.index),
        "count": s.shard.map_or(1, |x| x.count),
    });
    report["files_owned"] = s.files.into();
    report["started_unix_ms"] = ms(now.saturating_sub(elapsed)).into();
    report["finished_unix_ms"] = ms(now).into();
}

/// A latency histogram (microseconds) as `[[value, count], ...]` of its recorded buckets:
/// merged exactly by recording each value `count` times into a histogram of the same bounds.
pub fn histogram_json(h: &hdrhistogram::Histogram<u64>) -> serde_json::Value {
    h.iter_recorded()
        .map(|v| serde_json::json!([v.value_iterated_to(), v.count_at_value()]))
        .collect::<Vec<_>>()
        .into()
}

/// Writes a report to `path` (whole, through `FILE.tmp`).
pub fn write(path: &std::path::Path, report: &serde_json::Value) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    lpconvert_send::output::write_whole(path, (text + "\n").as_bytes())
        .with_context(|| format!("--report {}", path.display()))
}

/// The report of a conversion or check (`--report FILE.json`): its counters, wall time and
/// exit status, stamped with the job and shard.
pub fn counters_report(
    c: &lpconvert_engine::Counters,
    elapsed: Duration,
    code: crate::exit::Exit,
) -> serde_json::Value {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let mut report = serde_json::json!({
        "rows_read": c.rows,
        "rows_converted": c.written,
        "lines_written": c.lines,
        "rows_skipped": c.skipped,
        "rows_rejected": c.rejected,
        "bytes_read": c.bytes,
        "elapsed_s": elapsed.as_secs_f64(),
        "rows_per_s": c.rows as f64 / secs,
        "mb_per_s": c.bytes as f64 / 1e6 / secs,
        "exit_code": code.code(),
    });
    stamp(&mut report, elapsed);
    report
}
