//! The `nested` shape (NDJSON only): one object per site and 10 s, carrying that site's 10
//! readings of one second each: `{"site":"North Field","readings":[{"t":1700000000,"v":21.3},
//! ...]}`. The sites take turns; each site's value is a random walk with one decimal.

use crate::datagen::push_tenths;
use crate::rng::Rng;

/// The sites, one with a space (an escaped tag value in line protocol).
pub const SITES: [&str; 6] = [
    "lab",
    "North Field",
    "greenhouse-2",
    "roof",
    "cellar",
    "depot_7",
];
/// Readings per object.
pub const READINGS: usize = 10;
/// 2023-11-14T22:13:20Z.
const START: u64 = 1_700_000_000;

/// Rows (objects) of the `nested` shape.
#[derive(Debug, Clone)]
pub(crate) struct NestedRows {
    rng: Rng,
    /// The next object's site.
    site: usize,
    /// The first second of the current round (all sites written once).
    time: u64,
    /// Each site's value in tenths, within 0..=999.
    values: [u32; SITES.len()],
}

impl NestedRows {
    /// The objects of seed `seed`, starting at unix time 1700000000 with the first site.
    pub(crate) fn new(seed: u64) -> Self {
        let mut rng = Rng::derive(seed, 0x6e65_7374);
        let values = std::array::from_fn(|_| 150 + rng.below(200));
        NestedRows {
            rng,
            site: 0,
            time: START,
            values,
        }
    }

    /// Appends the next object, newline included, to `buf`.
    pub(crate) fn next_row(&mut self, buf: &mut Vec<u8>) {
        if self.site == SITES.len() {
            self.site = 0;
            self.time += READINGS as u64;
        }
        let s = self.site;
        self.site += 1;
        buf.extend_from_slice(b"{\"site\":\"");
        buf.extend_from_slice(SITES[s].as_bytes());
        buf.extend_from_slice(b"\",\"readings\":[");
        let mut ib = itoa::Buffer::new();
        for i in 0..READINGS {
            let r = self.rng.next_u64();
            let next = i64::from(self.values[s]) + (r % 5) as i64 - 2;
            self.values[s] = next.clamp(0, 999) as u32;
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(b"{\"t\":");
            buf.extend_from_slice(ib.format(self.time + i as u64).as_bytes());
            buf.extend_from_slice(b",\"v\":");
            push_tenths(buf, self.values[s]);
            buf.push(b'}');
        }
        buf.extend_from_slice(b"]}\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datagen::{generate, Format, Limit, Shape};

    #[test]
    fn each_object_has_a_site_and_10_readings() {
        let mut out = Vec::new();
        generate(Shape::Nested, Format::Ndjson, Limit::Rows(60), 4, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut n = 0;
        for (k, l) in text.lines().enumerate() {
            let obj: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(obj.as_object().unwrap().len(), 2);
            assert_eq!(obj["site"].as_str(), Some(SITES[k % SITES.len()]));
            let readings = obj["readings"].as_array().unwrap();
            assert_eq!(readings.len(), READINGS, "{l}");
            let base = START + (k / SITES.len() * READINGS) as u64;
            for (i, r) in readings.iter().enumerate() {
                assert_eq!(r["t"].as_u64(), Some(base + i as u64));
                let v = r["v"].as_f64().unwrap();
                assert!((0.0..=99.9).contains(&v), "{l}");
            }
            // One decimal, `21.0` included, so a float is never written as an integer.
            assert_eq!(l.matches("\"v\":").count(), READINGS);
            n += 1;
        }
        assert_eq!(n, 60);
        assert!(text.contains("\"site\":\"North Field\""));
    }

    #[test]
    fn other_formats_are_refused_naming_ndjson() {
        let e = generate(
            Shape::Nested,
            Format::Csv,
            Limit::Rows(1),
            1,
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("ndjson"), "{e}");
    }
}
