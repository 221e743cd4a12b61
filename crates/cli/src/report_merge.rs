//! `lpconvert report merge REPORT.json...`: the JSON reports of a job's shards (convert or
//! replay `--report`) as one: counts summed, throughput over the job's wall span (first start
//! to last end), latency percentiles from the merged histograms (never averaged), and the exit
//! status of the whole job, the worst of the shards'. Reports of different jobs, a missing
//! shard or a shard given twice are refused (exit 2).

use crate::exit::Exit;
use anyhow::{bail, Context};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

/// `lpconvert report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: ReportCommand,
}

/// What `lpconvert report` does.
#[derive(clap::Subcommand, Debug)]
pub enum ReportCommand {
    /// Merge the JSON reports of a job's shards (convert --report, replay --report) into one
    /// summary; exits with the whole job's status (the worst shard's).
    Merge(MergeArgs),
}

/// Options of `lpconvert report merge`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// The reports, one per shard (any order).
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,
    /// Also write the merged report here (JSON).
    #[arg(short, long, value_name = "FILE.json")]
    pub output: Option<PathBuf>,
}

/// Fields that are not counts: never summed.
const NOT_COUNTS: &[&str] = &["exit_code", "started_unix_ms", "finished_unix_ms", "signal"];

/// Runs `lpconvert report`.
pub fn run(a: ReportArgs) -> anyhow::Result<Exit> {
    let ReportCommand::Merge(m) = a.command;
    // The merged report (and the REPORT.tmp it is written through) is no shard's report.
    if let Some(path) = &m.output {
        let inputs: Vec<String> = m.reports.iter().map(|p| p.display().to_string()).collect();
        let outs: Vec<(String, PathBuf)> = lpconvert_send::output::report_outputs(path)
            .into_iter()
            .map(|(option, p)| (option.replace("--report", "--output"), p))
            .collect();
        lpconvert_send::output::check_outputs(&inputs, &outs).map_err(anyhow::Error::msg)?;
    }
    let mut reports = Vec::new();
    for path in &m.reports {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let v: Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a JSON report", path.display()))?;
        reports.push((path.display().to_string(), v));
    }
    let merged = merge(&reports)?;
    let code = merged["exit_code"].as_u64().unwrap_or(2);
    if let Some(path) = &m.output {
        crate::shard::write(path, &merged).map_err(|e| anyhow::anyhow!("--output: {e:#}"))?;
    }
    // A reader that closed standard output (`| head -1`) read enough: the status is still
    // the job's.
    let printed = writeln!(std::io::stdout().lock(), "{}", summary_text(&merged));
    if let Err(e) = printed.and_then(|()| std::io::stdout().flush()) {
        if !crate::exit::is_closed(&e) {
            return Err(crate::exit::stdout_error(e));
        }
    }
    Ok(match code {
        0 => Exit::Ok,
        1 => Exit::Stopped,
        3 => Exit::Partial,
        c if c > 128 => Exit::Signal(i32::try_from(c - 128).unwrap_or(0)),
        _ => Exit::Error,
    })
}

/// What a report says of its job and shard.
struct Stamp<'a> {
    command: &'a str,
    job: &'a str,
    index: u64,
    count: u64,
}

fn stamp_of<'a>(name: &str, v: &'a Value) -> anyhow::Result<Stamp<'a>> {
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    let n = |k: &str| {
        v.get("shard")
            .and_then(|x| x.get(k))
            .and_then(Value::as_u64)
    };
    match (s("command"), s("job"), n("index"), n("count")) {
        (Some(command), Some(job), Some(index), Some(count)) => Ok(Stamp {
            command,
            job,
            index,
            count,
        }),
        _ => bail!(
            "{name}: not a report of a job's shard (no command, job or shard): give the files \
             written by `lpconvert convert --report` or `lpconvert replay --report`"
        ),
    }
}

/// How bad an exit status is for the job: 0 < 3 (some rejected or refused) < 128+N
/// (interrupted) < 1 (stopped short) < 2 (error).
fn severity(code: u64) -> u8 {
    match code {
        0 => 0,
        3 => 1,
        c if c > 128 => 2,
        1 => 3,
        _ => 4,
    }
}

/// The merged report of `reports` (name, JSON), or why they cannot be merged.
pub fn merge(reports: &[(String, Value)]) -> anyhow::Result<Value> {
    let Some((first_name, first)) = reports.first() else {
        bail!("no report given");
    };
    let head = stamp_of(first_name, first)?;
    let mut seen: BTreeMap<u64, &str> = BTreeMap::new();
    for (name, v) in reports {
        let s = stamp_of(name, v)?;
        if s.job != head.job || s.command != head.command || s.count != head.count {
            bail!(
                "{name} is from another job ({} {}, {} shards) than {first_name} ({} {}, {} \
                 shards): merge the reports of one job",
                s.command,
                s.job,
                s.count,
                head.command,
                head.job,
                head.count
            );
        }
        if v.get("dry_run") != first.get("dry_run") {
            bail!(
                "{name} and {first_name}: one is a --dry-run (nothing sent), the other not: \
                 merge the reports of one job"
            );
        }
        if s.index == 0 || s.index > s.count {
            bail!("{name}: shard {}/{} is out of range", s.index, s.count);
        }
        if let Some(other) = seen.insert(s.index, name) {
            bail!(
                "shard {}/{} is given twice ({other} and {name}): give one report per shard",
                s.index,
                s.count
            );
        }
    }
    // Every index seen is in 1..=count, so the number missing is the difference; at most
    // the first few are named (a count of 10^18 must not be walked).
    let absent = head.count - seen.len() as u64;
    if absent > 0 {
        let mut missing: Vec<String> = (1..=head.count)
            .filter(|k| !seen.contains_key(k))
            .take(10)
            .map(|k| format!("{k}/{}", head.count))
            .collect();
        if absent > 10 {
            missing.push(format!("and {} more", absent - 10));
        }
        let (s, verb) = if absent == 1 {
            ("", "is")
        } else {
            ("s", "are")
        };
        bail!(
            "shard{s} {} of job {} {verb} missing: every shard's report is needed (rerun a \
             failed shard with the same --shard, and its --checkpoint for a replay)",
            missing.join(", "),
            head.job
        );
    }
    let values: Vec<&Value> = reports.iter().map(|(_, v)| v).collect();
    let mut out = sum_counts(&values)
        .ok_or_else(|| anyhow::anyhow!("the reports' counts overflow: they are not reports"))?;
    let started = values
        .iter()
        .filter_map(|v| v["started_unix_ms"].as_u64())
        .min()
        .unwrap_or(0);
    let finished = values
        .iter()
        .filter_map(|v| v["finished_unix_ms"].as_u64())
        .max()
        .unwrap_or(started);
    let secs = (finished.saturating_sub(started)) as f64 / 1000.0;
    let code = values
        .iter()
        .map(|v| v["exit_code"].as_u64().unwrap_or(2))
        .max_by_key(|&c| severity(c))
        .unwrap_or(2);
    out.insert("command".into(), head.command.into());
    out.insert("job".into(), head.job.into());
    out.insert("shards".into(), head.count.into());
    out.insert("started_unix_ms".into(), started.into());
    out.insert("finished_unix_ms".into(), finished.into());
    out.insert("elapsed_s".into(), secs.into());
    out.insert("exit_code".into(), code.into());
    out.insert(
        "shard_exit_codes".into(),
        values.iter().map(|v| v["exit_code"].clone()).collect(),
    );
    let per_s = |out: &Map<String, Value>, n: &str| {
        out.get(n).and_then(Value::as_u64).unwrap_or(0) as f64 / secs.max(1e-3)
    };
    let (rows, mb) = (per_s(&out, "rows_read"), per_s(&out, "bytes_read") / 1e6);
    out.insert("mb_per_s".into(), mb.into());
    if head.command == "replay" {
        let lines = per_s(&out, "lines_acknowledged");
        out.insert("lines_per_s".into(), lines.into());
        merge_latency(reports, &mut out)?;
    } else {
        out.insert("rows_per_s".into(), rows.into());
    }
    Ok(Value::Object(out))
}

/// The integer fields of `values` summed (nested objects too, e.g. status counts and a
/// replay's conversion); other fields are left out. `None` when a sum overflows.
fn sum_counts(values: &[&Value]) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    for v in values {
        let Some(obj) = v.as_object() else { continue };
        for (k, x) in obj {
            if NOT_COUNTS.contains(&k.as_str()) || k == "shard" || k == "latency_histogram_us" {
                continue;
            }
            match x {
                Value::Number(n) if n.is_u64() => {
                    let sum = out.get(k).and_then(Value::as_u64).unwrap_or(0);
                    out.insert(k.clone(), sum.checked_add(n.as_u64()?)?.into());
                }
                Value::Object(_) => {
                    let prev = out.remove(k).unwrap_or(Value::Object(Map::new()));
                    out.insert(k.clone(), Value::Object(sum_counts(&[&prev, x])?));
                }
                _ => {}
            }
        }
    }
    Some(out)
}

/// Merges the shards' latency histograms (`[[value_us, count], ...]`, one count per request)
/// and reads the percentiles from the merged one; a histogram that does not hold its
/// report's requests is refused.
fn merge_latency(reports: &[(String, Value)], out: &mut Map<String, Value>) -> anyhow::Result<()> {
    use lpconvert_send::stats::{RequestStats, MAX_LATENCY_US};
    // Send's own histogram and percentiles, as replay's summary reads them.
    let mut stats = RequestStats::default();
    for (name, v) in reports {
        let requests = v["requests"].as_u64();
        let held = v["latency_histogram_us"].as_array().map(|b| {
            b.iter()
                .try_fold(0u64, |sum, b| sum.checked_add(b[1].as_u64().unwrap_or(0)))
        });
        if let (Some(requests), Some(held)) = (requests, held) {
            if held != Some(requests) {
                bail!(
                    "{name}: its latency_histogram_us does not hold its {requests} requests: \
                     the report was changed or cut"
                );
            }
        }
        let Some(buckets) = v["latency_histogram_us"].as_array() else {
            bail!(
                "a replay report has no latency_histogram_us: it was written by an older lpconvert"
            );
        };
        for b in buckets {
            let (Some(value), Some(count)) = (b[0].as_u64(), b[1].as_u64()) else {
                bail!("latency_histogram_us: expected [value, count] pairs");
            };
            (stats.latency_us)
                .record_n(value.clamp(1, MAX_LATENCY_US), count)
                .map_err(|e| anyhow::anyhow!("latency histogram: {e}"))?;
        }
    }
    let p = lpconvert_send::Percentiles::of(&stats);
    out.insert(
        "latency_ms".into(),
        serde_json::json!({
            "count": p.count,
            "p50": p.p50_ms,
            "p90": p.p90_ms,
            "p99": p.p99_ms,
            "p999": p.p999_ms,
            "max": p.max_ms,
        }),
    );
    out.insert(
        "latency_histogram_us".into(),
        crate::shard::histogram_json(&stats.latency_us),
    );
    Ok(())
}

/// The merged report as a few lines of text.
fn summary_text(m: &Value) -> String {
    let n = |k: &str| crate::inputs::thousands(m[k].as_u64().unwrap_or(0));
    let f = |k: &str| m[k].as_f64().unwrap_or(0.0);
    let mut text = format!(
        "job {} ({}, {} shards): exit {} (shards: {})\n",
        m["job"].as_str().unwrap_or(""),
        m["command"].as_str().unwrap_or(""),
        n("shards"),
        m["exit_code"],
        m["shard_exit_codes"]
    );
    if m["command"] == "replay" {
        let l = &m["latency_ms"];
        text += &format!(
            "lines read {}, acknowledged {}, refused {}, pending {}; {:.1} MB in {:.2}s wall \
             ({:.0} lines/s, {:.1} MB/s)\nlatency p50 {} ms, p90 {} ms, p99 {} ms, max {} ms \
             ({} requests, merged histograms)",
            n("lines_read"),
            n("lines_acknowledged"),
            n("lines_refused"),
            n("lines_pending"),
            f("bytes_read") / 1e6,
            f("elapsed_s"),
            f("lines_per_s"),
            f("mb_per_s"),
            l["p50"],
            l["p90"],
            l["p99"],
            l["max"],
            l["count"]
        );
    } else {
        text += &format!(
            "rows read {}, converted {}, lines written {}, skipped {}, rejected {}; {} files; \
             {:.1} MB in {:.2}s wall ({:.0} rows/s, {:.1} MB/s)",
            n("rows_read"),
            n("rows_converted"),
            n("lines_written"),
            n("rows_skipped"),
            n("rows_rejected"),
            n("files_owned"),
            f("bytes_read") / 1e6,
            f("elapsed_s"),
            f("rows_per_s"),
            f("mb_per_s")
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::merge;
    use serde_json::{json, Value};

    fn replay(k: u64, dry_run: bool, requests: u64, histogram: Value) -> (String, Value) {
        let report = json!({
            "command": "replay", "job": "j", "shard": {"index": k, "count": 2},
            "dry_run": dry_run, "lines_read": 10, "lines_acknowledged": 10,
            "requests": requests, "latency_histogram_us": histogram, "exit_code": 0,
        });
        (format!("r{k}.json"), report)
    }

    #[test]
    fn merge_refuses_a_dry_run_among_real_shards() {
        let one = replay(1, true, 1, json!([[5, 1]]));
        let two = replay(2, false, 1, json!([[7, 1]]));
        let e = merge(&[one.clone(), two]).unwrap_err().to_string();
        assert!(e.contains("--dry-run"), "{e}");
        let two = replay(2, true, 1, json!([[7, 1]]));
        assert_eq!(merge(&[one, two]).unwrap()["lines_acknowledged"], 20);
    }

    #[test]
    fn merge_names_a_few_missing_shards_of_a_huge_count() {
        let mut one = replay(1, false, 1, json!([[5, 1]]));
        one.1["shard"]["count"] = json!(1_000_000_000_000_000_000u64);
        let e = merge(&[one]).unwrap_err().to_string();
        assert!(e.contains("and 999999999999999989 more"), "{e}");
    }

    #[test]
    fn merge_refuses_a_tampered_histogram_or_overflowing_counts() {
        let one = replay(1, false, 1, json!([[5, 1]]));
        let huge = u64::MAX / 2 + 1;
        let two = replay(2, false, 1, json!([[5, huge], [6, huge]]));
        let e = merge(&[one.clone(), two]).unwrap_err().to_string();
        assert!(e.contains("does not hold"), "{e}");
        let two = replay(2, false, 3, json!([[5, 1]]));
        assert!(merge(&[one.clone(), two]).is_err());
        let mut two = replay(2, false, 1, json!([[9, 1]]));
        two.1["lines_read"] = u64::MAX.into();
        let e = merge(&[one, two]).unwrap_err().to_string();
        assert!(e.contains("overflow"), "{e}");
    }
}
