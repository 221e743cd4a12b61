//! 6. NDJSON records whose objects are iterated and spread by member name (`key_of` of
//!    `/disks/*` as a tag, a pattern key over `/values/*` as fields), the names made of the
//!    awkward pieces of `NAME_TOKENS` and written with or without `\u` escapes: parsed back
//!    with the InfluxDB 3 parser, each line holds exactly the names and values of its member,
//!    whatever the threads, the chunk size and the input path.

use super::arrays::{check_points, Field, Point};
use super::{json_text, name, JsonStyle, Via};
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
        out.push((tags, fields, None));
    }
    out
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
        let mut data = String::new();
        for (r, style) in &records {
            data.push_str(&json_text(r, *style));
            data.push('\n');
        }
        let per_record: Vec<Vec<Point>> = records.iter().map(|(r, _)| expected(r)).collect();
        check_points(SCHEMA, &data, &per_record, "disk", (via, threads, chunk))?;
    }
}
