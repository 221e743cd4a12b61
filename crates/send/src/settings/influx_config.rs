//! The `influx` CLI's config file (influxdata/influx-cli `config/`): TOML, one table per config
//! name with `url`, `token`, `org`, `active` (and `previous`, `cookie`, not used here), by
//! default `~/.influxdbv2/configs`. Read only, never written.

use super::SettingsError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One config of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct InfluxConfig {
    /// Its name (the table's).
    #[serde(skip)]
    pub name: String,
    /// The server URL (`url`).
    pub url: Option<String>,
    /// The token (`token`).
    pub token: Option<String>,
    /// The organisation (`org`).
    pub org: Option<String>,
    /// Whether it is the active one (`active`).
    #[serde(default)]
    pub active: bool,
}

/// The default path: `$HOME/.influxdbv2/configs`.
pub fn default_path(home: Option<&Path>) -> Option<PathBuf> {
    home.map(|h| h.join(".influxdbv2").join("configs"))
}

/// Parses the file's text; `path` names it in errors.
pub fn parse(text: &str, path: &Path) -> Result<Vec<InfluxConfig>, SettingsError> {
    let table: BTreeMap<String, InfluxConfig> = toml::from_str(text).map_err(|e| {
        SettingsError(format!(
            "the influx CLI config file {} is not readable TOML: {}",
            path.display(),
            e.to_string().trim()
        ))
    })?;
    Ok(table
        .into_iter()
        .map(|(name, mut c)| {
            c.name = name;
            c
        })
        .collect())
}

/// The config named `name`, or else the active one (the influx CLI's choice). `None` when the
/// file has no active config and several configs (the influx CLI would pick one at random).
pub fn select<'a>(
    configs: &'a [InfluxConfig],
    name: Option<&str>,
    path: &Path,
) -> Result<Option<&'a InfluxConfig>, SettingsError> {
    if let Some(name) = name {
        return configs
            .iter()
            .find(|c| c.name == name)
            .map(Some)
            .ok_or_else(|| {
                let names: Vec<&str> = configs.iter().map(|c| c.name.as_str()).collect();
                SettingsError(format!(
                    "the influx CLI config file {} has no config `{name}` (it has: {})",
                    path.display(),
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                ))
            });
    }
    Ok(match configs.iter().find(|c| c.active) {
        Some(c) => Some(c),
        None if configs.len() == 1 => configs.first(),
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file as `influx config create` writes it (the commented-out Cloud examples included).
    const FILE: &str = r#"[default]
  url = "http://localhost:8086"
  token = "tok-default"
  org = "my-org"
  active = true

[staging]
  url = "https://staging:8086"
  token = "tok-staging"
  org = "st"
  previous = true
# 
# [eu-central]
#   url = "https://eu-central-1-1.aws.cloud2.influxdata.com"
#   token = "XXX"
"#;

    #[test]
    fn active_or_named_config() {
        let p = Path::new("configs");
        let all = parse(FILE, p).unwrap();
        assert_eq!(all.len(), 2);
        let c = select(&all, None, p).unwrap().unwrap();
        assert_eq!(c.name, "default");
        assert_eq!(c.token.as_deref(), Some("tok-default"));
        let c = select(&all, Some("staging"), p).unwrap().unwrap();
        assert_eq!(c.url.as_deref(), Some("https://staging:8086"));
        let e = select(&all, Some("prod"), p).unwrap_err().0;
        assert!(
            e.contains("no config `prod` (it has: default, staging)"),
            "{e}"
        );
        let none_active = FILE.replace("active = true", "");
        let all = parse(&none_active, p).unwrap();
        assert_eq!(select(&all, None, p).unwrap(), None);
        assert!(parse("[x\nurl=", p)
            .unwrap_err()
            .0
            .contains("not readable TOML"));
    }
}
