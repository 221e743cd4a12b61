//! The write APIs lpconvert speaks: InfluxDB v1 (`/write`), v2 (`/api/v2/write`) and v3
//! (`/api/v3/write_lp`), with their precision spellings and authentication headers.

mod create_database;
mod endpoint;
mod server_url;
#[cfg(test)]
mod tests;

pub use create_database::{create_database, create_statement, CreateDbError};
pub use endpoint::Endpoint;
pub(crate) use server_url::encode_into;
pub use server_url::{suggested_base, ServerUrl};

use std::fmt;

pub use lpconvert_lp::Precision;

use crate::redact::is_secret_param;
pub use crate::redact::{escape_text, redact_url, Secrets, REDACTED};

/// Which write API to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// InfluxDB 1.x `/write?db=&rp=&precision=` (also VictoriaMetrics, QuestDB).
    V1,
    /// InfluxDB 2.x `/api/v2/write?org=&bucket=&precision=`.
    V2,
    /// InfluxDB 3 `/api/v3/write_lp?db=&accept_partial=&precision=` (and `no_sync=true`).
    V3,
}

impl Api {
    /// Parses `v1`, `v2` or `v3`.
    pub fn parse(s: &str) -> Option<Api> {
        match s {
            "v1" | "1" => Some(Api::V1),
            "v2" | "2" => Some(Api::V2),
            "v3" | "3" => Some(Api::V3),
            _ => None,
        }
    }
}

/// Parses a `--precision` value: `ns`, `us`, `ms`, `s`, and the v1 spellings `n`, `u` (and
/// `µs`).
pub fn parse_precision(s: &str) -> Option<Precision> {
    match s {
        "n" => Some(Precision::Ns),
        "u" | "µs" => Some(Precision::Us),
        _ => Precision::parse(s),
    }
}

impl Api {
    /// The spelling of the `precision` query parameter for this API. InfluxDB 1.x silently
    /// reads `us` (or anything unknown) as nanoseconds, so v1 gets `n`/`u`. InfluxDB 3 accepted
    /// only the long forms (`second`, ...) until October 2025, so v3 gets those.
    pub fn precision_param(self, precision: Precision) -> &'static str {
        match (self, precision) {
            (Api::V1, Precision::Ns) => "n",
            (Api::V1, Precision::Us) => "u",
            (Api::V3, Precision::Ns) => "nanosecond",
            (Api::V3, Precision::Us) => "microsecond",
            (Api::V3, Precision::Ms) => "millisecond",
            (Api::V3, Precision::S) => "second",
            (_, p) => p.as_str(),
        }
    }
}

/// Credentials, read from environment variables by the caller. `Debug` never shows them.
#[derive(Clone, Default)]
pub enum Auth {
    /// No `Authorization` header.
    #[default]
    None,
    /// HTTP Basic (InfluxDB 1.x).
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// A token: `Token T` for v1/v2, `Bearer T` for v3.
    Token(String),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            Auth::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

/// Where and how to write: everything needed to build the request line and headers. `Debug`
/// redacts the credentials of the URL.
#[derive(Clone)]
pub struct Target {
    /// Base URL as given to `--url`, e.g. `http://127.0.0.1:8086`; parsed by [`ServerUrl`]
    /// (a path prefix and query parameters are kept, credentials become Basic auth).
    pub url: String,
    /// The API dialect.
    pub api: Api,
    /// Database (v1, v3).
    pub db: Option<String>,
    /// Retention policy (v1).
    pub rp: Option<String>,
    /// Bucket (v2; defaults to `db`).
    pub bucket: Option<String>,
    /// Organisation (v2).
    pub org: Option<String>,
    /// The precision of the timestamps in the lines.
    pub precision: Precision,
    /// Credentials.
    pub auth: Auth,
    /// The v3 write options (`accept_partial`, `no_sync`); other APIs have none.
    pub v3: V3Options,
    /// TLS settings for an `https://` URL.
    pub tls: crate::tls::TlsOptions,
}

/// The query parameters of `/api/v3/write_lp` besides `db` and `precision`, as InfluxDB 3
/// reads them (`influxdb3_types::http::WriteParams`): `accept_partial` (default true: the valid
/// lines of a batch are stored, the others named) and `no_sync` (default false: answer only
/// once the write-ahead log is persisted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V3Options {
    /// Store the valid lines of a batch with invalid ones (`accept_partial=true`, the
    /// server's default); false refuses the whole batch at its first invalid line.
    pub accept_partial: bool,
    /// Acknowledge before the write-ahead log is persisted (`no_sync=true`).
    pub no_sync: bool,
}

impl Default for V3Options {
    fn default() -> Self {
        V3Options {
            accept_partial: true,
            no_sync: false,
        }
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("url", &redact_url(&self.url))
            .field("api", &self.api)
            .field("db", &self.db)
            .field("rp", &self.rp)
            .field("bucket", &self.bucket)
            .field("org", &self.org)
            .field("precision", &self.precision)
            .field("auth", &self.auth)
            .field("v3", &self.v3)
            .field("tls", &self.tls)
            .finish()
    }
}

/// A target is incomplete (for example v1 without `--db`) or its URL is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub String);
