//! NDJSON / JSON-array regression tests: truncated or malformed arrays, control characters,
//! invalid UTF-8, and where errors are placed (line and column).

use super::{run_in, scratch, text};

/// Converts `input` (named `name`) with `schema`, `--on-error skip --rejects rejects`:
/// (exit status, stdout, the `rejects.errors` file).
fn convert(tag: &str, schema: &str, name: &str, input: &[u8]) -> (i32, String, String) {
    let d = scratch(tag);
    std::fs::write(d.join("s.toml"), schema).expect("write schema");
    std::fs::write(d.join(name), input).expect("write input");
    let out = run_in(
        &d,
        &[
            "--schema",
            "s.toml",
            "-q",
            "--on-error",
            "skip",
            "--rejects",
            "rejects",
            name,
        ],
        None,
    );
    let errors = text(&std::fs::read(d.join("rejects.errors")).unwrap_or_default());
    let _ = std::fs::remove_dir_all(&d);
    (out.status.code().expect("exit"), text(&out.stdout), errors)
}

/// The `column` of each `file:line:column: message` line.
fn columns(errors: &str) -> Vec<u64> {
    errors
        .lines()
        .map(|l| {
            l.split(':')
                .nth(2)
                .and_then(|c| c.parse().ok())
                .unwrap_or_else(|| panic!("no column in {l:?}"))
        })
        .collect()
}

/// Columns are 1-based (SCHEMA.md "Errors", CLI.md "file:line:column"). A key that is missing
/// has no byte of its own, but the error still names a real column (the object's, 1).
/// Actual: `data.ndjson:1:0: timestamp (path /t): "" is empty: ...` (column 0).
#[test]
fn missing_key_error_has_a_1_based_column() {
    let schema = "measurement = \"m\"\n[timestamp]\ncolumn = \"t\"\nformat = \"unix_s\"\n\
                  [fields]\nv = \"integer\"\n";
    let (code, _, errors) = convert("missing", schema, "data.ndjson", b"{\"v\":1}\n");
    assert_eq!(code, 3, "{errors}");
    assert_eq!(errors.lines().count(), 1, "{errors}");
    assert!(
        columns(&errors).iter().all(|c| *c >= 1),
        "columns must be 1-based: {errors}"
    );
    // The measurement from a missing path: same.
    let schema = "measurement = { path = \"/meta/name\" }\n[fields]\nv = \"integer\"\n";
    let (_, _, errors) = convert("missing-m", schema, "data.ndjson", b"{\"v\":1}\n");
    assert!(
        columns(&errors).iter().all(|c| *c >= 1),
        "columns must be 1-based: {errors}"
    );
}

/// RFC 8259 section 7: control characters U+0000..U+001F must be escaped in JSON strings;
/// a raw one makes the line invalid JSON, a row error (`invalid JSON: ...`).
/// Actual: `{"s":"a<TAB>b"}` and `{"s":"a<U+0001>b"}` are converted, the raw bytes written
/// into the string field (`m s="a<TAB>b"`), exit 0.
#[test]
fn raw_control_character_in_a_string_is_invalid_json() {
    let schema = "measurement = \"m\"\n[fields]\ns = \"string\"\n";
    let (code, out, errors) = convert(
        "ctrl",
        schema,
        "data.ndjson",
        b"{\"s\":\"ok\"}\n{\"s\":\"a\tb\"}\n{\"s\":\"a\x01b\"}\n",
    );
    assert_eq!(out, "m s=\"ok\"\n");
    assert_eq!(code, 3);
    let lines: Vec<&str> = errors.lines().collect();
    assert_eq!(lines.len(), 2, "{errors}");
    assert!(
        lines[0].starts_with("data.ndjson:2:8: invalid JSON"),
        "{errors}"
    );
    assert!(
        lines[1].starts_with("data.ndjson:3:8: invalid JSON"),
        "{errors}"
    );
}

/// JSON text is UTF-8 (RFC 8259 section 8.1), and every output line must be accepted by
/// InfluxDB 3's parser, which reads UTF-8 only: bytes that are not UTF-8 inside a JSON string
/// are invalid JSON. Actual: `{"s":"<FF><FE>"}` is written as `m s="<FF><FE>"`, exit 0.
#[test]
fn invalid_utf8_in_a_json_string_is_invalid_json() {
    let schema = "measurement = \"m\"\n[fields]\ns = \"string\"\n";
    let (code, out, errors) = convert("utf8", schema, "data.ndjson", b"{\"s\":\"\xff\xfe\"}\n");
    assert_eq!(out, "", "nothing written");
    assert_eq!(code, 3, "{errors}");
    assert!(errors.starts_with("data.ndjson:1:"), "{errors}");
    assert!(errors.contains("invalid JSON"), "{errors}");
}

/// A `.json` file whose content is one JSON array must be a JSON array: an array that never
/// closes (a truncated export, the most common damage) is an error, never a silent success.
/// Actual: `[\n{"v":1},\n{"v":2}\n` (no `]`) converts both elements and exits 0.
#[test]
fn truncated_json_array_is_an_error() {
    let schema = "measurement = \"m\"\n[fields]\nv = \"integer\"\n";
    let (code, out, errors) = convert("trunc", schema, "data.json", b"[\n{\"v\":1},\n{\"v\":2}\n");
    assert_eq!(out, "m v=1i\nm v=2i\n");
    assert_ne!(
        code, 0,
        "a truncated array must not exit 0; errors: {errors}"
    );
    assert!(
        !errors.is_empty() || code == 2,
        "the truncation is reported"
    );
}

/// Elements of a JSON array are separated by commas: `[{"v":1}\n{"v":2}]` is invalid JSON
/// and `[{"v":1},]` too. Actual: both convert every element and exit 0.
#[test]
fn json_array_without_commas_or_with_a_trailing_comma_is_an_error() {
    let schema = "measurement = \"m\"\n[fields]\nv = \"integer\"\n";
    for (tag, input) in [
        ("nocomma", &b"[\n{\"v\":1}\n{\"v\":2}\n]\n"[..]),
        ("trailing", &b"[\n{\"v\":1},\n{\"v\":2},\n]\n"[..]),
    ] {
        let (code, _, errors) = convert(tag, schema, "data.json", input);
        assert_ne!(
            code, 0,
            "{tag}: invalid JSON array accepted; errors: {errors}"
        );
    }
}

/// The column of a row error is the 1-based byte offset in the line the error names. For an
/// element of a JSON array, the error is placed where it is: `[\n  {"id": "b", "v": "x"}\n]`
/// (`"x"` at byte 20 of line 2) gives `data.json:2:20:`; in an element spread over several
/// lines, an error on its fourth line names line 4 and the column in that line.
#[test]
fn json_array_error_column_counts_from_the_start_of_the_line() {
    let schema = "measurement = \"m\"\non_error = \"skip\"\n[fields]\nv = \"float\"\n";
    let (code, _, errors) = convert(
        "col",
        schema,
        "data.json",
        b"[\n  {\"id\": \"b\", \"v\": \"x\"}\n]\n",
    );
    assert_eq!(code, 3);
    assert!(errors.starts_with("data.json:2:20: field v"), "{errors}");
    let input = b"[\n  {\n    \"id\": \"c\",\n    \"v\": {\"nested\": 1}\n  }\n]\n";
    let (_, _, errors) = convert("col2", schema, "data.json", input);
    assert!(errors.starts_with("data.json:4:10:"), "{errors}");
}
