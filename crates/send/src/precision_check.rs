//! `--precision` against the data: a precision that puts every timestamp of the first block
//! before 1980 or after 2100, when another puts them all inside, is refused with the one that
//! fits; `--precision auto` reads each timestamp's unit from its magnitude, as InfluxDB 3 does.

use lpconvert_lp::parse::{find_timestamp, is_blank_or_comment};
use lpconvert_lp::Precision;

/// 1980-01-01T00:00:00Z in nanoseconds.
const PLAUSIBLE_FROM_NS: i128 = 315_532_800 * 1_000_000_000;
/// 2100-01-01T00:00:00Z in nanoseconds.
const PLAUSIBLE_UNTIL_NS: i128 = 4_102_444_800 * 1_000_000_000;

/// The precisions, coarsest first.
const ALL: [Precision; 4] = [Precision::S, Precision::Ms, Precision::Us, Precision::Ns];

/// Whether `ts` in `precision` falls between 1980 and 2100.
fn plausible(ts: i64, precision: Precision) -> bool {
    let ns = i128::from(ts) * i128::from(precision.nanos());
    (PLAUSIBLE_FROM_NS..PLAUSIBLE_UNTIL_NS).contains(&ns)
}

/// The unit InfluxDB 3 reads a timestamp in under `precision=auto`: by the magnitude of
/// `|ts| / 1e9` (below 5: seconds; 5,000: milliseconds; 5,000,000: microseconds; else ns).
pub fn guess(ts: i64) -> Precision {
    let val = ts.unsigned_abs() / 1_000_000_000;
    if val < 5 {
        Precision::S
    } else if val < 5_000 {
        Precision::Ms
    } else if val < 5_000_000 {
        Precision::Us
    } else {
        Precision::Ns
    }
}

/// `ts` in nanoseconds under `precision=auto`; `None` when it does not fit an i64.
pub fn auto_to_nanos(ts: i64) -> Option<i64> {
    ts.checked_mul(guess(ts).nanos())
}

/// Checks `given` against the timestamps of the first `max_lines` lines of `block` (the run's
/// first data): refused, with the precision that fits, when every timestamp falls before
/// 1980 or after 2100 under `given` and all fall between under another. Lines without a
/// timestamp, and data that fits no precision (synthetic or historical), pass.
pub fn check_first_block(block: &[u8], given: Precision, max_lines: usize) -> Result<(), String> {
    let mut times: Vec<(usize, i64)> = Vec::new();
    for (i, line) in block.split(|&b| b == b'\n').enumerate() {
        if times.len() >= max_lines {
            break;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if is_blank_or_comment(line) {
            continue;
        }
        if let Some((_, ts)) = find_timestamp(line) {
            times.push((i, ts));
        }
    }
    let Some(&(first_line, first_ts)) = times.first() else {
        return Ok(());
    };
    if times.iter().any(|&(_, ts)| plausible(ts, given)) {
        return Ok(());
    }
    let Some(fits) = ALL
        .into_iter()
        .find(|&p| times.iter().all(|&(_, ts)| plausible(ts, p)))
    else {
        return Ok(());
    };
    let when = if i128::from(first_ts) * i128::from(given.nanos()) < PLAUSIBLE_FROM_NS {
        "before 1980"
    } else {
        "after 2100"
    };
    Err(format!(
        "--precision {} puts the first timestamps {when} (e.g. {first_ts} on line {} of the \
         first block), and --precision {} puts them all between 1980 and 2100: rerun with \
         --precision {} (or --precision auto to read each timestamp's unit from its size)",
        given.as_str(),
        first_line + 1,
        fits.as_str(),
        fits.as_str()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_precision_that_misplaces_every_time_is_refused_with_the_one_that_fits() {
        let seconds = b"# c\nm f=1 1641024000\nm f=2\nm f=3 1641027600\n";
        let e = check_first_block(seconds, Precision::Ns, 100).unwrap_err();
        assert!(e.contains("--precision s puts them"), "{e}");
        assert!(e.contains("before 1980") && e.contains("line 2"), "{e}");
        assert!(check_first_block(seconds, Precision::S, 100).is_ok());
        let ms = b"m f=1 1641024000000\n";
        assert!(check_first_block(ms, Precision::S, 100)
            .unwrap_err()
            .contains("after 2100"));
        assert!(check_first_block(ms, Precision::Ms, 100).is_ok());
        // Fits no precision (tiny synthetic times), or one time fits: sent as given.
        assert!(check_first_block(b"m f=1 1\nm f=2 2\n", Precision::Ns, 100).is_ok());
        let mixed = b"m f=1 1641024000\nm f=1 1641024000000000000\n";
        assert!(check_first_block(mixed, Precision::Ns, 100).is_ok());
        assert!(check_first_block(b"m f=1\n", Precision::Ns, 100).is_ok());
    }

    #[test]
    fn auto_reads_the_unit_from_the_magnitude_as_influxdb_3() {
        let s = 1_708_976_567i64;
        assert_eq!(guess(s), Precision::S);
        assert_eq!(guess(s * 1_000), Precision::Ms);
        assert_eq!(guess(s * 1_000_000), Precision::Us);
        assert_eq!(guess(s * 1_000_000_000), Precision::Ns);
        assert_eq!(guess(-s), Precision::S);
        for t in [s, s * 1_000, s * 1_000_000, s * 1_000_000_000] {
            assert_eq!(auto_to_nanos(t), Some(s * 1_000_000_000));
        }
        assert_eq!(guess(4_999_999_999), Precision::S);
        assert_eq!(guess(5_000_000_000), Precision::Ms);
    }
}
