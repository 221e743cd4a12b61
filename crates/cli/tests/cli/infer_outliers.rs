//! `lpconvert infer` on data with a few odd values (issue 18, items 1 and 2): a column that is
//! numeric in nearly every row is a field, its odd values quoted with their count; a decimal
//! comma gives `number_format`; NDJSON guesses by majority (a time column with a few unix
//! numbers among RFC 3339 texts, a double-encoded record) and names the lines that did not
//! parse. Each draft converts its data with no rejected row beyond those lines and the
//! numbers no format reads together with the others (a decimal comma among decimal
//! points): those rows are rejected and named, never read as empty.

use crate::support::{argv, lpconvert, root, scratch_file, text};
use std::path::Path;

/// Infers a schema for `input` and converts `input` with it: the draft, the line protocol,
/// and the reasons of the rejected rows.
fn draft_and_convert(input: &Path) -> (String, String, Vec<String>) {
    let out = lpconvert(&["infer", &input.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let draft = text(&out.stdout);
    let schema = scratch_file("s.toml");
    std::fs::write(&schema, &draft).expect("write schema");
    let rejects = scratch_file("rejects");
    let lp = scratch_file("out.lp");
    let conv = lpconvert(&argv(
        "--schema {} --on-error skip --rejects {} -q -o {} {}",
        &[
            &schema.to_string_lossy(),
            &rejects.to_string_lossy(),
            &lp.to_string_lossy(),
            &input.to_string_lossy(),
        ],
    ));
    assert!(
        matches!(conv.status.code(), Some(0 | 3)),
        "{draft}\n{}",
        text(&conv.stderr)
    );
    let mut errors = rejects.into_os_string();
    errors.push(".errors");
    let reasons = std::fs::read_to_string(&errors)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    let lines = std::fs::read_to_string(&lp).expect("read output");
    (draft, lines, reasons)
}

/// The `[tags]` keys of a draft.
fn tag_keys(draft: &str) -> Vec<String> {
    let schema = lpconvert_schema::Schema::from_toml(draft).unwrap_or_else(|e| panic!("{e}"));
    schema.tags.iter().map(|t| t.key.clone()).collect()
}

/// A weather station's semicolon CSV with CRLF line ends: a temperature with a decimal point
/// and `odd` cells written with a decimal comma, a humidity with a few `n/a`.
fn weather(rows: usize, comma_every: usize, all_comma: bool) -> String {
    let mut s = String::from("Zeit;Station;Temp °C;Feuchte %\r\n");
    for i in 0..rows {
        let t = format!("{}.{}", 10 + i % 17, i % 10);
        let t = if all_comma || (comma_every > 0 && i % comma_every == 7) {
            t.replace('.', ",")
        } else {
            t
        };
        let h = if i % 2500 == 3 {
            "n/a".to_string()
        } else {
            (40 + i % 50).to_string()
        };
        let station = ["Nord", "Sued", "Ost"][i % 3];
        s.push_str(&format!(
            "2024-03-{:02} {:02}:{:02}:00;{station};{t};{h}\r\n",
            1 + i / 1440 % 28,
            i / 60 % 24,
            i % 60
        ));
    }
    s
}

#[test]
fn a_few_decimal_commas_and_missing_markers_keep_a_numeric_column_a_field() {
    let input = scratch_file("weather.csv");
    std::fs::write(&input, weather(10_000, 1_666, false)).expect("write");
    let (draft, lines, reasons) = draft_and_convert(&input);
    assert_eq!(tag_keys(&draft), vec!["Station"], "{draft}");
    let temp = draft
        .lines()
        .find(|l| l.contains("Temp"))
        .unwrap_or_default();
    assert!(temp.contains("float"), "{draft}");
    assert!(
        temp.contains("(9994 with a decimal point)"),
        "the two ways are counted: {draft}"
    );
    assert!(temp.contains("decimal comma"), "{draft}");
    let hum = draft
        .lines()
        .find(|l| l.contains("Feuchte"))
        .unwrap_or_default();
    assert!(
        hum.contains("integer") && hum.contains("\"n/a\" (4)"),
        "{draft}"
    );
    // A decimal comma format without "." groups reads both decimals exactly: no reject, and
    // null_values holds no number.
    let schema = lpconvert_schema::Schema::from_toml(&draft).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(schema.null_values, vec!["", "n/a"], "{draft}");
    assert_eq!(reasons, Vec::<String>::new(), "{draft}");
    assert_eq!(lines.lines().count(), 10_000);
    let commas = weather(10_000, 1_666, false)
        .lines()
        .skip(1)
        .zip(lines.lines())
        .filter(|(row, _)| row.split(';').nth(2).is_some_and(|t| t.contains(',')))
        .map(|(row, line)| {
            let t = row.split(';').nth(2).unwrap_or_default().replace(',', ".");
            assert!(line.contains(&format!("Temp\\ °C={t}")), "{row} -> {line}");
        })
        .count();
    assert_eq!(commas, 6);
}

#[test]
fn a_column_written_with_decimal_commas_reads_through_number_format() {
    let input = scratch_file("weather.csv");
    std::fs::write(&input, weather(300, 0, true)).expect("write");
    let (draft, lines, reasons) = draft_and_convert(&input);
    assert!(
        draft.contains("number_format = { decimal = \",\" }"),
        "{draft}"
    );
    assert_eq!(tag_keys(&draft), vec!["Station"], "{draft}");
    assert_eq!(reasons, Vec::<String>::new(), "{draft}");
    let first = lines.lines().next().unwrap_or_default();
    assert!(first.contains("=10.0") || first.contains("=10,"), "{first}");
    assert!(first.contains("Temp\\ °C=10.0"), "{first}\n{draft}");
}

/// A 10,000-row weather export (semicolons, CRLF): a temperature all in decimal commas
/// (`-3,5`), a pressure mixing `.` digit groups and decimal commas (`1.013,25`, `998,50`, a
/// few `-`), a humidity integer with `n/a` cells, a station tag. Returns the CSV and, per
/// row, the line expected without its timestamp.
fn station_export() -> (String, Vec<String>) {
    let mut csv = String::from("Zeit;Station;Temp °C;Feuchte %;Druck hPa\r\n");
    let mut expected = Vec::new();
    for i in 0..10_000usize {
        let station = ["Nord", "Süd", "Ost"][i % 3];
        let t10 = (i * 37 % 500) as i64 - 100;
        let sign = if t10 < 0 { "-" } else { "" };
        let (tw, tf) = (t10.abs() / 10, t10.abs() % 10);
        let temp = format!("{sign}{tw},{tf}");
        let hum = if i % 250 == 3 {
            None
        } else {
            Some(30 + i % 70)
        };
        let p100 = 95_000 + i * 7_919 % 9_000;
        let (pw, pf) = (p100 / 100, p100 % 100);
        let pressure = if i % 997 == 5 {
            None
        } else {
            Some(if pw >= 1_000 {
                format!("{}.{:03},{pf:02}", pw / 1_000, pw % 1_000)
            } else {
                format!("{pw},{pf:02}")
            })
        };
        csv.push_str(&format!(
            "{:02}.05.2024 {:02}:{:02};{station};{temp};{};{}\r\n",
            1 + i / 1_440,
            i / 60 % 24,
            i % 60,
            hum.map_or("n/a".to_string(), |h| h.to_string()),
            pressure.as_deref().unwrap_or("-"),
        ));
        let mut fields = vec![format!("Temp\\ °C={sign}{tw}.{tf}")];
        fields.extend(hum.map(|h| format!("Feuchte\\ %={h}i")));
        fields.extend(pressure.map(|_| format!("Druck\\ hPa={pw}.{pf:02}")));
        expected.push(format!("station,Station={station} {}", fields.join(",")));
    }
    (csv, expected)
}

#[test]
fn a_decimal_comma_export_with_digit_groups_and_missing_markers_converts_exactly() {
    let input = scratch_file("station.csv");
    let (csv, expected) = station_export();
    std::fs::write(&input, csv).expect("write");
    let (draft, lines, reasons) = draft_and_convert(&input);
    assert_eq!(tag_keys(&draft), vec!["Station"], "{draft}");
    assert!(
        draft.contains("\nnumber_format = { decimal = \",\", group = [\".\"] }  #"),
        "one format reads every numeric column: {draft}"
    );
    let schema = lpconvert_schema::Schema::from_toml(&draft).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(schema.null_values, vec!["", "-", "n/a"], "{draft}");
    let types: Vec<(String, lpconvert_schema::FieldType)> = schema
        .fields
        .iter()
        .map(|f| (f.key.clone(), f.ftype))
        .collect();
    use lpconvert_schema::FieldType::{Float, Integer};
    assert_eq!(
        types,
        vec![
            ("Temp °C".to_string(), Float),
            ("Feuchte %".to_string(), Integer),
            ("Druck hPa".to_string(), Float)
        ],
        "{draft}"
    );
    let hum = draft
        .lines()
        .find(|l| l.starts_with("\"Feuchte"))
        .unwrap_or_default();
    assert!(
        hum.contains("\"n/a\" (40)"),
        "the odd values are quoted: {draft}"
    );
    assert_eq!(reasons, Vec::<String>::new(), "{draft}");
    let got: Vec<&str> = lines
        .lines()
        .map(|l| l.rsplit_once(' ').map_or(l, |(head, _)| head))
        .collect();
    assert_eq!(got.len(), expected.len(), "{draft}");
    for (n, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "row {n}\n{draft}");
    }
}

/// The README walkthrough's station export: the draft reads every row (none rejected), with
/// the reviewed schema's tag and field types, decimal commas and `n/a`.
#[test]
fn the_walkthrough_station_draft_converts_every_row() {
    let input = root().join("examples/weather-station/station.csv");
    let (draft, lines, reasons) = draft_and_convert(&input);
    assert_eq!(reasons, Vec::<String>::new(), "{draft}");
    // 48 rows; the one with every sensor `n/a` has no field.
    assert_eq!(lines.lines().count(), 47, "{draft}");
    assert!(
        lines.contains("Temp\\ °C=11.3,Feuchte\\ %=74i,Druck\\ hPa=1007.0,Wind\\ m/s=8.2"),
        "{lines}"
    );
    let drafted = lpconvert_schema::Schema::from_toml(&draft).unwrap_or_else(|e| panic!("{e}"));
    let reviewed = lpconvert_schema::load(&root().join("examples/weather-station/weather.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let kinds = |s: &lpconvert_schema::Schema| {
        (
            s.tags.len(),
            s.fields
                .iter()
                .map(|f| (f.ftype, f.number_format.clone()))
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(kinds(&drafted), kinds(&reviewed), "{draft}");
    assert!(drafted.null_values.contains(&"n/a".to_string()), "{draft}");
}

/// IoT messages: RFC 3339 times with one unix number, one `"21,5"` temperature, one
/// double-encoded payload, a firmware string everywhere, and two lines that are not JSON.
fn iot(records: usize) -> String {
    let mut s = String::new();
    for i in 0..records {
        let ts = if i == 1_500 {
            "1709251200".to_string()
        } else {
            format!(
                "\"2024-03-01T{:02}:{:02}:{:02}Z\"",
                i / 3600 % 24,
                i / 60 % 60,
                i % 60
            )
        };
        let temp = if i == 42 {
            "\"21,5\"".to_string()
        } else {
            format!("{}.{}", 18 + i % 7, i % 10)
        };
        let payload = format!("{{\"temp\":{temp},\"fw\":\"1.{}.0\"}}", i % 3);
        let payload = if i == 900 {
            format!("\"{}\"", payload.replace('"', "\\\""))
        } else {
            payload
        };
        s.push_str(&format!(
            "{{\"ts\":{ts},\"device\":\"dev-{}\",\"payload\":{payload}}}\n",
            i % 20
        ));
        if i == 10 || i == 2_000 {
            s.push_str("{\"ts\":\"2024-03-01T00:00:00Z\",\"device\":\n");
        }
    }
    s
}

#[test]
fn ndjson_outliers_are_decided_by_majority_and_named() {
    let input = scratch_file("iot.ndjson");
    std::fs::write(&input, iot(3_002)).expect("write");
    let (draft, lines, reasons) = draft_and_convert(&input);
    assert!(
        draft.contains("format = [\"rfc3339\", \"unix_s\"]"),
        "one unix number among RFC 3339 times: {draft}"
    );
    assert!(
        draft.contains("`1709251200`"),
        "the odd time is quoted: {draft}"
    );
    assert_eq!(tag_keys(&draft), vec!["device", "payload_fw"], "{draft}");
    let temp = draft
        .lines()
        .find(|l| l.contains("/payload/temp"))
        .unwrap_or_default();
    assert!(
        temp.contains("float") && temp.contains("number_format"),
        "{draft}"
    );
    assert!(
        draft.contains("lines 12, 2003"),
        "the lines that are not JSON are named: {draft}"
    );
    assert!(
        draft.contains("left out: /payload (a value in 1 of"),
        "{draft}"
    );
    // Only the two broken lines are rejected; the double-encoded record has no field left.
    assert_eq!(reasons.len(), 2, "{reasons:?}\n{draft}");
    assert!(reasons.iter().all(|r| r.contains("JSON")), "{reasons:?}");
    assert_eq!(lines.lines().count(), 3_001, "{draft}");
    assert!(
        lines.contains("temp=21.5"),
        "the decimal comma value is read"
    );
}
