//! The retry policy of LINE-PROTOCOL.md: what each answer means, and how long to wait.
//!
//! - 2xx: acknowledged.
//! - 408, 429, 500, 502, 503, 504 and network errors: retry with exponential backoff and full
//!   jitter, honouring `Retry-After` (seconds or an HTTP date, capped), until `max_elapsed`.
//! - 413: split the batch in halves.
//! - 400 and 422: refused (a partial write stores the good lines); never retried.
//! - 401, 403, 404 and any other status: fatal, the run stops. That includes every 3xx (a
//!   redirect is never followed: following one can turn the write into a GET that stores
//!   nothing) and 1xx (an informational status is never a final answer).

use lpconvert_lp::civil::days_from_civil;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What to do with an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Stored.
    Ack,
    /// Try again, after at least this long if the server said so.
    Retry(Option<Duration>),
    /// Too large: send each half separately.
    Split,
    /// The server refused (some of) the lines: report, do not resend.
    Refused,
    /// Stop the run: authentication, unknown database, or an unexpected status.
    Fatal,
}

/// Maps a status code (and its `Retry-After`) to an [`Action`].
pub fn classify(status: u16, retry_after: Option<&str>, now: SystemTime, cap: Duration) -> Action {
    match status {
        200..=299 => Action::Ack,
        408 | 429 | 500 | 502 | 503 | 504 => Action::Retry(
            retry_after
                .and_then(|v| parse_retry_after(v, now))
                .map(|d| d.min(cap)),
        ),
        413 => Action::Split,
        400 | 422 => Action::Refused,
        _ => Action::Fatal,
    }
}

/// Backoff settings.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// First backoff ceiling.
    pub initial: Duration,
    /// Largest backoff ceiling (the ceiling doubles per attempt up to this).
    pub max_backoff: Duration,
    /// Give up once this much time has passed since the first attempt of a batch.
    pub max_elapsed: Duration,
    /// Largest `Retry-After` honoured.
    pub retry_after_cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(300),
            retry_after_cap: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (1-based): full jitter, uniformly drawn from
    /// `[0, min(max_backoff, initial * 2^(attempt-1))]`, but at least `server_hint`.
    pub fn backoff(
        &self,
        attempt: u32,
        server_hint: Option<Duration>,
        rng: &mut Jitter,
    ) -> Duration {
        let ceiling = self
            .initial
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.max_backoff);
        let jittered = ceiling.mul_f64(rng.next_f64());
        match server_hint {
            Some(h) => h.max(jittered),
            None => jittered,
        }
    }
}

/// A small xorshift generator for jitter: no need for cryptographic randomness.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// Seeded from `seed` (zero is replaced).
    pub fn new(seed: u64) -> Jitter {
        Jitter(seed.max(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// Seeded from the clock and a per-worker number.
    pub fn from_time(salt: u64) -> Jitter {
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        Jitter::new(t ^ salt.wrapping_mul(0xD6E8_FEB8_6659_FD93))
    }
    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `d` as `--max-retry-time` would take it: `5m`, `90s`, `1.5s`, `250ms`.
pub fn format_duration(d: Duration) -> String {
    if d.subsec_millis() != 0 {
        return if d < Duration::from_secs(1) {
            format!("{}ms", d.subsec_millis())
        } else {
            format!("{}s", d.as_secs_f64())
        };
    }
    let s = d.as_secs();
    match s {
        0 => "0s".into(),
        s if s / 3600 * 3600 == s => format!("{}h", s / 3600),
        s if s / 60 * 60 == s => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Parses `Retry-After`: delay seconds, or an HTTP date (IMF-fixdate, `Sun, 06 Nov 1994
/// 08:49:37 GMT`), relative to `now`. A date in the past means no wait.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(1e9)));
        }
    }
    let at = parse_http_date(v)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    let rest = s.split_once(", ").map_or(s, |(_, r)| r);
    let mut parts = rest.split_ascii_whitespace();
    let day: u32 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':');
    let h: u64 = hms.next()?.parse().ok()?;
    let m: u64 = hms.next()?.parse().ok()?;
    let sec: u64 = hms.next()?.parse().ok()?;
    if parts.next()? != "GMT" || day == 0 || day > 31 || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    // HTTP dates have four-digit years; anything else is not a date worth waiting for.
    if !(0..=9999).contains(&year) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = u64::try_from(days).ok()?.checked_mul(86400)? + h * 3600 + m * 60 + sec;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let now = SystemTime::now();
        let cap = Duration::from_secs(60);
        assert_eq!(classify(204, None, now, cap), Action::Ack);
        assert_eq!(classify(503, None, now, cap), Action::Retry(None));
        assert_eq!(
            classify(429, Some("7"), now, cap),
            Action::Retry(Some(Duration::from_secs(7)))
        );
        assert_eq!(
            classify(429, Some("7000"), now, cap),
            Action::Retry(Some(Duration::from_secs(60)))
        );
        for s in [408, 500, 502, 504] {
            assert_eq!(classify(s, None, now, cap), Action::Retry(None));
        }
        assert_eq!(classify(413, None, now, cap), Action::Split);
        assert_eq!(classify(400, None, now, cap), Action::Refused);
        assert_eq!(classify(422, None, now, cap), Action::Refused);
        for s in [
            401, 403, 404, 405, 301, 302, 303, 304, 307, 308, 101, 199, 501, 505,
        ] {
            assert_eq!(classify(s, None, now, cap), Action::Fatal, "{s}");
        }
        // A redirect with a Retry-After is still fatal, never a retry.
        assert_eq!(classify(307, Some("1"), now, cap), Action::Fatal);
    }

    #[test]
    fn durations_print_as_options() {
        assert_eq!(format_duration(Duration::from_secs(300)), "5m");
        assert_eq!(format_duration(Duration::from_secs(7200)), "2h");
        assert_eq!(format_duration(Duration::from_secs(5)), "5s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
    }

    #[test]
    fn http_dates() {
        let t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(t.duration_since(UNIX_EPOCH).unwrap().as_secs(), 784111777);
        let now = UNIX_EPOCH + Duration::from_secs(784111777 - 5);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(5))
        );
        let later = UNIX_EPOCH + Duration::from_secs(784111777 + 5);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", later),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
    }

    #[test]
    fn backoff_is_bounded_full_jitter() {
        let p = RetryPolicy {
            initial: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        let mut rng = Jitter::new(42);
        let mut total = Duration::ZERO;
        for attempt in 1..=30 {
            let d = p.backoff(attempt, None, &mut rng);
            let ceiling =
                Duration::from_millis(100 * (1u64 << (attempt - 1).min(20))).min(p.max_backoff);
            assert!(d <= ceiling, "{attempt}: {d:?}");
            total += d;
        }
        // Jitter: not all at the ceiling, not all zero.
        assert!(
            total > Duration::from_secs(5) && total < Duration::from_secs(29),
            "{total:?}"
        );
        let hinted = p.backoff(1, Some(Duration::from_secs(3)), &mut rng);
        assert!(hinted >= Duration::from_secs(3));
    }
}
