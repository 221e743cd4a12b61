//! Resolution order and the API implied by the variables.

use super::*;
use std::collections::HashMap;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k: &str| map.get(k).cloned()
}

fn origin(s: &Option<Setting<String>>) -> String {
    s.as_ref().map(|s| s.origin.to_string()).unwrap_or_default()
}

#[test]
fn v3_client_variables_write_the_database_through_v2() {
    let env = env_of(&[
        ("INFLUX_HOST", "http://h:8181"),
        ("INFLUX_TOKEN", "t"),
        ("INFLUX_DATABASE", "sensors"),
    ]);
    let r = resolve(&Given::default(), &env, None).unwrap();
    assert_eq!(r.url.as_ref().unwrap().value, "http://h:8181");
    assert_eq!(r.api.value, Api::V2);
    assert_eq!(r.db.as_ref().unwrap().value, "sensors");
    assert_eq!(r.token.as_ref().unwrap().value, "t");
    let o = r.origins().join(", ");
    assert!(o.starts_with("url from INFLUX_HOST, database from INFLUX_DATABASE, token from INFLUX_TOKEN, api v2 (INFLUX_DATABASE"), "{o}");
    assert!(!o.contains("=t"));
}

#[test]
fn flags_then_influxdb3_then_influx_variables() {
    let env = env_of(&[
        ("INFLUX_HOST", "http://v2:8086"),
        ("INFLUXDB3_HOST_URL", "http://v3:8181"),
        ("INFLUX_TOKEN", "t2"),
        ("INFLUXDB3_AUTH_TOKEN", "t3"),
        ("INFLUX_DATABASE", "d2"),
        ("INFLUXDB3_DATABASE_NAME", "d3"),
    ]);
    let r = resolve(&Given::default(), &env, None).unwrap();
    assert_eq!(r.url.as_ref().unwrap().value, "http://v3:8181");
    assert_eq!(r.token.as_ref().unwrap().value, "t3");
    assert_eq!(r.db.as_ref().unwrap().value, "d3");
    assert_eq!(r.api.value, Api::V3);
    let given = Given {
        url: Some("http://flag:1".into()),
        db: Some("f".into()),
        api: Some(Api::V1),
        token_env: Some("MY_TOKEN".into()),
        ..Given::default()
    };
    let r = resolve(&given, &env, None).unwrap();
    assert_eq!(r.url.as_ref().unwrap().value, "http://flag:1");
    assert_eq!(r.db.as_ref().unwrap().value, "f");
    assert_eq!(r.api.value, Api::V1);
    // --token-env names the only variable read.
    assert!(r.token.is_none());
    assert!(r.origins().is_empty(), "{:?}", r.origins());
    // Empty variables are unset; --username means no token.
    let env = env_of(&[("INFLUX_HOST", ""), ("INFLUX_TOKEN", "t")]);
    let given = Given {
        basic_auth: true,
        ..Given::default()
    };
    let r = resolve(&given, &env, None).unwrap();
    assert!(r.url.is_none() && r.token.is_none());
    assert_eq!(r.api.value, Api::V1);
}

#[test]
fn config_file_fills_what_is_missing() {
    let home = std::env::temp_dir().join(format!("lpconvert-settings-{}", std::process::id()));
    let dir = home.join(".influxdbv2");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("configs"),
        "[a]\nurl = \"http://a:8086\"\ntoken = \"ta\"\norg = \"oa\"\nactive = true\n\n[b]\nurl = \"http://b:8086\"\ntoken = \"tb\"\n",
    )
    .unwrap();
    let r = resolve(&Given::default(), &env_of(&[]), Some(&home)).unwrap();
    assert_eq!(r.url.as_ref().unwrap().value, "http://a:8086");
    assert_eq!(r.token.as_ref().unwrap().value, "ta");
    assert_eq!(r.org.as_ref().unwrap().value, "oa");
    assert_eq!(r.api.value, Api::V2);
    assert!(origin(&r.url).starts_with("influx config `a` in "));
    // The variable and the flag choose another config; a variable overrides the file.
    let env = env_of(&[("INFLUX_ACTIVE_CONFIG", "b"), ("INFLUX_TOKEN", "env")]);
    let r = resolve(&Given::default(), &env, Some(&home)).unwrap();
    assert_eq!(r.url.as_ref().unwrap().value, "http://b:8086");
    assert_eq!(r.token.as_ref().unwrap().value, "env");
    let given = Given {
        active_config: Some("a".into()),
        ..Given::default()
    };
    let r = resolve(&given, &env, Some(&home)).unwrap();
    assert_eq!(r.url.as_ref().unwrap().value, "http://a:8086");
    // A chosen file or config that does not exist is an error; the default path is not.
    let given = Given {
        configs_path: Some(home.join("nope")),
        ..Given::default()
    };
    assert!(resolve(&given, &env_of(&[]), Some(&home)).is_err());
    let given = Given {
        active_config: Some("zz".into()),
        ..Given::default()
    };
    assert!(resolve(&given, &env_of(&[]), Some(&home)).is_err());
    // A config's token goes to its own server only, never to a --url of another one.
    let to = |url: &str| {
        let given = Given {
            url: Some(url.into()),
            ..Given::default()
        };
        let r = resolve(&given, &env_of(&[]), Some(&home)).unwrap();
        r.token.map(|t| t.value)
    };
    assert_eq!(to("http://victoria:8428"), None);
    assert_eq!(to("http://a:9999"), None);
    assert_eq!(to("https://a:8086"), None);
    assert_eq!(to("http://A:8086/prefix/"), Some("ta".to_owned()));
    let r = resolve(&Given::default(), &env_of(&[]), Some(&home.join("empty"))).unwrap();
    assert!(r.url.is_none());
    std::fs::remove_dir_all(&home).unwrap();
}

#[test]
fn tls_variables() {
    let env = env_of(&[
        ("INFLUXDB3_TLS_CA", "/ca.pem"),
        ("INFLUX_SKIP_VERIFY", "true"),
    ]);
    let r = resolve(&Given::default(), &env, None).unwrap();
    assert_eq!(r.ca_certs[0].value, PathBuf::from("/ca.pem"));
    assert!(r.insecure_skip_verify.as_ref().unwrap().value);
    let env = env_of(&[
        ("INFLUXDB3_TLS_NO_VERIFY", "false"),
        ("INFLUX_SKIP_VERIFY", "1"),
    ]);
    let r = resolve(&Given::default(), &env, None).unwrap();
    assert!(r.insecure_skip_verify.is_none());
    let env = env_of(&[("INFLUX_SKIP_VERIFY", "yes please")]);
    assert!(resolve(&Given::default(), &env, None).is_err());
}
