//! Asking a server what it stored: one query per measurement for the counts of its buckets
//! (InfluxDB), or exports of its samples (VictoriaMetrics), and the points of one bucket.

use super::answer::{self, ExportScope, FoundKeys};
use super::expected::Grid;
use super::key::KeyHasher;
use super::query;
use super::VerifyError;
use crate::dialect::Endpoint;
use crate::transport::Transport;
use std::collections::BTreeMap;
use std::time::Duration;

/// The server `verify` asks (`--target`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// InfluxDB 1.x: InfluxQL on `/query`.
    Influxdb1,
    /// InfluxDB 2: Flux on `/api/v2/query` (the query is built, not sent: see the README).
    Influxdb2,
    /// InfluxDB 3: SQL on `/api/v3/query_sql`.
    Influxdb3,
    /// VictoriaMetrics: `/api/v1/export`.
    VictoriaMetrics,
}

impl ServerKind {
    /// The server's time resolution in nanoseconds.
    pub fn resolution_ns(self) -> i64 {
        match self {
            ServerKind::VictoriaMetrics => 1_000_000,
            _ => 1,
        }
    }

    /// Whether `verify` can read a bucket's points back (for missing and extra point by
    /// point, and `--repair`).
    pub fn reads_points(self) -> bool {
        matches!(self, ServerKind::Influxdb1 | ServerKind::VictoriaMetrics)
    }
}

/// Expected points per export request at most (VictoriaMetrics): a request's answer is about
/// 30 bytes per sample, read whole.
const WINDOW_POINTS: usize = 500_000;

/// The pause between VictoriaMetrics' flush and the first query.
const AFTER_FLUSH: Duration = Duration::from_secs(1);

/// A measurement, its expected points, and those of the measurements it starts with.
type Family<'a> = (
    &'a str,
    &'a BTreeMap<i64, Vec<u128>>,
    &'a [&'a BTreeMap<i64, Vec<u128>>],
);

/// What a server holds for one measurement's range.
#[derive(Debug)]
pub enum Found {
    /// Points per bucket start.
    Counts(BTreeMap<i64, u64>),
    /// The keys of the points per bucket start (duplicates kept).
    Keys(FoundKeys),
}

/// A server to query: where, how, and the grid and hasher the inputs were read with.
pub struct Store<'a> {
    /// Which server.
    pub kind: ServerKind,
    /// The transport (shared with replay: redaction, timeouts).
    pub transport: &'a dyn Transport,
    /// The resolved write endpoint: base URL and authorization.
    pub endpoint: Endpoint,
    /// Database (`--db`): InfluxDB 1.x and 3, the `db` label on VictoriaMetrics.
    pub db: Option<String>,
    /// Retention policy (InfluxDB 1.x).
    pub rp: Option<String>,
    /// The grid of the inputs.
    pub grid: Grid,
    /// The hasher of the inputs' keys.
    pub hasher: &'a KeyHasher,
    /// Every measurement of the inputs (VictoriaMetrics: which metric is whose).
    pub measurements: Vec<String>,
    /// Some input line has its own `db` tag: VictoriaMetrics stores it instead of `--db`, so
    /// the selector does not filter on `db` (the hasher leaves `--db`'s out of the keys).
    pub db_tags: bool,
}

impl Store<'_> {
    /// One query; the body of a 2xx answer.
    fn ask(&self, url: &str, body: &[u8]) -> Result<String, VerifyError> {
        let auth = self.endpoint.authorization.as_deref();
        crate::transport::ask(self.transport, url, auth, body).map_err(|message| {
            VerifyError(format!(
                "query to {} failed: {message}",
                crate::dialect::redact_url(url)
            ))
        })
    }

    fn influxql(&self, q: &str) -> Result<String, VerifyError> {
        let db = self.db.as_deref().unwrap_or_default();
        let url = self
            .endpoint
            .server
            .join("/query", &[("db", db), ("epoch", "ns"), ("q", q)]);
        self.ask(&url, b"")
    }

    fn sql(&self, q: &str) -> Result<String, VerifyError> {
        let url = self.endpoint.server.join("/api/v3/query_sql", &[]);
        let body = serde_json::json!({"db": self.db, "q": q, "format": "json"}).to_string();
        self.ask(&url, body.as_bytes())
    }

    fn export(
        &self,
        (m, expected, shorter): Family<'_>,
        (start, end): (i64, i64),
        out: &mut FoundKeys,
    ) -> Result<(), VerifyError> {
        let db = self.db.as_deref().filter(|_| !self.db_tags);
        let selector = query::victoria_selector(m, db);
        let (from, to) = (start / 1_000_000, end / 1_000_000 - 1);
        let url = self.endpoint.server.join(
            "/api/v1/export",
            &[
                ("match[]", &selector),
                ("start", &query::victoria_time(from)),
                ("end", &query::victoria_time(to)),
            ],
        );
        let body = self.ask(&url, b"")?;
        let longer: Vec<String> = self
            .measurements
            .iter()
            .filter(|o| o.len() > m.len() + 1 && o.starts_with(m) && o.as_bytes()[m.len()] == b'_')
            .cloned()
            .collect();
        let scope = ExportScope {
            measurement: m,
            longer: &longer,
            expected,
            shorter,
        };
        answer::victoria_export(&body, &scope, self.hasher, &self.grid, out)
            .map_err(|e| VerifyError(format!("export of {m}: {e}")))
    }

    /// VictoriaMetrics buffers new samples for seconds before a query sees them (5 to 11 s
    /// measured with new series): `/internal/force_flush` makes them searchable, as its
    /// documentation advises, and new series are found [`AFTER_FLUSH`] later (0.3 s
    /// measured). A server that refuses it (`-forceFlushAuthKey`) is queried anyway. Nothing
    /// to do for the others.
    pub fn make_searchable(&self) {
        if self.kind == ServerKind::VictoriaMetrics {
            let url = self.endpoint.server.join("/internal/force_flush", &[]);
            if self.ask(&url, b"").is_ok() {
                std::thread::sleep(AFTER_FLUSH);
            }
        }
    }

    /// What the server holds of measurement `m` from the first to the last bucket of
    /// `expected` (the buckets between them included: points there are extra). `shorter`:
    /// the points of the input measurements `m` starts with, then `_` (VictoriaMetrics: their
    /// metric names can be `m`'s).
    pub fn read(
        &self,
        m: &str,
        expected: &BTreeMap<i64, Vec<u128>>,
        shorter: &[&BTreeMap<i64, Vec<u128>>],
    ) -> Result<Found, VerifyError> {
        let (Some(first), Some(last)) = (expected.keys().next(), expected.keys().next_back())
        else {
            return Ok(Found::Counts(BTreeMap::new()));
        };
        let end = last.saturating_add(self.grid.bucket_ns);
        let bucket_ms = self.grid.bucket_ns / 1_000_000;
        let err = |e: String| VerifyError(format!("measurement {m:?}: {e}"));
        match self.kind {
            ServerKind::Influxdb1 => {
                let q = query::influxql_count(self.rp.as_deref(), m, (*first, end), bucket_ms);
                let body = self.influxql(&q)?;
                answer::influxql_counts(&body).map(Found::Counts).map_err(err)
            }
            ServerKind::Influxdb3 => {
                let body = self.sql(&query::sql_fields(m))?;
                let fields = answer::sql_column(&body, "column_name").map_err(err)?;
                let body = self.sql(&query::sql_count(m, &fields, (*first, end), bucket_ms))?;
                answer::sql_counts(&body).map(Found::Counts).map_err(err)
            }
            ServerKind::Influxdb2 => Err(VerifyError(
                "verify --target influxdb2 is not implemented: the Flux query it needs is in the README (InfluxDB 2 wants it as application/vnd.flux, which the transport does not send yet)".into(),
            )),
            ServerKind::VictoriaMetrics => {
                let mut out = FoundKeys::new();
                let mut start = *first;
                let mut points = 0;
                for (bucket, keys) in expected {
                    if points > 0 && points + keys.len() > WINDOW_POINTS {
                        self.export((m, expected, shorter), (start, *bucket), &mut out)?;
                        (start, points) = (*bucket, 0);
                    }
                    points += keys.len();
                }
                self.export((m, expected, shorter), (start, end), &mut out)?;
                Ok(Found::Keys(out))
            }
        }
    }

    /// The keys of the points of `m` in the bucket starting at `bucket` (duplicates kept).
    pub fn bucket_keys(&self, m: &str, bucket: i64) -> Result<Vec<u128>, VerifyError> {
        let range = (bucket, bucket.saturating_add(self.grid.bucket_ns));
        let mut out = FoundKeys::new();
        match self.kind {
            ServerKind::Influxdb1 => {
                let body = self.influxql(&query::influxql_points(self.rp.as_deref(), m, range))?;
                answer::influxql_points(&body, m, self.hasher, &self.grid, &mut out)
                    .map_err(|e| VerifyError(format!("measurement {m:?}: {e}")))?;
            }
            ServerKind::VictoriaMetrics => {
                self.export((m, &BTreeMap::new(), &[]), range, &mut out)?
            }
            ServerKind::Influxdb2 | ServerKind::Influxdb3 => {
                return Err(VerifyError(format!(
                    "reading points back from {:?} is not implemented",
                    self.kind
                )))
            }
        }
        Ok(out.remove(&bucket).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::{Api, Auth, Target};
    use crate::transport::{Request, Response, TransportError};
    use lpconvert_lp::Precision;
    use std::sync::Mutex;

    /// Answers each request with the next canned body, recording the requests.
    struct Canned {
        answers: Mutex<Vec<&'static str>>,
        seen: Mutex<Vec<(String, String, Option<String>)>>,
    }

    impl Transport for Canned {
        fn send(&self, r: &Request<'_>) -> Result<Response, TransportError> {
            self.seen.lock().unwrap().push((
                r.url.to_owned(),
                String::from_utf8_lossy(r.body).into_owned(),
                r.authorization.map(str::to_owned),
            ));
            Ok(Response {
                status: 200,
                retry_after: None,
                location: None,
                body: self.answers.lock().unwrap().remove(0).to_owned(),
            })
        }
    }

    #[test]
    fn influxdb3_is_asked_its_fields_then_the_counts_per_bucket() {
        let target = Target {
            url: "http://h:8181".into(),
            api: Api::V3,
            db: Some("d b".into()),
            rp: None,
            bucket: None,
            org: None,
            precision: Precision::Ns,
            auth: Auth::Token("tok".into()),
            v3: Default::default(),
            tls: Default::default(),
        };
        let canned = Canned {
            answers: Mutex::new(vec![
                r#"[{"column_name":"f"},{"column_name":"g"}]"#,
                r#"[{"bucket":0,"points":3},{"bucket":3600000000000,"points":2}]"#,
            ]),
            seen: Mutex::new(Vec::new()),
        };
        let hasher = KeyHasher::new();
        let store = Store {
            kind: ServerKind::Influxdb3,
            transport: &canned,
            endpoint: target.endpoint().unwrap(),
            db: target.db.clone(),
            rp: None,
            grid: Grid {
                bucket_ns: 3_600_000_000_000,
                resolution_ns: 1,
                precision: Precision::Ns,
                quote_escapes: false,
            },
            hasher: &hasher,
            measurements: vec!["m\"x".into()],
            db_tags: false,
        };
        let expected = BTreeMap::from([(0, vec![1, 2, 3]), (3_600_000_000_000, vec![4, 5])]);
        let Found::Counts(c) = store.read("m\"x", &expected, &[]).unwrap() else {
            panic!("counts expected");
        };
        assert_eq!(c, BTreeMap::from([(0, 3), (3_600_000_000_000, 2)]));
        let seen = canned.seen.lock().unwrap();
        assert_eq!(seen[0].0, "http://h:8181/api/v3/query_sql");
        assert_eq!(seen[0].2.as_deref(), Some("Bearer tok"));
        let q: serde_json::Value = serde_json::from_str(&seen[1].1).unwrap();
        assert_eq!(q["db"], "d b");
        assert_eq!(q["format"], "json");
        assert_eq!(
            q["q"],
            query::sql_count(
                "m\"x",
                &["f".into(), "g".into()],
                (0, 7_200_000_000_000),
                3_600_000
            )
        );
        assert!(q["q"].as_str().unwrap().contains("FROM \"m\"\"x\""));
    }
}
