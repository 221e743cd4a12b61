//! The report's sentences: numbers with separators, the headline, the summary printed at the
//! end of a run (shared by the printed summary, `report.md` and the chart's title).

use super::run_info::RunInfo;
use crate::run::BenchResult;
use lpconvert_send::stats::Ending;

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

/// The server as it named itself (product and version), or `unknown server`.
pub fn server_name(info: &RunInfo) -> String {
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
