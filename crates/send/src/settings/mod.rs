//! Connection settings from where InfluxDB users keep them: the command line first, then the
//! environment variables of the `influxdb3` CLI (`INFLUXDB3_*`), of the v3 client libraries
//! and the `influx` v2 CLI (`INFLUX_*`), then the `influx` CLI's config file. Each setting
//! comes from the first place that has it (an empty variable counts as unset), and says where
//! it came from; a secret's origin is named, never its value.

pub mod influx_config;

use crate::dialect::Api;
use std::fmt;
use std::path::{Path, PathBuf};

/// A setting that cannot be resolved (a config file that does not parse, a config that does
/// not exist, a variable with a value that means nothing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(pub String);

/// Where a setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A command-line option (`--url`).
    Flag(&'static str),
    /// An environment variable.
    Env(String),
    /// A config of the `influx` CLI's config file.
    Config {
        /// The file.
        path: PathBuf,
        /// The config's name.
        name: String,
    },
    /// Implied by where another setting came from (the API by the database's variable).
    Implied(String),
    /// Nothing said it: the default.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(name) => write!(f, "{name}"),
            Origin::Env(name) => write!(f, "{name}"),
            Origin::Config { path, name } => {
                write!(f, "influx config `{name}` in {}", path.display())
            }
            Origin::Implied(why) => write!(f, "{why}"),
            Origin::Default => write!(f, "default"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub origin: Origin,
}

/// What the command line gave (each `None` when the option was not used).
#[derive(Debug, Clone, Default)]
pub struct Given {
    /// `--url`.
    pub url: Option<String>,
    /// `--api`.
    pub api: Option<Api>,
    /// `--db`.
    pub db: Option<String>,
    /// `--bucket`.
    pub bucket: Option<String>,
    /// `--org`.
    pub org: Option<String>,
    /// `--token-env VAR`: the token is read from that variable only.
    pub token_env: Option<String>,
    /// `--username` was given: Basic authentication, no token looked for.
    pub basic_auth: bool,
    /// `--active-config` / `-c`.
    pub active_config: Option<String>,
    /// `--configs-path`.
    pub configs_path: Option<PathBuf>,
    /// `--insecure-skip-verify`.
    pub insecure_skip_verify: bool,
    /// `--ca-cert` files.
    pub ca_certs: Vec<PathBuf>,
}

/// Every connection setting, resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The server URL, if anything gave one.
    pub url: Option<Setting<String>>,
    /// The write API.
    pub api: Setting<Api>,
    /// Database.
    pub db: Option<Setting<String>>,
    /// Bucket.
    pub bucket: Option<Setting<String>>,
    /// Organisation.
    pub org: Option<Setting<String>>,
    /// The token (never shown: print its origin only).
    pub token: Option<Setting<String>>,
    /// Trusted CA files.
    pub ca_certs: Vec<Setting<PathBuf>>,
    /// No certificate verification.
    pub insecure_skip_verify: Option<Setting<bool>>,
}

impl Resolved {
    /// `what from WHERE` for every setting that did not come from the command line, in a
    /// fixed order: `url from INFLUX_HOST, database from INFLUX_DATABASE, token from ...`.
    pub fn origins(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut add = |what: &str, origin: Option<&Origin>| {
            if let Some(o) = origin {
                if !matches!(o, Origin::Flag(_) | Origin::Default) {
                    out.push(format!("{what} from {o}"));
                }
            }
        };
        add("url", self.url.as_ref().map(|s| &s.origin));
        add("database", self.db.as_ref().map(|s| &s.origin));
        add("bucket", self.bucket.as_ref().map(|s| &s.origin));
        add("org", self.org.as_ref().map(|s| &s.origin));
        add("token", self.token.as_ref().map(|s| &s.origin));
        for ca in &self.ca_certs {
            add("CA certificates", Some(&ca.origin));
        }
        add(
            "no certificate verification",
            self.insecure_skip_verify.as_ref().map(|s| &s.origin),
        );
        if let Origin::Implied(why) = &self.api.origin {
            out.push(format!(
                "api {} ({why})",
                match self.api.value {
                    Api::V1 => "v1",
                    Api::V2 => "v2",
                    Api::V3 => "v3",
                }
            ));
        }
        out
    }
}

/// The first of `names` set to a non-empty value.
fn first_env(
    env: &dyn Fn(&str) -> Option<String>,
    names: &[&'static str],
) -> Option<Setting<String>> {
    names.iter().find_map(|n| {
        env(n).filter(|v| !v.is_empty()).map(|value| Setting {
            value,
            origin: Origin::Env((*n).to_owned()),
        })
    })
}

/// `value` from the flag `flag`, else from the first variable of `names` set.
fn flag_or_env(
    value: &Option<String>,
    flag: &'static str,
    env: &dyn Fn(&str) -> Option<String>,
    names: &[&'static str],
) -> Option<Setting<String>> {
    match value {
        Some(v) => Some(Setting {
            value: v.clone(),
            origin: Origin::Flag(flag),
        }),
        None => first_env(env, names),
    }
}

/// A boolean variable as the Go CLIs read it (`strconv.ParseBool`).
fn env_bool(
    env: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<bool>, SettingsError> {
    match env(name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => match v.as_str() {
            "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(Some(true)),
            "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(Some(false)),
            _ => Err(SettingsError(format!(
                "the environment variable {name} is `{v}`: expected true or false"
            ))),
        },
    }
}

/// Resolves every setting: `given` first, then the variables read through `env`, then the
/// `influx` CLI's config file (under `home` unless `--configs-path`/`INFLUX_CONFIGS_PATH`).
pub fn resolve(
    given: &Given,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<Resolved, SettingsError> {
    let mut url = flag_or_env(
        &given.url,
        "--url",
        env,
        &["INFLUXDB3_HOST_URL", "INFLUX_HOST"],
    );
    let db = flag_or_env(
        &given.db,
        "--db",
        env,
        &["INFLUXDB3_DATABASE_NAME", "INFLUX_DATABASE"],
    );
    let bucket = flag_or_env(&given.bucket, "--bucket", env, &["INFLUX_BUCKET_NAME"]);
    let mut org = flag_or_env(&given.org, "--org", env, &["INFLUX_ORG"]);
    let mut token = if given.basic_auth {
        None
    } else if let Some(var) = &given.token_env {
        env(var).filter(|t| !t.is_empty()).map(|value| Setting {
            value,
            origin: Origin::Env(var.clone()),
        })
    } else {
        first_env(env, &["INFLUXDB3_AUTH_TOKEN", "INFLUX_TOKEN"])
    };

    // The config file: read when chosen, or when it may give what is missing.
    let active = flag_or_env(
        &given.active_config,
        "--active-config",
        env,
        &["INFLUX_ACTIVE_CONFIG"],
    );
    let chosen_path = match &given.configs_path {
        Some(p) => Some(p.clone()),
        None => first_env(env, &["INFLUX_CONFIGS_PATH"]).map(|s| PathBuf::from(s.value)),
    };
    let explicit = active.is_some() || chosen_path.is_some();
    let wanted =
        url.is_none() || (token.is_none() && !given.basic_auth && given.token_env.is_none());
    let mut from_config = false;
    if explicit || wanted {
        let path = chosen_path
            .clone()
            .or_else(|| influx_config::default_path(home));
        if let Some(path) = path {
            if let Some(text) = influx_config::read(&path, explicit)? {
                let configs = influx_config::parse(&text, &path)?;
                let name = active.as_ref().map(|a| a.value.as_str());
                if let Some(c) = influx_config::select(&configs, name, &path)? {
                    let origin = Origin::Config {
                        path: path.clone(),
                        name: c.name.clone(),
                    };
                    let from = |v: &Option<String>| {
                        v.clone().filter(|v| !v.is_empty()).map(|value| Setting {
                            value,
                            origin: origin.clone(),
                        })
                    };
                    if url.is_none() {
                        url = from(&c.url);
                        from_config |= url.is_some();
                    }
                    // A config's token is for its own server: never sent to another one
                    // (a --url of VictoriaMetrics with an InfluxDB Cloud config active).
                    let same_server = match (&url, &c.url) {
                        (Some(u), Some(cu)) => {
                            matches!(u.origin, Origin::Config { .. }) || same_origin(&u.value, cu)
                        }
                        _ => false,
                    };
                    if token.is_none()
                        && !given.basic_auth
                        && given.token_env.is_none()
                        && same_server
                    {
                        token = from(&c.token);
                        from_config |= token.is_some();
                    }
                    if org.is_none() {
                        org = from(&c.org);
                    }
                }
            }
        }
    }

    let api = match given.api {
        Some(a) => Setting {
            value: a,
            origin: Origin::Flag("--api"),
        },
        None => implied_api(db.as_ref(), bucket.as_ref(), url.as_ref(), from_config),
    };

    let mut ca_certs: Vec<Setting<PathBuf>> = given
        .ca_certs
        .iter()
        .map(|p| Setting {
            value: p.clone(),
            origin: Origin::Flag("--ca-cert"),
        })
        .collect();
    if ca_certs.is_empty() {
        if let Some(s) = first_env(env, &["INFLUXDB3_TLS_CA"]) {
            ca_certs.push(Setting {
                value: PathBuf::from(s.value),
                origin: s.origin,
            });
        }
    }
    let insecure_skip_verify = if given.insecure_skip_verify {
        Some(Setting {
            value: true,
            origin: Origin::Flag("--insecure-skip-verify"),
        })
    } else {
        let mut found = None;
        for name in ["INFLUXDB3_TLS_NO_VERIFY", "INFLUX_SKIP_VERIFY"] {
            if let Some(v) = env_bool(env, name)? {
                found = Some(Setting {
                    value: v,
                    origin: Origin::Env(name.to_owned()),
                });
                break;
            }
        }
        found.filter(|s| s.value)
    };

    Ok(Resolved {
        url,
        api,
        db,
        bucket,
        org,
        token,
        ca_certs,
        insecure_skip_verify,
    })
}

/// Whether two URLs name the same server (scheme, host and port).
fn same_origin(a: &str, b: &str) -> bool {
    let key = |u: &str| {
        url::Url::parse(u.trim()).ok().map(|u| {
            (
                u.scheme().to_owned(),
                u.host_str().map(str::to_ascii_lowercase),
                u.port_or_known_default(),
            )
        })
    };
    matches!((key(a), key(b)), (Some(x), Some(y)) if x == y)
}

/// The API when `--api` is not given: what the tool whose variables gave the database (or
/// bucket, or URL) writes with. The `influxdb3` CLI writes `/api/v3/write_lp`; the v3 client
/// libraries write `/api/v2/write` (`bucket=` the database) unless told otherwise, which
/// InfluxDB 3, InfluxDB Cloud and InfluxDB 2 all accept; the `influx` CLI is v2.
fn implied_api(
    db: Option<&Setting<String>>,
    bucket: Option<&Setting<String>>,
    url: Option<&Setting<String>>,
    url_or_token_from_config: bool,
) -> Setting<Api> {
    let implied = |api, why: &str| Setting {
        value: api,
        origin: Origin::Implied(why.to_owned()),
    };
    fn env_of(s: Option<&Setting<String>>) -> Option<&str> {
        match s.map(|s| &s.origin) {
            Some(Origin::Env(n)) => Some(n.as_str()),
            _ => None,
        }
    }
    match (env_of(db), env_of(bucket), env_of(url)) {
        (Some("INFLUXDB3_DATABASE_NAME"), _, _) => {
            implied(Api::V3, "INFLUXDB3_DATABASE_NAME is the influxdb3 CLI's")
        }
        (Some("INFLUX_DATABASE"), _, _) => implied(
            Api::V2,
            "INFLUX_DATABASE: the v3 client libraries write it through /api/v2/write",
        ),
        (_, Some(_), _) => implied(Api::V2, "INFLUX_BUCKET_NAME is the influx v2 CLI's"),
        (_, _, Some("INFLUXDB3_HOST_URL")) => {
            implied(Api::V3, "INFLUXDB3_HOST_URL is the influxdb3 CLI's")
        }
        _ if url_or_token_from_config => implied(Api::V2, "the influx v2 CLI's config file"),
        _ => Setting {
            value: Api::V1,
            origin: Origin::Default,
        },
    }
}

#[cfg(test)]
mod tests;
