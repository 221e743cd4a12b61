//! What server is this? Its version from the ping or health endpoint, for the report.
//!
//! Tried in order: `GET /ping` headers `X-Influxdb-Version` and `X-Influxdb-Build` (InfluxDB
//! 1.x, 2.x, 3), a JSON `version` in `GET /health` (InfluxDB 2.x) or in the body of `/ping`
//! (InfluxDB 3), and `vm_app_version` in `GET /metrics` (VictoriaMetrics).

use lpconvert_send::dialect::ServerUrl;
use std::time::Duration;

/// The server's own account of itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerInfo {
    /// Product, when it says (`InfluxDB OSS`, `VictoriaMetrics`, ...).
    pub product: Option<String>,
    /// Version string, verbatim.
    pub version: Option<String>,
    /// Where it was read (`GET /ping header X-Influxdb-Version`, ...).
    pub source: Option<String>,
}

impl ServerInfo {
    /// A version `version` of `product`, read from `source`.
    fn found(product: impl Into<String>, version: String, source: &str) -> ServerInfo {
        ServerInfo {
            product: Some(product.into()),
            version: Some(version),
            source: Some(source.into()),
        }
    }
}

/// Asks the server at `server` (the `--url`: its path prefix and query parameters are kept)
/// for its version. Never fails: an unknown server gives an empty [`ServerInfo`]. Redirects
/// are not followed (the credentials would go along). Each request gets at most `timeout`
/// (and 5 s); after one without an answer (a server that hangs or drops connections) nothing
/// more is asked, so that the benchmark starts at once.
pub fn probe(server: &ServerUrl, authorization: Option<&str>, timeout: Duration) -> ServerInfo {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(timeout.min(Duration::from_secs(5))))
        .build()
        .into();
    let dead = std::cell::Cell::new(false);
    let get = |path: &str| {
        if dead.get() {
            return None;
        }
        let mut req = agent.get(&server.join(path, &[]));
        if let Some(a) = authorization {
            req = req.header("Authorization", a);
        }
        let r = req.call().ok();
        dead.set(r.is_none());
        r
    };
    if let Some(mut r) = get("/ping") {
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
                // A header is the server's text: printed, so made safe to print.
                .map(printable)
        };
        let version = header("x-influxdb-version");
        let build = header("x-influxdb-build");
        if let Some(v) = version {
            return ServerInfo::found(
                match build {
                    Some(b) => format!("InfluxDB {b}"),
                    None => "InfluxDB".into(),
                },
                v,
                "GET /ping header X-Influxdb-Version",
            );
        }
        let body = read_body(&mut r, 64 * 1024);
        if let Some(v) = json_version(&body) {
            return ServerInfo::found("InfluxDB", v, "GET /ping body");
        }
    }
    if let Some(mut r) = get("/health") {
        let body = read_body(&mut r, 64 * 1024);
        if let Some(v) = json_version(&body) {
            return ServerInfo::found("InfluxDB", v, "GET /health");
        }
    }
    if let Some(mut r) = get("/metrics") {
        let body = read_body(&mut r, 8 << 20);
        if let Some(v) = vm_version(&body) {
            return ServerInfo::found("VictoriaMetrics", v, "GET /metrics vm_app_version");
        }
    }
    ServerInfo::default()
}

/// The body as text, at most `limit` bytes; empty when it cannot be read.
fn read_body(r: &mut ureq::http::Response<ureq::Body>, limit: u64) -> String {
    r.body_mut()
        .with_config()
        .limit(limit)
        .read_to_string()
        .unwrap_or_default()
}

/// A version string as the server wrote it, made safe to print: control characters escaped,
/// at most 100 characters.
fn printable(v: &str) -> String {
    lpconvert_send::dialect::escape_text(&v.chars().take(100).collect::<String>())
}

fn json_version(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v.get("version")?.as_str().map(printable)
}

/// `vm_app_version{version="victoria-metrics-20240425-...-tags-v1.101.0-0-g...", short_version="v1.101.0"} 1`
fn vm_version(metrics: &str) -> Option<String> {
    let line = metrics.lines().find(|l| l.starts_with("vm_app_version{"))?;
    let label = |name: &str| {
        let key = format!("{name}=\"");
        let at = line.find(&key)? + key.len();
        let end = line[at..].find('"')?;
        Some(printable(&line[at..at + end]))
    };
    label("short_version").or_else(|| label("version"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions() {
        assert_eq!(
            vm_version("# HELP x\nvm_app_version{version=\"victoria-metrics-20240101-tags-v1.96.0-0\", short_version=\"v1.96.0\"} 1\n"),
            Some("v1.96.0".into())
        );
        assert_eq!(
            vm_version("vm_app_version{version=\"victoria-metrics-x\"} 1"),
            Some("victoria-metrics-x".into())
        );
        assert_eq!(
            json_version(r#"{"name":"influxdb","version":"v2.7.1"}"#),
            Some("v2.7.1".into())
        );
        assert_eq!(json_version("not json"), None);
        assert_eq!(
            json_version(r#"{"version":"v1\u001b[2J"}"#),
            Some("v1\\u{1b}[2J".into())
        );
    }
}
