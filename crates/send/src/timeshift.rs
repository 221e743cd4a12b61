//! `--time keep|now|shift:DURATION` (timestamp rewriting) and `--pace original|NX` (sending
//! batches at their original relative times).

use crate::dialect::Precision;
use crate::units::{parse_signed_duration_ns, UnitError};
use lpconvert_lp::parse::{find_timestamp, is_blank_or_comment};
use lpconvert_lp::value::{MAX_NANOS, MIN_NANOS};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

/// How timestamps are rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeMode {
    /// Sent as they are.
    Keep,
    /// The newest timestamp of the inputs becomes the current time; spacing is kept. A
    /// stream, which cannot be read twice, is taken as [`TimeMode::FirstAtNow`].
    Now,
    /// The first timestamp becomes the current time; spacing is kept.
    FirstAtNow,
    /// Every timestamp is moved by this many nanoseconds.
    Shift(i128),
}

impl TimeMode {
    /// Parses `keep`, `now`, `first-at-now` or `shift:DURATION` (e.g. `shift:-30d`,
    /// `shift:1h30m`).
    pub fn parse(s: &str) -> Result<TimeMode, UnitError> {
        match s {
            "keep" => Ok(TimeMode::Keep),
            "now" => Ok(TimeMode::Now),
            "first-at-now" => Ok(TimeMode::FirstAtNow),
            _ => match s.strip_prefix("shift:") {
                Some(d) => Ok(TimeMode::Shift(parse_signed_duration_ns(d)?)),
                None => Err(UnitError::new(format!(
                    "invalid --time `{s}`: expected keep, now, first-at-now or shift:DURATION \
                     (shift:-7d)"
                ))),
            },
        }
    }

    /// Whether the offset is learned at run time (and kept in a checkpoint).
    pub fn is_relative_to_now(self) -> bool {
        matches!(self, TimeMode::Now | TimeMode::FirstAtNow)
    }
}

impl std::fmt::Display for TimeMode {
    /// As `--time` spells it (`shift:` in nanoseconds).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TimeMode::Keep => f.write_str("keep"),
            TimeMode::Now => f.write_str("now"),
            TimeMode::FirstAtNow => f.write_str("first-at-now"),
            TimeMode::Shift(ns) => write!(f, "shift:{ns}ns"),
        }
    }
}

/// The offset, in `precision` units, that moves `newest` to `now`.
pub fn offset_to_now(newest: i64, precision: Precision, now: SystemTime) -> i64 {
    let now_ns = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128);
    let now_units = now_ns / i128::from(precision.nanos());
    (now_units - i128::from(newest)).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// The newest timestamp of the line protocol `reader` gives (blank lines, comments and
/// lines without a timestamp pass), `None` when no line has one.
pub fn newest_timestamp(reader: impl std::io::Read) -> std::io::Result<Option<i64>> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, reader);
    let mut line = Vec::new();
    let mut newest: Option<i64> = None;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(newest);
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if is_blank_or_comment(text) {
            continue;
        }
        if let Some((_, ts)) = find_timestamp(text) {
            newest = Some(newest.map_or(ts, |n| n.max(ts)));
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
            TimeMode::Now | TimeMode::FirstAtNow => offset,
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

    /// The offset in precision units, once known (`first-at-now`, and `now` on a stream,
    /// learn it from the first timestamp).
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
            TimeMode::parse("first-at-now").unwrap(),
            TimeMode::FirstAtNow
        );
        for m in ["keep", "now", "first-at-now", "shift:5ns"] {
            assert_eq!(TimeMode::parse(m).unwrap().to_string(), m);
        }
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
        let mut r = TimeRewriter::new(TimeMode::FirstAtNow, Precision::S, None);
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
    fn newest_timestamp_and_its_offset() {
        let text = "# c\nm f=1 30\n\nm f=\"a 99\" 10\r\nm f=2\nm f=3 20\n";
        assert_eq!(newest_timestamp(text.as_bytes()).unwrap(), Some(30));
        assert_eq!(newest_timestamp("m f=1\n".as_bytes()).unwrap(), None);
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000);
        assert_eq!(offset_to_now(1_500, Precision::S, now), 500);
        assert_eq!(offset_to_now(1_500, Precision::Ms, now), 1_998_500);
    }

    #[test]
    fn shift_and_range() {
        let mut r = TimeRewriter::new(TimeMode::Shift(-86_400_000_000_000), Precision::Ms, None);
        assert_eq!(r.apply(86_400_000, SystemTime::now()).unwrap(), 0);
        let mut r = TimeRewriter::new(TimeMode::Shift(1), Precision::Ns, None);
        assert!(r.apply(MAX_NANOS, SystemTime::now()).is_err());
    }
}
