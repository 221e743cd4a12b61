//! Keeping secrets out of what is printed or stored: credentials in URLs, passwords and tokens
//! echoed in server texts, and control characters that could drive a terminal.

use crate::dialect::encode_into;
use std::fmt;

/// Query parameters whose values are credentials (InfluxDB 1.x `p`, tokens, keys): their values
/// never appear in a URL that is printed or stored.
const SECRET_PARAMS: [&str; 10] = [
    "p",
    "password",
    "pass",
    "pwd",
    "token",
    "access_token",
    "api_key",
    "apikey",
    "secret",
    "authorization",
];

/// Written instead of a secret.
pub const REDACTED: &str = "[redacted]";

pub(crate) fn is_secret_param(key: &str) -> bool {
    SECRET_PARAMS.iter().any(|s| key.eq_ignore_ascii_case(s))
}

/// `url` (any text) with its credentials replaced by `[redacted]`: the password of the
/// userinfo, and the values of credential query parameters (`p`, `password`, `token`, ...).
/// Works on text that does not parse as a URL too.
pub fn redact_url(url: &str) -> String {
    let (head, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let (before_query, query) = match head.find('?') {
        Some(i) => (&head[..i], Some(&head[i + 1..])),
        None => (head, None),
    };
    let mut out = String::with_capacity(url.len());
    let rest = match before_query.find("://") {
        Some(i) => {
            out.push_str(&before_query[..i + 3]);
            &before_query[i + 3..]
        }
        None => before_query,
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.split_once(':') {
                Some((user, _)) => {
                    out.push_str(user);
                    out.push(':');
                    out.push_str(REDACTED);
                }
                None => out.push_str(userinfo),
            }
            out.push_str(&authority[at..]);
        }
        None => out.push_str(authority),
    }
    out.push_str(path);
    if let Some(q) = query {
        out.push('?');
        for (i, pair) in q.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let key: String = url::form_urlencoded::parse(k.as_bytes())
                .next()
                .map(|(k, _)| k.into_owned())
                .unwrap_or_default();
            if is_secret_param(&key) && !v.is_empty() {
                out.push_str(k);
                out.push('=');
                out.push_str(REDACTED);
            } else {
                out.push_str(pair);
            }
        }
    }
    out.push_str(fragment);
    out
}

/// Secret values (passwords, tokens) replaced by `[redacted]` in server texts. Values shorter
/// than 4 characters are not searched for (they would mangle ordinary text such as status
/// codes). `Debug` never shows them.
#[derive(Clone, Default)]
pub struct Secrets(Vec<String>);

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} redacted)", self.0.len())
    }
}

impl Secrets {
    /// The secrets `values`, also in their percent-encoded form, longest first.
    pub fn new(values: Vec<String>) -> Secrets {
        let mut all: Vec<String> = Vec::new();
        for v in values {
            if v.chars().count() < 4 {
                continue;
            }
            let mut encoded = String::new();
            encode_into(&mut encoded, &v);
            let plus = url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
            // As a JSON string escapes it (`"` and `\`), and with `/` escaped too.
            let json = serde_json::to_string(&v)
                .map(|j| j[1..j.len() - 1].to_owned())
                .unwrap_or_default();
            let json_slash = json.replace('/', "\\/");
            for s in [v, encoded, plus, json, json_slash] {
                if s.is_empty() {
                    continue;
                }
                if !all.contains(&s) {
                    all.push(s);
                }
            }
        }
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Secrets(all)
    }

    /// A server's answer with every secret replaced: in a JSON answer, inside every string
    /// as decoded (whatever escapes the server used), then in the text as it is.
    pub fn redact_body(&self, body: &str) -> String {
        if self.0.is_empty() {
            return body.to_owned();
        }
        if let Ok(mut json) = serde_json::from_str::<serde_json::Value>(body) {
            if self.redact_json(&mut json) {
                return self.redact(&json.to_string());
            }
        }
        self.redact(body)
    }

    /// Redacts the strings (and keys) of `v`; whether anything changed.
    fn redact_json(&self, v: &mut serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => {
                let r = self.redact(s);
                let changed = r != *s;
                *s = r;
                changed
            }
            serde_json::Value::Array(a) => a
                .iter_mut()
                .fold(false, |changed, x| self.redact_json(x) | changed),
            serde_json::Value::Object(o) => {
                let mut changed = false;
                let old = std::mem::take(o);
                for (k, mut x) in old {
                    changed |= self.redact_json(&mut x);
                    let k2 = self.redact(&k);
                    changed |= k2 != k;
                    o.insert(k2, x);
                }
                changed
            }
            _ => false,
        }
    }

    /// `text` with every secret replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.0 {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        out
    }
}

/// `text` with control characters escaped (`\n`, `\u{1b}`), so that a server's or a user's
/// text cannot drive the terminal.
pub fn escape_text(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
