//! The `--url` of a server ([`ServerUrl`]), query encoding, and the base URL a redirect
//! suggests.

use super::*;

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
    pub(super) fn credentials(&self) -> Option<(&str, &str)> {
        Some((self.username.as_deref()?, self.password.as_deref()?))
    }

    /// The secret values of the URL: its password and the values of credential parameters.
    pub(super) fn secret_values(&self) -> Vec<String> {
        let mut v: Vec<String> = self.password.iter().cloned().collect();
        for (k, value) in self.url.query_pairs() {
            if is_secret_param(&k) {
                v.push(value.into_owned());
            }
        }
        v
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
