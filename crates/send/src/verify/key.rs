//! Point keys: one 128-bit hash per (measurement, tag set, field key, timestamp), the same
//! whether the point was read from line protocol or from a server's answer.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// Hashes points to 128-bit keys. The two halves come from two independently seeded
/// SipHash instances, so keys only compare within one process (one `verify` run).
#[derive(Debug, Clone, Default)]
pub struct KeyHasher {
    a: RandomState,
    b: RandomState,
    /// A tag left out of every key (key, value): see [`KeyHasher::victoria_metrics`].
    without: Option<(Vec<u8>, Vec<u8>)>,
    /// Measurement and field hashed as one metric name `measurement_field`.
    metric_names: bool,
}

/// A point as its unescaped parts; `tags` sorted by key.
#[derive(Debug, Clone, Copy)]
pub struct PointRef<'a> {
    /// Measurement, unescaped.
    pub measurement: &'a [u8],
    /// Tags (key, value), unescaped and sorted by key.
    pub tags: &'a [(&'a [u8], &'a [u8])],
    /// Field key, unescaped.
    pub field: &'a [u8],
    /// Timestamp in nanoseconds, already cut to the server's resolution.
    pub time: i64,
}

impl KeyHasher {
    /// A hasher with fresh random seeds.
    pub fn new() -> KeyHasher {
        KeyHasher::default()
    }

    /// A hasher for VictoriaMetrics' points: measurement and field are one metric name
    /// `measurement_field` (so `a_b` + `c` and `a` + `b_c` are one series, as stored), and
    /// the label `db` = `--db`, which the server adds to lines without a `db` tag, is left
    /// out, so that a line without it, a line with it and the series stored agree.
    pub fn victoria_metrics(db: Option<&str>) -> KeyHasher {
        KeyHasher {
            without: db.map(|d| (b"db".to_vec(), d.as_bytes().to_vec())),
            metric_names: true,
            ..KeyHasher::default()
        }
    }

    /// The key of `point`. 0xFF and 0xFE (never in UTF-8) separate the parts.
    pub fn key(&self, point: &PointRef<'_>) -> u128 {
        let without = self.without.as_ref().map(|(k, v)| (&k[..], &v[..]));
        let hi = feed(self.a.build_hasher(), point, without, self.metric_names);
        let lo = feed(self.b.build_hasher(), point, without, self.metric_names);
        (u128::from(hi) << 64) | u128::from(lo)
    }
}

fn feed(
    mut h: impl Hasher,
    p: &PointRef<'_>,
    without: Option<(&[u8], &[u8])>,
    metric_names: bool,
) -> u64 {
    h.write(p.measurement);
    if metric_names {
        // SipHash is a stream: `a_b` `_` `c` hashes as `a` `_` `b_c`.
        h.write_u8(b'_');
        h.write(p.field);
    }
    h.write_u8(0xFF);
    for &(k, v) in p.tags {
        if Some((k, v)) == without {
            continue;
        }
        h.write(k);
        h.write_u8(0xFF);
        h.write(v);
        h.write_u8(0xFF);
    }
    h.write_u8(0xFE);
    if !metric_names {
        h.write(p.field);
    }
    h.write_u8(0xFF);
    h.write_i64(p.time);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_each_part_and_agree_otherwise() {
        let h = KeyHasher::new();
        let tags: &[(&[u8], &[u8])] = &[(b"a", b"1"), (b"b", b"2")];
        let p = PointRef {
            measurement: b"m",
            tags,
            field: b"f",
            time: 5,
        };
        assert_eq!(h.key(&p), h.key(&p));
        let moved: &[(&[u8], &[u8])] = &[(b"a", b"1,b"), (b"", b"2")];
        for q in [
            PointRef { time: 6, ..p },
            PointRef { field: b"g", ..p },
            PointRef {
                measurement: b"n",
                ..p
            },
            PointRef { tags: moved, ..p },
            PointRef { tags: &[], ..p },
        ] {
            assert_ne!(h.key(&p), h.key(&q));
        }
    }

    #[test]
    fn victoria_keys_leave_out_db_and_join_metric_names() {
        let h = KeyHasher::victoria_metrics(Some("d"));
        let p = PointRef {
            measurement: b"m",
            tags: &[(b"a", b"1")],
            field: b"f",
            time: 5,
        };
        let with: &[(&[u8], &[u8])] = &[(b"a", b"1"), (b"db", b"d")];
        let other: &[(&[u8], &[u8])] = &[(b"a", b"1"), (b"db", b"e")];
        assert_eq!(h.key(&p), h.key(&PointRef { tags: with, ..p }));
        assert_ne!(h.key(&p), h.key(&PointRef { tags: other, ..p }));
        let joined = PointRef {
            measurement: b"a_b",
            field: b"c",
            ..p
        };
        let split = PointRef {
            measurement: b"a",
            field: b"b_c",
            ..p
        };
        assert_eq!(h.key(&joined), h.key(&split));
        let plain = KeyHasher::new();
        assert_ne!(plain.key(&joined), plain.key(&split));
    }
}
