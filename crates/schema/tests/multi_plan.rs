//! Compiling the forms of "Several lines from one record" and "Keys from the data" against a
//! header: globs resolved, patterns expanded, plain plans left without a `MultiPlan`.

use lpconvert_schema::multi::{Target, Use};
use lpconvert_schema::{Format, Input, Plan, Schema, SchemaError};

fn header(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn compile(toml: &str, names: &[&str]) -> Result<Plan, SchemaError> {
    let schema = Schema::from_toml(toml).expect("schema parses");
    Plan::compile(&schema, Format::Csv, Some(&header(names)), "in.csv")
}

const UNPIVOT: &str = r#"
measurement = "env"
[tags]
sensor = { key_of = "s*" }
[fields]
value = { column = "s*", type = "float" }
"#;

#[test]
fn a_plain_plan_has_no_multi_plan() {
    let p = compile("measurement = \"m\"\n[fields]\nv = \"float\"", &["v"]).unwrap();
    assert!(p.multi.is_none());
    // A CSV pattern key is resolved at compile time: still one line per record.
    let p = compile(
        "measurement = \"m\"\n[fields]\n\"*\" = \"float\"",
        &["a", "b"],
    )
    .unwrap();
    assert!(p.multi.is_none());
    let names: Vec<&str> = p.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    // NDJSON paths through arrays by index, and names holding `*` inside a segment, do not
    // iterate.
    let schema = Schema::from_toml(
        "measurement = { path = \"/m\" }\n[tags]\nt = { path = \"/a/0/b\" }\n[fields]\nv = { path = \"/x*/y\", type = \"float\" }",
    )
    .unwrap();
    let p = Plan::compile(&schema, Format::Ndjson, None, "in.ndjson").unwrap();
    assert!(p.multi.is_none());
}

#[test]
fn a_column_glob_iterates_its_matches() {
    let p = compile(UNPIVOT, &["time", "s1", "x", "s2"]).unwrap();
    let m = p.multi.expect("an iteration");
    assert_eq!(m.iterations.len(), 1);
    let slots: Vec<usize> = m.iterations[0].matches.iter().map(|m| m.slot).collect();
    assert_eq!(slots, [1, 3]);
    let b: Vec<(Target, Use)> = m.bindings.iter().map(|b| (b.target, b.what)).collect();
    assert_eq!(
        b,
        [(Target::Tag(0), Use::KeyOf), (Target::Field(0), Use::Value)]
    );
}

#[test]
fn a_glob_matching_two_columns_of_one_name_is_a_schema_error() {
    // `key_of` could not tell the two lines apart: the fix is the one for an explicit read.
    let err = compile(UNPIVOT, &["time", "s1", "s2", "s1"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("`tags.sensor`"), "{err}");
    assert!(
        err.contains("column glob `s*` matches column `s1`"),
        "{err}"
    );
    assert!(err.contains("positions 2 and 4"), "{err}");
    assert!(err.contains("[csv] columns"), "{err}");
    // Names a glob does not match may repeat.
    assert!(compile(UNPIVOT, &["time", "s1", "x", "x"]).is_ok());
}

#[test]
fn a_glob_matching_no_column_is_a_schema_error() {
    let err = compile(UNPIVOT, &["time", "t1"]).unwrap_err().to_string();
    assert!(err.contains("`tags.sensor`"), "{err}");
    assert!(err.contains("column glob `s*` matches no column"), "{err}");
    assert!(err.contains("time, t1"), "{err}");
    let err = compile("measurement = \"m\"\n[fields]\n\"q*\" = \"float\"", &["a"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`fields.q*`") && err.contains("matches no column"),
        "{err}"
    );
}

#[test]
fn patterns_leave_out_what_other_entries_read() {
    let p = compile(
        r#"measurement = { column = "m" }
[timestamp]
column = "t"
[tags]
"tag_*" = {}
[fields]
"*" = { type = "integer", exclude = ["skip"] }
tag_b = { column = "x", type = "string" }
"#,
        &["m", "t", "tag_a", "tag_b", "x", "skip", "y"],
    )
    .unwrap();
    let tags: Vec<&str> = p.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tags, ["tag_a"]);
    let fields: Vec<&str> = p.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(fields, ["y", "tag_b"]);
    assert_eq!(p.fields[0].input, Input::Slot(6));
}

#[test]
fn a_pattern_matching_time_names_the_fix() {
    let err = compile(
        "measurement = \"m\"\n[fields]\n\"*\" = \"float\"",
        &["time", "v"],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("exclude"), "{err}");
}

#[test]
fn a_key_from_a_column_the_header_lacks_is_a_schema_error() {
    let err = compile(
        "measurement = \"m\"\n[fields]\n\"{_field}\" = { column = \"_value\" }",
        &["_value"],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("`_field` is not in the header"), "{err}");
    let p = compile(
        "measurement = \"m\"\n[fields]\n\"{_field}\" = { column = \"_value\" }",
        &["_field", "_value"],
    )
    .unwrap();
    assert_eq!(p.multi.expect("a data key").data_keys[0].slot, 0);
}

#[test]
fn star_paths_nest_and_paths_are_refused_with_csv() {
    let schema = Schema::from_toml(
        "measurement = \"m\"\n[tags]\ns = { path = \"/s/*/id\" }\n[fields]\nv = { path = \"/s/*/r/*/v\" }",
    )
    .unwrap();
    let p = Plan::compile(&schema, Format::Ndjson, None, "in.ndjson").unwrap();
    let m = p.multi.expect("iterations");
    let its: Vec<(&str, Option<usize>)> = m
        .iterations
        .iter()
        .map(|i| (i.source.as_str(), i.parent))
        .collect();
    assert_eq!(its, [("/s/*", None), ("/s/*/r/*", Some(0))]);
    let b: Vec<(Target, usize)> = m.bindings.iter().map(|b| (b.target, b.iteration)).collect();
    assert_eq!(b, [(Target::Tag(0), 0), (Target::Field(0), 1)]);
    let err = Plan::compile(&schema, Format::Csv, Some(&header(&["v"])), "in.csv")
        .unwrap_err()
        .to_string();
    assert!(err.contains("`path` is for NDJSON"), "{err}");
}

#[test]
fn ndjson_pattern_keys_spread_an_object() {
    let schema = Schema::from_toml(
        "measurement = \"m\"\n[tags]\nid = { path = \"/values/id\" }\n[fields]\n\"*\" = { path = \"/values/*\", exclude = [\"note\"] }",
    )
    .unwrap();
    let p = Plan::compile(&schema, Format::Ndjson, None, "in.ndjson").unwrap();
    let m = p.multi.expect("a spread");
    assert!(m.iterations.is_empty());
    assert_eq!(m.spreads.len(), 1);
    assert_eq!(p.pointers[m.spreads[0].container], ["values"]);
    assert_eq!(m.spreads[0].exclude, [b"note".to_vec(), b"id".to_vec()]);
    let schema = Schema::from_toml("measurement = \"m\"\n[fields]\n\"*\" = \"float\"").unwrap();
    let err = Plan::compile(&schema, Format::Ndjson, None, "in.ndjson")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("path = \\\"/values/*\\\"") || err.contains("/values/*"),
        "{err}"
    );
}

#[test]
fn a_pattern_over_tens_of_thousands_of_columns_compiles_in_linear_time() {
    // Each expanded entry resolves its column: by a scan of the header this was quadratic
    // (about a minute here for 40,000 columns); a generous bound, not a benchmark.
    let names: Vec<String> = (0..40_000).map(|i| format!("c{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let start = std::time::Instant::now();
    let p = compile("measurement = \"m\"\n[fields]\n\"*\" = \"float\"", &names).unwrap();
    assert_eq!(p.fields.len(), 40_000);
    assert!(p.multi.is_none());
    assert!(
        start.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}
