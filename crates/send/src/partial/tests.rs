//! Refusals of each server, from answers recorded in `fixtures/`.

use super::*;

const LINES: [&[u8]; 4] = [b"m f=1", b"m f=oops", b"m f=3", b"m,t= f=1"];

#[test]
fn v1_partial_write_names_unparsable_lines() {
    let body = r#"{"error":"partial write: unable to parse 'm f=oops': invalid number\nunable to parse 'm,t= f=1': missing tag value dropped=0"}"#;
    let r = parse_refusal(Api::V1, 400, body, &LINES);
    assert_eq!(
        r.lines,
        vec![
            (1, "invalid number".to_owned()),
            (3, "missing tag value".to_owned())
        ]
    );
    assert_eq!(r.unidentified, 0);
    assert_eq!(r.count(), 2);
}

#[test]
fn v1_partial_write_dropped_without_names() {
    let body = r#"{"error":"partial write: field type conflict: input field \"f\" on measurement \"m\" is type integer, already exists as type float dropped=2"}"#;
    // Lines that all parse (see v1_write_error_hides_unparsable_lines for the others).
    let lines: [&[u8]; 4] = [b"m f=1", b"m f=2i", b"m f=3", b"m f=4i"];
    let r = parse_refusal(Api::V1, 400, body, &lines);
    assert!(r.lines.is_empty());
    assert_eq!(r.unidentified, 2);
    assert!(r.message.contains("field type conflict"));
}

#[test]
fn v1_not_partial_refuses_everything() {
    let body = r#"{"error":"unable to parse 'm f=oops': invalid number"}"#;
    let r = parse_refusal(Api::V1, 400, body, &LINES[1..2]);
    assert_eq!(r.lines, vec![(0, "invalid number".to_owned())]);
    let r = parse_refusal(Api::V1, 400, "not json", &LINES);
    assert_eq!(r.count(), 4);
    assert_eq!(r.lines[0].1, "not json");
}

#[test]
fn v1_partial_write_without_a_count_refuses_the_batch() {
    for body in [
        r#"{"error":"partial write: field type conflict"}"#,
        r#"{"error":"partial write: x dropped=-2"}"#,
        r#"{"error":"partial write: x dropped=99999999999999999999999"}"#,
        r#"{"error":"partial write: x dropped=0"}"#,
        "partial write: shard is read-only",
    ] {
        let r = parse_refusal(Api::V1, 400, body, &LINES);
        assert_eq!(r.count(), 4, "{body}: {r:?}");
    }
    let body = r#"{"error":"partial write: max-values-per-tag limit exceeded dropped=1"}"#;
    assert_eq!(parse_refusal(Api::V1, 400, body, &LINES).unidentified, 1);
}

#[test]
fn v1_write_error_hides_unparsable_lines() {
    // What InfluxDB 1.x answers when a batch has a type conflict and lines that do not
    // parse: only the conflict is reported.
    let lines: [&[u8]; 5] = [
        b"m f=1i",
        b"m f=oops",
        b"m f=\"x\"",
        b"m,t= f=1i",
        b"m f=2i",
    ];
    let body = r#"{"error":"partial write: field type conflict: input field \"f\" on measurement \"m\" is type string, already exists as type integer dropped=1"}"#;
    let r = parse_refusal(Api::V1, 400, body, &lines);
    assert_eq!(r.lines.iter().map(|l| l.0).collect::<Vec<_>>(), vec![1, 3]);
    assert_eq!(r.unidentified, 1);
    assert_eq!(r.count(), 3);
    let r = parse_refusal(
        Api::V1,
        400,
        r#"{"error":"partial write: x dropped=18446744073709551615"}"#,
        &lines,
    );
    assert_eq!(r.count(), 5);
}

#[test]
fn v3_items_naming_no_line_refuse_the_batch() {
    for data in [
        r#"[{"line_number":2,"error_message":"bad"},{"line_number":9,"error_message":"x"}]"#,
        r#"[{"line_number":2,"error_message":"bad"},{"line_number":-1,"error_message":"x"}]"#,
        r#"[{"line_number":2,"error_message":"bad"},{"line_number":0,"error_message":"x"}]"#,
        r#"[{"line_number":2,"error_message":"bad"},{"error_message":"x"}]"#,
        r#"[{"line_number":2,"error_message":"bad"},{"line_number":"3","error_message":"x"}]"#,
        r#"[{"line_number":2.5,"error_message":"bad"}]"#,
    ] {
        let body =
            format!(r#"{{"error":"partial write of line protocol occurred","data":{data}}}"#);
        let r = parse_refusal(Api::V3, 400, &body, &LINES);
        assert_eq!(r.count(), 4, "{data}: {r:?}");
    }
    // The same line named twice is one refused line.
    let body = r#"{"error":"partial write of line protocol occurred","data":[{"line_number":2,"error_message":"a"},{"line_number":2,"error_message":"b"}]}"#;
    assert_eq!(parse_refusal(Api::V3, 400, body, &LINES).count(), 1);
}

#[test]
fn v2_refuses_the_batch() {
    let body = r#"{"code":"invalid","message":"unable to parse 'm f=oops': invalid number"}"#;
    let r = parse_refusal(Api::V2, 400, body, &LINES);
    assert_eq!(r.count(), 4);
    assert!(r.message.starts_with("unable to parse"));
}

#[test]
fn v3_line_numbers() {
    let body = r#"{"error":"partial write of line protocol occurred","data":[{"original_line":"m f=oops","line_number":2,"error_message":"invalid column value"},{"line_number":4,"error_message":"empty tag value"}]}"#;
    let r = parse_refusal(Api::V3, 400, body, &LINES);
    assert_eq!(
        r.lines,
        vec![
            (1, "invalid column value".to_owned()),
            (3, "empty tag value".to_owned())
        ]
    );
    let body = r#"{"error":"parsing failed for write_lp endpoint","data":{"line_number":2,"error_message":"bad"}}"#;
    let r = parse_refusal(Api::V3, 400, body, &LINES);
    assert_eq!(r.count(), 4);
    assert_eq!(r.lines[1].1, "bad");
}

#[test]
fn status_422_refuses_the_batch() {
    let r = parse_refusal(
        Api::V2,
        422,
        r#"{"code":"unprocessable entity","message":"points beyond retention policy"}"#,
        &LINES,
    );
    assert_eq!(r.count(), 4);
    assert_eq!(r.message, "points beyond retention policy");
}

/// The lines of `fixtures/batch.lp`.
fn fixture_batch() -> Vec<&'static [u8]> {
    include_bytes!("fixtures/batch.lp")
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

fn indexes(r: &Refusal) -> Vec<usize> {
    r.lines.iter().map(|l| l.0).collect()
}

#[test]
fn recorded_v3_partial_writes_name_the_refused_lines() {
    let batch = fixture_batch();
    let r = parse_refusal(
        Api::V3,
        400,
        include_str!("fixtures/v3_partial_write.json"),
        &batch,
    );
    assert_eq!(indexes(&r), vec![1, 3]);
    assert_eq!(r.unidentified, 0);
    assert!(r.lines[0]
        .1
        .starts_with("invalid column type for column 'usage'"));
    assert_eq!(r.lines[1].1, "No fields were provided");
    // 422 when a schema limit was hit: still a partial write.
    let r = parse_refusal(
        Api::V3,
        422,
        include_str!("fixtures/v3_partial_write_limit_422.json"),
        &batch,
    );
    assert_eq!(indexes(&r), vec![4]);
    assert!(r.lines[0].1.contains("columns per table limit"));
}

#[test]
fn recorded_v3_refusal_without_partial_refuses_the_batch_naming_the_line() {
    let batch = fixture_batch();
    let r = parse_refusal(
        Api::V3,
        400,
        include_str!("fixtures/v3_parse_error_no_partial.json"),
        &batch,
    );
    assert_eq!(r.count(), 5);
    assert!(r.lines[1].1.starts_with("invalid column type"));
    assert!(r.lines[0]
        .1
        .starts_with("not stored: the server refused the whole batch"));
    assert!(r.lines[0].1.contains("line protocol parsing error"));
}

#[test]
fn recorded_v2_answers() {
    let batch = fixture_batch();
    // 400: nothing stored, the unparsable line named.
    let r = parse_refusal(
        Api::V2,
        400,
        include_str!("fixtures/v2_parse_400.json"),
        &batch,
    );
    assert_eq!(r.count(), 5);
    assert_eq!(r.lines[3].1, "missing tag value");
    assert!(r.lines[0].1.starts_with("not stored"));
    // 422 partial write: all but the dropped point stored; the server does not name it.
    let r = parse_refusal(
        Api::V2,
        422,
        include_str!("fixtures/v2_partial_422.json"),
        &batch,
    );
    assert!(r.lines.is_empty(), "{r:?}");
    assert_eq!(r.unidentified, 1);
    assert!(r.message.contains("field type conflict"));
    // Cloud names the first refused line.
    let r = parse_refusal(
        Api::V2,
        400,
        include_str!("fixtures/cloud_line_400.json"),
        &batch,
    );
    assert_eq!(r.count(), 5);
    assert!(r.lines[3].1.starts_with("failed to parse line protocol"));
    assert!(r.lines[0].1.starts_with("not stored"));
}

#[test]
fn recorded_influxdb1_answers() {
    let batch = fixture_batch();
    // The whole batch refused on a new shard: every line, narrowable.
    let body = include_str!("fixtures/v1_type_conflict_new_shard_400.json");
    let r = parse_refusal(Api::V1, 400, body, &batch);
    assert_eq!(r.count(), 5);
    assert!(r.narrowable(Api::V1, 400, batch.len()));
    assert!(!r.narrowable(Api::V2, 400, batch.len()));
    // The conflicting point is not named, the unparsable line is found here.
    let body = include_str!("fixtures/v1_partial_type_conflict_400.json");
    let r = parse_refusal(Api::V1, 400, body, &batch);
    assert_eq!(indexes(&r), vec![3]);
    assert_eq!(r.unidentified, 1);
    assert!(r.narrowable(Api::V1, 400, batch.len()));
    // Asked of the conflicting line alone, the count names it, with the reason only.
    let r = parse_refusal(Api::V1, 400, body, &batch[1..2]);
    assert_eq!(
        r.lines,
        vec![(0, r#"field type conflict: input field "usage" on measurement "cpu" is type string, already exists as type float"#.to_owned())]
    );
    assert!(!r.narrowable(Api::V1, 400, 1));
    // Every parsable point beyond the retention policy: the count names them all.
    let body = include_str!("fixtures/v1_partial_retention_400.json");
    let r = parse_refusal(Api::V1, 400, body, &batch);
    assert_eq!(indexes(&r), vec![0, 1, 2, 3, 4]);
    assert_eq!(r.unidentified, 0);
    assert_eq!(r.lines[0].1, "points beyond retention policy");
    assert!(!r.narrowable(Api::V1, 400, batch.len()));
}
