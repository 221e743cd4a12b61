//! What the inputs hold: line protocol read as points, one key per (measurement, tag set,
//! field key, timestamp) cut to the server's resolution, grouped by measurement and time
//! bucket, duplicates collapsed.
//!
//! Memory: 16 bytes per point read (its key) until [`Expected::finish`] sorts and dedups each
//! bucket; the keys are kept so that a bucket that differs can be compared point by point
//! (missing and extra, and `--repair`'s missing lines).

use super::key::{KeyHasher, PointRef};
use lpconvert_lp::parse::{parse_line, unescape_key, unescape_measurement, FieldValue, Line};
use lpconvert_lp::Precision;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// How time is cut: the buckets, the server's resolution and the input's precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    /// Bucket size in nanoseconds (buckets start at multiples of it since the epoch).
    pub bucket_ns: i64,
    /// The server's time resolution in nanoseconds (1 for InfluxDB, 1,000,000 for
    /// VictoriaMetrics, which stores milliseconds).
    pub resolution_ns: i64,
    /// Precision of the timestamps in the lines.
    pub precision: Precision,
    /// The server reads `\"` in a measurement or field key as `"` (InfluxDB 1.x does; its
    /// tags keep the backslash).
    pub quote_escapes: bool,
}

impl Grid {
    /// The start of the bucket holding `ns` (`i64::MIN` when that start is before it: only
    /// for a server's times, [`Grid::line_time`] refuses such a line).
    pub fn bucket_of(&self, ns: i64) -> i64 {
        ns.checked_sub(ns.rem_euclid(self.bucket_ns))
            .unwrap_or(i64::MIN)
    }

    /// `ns` as the server stores it (cut down to its resolution), if representable.
    fn stored(&self, ns: i64) -> Option<i64> {
        ns.checked_sub(ns.rem_euclid(self.resolution_ns))
    }

    /// A line's timestamp in nanoseconds as the server stores it; `None` when it overflows,
    /// or its bucket would start before the first nanosecond representable.
    pub fn line_time(&self, ts: i64) -> Option<i64> {
        let ns = self.stored(ts.checked_mul(self.precision.nanos())?)?;
        ns.checked_sub(ns.rem_euclid(self.bucket_ns))?;
        Some(ns)
    }
}

/// `\"` read as `"` in an already unescaped name (other pairs kept whole).
fn unescape_quotes(name: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    if memchr::memmem::find(&name, b"\\\"").is_none() {
        return name;
    }
    let mut out = Vec::with_capacity(name.len());
    let mut i = 0;
    while i < name.len() {
        if name[i] == b'\\' && i + 1 < name.len() {
            if name[i + 1] != b'"' {
                out.push(b'\\');
            }
            out.push(name[i + 1]);
            i += 2;
        } else {
            out.push(name[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

impl Grid {
    /// A measurement as the server stores it.
    pub fn measurement<'a>(&self, raw: &'a [u8]) -> Cow<'a, [u8]> {
        let name = unescape_measurement(raw);
        if self.quote_escapes {
            unescape_quotes(name)
        } else {
            name
        }
    }

    /// A field key as the server stores it.
    fn field<'a>(&self, raw: &'a [u8]) -> Cow<'a, [u8]> {
        let name = unescape_key(raw);
        if self.quote_escapes {
            unescape_quotes(name)
        } else {
            name
        }
    }
}

/// A tag's key and value, unescaped.
type Tag<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

/// One point of a parsed line: the field's escaped key and value, and the point's key.
pub struct LinePoint<'a> {
    /// The field key as written (escaped).
    pub raw_field: &'a [u8],
    /// The field value.
    pub value: FieldValue<'a>,
    /// The point's key.
    pub key: u128,
}

/// The points of `line` (which has a timestamp `ns`, already cut), each with its key.
pub fn line_points<'a>(
    hasher: &KeyHasher,
    grid: &Grid,
    line: &Line<'a>,
    ns: i64,
    mut each: impl FnMut(LinePoint<'a>),
) {
    let measurement = grid.measurement(line.measurement);
    let mut tags: Vec<Tag<'_>> = line
        .tags()
        .map(|(k, v)| (unescape_key(k), unescape_key(v)))
        .collect();
    tags.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let tag_refs: Vec<(&[u8], &[u8])> = tags.iter().map(|(k, v)| (&**k, &**v)).collect();
    for (raw_field, value) in line.fields() {
        let field = grid.field(raw_field);
        let key = hasher.key(&PointRef {
            measurement: &measurement,
            tags: &tag_refs,
            field: &field,
            time: ns,
        });
        each(LinePoint {
            raw_field,
            value,
            key,
        });
    }
}

/// What one line was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A comment or blank line.
    NotALine,
    /// A line with this many fields (points).
    Points(usize),
    /// A valid line without a timestamp: the server gives it its own time, so it cannot be
    /// found again.
    NoTimestamp,
    /// A timestamp that overflows nanoseconds in the given precision.
    TimeOutOfRange,
}

/// The points read so far, per measurement and bucket.
#[derive(Debug)]
pub struct Expected {
    grid: Grid,
    db_tags: bool,
    keys: HashMap<Vec<u8>, BTreeMap<i64, Vec<u128>>>,
}

impl Expected {
    /// Nothing read yet.
    pub fn new(grid: Grid) -> Expected {
        Expected {
            grid,
            db_tags: false,
            keys: HashMap::new(),
        }
    }

    /// Reads one line (without its LF). A line the strict parser refuses is an error.
    pub fn add_line(
        &mut self,
        hasher: &KeyHasher,
        line: &[u8],
    ) -> Result<LineKind, lpconvert_lp::parse::ParseError> {
        if lpconvert_lp::parse::is_blank_or_comment(line) {
            return Ok(LineKind::NotALine);
        }
        let parsed = parse_line(line)?;
        self.db_tags |= parsed.tags().any(|(k, _)| k == b"db");
        let Some(ts) = parsed.timestamp else {
            return Ok(LineKind::NoTimestamp);
        };
        let Some(ns) = self.grid.line_time(ts) else {
            return Ok(LineKind::TimeOutOfRange);
        };
        let bucket = self.grid.bucket_of(ns);
        let measurement = self.grid.measurement(parsed.measurement);
        let buckets = match self.keys.get_mut(&*measurement) {
            Some(b) => b,
            None => self.keys.entry(measurement.into_owned()).or_default(),
        };
        let keys = buckets.entry(bucket).or_default();
        let mut n = 0;
        line_points(hasher, &self.grid, &parsed, ns, |p| {
            keys.push(p.key);
            n += 1;
        });
        Ok(LineKind::Points(n))
    }

    /// Sorts and dedups every bucket's keys.
    pub fn finish(self) -> Points {
        let mut measurements: Vec<(String, BTreeMap<i64, Vec<u128>>)> = self
            .keys
            .into_iter()
            .map(|(m, mut buckets)| {
                for keys in buckets.values_mut() {
                    keys.sort_unstable();
                    keys.dedup();
                    keys.shrink_to_fit();
                }
                (String::from_utf8_lossy(&m).into_owned(), buckets)
            })
            .collect();
        measurements.sort_by(|a, b| a.0.cmp(&b.0));
        Points {
            measurements,
            db_tags: self.db_tags,
        }
    }
}

/// Distinct point keys per measurement (sorted by name) and bucket start, each bucket's keys
/// sorted.
#[derive(Debug, Default)]
pub struct Points {
    /// (measurement, bucket start -> sorted distinct keys).
    pub measurements: Vec<(String, BTreeMap<i64, Vec<u128>>)>,
    /// Some line has a `db` tag of its own (VictoriaMetrics keeps it instead of `--db`'s).
    pub db_tags: bool,
}

impl Points {
    /// Distinct points in all.
    pub fn total(&self) -> u64 {
        self.measurements
            .iter()
            .flat_map(|(_, b)| b.values())
            .map(|k| k.len() as u64)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(resolution_ns: i64) -> Grid {
        Grid {
            bucket_ns: 10,
            resolution_ns,
            precision: Precision::Ns,
            quote_escapes: false,
        }
    }

    #[test]
    fn points_are_collapsed_by_key_and_grouped_by_bucket() {
        let h = KeyHasher::new();
        let mut e = Expected::new(grid(1));
        for line in [
            "m,b=2,a=1 f=1,g=2 5",
            "m,a=1,b=2 f=3 5",
            "m,a=1,b=2 f=3 15",
            "m\\ x f=1 -1",
            "# comment",
            "m f=1",
        ] {
            e.add_line(&h, line.as_bytes()).unwrap();
        }
        assert_eq!(e.add_line(&h, b"m f=1").unwrap(), LineKind::NoTimestamp);
        assert!(e.add_line(&h, b"m f=").is_err());
        let p = e.finish();
        let counts: Vec<(String, Vec<(i64, usize)>)> = p
            .measurements
            .iter()
            .map(|(m, b)| (m.clone(), b.iter().map(|(k, v)| (*k, v.len())).collect()))
            .collect();
        assert_eq!(
            counts,
            vec![
                ("m".to_string(), vec![(0, 2), (10, 1)]),
                ("m x".to_string(), vec![(-10, 1)]),
            ]
        );
        assert_eq!(p.total(), 4);
    }

    #[test]
    fn times_are_cut_to_the_servers_resolution() {
        let h = KeyHasher::new();
        let mut e = Expected::new(grid(4));
        e.add_line(&h, b"m f=1 1").unwrap();
        e.add_line(&h, b"m f=1 3").unwrap();
        e.add_line(&h, b"m f=1 4").unwrap();
        assert_eq!(e.finish().total(), 2);
    }

    #[test]
    fn influxdb1_reads_escaped_quotes_in_measurements_and_field_keys_only() {
        let h = KeyHasher::new();
        let g = Grid {
            quote_escapes: true,
            ..grid(1)
        };
        let mut e = Expected::new(g);
        e.add_line(&h, br#"q\"m\,x,t\"k=v\"v f\"k=1 5"#).unwrap();
        let p = e.finish();
        assert_eq!(p.measurements[0].0, r#"q"m,x"#);
        let tags: &[(&[u8], &[u8])] = &[(br#"t\"k"#, br#"v\"v"#)];
        let want = h.key(&PointRef {
            measurement: br#"q"m,x"#,
            tags,
            field: b"f\"k",
            time: 5,
        });
        assert_eq!(p.measurements[0].1[&0], vec![want]);
        assert_eq!(grid(1).measurement(br#"q\"m"#), &br#"q\"m"#[..]);
    }

    #[test]
    fn a_bucket_before_the_first_nanosecond_is_out_of_range() {
        let h = KeyHasher::new();
        let mut e = Expected::new(Grid {
            bucket_ns: 3_600_000_000_000,
            resolution_ns: 1_000_000,
            precision: Precision::Ns,
            quote_escapes: false,
        });
        for t in ["-9223372036854775806", "-9223372036800000000"] {
            let line = format!("m f=1 {t}");
            assert_eq!(
                e.add_line(&h, line.as_bytes()).unwrap(),
                LineKind::TimeOutOfRange,
                "{t}"
            );
        }
        assert_eq!(
            e.add_line(&h, b"m f=1 -9223000000000000000").unwrap(),
            LineKind::Points(1)
        );
        assert_eq!(e.grid.bucket_of(i64::MIN + 1), i64::MIN);
    }
}
