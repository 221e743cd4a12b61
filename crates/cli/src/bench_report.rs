//! The reports of `lpconvert bench`: `report.json` (every per-second sample, the summary, the
//! command line and the server's version), `report.md` (a table read in ten seconds) and
//! `chart.svg` (see `bench_chart`), plus the summary lines printed at the end.

use anyhow::Context;
use lpconvert_send::bench::probe::ServerInfo;
use lpconvert_send::bench::timeline::{Counts, Percentiles, Period, Sample};
use lpconvert_send::bench::{BenchConfig, BenchResult, Mode};
use lpconvert_send::Ending;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;

/// Facts about the run that the result does not hold.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The command line, shell-quoted.
    pub command_line: String,
    /// Start time, Unix seconds.
    pub started_unix_s: f64,
    /// The workload in words.
    pub workload: String,
    /// The mode in words.
    pub mode: String,
    /// What the server said about itself.
    pub server: ServerInfo,
    /// The write URL (no credentials: they go in headers).
    pub write_url: String,
    /// The configuration.
    pub config: BenchConfig,
    /// Nothing was sent.
    pub dry_run: bool,
    /// The signal that stopped the run, or 0.
    pub signal: i32,
}

impl RunInfo {
    /// The status the process exits with: 128 + the signal after one, else the result's.
    pub fn exit_code(&self, r: &BenchResult) -> u8 {
        if self.signal != 0 {
            u8::try_from(128 + self.signal).unwrap_or(1)
        } else {
            r.exit_code()
        }
    }
}

/// The files written into `--report DIR`.
const REPORT_FILES: [&str; 3] = ["report.json", "report.md", "chart.svg"];

/// Writes `report.json`, `report.md` and `chart.svg` into `dir`.
pub fn write_all(dir: &Path, info: &RunInfo, r: &BenchResult) -> anyhow::Result<()> {
    let json = to_json(info, r);
    let text = serde_json::to_string_pretty(&json)?;
    let svg = crate::bench_chart::render(info, r)?;
    for (name, bytes) in [
        ("report.json", (text + "\n").into_bytes()),
        ("report.md", markdown(info, r).into_bytes()),
        ("chart.svg", svg.into_bytes()),
    ] {
        let p = dir.join(name);
        write_atomically(&p, &bytes).with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

/// Writes `path` through a temporary file renamed over it: a report from an earlier run in
/// the same directory is replaced whole, never left half overwritten.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Fails unless a report can be written into `dir` (checked before anything is sent, so
/// that a run is not measured for nothing).
pub fn check_dir_writable(dir: &Path) -> anyhow::Result<()> {
    for name in REPORT_FILES {
        let p = dir.join(name);
        if p.symlink_metadata().is_ok_and(|m| !m.is_file()) {
            anyhow::bail!(
                "--report {}: {name} exists and is not a regular file: the report cannot replace it",
                dir.display()
            );
        }
    }
    let probe = dir.join(format!(".lpconvert-bench-{}.tmp", std::process::id()));
    std::fs::write(&probe, b"").with_context(|| {
        format!(
            "--report {}: cannot write into this directory",
            dir.display()
        )
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

fn ending_json(e: &Ending) -> (&'static str, Option<String>) {
    match e {
        Ending::Completed => ("completed", None),
        Ending::Fatal { message, .. } => ("fatal", Some(message.clone())),
        Ending::GaveUp { message } => ("gave_up", Some(message.clone())),
    }
}

fn latency_json(l: &Percentiles) -> Value {
    json!({"requests": l.count, "p50": l.p50_ms, "p90": l.p90_ms, "p99": l.p99_ms, "p99_9": l.p999_ms, "max": l.max_ms})
}

fn counts_json(c: &Counts) -> Value {
    json!({
        "sent_lines": c.sent_lines, "sent_fields": c.sent_fields, "sent_bytes": c.sent_bytes,
        "acked_lines": c.acked_lines, "acked_fields": c.acked_fields, "acked_bytes": c.acked_bytes,
        "refused_lines": c.refused_lines, "abandoned_lines": c.abandoned_lines, "retries": c.retries,
    })
}

fn statuses_json(s: &std::collections::BTreeMap<u16, u64>) -> Value {
    Value::Object(
        s.iter()
            .map(|(k, v)| (k.to_string(), (*v).into()))
            .collect(),
    )
}

fn period_json(p: &Period) -> Value {
    let c = &p.counts;
    json!({
        "seconds": p.seconds,
        "counts": counts_json(c),
        "lines_per_s": {"sent": p.per_s(c.sent_lines), "acked": p.per_s(c.acked_lines)},
        "fields_per_s": {"sent": p.per_s(c.sent_fields), "acked": p.per_s(c.acked_fields)},
        "mb_per_s": {"sent": p.per_s(c.sent_bytes) / 1e6, "acked": p.per_s(c.acked_bytes) / 1e6},
        "requests": p.requests.requests,
        "wire_bytes": p.requests.bytes_sent,
        "status_counts": statuses_json(&p.requests.statuses),
        "network_errors": p.requests.network_errors,
        "errors": p.errors(),
        "latency_ms": latency_json(&p.latency()),
    })
}

fn sample_json(s: &Sample) -> Value {
    let d = s.duration_s.max(1e-9);
    let c = &s.counts;
    json!({
        "t": s.second,
        "duration_s": s.duration_s,
        "phase": s.phase.label(),
        "target_lines_per_s": s.target_lines_per_s,
        "lines_per_s": {"sent": c.sent_lines as f64 / d, "acked": c.acked_lines as f64 / d},
        "fields_per_s": {"sent": c.sent_fields as f64 / d, "acked": c.acked_fields as f64 / d},
        "mb_per_s": {"sent": c.sent_bytes as f64 / 1e6 / d, "acked": c.acked_bytes as f64 / 1e6 / d},
        "counts": counts_json(c),
        "requests": s.requests,
        "wire_bytes": s.wire_bytes,
        "status_counts": statuses_json(&s.statuses),
        "network_errors": s.network_errors,
        "errors": s.errors(),
        "latency_ms": latency_json(&s.latency),
    })
}

/// The whole report as JSON.
pub fn to_json(info: &RunInfo, r: &BenchResult) -> Value {
    let (ending, message) = ending_json(&r.ending);
    let c = &info.config;
    let mode = match &c.mode {
        Mode::Rate(_) => json!({"kind": "rate"}),
        Mode::Unthrottled => json!({"kind": "unthrottled"}),
        Mode::Ramp(rc) => json!({
            "kind": "ramp", "start_lines_per_s": rc.start, "factor": rc.factor,
            "max_lines_per_s": rc.max_rate, "step_s": rc.step.as_secs(),
            "max_p99_ms": rc.max_p99.as_secs_f64() * 1000.0, "min_ratio": rc.min_ratio,
        }),
    };
    json!({
        "lpconvert_version": env!("CARGO_PKG_VERSION"),
        "command_line": info.command_line,
        "started_unix_s": info.started_unix_s,
        "dry_run": info.dry_run,
        "server": {
            "url": lpconvert_send::dialect::redact_url(&c.target.url),
            "write_url": info.write_url,
            "product": info.server.product,
            "version": info.server.version,
            "version_source": info.server.source,
        },
        "workload": {
            "description": info.workload,
            "seed": c.seed,
            "start": c.clocking.start,
            "interval": c.clocking.interval,
            "precision_ns": c.target.precision.nanos(),
        },
        "mode": mode,
        "mode_description": info.mode,
        "settings": {
            "concurrency": c.concurrency,
            "batch_lines": c.batch_lines,
            "batch_bytes": c.batch_bytes,
            "gzip": c.gzip,
            "warmup_s": c.warmup.as_secs(),
            "duration_s": c.duration.as_secs(),
        },
        "ending": ending,
        "message": message,
        "exit_code": info.exit_code(r),
        "elapsed_s": r.elapsed.as_secs_f64(),
        "summary": {
            "measured": period_json(&r.measured),
            "total": period_json(&r.total),
            "sender": {
                "requests": r.sender.requests,
                "retries": r.sender.retries,
                "splits": r.sender.splits,
            },
        },
        "saturation": r.saturation.as_ref().map(|s| json!({
            "sustained_lines_per_s": s.sustained_lines_per_s,
            "acked_lines_per_s": s.acked_lines_per_s,
            "p99_ms": s.p99_ms,
            "saturated": s.saturated,
            "reason": s.reason,
        })),
        "steps": r.steps.iter().map(|s| json!({
            "step": s.step,
            "target_lines_per_s": s.target_lines_per_s,
            "acked_lines_per_s": s.acked_lines_per_s,
            "p99_ms": s.p99_ms,
            "errors": s.errors,
            "passed": s.passed,
            "reason": s.reason,
        })).collect::<Vec<_>>(),
        "samples": r.samples.iter().map(sample_json).collect::<Vec<_>>(),
    })
}

/// A number with thousands separators.
pub fn thousands(v: f64) -> String {
    let n = v.round() as i64;
    let s = n.unsigned_abs().to_string();
    let mut rev = String::new();
    for (i, ch) in s.chars().rev().enumerate() {
        if i > 0 && i % 3 == 0 {
            rev.push(',');
        }
        rev.push(ch);
    }
    let out: String = rev.chars().rev().collect();
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn server_name(info: &RunInfo) -> String {
    match (&info.server.product, &info.server.version) {
        (Some(p), Some(v)) => format!("{p} {v}"),
        (None, Some(v)) => v.clone(),
        (Some(p), None) => p.clone(),
        (None, None) => "unknown server".into(),
    }
}

/// The headline: the saturation point of a ramp, else the measured acknowledged rate.
pub fn headline(r: &BenchResult) -> String {
    match &r.saturation {
        Some(s) => {
            match (s.sustained_lines_per_s, s.acked_lines_per_s) {
                (Some(rate), Some(acked)) => format!(
                "saturation: {} lines/s sustained ({} acknowledged/s, p99 {:.1} ms){}; stopped: {}",
                thousands(rate),
                thousands(acked),
                s.p99_ms.unwrap_or(0.0),
                if s.saturated { "" } else { " (a lower bound: not saturated)" },
                s.reason
            ),
                _ => format!(
                    "saturation: below the first step, no rate sustained; stopped: {}",
                    s.reason
                ),
            }
        }
        None => format!(
            "throughput: {} lines/s acknowledged",
            thousands(r.measured.per_s(r.measured.counts.acked_lines))
        ),
    }
}

/// The summary printed at the end, one line each.
pub fn summary_lines(info: &RunInfo, r: &BenchResult) -> Vec<String> {
    let m = &r.measured;
    let t = &r.total;
    let l = m.latency();
    let statuses: Vec<String> = m
        .requests
        .statuses
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let mut out = vec![
        format!("{} at {}: {}", info.workload, server_name(info), info.mode),
        format!(
            "measured {:.0} s: {} lines/s, {} fields/s, {:.2} MB/s acknowledged ({} lines/s, {:.2} MB/s sent); {} lines acknowledged in all, {} refused, {} abandoned",
            m.seconds,
            thousands(m.per_s(m.counts.acked_lines)),
            thousands(m.per_s(m.counts.acked_fields)),
            m.per_s(m.counts.acked_bytes) / 1e6,
            thousands(m.per_s(m.counts.sent_lines)),
            m.per_s(m.counts.sent_bytes) / 1e6,
            t.counts.acked_lines,
            t.counts.refused_lines,
            t.counts.abandoned_lines,
        ),
        format!(
            "latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms over {} requests; status {{{}}}, {} network errors, {} retries",
            l.p50_ms,
            l.p90_ms,
            l.p99_ms,
            l.p999_ms,
            l.max_ms,
            l.count,
            statuses.join(", "),
            m.requests.network_errors,
            r.sender.retries,
        ),
    ];
    if !r.steps.is_empty() {
        let steps: Vec<String> = r
            .steps
            .iter()
            .map(|s| {
                format!(
                    "{}{}",
                    thousands(s.target_lines_per_s),
                    if s.passed { "" } else { " (failed)" }
                )
            })
            .collect();
        out.push(format!("ramp steps (lines/s): {}", steps.join(", ")));
    }
    out.push(headline(r));
    match &r.ending {
        Ending::Completed => {}
        Ending::Fatal { message, .. } => out.push(format!("stopped: {message}")),
        Ending::GaveUp { message } => out.push(message.clone()),
    }
    out
}

/// `report.md`.
pub fn markdown(info: &RunInfo, r: &BenchResult) -> String {
    let m = &r.measured;
    let l = m.latency();
    let mut s = String::new();
    let _ = writeln!(s, "# lpconvert bench: {}\n", server_name(info));
    let _ = writeln!(s, "**{}**\n", headline(r));
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(s, "| server | {} ({}) |", server_name(info), info.write_url);
    let _ = writeln!(s, "| workload | {} |", info.workload);
    let _ = writeln!(s, "| mode | {} |", info.mode);
    let _ = writeln!(
        s,
        "| measured | {:.0} s (warm-up and drain excluded) |",
        m.seconds
    );
    let _ = writeln!(
        s,
        "| acknowledged | {} lines/s, {} fields/s, {:.2} MB/s |",
        thousands(m.per_s(m.counts.acked_lines)),
        thousands(m.per_s(m.counts.acked_fields)),
        m.per_s(m.counts.acked_bytes) / 1e6
    );
    let _ = writeln!(
        s,
        "| sent | {} lines/s, {} fields/s, {:.2} MB/s |",
        thousands(m.per_s(m.counts.sent_lines)),
        thousands(m.per_s(m.counts.sent_fields)),
        m.per_s(m.counts.sent_bytes) / 1e6
    );
    let _ = writeln!(
        s,
        "| latency (ms) | p50 {:.1} · p90 {:.1} · p99 {:.1} · p99.9 {:.1} · max {:.1} ({} requests) |",
        l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms, l.count
    );
    let statuses: Vec<String> = r
        .total
        .requests
        .statuses
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let _ = writeln!(
        s,
        "| answers (whole run) | {}; {} network errors, {} retries, {} lines refused, {} abandoned |",
        if statuses.is_empty() { "none".to_string() } else { statuses.join(", ") },
        r.total.requests.network_errors,
        r.sender.retries,
        r.total.counts.refused_lines,
        r.total.counts.abandoned_lines
    );
    let _ = writeln!(
        s,
        "| lines acknowledged (whole run) | {} |",
        r.total.counts.acked_lines
    );
    if !r.steps.is_empty() {
        let _ = writeln!(
            s,
            "\n## Ramp steps\n\n| step | asked (lines/s) | acknowledged (lines/s) | p99 (ms) | errors | verdict |\n|---:|---:|---:|---:|---:|---|"
        );
        for st in &r.steps {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.1} | {} | {} |",
                st.step,
                thousands(st.target_lines_per_s),
                thousands(st.acked_lines_per_s),
                st.p99_ms,
                st.errors,
                if st.passed {
                    "sustained".to_string()
                } else {
                    format!("failed: {}", st.reason)
                }
            );
        }
    }
    let _ = writeln!(s, "\n![throughput and p99 latency](chart.svg)\n");
    let _ = writeln!(
        s,
        "Command: `{}`  \nPer-second samples: `report.json`.",
        info.command_line
    );
    s
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1234567.0), "1,234,567");
        assert_eq!(thousands(-12345.0), "-12,345");
    }
}
