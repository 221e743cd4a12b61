//! Reading and checking the forms of "Several lines from one record" and "Keys from the data".

use super::*;

fn schema(text: &str) -> Result<Schema, SchemaError> {
    Schema::from_toml(text)
}

/// The error's key and message, for assertions.
fn error(text: &str) -> (String, String) {
    match schema(text) {
        Err(SchemaError::Key { key, message }) => (key, message),
        Err(e) => panic!("not a key error: {e}"),
        Ok(_) => panic!("accepted:\n{text}"),
    }
}

#[test]
fn globs_match() {
    assert!(glob_match("s*", "s1"));
    assert!(glob_match("s*", "s"));
    assert!(!glob_match("s*", "t1"));
    assert!(glob_match("*_temp", "room_temp"));
    assert!(!glob_match("*_temp", "room_temp2"));
    assert!(glob_match("*", ""));
    assert!(glob_match("a*b*c", "axxbyyc"));
    assert!(!glob_match("a*b*c", "axxbyy"));
    assert!(glob_match("a*a", "aaa"));
}

#[test]
fn iteration_prefixes_of_paths() {
    assert_eq!(iteration_prefixes("/s/*/r/*/v"), vec!["/s/*", "/s/*/r/*"]);
    assert_eq!(iteration_prefixes("/*"), vec!["/*"]);
    assert!(iteration_prefixes("/a/b*").is_empty());
}

#[test]
fn unpivot_schema_reads() {
    let s = schema(
        r#"measurement = "env"
[tags]
sensor = { key_of = "s*" }
[fields]
value = { column = "s*", type = "float" }"#,
    )
    .unwrap();
    assert_eq!(s.tags[0].source, Source::KeyOf("s*".into()));
    assert_eq!(s.fields[0].source, Source::Column("s*".into()));
}

#[test]
fn array_of_readings_reads() {
    let s = schema(
        r#"measurement = "env"
[timestamp]
path = "/readings/*/t"
format = "unix_s"
[tags]
site = { path = "/site" }
[fields]
v = { path = "/readings/*/v", type = "float" }"#,
    )
    .unwrap();
    assert_eq!(s.fields[0].source, Source::Path("/readings/*/v".into()));
}

#[test]
fn key_of_must_name_an_iteration() {
    let (key, msg) = error(
        r#"measurement = "env"
[tags]
sensor = { key_of = "x*" }
[fields]
value = { column = "s*", type = "float" }"#,
    );
    assert_eq!(key, "tags.sensor.key_of");
    assert!(
        msg.contains("names no iteration") && msg.contains("\"s*\""),
        "{msg}"
    );
    let (_, msg) = error(
        r#"measurement = "env"
[tags]
disk = { key_of = "/disks/*" }
[fields]
v = "float""#,
    );
    assert!(msg.contains("no `*` source"), "{msg}");
    // A nested path performs each of its iterations.
    schema(
        r#"measurement = "env"
[tags]
sensor = { key_of = "/s/*" }
[fields]
v = { path = "/s/*/r/*/v" }"#,
    )
    .unwrap();
}

#[test]
fn timestamp_key_of_and_join_refuses_globs() {
    let s = schema(
        r#"measurement = "m"
[timestamp]
key_of = "20*"
[fields]
v = { column = "20*" }"#,
    )
    .unwrap();
    assert_eq!(s.timestamp.unwrap().source, Source::KeyOf("20*".into()));
    let (key, msg) = error(
        r#"measurement = "m"
[timestamp]
column = ["d*", "t"]
[fields]
v = "float""#,
    );
    assert_eq!(key, "timestamp.column");
    assert!(msg.contains("glob"), "{msg}");
}

#[test]
fn pattern_keys_read() {
    let s = schema(
        r#"measurement = "m"
[tags]
"t_*" = { exclude = ["t_x"] }
[fields]
id = "integer"
"*" = { type = "float", exclude = ["note"] }"#,
    )
    .unwrap();
    assert_eq!(
        s.tags[0].key_kind,
        KeyKind::Pattern {
            exclude: vec!["t_x".into()]
        }
    );
    assert_eq!(
        s.fields[1].key_kind,
        KeyKind::Pattern {
            exclude: vec!["note".into()]
        }
    );
    let s = schema("measurement = \"m\"\n[fields]\n\"*\" = \"float\"").unwrap();
    assert!(matches!(s.fields[0].key_kind, KeyKind::Pattern { .. }));
    let s =
        schema("measurement = \"m\"\n[fields]\n\"*\" = { path = \"/values/*\", type = \"float\" }")
            .unwrap();
    assert_eq!(s.fields[0].source, Source::Path("/values/*".into()));
}

#[test]
fn pattern_key_mistakes() {
    let (key, msg) = error("measurement = \"m\"\n[fields]\n\"*\" = { path = \"/values\" }");
    assert_eq!(key, "fields.*.path");
    assert!(msg.contains("/*"), "{msg}");
    let (_, msg) = error("measurement = \"m\"\n[fields]\n\"*\" = { column = \"a\" }");
    assert!(msg.contains("pattern key"), "{msg}");
    let (_, msg) = error("measurement = \"m\"\n[fields]\nv = { exclude = [\"a\"] }");
    assert!(msg.contains("`exclude` applies to pattern keys"), "{msg}");
    let (_, msg) = error("measurement = \"m\"\n[tags]\n\"t*\" = \"x\"\n[fields]\nv = \"float\"");
    assert!(msg.contains("pattern key"), "{msg}");
}

#[test]
fn spread_and_iteration_of_one_star_is_inconsistent() {
    let (key, msg) = error(
        r#"measurement = "m"
[tags]
id = { path = "/values/*/id" }
[fields]
"*" = { path = "/values/*" }"#,
    );
    assert_eq!(key, "fields.*");
    assert!(msg.contains("inconsistent"), "{msg}");
}

#[test]
fn column_glob_and_star_path_do_not_mix() {
    let (key, msg) = error(
        r#"measurement = "m"
[tags]
s = { column = "s*" }
[fields]
v = { path = "/a/*/v" }"#,
    );
    assert_eq!(key, "fields.v");
    assert!(msg.contains("column glob"), "{msg}");
}

#[test]
fn keys_from_the_data_read() {
    let s = schema(
        r#"measurement = "m"
[fields]
"{_field}" = { column = "_value", type = "float", types = { status = "string", count = "integer" } }"#,
    )
    .unwrap();
    assert_eq!(
        s.fields[0].key_kind,
        KeyKind::FromData {
            source: Source::Column("_field".into()),
            types: vec![
                ("status".into(), FieldType::String),
                ("count".into(), FieldType::Integer)
            ],
        }
    );
    let s = schema(
        "measurement = \"m\"\n[tags]\n\"{/k}\" = { path = \"/v\" }\n[fields]\nv = \"float\"",
    )
    .unwrap();
    assert!(matches!(
        &s.tags[0].key_kind,
        KeyKind::FromData { source: Source::Path(p), .. } if p == "/k"
    ));
}

#[test]
fn keys_from_the_data_mistakes() {
    let (_, msg) = error("measurement = \"m\"\n[fields]\n\"{}\" = { column = \"v\" }");
    assert!(msg.contains("must name one column"), "{msg}");
    let (_, msg) = error("measurement = \"m\"\n[fields]\n\"{_field}\" = \"float\"");
    assert!(msg.contains("give its value's source"), "{msg}");
    let (key, _) = error(
        "measurement = \"m\"\n[fields]\n\"{f}\" = { column = \"v\", types = { a = \"text\" } }",
    );
    assert_eq!(key, "fields.{f}.types.a");
    let (_, msg) =
        error("measurement = \"m\"\n[fields]\nv = { column = \"v\", types = { a = \"float\" } }");
    assert!(msg.contains("`types` applies"), "{msg}");
    let (_, msg) = error("measurement = \"m\"\n[fields]\n\"{/a/*/k}\" = { path = \"/a/*/v\" }");
    assert!(msg.contains("holds a `*`"), "{msg}");
}

#[test]
fn iterates_only_with_globs_star_paths_and_key_of() {
    let it = |t: &str| iterates(&schema(t).unwrap());
    assert!(!it("measurement = \"m\"\n[fields]\nv = \"float\""));
    // A pattern key's own last `*` spreads in one line; a `{...}` key reads one key per row.
    assert!(!it(
        "measurement = \"m\"\n[fields]\n\"*\" = { path = \"/values/*\", type = \"float\" }"
    ));
    assert!(!it("measurement = \"m\"\n[fields]\n\"*\" = \"float\""));
    assert!(!it(
        "measurement = \"m\"\n[fields]\n\"{_f}\" = { column = \"_v\", type = \"float\" }"
    ));
    assert!(it(
        "measurement = \"m\"\n[fields]\nv = { column = \"s*\", type = \"float\" }"
    ));
    assert!(it(
        "measurement = \"m\"\n[fields]\nv = { path = \"/r/*/v\", type = \"float\" }"
    ));
    assert!(it(
        "measurement = \"m\"\n[fields]\n\"*\" = { path = \"/r/*/values/*\", type = \"float\" }"
    ));
    assert!(it(
        "measurement = { key_of = \"/r/*\" }\n[fields]\nv = { path = \"/r/*\", type = \"float\" }"
    ));
}
