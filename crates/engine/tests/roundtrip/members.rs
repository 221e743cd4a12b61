//! 6. NDJSON records whose objects are iterated and spread by member name (`key_of` of
//!    `/disks/*` as a tag, a pattern key over `/values/*` as fields), the names made of the
//!    awkward pieces of `NAME_TOKENS` and written with or without `\u` escapes: parsed back
//!    with the InfluxDB 3 parser, each line holds exactly the names and values of its member,
//!    whatever the threads, the chunk size and the input path.

use super::arrays::convert_records;
use super::{json_text, name, JsonStyle, Schema, Via};
use proptest::prelude::*;
use serde_json::{json, Map, Value as Json};

const SCHEMA: &str = r#"
measurement = "disk"
on_error = "skip"
[tags]
host = { path = "/host" }
disk = { key_of = "/disks/*" }
[fields]
r = { path = "/disks/*/r", type = "integer" }
"*" = { path = "/values/*", type = "float" }
"#;

/// A member name that no explicit entry of SCHEMA takes.
fn member() -> impl Strategy<Value = String> {
    name(1).prop_filter("read by an explicit entry", |n| {
        !["r", "host", "disk"].contains(&n.as_str())
    })
}

/// One record's JSON: a host (left out when empty), disks by name with an optional `r`, and
/// float values by name.
fn record() -> impl Strategy<Value = (Json, JsonStyle)> {
    (
        name(0),
        prop::collection::btree_map(member(), prop::option::weighted(0.8, any::<i64>()), 0..4),
        prop::collection::btree_map(
            member(),
            proptest::num::f64::NORMAL | proptest::num::f64::ZERO,
            0..4,
        ),
        prop_oneof![
            Just(JsonStyle::Compact),
            Just(JsonStyle::Escaped { upper: true })
        ],
    )
        .prop_map(|(host, disks, values, style)| {
            let mut top = Map::new();
            if !host.is_empty() {
                top.insert("host".into(), json!(host));
            }
            let disks: Map<String, Json> = disks
                .into_iter()
                .map(|(k, r)| (k, r.map_or(json!({}), |r| json!({ "r": r }))))
                .collect();
            top.insert("disks".into(), Json::Object(disks));
            let values: Map<String, Json> =
                values.into_iter().map(|(k, v)| (k, json!(v))).collect();
            top.insert("values".into(), Json::Object(values));
            (Json::Object(top), style)
        })
}

#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Field {
    F(f64),
    I(i64),
}

/// A line as (sorted tags, fields in order).
type Point = (Vec<(String, String)>, Vec<(String, Field)>);

/// The points of a record, from the record itself: one per disk with an `r`.
fn expected(record: &Json) -> Vec<Point> {
    let mut out = Vec::new();
    let host = record["host"].as_str().unwrap_or("");
    for (disk, d) in record["disks"].as_object().into_iter().flatten() {
        let Some(r) = d["r"].as_i64() else { continue };
        let mut tags = vec![("disk".to_string(), disk.clone())];
        if !host.is_empty() {
            tags.push(("host".to_string(), host.to_string()));
        }
        let mut fields = vec![("r".to_string(), Field::I(r))];
        for (k, v) in record["values"].as_object().into_iter().flatten() {
            fields.push((k.clone(), Field::F(v.as_f64().unwrap_or(f64::NAN))));
        }
        out.push((tags, fields));
    }
    out
}

fn parse_points(text: &str) -> Result<Vec<Point>, TestCaseError> {
    let mut out = Vec::new();
    for (line, raw) in influxdb_line_protocol::parse_lines(text).zip(text.lines()) {
        let line =
            line.map_err(|e| TestCaseError::fail(format!("line does not parse: {e}\n{raw}")))?;
        prop_assert_eq!(line.series.measurement.as_str(), "disk", "{}", raw);
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
        prop_assert!(line.timestamp.is_none(), "{}", raw);
        out.push((tags, fields));
    }
    Ok(out)
}

fn sorted(mut points: Vec<Point>) -> Vec<Point> {
    points.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    points
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn member_names_round_trip_as_tag_values_and_field_keys(
        records in prop::collection::vec(record(), 0..12),
        threads in 1usize..=2,
        chunk in prop_oneof![1usize..200, Just(4 << 20)],
        via in prop_oneof![Just(Via::Mapped), Just(Via::Stream), Just(Via::Gzip)],
    ) {
        let schema = Schema::from_toml(SCHEMA).expect("schema is valid");
        let mut data = String::new();
        for (r, style) in &records {
            data.push_str(&json_text(r, *style));
            data.push('\n');
        }
        let (sink, c) = convert_records(&schema, data.as_bytes(), via, threads, chunk);
        let show = || format!("input:\n{data}\nrejects: {:?}", sink.rejects);
        prop_assert!(sink.rejects.is_empty(), "{}", show());
        let text = String::from_utf8(sink.lines.clone()).expect("output is UTF-8");
        let per_record: Vec<Vec<Point>> = records.iter().map(|(r, _)| expected(r)).collect();
        let want: Vec<Point> = per_record.iter().flatten().cloned().collect();
        let converted = per_record.iter().filter(|p| !p.is_empty()).count() as u64;
        prop_assert_eq!(c.rows, records.len() as u64, "{}", show());
        prop_assert_eq!(c.written, converted, "rows converted; {}", show());
        prop_assert_eq!(c.rows, c.written + c.skipped + c.rejected);
        prop_assert_eq!(c.lines, want.len() as u64, "lines written; {}", show());
        let got = parse_points(&text)?;
        prop_assert_eq!(sorted(got), sorted(want), "{}\noutput:\n{}", show(), text);
    }
}
