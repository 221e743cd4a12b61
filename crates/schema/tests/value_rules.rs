//! The keys of SCHEMA.md "More sources" and "More about values": each bad value refused at
//! load (or, for what depends on the input's columns, when the plan is compiled) with the key
//! and the fix; good ones read as written.

use lpconvert_schema::{Format, Plan, Schema, SchemaError};

/// The schema with `entries` under [fields] (after `v = "float"`) and `top` before it.
fn schema(top: &str, timestamp: &str, tags: &str, fields: &str) -> String {
    format!("measurement = \"m\"\n{top}\n[timestamp]\n{timestamp}\n[tags]\n{tags}\n[fields]\nv = \"float\"\n{fields}\n")
}

/// Asserts a load error naming `key` and saying every hint.
fn refused(toml: &str, key: &str, hints: &[&str]) {
    let msg = match Schema::from_toml(toml) {
        Ok(_) => panic!("accepted, should be refused naming {key}:\n{toml}"),
        Err(e) => e.to_string(),
    };
    assert!(msg.contains(key), "does not name {key}: {msg}\n{toml}");
    for h in hints {
        assert!(msg.contains(h), "does not say {h:?}: {msg}\n{toml}");
    }
}

const TS: &str = "column = \"t\"";

#[test]
fn bad_sources_are_refused_at_load() {
    refused(
        &schema("", TS, "h = { file = \"folder\" }", ""),
        "tags.h.file",
        &[
            "unknown part `folder`",
            "\"path\", \"name\", \"stem\" or \"dir\"",
        ],
    );
    refused(
        &schema("", TS, "h = { column = \"p\", regex = \"host=(\" }", ""),
        "tags.h.regex",
        &["not a valid regular expression", "unclosed group"],
    );
    refused(
        &schema("", TS, "", "w = { column = \"x\", regex = \"[z-a]\" }"),
        "fields.w.regex",
        &["not a valid regular expression"],
    );
    refused(
        &schema("", TS, "h = { template = \"{a\" }", ""),
        "tags.h.template",
        &["never closes", "`{{`"],
    );
    refused(
        &schema("", TS, "h = { template = \"a}\" }", ""),
        "tags.h.template",
        &["without its `{`", "`}}`"],
    );
    refused(
        &schema("", TS, "h = { template = \"{}\" }", ""),
        "tags.h.template",
        &["empty"],
    );
    refused(
        &schema("", TS, "h = { template = \"{/a/*/b}\" }", ""),
        "tags.h.template",
        &["holds a `*`"],
    );
    refused(
        &schema("", TS, "h = { template = \"{a}\", column = \"b\" }", ""),
        "tags.h",
        &["give only one of", "`template`", "`file`"],
    );
    refused(
        "measurement = { file = \"name\", regex = \"(\" }\n[fields]\nv = \"float\"\n",
        "measurement.regex",
        &["not a valid regular expression"],
    );
    refused(
        "measurement = { column = \"m\", default = \"a,b\\n\" }\n[fields]\nv = \"float\"\n",
        "measurement.default",
        &[],
    );
    refused(
        &schema("", "column = \"t\"\nfile = \"path\"", "", ""),
        "timestamp",
        &["give only one of"],
    );
    refused(
        &schema("", "file = \"nope\"", "", ""),
        "timestamp.file",
        &["unknown part `nope`"],
    );
}

#[test]
fn bad_value_rules_are_refused_at_load() {
    refused(
        &schema(
            "",
            TS,
            "",
            "i = { type = \"float\", from_float = \"round\" }",
        ),
        "fields.i.from_float",
        &["\"integer\" or \"unsigned\"", "remove it"],
    );
    refused(
        &schema(
            "",
            TS,
            "",
            "i = { type = \"integer\", from_float = \"nearest\" }",
        ),
        "fields.i.from_float",
        &[
            "unknown value `nearest`",
            "\"reject\", \"truncate\" or \"round\"",
        ],
    );
    refused(
        &schema(
            "",
            TS,
            "",
            "s = { type = \"string\", number_format = { decimal = \",\" } }",
        ),
        "fields.s.number_format",
        &["float, integer and unsigned"],
    );
    refused(
        &schema("", TS, "h = { column = \"h\", from_float = \"round\" }", ""),
        "tags.h",
        &["`from_float` and `number_format` apply to number fields"],
    );
    refused(
        &schema(
            "number_format = { decimal = \",\", group = [\",\"] }",
            TS,
            "",
            "",
        ),
        "number_format.group",
        &["also the decimal separator"],
    );
    refused(
        &schema("number_format = { decimal = \"ab\" }", TS, "", ""),
        "number_format.decimal",
        &["one character"],
    );
    refused(
        &schema(
            "number_format = { decimal = \",\", grouping = [\".\"] }",
            TS,
            "",
            "",
        ),
        "grouping",
        &["unknown field"],
    );
    refused(
        &schema(
            "",
            TS,
            "",
            "d = { type = \"duration\", default = \"5 minutes\" }",
        ),
        "fields.d.default",
        &["is not a duration"],
    );
    refused(
        &schema(
            "number_format = { decimal = \",\", group = [\".\"] }",
            TS,
            "",
            "p = { type = \"float\", default = \"1.5\" }",
        ),
        "fields.p.default",
        &["number_format"],
    );
    refused(
        &schema("", TS, "", "d = { type = \"durations\" }"),
        "fields.d",
        &["\"duration\""],
    );
}

#[test]
fn bad_timestamp_keys_are_refused_at_load() {
    refused(
        &schema(
            "",
            "column = \"t\"\nformat = [\"rfc3339\", \"unix_minutes\"]",
            "",
            "",
        ),
        "timestamp.format",
        &["unknown timestamp format `unix_minutes`"],
    );
    refused(
        &schema("", "column = \"t\"\nformat = []", "", ""),
        "timestamp.format",
        &["non-empty list"],
    );
    refused(
        &schema(
            "",
            "column = \"t\"\nformat = \"unix_s\"\ndefault = \"yesterday\"",
            "",
            "",
        ),
        "timestamp.default",
        &["read in the timestamp's format"],
    );
    refused(
        &schema("", "value = \"2024-13-01T00:00:00Z\"", "", ""),
        "timestamp.value",
        &["read in the timestamp's format"],
    );
    refused(
        &schema("", "column = \"t\"\nrequired = \"no\"", "", ""),
        "required",
        &["bool"],
    );
    refused(
        &schema("", "column = \"t\"\nregex = \"(\"", "", ""),
        "timestamp.regex",
        &["not a valid regular expression"],
    );
}

fn compile_err(toml: &str, header: &[&str], format: Format) -> String {
    let s = Schema::from_toml(toml).expect("valid schema");
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    match Plan::compile(&s, format, Some(&header), "in.csv") {
        Ok(_) => panic!("compiled:\n{toml}"),
        Err(SchemaError::Key { key, message }) => format!("`{key}` {message}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_template_naming_a_missing_column_is_a_schema_error() {
    let msg = compile_err(
        &schema("", TS, "loc = { template = \"{building}-{room}\" }", ""),
        &["t", "building", "v"],
        Format::Csv,
    );
    assert!(msg.contains("tags.loc.template"), "{msg}");
    assert!(msg.contains("`{building}-{room}` reads `room`"), "{msg}");
    assert!(
        msg.contains("column `room` is not in the header of in.csv"),
        "{msg}"
    );
    let msg = compile_err(
        &schema("", TS, "loc = { template = \"{/a/b}\" }", ""),
        &["t", "v"],
        Format::Csv,
    );
    assert!(msg.contains("`path` is for NDJSON input"), "{msg}");
    // The timestamp's template is `timestamp.template`, its path `timestamp.path`.
    let ts = |source: &str| {
        format!("measurement = \"m\"\n[timestamp]\n{source}\n[fields]\nv = \"float\"\n")
    };
    let msg = compile_err(&ts("template = \"{d} {nope}\""), &["d", "v"], Format::Csv);
    assert!(
        msg.starts_with("`timestamp.template` `{d} {nope}` reads `nope`"),
        "{msg}"
    );
    let msg = compile_err(&ts("path = \"/t\""), &["d", "v"], Format::Csv);
    assert!(msg.starts_with("`timestamp.path`"), "{msg}");
}

#[test]
fn an_empty_constant_measurement_needs_a_default() {
    let toml = "measurement = { file = \"dir\" }\n[fields]\nv = \"float\"\n";
    let s = Schema::from_toml(toml).expect("valid");
    let h = vec!["v".to_string()];
    let e = Plan::compile_input(&s, Format::Csv, Some(&h), "<stdin>", None)
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains("measurement") && e.contains("give a `default`"),
        "{e}"
    );
    let with_default =
        "measurement = { file = \"dir\", default = \"m\" }\n[fields]\nv = \"float\"\n";
    let s = Schema::from_toml(with_default).expect("valid");
    assert!(Plan::compile_input(&s, Format::Csv, Some(&h), "x.csv", Some("x.csv")).is_ok());
}

#[test]
fn a_plain_schema_compiles_to_a_plain_plan() {
    let s = Schema::from_toml(&schema("", TS, "h = \"h\"", "i = \"integer\"")).expect("valid");
    let h: Vec<String> = ["t", "h", "v", "i"].iter().map(|s| s.to_string()).collect();
    let p = Plan::compile(&s, Format::Csv, Some(&h), "in.csv").expect("plan");
    assert!(!p.rich);
    assert!(p.tags.iter().all(|t| t.rule.is_none()));
    assert!(p.fields.iter().all(|f| f.rule.is_none()));
    // Constants and file parts are folded (regex included) into plain constants.
    let s = Schema::from_toml(&schema(
        "",
        TS,
        "h = { file = \"path\", regex = \"host=([^/]+)\" }\nk = { value = \"abc\", regex = \"b.\" }",
        "",
    ))
    .expect("valid");
    let p = Plan::compile_input(
        &s,
        Format::Csv,
        Some(&h),
        "data/host=web01/2024-01-01.csv",
        Some("data/host=web01/2024-01-01.csv"),
    )
    .expect("plan");
    assert!(!p.rich);
    let consts: Vec<_> = p.tags.iter().map(|t| t.input.clone()).collect();
    assert_eq!(
        consts,
        vec![
            lpconvert_schema::Input::Const(b"web01".to_vec()),
            lpconvert_schema::Input::Const(b"bc".to_vec())
        ]
    );
}

#[test]
fn an_empty_or_null_constant_takes_its_default_at_load_too() {
    // SCHEMA.md "Sources": `default` is used when the source is empty or in null_values,
    // a `value` included; the load checks read the constant as the mapper does.
    for toml in [
        "measurement = { value = \"\", default = \"m\" }\n[fields]\nv = \"float\"\n",
        "measurement = \"m\"\n[tags]\nt = { value = \"\", default = \"d\" }\n[fields]\nv = \"float\"\n",
        "measurement = \"m\"\n[fields]\nv = \"float\"\nw = { value = \"\", default = \"2\", type = \"integer\" }\n",
        "measurement = \"m\"\nnull_values = [\"NA\"]\n[fields]\nv = \"float\"\nw = { value = \"NA\", default = \"2\", type = \"integer\" }\n",
        "measurement = \"m\"\nnull_values = [\"NA\"]\n[timestamp]\nvalue = \"NA\"\ndefault = \"2024-01-01T00:00:00Z\"\n[fields]\nv = \"float\"\n",
        "measurement = \"m\"\n[timestamp]\nvalue = \"\"\nrequired = false\n[fields]\nv = \"float\"\n",
    ] {
        if let Err(e) = Schema::from_toml(toml) {
            panic!("refused: {e}\n{toml}");
        }
    }
    refused(
        "measurement = \"m\"\nnull_values = [\"NA\"]\n[fields]\nv = \"float\"\nw = { value = \"NA\", type = \"integer\" }\n",
        "fields.w.value",
        &["null_values", "never be written"],
    );
    refused(
        "measurement = \"m\"\n[timestamp]\nvalue = \"\"\n[fields]\nv = \"float\"\n",
        "timestamp.value",
        &["`default`", "required = false"],
    );
}

#[test]
fn a_malformed_number_format_names_its_key_and_the_form() {
    refused(
        "measurement = \"m\"\nnumber_format = { decimal = \",\", grop = [\".\"] }\n[fields]\nv = \"float\"\n",
        "number_format",
        &["unknown field `grop`", "`decimal` and `group`"],
    );
    refused(
        "measurement = \"m\"\n[fields]\nv = { type = \"float\", number_format = { group = \".\" } }\n",
        "fields.v.number_format.group",
        &["group = [\".\"]"],
    );
    refused(
        "measurement = \"m\"\n[fields]\nv = { type = \"float\", number_format = \"de\" }\n",
        "fields.v.number_format",
        &["must be a table", "decimal = \",\""],
    );
    refused(
        "measurement = \"m\"\n[fields]\nv = { type = \"float\", number_format = { decimal = 1 } }\n",
        "fields.v.number_format.decimal",
        &["must be a string"],
    );
}

#[test]
fn float_format_is_for_float_fields_and_names_its_values() {
    refused(
        &schema(
            "",
            TS,
            "",
            "i = { type = \"integer\", float_format = \"shortest\" }",
        ),
        "fields.i.float_format",
        &["type = \"float\"", "remove it"],
    );
    refused(
        &schema(
            "",
            TS,
            "",
            "f = { type = \"float\", float_format = \"short\" }",
        ),
        "fields.f.float_format",
        &["unknown value `short`", "\"as_read\" or \"shortest\""],
    );
    refused(
        &schema(
            "",
            TS,
            "h = { column = \"h\", float_format = \"shortest\" }",
            "",
        ),
        "tags.h",
        &["`float_format` applies to float fields"],
    );
    refused(
        &schema("", "column = \"t\"\nfloat_format = \"shortest\"", "", ""),
        "float_format",
        &[],
    );
    for ok in ["as_read", "shortest"] {
        let toml = schema("", TS, "", &format!("f = {{ float_format = \"{ok}\" }}"));
        let s = Schema::from_toml(&toml).unwrap_or_else(|e| panic!("{ok}: {e}"));
        let h: Vec<String> = ["t", "v", "f"].iter().map(|s| s.to_string()).collect();
        let p = Plan::compile(&s, Format::Csv, Some(&h), "in.csv").expect("plan");
        // Only "shortest" rewrites the text: "as_read" keeps the plain mapper.
        assert_eq!(p.rich, ok == "shortest", "{ok}");
    }
}
