//! 5. NDJSON records carrying arrays of objects (`sensors`, each with a `readings` array and
//!    an object one level inside each reading; empty and missing arrays) convert to one line
//!    per reading with a field: parsed back with the InfluxDB 3 parser, the lines are the same
//!    multiset of (tags, fields, time) as computed from the records, whatever the threads, the
//!    chunk size and the input path; rows read = converted + skipped + rejected and lines
//!    written is the number of lines.

use super::{
    convert_input, json_text, name, open, temp_file, tokens, Counters, Input, InputData, JsonStyle,
    Schema, Tuning, VecSink, Via, NAME_TOKENS,
};
use proptest::prelude::*;
use serde_json::{json, Map, Value as Json};
use std::io::{Cursor, Write};

/// One reading: its time (seconds), an optional float `v` and an optional integer `m/q`.
#[derive(Debug, Clone)]
struct Reading {
    t: i64,
    v: Option<f64>,
    q: Option<i64>,
}

/// One sensor: its id (a tag) and its readings; `None` leaves the `readings` key out.
#[derive(Debug, Clone)]
struct Sensor {
    id: String,
    readings: Option<Vec<Reading>>,
}

/// One record: a site (a tag outside the iteration, left out when empty) and its sensors;
/// `None` leaves the `sensors` key out.
#[derive(Debug, Clone)]
struct Record {
    site: String,
    sensors: Option<Vec<Sensor>>,
    style: JsonStyle,
}

const SCHEMA: &str = r#"
measurement = "env"
precision = "s"
on_error = "skip"
[timestamp]
path = "/sensors/*/readings/*/t"
format = "unix_s"
[tags]
site = { path = "/site" }
"sensor id" = { path = "/sensors/*/id" }
[fields]
v = { path = "/sensors/*/readings/*/v", type = "float" }
"q,n" = { path = "/sensors/*/readings/*/m/q", type = "integer" }
"#;

fn reading() -> impl Strategy<Value = Reading> {
    (
        // Seconds whose nanoseconds fit in an i64.
        -9_000_000_000i64..9_000_000_000,
        prop::option::weighted(
            0.7,
            proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL | proptest::num::f64::ZERO,
        ),
        prop::option::weighted(0.5, any::<i64>()),
    )
        .prop_map(|(t, v, q)| Reading { t, v, q })
}

fn sensor() -> impl Strategy<Value = Sensor> {
    (
        name(1),
        prop::option::weighted(0.9, prop::collection::vec(reading(), 0..4)),
    )
        .prop_map(|(id, readings)| Sensor { id, readings })
}

fn record() -> impl Strategy<Value = Record> {
    (
        tokens(NAME_TOKENS, 0, 4),
        prop::option::weighted(0.9, prop::collection::vec(sensor(), 0..4)),
        prop_oneof![
            Just(JsonStyle::Compact),
            Just(JsonStyle::Escaped { upper: false })
        ],
    )
        .prop_map(|(site, sensors, style)| Record {
            site,
            sensors,
            style,
        })
}

fn record_json(r: &Record) -> Json {
    let mut top = Map::new();
    if !r.site.is_empty() {
        top.insert("site".into(), Json::String(r.site.clone()));
    }
    if let Some(sensors) = &r.sensors {
        let list = sensors
            .iter()
            .map(|s| {
                let mut o = Map::new();
                o.insert("id".into(), Json::String(s.id.clone()));
                if let Some(readings) = &s.readings {
                    let items = readings
                        .iter()
                        .map(|x| {
                            let mut e = Map::new();
                            e.insert("t".into(), json!(x.t));
                            if let Some(v) = x.v {
                                e.insert("v".into(), json!(v));
                            }
                            // The nested object is there even without `q`.
                            e.insert("m".into(), x.q.map_or(json!({}), |q| json!({ "q": q })));
                            Json::Object(e)
                        })
                        .collect();
                    o.insert("readings".into(), Json::Array(items));
                }
                Json::Object(o)
            })
            .collect();
        top.insert("sensors".into(), Json::Array(list));
    }
    Json::Object(top)
}

/// A field value parsed back.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub(super) enum Field {
    F(f64),
    I(i64),
}

/// A line as (sorted tags, fields in declaration order, time).
pub(super) type Point = (Vec<(String, String)>, Vec<(String, Field)>, Option<i64>);

/// The points of a record, computed from the record itself.
fn expected(r: &Record) -> Vec<Point> {
    let mut out = Vec::new();
    for s in r.sensors.iter().flatten() {
        for x in s.readings.iter().flatten() {
            let mut fields = Vec::new();
            if let Some(v) = x.v {
                fields.push(("v".to_string(), Field::F(v)));
            }
            if let Some(q) = x.q {
                fields.push(("q,n".to_string(), Field::I(q)));
            }
            if fields.is_empty() {
                continue;
            }
            let mut tags = vec![("sensor id".to_string(), s.id.clone())];
            if !r.site.is_empty() {
                tags.push(("site".to_string(), r.site.clone()));
            }
            tags.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push((tags, fields, Some(x.t)));
        }
    }
    out
}

/// Converts `data` (an `.ndjson` input) without the one-line-per-row assertions of the
/// flat tests: several lines may come from one record.
fn convert_records(
    schema: &Schema,
    data: &[u8],
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
            let p = temp_file("data.ndjson", data);
            cleanup = Some(p.clone());
            open(p.to_str().expect("utf-8")).expect("open")
        }
        Via::Stream => Input {
            data: InputData::Stream(Box::new(Cursor::new(data.to_vec()))),
            name: "data.ndjson".into(),
            size: None,
        },
        Via::Gzip => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(data).expect("gzip");
            let p = temp_file("data.ndjson.gz", &gz.finish().expect("gzip"));
            cleanup = Some(p.clone());
            open(p.to_str().expect("utf-8")).expect("open")
        }
    };
    let counters = convert_input(input, schema, tuning, &mut sink).expect("conversion runs");
    if let Some(p) = cleanup {
        let _ = std::fs::remove_dir_all(p.parent().expect("dir"));
    }
    (sink, counters)
}

/// The lines parsed back with the InfluxDB 3 parser, each of measurement `measurement`, tags
/// sorted by key.
fn parse_points(text: &str, measurement: &str) -> Result<Vec<Point>, TestCaseError> {
    let mut out = Vec::new();
    for (line, raw) in influxdb_line_protocol::parse_lines(text).zip(text.lines()) {
        let line =
            line.map_err(|e| TestCaseError::fail(format!("line does not parse: {e}\n{raw}")))?;
        prop_assert_eq!(line.series.measurement.as_str(), measurement, "{}", raw);
        let mut tags: Vec<(String, String)> =
            line.series.tag_set.as_ref().map_or_else(Vec::new, |t| {
                t.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            });
        tags.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut fields = Vec::new();
        for (k, v) in line.field_set.iter() {
            let v = match v {
                influxdb_line_protocol::FieldValue::F64(f) => Field::F(*f),
                influxdb_line_protocol::FieldValue::I64(i) => Field::I(*i),
                other => return Err(TestCaseError::fail(format!("{other:?} in {raw}"))),
            };
            fields.push((k.to_string(), v));
        }
        out.push((tags, fields, line.timestamp));
    }
    Ok(out)
}

/// Sorts points into a canonical order, so that two multisets compare equal.
fn sorted(mut points: Vec<Point>) -> Vec<Point> {
    points.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    points
}

fn check(records: &[Record], via: Via, threads: usize, chunk: usize) -> Result<(), TestCaseError> {
    let mut data = String::new();
    for r in records {
        data.push_str(&json_text(&record_json(r), r.style));
        data.push('\n');
    }
    let per_record: Vec<Vec<Point>> = records.iter().map(expected).collect();
    check_points(SCHEMA, &data, &per_record, "env", (via, threads, chunk))
}

/// Converts `data` with `schema` (`via`, threads, chunk size) and checks it against the points
/// expected of each record: no reject, the counters, and the lines parsed back.
pub(super) fn check_points(
    schema: &str,
    data: &str,
    per_record: &[Vec<Point>],
    measurement: &str,
    (via, threads, chunk): (Via, usize, usize),
) -> Result<(), TestCaseError> {
    let schema = Schema::from_toml(schema).expect("schema is valid");
    let (sink, c) = convert_records(&schema, data.as_bytes(), via, threads, chunk);
    let show = || format!("input:\n{data}\nrejects: {:?}", sink.rejects);
    prop_assert!(sink.rejects.is_empty(), "{}", show());
    let text = String::from_utf8(sink.lines.clone()).expect("output is UTF-8");
    let want: Vec<Point> = per_record.iter().flatten().cloned().collect();
    let converted = per_record.iter().filter(|p| !p.is_empty()).count() as u64;
    prop_assert_eq!(c.rows, per_record.len() as u64, "{}", show());
    prop_assert_eq!(c.written, converted, "rows converted; {}", show());
    prop_assert_eq!(c.rows, c.written + c.skipped + c.rejected);
    prop_assert_eq!(c.lines, want.len() as u64, "lines written; {}", show());
    prop_assert_eq!(c.lines, text.lines().count() as u64);
    let got = parse_points(&text, measurement)?;
    prop_assert_eq!(sorted(got), sorted(want), "{}\noutput:\n{}", show(), text);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn records_with_arrays_round_trip_through_the_influxdb3_parser(
        records in prop::collection::vec(record(), 0..16),
        threads in 1usize..=2,
        chunk in prop_oneof![1usize..200, Just(4 << 20)],
        via in prop_oneof![Just(Via::Mapped), Just(Via::Stream), Just(Via::Gzip)],
    ) {
        check(&records, via, threads, chunk)?;
    }
}
