//! The `wide` shape (CSV only): a `time` column in unix seconds and 100 sensor columns
//! `s001`..`s100`, one row every 10 s; each sensor a random walk with one decimal, about one
//! cell in 50 empty (a sensor that did not report: its unpivoted line is not written).

use crate::datagen::push_tenths;
use crate::rng::Rng;

/// Number of sensor columns.
pub const SENSORS: usize = 100;
/// 2023-11-14T22:13:20Z.
const START: u64 = 1_700_000_000;
const STEP_S: u64 = 10;
/// One cell in `EMPTY_ONE_IN` is empty.
const EMPTY_ONE_IN: u64 = 50;

/// Rows of the `wide` shape.
#[derive(Debug, Clone)]
pub(crate) struct WideRows {
    rng: Rng,
    time: u64,
    /// Each sensor's value in tenths, within 0..=999.
    values: [u32; SENSORS],
}

impl WideRows {
    /// The rows of seed `seed`, starting at unix time 1700000000.
    pub(crate) fn new(seed: u64) -> Self {
        let mut rng = Rng::derive(seed, 0x7769_6465);
        let values = std::array::from_fn(|_| 100 + rng.below(300));
        WideRows {
            rng,
            time: START,
            values,
        }
    }

    /// `time,s001,...,s100` and a newline.
    pub(crate) fn csv_header() -> Vec<u8> {
        let mut h = b"time".to_vec();
        for i in 1..=SENSORS {
            h.extend_from_slice(format!(",s{i:03}").as_bytes());
        }
        h.push(b'\n');
        h
    }

    /// Appends the next row, newline included, to `buf`.
    pub(crate) fn next_row(&mut self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(itoa::Buffer::new().format(self.time).as_bytes());
        self.time += STEP_S;
        for v in self.values.iter_mut() {
            // One draw per cell: the low bits move the value by -3..=3, the high bits say
            // whether the cell is written.
            let r = self.rng.next_u64();
            let next = i64::from(*v) + (r % 7) as i64 - 3;
            *v = next.clamp(0, 999) as u32;
            buf.push(b',');
            if !(r >> 32).is_multiple_of(EMPTY_ONE_IN) {
                push_tenths(buf, *v);
            }
        }
        buf.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use crate::datagen::{generate, Format, Limit, Shape};

    fn wide(rows: u64, seed: u64) -> String {
        let mut out = Vec::new();
        generate(Shape::Wide, Format::Csv, Limit::Rows(rows), seed, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn header_has_time_and_100_sensors_and_rows_match_it() {
        let text = wide(500, 2);
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(header.len(), 101);
        assert_eq!(header[0], "time");
        assert_eq!(header[1], "s001");
        assert_eq!(header[100], "s100");
        let (mut cells, mut empty) = (0, 0);
        for (i, l) in lines.enumerate() {
            let row: Vec<&str> = l.split(',').collect();
            assert_eq!(row.len(), 101, "{l}");
            assert_eq!(
                row[0].parse::<u64>().unwrap(),
                1_700_000_000 + 10 * i as u64
            );
            for c in &row[1..] {
                cells += 1;
                if c.is_empty() {
                    empty += 1;
                } else {
                    let (_, frac) = c.split_once('.').unwrap();
                    assert_eq!(frac.len(), 1, "{c}");
                    assert!((0.0..=99.9).contains(&c.parse::<f64>().unwrap()), "{c}");
                }
            }
        }
        // About one in 50 of 50,000 cells.
        assert!((700..1300).contains(&empty), "{empty} of {cells}");
    }

    #[test]
    fn other_formats_are_refused_naming_csv() {
        let e = generate(
            Shape::Wide,
            Format::Ndjson,
            Limit::Rows(1),
            1,
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("csv"), "{e}");
    }
}
