//! The `influx` CLI's config file (influxdata/influx-cli `config/`): TOML, one table per config
//! name with `url`, `token`, `org`, `active` (and `previous`, `cookie`, not used here), by
//! default `~/.influxdbv2/configs`. Read only, never written.

use super::SettingsError;
use std::collections::BTreeMap;
use std::io::Read;
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

/// Largest config file read: the `influx` CLI writes a few hundred bytes per config.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// The text of the config file at `path`; `None` when it does not exist and was not chosen
/// (`explicit` false). Only a regular file is read (a FIFO would block, `/dev/zero` never
/// end), and at most [`MAX_CONFIG_BYTES`].
pub fn read(path: &Path, explicit: bool) -> Result<Option<String>, SettingsError> {
    let err = |why: String| {
        SettingsError(format!(
            "the influx CLI config file {}: {why}",
            path.display()
        ))
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => return Ok(None),
        Err(e) => return Err(err(e.to_string())),
    };
    if !meta.is_file() {
        return Err(err("not a regular file".into()));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(err(format!(
            "{} bytes, more than a config file of the influx CLI holds (at most {MAX_CONFIG_BYTES} read)",
            meta.len()
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| err(e.to_string()))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(err(format!("more than {MAX_CONFIG_BYTES} bytes")));
    }
    String::from_utf8(bytes).map(Some).map_err(|e| {
        err(format!(
            "not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Parses the file's text; `path` names it in errors. An error names the line and column,
/// never the text there (it may be a token).
pub fn parse(text: &str, path: &Path) -> Result<Vec<InfluxConfig>, SettingsError> {
    let table: BTreeMap<String, InfluxConfig> = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or_else(String::new, |s| {
            let before = &text.as_bytes()[..s.start.min(text.len())];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let column = before.rsplit(|b| *b == b'\n').next().map_or(0, <[u8]>::len) + 1;
            format!(" at line {line}, column {column}")
        });
        SettingsError(format!(
            "the influx CLI config file {} is not readable TOML{at}: {}",
            path.display(),
            without_values(e.message())
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

/// `message` with every quoted or backquoted part (a value of the file) replaced by `...`.
fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quote = None;
    for c in message.trim().chars() {
        match quote {
            Some(q) if c == q => {
                out.push(c);
                quote = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '`' || c == '"' {
                    out.push_str("...");
                    quote = Some(c);
                }
            }
        }
    }
    out
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

    #[test]
    fn parse_errors_never_show_the_file_s_values() {
        let p = Path::new("configs");
        for text in [
            "[a]\nurl = \"http://h\"\ntoken = \"tok-Secret9\nactive = true\n",
            "[a]\ntoken = \"tok-Secret9\" junk\n",
            "[a]\ntoken = 99887766\n",
            "[a]\nactive = \"tok-Secret9\"\n",
            "[a]\ntoken = \"tok-Secret9\"\ntoken = \"tok-Secret9\"\n",
        ] {
            let e = parse(text, p).unwrap_err().0;
            assert!(e.contains("not readable TOML at line "), "{e}");
            assert!(!e.contains("Secret9") && !e.contains("99887766"), "{e}");
        }
        let e = parse("[a]\ntoken = 99887766\n", p).unwrap_err().0;
        assert!(e.contains("at line 2, column 9: invalid type"), "{e}");
    }

    #[test]
    fn only_a_regular_file_of_reasonable_size_is_read() {
        let e = read(Path::new("/dev/zero"), true).unwrap_err().0;
        assert!(e.contains("not a regular file"), "{e}");
        let dir = std::env::temp_dir().join(format!("lpconvert-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = read(&dir, true).unwrap_err().0;
        assert!(e.contains("not a regular file"), "{e}");
        let big = dir.join("big");
        std::fs::write(&big, vec![b'#'; (MAX_CONFIG_BYTES + 1) as usize]).unwrap();
        assert!(read(&big, true).unwrap_err().0.contains("bytes"));
        assert_eq!(read(&dir.join("none"), false).unwrap(), None);
        assert!(read(&dir.join("none"), true).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
