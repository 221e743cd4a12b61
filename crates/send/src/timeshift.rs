//! `--time keep|now|shift:DURATION` (timestamp rewriting) and `--pace original|NX` (sending
//! batches at their original relative times).

use crate::dialect::Precision;
use crate::units::{parse_signed_duration_ns, UnitError};
use lpconvert_lp::value::{MAX_NANOS, MIN_NANOS};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

/// How timestamps are rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeMode {
    /// Sent as they are.
    Keep,
    /// The first timestamp becomes the current time; spacing is kept.
    Now,
    /// Every timestamp is moved by this many nanoseconds.
    Shift(i128),
}

impl TimeMode {
    /// Parses `keep`, `now` or `shift:DURATION` (e.g. `shift:-30d`, `shift:1h30m`).
    pub fn parse(s: &str) -> Result<TimeMode, UnitError> {
        match s {
            "keep" => Ok(TimeMode::Keep),
            "now" => Ok(TimeMode::Now),
            _ => match s.strip_prefix("shift:") {
                Some(d) => Ok(TimeMode::Shift(parse_signed_duration_ns(d)?)),
                None => Err(UnitError::new(format!(
                    "invalid --time `{s}`: expected keep, now or shift:DURATION (shift:-7d)"
                ))),
            },
        }
    }
}

/// `--pace`: replay at the original spacing of the timestamps, `speed` times faster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// Speed-up factor (1.0 = original pace).
    pub speed: f64,
}

impl Pace {
    /// Parses `original` (1x) or `NX`/`Nx` (e.g. `10x`, `0.5x`).
    pub fn parse(s: &str) -> Result<Pace, UnitError> {
        if s == "original" {
            return Ok(Pace { speed: 1.0 });
        }
        let n = s
            .strip_suffix(['x', 'X'])
            .and_then(|n| n.parse::<f64>().ok());
        match n {
            Some(speed) if speed.is_finite() && speed > 0.0 => Ok(Pace { speed }),
            _ => Err(UnitError::new(format!(
                "invalid --pace `{s}`: expected original or a speed-up such as 10x"
            ))),
        }
    }
}

/// A rewritten timestamp left the range servers accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("timestamp {ts} moved by {offset} {unit} is outside the range servers accept")]
pub struct TimeRangeError {
    /// The original timestamp.
    pub ts: i64,
    /// The offset applied.
    pub offset: i64,
    /// The precision's unit.
    pub unit: &'static str,
}

/// Applies a [`TimeMode`] to timestamps in a given precision.
#[derive(Debug, Clone)]
pub struct TimeRewriter {
    mode: TimeMode,
    precision: Precision,
    offset: Option<i64>,
    /// The offset, published once known, for checkpoints written by another thread.
    shared: Arc<OnceLock<i64>>,
}

impl TimeRewriter {
    /// A rewriter; `offset` restores the offset of an earlier run (checkpoint of `--time now`).
    pub fn new(mode: TimeMode, precision: Precision, offset: Option<i64>) -> TimeRewriter {
        let offset = match mode {
            TimeMode::Keep => Some(0),
            TimeMode::Shift(ns) => Some((ns / i128::from(precision.nanos())) as i64),
            TimeMode::Now => offset,
        };
        let shared = Arc::new(OnceLock::new());
        if let Some(o) = offset {
            let _ = shared.set(o);
        }
        TimeRewriter {
            mode,
            precision,
            offset,
            shared,
        }
    }

    /// The offset as a cell other threads can read once it is known.
    pub fn shared_offset(&self) -> Arc<OnceLock<i64>> {
        self.shared.clone()
    }

    /// Whether lines need rewriting at all.
    pub fn is_active(&self) -> bool {
        self.mode != TimeMode::Keep
    }

    /// The offset in precision units, once known (`now` learns it from the first timestamp).
    pub fn offset(&self) -> Option<i64> {
        self.offset
    }

    /// The new value of timestamp `ts`.
    pub fn apply(&mut self, ts: i64, now: SystemTime) -> Result<i64, TimeRangeError> {
        let offset = match self.offset {
            Some(o) => o,
            None => {
                let now_ns = now
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as i128);
                let o = (now_ns / i128::from(self.precision.nanos())) as i64 - ts;
                self.offset = Some(o);
                let _ = self.shared.set(o);
                o
            }
        };
        let unit = self.precision.as_str();
        let e = || TimeRangeError { ts, offset, unit };
        let max = MAX_NANOS / self.precision.nanos();
        let min = MIN_NANOS / self.precision.nanos();
        match ts.checked_add(offset) {
            Some(v) if (min..=max).contains(&v) => Ok(v),
            _ => Err(e()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn parse_modes() {
        assert_eq!(TimeMode::parse("keep").unwrap(), TimeMode::Keep);
        assert_eq!(TimeMode::parse("now").unwrap(), TimeMode::Now);
        assert_eq!(
            TimeMode::parse("shift:-1h").unwrap(),
            TimeMode::Shift(-3_600_000_000_000)
        );
        assert!(TimeMode::parse("later").is_err());
        assert_eq!(Pace::parse("original").unwrap().speed, 1.0);
        assert_eq!(Pace::parse("10x").unwrap().speed, 10.0);
        assert!(Pace::parse("0x").is_err());
        assert!(Pace::parse("fast").is_err());
    }

    #[test]
    fn now_keeps_spacing() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        let mut r = TimeRewriter::new(TimeMode::Now, Precision::S, None);
        assert_eq!(r.apply(1_641_024_000, now).unwrap(), 2_000_000_000);
        assert_eq!(r.apply(1_641_027_600, now).unwrap(), 2_000_003_600);
        assert_eq!(r.offset(), Some(2_000_000_000 - 1_641_024_000));
        let mut again = TimeRewriter::new(TimeMode::Now, Precision::S, r.offset());
        assert_eq!(
            again.apply(1_641_027_600, SystemTime::now()).unwrap(),
            2_000_003_600
        );
    }

    #[test]
    fn shift_and_range() {
        let mut r = TimeRewriter::new(TimeMode::Shift(-86_400_000_000_000), Precision::Ms, None);
        assert_eq!(r.apply(86_400_000, SystemTime::now()).unwrap(), 0);
        let mut r = TimeRewriter::new(TimeMode::Shift(1), Precision::Ns, None);
        assert!(r.apply(MAX_NANOS, SystemTime::now()).is_err());
    }
}
