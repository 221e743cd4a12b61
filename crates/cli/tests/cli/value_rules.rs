//! Value rules: what convert writes, check accepts, and the servers store
//! (LINE-PROTOCOL.md), and schema combinations refused before the first row.

mod names_and_numbers;

use crate::support::{
    argv, assert_exit, assert_stderr_has, run_lpconvert, stderr, stdout, write_text, TempDir,
};
use std::process::Output;

/// Runs `lpconvert -s SCHEMA CSV` on texts written to a fresh directory.
fn convert(dir: &TempDir, schema: &str, csv: &str) -> Output {
    let s = write_text(dir, "s.toml", schema);
    let c = write_text(dir, "in.csv", csv);
    run_lpconvert("convert", &["-q", "-s", &s, &c], &[])
}

/// Runs `lpconvert check [--target T] FILE` on `lp`.
fn check(dir: &TempDir, lp: &str, target: Option<&str>) -> Output {
    let f = write_text(dir, "in.lp", lp);
    let mut args = vec!["-q"];
    if let Some(t) = target {
        args.extend(["--target", t]);
    }
    args.push(&f);
    run_lpconvert("check", &args, &[])
}

const TAG_SCHEMA: &str = "measurement = \"m\"\n[tags]\nt = \"t\"\n[fields]\nf = \"float\"\n";

#[test]
fn series_key_over_65535_bytes_is_a_row_error() {
    let dir = TempDir::new("vr-key-long");
    let long = "x".repeat(70_000);
    let o = convert(&dir, TAG_SCHEMA, &format!("t,f\n{long},1\n"));
    let e = stderr(&o);
    assert_exit(&o, 1);
    assert!(o.stdout.is_empty(), "nothing is written for the row");
    assert!(e.contains("in.csv:2:1:"), "names file:line:column: {e}");
    assert!(e.contains("tag t"), "names the tag: {e}");
    assert!(e.contains("65535"), "says the limit: {e}");
    // Just under the limit with the field key: m,t=VALUE + "#!~#" + f <= 65535.
    let fits = "x".repeat(65_535 - "m,t=".len() - 4 - 1);
    let o = convert(&dir, TAG_SCHEMA, &format!("t,f\n{fits},1\n"));
    assert_exit(&o, 0);
    // One byte more is refused because of the field key.
    let over = format!("{fits}x");
    let o = convert(&dir, TAG_SCHEMA, &format!("t,f\n{over},1\n"));
    assert_exit(&o, 1);
}

#[test]
fn check_flags_a_series_key_over_65535_bytes() {
    let dir = TempDir::new("vr-key-check");
    let long = "x".repeat(70_000);
    let line = format!("m,t={long} f=1\n");
    for target in [None, Some("influxdb1"), Some("influxdb2")] {
        let o = check(&dir, &line, target);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(3), "{target:?}: {out}");
        assert!(out.contains("65535"), "{target:?}: {out}");
    }
    // The series key plus the field key counts: 65,535 - 4 - len("f") bytes of key fit.
    let fits = format!("m,t={} f=1\n", "x".repeat(65_535 - 4 - 1 - 4));
    assert_eq!(check(&dir, &fits, None).status.code(), Some(0));
    let over = format!("m,t={} f=1\n", "x".repeat(65_535 - 4 - 1 - 4 + 1));
    assert_eq!(check(&dir, &over, Some("influxdb1")).status.code(), Some(3));
}

#[test]
fn duplicate_header_name_named_by_the_schema_is_a_schema_error() {
    let dir = TempDir::new("vr-dup-header");
    let schema = "measurement = \"m\"\n[fields]\ndup = \"float\"\n";
    let o = convert(&dir, schema, "dup,x,dup\n1,5,2\n");
    let e = stderr(&o);
    assert_exit(&o, 2);
    assert!(o.stdout.is_empty(), "no row is read");
    assert!(e.contains("1 and 3"), "lists the positions: {e}");
    assert!(e.contains("[csv] columns"), "says how to fix it: {e}");
    // A duplicate the schema does not read is harmless.
    let schema = "measurement = \"m\"\n[fields]\nx = \"float\"\n";
    let o = convert(&dir, schema, "dup,x,dup\n1,5,2\n");
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "m x=5\n");
}

#[test]
fn infer_drafts_unique_column_names_for_a_duplicate_header() {
    let dir = TempDir::new("vr-dup-infer");
    let csv = write_text(&dir, "dup.csv", "dup,dup\n1.5,2.5\n3.5,4.5\n");
    let o = run_lpconvert("infer", &[&csv], &[]);
    assert_exit(&o, 0);
    let draft = stdout(&o);
    assert!(draft.contains("columns = [\"dup\", \"dup_2\"]"), "{draft}");
    let s = write_text(&dir, "dup.toml", &draft);
    let o = run_lpconvert("convert", &["-q", "-s", &s, &csv], &[]);
    assert_eq!(o.status.code(), Some(0), "{}\n{draft}", stderr(&o));
    assert_eq!(stdout(&o), "dup dup=1.5,dup_2=2.5\ndup dup=3.5,dup_2=4.5\n");
}

#[test]
fn earliest_timestamp_rounded_down_out_of_range_is_a_row_error() {
    let dir = TempDir::new("vr-ts-min");
    for (precision, format, cell) in [
        ("s", "unix_ns", "-9223372036854775806"),
        ("ms", "unix_ns", "-9223372036854775806"),
        ("us", "unix_ns", "-9223372036854775806"),
        ("s", "unix_ms", "-9223372036854.775"),
        ("s", "rfc3339", "1677-09-21T00:12:43.145224194Z"),
        ("s", "%Y-%m-%d %H:%M:%S%.f", "1677-09-21 00:12:43.5"),
    ] {
        let schema = format!(
            "measurement = \"m\"\nprecision = \"{precision}\"\n[timestamp]\ncolumn = \"time\"\n\
             format = \"{format}\"\n[fields]\nf = \"float\"\n"
        );
        let o = convert(&dir, &schema, &format!("time,f\n{cell},1\n"));
        assert_eq!(
            o.status.code(),
            Some(1),
            "{precision} {cell}: {}",
            stdout(&o)
        );
        assert_stderr_has(&o, "in.csv:2:1:");
        assert_stderr_has(&o, "range");
    }
    // The latest timestamp rounds down, into the range.
    let schema = "measurement = \"m\"\nprecision = \"s\"\n[timestamp]\ncolumn = \"time\"\n\
                  format = \"unix_ns\"\n[fields]\nf = \"float\"\n";
    let o = convert(&dir, schema, "time,f\n9223372036854775806,1\n");
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "m f=1 9223372036\n");
}

#[test]
fn empty_default_omits_the_tag_or_field() {
    let dir = TempDir::new("vr-empty-default");
    let schema = "measurement = \"m\"\n[tags]\nt = { column = \"t\", default = \"\" }\n\
                  [fields]\nf = \"float\"\ns = { column = \"s\", type = \"string\", default = \"\" }\n";
    let o = convert(&dir, schema, "t,f,s\n,1,\na,2,b\n");
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "m f=1\nm,t=a f=2,s=\"b\"\n");
}

#[test]
fn string_over_64_kib_is_a_row_error_as_check_says() {
    let dir = TempDir::new("vr-long-string");
    let schema = "measurement = \"m\"\n[fields]\ns = \"string\"\n";
    // 64 KiB exactly: written, and check accepts it.
    let o = convert(&dir, schema, &format!("s\n{}\n", "y".repeat(65_536)));
    assert_exit(&o, 0);
    let c = check(&dir, &stdout(&o), None);
    assert_eq!(c.status.code(), Some(0), "{}", stdout(&c));
    // Over it: a row error naming the field.
    let o = convert(&dir, schema, &format!("s\n{}\n", "y".repeat(70_000)));
    let e = stderr(&o);
    assert_exit(&o, 1);
    assert!(o.stdout.is_empty());
    assert!(e.contains("in.csv:2:1:") && e.contains("field s"), "{e}");
    assert_stderr_has(&o, "64 KiB");
    // Escaping counts, as in check: 33,000 quotes are written as 66,000 bytes.
    let quotes = format!("s\n\"{}\"\n", "\"\"".repeat(33_000));
    let o = convert(&dir, schema, &quotes);
    assert_exit(&o, 1);
}

#[test]
fn time_as_a_tag_or_field_key_is_a_schema_error() {
    let dir = TempDir::new("vr-time-key");
    for schema in [
        "measurement = \"m\"\n[tags]\ntime = \"t\"\n[fields]\nf = \"float\"\n",
        "measurement = \"m\"\n[fields]\ntime = { column = \"t\", type = \"string\" }\nf = \"float\"\n",
    ] {
        let o = convert(&dir, schema, "t,f\na,1\n");
        let e = stderr(&o);
        assert_exit(&o, 2);
        assert!(e.contains("`time`") && e.contains("rename"), "{e}");
    }
    let o = check(&dir, "m,time=a f=1\nm time=1\n", Some("influxdb1"));
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
}

#[test]
fn control_bytes_from_headers_are_escaped_in_messages() {
    let dir = TempDir::new("vr-ctl-header");
    let schema = "measurement = \"m\"\n[fields]\nf = \"float\"\n";
    let o = convert(&dir, schema, "a\x1b[31mb,g\n1,2\n");
    let e = stderr(&o);
    assert_exit(&o, 2);
    assert!(!e.contains('\x1b'), "raw ESC echoed: {e:?}");
    assert!(e.contains("a\\x1b[31mb"), "shown escaped: {e}");
    // A row error naming such a column.
    let schema = "measurement = \"m\"\n[fields]\nf = { column = \"a\\u001bb\" }\n";
    let o = convert(&dir, schema, "a\x1bb\nnope\n");
    let e = stderr(&o);
    assert_exit(&o, 1);
    assert!(!e.contains('\x1b') && e.contains("a\\x1bb"), "{e:?}");
    // check shows the bad bytes of a line escaped too.
    let o = check(&dir, "m\x1b[31m f=1\nm f=abc\x07\n", None);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
    assert!(out.contains("m\\x1b[31m"), "{out}");
}

#[test]
fn schema_keys_that_alone_exceed_the_key_length_are_a_schema_error() {
    let dir = TempDir::new("vr-key-schema");
    // A field key of 65,535 bytes: measurement + `#!~#` + key is over the limit on every row.
    let key = "k".repeat(65_535);
    let schema = format!("measurement = \"m\"\n[fields]\n{key} = {{ column = \"a\" }}\n");
    let o = convert(&dir, &schema, "a\n1\n2\n");
    let e = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a schema error, not one row error per row: {e}"
    );
    assert!(o.stdout.is_empty());
    assert_stderr_has(&o, "65535");
    // A constant measurement, constant tags and the field key add up the same way
    // (escapes counted: every space in the measurement is written `\ `).
    let m = " ".repeat(32_000);
    let schema = format!(
        "measurement = \"{m}\"\n[tags]\nt = {{ value = \"x\" }}\n[fields]\n{} = {{ column = \"a\" }}\n",
        "f".repeat(1_530)
    );
    let o = convert(&dir, &schema, "a\n1\n");
    assert_exit(&o, 2);
    // One byte less fits: 64,000 + `,t=x` + 4 + 1,527 = 65,535.
    let schema = format!(
        "measurement = \"{m}\"\n[tags]\nt = {{ value = \"x\" }}\n[fields]\n{} = {{ column = \"a\" }}\n",
        "f".repeat(1_527)
    );
    let o = convert(&dir, &schema, "a\n1\n");
    assert_exit(&o, 0);
    assert_eq!(
        check(&dir, &stdout(&o), Some("influxdb1")).status.code(),
        Some(0)
    );
}

#[test]
fn a_measurement_starting_with_a_byte_order_mark_is_refused() {
    // check and replay skip a UTF-8 BOM at the start of a file: a first line whose
    // measurement starts with U+FEFF would lose it there, and the server would store
    // another measurement than the one written.
    let dir = TempDir::new("vr-bom-measurement");
    let schema = "measurement = { column = \"m\" }\n[fields]\nf = \"float\"\n";
    let o = convert(&dir, schema, "m,f\n\u{feff}cpu,1\nmem,2\n");
    let e = stderr(&o);
    assert_exit(&o, 1);
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
    assert!(
        e.contains("in.csv:2:1:") && e.contains("byte order mark"),
        "{e}"
    );
    // Inside the name it is an ordinary character.
    let o = convert(&dir, schema, "m,f\nc\u{feff}pu,1\n");
    assert_exit(&o, 0);
    // A constant measurement: a schema error.
    let schema = "measurement = \"\u{feff}cpu\"\n[fields]\nf = \"float\"\n";
    let o = convert(&dir, schema, "f\n1\n");
    assert_exit(&o, 2);
    assert_stderr_has(&o, "byte order mark");
}

#[test]
fn check_refuses_a_space_after_the_fields_without_a_timestamp() {
    // InfluxDB 3's parser (influxdb-line-protocol) refuses `m f=1 ` ("Could not parse
    // entire line"); spaces after a timestamp are fine everywhere.
    let dir = TempDir::new("vr-trailing-space");
    assert!(influxdb_line_protocol::parse_lines("m f=1 ")
        .next()
        .is_some_and(|r| r.is_err()));
    assert!(influxdb_line_protocol::parse_lines("m f=1 5 ")
        .next()
        .is_some_and(|r| r.is_ok()));
    for target in [None, Some("influxdb3"), Some("influxdb2")] {
        let o = check(&dir, "m f=1 \nm,t=a f=1,g=2  \nm f=\"x\" \n", target);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(3), "{target:?}: {out}");
        assert_eq!(out.lines().count(), 3, "{target:?}: {out}");
        assert!(out.contains("space"), "{out}");
        let o = check(&dir, "m f=1 5 \nm f=1\n", target);
        assert_eq!(o.status.code(), Some(0), "{target:?}: {}", stdout(&o));
    }
}

#[test]
fn unix_timestamps_with_many_leading_zeros_are_read() {
    let dir = TempDir::new("vr-ts-zeros");
    let schema = "measurement = \"m\"\n[timestamp]\ncolumn = \"t\"\nformat = \"unix_ns\"\n\
                  [fields]\nf = \"float\"\n";
    let zeros = "0".repeat(40);
    let o = convert(
        &dir,
        schema,
        &format!("t,f\n{zeros}5,1\n-{zeros}5,2\n{zeros}1.5,3\n"),
    );
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "m f=1 5\nm f=2 -5\nm f=3 1\n");
    // Many digits that are not zeros are still out of range.
    let o = convert(&dir, schema, &format!("t,f\n1{zeros},1\n"));
    assert_exit(&o, 1);
    assert_stderr_has(&o, "outside the range");
}

#[test]
fn a_column_missing_from_the_header_shows_near_misses() {
    // A header name with blanks around it (or another case) looks the same as the
    // schema's name when the columns are listed bare: quote them and say what differs.
    let dir = TempDir::new("vr-near-miss");
    let schema = "measurement = \"m\"\n[fields]\ntemp = \"float\"\n";
    let o = convert(&dir, schema, "time, temp\n1,2\n");
    let e = stderr(&o);
    assert_exit(&o, 2);
    assert!(e.contains("\" temp\""), "the name is quoted: {e}");
    assert!(e.contains("trim = true"), "says how to fix it: {e}");
    let o = convert(&dir, schema, "time,Temp\n1,2\n");
    let e = stderr(&o);
    assert_exit(&o, 2);
    assert!(e.contains("\"Temp\"") && e.contains("case"), "{e}");
}

#[test]
fn a_header_name_with_a_stray_byte_order_mark_is_named() {
    // Only a BOM at the very start of the file is skipped; a second one (files joined with
    // `cat`) stays in the first header name, invisibly.
    let dir = TempDir::new("vr-near-miss-bom");
    let schema = "measurement = \"m\"\n[fields]\ntemp = \"float\"\n";
    let o = convert(&dir, schema, "\u{feff}\u{feff}temp,b\n1,2\n");
    let e = stderr(&o);
    assert_exit(&o, 2);
    assert!(!e.contains('\u{feff}'), "shown escaped: {e:?}");
    assert!(
        e.contains("\\u{feff}temp") && e.contains("byte order mark"),
        "{e}"
    );
}

#[test]
fn check_names_a_trailing_space_after_a_multi_line_string() {
    // A string with a raw line feed spans two physical lines; a space after it (and no
    // timestamp) is what is wrong, not a missing quote on one line and fields on the next.
    let dir = TempDir::new("vr-trailing-space-ml");
    let o = check(&dir, "m s=\"a\nb\" \nm f=1\n", Some("influxdb3"));
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("space") && out.contains(":1:"), "{out}");
}

#[test]
fn an_ndjson_object_repeating_a_key_the_schema_reads_is_a_row_error() {
    // As with a CSV header that repeats a name: one of the two values would be lost silently.
    let dir = TempDir::new("ndjson-dup-key");
    let toml = "format = \"ndjson\"\nmeasurement = \"m\"\nprecision = \"s\"\n[timestamp]\ncolumn = \"time\"\nformat = \"unix_s\"\n[fields]\na = \"integer\"\nb = { path = \"/o/b\", type = \"integer\" }\n";
    let s = write_text(&dir, "s.toml", toml);
    let json_text = "{\"time\":1,\"a\":1,\"a\":2}\n{\"time\":2,\"a\":3,\"x\":1,\"x\":2}\n{\"time\":3,\"o\":{\"b\":1},\"o\":{\"b\":2}}\n";
    let data = write_text(&dir, "in.ndjson", json_text);
    let rej = dir.join("rej.ndjson");
    let o = run_lpconvert(
        "convert",
        &argv(
            "-s {} {} --on-error skip --rejects {}",
            &[&s, &data, rej.to_str().unwrap()],
        ),
        &[],
    );
    assert_exit(&o, 3);
    // A repeated key the schema does not read is harmless.
    assert_eq!(stdout(&o), "m a=3i 2\n");
    let e = std::fs::read_to_string(dir.join("rej.ndjson.errors")).unwrap();
    assert!(e.contains("in.ndjson:1:21: "), "{e}");
    assert!(e.contains("in.ndjson:3:32: "), "{e}");
    assert!(e.contains("twice"), "{e}");
    assert!(!e.contains("invalid JSON"), "{e}");
    // The rejects convert again with the same schema, and are refused the same way.
    let o = run_lpconvert(
        "convert",
        &["-s", &s, rej.to_str().unwrap(), "--on-error", "skip"],
        &[],
    );
    assert_exit(&o, 3);
    assert_stderr_has(&o, "2 rejected");
}
