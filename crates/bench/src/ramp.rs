//! The ramp's verdicts: each step judged on its own statistics, and the saturation point.

use crate::config::RampConfig;
use crate::timeline::Period;
use serde::Serialize;

/// The verdict on one ramp step.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// Step number from 0.
    pub step: u32,
    /// Rate asked for, lines/s.
    pub target_lines_per_s: f64,
    /// Lines acknowledged per second.
    pub acked_lines_per_s: f64,
    /// p99 request latency, ms.
    pub p99_ms: f64,
    /// Non-2xx answers, network errors and refused lines.
    pub errors: u64,
    /// Whether the server sustained the rate.
    pub passed: bool,
    /// Why it failed (empty when it passed).
    pub reason: String,
}

/// Where the server saturated (the highest step that passed).
#[derive(Debug, Clone, Serialize)]
pub struct Saturation {
    /// The highest rate sustained (the target of the last step that passed), lines/s.
    pub sustained_lines_per_s: Option<f64>,
    /// What was acknowledged per second during that step.
    pub acked_lines_per_s: Option<f64>,
    /// Its p99 latency, ms.
    pub p99_ms: Option<f64>,
    /// Whether a step failed (false: the ramp ended at `--duration` or the maximum rate first,
    /// so the figure is a lower bound).
    pub saturated: bool,
    /// Why the ramp stopped.
    pub reason: String,
}

/// Evaluates step `n` of a ramp.
pub fn judge_step(n: u32, period: &Period, ramp: &RampConfig) -> StepResult {
    let target = ramp.rate(n);
    let acked = period.per_s(period.counts.acked_lines);
    let p99 = period.latency().p99_ms;
    let errors = period.errors() + period.counts.refused_lines;
    let max_p99 = ramp.max_p99.as_secs_f64() * 1000.0;
    let reason = if errors > 0 {
        let statuses: Vec<String> = period
            .requests
            .statuses
            .iter()
            .filter(|(s, _)| !(200..300).contains(*s))
            .map(|(s, c)| format!("{c}x HTTP {s}"))
            .collect();
        let mut what = statuses.join(", ");
        if period.requests.network_errors > 0 {
            if !what.is_empty() {
                what.push_str(", ");
            }
            what.push_str(&format!(
                "{} network errors",
                period.requests.network_errors
            ));
        }
        if period.counts.refused_lines > 0 {
            if !what.is_empty() {
                what.push_str(", ");
            }
            what.push_str(&format!("{} lines refused", period.counts.refused_lines));
        }
        format!("errors at {target:.0} lines/s: {what}")
    } else if p99 > max_p99 {
        format!("p99 latency {p99:.1} ms above --max-p99 {max_p99:.0} ms at {target:.0} lines/s")
    } else if acked < ramp.min_ratio * target {
        format!(
            "acknowledged {acked:.0} lines/s, below {:.0}% of the {target:.0} lines/s asked",
            ramp.min_ratio * 100.0
        )
    } else {
        String::new()
    };
    StepResult {
        step: n,
        target_lines_per_s: target,
        acked_lines_per_s: acked,
        p99_ms: p99,
        errors,
        passed: reason.is_empty(),
        reason,
    }
}
