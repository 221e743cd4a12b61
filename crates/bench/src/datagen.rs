//! Deterministic generators of the benchmark data sets: the TSBS-like `cpu` shape and the `home`
//! shape of the InfluxDB tutorial, each as CSV or as its NDJSON twin, and two shapes that write
//! several lines per record: `wide` (CSV only, unpivoted) and `nested` (NDJSON only, an array of
//! readings per object).
//!
//! For a given shape and seed, row `i` holds the same values in CSV and in NDJSON: the random
//! stream does not depend on the format, only the text around the values does. The same rows
//! written as line protocol are the `cpu` and `home` workloads of `lpconvert bench`
//! ([`crate::workload`]), with a number of series and a clock of their own.

pub mod cpu;
pub mod home;
pub mod nested;
pub mod wide;

use crate::rng::Rng;
use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

/// Which data set to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// TSBS-like `cpu`: RFC 3339 time, 10 tags, 10 float fields (schemas/cpu.toml).
    Cpu,
    /// The tutorial's `home`: unix seconds, a room tag with spaces, 2 floats, 1 integer
    /// (schemas/home.toml).
    Home,
    /// CSV only: unix seconds and 100 sensor columns `s001`..`s100`, a few cells empty
    /// (schemas/wide.toml: one line per non-empty cell).
    Wide,
    /// NDJSON only: a site and an array of 10 readings `{"t":..,"v":..}` per object
    /// (schemas/nested.toml: one line per reading).
    Nested,
}

/// The text format of the generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A header line, then comma-separated rows.
    Csv,
    /// One JSON object per line, keyed like the CSV header.
    Ndjson,
}

/// When to stop generating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Stop after the row that makes the file at least this many bytes long (header included).
    Bytes(u64),
    /// Write exactly this many rows (plus the CSV header).
    Rows(u64),
}

/// What a generation wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GenStats {
    /// Data rows (CSV header not counted) or NDJSON objects.
    pub rows: u64,
    /// Bytes written, header included.
    pub bytes: u64,
}

impl Shape {
    /// The name used on the command line and in file names.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Cpu => "cpu",
            Shape::Home => "home",
            Shape::Wide => "wide",
            Shape::Nested => "nested",
        }
    }

    /// The formats the shape is generated in: both for `cpu` and `home`, one for the others.
    pub fn formats(self) -> &'static [Format] {
        match self {
            Shape::Cpu | Shape::Home => &[Format::Csv, Format::Ndjson],
            Shape::Wide => &[Format::Csv],
            Shape::Nested => &[Format::Ndjson],
        }
    }

    /// Whether the shape is generated in `format`; the error names the format it has.
    pub fn check(self, format: Format) -> Result<(), String> {
        match self.formats() {
            fs if fs.contains(&format) => Ok(()),
            [only] => Err(format!(
                "the `{self}` shape is {only} only, not {format}: use `{self} {only}`"
            )),
            _ => Err(format!("the `{self}` shape has no {format} format")),
        }
    }
}

impl Format {
    /// The file extension (without the dot), which is also the name on the command line.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.ext())
    }
}

impl FromStr for Shape {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cpu" => Ok(Shape::Cpu),
            "home" => Ok(Shape::Home),
            "wide" => Ok(Shape::Wide),
            "nested" => Ok(Shape::Nested),
            _ => Err(format!(
                "unknown shape `{s}`: expected `cpu`, `home`, `wide` or `nested`"
            )),
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "csv" => Ok(Format::Csv),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            _ => Err(format!("unknown format `{s}`: expected `csv` or `ndjson`")),
        }
    }
}

/// The default size of a full-scale data set in bytes: cpu CSV 1 GB, home CSV 200 MB, the
/// NDJSON twins about as many rows as those (cpu 2.9 GB, home 420 MB), wide CSV and nested
/// NDJSON 1 GB each (a format the shape does not have gets the size of the one it has).
pub fn default_size(shape: Shape, format: Format) -> u64 {
    match (shape, format) {
        (Shape::Cpu, Format::Csv) => 1_000_000_000,
        (Shape::Cpu, Format::Ndjson) => 2_900_000_000,
        (Shape::Home, Format::Csv) => 200_000_000,
        (Shape::Home, Format::Ndjson) => 420_000_000,
        (Shape::Wide | Shape::Nested, _) => 1_000_000_000,
    }
}

/// Writes the data set `shape` in `format` to `out` until `limit`, from `seed`.
///
/// The caller should give a buffered writer; rows are handed to it one `write_all` each. A
/// format the shape does not have ([`Shape::check`]) is an `InvalidInput` error, nothing written.
pub fn generate<W: Write>(
    shape: Shape,
    format: Format,
    limit: Limit,
    seed: u64,
    out: &mut W,
) -> io::Result<GenStats> {
    shape
        .check(format)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let header = |h: &[u8]| (format == Format::Csv).then(|| h.to_vec());
    match shape {
        Shape::Cpu => {
            let mut rows = cpu::CpuRows::new(seed, cpu::HOSTS);
            let h = header(rows.csv_header());
            run(h, |b| rows.next_row(format, b), limit, out)
        }
        Shape::Home => {
            let mut rows = home::HomeRows::new(seed, home::ROOMS.map(String::from).to_vec());
            let h = header(rows.csv_header());
            run(h, |b| rows.next_row(format, b), limit, out)
        }
        Shape::Wide => {
            let mut rows = wide::WideRows::new(seed);
            let h = Some(wide::WideRows::csv_header());
            run(h, |b| rows.next_row(b), limit, out)
        }
        Shape::Nested => {
            let mut rows = nested::NestedRows::new(seed);
            run(None, |b| rows.next_row(b), limit, out)
        }
    }
}

/// Where generated line protocol timestamps start and how far they advance per round (all
/// series written once), in the units of the request's precision.
#[derive(Debug, Clone, Copy)]
pub struct Clocking {
    /// First timestamp.
    pub start: i64,
    /// Step between rounds (at least 1).
    pub interval: i64,
}

/// A source of rows of one shape.
pub(crate) trait Rows {
    /// The CSV header line, newline included.
    fn csv_header(&self) -> &'static [u8];
    /// Advances to the next row and appends it, newline included, to `buf`.
    fn next_row(&mut self, format: Format, buf: &mut Vec<u8>);
    /// Advances to the next row and appends it as a line of line protocol, newline included,
    /// stamped by `clock`; returns its number of fields.
    fn next_line(&mut self, clock: &Clocking, buf: &mut Vec<u8>) -> u64;
}

/// Appends ` TIMESTAMP\n` for round `round` of `clock`.
pub(crate) fn push_timestamp(buf: &mut Vec<u8>, clock: &Clocking, round: i64) {
    let ts = clock
        .start
        .saturating_add(round.saturating_mul(clock.interval.max(1)));
    buf.push(b' ');
    buf.extend_from_slice(itoa::Buffer::new().format(ts).as_bytes());
    buf.push(b'\n');
}

/// Writes `header` (if any), then the rows `next_row` appends, until `limit`.
fn run<W: Write>(
    header: Option<Vec<u8>>,
    mut next_row: impl FnMut(&mut Vec<u8>),
    limit: Limit,
    out: &mut W,
) -> io::Result<GenStats> {
    let mut stats = GenStats::default();
    if let Some(h) = header {
        out.write_all(&h)?;
        stats.bytes += h.len() as u64;
    }
    let mut buf = Vec::with_capacity(1024);
    loop {
        let done = match limit {
            Limit::Bytes(n) => stats.bytes >= n,
            Limit::Rows(n) => stats.rows >= n,
        };
        if done {
            break;
        }
        buf.clear();
        next_row(&mut buf);
        out.write_all(&buf)?;
        stats.rows += 1;
        stats.bytes += buf.len() as u64;
    }
    out.flush()?;
    Ok(stats)
}

/// Appends `v / 100` with one or two decimals: `5810` is `58.1`, `293` is `2.93`, `4200` is `42.0`.
pub(crate) fn push_hundredths(buf: &mut Vec<u8>, v: u32) {
    let mut ib = itoa::Buffer::new();
    buf.extend_from_slice(ib.format(v / 100).as_bytes());
    let frac = v % 100;
    buf.push(b'.');
    buf.push(b'0' + (frac / 10) as u8);
    let last = (frac % 10) as u8;
    if last > 0 {
        buf.push(b'0' + last);
    }
}

/// Appends `v / 10` with exactly one decimal: `211` is `21.1`, `210` is `21.0`.
pub(crate) fn push_tenths(buf: &mut Vec<u8>, v: u32) {
    let mut ib = itoa::Buffer::new();
    buf.extend_from_slice(ib.format(v / 10).as_bytes());
    buf.push(b'.');
    buf.push(b'0' + (v % 10) as u8);
}

/// A bounded random walk: `v` moves by `-step..=step` and stays within `lo..=hi`.
#[inline]
pub(crate) fn walk(rng: &mut Rng, v: u32, step: i32, lo: u32, hi: u32) -> u32 {
    let next = v as i64 + i64::from(rng.range_i32(-step, step));
    next.clamp(i64::from(lo), i64::from(hi)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen(shape: Shape, format: Format, limit: Limit, seed: u64) -> (GenStats, String) {
        let mut out = Vec::new();
        let stats = generate(shape, format, limit, seed, &mut out).expect("write to a Vec");
        assert_eq!(stats.bytes, out.len() as u64);
        (
            stats,
            String::from_utf8(out).expect("generated text is UTF-8"),
        )
    }

    #[test]
    fn decimals() {
        let mut b = Vec::new();
        for v in [5810, 293, 4200, 0, 10000, 7] {
            push_hundredths(&mut b, v);
            b.push(b' ');
        }
        for v in [211, 210, 5] {
            push_tenths(&mut b, v);
            b.push(b' ');
        }
        assert_eq!(b, b"58.1 2.93 42.0 0.0 100.0 0.07 21.1 21.0 0.5 ");
    }

    #[test]
    fn home_csv_looks_like_the_tutorial() {
        let (stats, text) = gen(Shape::Home, Format::Csv, Limit::Rows(13), 1);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(stats.rows, 13);
        assert_eq!(lines.len(), 14);
        assert_eq!(lines[0], "time,room,temp,hum,co");
        assert!(
            lines[1].starts_with("1641024000,Living Room,"),
            "{}",
            lines[1]
        );
        assert!(
            lines[13].starts_with("1641024010,Living Room,"),
            "{}",
            lines[13]
        );
        for l in &lines[1..] {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), 5, "{l}");
            assert!(cells[2].parse::<f64>().is_ok() && cells[3].parse::<f64>().is_ok());
            assert!(cells[4].parse::<u32>().is_ok());
        }
    }

    #[test]
    fn home_ndjson_is_the_twin_of_home_csv() {
        let (_, csv) = gen(Shape::Home, Format::Csv, Limit::Rows(50), 9);
        let (_, json) = gen(Shape::Home, Format::Ndjson, Limit::Rows(50), 9);
        for (c, j) in csv.lines().skip(1).zip(json.lines()) {
            let v: serde_json::Value = serde_json::from_str(j).expect("valid JSON");
            let cells: Vec<&str> = c.split(',').collect();
            assert_eq!(v["time"].to_string(), cells[0]);
            assert_eq!(v["room"].as_str(), Some(cells[1]));
            assert_eq!(v["temp"].to_string(), cells[2]);
            assert_eq!(v["hum"].to_string(), cells[3]);
            assert_eq!(v["co"].to_string(), cells[4]);
        }
    }

    #[test]
    fn byte_limit_and_determinism() {
        let (a, ta) = gen(Shape::Home, Format::Csv, Limit::Bytes(10_000), 3);
        let (b, tb) = gen(Shape::Home, Format::Csv, Limit::Bytes(10_000), 3);
        let (_, tc) = gen(Shape::Home, Format::Csv, Limit::Bytes(10_000), 4);
        assert_eq!((a, &ta), (b, &tb));
        assert_ne!(ta, tc);
        assert!(a.bytes >= 10_000 && a.bytes < 10_100);
        assert!(ta.ends_with('\n'));
    }

    #[test]
    fn names_parse_back() {
        for s in [Shape::Cpu, Shape::Home, Shape::Wide, Shape::Nested] {
            assert_eq!(s.name().parse::<Shape>(), Ok(s));
        }
        for f in [Format::Csv, Format::Ndjson] {
            assert_eq!(f.ext().parse::<Format>(), Ok(f));
        }
        assert!("xml".parse::<Format>().is_err());
    }

    #[test]
    fn a_shape_of_one_format_names_it() {
        assert_eq!(
            Shape::Wide.check(Format::Ndjson),
            Err("the `wide` shape is csv only, not ndjson: use `wide csv`".into())
        );
        assert_eq!(
            Shape::Nested.check(Format::Csv),
            Err("the `nested` shape is ndjson only, not csv: use `nested ndjson`".into())
        );
        assert_eq!(Shape::Cpu.check(Format::Ndjson), Ok(()));
    }

    /// FNV-1a, 64 bits: a checksum that no dependency can change.
    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }

    #[test]
    fn same_seed_same_bytes_for_the_new_shapes() {
        for (shape, format) in [(Shape::Wide, Format::Csv), (Shape::Nested, Format::Ndjson)] {
            let (a, ta) = gen(shape, format, Limit::Bytes(50_000), 7);
            let (b, tb) = gen(shape, format, Limit::Bytes(50_000), 7);
            let (_, tc) = gen(shape, format, Limit::Bytes(50_000), 8);
            assert_eq!((a, &ta), (b, &tb), "{shape}");
            assert_ne!(ta, tc, "{shape}");
            assert!(a.bytes >= 50_000 && ta.ends_with('\n'), "{shape}");
        }
    }

    /// A change to any generator (values, layout, the random stream) changes these sums: if the
    /// change is meant, update them and say so, since data of the same name is no longer the same.
    #[test]
    fn reference_checksums() {
        let sums: Vec<(String, u64, u64)> = [
            (Shape::Cpu, Format::Csv),
            (Shape::Cpu, Format::Ndjson),
            (Shape::Home, Format::Csv),
            (Shape::Home, Format::Ndjson),
            (Shape::Wide, Format::Csv),
            (Shape::Nested, Format::Ndjson),
        ]
        .into_iter()
        .map(|(s, f)| {
            let (stats, text) = gen(s, f, Limit::Rows(2000), 1);
            (format!("{s}-{f}"), stats.bytes, fnv1a(text.as_bytes()))
        })
        .collect();
        let expected = [
            ("cpu-csv", 299_075, 4_544_016_873_578_816_407),
            ("cpu-ndjson", 866_857, 16_706_814_335_714_727_179),
            ("home-csv", 65_202, 9_312_347_490_876_099_621),
            ("home-ndjson", 137_180, 13_175_659_796_469_187_397),
            ("wide-csv", 984_189, 5_446_668_581_760_121_594),
            ("nested-ndjson", 584_333, 17_594_754_111_329_675_399),
        ]
        .map(|(n, bytes, sum)| (n.to_string(), bytes, sum));
        assert_eq!(sums, expected);
    }
}
