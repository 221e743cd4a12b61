//! Tests of `sample`.

use super::*;

#[test]
fn csv_sample_with_semicolons_and_no_header() {
    let (g, t) = sample_csv(b"1;a;1.5\n2;b;2.5\n", true, b',', 100);
    assert_eq!(g.delimiter, b';');
    assert!(!g.header);
    assert_eq!(t.rows, 2);
    assert_eq!(t.columns[0].name, "column_1");
}

#[test]
fn csv_sample_with_escapes() {
    let data = b"k,s\na,\"say \\\"hi\\\"\"\nb,\"back\\\\slash\"\nc,\"x, \\\"y\\\"\n2nd\"\n";
    let (g, t) = sample_csv(data, true, b',', 100);
    assert_eq!(g.escape, Some(b'\\'));
    assert_eq!(t.rows, 3);
}

#[test]
fn ndjson_paths() {
    let data = br#"{"time":1,"sensor":{"id":"a","t":1.5},"tags":[1]}
{"time":2,"sensor":{"id":"b","t":2},"x":null}
"#;
    let t = sample_ndjson(data, true, 100);
    let names: Vec<(&str, Option<&str>)> = t
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.path.as_deref()))
        .collect();
    assert_eq!(
        names,
        // Keys in byte order.
        vec![
            ("sensor_id", Some("/sensor/id")),
            ("sensor_t", Some("/sensor/t")),
            ("time", None),
            ("x", None)
        ]
    );
    assert_eq!(t.rows, 2);
    assert_eq!(t.left_out.len(), 1);
}

#[test]
fn ndjson_arrays_of_objects_are_iterated() {
    let data = br#"{"site":"a","readings":[{"t":1,"v":1.5},{"t":2,"m":{"q":3}}],"tags":[1]}
{"site":"b","readings":[]}
{"site":"c","sensors":[{"id":"x","r":[{"t":3}]},{"id":"y","r":[]}]}
{"site":"d"}
"#;
    let t = sample_ndjson(data, true, 100);
    let paths: Vec<(&str, Option<&str>)> = t
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.path.as_deref()))
        .collect();
    assert_eq!(
        t.iterations,
        vec![lpconvert_schema::infer::Iteration {
            path: "/readings".into(),
            elements: 2
        }]
    );
    assert_eq!(
        paths,
        vec![
            ("site", None),
            ("t", Some("/readings/*/t")),
            ("v", Some("/readings/*/v")),
            ("m_q", Some("/readings/*/m/q")),
        ]
    );
    // One row per element; records without elements write no line.
    assert_eq!((t.rows, t.records), (2, 4));
    // Only the rows that write lines are walked (record `c` has no readings).
    assert_eq!(
        t.left_out,
        vec![("/tags".to_string(), "an array".to_string())]
    );
    // Nested arrays nest; an array that is a scalar in some record is not iterated.
    let data = br#"{"s":[{"id":"x","r":[{"t":3},{"t":4}]},{"id":"y","r":[]}],"n":[{"a":1}]}
{"s":[{"id":"z","r":[{"t":5}]}],"n":7}
"#;
    let t = sample_ndjson(data, true, 100);
    let its: Vec<&str> = t.iterations.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(its, vec!["/s", "/s/*/r"]);
    assert_eq!(t.rows, 3);
    let id = t.columns.iter().find(|c| c.name == "id").expect("id");
    assert_eq!(id.path.as_deref(), Some("/s/*/id"));
    assert_eq!(id.cells.iter().flatten().count(), 3);
}

/// The serde_json reading infer used before it read with the conversion's scanner:
/// the oracle for rows where both read the same.
fn serde_row(line: &str) -> Option<Value> {
    fn conv(v: serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n.to_string()),
            serde_json::Value::String(s) => Value::Str(s),
            serde_json::Value::Array(_) => Value::Array(0..0),
            serde_json::Value::Object(m) => {
                Value::Object(m.into_iter().map(|(k, v)| (k, conv(v))).collect())
            }
        }
    }
    serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .filter(serde_json::Value::is_object)
        .map(conv)
}

fn scanner_row(line: &str) -> Option<Value> {
    let mut members = json_scan::record::read_row(line.as_bytes()).ok()?;
    // Sorted, and arrays without their place (serde_json does not give it).
    fn sort(members: &mut [(String, Value)]) {
        members.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, v) in members.iter_mut() {
            match v {
                Value::Object(m) => sort(m),
                Value::Array(r) => *r = 0..0,
                _ => {}
            }
        }
    }
    sort(&mut members);
    Some(Value::Object(members))
}

#[test]
fn scanner_reads_rows_as_serde_json_did() {
    for line in [
        r#"{"a":1,"b":"x","c":true,"d":null,"e":{"f":-2.5,"g":[1,{"h":2}]}}"#,
        r#" {"s":"caf\u00e9 \ud83d\ude00 \n \"q\"","k\"ey":"v","a/b~c":0} "#,
        r#"{"z":1,"a":{"y":2,"b":3},"m":[]}"#,
        "{}\r",
        r#"{"a":"x""#,
        r#"{"a":1,}"#,
        r#"{"a":01}"#,
        r#"{"a":1} x"#,
        r#"[1,2]"#,
        r#""text""#,
        r#"{"a":"\x"}"#,
        "{\"a\":\"tab\there\"}",
        r#"{"a":"\ud800"}"#,
    ] {
        assert_eq!(scanner_row(line), serde_row(line), "{line}");
    }
}

/// Rows the two readers disagree on: the conversion's answer is the one kept.
#[test]
fn rows_read_as_the_conversion_reads_them() {
    // Numbers keep their text (serde_json wrote 1.5, 1000.0, 0).
    assert_eq!(
        scanner_row(r#"{"a":1.50,"b":1e3,"c":-0}"#),
        Some(Value::Object(vec![
            ("a".into(), Value::Number("1.50".into())),
            ("b".into(), Value::Number("1e3".into())),
            ("c".into(), Value::Number("-0".into())),
        ]))
    );
    // A number beyond f64 is valid JSON: a conversion reads the row.
    assert!(serde_row(r#"{"a":1e400}"#).is_none());
    assert!(scanner_row(r#"{"a":1e400}"#).is_some());
    // Inside arrays, which are not read, strings are not decoded.
    assert!(serde_row(r#"{"a":1,"b":["\ud800"]}"#).is_none());
    assert!(scanner_row(r#"{"a":1,"b":["\ud800"]}"#).is_some());
    // A key whose escapes do not decode names nothing: left out, the row stays.
    assert_eq!(
        scanner_row(r#"{"a":1,"b\q":2}"#),
        Some(Value::Object(vec![("a".into(), Value::Number("1".into()))]))
    );
    // A repeated key: serde_json kept the last, a conversion rejects the row.
    assert!(serde_row(r#"{"a":1,"a":2}"#).is_some());
    assert!(scanner_row(r#"{"a":1,"a":2}"#).is_none());
    let t = sample_ndjson(b"{\"a\":1,\"a\":2}\n{\"a\":3,\"n\":1e400}\n", true, 100);
    assert_eq!(t.rows, 1);
    assert_eq!(t.columns[0].cells, vec![Some((Kind::Number, "3".into()))]);
    assert_eq!(
        t.columns[1].cells,
        vec![Some((Kind::Number, "1e400".into()))]
    );
}
