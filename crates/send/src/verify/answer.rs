//! Reading the servers' answers: counts per bucket, or the keys of the points stored.

use super::expected::Grid;
use super::key::{KeyHasher, PointRef};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Keys per bucket start, as found (not deduplicated: a key twice is a duplicate sample).
pub type FoundKeys = BTreeMap<i64, Vec<u128>>;

/// The series of an InfluxQL answer's first result; an error the answer carries is returned.
fn influxql_series(body: &str) -> Result<Vec<Value>, String> {
    let v: Value =
        serde_json::from_str(body).map_err(|e| format!("the answer is not JSON ({e})"))?;
    if let Some(e) = v.get("error").and_then(Value::as_str) {
        return Err(e.to_owned());
    }
    let Some(result) = v.get("results").and_then(|r| r.get(0)) else {
        return Err("the answer has no `results`".into());
    };
    if let Some(e) = result.get("error").and_then(Value::as_str) {
        return Err(e.to_owned());
    }
    // 1.x cuts an answer at `max-row-limit` rows (10,000 in early versions) and marks it
    // `partial` on the result or a series: counting it would call the rest missing.
    let partial = |v: &Value| v.get("partial").and_then(Value::as_bool) == Some(true);
    let series = result.get("series").and_then(Value::as_array);
    if partial(result) || series.is_some_and(|s| s.iter().any(partial)) {
        return Err("the answer was cut short by the server (`partial`: its max-row-limit); give a smaller --bucket-size, or raise max-row-limit".into());
    }
    Ok(result
        .get("series")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

/// A row's time (`epoch=ns` gives integers).
fn row_time(row: &[Value]) -> Result<i64, String> {
    row.first()
        .and_then(Value::as_i64)
        .ok_or_else(|| "a row without an integer time (was epoch=ns asked?)".to_owned())
}

/// InfluxDB 1.x `SELECT count(*) ... GROUP BY time(..)`: points per bucket start (the sum of
/// the `count_FIELD` columns).
pub fn influxql_counts(body: &str) -> Result<BTreeMap<i64, u64>, String> {
    let mut counts = BTreeMap::new();
    for series in influxql_series(body)? {
        let rows = series.get("values").and_then(Value::as_array);
        for row in rows.into_iter().flatten() {
            let row = row.as_array().map(Vec::as_slice).unwrap_or_default();
            let n: u64 = row.iter().skip(1).filter_map(Value::as_u64).sum();
            *counts.entry(row_time(row)?).or_insert(0) += n;
        }
    }
    Ok(counts)
}

/// InfluxDB 1.x `SELECT * ... GROUP BY *`: the key of every non-null value, into `out` by
/// bucket. Empty tag values are series without that tag.
pub fn influxql_points(
    body: &str,
    measurement: &str,
    hasher: &KeyHasher,
    grid: &Grid,
    out: &mut FoundKeys,
) -> Result<(), String> {
    for series in influxql_series(body)? {
        let mut tags: Vec<(&[u8], &[u8])> = series
            .get("tags")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.as_bytes(), v.as_str()?.as_bytes())))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        tags.sort_unstable();
        let columns: Vec<&str> = series
            .get("columns")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| c.as_str().unwrap_or_default())
            .collect();
        let rows = series.get("values").and_then(Value::as_array);
        for row in rows.into_iter().flatten() {
            let row = row.as_array().map(Vec::as_slice).unwrap_or_default();
            let time = row_time(row)?;
            let keys = out.entry(grid.bucket_of(time)).or_default();
            for (field, value) in columns.iter().zip(row).skip(1) {
                if value.is_null() {
                    continue;
                }
                keys.push(hasher.key(&PointRef {
                    measurement: measurement.as_bytes(),
                    tags: &tags,
                    field: field.as_bytes(),
                    time,
                }));
            }
        }
    }
    Ok(())
}

/// One line of VictoriaMetrics' `/api/v1/export`.
#[derive(Deserialize)]
struct ExportLine {
    metric: BTreeMap<String, String>,
    timestamps: Vec<i64>,
}

/// What a VictoriaMetrics export is read for: the measurement queried, and the input
/// measurements that can make the same metric names (`a_b_c` is `a_b` + `c` or `a` + `b_c`):
/// a sample the measurement does not expect is left to the one that expects it, or to the
/// longer measurement whose metric it is. The hasher joins metric names and leaves out the
/// `db` label of `--db` ([`KeyHasher::victoria_metrics`]).
#[derive(Debug, Clone, Copy)]
pub struct ExportScope<'a> {
    /// The measurement.
    pub measurement: &'a str,
    /// Input measurements that start with `measurement_`.
    pub longer: &'a [String],
    /// The points the measurement expects, per bucket (sorted).
    pub expected: &'a BTreeMap<i64, Vec<u128>>,
    /// The points expected by the input measurements `measurement` starts with (then `_`).
    pub shorter: &'a [&'a BTreeMap<i64, Vec<u128>>],
}

fn expects(points: &BTreeMap<i64, Vec<u128>>, bucket: i64, key: u128) -> bool {
    points
        .get(&bucket)
        .is_some_and(|k| k.binary_search(&key).is_ok())
}

/// VictoriaMetrics `/api/v1/export` (JSON lines, millisecond timestamps): the key of every
/// sample into `out` by bucket.
pub fn victoria_export(
    body: &str,
    scope: &ExportScope<'_>,
    hasher: &KeyHasher,
    grid: &Grid,
    out: &mut FoundKeys,
) -> Result<(), String> {
    let prefix = format!("{}_", scope.measurement);
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        let l: ExportLine = serde_json::from_str(line)
            .map_err(|e| format!("an export line is not understood ({e})"))?;
        let Some(name) = l.metric.get("__name__") else {
            continue;
        };
        let Some(field) = name.strip_prefix(&prefix) else {
            continue;
        };
        let longers = scope.longer.iter().any(|m| {
            name.len() > m.len() + 1
                && name.starts_with(m.as_str())
                && name.as_bytes()[m.len()] == b'_'
        });
        let tags: Vec<(&[u8], &[u8])> = l
            .metric
            .iter()
            .filter(|(k, _)| *k != "__name__")
            .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
            .collect();
        for ms in l.timestamps {
            let time = ms.saturating_mul(1_000_000);
            let bucket = grid.bucket_of(time);
            let key = hasher.key(&PointRef {
                measurement: scope.measurement.as_bytes(),
                tags: &tags,
                field: field.as_bytes(),
                time,
            });
            if !expects(scope.expected, bucket, key)
                && (longers || scope.shorter.iter().any(|s| expects(s, bucket, key)))
            {
                continue;
            }
            out.entry(bucket).or_default().push(key);
        }
    }
    Ok(())
}

/// InfluxDB 3 `/api/v3/query_sql` (`format: json`, an array of objects): the values of
/// column `column`, as strings.
pub fn sql_column(body: &str, column: &str) -> Result<Vec<String>, String> {
    let rows: Vec<serde_json::Map<String, Value>> =
        serde_json::from_str(body).map_err(|e| format!("the answer is not a JSON array ({e})"))?;
    Ok(rows
        .iter()
        .filter_map(|r| r.get(column).and_then(Value::as_str).map(str::to_owned))
        .collect())
}

/// InfluxDB 3: the `bucket` and `points` columns of [`super::query::sql_count`]'s answer.
pub fn sql_counts(body: &str) -> Result<BTreeMap<i64, u64>, String> {
    let rows: Vec<serde_json::Map<String, Value>> =
        serde_json::from_str(body).map_err(|e| format!("the answer is not a JSON array ({e})"))?;
    let mut counts = BTreeMap::new();
    for r in rows {
        let (Some(b), Some(n)) = (
            r.get("bucket").and_then(Value::as_i64),
            r.get("points").and_then(Value::as_u64),
        ) else {
            return Err(format!(
                "a row without integer `bucket` and `points`: {}",
                Value::Object(r)
            ));
        };
        *counts.entry(b).or_insert(0) += n;
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lpconvert_lp::Precision;

    fn grid(resolution_ns: i64) -> Grid {
        Grid {
            bucket_ns: 3_600_000_000_000,
            resolution_ns,
            precision: Precision::Ns,
            quote_escapes: false,
        }
    }

    #[test]
    fn influxql_counts_sum_the_fields() {
        let body = r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","count_f","count_g"],"values":[[0,3,2],[3600000000000,1,null]]}]}]}"#;
        let c = influxql_counts(body).unwrap();
        assert_eq!(
            c.into_iter().collect::<Vec<_>>(),
            vec![(0, 5), (3_600_000_000_000, 1)]
        );
        let cut = r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","count_f"],"values":[[0,3]],"partial":true}]}]}"#;
        assert!(influxql_counts(cut).unwrap_err().contains("max-row-limit"));
        let cut = r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","f"],"values":[[0,3]]}],"partial":true}]}"#;
        let (h, g) = (KeyHasher::new(), grid(1));
        assert!(influxql_points(cut, "m", &h, &g, &mut FoundKeys::new())
            .unwrap_err()
            .contains("max-row-limit"));
        let err = r#"{"results":[{"statement_id":0,"error":"database not found: x"}]}"#;
        assert_eq!(influxql_counts(err).unwrap_err(), "database not found: x");
        assert!(influxql_counts(r#"{"results":[{"statement_id":0}]}"#)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn points_read_from_each_server_have_the_input_keys() {
        let h = KeyHasher::new();
        let g = grid(1);
        let mut e = super::super::expected::Expected::new(g);
        e.add_line(&h, b"m\\ x,b=2,a=1 f=1,g=2 1000000").unwrap();
        let want = e.finish().measurements[0].1[&0].clone();
        let mut out = FoundKeys::new();
        let body = r#"{"results":[{"statement_id":0,"series":[{"name":"m x","tags":{"a":"1","b":"2","c":""},"columns":["time","f","g","h"],"values":[[1000000,1,2,null]]}]}]}"#;
        influxql_points(body, "m x", &h, &g, &mut out).unwrap();
        let mut got = out[&0].clone();
        got.sort_unstable();
        assert_eq!(got, want);
        let mut out = FoundKeys::new();
        let body = "{\"metric\":{\"__name__\":\"m x_f\",\"db\":\"d\",\"a\":\"1\",\"b\":\"2\"},\"values\":[1],\"timestamps\":[1]}\n\
                    {\"metric\":{\"__name__\":\"m x_g\",\"db\":\"d\",\"a\":\"1\",\"b\":\"2\"},\"values\":[2],\"timestamps\":[1]}\n\
                    {\"metric\":{\"__name__\":\"m x_y_g\",\"db\":\"d\"},\"values\":[2],\"timestamps\":[1]}\n";
        let longer = ["m x_y".to_string()];
        // The `db` label `--db` added is left out of the keys, as the input has no `db` tag.
        let h = KeyHasher::victoria_metrics(Some("d"));
        let mut e = super::super::expected::Expected::new(grid(1_000_000));
        e.add_line(&h, b"m\\ x,b=2,a=1 f=1,g=2 1000000").unwrap();
        let expected = e.finish().measurements.remove(0).1;
        let want = expected[&0].clone();
        let scope = ExportScope {
            measurement: "m x",
            longer: &longer,
            expected: &expected,
            shorter: &[],
        };
        victoria_export(body, &scope, &h, &grid(1_000_000), &mut out).unwrap();
        let mut got = out[&0].clone();
        got.sort_unstable();
        assert_eq!(got, want);
    }

    #[test]
    fn sql_answers_are_read() {
        let body = r#"[{"bucket":0,"points":4},{"bucket":3600000000000,"points":1}]"#;
        assert_eq!(sql_counts(body).unwrap().len(), 2);
        assert_eq!(
            sql_column(
                r#"[{"column_name":"f"},{"column_name":"g"}]"#,
                "column_name"
            )
            .unwrap(),
            vec!["f", "g"]
        );
    }
}
