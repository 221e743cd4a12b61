//! The write APIs lpconvert speaks: InfluxDB v1 (`/write`), v2 (`/api/v2/write`) and v3
//! (`/api/v3/write_lp`), with their precision spellings and authentication headers.

use std::fmt;

/// Which write API to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// InfluxDB 1.x `/write?db=&rp=&precision=` (also VictoriaMetrics, QuestDB).
    V1,
    /// InfluxDB 2.x `/api/v2/write?org=&bucket=&precision=`.
    V2,
    /// InfluxDB 3 `/api/v3/write_lp?db=&precision=&accept_partial=true`.
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

/// The unit of the timestamps in the lines sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// Nanoseconds.
    Ns,
    /// Microseconds.
    Us,
    /// Milliseconds.
    Ms,
    /// Seconds.
    S,
}

impl Precision {
    /// Parses `ns`, `us`, `ms`, `s` (and the v1 spellings `n`, `u`).
    pub fn parse(s: &str) -> Option<Precision> {
        match s {
            "ns" | "n" => Some(Precision::Ns),
            "us" | "u" | "µs" => Some(Precision::Us),
            "ms" => Some(Precision::Ms),
            "s" => Some(Precision::S),
            _ => None,
        }
    }

    /// Nanoseconds in one unit of this precision.
    pub fn nanos_per_unit(self) -> i128 {
        match self {
            Precision::Ns => 1,
            Precision::Us => 1_000,
            Precision::Ms => 1_000_000,
            Precision::S => 1_000_000_000,
        }
    }

    /// The spelling of the `precision` query parameter for `api`. InfluxDB 1.x silently reads
    /// `us` (or anything unknown) as nanoseconds, so v1 gets `n`/`u`.
    pub fn query_value(self, api: Api) -> &'static str {
        match (api, self) {
            (Api::V1, Precision::Ns) => "n",
            (Api::V1, Precision::Us) => "u",
            (_, Precision::Ns) => "ns",
            (_, Precision::Us) => "us",
            (_, Precision::Ms) => "ms",
            (_, Precision::S) => "s",
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

/// Where and how to write: everything needed to build the request line and headers.
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL, e.g. `http://127.0.0.1:8086` (a path prefix is kept).
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
}

/// A target is incomplete (for example v1 without `--db`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub String);

impl Target {
    /// The full write URL with its query string. Credentials are never part of it.
    pub fn write_url(&self) -> Result<String, TargetError> {
        let base = self.url.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(TargetError(format!(
                "--url `{}` must start with http:// or https://",
                self.url
            )));
        }
        let mut url = String::with_capacity(base.len() + 64);
        url.push_str(base);
        let p = self.precision.query_value(self.api);
        match self.api {
            Api::V1 => {
                let db = self
                    .db
                    .as_deref()
                    .ok_or_else(|| TargetError("--api v1 needs --db".into()))?;
                url.push_str("/write?db=");
                encode_into(&mut url, db);
                if let Some(rp) = &self.rp {
                    url.push_str("&rp=");
                    encode_into(&mut url, rp);
                }
            }
            Api::V2 => {
                let bucket = self
                    .bucket
                    .as_deref()
                    .or(self.db.as_deref())
                    .ok_or_else(|| TargetError("--api v2 needs --bucket (or --db)".into()))?;
                url.push_str("/api/v2/write?bucket=");
                encode_into(&mut url, bucket);
                if let Some(org) = &self.org {
                    url.push_str("&org=");
                    encode_into(&mut url, org);
                }
            }
            Api::V3 => {
                let db = self
                    .db
                    .as_deref()
                    .ok_or_else(|| TargetError("--api v3 needs --db".into()))?;
                url.push_str("/api/v3/write_lp?db=");
                encode_into(&mut url, db);
                url.push_str("&accept_partial=true");
            }
        }
        url.push_str("&precision=");
        url.push_str(p);
        Ok(url)
    }

    /// The value of the `Authorization` header, if any: `Basic ...` for v1 with a user name,
    /// `Token T` for v1/v2, `Bearer T` for v3.
    pub fn authorization(&self) -> Option<String> {
        match &self.auth {
            Auth::None => None,
            Auth::Basic { username, password } => {
                let raw = format!("{username}:{password}");
                Some(format!("Basic {}", base64(raw.as_bytes())))
            }
            Auth::Token(t) => Some(match self.api {
                Api::V3 => format!("Bearer {t}"),
                Api::V1 | Api::V2 => format!("Token {t}"),
            }),
        }
    }
}

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay).
fn encode_into(out: &mut String, value: &str) {
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[(b >> 4) as usize]));
            out.push(char::from(b"0123456789ABCDEF"[(b & 15) as usize]));
        }
    }
}

/// Standard base64 with padding (for Basic auth).
fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(api: Api) -> Target {
        Target {
            url: "http://127.0.0.1:8086/".into(),
            api,
            db: Some("home db".into()),
            rp: None,
            bucket: None,
            org: Some("my&org".into()),
            precision: Precision::Us,
            auth: Auth::None,
        }
    }

    #[test]
    fn urls_per_dialect() {
        assert_eq!(
            target(Api::V1).write_url().unwrap(),
            "http://127.0.0.1:8086/write?db=home%20db&precision=u"
        );
        assert_eq!(
            target(Api::V2).write_url().unwrap(),
            "http://127.0.0.1:8086/api/v2/write?bucket=home%20db&org=my%26org&precision=us"
        );
        assert_eq!(
            target(Api::V3).write_url().unwrap(),
            "http://127.0.0.1:8086/api/v3/write_lp?db=home%20db&accept_partial=true&precision=us"
        );
        let mut t = target(Api::V1);
        t.precision = Precision::Ns;
        t.rp = Some("autogen".into());
        assert_eq!(
            t.write_url().unwrap(),
            "http://127.0.0.1:8086/write?db=home%20db&rp=autogen&precision=n"
        );
        t.db = None;
        assert!(t.write_url().is_err());
        t.url = "ftp://x".into();
        assert!(t.write_url().is_err());
    }

    #[test]
    fn auth_headers_and_redaction() {
        let mut t = target(Api::V1);
        t.auth = Auth::Basic {
            username: "Aladdin".into(),
            password: "open sesame".into(),
        };
        assert_eq!(
            t.authorization().unwrap(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert!(!format!("{t:?}").contains("sesame"));
        t.auth = Auth::Token("s3cret".into());
        assert_eq!(t.authorization().unwrap(), "Token s3cret");
        t.api = Api::V3;
        assert_eq!(t.authorization().unwrap(), "Bearer s3cret");
        assert!(!format!("{t:?}").contains("s3cret"));
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
    }
}
