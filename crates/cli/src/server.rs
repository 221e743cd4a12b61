//! What `replay` and `bench` share about the server they write to.

use anyhow::{bail, Context};
use lpconvert_send::units::parse_duration;
use lpconvert_send::{Auth, HttpConfig, ServerUrl, Target};
use std::time::Duration;

/// Checks `--url` and `--timeout` before anything is read (usage errors, exit 2); returns the
/// timeout.
pub fn check_connection(url: &str, timeout: &str) -> anyhow::Result<Duration> {
    ServerUrl::parse(url)?;
    let t = parse_duration(timeout).context("--timeout")?;
    if t < Duration::from_millis(1) {
        bail!("--timeout `{timeout}` must be at least 1ms (every request would time out); e.g. --timeout 60s");
    }
    Ok(t)
}

/// The HTTP settings for `target`: the secrets of its URL and credentials are redacted from
/// every server text.
pub fn http_config(
    target: &Target,
    timeout: Duration,
    connections: usize,
) -> anyhow::Result<HttpConfig> {
    Ok(HttpConfig {
        timeout,
        connections,
        secrets: target.endpoint()?.secrets,
    })
}

/// Authentication from the options: Basic with `--username` (the password read from the
/// variable `password_env`), else the token in the variable `token_env` when it is set and not
/// empty, else none.
pub fn auth(username: Option<&str>, token_env: &str, password_env: &str) -> anyhow::Result<Auth> {
    let token = std::env::var(token_env).ok().filter(|t| !t.is_empty());
    Ok(match (username, token) {
        (Some(user), _) => {
            let password = std::env::var(password_env).with_context(|| {
                format!("--username needs the password in the environment variable {password_env}")
            })?;
            if let Some(c) = user.chars().find(|c| c.is_control() || *c == ':') {
                bail!(
                    "--username contains {}, which HTTP Basic authentication cannot carry",
                    shown_char(c)
                );
            }
            Auth::Basic {
                username: user.to_owned(),
                password,
            }
        }
        (None, Some(t)) => {
            // A control character (often the newline of a file read into the variable) cannot
            // be sent in a header: a usage error, never a request that fails at the first batch.
            if let Some((i, c)) = t.char_indices().find(|(_, c)| c.is_control()) {
                bail!(
                    "the token in the environment variable {token_env} contains {} at byte {i} of {}, which an HTTP header cannot carry: remove it (the token is not shown)",
                    shown_char(c),
                    t.len()
                );
            }
            Auth::Token(t)
        }
        (None, None) => Auth::None,
    })
}

/// A character named for a message: `a newline (\n)`, `':'`.
fn shown_char(c: char) -> String {
    match c {
        '\n' => "a newline (\\n)".to_owned(),
        '\r' => "a carriage return (\\r)".to_owned(),
        c if c.is_control() => format!("the control character {}", c.escape_default()),
        c => format!("{c:?}"),
    }
}
