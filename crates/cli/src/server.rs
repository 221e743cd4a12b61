//! What `replay` and `bench` share about the server they write to.

use anyhow::{bail, Context};
use lpconvert_send::units::parse_duration;
use lpconvert_send::{
    Api, Auth, DryRunTransport, HttpConfig, HttpTransport, Precision, ServerUrl, Target, Transport,
};
use std::time::Duration;

/// The options that name the server and the credentials, shared by replay and bench.
#[derive(clap::Args, Debug, Clone)]
pub struct ServerArgs {
    /// Server base URL, e.g. http://127.0.0.1:8086: a path prefix and query parameters are
    /// kept (the write path and db/rp/bucket/org/precision are added, set by their options);
    /// http://USER:PASSWORD@host is sent as Basic authentication. Never shown unredacted.
    #[arg(long)]
    pub url: String,
    /// Write API: v1 (/write), v2 (/api/v2/write) or v3 (/api/v3/write_lp).
    #[arg(long, default_value = "v1", value_parser = ["v1", "v2", "v3"])]
    pub api: String,
    /// Database (v1, v3; v2 uses it when --bucket is not given).
    #[arg(long)]
    pub db: Option<String>,
    /// Retention policy (v1).
    #[arg(long)]
    pub rp: Option<String>,
    /// Bucket (v2).
    #[arg(long)]
    pub bucket: Option<String>,
    /// Organisation (v2).
    #[arg(long)]
    pub org: Option<String>,
    /// Environment variable holding the token (never printed).
    #[arg(long, default_value = "INFLUX_TOKEN", value_name = "VAR")]
    pub token_env: String,
    /// User name for Basic authentication (v1).
    #[arg(long)]
    pub username: Option<String>,
    /// Environment variable holding the password for --username (never printed).
    #[arg(long, default_value = "INFLUX_PASSWORD", value_name = "VAR")]
    pub password_env: String,
}

impl ServerArgs {
    /// The write target for timestamps of `precision`, its URL checked, with the credentials
    /// from the options and the environment.
    pub fn target(&self, precision: Precision) -> anyhow::Result<Target> {
        let api = Api::parse(&self.api).context("--api must be v1, v2 or v3")?;
        let auth = auth(
            self.username.as_deref(),
            &self.token_env,
            &self.password_env,
        )?;
        let target = Target {
            url: self.url.clone(),
            api,
            db: self.db.clone(),
            rp: self.rp.clone(),
            bucket: self.bucket.clone(),
            org: self.org.clone(),
            precision,
            auth,
        };
        target.write_url()?;
        Ok(target)
    }
}

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

/// The transport to `target`: nothing sent with `dry_run`, else HTTP with `connections`
/// connections, the secrets of its URL and credentials redacted from every server text.
pub fn transport(
    dry_run: bool,
    target: &Target,
    timeout: Duration,
    connections: usize,
) -> anyhow::Result<Box<dyn Transport>> {
    if dry_run {
        return Ok(Box::new(DryRunTransport));
    }
    Ok(Box::new(HttpTransport::new(&HttpConfig {
        timeout,
        connections,
        secrets: target.endpoint()?.secrets,
    })))
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
