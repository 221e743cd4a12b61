//! Property tests of the engine through its public API.
//!
//! 1. Random rows (names and strings with commas, spaces, `=`, quotes, backslashes, unicode;
//!    floats, integers, unsigned, booleans, timestamps) are written as CSV with the `csv`
//!    crate, converted with a generated schema, and every output line is parsed with the
//!    `influxdb-line-protocol` crate (InfluxDB 3's parser): the same measurement, tags, field
//!    values and timestamps come back, and rows read = written + skipped + rejected.
//! 2. Random CSV with quoted cells holding commas, doubled quotes and newlines converts to the
//!    same lines and rejects (with their line numbers) whatever the threads, the chunk size,
//!    and whether the input is a mapped file or a stream.
//! 3. The same rows as NDJSON (serialized with `serde_json`, keys and values with commas,
//!    spaces, `=`, quotes, backslashes, `/`, `~` and unicode, sometimes every non-ASCII
//!    character and `/` written as `\u`/`\/` escapes, values read by `column` and by JSON
//!    Pointer `path`) round-trip through the InfluxDB 3 parser the same way.
//! 4. NDJSON files and JSON-array files (compact and pretty-printed elements, bad lines, bad
//!    values, blank lines, CRLF, a BOM) give the same lines, rejects and counters whatever the
//!    threads (1, 2), the chunk size (1..=64 and 4 MiB) and the input path (mapped file,
//!    stream, gzip, and a stream larger than the first read).
//! 5. NDJSON records with arrays of objects (`roundtrip/arrays.rs`).
//! 6. NDJSON objects iterated and spread by member name (`roundtrip/members.rs`).

#[path = "roundtrip/arrays.rs"]
mod arrays;
#[path = "roundtrip/members.rs"]
mod members;

use lpconvert_engine::{convert_input, open, Counters, Input, InputData, Reject, Sink, Tuning};
use lpconvert_schema::Schema;
use proptest::prelude::*;
use std::io::{Cursor, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Collects everything the engine hands out.
#[derive(Default, Debug)]
struct VecSink {
    lines: Vec<u8>,
    /// (line, column, message, raw row)
    rejects: Vec<(u64, usize, String, Vec<u8>)>,
    header: Option<Vec<u8>>,
}

impl Sink for VecSink {
    fn write_lines(&mut self, lines: &[u8]) -> std::io::Result<lpconvert_engine::Flow> {
        self.lines.extend_from_slice(lines);
        Ok(lpconvert_engine::Flow::Continue)
    }

    fn reject(&mut self, r: &Reject<'_>, header: Option<&[u8]>) -> std::io::Result<()> {
        self.rejects
            .push((r.line, r.column, r.message.to_string(), r.raw.to_vec()));
        self.header = header.map(<[u8]>::to_vec);
        Ok(())
    }
}

fn temp_file(name: &str, data: &[u8]) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "lpconvert-roundtrip-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, data).expect("write temp file");
    p
}

#[derive(Clone, Copy, Debug)]
enum Via {
    /// A regular file: memory-mapped.
    Mapped,
    /// An in-memory stream.
    Stream,
    /// A `.csv.gz` (`.ndjson.gz`, `.json.gz`) file: decompressed as a stream.
    Gzip,
}

fn convert(
    schema: &Schema,
    data: &[u8],
    via: Via,
    threads: usize,
    chunk_size: usize,
) -> (VecSink, Counters) {
    convert_as(schema, data, "csv", via, threads, chunk_size)
}

/// `convert` for an input named `data.<ext>` (the name gives the format).
fn convert_as(
    schema: &Schema,
    data: &[u8],
    ext: &str,
    via: Via,
    threads: usize,
    chunk_size: usize,
) -> (VecSink, Counters) {
    let tuning = Tuning {
        threads,
        chunk_size,
        max_record: lpconvert_engine::DEFAULT_MAX_RECORD,
    };
    let mut sink = VecSink::default();
    let mut cleanup = None;
    let input = match via {
        Via::Mapped => {
            let p = temp_file(&format!("data.{ext}"), data);
            let input = open(p.to_str().expect("utf-8")).expect("open");
            assert!(
                matches!(input.data, InputData::Mapped(_)) || data.is_empty(),
                "a regular file is mapped"
            );
            cleanup = Some(p);
            input
        }
        Via::Stream => Input {
            data: InputData::Stream(Box::new(Cursor::new(data.to_vec()))),
            name: format!("data.{ext}"),
            size: None,
        },
        Via::Gzip => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(data).expect("gzip");
            let p = temp_file(&format!("data.{ext}.gz"), &gz.finish().expect("gzip"));
            cleanup = Some(p.clone());
            open(p.to_str().expect("utf-8")).expect("open")
        }
    };
    let counters = convert_input(input, schema, tuning, &mut sink).expect("conversion runs");
    if let Some(p) = cleanup {
        let _ = std::fs::remove_dir_all(p.parent().expect("dir"));
    }
    assert_eq!(
        counters.rows,
        counters.written + counters.skipped + counters.rejected,
        "rows read = written + skipped + rejected"
    );
    assert_eq!(counters.rejected, sink.rejects.len() as u64);
    assert_eq!(
        counters.written,
        sink.lines.iter().filter(|b| **b == b'\n').count() as u64
    );
    (sink, counters)
}

// ---------------------------------------------------------------------------------------
// 1. Round trip through the InfluxDB 3 parser
// ---------------------------------------------------------------------------------------

/// Pieces of names (measurement, tag values). A backslash only comes before a letter: a
/// backslash before a special character or another backslash, or at the end, has no
/// portable encoding (LINE-PROTOCOL.md).
const NAME_TOKENS: &[&str] = &[
    "a", "Z", "7", " ", ",", "=", "\"", "'", "é", "日本", "😀", "\\x", "-", "_", ".", "#",
];
/// Pieces of string field values: anything but newlines.
const STRING_TOKENS: &[&str] = &[
    "a", "Z", "7", " ", ",", "=", "\"", "\\", "\\\\", "é", "日本", "😀", "\t", "{", "}", "\\\"",
];

fn tokens(set: &'static [&'static str], min: usize, max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(set), min..=max).prop_map(|v| v.concat())
}

/// A name that does not start with `#` (a line starting with `#` is a comment).
fn name(min: usize) -> impl Strategy<Value = String> {
    tokens(NAME_TOKENS, min, 6).prop_map(|s| {
        if s.starts_with('#') {
            format!("m{s}")
        } else {
            s
        }
    })
}

const BOOLS: &[(&str, bool)] = &[
    ("true", true),
    ("T", true),
    ("yes", true),
    ("Y", true),
    ("1", true),
    ("FALSE", false),
    ("f", false),
    ("No", false),
    ("n", false),
    ("0", false),
];

#[derive(Debug, Clone)]
struct Row {
    meas: String,
    tags: [String; 3],
    float: Option<(String, f64)>,
    int: Option<i64>,
    uint: Option<u64>,
    boolean: Option<(String, bool)>,
    string: Option<String>,
    ts_ns: i64,
}

fn float_text() -> impl Strategy<Value = (String, f64)> {
    let value = prop_oneof![
        proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL | proptest::num::f64::ZERO,
        (-1_000_000i64..1_000_000).prop_map(|i| i as f64 / 100.0),
    ];
    (value, 0..3u8).prop_map(|(v, style)| {
        let s = match style {
            0 => format!("{v}"),
            1 => format!("{v:e}"),
            _ => format!("{v:?}"),
        };
        let back: f64 = s.parse().expect("own float text");
        (s, back)
    })
}

const MIN_NANOS: i64 = -9_223_372_036_854_775_806;
const MAX_NANOS: i64 = 9_223_372_036_854_775_806;

fn row() -> impl Strategy<Value = Row> {
    (
        name(1),
        [name(0), name(0), name(0)],
        prop::option::of(float_text()),
        prop::option::of(any::<i64>()),
        prop::option::of(any::<u64>()),
        prop::option::of(prop::sample::select(BOOLS).prop_map(|(s, b)| (s.to_string(), b))),
        prop::option::weighted(0.7, tokens(STRING_TOKENS, 1, 8)),
        prop_oneof![
            MIN_NANOS..=MAX_NANOS,
            -10_000_000_000i64..10_000_000_000,
            Just(MIN_NANOS),
            Just(MAX_NANOS)
        ],
    )
        .prop_map(
            |(meas, tags, float, int, uint, boolean, string, ts_ns)| Row {
                meas,
                tags,
                float,
                int,
                uint,
                boolean,
                string,
                ts_ns,
            },
        )
}

/// Milliseconds as an exact decimal: `-1.500000` for -1,500,000 ns.
fn ms_text(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let a = ns.unsigned_abs();
    format!("{sign}{}.{:06}", a / 1_000_000, a % 1_000_000)
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Tag keys and field keys with characters that need escaping.
const TAG_KEYS: [&str; 3] = ["tag one", "k,=x", "ünï"];
const FIELD_KEYS: [&str; 5] = ["f float", "i,nt", "u=u", "b", "s tr\"q"];

fn schema_text(precision: &str) -> String {
    let mut s = format!(
        "measurement = {{ column = \"meas\" }}\nprecision = \"{precision}\"\non_error = \"skip\"\n"
    );
    s.push_str("[timestamp]\ncolumn = \"ts\"\nformat = \"unix_ms\"\n[tags]\n");
    for (i, k) in TAG_KEYS.iter().enumerate() {
        s.push_str(&format!("{} = {{ column = \"t{i}\" }}\n", toml_str(k)));
    }
    s.push_str("[fields]\n");
    let types = ["float", "integer", "unsigned", "boolean", "string"];
    for (i, (k, t)) in FIELD_KEYS.iter().zip(types).enumerate() {
        s.push_str(&format!(
            "{} = {{ column = \"f{i}\", type = \"{t}\" }}\n",
            toml_str(k)
        ));
    }
    s
}

fn csv_bytes(rows: &[Row], crlf: bool) -> Vec<u8> {
    let term = if crlf {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    let mut w = csv::WriterBuilder::new()
        .terminator(term)
        .from_writer(Vec::new());
    w.write_record(["meas", "t0", "t1", "t2", "f0", "f1", "f2", "f3", "f4", "ts"])
        .expect("header");
    for r in rows {
        let float = r.float.as_ref().map_or(String::new(), |f| f.0.clone());
        let int = r.int.map_or(String::new(), |v| v.to_string());
        let uint = r.uint.map_or(String::new(), |v| v.to_string());
        let boolean = r.boolean.as_ref().map_or(String::new(), |b| b.0.clone());
        let string = r.string.clone().unwrap_or_default();
        w.write_record([
            &r.meas,
            &r.tags[0],
            &r.tags[1],
            &r.tags[2],
            &float,
            &int,
            &uint,
            &boolean,
            &string,
            &ms_text(r.ts_ns),
        ])
        .expect("row");
    }
    w.into_inner().expect("csv bytes")
}

#[derive(Debug, PartialEq)]
enum Value {
    F(f64),
    I(i64),
    U(u64),
    B(bool),
    S(String),
}

/// How a test reads its input: the path, the thread count and the chunk size.
#[derive(Debug, Clone, Copy)]
struct ReadAs {
    via: Via,
    threads: usize,
    chunk: usize,
}

fn check_roundtrip(
    rows: &[Row],
    precision: (&str, i64),
    crlf: bool,
    read: ReadAs,
) -> Result<(), TestCaseError> {
    let schema = Schema::from_toml(&schema_text(precision.0)).expect("generated schema is valid");
    let data = csv_bytes(rows, crlf);
    let (sink, counters) = convert(&schema, &data, read.via, read.threads, read.chunk);
    check_lines(rows, precision, &sink, counters)
}

/// The output of `rows` parses back to the same values; every row is counted.
fn check_lines(
    rows: &[Row],
    precision: (&str, i64),
    sink: &VecSink,
    counters: Counters,
) -> Result<(), TestCaseError> {
    // A time that rounded down to the precision falls below the range servers accept is
    // rejected (issue 10); every other row with a field converts.
    let below_range = |r: &Row| {
        let back = r.ts_ns.div_euclid(precision.1).checked_mul(precision.1);
        !matches!(back, Some(b) if b >= MIN_NANOS)
    };
    let with_field: Vec<&Row> = rows
        .iter()
        .filter(|r| {
            r.float.is_some()
                || r.int.is_some()
                || r.uint.is_some()
                || r.boolean.is_some()
                || r.string.is_some()
        })
        .collect();
    let rejected = with_field.iter().filter(|r| below_range(r)).count();
    prop_assert_eq!(
        sink.rejects.len(),
        rejected,
        "unexpected rejects: {:?}",
        sink.rejects
    );
    for r in &sink.rejects {
        prop_assert!(r.2.contains("rounded down"), "unexpected reject: {:?}", r);
    }
    let expected_rows: Vec<&Row> = with_field.into_iter().filter(|r| !below_range(r)).collect();
    let text = String::from_utf8(sink.lines.clone()).expect("output is UTF-8");
    let parsed: Vec<_> = influxdb_line_protocol::parse_lines(&text).collect();
    prop_assert_eq!(counters.rows, rows.len() as u64);
    prop_assert_eq!(counters.rejected, rejected as u64);
    prop_assert_eq!(
        counters.skipped,
        (rows.len() - expected_rows.len() - rejected) as u64
    );
    prop_assert_eq!(
        parsed.len(),
        expected_rows.len(),
        "one parsed line per row with a field:\n{}",
        text
    );
    for ((line, r), raw) in parsed.into_iter().zip(expected_rows).zip(text.lines()) {
        let line =
            line.map_err(|e| TestCaseError::fail(format!("line does not parse: {e}\n{raw}")))?;
        prop_assert_eq!(
            line.series.measurement.as_str(),
            r.meas.as_str(),
            "measurement of {}",
            raw
        );
        // Tags: the non-empty ones, sorted bytewise by key.
        let mut want_tags: Vec<(String, String)> = TAG_KEYS
            .iter()
            .zip(&r.tags)
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        want_tags.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let got_tags: Vec<(String, String)> =
            line.series.tag_set.as_ref().map_or_else(Vec::new, |t| {
                t.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            });
        prop_assert_eq!(got_tags, want_tags, "tags of {}", raw);
        // Fields in declaration order.
        let mut want_fields = Vec::new();
        if let Some((_, f)) = &r.float {
            want_fields.push((FIELD_KEYS[0].to_string(), Value::F(*f)));
        }
        if let Some(i) = r.int {
            want_fields.push((FIELD_KEYS[1].to_string(), Value::I(i)));
        }
        if let Some(u) = r.uint {
            want_fields.push((FIELD_KEYS[2].to_string(), Value::U(u)));
        }
        if let Some((_, b)) = &r.boolean {
            want_fields.push((FIELD_KEYS[3].to_string(), Value::B(*b)));
        }
        if let Some(s) = &r.string {
            want_fields.push((FIELD_KEYS[4].to_string(), Value::S(s.clone())));
        }
        let got_fields: Vec<(String, Value)> = line
            .field_set
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    influxdb_line_protocol::FieldValue::F64(f) => Value::F(*f),
                    influxdb_line_protocol::FieldValue::I64(i) => Value::I(*i),
                    influxdb_line_protocol::FieldValue::U64(u) => Value::U(*u),
                    influxdb_line_protocol::FieldValue::Boolean(b) => Value::B(*b),
                    influxdb_line_protocol::FieldValue::String(s) => Value::S(s.to_string()),
                };
                (k.to_string(), v)
            })
            .collect();
        prop_assert_eq!(got_fields, want_fields, "fields of {}", raw);
        prop_assert_eq!(
            line.timestamp,
            Some(r.ts_ns.div_euclid(precision.1)),
            "timestamp of {}",
            raw
        );
    }
    Ok(())
}

const PRECISIONS: [(&str, i64); 4] = [
    ("ns", 1),
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn rows_round_trip_through_the_influxdb3_parser(
        rows in prop::collection::vec(row(), 0..24),
        precision in prop::sample::select(&PRECISIONS[..]),
        crlf in any::<bool>(),
        threads in 1usize..=2,
        chunk in prop_oneof![1usize..200, Just(4 << 20)],
        stream in any::<bool>(),
    ) {
        let via = if stream { Via::Stream } else { Via::Mapped };
        check_roundtrip(&rows, precision, crlf, ReadAs { via, threads, chunk })?;
    }
}

// ---------------------------------------------------------------------------------------
// 2. Same results whatever the threads, chunk size and input path
// ---------------------------------------------------------------------------------------

const CHUNK_SCHEMA: &str = r#"
measurement = "q"
on_error = "skip"
string_newlines = "escape"
[tags]
a = "a"
[fields]
b = "string"
c = "integer"
"#;

#[derive(Debug, Clone)]
enum Kind {
    Good,
    /// `c` is not an integer: rejected at column 3.
    BadInt,
    /// One cell too many: rejected at column 4.
    Extra,
}

#[derive(Debug, Clone)]
struct QRow {
    a: String,
    a_quoted: bool,
    b: String,
    b_quoted: bool,
    c: i32,
    kind: Kind,
    crlf: bool,
    blank_after: bool,
}

/// Cell text for a quoted cell: commas, doubled quotes, newlines (LF and CRLF), spaces.
const QUOTED_TOKENS: &[&str] = &["x", "y z", ",", "\"", "\n", "\r\n", " ", "é", ";", "''"];
const PLAIN_TOKENS: &[&str] = &["x", "y", "7", " ", "é", "-", "'"];

fn qrow() -> impl Strategy<Value = QRow> {
    (
        prop_oneof![
            tokens(PLAIN_TOKENS, 1, 4).prop_map(|s| (s, false)),
            tokens(&["x", "y z", ",", "\"", " ", "é"], 1, 5).prop_map(|s| (s, true))
        ],
        prop_oneof![
            tokens(PLAIN_TOKENS, 0, 4).prop_map(|s| (s, false)),
            tokens(QUOTED_TOKENS, 0, 8).prop_map(|s| (s, true))
        ],
        any::<i32>(),
        prop_oneof![6 => Just(Kind::Good), 1 => Just(Kind::BadInt), 1 => Just(Kind::Extra)],
        any::<bool>(),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |((a, a_quoted), (b, b_quoted), c, kind, crlf, blank_after)| {
                // A tag value must not be empty of text after trimming nothing; keep it non-empty.
                let a = if a.trim().is_empty() && !a_quoted {
                    format!("t{a}")
                } else {
                    a
                };
                QRow {
                    a,
                    a_quoted,
                    b,
                    b_quoted,
                    c,
                    kind,
                    crlf,
                    blank_after,
                }
            },
        )
}

fn cell(text: &str, quoted: bool) -> String {
    if quoted {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The CSV text and, for each bad row, its expected (line, column).
fn qcsv(rows: &[QRow], final_newline: bool) -> (Vec<u8>, Vec<(u64, usize)>) {
    let mut out = String::from("a,b,c\n");
    let mut line = 2u64;
    let mut bad = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let c = match r.kind {
            Kind::BadInt => "x".to_string(),
            _ => r.c.to_string(),
        };
        let mut text = format!(
            "{},{},{}",
            cell(&r.a, r.a_quoted),
            cell(&r.b, r.b_quoted),
            c
        );
        if matches!(r.kind, Kind::Extra) {
            text.push_str(",extra");
        }
        match r.kind {
            Kind::BadInt => bad.push((line, 3)),
            Kind::Extra => bad.push((line, 4)),
            Kind::Good => {}
        }
        let last = i + 1 == rows.len();
        line += text.matches('\n').count() as u64 + 1;
        out.push_str(&text);
        if !last || final_newline {
            out.push_str(if r.crlf { "\r\n" } else { "\n" });
        }
        if r.blank_after && !last {
            out.push('\n');
            line += 1;
        }
    }
    (out.into_bytes(), bad)
}

type Outcome = (Vec<u8>, Vec<(u64, usize, String, Vec<u8>)>, Counters);

fn outcome(schema: &Schema, data: &[u8], via: Via, threads: usize, chunk: usize) -> Outcome {
    let (sink, c) = convert(schema, data, via, threads, chunk);
    (sink.lines, sink.rejects, c)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn chunking_threads_and_paths_do_not_change_the_result(
        rows in prop::collection::vec(qrow(), 1..30),
        final_newline in any::<bool>(),
    ) {
        let schema = Schema::from_toml(CHUNK_SCHEMA).expect("schema");
        let (data, bad) = qcsv(&rows, final_newline);
        let reference = outcome(&schema, &data, Via::Mapped, 1, 4 << 20);
        // The rejects are exactly the bad rows, at their physical lines and cells.
        let got: Vec<(u64, usize)> = reference.1.iter().map(|r| (r.0, r.1)).collect();
        prop_assert_eq!(&got, &bad, "reject positions in\n{}", String::from_utf8_lossy(&data));
        prop_assert_eq!(reference.2.rows, rows.len() as u64);
        prop_assert_eq!(reference.2.written, (rows.len() - bad.len()) as u64);
        for threads in 1..=2 {
            for chunk in (1..=64).chain([4 << 20]) {
                let o = outcome(&schema, &data, Via::Mapped, threads, chunk);
                prop_assert_eq!(&o, &reference, "mapped, threads {}, chunk {}", threads, chunk);
            }
            let o = outcome(&schema, &data, Via::Stream, threads, 7);
            prop_assert_eq!(&o, &reference, "stream, threads {}", threads);
        }
        // A stream larger than the first read (64 KiB), so that the stream chunker cuts it.
        let mut big = data.clone();
        if !final_newline {
            big.push(b'\n');
        }
        let body = big[b"a,b,c\n".len()..].to_vec();
        while big.len() < 150_000 {
            big.extend_from_slice(&body);
        }
        let reference = outcome(&schema, &big, Via::Mapped, 1, 4 << 20);
        for (via, threads, chunk) in [(Via::Stream, 2, 7), (Via::Stream, 1, 1000), (Via::Stream, 2, 4 << 20), (Via::Gzip, 2, 64), (Via::Mapped, 2, 333)] {
            let o = outcome(&schema, &big, via, threads, chunk);
            prop_assert_eq!(&o, &reference, "{:?}, threads {}, chunk {}, {} bytes", via, threads, chunk, big.len());
        }
    }
}

// ---------------------------------------------------------------------------------------
// 3. Round trip of NDJSON through the InfluxDB 3 parser
// ---------------------------------------------------------------------------------------

/// Writes every non-ASCII character as `\uXXXX` (surrogate pairs above U+FFFF) and `/` as
/// `\/`, in keys and values, from compact `serde_json` text (where such characters only occur
/// inside strings, and never within an escape): the converter must decode them before
/// matching keys and writing values.
fn escape_json(compact: &str, upper: bool) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    for c in compact.chars() {
        if c == '/' {
            out.push_str("\\/");
        } else if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                if upper {
                    out.push_str(&format!("\\u{u:04X}"));
                } else {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out
}

/// How a row's object is written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum JsonStyle {
    /// `serde_json::to_string`.
    Compact,
    /// `\u` escapes for all non-ASCII, `\/` for `/`.
    Escaped { upper: bool },
    /// `serde_json::to_string_pretty`: several lines (JSON arrays only).
    Pretty,
}

fn json_text(v: &serde_json::Value, style: JsonStyle) -> String {
    match style {
        JsonStyle::Compact => serde_json::to_string(v).expect("json"),
        JsonStyle::Pretty => serde_json::to_string_pretty(v).expect("json"),
        JsonStyle::Escaped { upper } => {
            escape_json(&serde_json::to_string(v).expect("json"), upper)
        }
    }
}

/// The JSON keys the NDJSON schema reads (by `column` at the top level, or by `path` under
/// `tags` / `fields`): commas, spaces, `=`, quotes, backslashes, `/`, `~` and unicode.
const JSON_MEAS: &str = "meas, \"m\"=1";
const JSON_TAG_SRC: [&str; 3] = ["tag one/x", "k,=\"x\\y", "ünï~0 日本/~1"];
/// Field sources: `(key, by path under "fields")`.
const JSON_FIELD_SRC: [(&str, bool); 5] = [
    ("f float", false),
    ("i,nt=\"", true),
    ("u/u", false),
    ("b~", true),
    ("s\\tr é", false),
];

/// An RFC 6901 reference token.
fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn ndjson_schema_text(precision: &str) -> String {
    let mut s = format!(
        "measurement = {{ column = {} }}\nprecision = \"{precision}\"\non_error = \"skip\"\n",
        toml_str(JSON_MEAS)
    );
    s.push_str("[timestamp]\npath = \"/time/ns\"\nformat = \"unix_ns\"\n[tags]\n");
    for (k, src) in TAG_KEYS.iter().zip(JSON_TAG_SRC) {
        s.push_str(&format!(
            "{} = {{ path = {} }}\n",
            toml_str(k),
            toml_str(&format!("/tags/{}", pointer_token(src)))
        ));
    }
    s.push_str("[fields]\n");
    let types = ["float", "integer", "unsigned", "boolean", "string"];
    for ((k, (src, by_path)), t) in FIELD_KEYS.iter().zip(JSON_FIELD_SRC).zip(types) {
        let source = if by_path {
            format!(
                "path = {}",
                toml_str(&format!("/fields/{}", pointer_token(src)))
            )
        } else {
            format!("column = {}", toml_str(src))
        };
        s.push_str(&format!(
            "{} = {{ {source}, type = \"{t}\" }}\n",
            toml_str(k)
        ));
    }
    s
}

/// How an empty value is written: left out, `null`, or `""`.
#[derive(Debug, Clone, Copy)]
enum Empty {
    Omit,
    Null,
    Blank,
}

/// Choices for writing one row as JSON (what varies without changing the values).
#[derive(Debug, Clone)]
struct JsonChoices {
    /// Numbers as JSON strings instead of JSON numbers (float, integer, unsigned).
    quoted: [bool; 3],
    /// The boolean as a JSON boolean rather than one of the true/false texts.
    json_bool: bool,
    empty: Empty,
    style: JsonStyle,
    /// Unrelated nested values the converter has to skip.
    noise: bool,
    /// A blank (whitespace-only) line after the row.
    blank_after: bool,
}

fn json_choices() -> impl Strategy<Value = JsonChoices> {
    (
        any::<[bool; 3]>(),
        any::<bool>(),
        prop_oneof![Just(Empty::Omit), Just(Empty::Null), Just(Empty::Blank)],
        prop_oneof![
            2 => Just(JsonStyle::Compact),
            1 => any::<bool>().prop_map(|upper| JsonStyle::Escaped { upper })
        ],
        any::<bool>(),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(quoted, json_bool, empty, style, noise, blank_after)| JsonChoices {
                quoted,
                json_bool,
                empty,
                style,
                noise,
                blank_after,
            },
        )
}

fn json_row(r: &Row, c: &JsonChoices) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let mut top = Map::new();
    let mut tags = Map::new();
    let mut fields = Map::new();
    let put = |m: &mut Map<String, Value>, k: &str, v: Option<Value>| match (v, c.empty) {
        (Some(v), _) => {
            m.insert(k.to_string(), v);
        }
        (None, Empty::Omit) => {}
        (None, Empty::Null) => {
            m.insert(k.to_string(), Value::Null);
        }
        (None, Empty::Blank) => {
            m.insert(k.to_string(), Value::String(String::new()));
        }
    };
    top.insert(JSON_MEAS.to_string(), Value::String(r.meas.clone()));
    for (src, v) in JSON_TAG_SRC.iter().zip(&r.tags) {
        put(
            &mut tags,
            src,
            (!v.is_empty()).then(|| Value::String(v.clone())),
        );
    }
    let num = |quoted: bool, text: String, n: Option<serde_json::Number>| match n {
        Some(n) if !quoted => Value::Number(n),
        _ => Value::String(text),
    };
    let values = [
        r.float
            .as_ref()
            .map(|(t, f)| num(c.quoted[0], t.clone(), serde_json::Number::from_f64(*f))),
        r.int
            .map(|i| num(c.quoted[1], i.to_string(), Some(i.into()))),
        r.uint
            .map(|u| num(c.quoted[2], u.to_string(), Some(u.into()))),
        r.boolean.as_ref().map(|(t, b)| {
            if c.json_bool {
                Value::Bool(*b)
            } else {
                Value::String(t.clone())
            }
        }),
        r.string.clone().map(Value::String),
    ];
    for ((src, by_path), v) in JSON_FIELD_SRC.iter().zip(values) {
        if *by_path {
            put(&mut fields, src, v);
        } else {
            put(&mut top, src, v);
        }
    }
    top.insert("tags".into(), Value::Object(tags));
    top.insert("fields".into(), Value::Object(fields));
    top.insert("time".into(), json!({ "ns": r.ts_ns }));
    if c.noise {
        top.insert(
            "noise".into(),
            json!({"arr": [1, {"x": "]}\"{", "y": [[], {}]}, -1.5e-3, null, true], "s": "\\", "k": "/tags/x"}),
        );
    }
    Value::Object(top)
}

fn ndjson_bytes(rows: &[(Row, JsonChoices)], crlf: bool) -> Vec<u8> {
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut out = String::new();
    for (r, c) in rows {
        out.push_str(&json_text(&json_row(r, c), c.style));
        out.push_str(eol);
        if c.blank_after {
            out.push_str(" \t");
            out.push_str(eol);
        }
    }
    out.into_bytes()
}

fn check_ndjson_roundtrip(
    rows: &[(Row, JsonChoices)],
    precision: (&str, i64),
    crlf: bool,
    read: ReadAs,
) -> Result<(), TestCaseError> {
    let ReadAs {
        via,
        threads,
        chunk,
    } = read;
    let schema =
        Schema::from_toml(&ndjson_schema_text(precision.0)).expect("generated schema is valid");
    let data = ndjson_bytes(rows, crlf);
    let (sink, counters) = convert_as(&schema, &data, "ndjson", via, threads, chunk);
    let plain: Vec<Row> = rows.iter().map(|(r, _)| r.clone()).collect();
    check_lines(&plain, precision, &sink, counters).map_err(|e| {
        TestCaseError::fail(format!("{e}\ninput:\n{}", String::from_utf8_lossy(&data)))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn ndjson_rows_round_trip_through_the_influxdb3_parser(
        rows in prop::collection::vec((row(), json_choices()), 0..24),
        precision in prop::sample::select(&PRECISIONS[..]),
        crlf in any::<bool>(),
        threads in 1usize..=2,
        chunk in prop_oneof![1usize..200, Just(4 << 20)],
        via in prop_oneof![Just(Via::Mapped), Just(Via::Stream), Just(Via::Gzip)],
    ) {
        check_ndjson_roundtrip(&rows, precision, crlf, ReadAs { via, threads, chunk })?;
    }
}

// ---------------------------------------------------------------------------------------
// 4. NDJSON and JSON arrays: same results whatever the threads, chunk size and input path
// ---------------------------------------------------------------------------------------

/// CHUNK_SCHEMA with the tag read from the JSON path `/t/a`.
fn nd_chunk_schema() -> Schema {
    Schema::from_toml(&CHUNK_SCHEMA.replace("a = \"a\"", "a = { path = \"/t/a\" }"))
        .expect("schema")
}

/// Asserts that `data` (a `.ext` input, shown as `show`) gives `reference` mapped with 1 or 2
/// threads and every chunk size from 1 to 64 and 4 MiB, and streamed with chunks of 1, 7 and
/// 4 MiB.
fn same_for_threads_and_chunks(
    schema: &Schema,
    data: &[u8],
    ext: &str,
    reference: &Outcome,
    show: &str,
) -> Result<(), TestCaseError> {
    for threads in 1..=2 {
        for chunk in (1..=64).chain([4 << 20]) {
            let o = outcome_as(schema, data, ext, Via::Mapped, threads, chunk);
            prop_assert_eq!(
                &o,
                reference,
                "mapped, threads {}, chunk {}\n{}",
                threads,
                chunk,
                show
            );
        }
        for chunk in [1, 7, 4 << 20] {
            let o = outcome_as(schema, data, ext, Via::Stream, threads, chunk);
            prop_assert_eq!(
                &o,
                reference,
                "stream, threads {}, chunk {}\n{}",
                threads,
                chunk,
                show
            );
        }
    }
    Ok(())
}

/// Asserts that `big` (a `.ext` input larger than a stream's first read) gives what it gives
/// mapped with one thread, streamed, gzipped and mapped with an odd chunk size.
fn same_on_every_path(schema: &Schema, big: &[u8], ext: &str) -> Result<Outcome, TestCaseError> {
    let reference = outcome_as(schema, big, ext, Via::Mapped, 1, 4 << 20);
    for (via, threads, chunk) in [
        (Via::Stream, 2, 7),
        (Via::Stream, 1, 1000),
        (Via::Stream, 2, 4 << 20),
        (Via::Gzip, 2, 64),
        (Via::Mapped, 2, 333),
    ] {
        let o = outcome_as(schema, big, ext, via, threads, chunk);
        prop_assert_eq!(
            &o,
            &reference,
            "{:?}, threads {}, chunk {}, {} bytes",
            via,
            threads,
            chunk,
            big.len()
        );
    }
    Ok(reference)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum NKind {
    Good,
    /// A trailing comma before the closing brace: `invalid JSON` at the brace.
    BadJson,
    /// `c` is an object: a row error at the column of its `{`.
    BadType,
    /// A JSON string instead of an object: `invalid JSON` at column 1.
    NotObject,
}

#[derive(Debug, Clone)]
struct NRow {
    a: String,
    b: String,
    c: i64,
    kind: NKind,
    style: JsonStyle,
    crlf: bool,
    blank_after: bool,
}

/// Tag values: brackets, braces, quotes, commas and escapes that a chunker must not be
/// fooled by; never empty, never ending in a backslash.
const ND_TAG_TOKENS: &[&str] = &[
    "x", "y z", ",", "\"", "{", "}", "[", "]", "é", "😀", "=", "\\x", ":", "/",
];
const ND_STRING_TOKENS: &[&str] = &[
    "x", " ", "\"", "\\", "{", "}", "[", "]", ",", "\n", "\r\n", "\t", "é", "😀", "\u{1}", "/",
];

fn nrow(pretty: bool) -> impl Strategy<Value = NRow> {
    let style = if pretty {
        prop_oneof![
            Just(JsonStyle::Compact),
            Just(JsonStyle::Pretty),
            Just(JsonStyle::Escaped { upper: false })
        ]
        .boxed()
    } else {
        prop_oneof![
            Just(JsonStyle::Compact),
            Just(JsonStyle::Escaped { upper: true })
        ]
        .boxed()
    };
    (
        tokens(ND_TAG_TOKENS, 1, 5),
        tokens(ND_STRING_TOKENS, 0, 8),
        any::<i64>(),
        prop_oneof![
            8 => Just(NKind::Good),
            1 => Just(NKind::BadJson),
            1 => Just(NKind::BadType),
            1 => Just(NKind::NotObject)
        ],
        style,
        any::<bool>(),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(a, b, c, kind, style, crlf, blank_after)| NRow {
            a,
            b,
            c,
            kind,
            style,
            crlf,
            blank_after,
        })
}

/// The text of one row or element, and the 1-based byte column of its error (if bad).
fn nrow_text(r: &NRow) -> (String, Option<usize>) {
    use serde_json::json;
    match r.kind {
        NKind::Good => (
            json_text(&json!({"t": {"a": r.a}, "b": r.b, "c": r.c}), r.style),
            None,
        ),
        NKind::BadJson => {
            let good = json_text(&json!({"t": {"a": r.a}, "b": r.b, "c": r.c}), r.style);
            let cut = good.trim_end().len() - 1;
            let bad = format!("{},}}", &good[..cut].trim_end());
            let column = bad.len();
            (bad, Some(column))
        }
        NKind::BadType => {
            let text = json_text(
                &json!({"t": {"a": r.a}, "b": r.b, "c": {"n": r.c}}),
                r.style,
            );
            // Inside a JSON string every quote is escaped, so `"c":` is the key.
            let key = text.find("\"c\":").expect("key c");
            let brace = key + text[key..].find('{').expect("object");
            (text, Some(brace + 1))
        }
        // Not an array: a file whose first non-blank byte is `[` is one JSON array.
        NKind::NotObject => (json_text(&json!(r.a), r.style), Some(1)),
    }
}

/// NDJSON text and, for each bad row, its expected (line, column).
fn nd_lines(rows: &[NRow], final_newline: bool) -> (Vec<u8>, Vec<(u64, usize)>) {
    let mut out = String::new();
    let mut line = 1u64;
    let mut bad = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let (text, column) = nrow_text(r);
        if let Some(col) = column {
            bad.push((line, col));
        }
        let last = i + 1 == rows.len();
        out.push_str(&text);
        line += 1;
        if !last || final_newline {
            out.push_str(if r.crlf { "\r\n" } else { "\n" });
        }
        if r.blank_after && !last {
            out.push_str(if r.crlf { "  \r\n" } else { "\n" });
            line += 1;
        }
    }
    (out.into_bytes(), bad)
}

/// One JSON array of the rows (pretty elements span lines), and for each bad element the
/// line of its error.
fn json_array(rows: &[NRow], bom: bool, lead: &str) -> (Vec<u8>, Vec<u64>) {
    let mut out = String::new();
    if bom {
        out.push('\u{feff}');
    }
    out.push_str(lead);
    out.push('[');
    let mut bad = Vec::new();
    // The line the next byte is on.
    let mut line = 1 + lead.matches('\n').count() as u64;
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(if r.crlf { "\r\n" } else { "\n" });
        line += 1;
        if r.blank_after {
            out.push('\n');
            line += 1;
        }
        let (text, column) = nrow_text(r);
        // A trailing comma inside an element would make the rest of the array unreadable.
        if r.kind == NKind::BadJson {
            let good = nrow_text(&NRow {
                kind: NKind::BadType,
                ..r.clone()
            });
            let col = good.1.unwrap_or(1);
            bad.push(line + good.0[..col - 1].matches('\n').count() as u64);
            line += good.0.matches('\n').count() as u64;
            out.push_str(&good.0);
            continue;
        }
        // A reject names the physical line of the error inside the element.
        if let Some(col) = column {
            bad.push(line + text[..col - 1].matches('\n').count() as u64);
        }
        line += text.matches('\n').count() as u64;
        out.push_str(&text);
    }
    out.push_str("\n]\n");
    (out.into_bytes(), bad)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn ndjson_chunking_threads_and_paths_do_not_change_the_result(
        rows in prop::collection::vec(nrow(false), 1..30),
        final_newline in any::<bool>(),
    ) {
        let schema = nd_chunk_schema();
        let (data, bad) = nd_lines(&rows, final_newline);
        let show = String::from_utf8_lossy(&data).into_owned();
        let reference = outcome_as(&schema, &data, "ndjson", Via::Mapped, 1, 4 << 20);
        let got: Vec<(u64, usize)> = reference.1.iter().map(|r| (r.0, r.1)).collect();
        prop_assert_eq!(&got, &bad, "reject positions in\n{}", show);
        prop_assert_eq!(reference.2.rows, rows.len() as u64);
        prop_assert_eq!(reference.2.written, (rows.len() - bad.len()) as u64);
        same_for_threads_and_chunks(&schema, &data, "ndjson", &reference, &show)?;
        // A stream larger than the first read (64 KiB), so that the stream chunker cuts it.
        let mut big = data.clone();
        if !final_newline {
            big.push(b'\n');
        }
        let body = big.clone();
        while big.len() < 150_000 {
            big.extend_from_slice(&body);
        }
        same_on_every_path(&schema, &big, "ndjson")?;
    }

    #[test]
    fn json_array_chunking_threads_and_paths_do_not_change_the_result(
        rows in prop::collection::vec(nrow(true), 1..30),
        bom in any::<bool>(),
        lead in prop::sample::select(&["", "\n", " \r\n\t"][..]),
    ) {
        let schema = nd_chunk_schema();
        let (data, bad) = json_array(&rows, bom, lead);
        let show = String::from_utf8_lossy(&data).into_owned();
        let reference = outcome_as(&schema, &data, "json", Via::Mapped, 1, 4 << 20);
        let got: Vec<u64> = reference.1.iter().map(|r| r.0).collect();
        prop_assert_eq!(&got, &bad, "reject lines in\n{}", show);
        prop_assert_eq!(reference.2.rows, rows.len() as u64, "rows in\n{}", show);
        prop_assert_eq!(reference.2.written, (rows.len() - bad.len()) as u64);
        same_for_threads_and_chunks(&schema, &data, "json", &reference, &show)?;
        // One array larger than the first read of a stream.
        let copies = 150_000 / data.len() + 1;
        let many: Vec<NRow> = (0..copies).flat_map(|_| rows.iter().cloned()).collect();
        let (big, _) = json_array(&many, bom, lead);
        let reference = same_on_every_path(&schema, &big, "json")?;
        prop_assert_eq!(reference.2.rows, many.len() as u64);
    }
}

fn outcome_as(
    schema: &Schema,
    data: &[u8],
    ext: &str,
    via: Via,
    threads: usize,
    chunk: usize,
) -> Outcome {
    let (sink, c) = convert_as(schema, data, ext, via, threads, chunk);
    (sink.lines, sink.rejects, c)
}
