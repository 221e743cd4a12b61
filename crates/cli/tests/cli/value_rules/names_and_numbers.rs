//! Names, numbers and timestamps as convert writes them: reformatted floats, names that a
//! line protocol parser would read differently (a leading `#`, backslashes before escaped
//! characters, tabs and NULs), and timestamps at the upper limit.

use crate::support::{convert_in, schema_and_csv, text, write_in, TempDir};

/// Decision: "other accepted forms (`.5`, `1.`, `+2`) are reformatted (`0.5`, `1.0`, `2`)".
/// Actual: `+2` is written as `2.0` (ryu formatting of the parsed value).
#[test]
fn float_with_plus_sign_is_reformatted() {
    let schema = "measurement = \"m\"\n[fields]\nv = \"float\"\n";
    let d = schema_and_csv("plus", schema, "v\n+2\n.5\n1.\n");
    let out = convert_in(&d, &["-q", "a.csv"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "m v=2.0\nm v=0.5\nm v=1.0\n");
}

/// LINE-PROTOCOL.md: "`#` at the start of a line is a comment". A measurement read from a
/// column that starts with `#` is written as a line starting with `#`: every server ignores
/// it, yet it is counted as written. It must be a row error.
#[test]
fn measurement_starting_with_hash_is_not_a_comment_line() {
    let schema = "measurement = { column = \"m\" }\n[fields]\nv = \"float\"\n";
    let (code, out) = convert_skip(schema, "m,v\n#cpu,1\n");
    let parsed: Vec<_> = influxdb_line_protocol::parse_lines(&out)
        .filter_map(Result::ok)
        .collect();
    assert!(
        code == Some(3) || parsed.len() == 1,
        "exit {code:?}, output {out:?}: the row is neither rejected nor readable"
    );
}

/// Converts `csv` with `schema` (on_error = skip) and returns (exit code, stdout).
fn convert_skip(schema: &str, csv: &str) -> (Option<i32>, String) {
    let d = TempDir::new("names");
    write_in(&d, "s.toml", schema);
    write_in(&d, "a.csv", csv);
    let out = convert_in(&d, &["-q", "--on-error", "skip", "a.csv"]);
    (out.status.code(), text(&out.stdout))
}

/// SCHEMA.md: "Every output line is accepted by InfluxDB's own line protocol parser, and parses
/// back to exactly the values that were read"; names that cannot be written portably are row
/// errors. Actual: a backslash followed by a character that the writer escapes (space or comma
/// in a measurement; space, comma or `=` in tag keys, tag values and field keys) is written as
/// `\\ ` / `\\,`: every parser then reads the backslash pair as one escaped backslash and the
/// space or comma as a separator, so the line is invalid or means something else. Such a name
/// must be a row error (or be encoded so that it parses back).
#[test]
fn backslash_before_an_escaped_character_in_names() {
    let schema = "measurement = { column = \"m\" }\n[tags]\nt = \"t\"\n[fields]\nv = \"float\"\n";
    for (m, t) in [
        ("m\\ x", "y"),
        ("m\\,x", "y"),
        ("ok", "a\\ b"),
        ("ok", "a\\,b"),
        ("ok", "a\\=b"),
    ] {
        let csv = format!("m,t,v\n\"{m}\",\"{t}\",1\n");
        let (code, out) = convert_skip(schema, &csv);
        if code == Some(3) && out.is_empty() {
            continue; // rejected as a row error: fine
        }
        assert_eq!(code, Some(0), "measurement {m:?}, tag {t:?}");
        let lines: Vec<_> = influxdb_line_protocol::parse_lines(&out).collect();
        assert_eq!(lines.len(), 1, "measurement {m:?}, tag {t:?}: {out}");
        let line = lines.into_iter().next().expect("one line");
        let line = line.unwrap_or_else(|e| {
            panic!("measurement {m:?}, tag {t:?}: the written line {out:?} does not parse: {e}")
        });
        assert_eq!(line.series.measurement.as_str(), m, "written as {out:?}");
        assert_eq!(
            line.tag_value("t").map(|v| v.to_string()).as_deref(),
            Some(t),
            "written as {out:?}"
        );
    }
    // The same for a field key from the schema: refused by the schema, or parses back.
    let schema = "measurement = \"m\"\n[fields]\n\"a\\\\ b\" = { column = \"v\" }\n";
    let d = schema_and_csv("fieldkey", schema, "v\n1\n");
    let out = convert_in(&d, &["-q", "a.csv"]);
    if out.status.code() == Some(0) {
        let lp = text(&out.stdout);
        let line = influxdb_line_protocol::parse_lines(&lp)
            .next()
            .expect("a line")
            .unwrap_or_else(|e| panic!("field key `a\\ b` written as {lp:?} does not parse: {e}"));
        assert_eq!(line.field_set[0].0.as_str(), "a\\ b", "written as {lp:?}");
    }
}

/// SCHEMA.md: "A timestamp outside the range line protocol can hold in nanoseconds (1677-09-21
/// to 2262-04-11) is a row error". An RFC 3339 time without an offset, read in a non-UTC
/// `timezone`, with a fraction, within a second of the upper limit: `parse_rfc3339` does
/// `check_range(ns + frac)` on i64 (crates/schema/src/time.rs, the `None if !zone.is_utc()`
/// arm). A debug build panics ("attempt to add with overflow", exit 101); a release build
/// wraps to a 1677 timestamp, which passes the range check and is written.
#[test]
fn rfc3339_local_time_with_fraction_at_the_upper_limit_is_a_row_error() {
    // 2262-04-11T23:47:16.9Z: past the limit 2262-04-11T23:47:16.854775806Z.
    let schema = "measurement = \"m\"\n[timestamp]\ncolumn = \"time\"\nformat = \"rfc3339\"\ntimezone = \"+01:00\"\n[fields]\nv = \"float\"\n";
    let d = schema_and_csv("tsoverflow", schema, "time,v\n2262-04-12T00:47:16.9,1\n");
    let out = convert_in(&d, &["-q", "a.csv"]);
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout {:?}, stderr {err}",
        text(&out.stdout)
    );
    assert!(out.stdout.is_empty(), "wrote {:?}", text(&out.stdout));
    assert!(
        err.starts_with("a.csv:2:1: timestamp (column time): ")
            && err.contains("outside the range"),
        "{err}"
    );
}

/// SCHEMA.md: "Every output line is accepted by InfluxDB's own line protocol parser, and parses
/// back to exactly the values that were read." LINE-PROTOCOL.md: InfluxDB 3 uses the Rust
/// `influxdb-line-protocol` crate, whose names end at a space, a TAB or a LF
/// (`is_whitespace_boundary_char`) and whose measurement refuses NUL. lpconvert copies TAB
/// and NUL into names unescaped (crates/lp/src/escape.rs: `classes`/`is_plain` treat them as
/// plain bytes), so:
/// - tag value `a<TAB>b` -> `m,t=a\tb a=1`: InfluxDB 3 refuses the line;
/// - measurement `<TAB>cpu` -> `\tcpu a=1`: read back as measurement `cpu` (leading
///   whitespace is skipped by the Go and the Rust parsers);
/// - measurement `c<NUL>pu`: refused by InfluxDB 3.
///
/// Expected: such rows are row errors (like a newline in a name). `lpconvert check --target
/// influxdb3` also reports these lines as valid.
#[test]
fn tab_and_nul_in_names_are_row_errors_not_unparseable_lines() {
    let d = TempDir::new("tabname");
    write_in(&d, "s.toml", "measurement = { path = \"/m\" }\nformat = \"ndjson\"\non_error = \"skip\"\n[tags]\nt = { path = \"/t\" }\n[fields]\na = \"float\"\n");
    let rows: [(&str, &str, &str); 4] = [
        (r#"{"m":"cpu","t":"a\tb","a":1}"#, "cpu", "a\tb"),
        (r#"{"m":"\tcpu","t":"x","a":1}"#, "\tcpu", "x"),
        (r#"{"m":"c\u0000pu","t":"y","a":1}"#, "c\0pu", "y"),
        (r#"{"m":"ok","t":"z","a":1}"#, "ok", "z"),
    ];
    let input: String = rows.iter().map(|r| format!("{}\n", r.0)).collect();
    write_in(&d, "a.ndjson", input);
    let out = convert_in(&d, &["-q", "a.ndjson"]);
    let lp = text(&out.stdout);
    for (n, line) in lp.lines().enumerate() {
        let parsed = influxdb_line_protocol::parse_lines(line)
            .next()
            .expect("one line");
        let parsed = parsed.unwrap_or_else(|e| {
            panic!(
                "output line {} {line:?} is refused by InfluxDB 3's parser: {e}",
                n + 1
            )
        });
        let m = parsed.series.measurement.to_string();
        let t = parsed
            .series
            .tag_set
            .as_ref()
            .and_then(|ts| ts.iter().find(|(k, _)| *k == "t"))
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
        assert!(
            rows.iter().any(|r| r.1 == m && r.2 == t),
            "output line {line:?} reads back as measurement {m:?}, tag t={t:?}: not a row of the input"
        );
    }
    assert_eq!(out.status.code(), Some(3), "{lp:?}");
}
