//! Schema errors: refused with exit 2 before the first row, naming the file, the key and
//! the fix.

use super::{HOME_CSV, HOME_LP, HOME_SCHEMA};
use crate::support::{code, convert_in, run_in, schema_and_csv, text, write_in, TempDir};

/// A schema error: exit 2 before any line, `lpconvert: <schema path>: ` first, then the
/// message naming `key` and containing `fix`.
fn schema_error(schema: &str, csv: &str, key: &str, fix: &str) {
    let d = TempDir::new("schemaerr");
    write_in(&d, "bad.toml", schema);
    write_in(&d, "a.csv", csv);
    let out = run_in(&d, &["--schema", "bad.toml", "a.csv"], None);
    let err = text(&out.stderr);
    assert_eq!(code(&out), 2, "schema {schema:?}: {err}");
    assert!(
        out.stdout.is_empty(),
        "schema {schema:?}: output before the error: {}",
        text(&out.stdout)
    );
    assert!(
        err.starts_with("lpconvert: bad.toml: "),
        "schema {schema:?}: message does not start with the file: {err}"
    );
    assert!(
        err.contains(key),
        "schema {schema:?}: message does not name {key}: {err}"
    );
    assert!(
        err.contains(fix),
        "schema {schema:?}: message does not say {fix:?}: {err}"
    );
    assert!(
        !err.contains(" rows read, "),
        "no summary after a schema error: {err}"
    );
}

#[test]
fn schema_errors_are_refused_before_the_first_row() {
    let csv = HOME_CSV;
    let base = |extra: &str| format!("{HOME_SCHEMA}{extra}");
    // Unknown keys anywhere.
    schema_error(
        &format!("measurment = \"x\"\n{HOME_SCHEMA}"),
        csv,
        "`measurment`",
        "expected one of",
    );
    schema_error(
        &HOME_SCHEMA.replace("format = \"unix_s\"", "format = \"unix_s\"\nzone = \"UTC\""),
        csv,
        "`zone`",
        "timezone",
    );
    schema_error(
        &base("[csv]\ndelimeter = \";\"\n"),
        csv,
        "`delimeter`",
        "delimiter",
    );
    schema_error(
        &HOME_SCHEMA.replace(
            "co = \"integer\"",
            "co = { column = \"co\", tpye = \"integer\" }",
        ),
        csv,
        "fields.co",
        "`tpye`",
    );
    schema_error(
        &HOME_SCHEMA.replace("room = \"room\"", "room = { colum = \"room\" }"),
        csv,
        "tags.room",
        "`colum`",
    );
    // A column the header lacks: the key, the missing name and the available columns.
    schema_error(
        &HOME_SCHEMA.replace("room = \"room\"", "room = \"place\""),
        csv,
        "`tags.room`",
        "time, room, temp, hum, co",
    );
    schema_error(
        &HOME_SCHEMA.replace("hum = \"float\"", "humidity = \"float\""),
        csv,
        "`fields.humidity`",
        "fix the name",
    );
    schema_error(
        &HOME_SCHEMA.replace("column = \"time\"", "column = \"ts\""),
        csv,
        "`timestamp.column`",
        "`ts`",
    );
    // A key used twice: in tags and fields, or twice in one table.
    schema_error(&base("room = \"string\"\n"), csv, "tags.room", "rename one");
    schema_error(&base("temp = \"float\"\n"), csv, "temp", "duplicate");
    schema_error(
        "measurement = \"m\"\ntags = [\"room\", \"room\"]\n[fields]\ntemp = \"float\"\n",
        csv,
        "tags",
        "room",
    );
    // Unknown values.
    schema_error(
        &format!("format = \"xml\"\n{HOME_SCHEMA}"),
        csv,
        "`format`",
        "\"csv\" or \"ndjson\"",
    );
    schema_error(
        &HOME_SCHEMA.replace("format = \"unix_s\"", "format = \"epoch\""),
        csv,
        "`timestamp.format`",
        "unix_s",
    );
    schema_error(
        &HOME_SCHEMA.replace(
            "format = \"unix_s\"",
            "format = \"unix_s\"\ntimezone = \"Mars/Olympus\"",
        ),
        csv,
        "`timestamp.timezone`",
        "Europe/Berlin",
    );
    schema_error(
        &HOME_SCHEMA.replace("co = \"integer\"", "co = \"int\""),
        csv,
        "`fields.co`",
        "\"integer\"",
    );
    schema_error(
        &HOME_SCHEMA.replace("precision = \"s\"", "precision = \"sec\""),
        csv,
        "`precision`",
        "\"ms\"",
    );
    schema_error(
        &format!("on_error = \"ignore\"\n{HOME_SCHEMA}"),
        csv,
        "`on_error`",
        "\"skip\"",
    );
    // [csv] columns must match the header's count.
    schema_error(
        &base("[csv]\ncolumns = [\"time\", \"room\"]\n"),
        csv,
        "`csv.columns`",
        "5 columns",
    );
    // header = false needs columns.
    schema_error(
        &base("[csv]\nheader = false\n"),
        csv,
        "`csv.columns`",
        "header = false",
    );
    // No measurement, no field.
    schema_error(
        "[fields]\nv = \"float\"\n",
        csv,
        "`measurement`",
        "measurement = ",
    );
    // Bad TOML.
    schema_error("measurement = \"m\n", csv, "line 1", "");
}

#[test]
fn schema_error_in_a_later_input_stops_there() {
    let d = schema_and_csv("schemalater", HOME_SCHEMA, HOME_CSV);
    write_in(&d, "b.csv", "time,place,temp,hum,co\n1,x,1,1,1\n");
    let out = convert_in(&d, &["-q", "a.csv", "b.csv"]);
    assert_eq!(code(&out), 2);
    assert_eq!(text(&out.stdout), HOME_LP, "the first input is converted");
    let err = text(&out.stderr);
    assert!(err.starts_with("lpconvert: s.toml: `tags.room`"), "{err}");
    assert!(
        err.contains("b.csv"),
        "names the input whose header lacks the column: {err}"
    );
}

/// SCHEMA.md `[csv]`: `quote` is "the quote byte; fields may contain delimiters"; a schema
/// error "is refused before any row is read". `csv_spec` (crates/schema/src/spec.rs) only
/// refuses a quote equal to an *explicit* `delimiter`: `quote = ","` with the default
/// delimiter `,` is accepted, and every cell that starts with the delimiter is read as a
/// "quoted" field (`a,"b"` gives `s="\"b\""`). Expected: a schema error (exit 2) naming
/// `csv.quote`/`csv.delimiter`.
#[test]
fn quote_equal_to_the_default_delimiter_is_a_schema_error() {
    let schema =
        "measurement = \"m\"\n[csv]\nquote = \",\"\n[tags]\nk = \"k\"\n[fields]\ns = \"string\"\n";
    let d = schema_and_csv("quotedelim", schema, "k,s\na,\"b\"\n");
    let out = convert_in(&d, &["-q", "a.csv"]);
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "accepted; wrote {:?}, stderr {err}",
        text(&out.stdout)
    );
    assert!(
        err.contains("csv.quote") || err.contains("csv.delimiter"),
        "{err}"
    );
}
