//! Comparing what the inputs hold with what the server answers, bucket by bucket.

use super::expected::Points;
use super::store::{Found, Store};
use super::VerifyError;
use std::collections::BTreeMap;

/// A bucket whose points differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketDiff {
    /// Measurement.
    pub measurement: String,
    /// Bucket start, ns since the epoch.
    pub start: i64,
    /// Distinct points the inputs hold there.
    pub expected: u64,
    /// Distinct points the server holds there.
    pub found: u64,
    /// Points of the inputs the server does not hold.
    pub missing: u64,
    /// Points the server holds that the inputs do not.
    pub extra: u64,
    /// Samples stored more than once (same series and time; VictoriaMetrics keeps them).
    pub duplicates: u64,
    /// The keys of the missing points, when the server's points were read (sorted).
    pub missing_keys: Vec<u128>,
}

/// The outcome of one verification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    /// Measurements queried.
    pub measurements: u64,
    /// (measurement, bucket) pairs compared.
    pub buckets: u64,
    /// Distinct points the inputs hold.
    pub expected: u64,
    /// Distinct points found in those buckets.
    pub found: u64,
    /// Points missing, in all.
    pub missing: u64,
    /// Points extra, in all.
    pub extra: u64,
    /// Duplicate samples, in all (not a difference).
    pub duplicates: u64,
    /// The buckets that differ (missing or extra), in measurement and time order.
    pub diffs: Vec<BucketDiff>,
}

impl Verification {
    /// True when every bucket matched.
    pub fn matches(&self) -> bool {
        self.missing == 0 && self.extra == 0
    }
}

/// Sorted `a` minus sorted `b` (both distinct), and the count of `b` not in `a`.
fn difference(a: &[u128], b: &[u128]) -> (Vec<u128>, u64) {
    let (mut i, mut j, mut only_a, mut only_b) = (0, 0, Vec::new(), 0u64);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                only_a.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                only_b += 1;
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    only_a.extend_from_slice(&a[i..]);
    only_b += (b.len() - j) as u64;
    (only_a, only_b)
}

/// Compares one bucket with the server's keys (sorted here).
fn compare_keys(
    measurement: &str,
    start: i64,
    expected: &[u128],
    mut found: Vec<u128>,
) -> BucketDiff {
    found.sort_unstable();
    let samples = found.len() as u64;
    found.dedup();
    let (missing_keys, extra) = difference(expected, &found);
    BucketDiff {
        measurement: measurement.to_owned(),
        start,
        expected: expected.len() as u64,
        found: found.len() as u64,
        missing: missing_keys.len() as u64,
        extra,
        duplicates: samples - found.len() as u64,
        missing_keys,
    }
}

/// Queries `store` for every measurement and bucket of `points` and compares. A bucket whose
/// count differs is read point by point when the server allows it (missing and extra
/// exactly); else missing and extra are the difference of the counts.
pub fn verify(store: &Store<'_>, points: &Points) -> Result<Verification, VerifyError> {
    let mut v = Verification::default();
    let empty = Vec::new();
    store.make_searchable();
    for (m, buckets) in &points.measurements {
        v.measurements += 1;
        let shorter: Vec<&BTreeMap<i64, Vec<u128>>> = points
            .measurements
            .iter()
            .filter(|(s, _)| {
                m.len() > s.len() + 1 && m.starts_with(s.as_str()) && m.as_bytes()[s.len()] == b'_'
            })
            .map(|(_, b)| b)
            .collect();
        let found = store.read(m, buckets, &shorter)?;
        let mut starts: Vec<i64> = buckets.keys().copied().collect();
        match &found {
            Found::Counts(c) => starts.extend(c.keys()),
            Found::Keys(k) => starts.extend(k.keys()),
        }
        starts.sort_unstable();
        starts.dedup();
        let mut found = found;
        for start in starts {
            let expected = buckets.get(&start).unwrap_or(&empty);
            let diff = match &mut found {
                Found::Keys(k) => {
                    compare_keys(m, start, expected, k.remove(&start).unwrap_or_default())
                }
                Found::Counts(c) => {
                    let n = c.get(&start).copied().unwrap_or(0);
                    if n == expected.len() as u64 {
                        compare_keys(m, start, expected, expected.clone())
                    } else if store.kind.reads_points() {
                        compare_keys(m, start, expected, store.bucket_keys(m, start)?)
                    } else {
                        let e = expected.len() as u64;
                        BucketDiff {
                            measurement: m.clone(),
                            start,
                            expected: e,
                            found: n,
                            missing: e.saturating_sub(n),
                            extra: n.saturating_sub(e),
                            duplicates: 0,
                            missing_keys: Vec::new(),
                        }
                    }
                }
            };
            v.buckets += 1;
            v.expected += diff.expected;
            v.found += diff.found;
            v.missing += diff.missing;
            v.extra += diff.extra;
            v.duplicates += diff.duplicates;
            if diff.missing > 0 || diff.extra > 0 {
                v.diffs.push(diff);
            }
        }
    }
    Ok(v)
}

/// The missing keys of every bucket that falls short, per measurement and bucket.
pub fn missing_keys(v: &Verification) -> BTreeMap<(String, i64), Vec<u128>> {
    v.diffs
        .iter()
        .filter(|d| !d.missing_keys.is_empty())
        .map(|d| ((d.measurement.clone(), d.start), d.missing_keys.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_extra_and_duplicates_are_told_apart() {
        let d = compare_keys("m", 0, &[1, 2, 3, 5], vec![5, 3, 3, 9, 9, 1]);
        assert_eq!(
            (d.expected, d.found, d.missing, d.extra, d.duplicates),
            (4, 4, 1, 1, 2)
        );
        assert_eq!(d.missing_keys, vec![2]);
    }
}
