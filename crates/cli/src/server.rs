//! What `replay` and `bench` share about the server they write to.

use anyhow::{bail, Context};
use lpconvert_send::settings::{self, Given, Origin, Resolved};
use lpconvert_send::tls::TlsOptions;
use lpconvert_send::units::parse_duration;
use lpconvert_send::{
    Api, Auth, DryRunTransport, HttpConfig, HttpTransport, Precision, ServerUrl, Target, Transport,
    V3Options,
};
use std::path::PathBuf;
use std::time::Duration;

/// The options that name the server and the credentials, shared by replay and bench. Those not
/// given come from the InfluxDB tools' environment variables, then the `influx` CLI's config
/// file (`lpconvert_send::settings`).
#[derive(clap::Args, Debug, Clone)]
pub struct ServerArgs {
    /// Server base URL, e.g. http://127.0.0.1:8086: a path prefix and query parameters are
    /// kept (the write path and db/rp/bucket/org/precision are added, set by their options);
    /// http://USER:PASSWORD@host is sent as Basic authentication. Never shown unredacted.
    /// Default: INFLUXDB3_HOST_URL, INFLUX_HOST, the influx CLI's active config.
    #[arg(long)]
    pub url: Option<String>,
    /// Write API: v1 (/write), v2 (/api/v2/write) or v3 (/api/v3/write_lp). Default: v1, or
    /// what the variables imply (INFLUXDB3_*: v3; INFLUX_DATABASE, INFLUX_BUCKET_NAME or an
    /// influx CLI config: v2).
    #[arg(long, value_parser = ["v1", "v2", "v3"])]
    pub api: Option<String>,
    /// Database (v1, v3; v2 uses it when --bucket is not given). Default:
    /// INFLUXDB3_DATABASE_NAME, INFLUX_DATABASE.
    #[arg(long)]
    pub db: Option<String>,
    /// Retention policy (v1).
    #[arg(long)]
    pub rp: Option<String>,
    /// Bucket (v2). Default: INFLUX_BUCKET_NAME.
    #[arg(long)]
    pub bucket: Option<String>,
    /// Organisation (v2). Default: INFLUX_ORG, the influx CLI config's org.
    #[arg(long)]
    pub org: Option<String>,
    /// Environment variable holding the token (never printed). Default: INFLUXDB3_AUTH_TOKEN,
    /// then INFLUX_TOKEN, then the influx CLI config's token (sent to that config's server only).
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// User name for Basic authentication (v1).
    #[arg(long)]
    pub username: Option<String>,
    /// Environment variable holding the password for --username (never printed).
    #[arg(long, default_value = "INFLUX_PASSWORD", value_name = "VAR")]
    pub password_env: String,
    /// The influx CLI config to use (default: INFLUX_ACTIVE_CONFIG, else the active one).
    #[arg(long, short = 'c', value_name = "NAME")]
    pub active_config: Option<String>,
    /// The influx CLI's config file (default: INFLUX_CONFIGS_PATH, else
    /// ~/.influxdbv2/configs). Only read.
    #[arg(long, value_name = "FILE")]
    pub configs_path: Option<PathBuf>,
    /// v3: acknowledge before the write-ahead log is persisted (no_sync=true).
    #[arg(long)]
    pub no_sync: bool,
    /// v3: store the valid lines of a batch with invalid ones (true, the server's default), or
    /// refuse the whole batch at its first invalid line (false).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub accept_partial: bool,
    /// Trust the certificate authorities of this PEM file too (repeatable; also
    /// INFLUXDB3_TLS_CA). The bundled roots and the system's store (SSL_CERT_FILE,
    /// SSL_CERT_DIR when set) are always trusted.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,
    /// Client certificate (PEM) for servers that require one (mutual TLS); with --client-key.
    #[arg(long, value_name = "FILE")]
    pub client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, value_name = "FILE")]
    pub client_key: Option<PathBuf>,
    /// Do not verify the server's certificate (also INFLUX_SKIP_VERIFY,
    /// INFLUXDB3_TLS_NO_VERIFY): for a test server only; warned on every run.
    #[arg(long)]
    pub insecure_skip_verify: bool,
}

impl ServerArgs {
    /// Every connection setting, from the options, the environment and the influx CLI's
    /// config file.
    pub fn resolve(&self) -> anyhow::Result<Resolved> {
        let given = Given {
            url: self.url.clone(),
            api: self.api.as_deref().and_then(Api::parse),
            db: self.db.clone(),
            bucket: self.bucket.clone(),
            org: self.org.clone(),
            token_env: self.token_env.clone(),
            basic_auth: self.username.is_some(),
            active_config: self.active_config.clone(),
            configs_path: self.configs_path.clone(),
            insecure_skip_verify: self.insecure_skip_verify,
            ca_certs: self.ca_cert.clone(),
        };
        let home = std::env::var_os("HOME").map(PathBuf::from);
        Ok(settings::resolve(
            &given,
            &|k| std::env::var(k).ok(),
            home.as_deref(),
        )?)
    }

    /// The write target for timestamps of `precision`, its URL checked, with the credentials
    /// and TLS settings from the options, the environment and the influx CLI's config file.
    pub fn target(&self, precision: Precision) -> anyhow::Result<Target> {
        let r = self.resolve()?;
        let url = url_of(&r)?;
        if (self.no_sync || !self.accept_partial) && r.api.value != Api::V3 {
            bail!("--no-sync and --accept-partial are options of --api v3 (/api/v3/write_lp)");
        }
        let auth = match (&self.username, &r.token) {
            (Some(user), _) => basic_auth(user, &self.password_env)?,
            (None, Some(t)) => token_auth(&t.value, &t.origin.to_string())?,
            (None, None) => Auth::None,
        };
        let tls = TlsOptions {
            ca_certs: r.ca_certs.iter().map(|c| c.value.clone()).collect(),
            client_cert: self.client_cert.clone(),
            client_key: self.client_key.clone(),
            insecure_skip_verify: r.insecure_skip_verify.as_ref().is_some_and(|s| s.value),
        };
        // Every file is read now: a bad one is a usage error before anything is sent.
        tls.config()?;
        let target = Target {
            url,
            api: r.api.value,
            db: r.db.map(|s| s.value),
            rp: self.rp.clone(),
            bucket: r.bucket.map(|s| s.value),
            org: r.org.map(|s| s.value),
            precision,
            auth,
            v3: V3Options {
                accept_partial: self.accept_partial,
                no_sync: self.no_sync,
            },
            tls,
        };
        target.write_url()?;
        Ok(target)
    }
}

/// `--create-db`, of the commands that write (replay, bench).
#[derive(clap::Args, Debug, Clone)]
pub struct CreateDbArg {
    /// InfluxDB 1.x (--api v1): create the database --db names before writing (CREATE
    /// DATABASE through /query, with the same credentials; an existing database is kept as
    /// it is).
    #[arg(long)]
    pub create_db: bool,
}

impl CreateDbArg {
    /// Refuses `--create-db` where it means nothing (a usage error): another API, no
    /// database.
    pub fn check(&self, target: &Target) -> anyhow::Result<()> {
        if !self.create_db {
            return Ok(());
        }
        match (target.api, &target.db) {
            (Api::V1, Some(_)) => Ok(()),
            (Api::V1, None) => bail!("--create-db needs --db NAME: the database to create"),
            (Api::V2, _) => bail!("--create-db is for --api v1 (InfluxDB 1.x): create an InfluxDB 2 bucket with `influx bucket create`"),
            (Api::V3, _) => bail!("--create-db is for --api v1 (InfluxDB 1.x): InfluxDB 3 creates a database on its first write"),
        }
    }

    /// Creates the database (nothing with `dry_run`); the error is the server's answer, to
    /// stop the run with exit 1.
    pub fn create(
        &self,
        target: &Target,
        transport: &dyn Transport,
        dry_run: bool,
    ) -> Result<(), String> {
        if !self.create_db || dry_run {
            return Ok(());
        }
        lpconvert_send::dialect::create_database(target, transport).map_err(|e| e.to_string())
    }
}

/// The server's URL, or the error when nothing gives it.
fn url_of(r: &Resolved) -> anyhow::Result<String> {
    r.url.as_ref().map(|u| u.value.clone()).context(
        "no server: give --url URL (or set INFLUX_HOST / INFLUXDB3_HOST_URL, or create an influx CLI config)",
    )
}

/// The unit of line-protocol timestamps read without a schema: `--precision` (`given`), else
/// `INFLUX_PRECISION`, else ns. `None` is `auto` (each timestamp's unit read from its size).
pub fn line_precision(given: Option<&str>) -> anyhow::Result<Option<Precision>> {
    let (p, from) = match (given, env_precision()) {
        (Some(p), _) => (p.to_owned(), "--precision"),
        (None, Some(p)) => (p, "INFLUX_PRECISION"),
        (None, None) => return Ok(Some(Precision::Ns)),
    };
    if p == "auto" {
        return Ok(None);
    }
    lpconvert_send::dialect::parse_precision(&p)
        .map(Some)
        .with_context(|| format!("{from} `{p}`: expected ns, us, ms, s or auto"))
}

/// The precision InfluxDB's client libraries read from `INFLUX_PRECISION`, for an input
/// whose precision neither `--precision` nor a schema gives.
pub fn env_precision() -> Option<String> {
    std::env::var("INFLUX_PRECISION")
        .ok()
        .filter(|p| !p.is_empty())
        .map(|p| match p.as_str() {
            "second" => "s".to_owned(),
            "millisecond" => "ms".to_owned(),
            "microsecond" => "us".to_owned(),
            "nanosecond" => "ns".to_owned(),
            _ => p,
        })
}

/// Checks the connection settings and `--timeout` before anything is read (usage errors,
/// exit 2); returns the timeout. Says where the settings not given as options came from
/// (unless `quiet`; `env_precision` when the input's precision comes from INFLUX_PRECISION),
/// and warns on every run that certificates are not verified.
pub fn check_connection(
    server: &ServerArgs,
    timeout: &str,
    command: &str,
    quiet: bool,
    env_precision: bool,
) -> anyhow::Result<Duration> {
    let r = server.resolve()?;
    if let Err(e) = ServerUrl::parse(&url_of(&r)?) {
        // Named by where the URL came from: the user may never have typed --url.
        match r.url.as_ref().map(|u| &u.origin) {
            Some(o @ (Origin::Env(_) | Origin::Config { .. })) => {
                bail!("{}", e.to_string().replacen("--url", &o.to_string(), 1))
            }
            _ => return Err(e.into()),
        }
    }
    let t = parse_duration(timeout).context("--timeout")?;
    if t < Duration::from_millis(1) {
        bail!("--timeout `{timeout}` must be at least 1ms (every request would time out); e.g. --timeout 60s");
    }
    if !quiet {
        let mut origins = r.origins();
        if env_precision {
            origins.push("precision from INFLUX_PRECISION".to_owned());
        }
        if !origins.is_empty() {
            note!("lpconvert {command}: settings: {}", origins.join(", "));
        }
    }
    if let Some(s) = &r.insecure_skip_verify {
        note!(
            "lpconvert {command}: warning: the server's certificate is not verified ({}): anyone between here and the server can read and change what is sent; use --ca-cert FILE instead",
            s.origin
        );
    }
    Ok(t)
}

/// The transport to `target`: nothing sent with `dry_run`, else HTTP with `connections`
/// connections and the target's TLS settings, the secrets of its URL and credentials redacted
/// from every server text.
pub fn transport(
    dry_run: bool,
    target: &Target,
    timeout: Duration,
    connections: usize,
) -> anyhow::Result<Box<dyn Transport>> {
    if dry_run {
        return Ok(Box::new(DryRunTransport));
    }
    let tls = if target
        .url
        .trim_start()
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    {
        Some(target.tls.config()?)
    } else {
        None
    };
    Ok(Box::new(HttpTransport::new(&HttpConfig {
        timeout,
        connections,
        secrets: target.endpoint()?.secrets,
        tls,
    })))
}

/// Basic authentication for `--username`, the password read from the variable
/// `password_env`.
fn basic_auth(user: &str, password_env: &str) -> anyhow::Result<Auth> {
    let password = std::env::var(password_env).with_context(|| {
        format!("--username needs the password in the environment variable {password_env}")
    })?;
    if let Some(c) = user.chars().find(|c| c.is_control() || *c == ':') {
        bail!(
            "--username contains {}, which HTTP Basic authentication cannot carry",
            shown_char(c)
        );
    }
    Ok(Auth::Basic {
        username: user.to_owned(),
        password,
    })
}

/// A token found in `origin` (a variable or a config file).
fn token_auth(t: &str, origin: &str) -> anyhow::Result<Auth> {
    // A control character (often the newline of a file read into the variable) cannot be
    // sent in a header: a usage error, never a request that fails at the first batch.
    if let Some((i, c)) = t.char_indices().find(|(_, c)| c.is_control()) {
        let origin = if origin.starts_with("influx config") {
            origin.to_owned()
        } else {
            format!("the environment variable {origin}")
        };
        bail!(
            "the token in {origin} contains {} at byte {i} of {}, which an HTTP header cannot carry: remove it (the token is not shown)",
            shown_char(c),
            t.len()
        );
    }
    Ok(Auth::Token(t.to_owned()))
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
