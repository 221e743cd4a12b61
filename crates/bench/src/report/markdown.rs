//! `report.md`: a table read in ten seconds, the ramp's steps, the chart.

use super::run_info::RunInfo;
use super::text::{headline, server_name, thousands};
use crate::run::BenchResult;
use std::fmt::Write as _;

/// `report.md`.
pub(super) fn render(info: &RunInfo, r: &BenchResult) -> String {
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
