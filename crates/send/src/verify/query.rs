//! The queries each server needs, with names quoted and escaped for its query language.
//! Times are integer nanoseconds since the epoch; a range is `[start, end)`.

use std::fmt::Write as _;

/// `s` in double quotes with `"` and `\` backslash-escaped and a newline as `\n`: an
/// InfluxQL identifier, and a MetricsQL (PromQL) string literal.
fn backslash_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An InfluxQL identifier in double quotes.
pub fn influxql_ident(name: &str) -> String {
    backslash_quoted(name)
}

/// `"rp"."m"` or `"m"`.
fn influxql_from(rp: Option<&str>, measurement: &str) -> String {
    match rp {
        Some(rp) => format!("{}.{}", influxql_ident(rp), influxql_ident(measurement)),
        None => influxql_ident(measurement),
    }
}

/// InfluxDB 1.x: the count of each field per bucket (1.x answers one `count_FIELD` column per
/// field; their sum is the bucket's points). `bucket_ms` is the bucket size in milliseconds.
pub fn influxql_count(
    rp: Option<&str>,
    measurement: &str,
    (start, end): (i64, i64),
    bucket_ms: i64,
) -> String {
    format!(
        "SELECT count(*) FROM {} WHERE time >= {start} AND time < {end} GROUP BY time({bucket_ms}ms) fill(none)",
        influxql_from(rp, measurement)
    )
}

/// InfluxDB 1.x: every point of a range, one series per tag set.
pub fn influxql_points(rp: Option<&str>, measurement: &str, (start, end): (i64, i64)) -> String {
    format!(
        "SELECT * FROM {} WHERE time >= {start} AND time < {end} GROUP BY *",
        influxql_from(rp, measurement)
    )
}

/// A MetricsQL (PromQL) string literal in double quotes.
pub fn metricsql_string(s: &str) -> String {
    backslash_quoted(s)
}

/// `s` as a literal in an RE2 regular expression.
pub fn regex_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// VictoriaMetrics: the series selector of a measurement's metrics (`measurement_field`),
/// with the `db` label replay's `--db` adds, if given.
pub fn victoria_selector(measurement: &str, db: Option<&str>) -> String {
    let mut s = format!(
        "{{__name__=~{}",
        metricsql_string(&format!("{}_.+", regex_literal(measurement)))
    );
    if let Some(db) = db {
        let _ = write!(s, ",db={}", metricsql_string(db));
    }
    s.push('}');
    s
}

/// Milliseconds as VictoriaMetrics' `start`/`end` (seconds with a fraction; both inclusive).
pub fn victoria_time(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let abs = ms.unsigned_abs();
    format!("{sign}{}.{:03}", abs / 1000, abs % 1000)
}

/// A SQL identifier in double quotes (`"` doubled).
pub fn sql_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A SQL string literal in single quotes (`'` doubled).
pub fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// InfluxDB 3: the field columns of a table (tags are dictionary columns).
pub fn sql_fields(measurement: &str) -> String {
    format!(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'iox' AND table_name = {} AND column_name <> 'time' AND data_type NOT LIKE 'Dictionary%'",
        sql_string(measurement)
    )
}

/// InfluxDB 3: the non-null values of `fields` per bucket (a row holds every field of one
/// series and time: each non-null value is a point).
pub fn sql_count(
    measurement: &str,
    fields: &[String],
    (start, end): (i64, i64),
    bucket_ms: i64,
) -> String {
    let sum = if fields.is_empty() {
        "0".to_owned()
    } else {
        fields
            .iter()
            .map(|f| format!("count({})", sql_ident(f)))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    format!(
        "SELECT CAST(date_bin(INTERVAL '{bucket_ms} milliseconds', time, TIMESTAMP '1970-01-01T00:00:00Z') AS BIGINT) AS bucket, {sum} AS points FROM {} WHERE time >= to_timestamp_nanos({start}) AND time < to_timestamp_nanos({end}) GROUP BY 1 ORDER BY 1",
        sql_ident(measurement)
    )
}

/// A Flux string literal (`\`, `"` and the `${` of interpolation escaped).
pub fn flux_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// InfluxDB 2 (Flux): the points per bucket (a Flux row is one field value: counting the
/// rows of all series together counts points).
pub fn flux_count(
    bucket: &str,
    measurement: &str,
    (start, end): (i64, i64),
    bucket_ms: i64,
) -> String {
    format!(
        "from(bucket: {})\n  |> range(start: time(v: {start}), stop: time(v: {end}))\n  |> filter(fn: (r) => r._measurement == {})\n  |> group()\n  |> aggregateWindow(every: {bucket_ms}ms, fn: count, createEmpty: false, timeSrc: \"_start\")",
        flux_string(bucket),
        flux_string(measurement)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "we\"ird \\ m,=$'{x}.*";

    #[test]
    fn influxql_names_are_quoted() {
        assert_eq!(
            influxql_count(Some("r p"), NAME, (0, 10), 3_600_000),
            r#"SELECT count(*) FROM "r p"."we\"ird \\ m,=$'{x}.*" WHERE time >= 0 AND time < 10 GROUP BY time(3600000ms) fill(none)"#
        );
        assert_eq!(
            influxql_points(None, "m", (-5, 5)),
            r#"SELECT * FROM "m" WHERE time >= -5 AND time < 5 GROUP BY *"#
        );
    }

    #[test]
    fn victoria_selectors_escape_the_regex_and_the_string() {
        assert_eq!(
            victoria_selector(NAME, Some("d\"b")),
            r#"{__name__=~"we\"ird \\\\ m,=\\$'\\{x\\}\\.\\*_.+",db="d\"b"}"#
        );
        assert_eq!(victoria_time(1_700_000_000_123), "1700000000.123");
        assert_eq!(victoria_time(-1_500), "-1.500");
    }

    #[test]
    fn sql_and_flux_quote_names() {
        assert_eq!(sql_ident("a\"b"), "\"a\"\"b\"");
        assert!(sql_fields("it's").contains("table_name = 'it''s'"));
        assert_eq!(
            sql_count("m", &["f".into(), "g h".into()], (0, 10), 1000),
            "SELECT CAST(date_bin(INTERVAL '1000 milliseconds', time, TIMESTAMP '1970-01-01T00:00:00Z') AS BIGINT) AS bucket, count(\"f\") + count(\"g h\") AS points FROM \"m\" WHERE time >= to_timestamp_nanos(0) AND time < to_timestamp_nanos(10) GROUP BY 1 ORDER BY 1"
        );
        assert_eq!(flux_string("a\"${b}\\"), r#""a\"\${b}\\""#);
        assert!(flux_count("b", "m", (0, 10), 60_000).contains("every: 60000ms"));
    }
}
