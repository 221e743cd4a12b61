//! The write APIs lpconvert speaks: InfluxDB v1 (`/write`), v2 (`/api/v2/write`) and v3
//! (`/api/v3/write_lp`), with their precision spellings and authentication headers.

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
            .finish()
    }
}

/// A target is incomplete (for example v1 without `--db`) or its URL is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub String);

/// Query parameters lpconvert sets from its options: `--url` may not set them too.
const TOOL_PARAMS: [(&str, &str); 6] = [
    ("db", "--db"),
    ("rp", "--rp"),
    ("bucket", "--bucket"),
    ("org", "--org"),
    ("precision", "--precision"),
    ("accept_partial", "--api"),
];

/// The `--url` of a server, parsed once: scheme `http` or `https`, a host, an optional port, a
/// path prefix and query parameters kept on every request; no fragment. Credentials in it
/// (`http://user:password@host`) are taken out and sent as Basic authentication.
#[derive(Clone)]
pub struct ServerUrl {
    /// Without credentials and fragment; the path without its trailing `/`.
    url: url::Url,
    username: Option<String>,
    password: Option<String>,
}

impl fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerUrl({})", redact_url(self.url.as_str()))
    }
}

impl ServerUrl {
    /// Parses and checks `text`; the error says what is wrong and shows the URL redacted.
    pub fn parse(text: &str) -> Result<ServerUrl, TargetError> {
        let shown = redact_url(text);
        let bad = |why: &str| {
            TargetError(format!(
                "--url `{}`: {why}; expected e.g. http://127.0.0.1:8086 or https://host/prefix",
                escape_text(&shown)
            ))
        };
        if let Some(c) = text.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(&format!(
                "contains {:?}, which a URL may not (percent-encode it, a space is %20)",
                c
            )));
        }
        match text.split_once("://") {
            None => return Err(bad("does not start with http:// or https://")),
            Some((_, rest)) if rest.is_empty() || rest.starts_with(['/', '?', '#']) => {
                return Err(bad("has no host"))
            }
            Some(_) => {}
        }
        let mut url = url::Url::parse(text).map_err(|e| bad(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad(&format!(
                "the scheme `{}` is not supported, only http and https",
                url.scheme()
            )));
        }
        match url.host_str() {
            None | Some("") => return Err(bad("has no host")),
            Some(_) => {}
        }
        if url.port() == Some(0) {
            return Err(bad("port 0 is not a port a server listens on"));
        }
        if url.fragment().is_some() {
            return Err(bad(
                "has a fragment (`#...`), which is never sent to a server: remove it (a `#` in a query value is written %23)",
            ));
        }
        for (key, _) in url.query_pairs() {
            if let Some((_, option)) = TOOL_PARAMS.iter().find(|(k, _)| *k == key) {
                return Err(bad(&format!(
                    "sets the query parameter `{key}`, which lpconvert sets itself: give it with {option} instead"
                )));
            }
        }
        let decode = |s: &str| {
            url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let username = (!url.username().is_empty()).then(|| decode(url.username()));
        let password = url.password().filter(|p| !p.is_empty()).map(decode);
        if let (Some(user), None) = (&username, &password) {
            return Err(bad(&format!(
                "names the user `{}` but no password: write http://USER:PASSWORD@host, or use --username with the password in the environment variable of --password-env",
                escape_text(user)
            )));
        }
        if username.is_none() && url.password().is_some() {
            return Err(bad("has a password but no user name"));
        }
        // Only fails for URLs that cannot have credentials, excluded above.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let path = url.path().trim_end_matches('/').to_owned();
        for endpoint in ["/api/v3/write_lp", "/api/v2/write", "/write"] {
            if let Some(base) = path.strip_suffix(endpoint) {
                let suggested = format!(
                    "{}://{}{base}",
                    url.scheme(),
                    &url[url::Position::BeforeHost..url::Position::AfterPort]
                );
                return Err(TargetError(format!(
                    "--url `{}` ends with the write endpoint `{endpoint}`, which lpconvert adds itself (from --api): use --url {suggested}",
                    escape_text(&shown)
                )));
            }
        }
        url.set_path(&path);
        Ok(ServerUrl {
            url,
            username,
            password,
        })
    }

    /// The URL of `path` (starting with `/`) under the prefix, with the query parameters of
    /// `--url` first, then `params` (percent-encoded here).
    pub fn join(&self, path: &str, params: &[(&str, &str)]) -> String {
        let mut out = String::with_capacity(self.url.as_str().len() + path.len() + 64);
        out.push_str(self.url.scheme());
        out.push_str("://");
        out.push_str(&self.url[url::Position::BeforeHost..url::Position::AfterPort]);
        out.push_str(self.url.path().trim_end_matches('/'));
        out.push_str(path);
        let mut sep = '?';
        if let Some(q) = self.url.query().filter(|q| !q.is_empty()) {
            out.push(sep);
            out.push_str(q);
            sep = '&';
        }
        for (k, v) in params {
            out.push(sep);
            out.push_str(k);
            out.push('=');
            encode_into(&mut out, v);
            sep = '&';
        }
        out
    }

    /// User name and password given in the URL.
    fn credentials(&self) -> Option<(&str, &str)> {
        Some((self.username.as_deref()?, self.password.as_deref()?))
    }

    /// The secret values of the URL: its password and the values of credential parameters.
    fn secret_values(&self) -> Vec<String> {
        let mut v: Vec<String> = self.password.iter().cloned().collect();
        for (k, value) in self.url.query_pairs() {
            if is_secret_param(&k) {
                v.push(value.into_owned());
            }
        }
        v
    }
}

/// Where to write, resolved from a [`Target`]: the write URL, what may be shown of it, the
/// `Authorization` header and the secrets to hide from every server text.
#[derive(Clone)]
pub struct Endpoint {
    /// The parsed `--url`.
    pub server: ServerUrl,
    /// The write URL with its query string, as sent.
    pub url: String,
    /// The write URL with credential parameters redacted: the one to print or store.
    pub display_url: String,
    /// The `Authorization` header value, if any.
    pub authorization: Option<String>,
    /// Secrets to replace by `[redacted]` in anything a server answers.
    pub secrets: Secrets,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Endpoint({})", self.display_url)
    }
}

impl Target {
    /// Parses the URL and resolves the write URL, authentication and secrets. Credentials in
    /// the URL are sent as Basic authentication; together with `--username` they are refused.
    pub fn endpoint(&self) -> Result<Endpoint, TargetError> {
        let server = ServerUrl::parse(&self.url)?;
        // An empty name is sent as `db=`: the server refuses every batch ("database is
        // required"), so every line would end up refused.
        for (value, option) in [
            (&self.db, "--db"),
            (&self.rp, "--rp"),
            (&self.bucket, "--bucket"),
            (&self.org, "--org"),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(TargetError(format!(
                    "{option} is empty: give a name, or leave the option out"
                )));
            }
        }
        let p = self.api.precision_param(self.precision);
        let url = match self.api {
            Api::V1 => {
                let db = self
                    .db
                    .as_deref()
                    .ok_or_else(|| TargetError("--api v1 needs --db".into()))?;
                let mut params = vec![("db", db)];
                if let Some(rp) = &self.rp {
                    params.push(("rp", rp));
                }
                params.push(("precision", p));
                server.join("/write", &params)
            }
            Api::V2 => {
                let bucket = self
                    .bucket
                    .as_deref()
                    .or(self.db.as_deref())
                    .ok_or_else(|| TargetError("--api v2 needs --bucket (or --db)".into()))?;
                let mut params = vec![("bucket", bucket)];
                if let Some(org) = &self.org {
                    params.push(("org", org));
                }
                params.push(("precision", p));
                server.join("/api/v2/write", &params)
            }
            Api::V3 => {
                let db = self
                    .db
                    .as_deref()
                    .ok_or_else(|| TargetError("--api v3 needs --db".into()))?;
                server.join(
                    "/api/v3/write_lp",
                    &[("db", db), ("accept_partial", "true"), ("precision", p)],
                )
            }
        };
        let auth = match (server.credentials(), &self.auth) {
            (Some((user, _)), Auth::Basic { .. }) => {
                return Err(TargetError(format!(
                    "--url names the user `{}` and --username is given too: use one of them",
                    escape_text(user)
                )))
            }
            // Credentials written in the URL are the most explicit: they win over a token.
            (Some((user, password)), _) => Auth::Basic {
                username: user.to_owned(),
                password: password.to_owned(),
            },
            (None, auth) => auth.clone(),
        };
        let authorization = authorization(&auth, self.api);
        let mut secrets = server.secret_values();
        match &auth {
            Auth::None => {}
            Auth::Basic { password, .. } => secrets.push(password.clone()),
            Auth::Token(t) => secrets.push(t.clone()),
        }
        if let Some(h) = &authorization {
            if let Some((_, value)) = h.split_once(' ') {
                secrets.push(value.to_owned());
            }
        }
        Ok(Endpoint {
            display_url: redact_url(&url),
            url,
            server,
            authorization,
            secrets: Secrets::new(secrets),
        })
    }

    /// The full write URL with its query string. Credentials are never part of it.
    pub fn write_url(&self) -> Result<String, TargetError> {
        self.endpoint().map(|e| e.url)
    }

    /// The value of the `Authorization` header, if any: `Basic ...` for credentials in the URL
    /// or `--username`, `Token T` for v1/v2, `Bearer T` for v3.
    pub fn authorization(&self) -> Option<String> {
        match self.endpoint() {
            Ok(e) => e.authorization,
            Err(_) => authorization(&self.auth, self.api),
        }
    }
}

fn authorization(auth: &Auth, api: Api) -> Option<String> {
    match auth {
        Auth::None => None,
        Auth::Basic { username, password } => {
            let raw = format!("{username}:{password}");
            Some(format!("Basic {}", base64(raw.as_bytes())))
        }
        Auth::Token(t) => Some(match api {
            Api::V3 => format!("Bearer {t}"),
            Api::V1 | Api::V2 => format!("Token {t}"),
        }),
    }
}

/// Where a redirect points, as a base URL to give to `--url`: `location` resolved against the
/// request URL, without credentials, query and fragment, and without the write endpoint's path
/// (`/write`, `/api/v2/write`, `/api/v3/write_lp`).
pub fn suggested_base(request_url: &str, location: &str) -> Option<String> {
    let base = url::Url::parse(request_url).ok()?;
    let mut to = base.join(location).ok()?;
    if !matches!(to.scheme(), "http" | "https") {
        return None;
    }
    to.set_query(None);
    to.set_fragment(None);
    let _ = to.set_username("");
    let _ = to.set_password(None);
    let mut path = to.path().trim_end_matches('/').to_owned();
    for suffix in ["/api/v3/write_lp", "/api/v2/write", "/write"] {
        if let Some(p) = path.strip_suffix(suffix) {
            path = p.to_owned();
            break;
        }
    }
    Some(format!(
        "{}://{}{}",
        to.scheme(),
        &to[url::Position::BeforeHost..url::Position::AfterPort],
        path
    ))
}

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay).
pub(crate) fn encode_into(out: &mut String, value: &str) {
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
    fn precision_options_and_query_spellings() {
        for (text, p) in [
            ("ns", Precision::Ns),
            ("n", Precision::Ns),
            ("us", Precision::Us),
            ("u", Precision::Us),
            ("µs", Precision::Us),
            ("ms", Precision::Ms),
            ("s", Precision::S),
        ] {
            assert_eq!(parse_precision(text), Some(p), "{text}");
        }
        assert_eq!(parse_precision("sec"), None);
        assert_eq!(Api::V1.precision_param(Precision::Us), "u");
        assert_eq!(Api::V2.precision_param(Precision::Us), "us");
        assert_eq!(Api::V3.precision_param(Precision::S), "second");
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
            "http://127.0.0.1:8086/api/v3/write_lp?db=home%20db&accept_partial=true&precision=microsecond"
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
        for empty in ["", " "] {
            let mut e = target(Api::V2);
            e.org = Some(empty.into());
            assert!(e.write_url().unwrap_err().0.contains("--org is empty"));
            e = target(Api::V1);
            e.db = Some(empty.into());
            assert!(e.write_url().unwrap_err().0.contains("--db is empty"));
        }
        t.url = "ftp://x".into();
        assert!(t.write_url().is_err());
    }

    fn parse_err(url: &str) -> String {
        match ServerUrl::parse(url) {
            Ok(u) => panic!("{url} parsed: {u:?}"),
            Err(e) => e.0,
        }
    }

    #[test]
    fn malformed_urls_are_refused_with_the_reason() {
        assert!(parse_err("http://[::1").contains("--url `http://[::1`"));
        assert!(parse_err("http://h:99999").contains("port"));
        assert!(parse_err("http://h :1").contains("' '"));
        assert!(parse_err("ftp://h").contains("scheme `ftp`"));
        assert!(parse_err("http://").contains("no host"));
        assert!(parse_err("http:///write").contains("no host"));
        assert!(parse_err("h:8086").contains("http://"));
        assert!(parse_err("http://h#frag").contains("fragment"));
        assert!(parse_err("http://h/?precision=s").contains("--precision"));
        assert!(parse_err("http://h:0").contains("port 0"));
        assert!(parse_err("http://h/write").contains("write endpoint"));
        assert!(parse_err("http://h/pre/api/v2/write/").contains("use --url http://h/pre"));
        let e = parse_err("http://user@h");
        assert!(e.contains("no password"), "{e}");
        let e = parse_err("http://u:s3cretpw@h:99999");
        assert!(
            !e.contains("s3cretpw") && e.contains("u:[redacted]@"),
            "{e}"
        );
        assert!(ServerUrl::parse("http://[::1]:8086").is_ok());
        assert!(ServerUrl::parse("https://h.example/a/b/").is_ok());
    }

    #[test]
    fn prefix_and_query_are_merged() {
        let mut t = target(Api::V1);
        t.url = "http://h:1/pre/?x=1&y=a%20b".into();
        assert_eq!(
            t.write_url().unwrap(),
            "http://h:1/pre/write?x=1&y=a%20b&db=home%20db&precision=u"
        );
        t.api = Api::V2;
        t.url = "https://[::1]:8086/influx".into();
        assert_eq!(
            t.write_url().unwrap(),
            "https://[::1]:8086/influx/api/v2/write?bucket=home%20db&org=my%26org&precision=us"
        );
        let s = ServerUrl::parse("http://h/p?u=me&p=pw").unwrap();
        assert_eq!(s.join("/ping", &[]), "http://h/p/ping?u=me&p=pw");
    }

    #[test]
    fn credentials_in_the_url_become_basic_auth() {
        let mut t = target(Api::V1);
        t.url = "http://Aladdin:open%20sesame@127.0.0.1:8086".into();
        let e = t.endpoint().unwrap();
        assert_eq!(
            e.authorization.as_deref(),
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        );
        assert!(!e.url.contains("Aladdin") && !e.url.contains("sesame"));
        assert!(!format!("{t:?} {e:?}").contains("sesame"));
        assert_eq!(
            e.secrets
                .redact("bad open sesame, open%20sesame, QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            "bad [redacted], [redacted], [redacted]"
        );
        // A token from the environment does not override the URL's credentials.
        t.auth = Auth::Token("tok".into());
        assert!(t.authorization().unwrap().starts_with("Basic "));
        t.auth = Auth::Basic {
            username: "x".into(),
            password: "y".into(),
        };
        assert!(t.endpoint().unwrap_err().0.contains("--username"));
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("http://u:pw@h:1/w?db=x&p=pw&u=u&token=t&Password=z#f"),
            "http://u:[redacted]@h:1/w?db=x&p=[redacted]&u=u&token=[redacted]&Password=[redacted]#f"
        );
        assert_eq!(redact_url("http://u@h/"), "http://u@h/");
        assert_eq!(redact_url("not a url"), "not a url");
        assert_eq!(
            redact_url("--url=http://a:b@h"),
            "--url=http://a:[redacted]@h"
        );
        assert_eq!(
            suggested_base("http://h:1/pre/write?db=x", "/other/write?db=x").as_deref(),
            Some("http://h:1/other")
        );
        assert_eq!(
            suggested_base("http://h:1/write", "https://u:p@g:2/api/v2/write?p=1").as_deref(),
            Some("https://g:2")
        );
        assert_eq!(suggested_base("http://h:1/write", "ftp://x/"), None);
        assert_eq!(escape_text("a\x1b[2Jb\n"), "a\\u{1b}[2Jb\\n");
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
