//! Every schema error names the key and says what would fix it (SCHEMA.md "Errors",
//! "Unknown keys anywhere are an error").

use lpconvert_schema::{Format, Plan, Schema, SchemaError};

const BASE: &str = r#"
measurement = "home"
precision = "s"
[timestamp]
column = "time"
format = "unix_s"
[tags]
room = "room"
[fields]
temp = "float"
co = "integer"
"#;

/// Asserts that `toml` is refused with a message containing `key` and every `hints` text.
fn refused(toml: &str, key: &str, hints: &[&str]) {
    let err = match Schema::from_toml(toml) {
        Ok(_) => panic!("accepted, but should be refused naming {key}:\n{toml}"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(
        msg.contains(key),
        "the message does not name {key}: {msg}\n--- schema\n{toml}"
    );
    for h in hints {
        assert!(
            msg.contains(h),
            "the message does not say {h:?}: {msg}\n--- schema\n{toml}"
        );
    }
}

fn with(extra_top: &str, replace: &[(&str, &str)], append: &str) -> String {
    let mut s = format!("{extra_top}{BASE}");
    for (a, b) in replace {
        assert!(s.contains(a), "test bug: {a:?} not in the base schema");
        s = s.replacen(a, b, 1);
    }
    s.push_str(append);
    s
}

#[test]
fn the_base_schema_is_valid() {
    let s = Schema::from_toml(BASE).expect("valid");
    assert_eq!(s.fields.len(), 2);
    assert_eq!(s.tags.len(), 1);
}

#[test]
fn unknown_keys_anywhere() {
    refused(
        &with("measurment = \"x\"\n", &[], ""),
        "`measurment`",
        &["expected one of", "`measurement`"],
    );
    refused(
        &with(
            "",
            &[("format = \"unix_s\"", "format = \"unix_s\"\ntz = \"UTC\"")],
            "",
        ),
        "`tz`",
        &["`timezone`"],
    );
    refused(
        &with("", &[], "[csv]\ndelimeter = \";\"\n"),
        "`delimeter`",
        &["`delimiter`"],
    );
    refused(
        &with(
            "",
            &[(
                "co = \"integer\"",
                "co = { column = \"co\", tpye = \"integer\" }",
            )],
            "",
        ),
        "fields.co",
        &["`tpye`", "`type`"],
    );
    refused(
        &with(
            "",
            &[("room = \"room\"", "room = { colum = \"room\" }")],
            "",
        ),
        "tags.room",
        &["`colum`", "`column`"],
    );
    refused(
        &with("", &[], "[extra]\nx = 1\n"),
        "`extra`",
        &["expected one of"],
    );
    // Field options that do not apply.
    refused(
        &with(
            "",
            &[(
                "room = \"room\"",
                "room = { column = \"room\", type = \"string\" }",
            )],
            "",
        ),
        "tags.room",
        &["only `column`, `path`, `value` and `default`"],
    );
    refused(
        &with(
            "",
            &[(
                "co = \"integer\"",
                "co = { type = \"integer\", true_values = [\"on\"] }",
            )],
            "",
        ),
        "fields.co",
        &["type = \"boolean\""],
    );
    refused(
        "measurement = { column = \"m\", type = \"string\" }\n[fields]\nv = \"float\"\n",
        "measurement",
        &["takes only a source", "`default` and `regex`"],
    );
}

#[test]
fn keys_used_twice() {
    refused(
        &with("", &[], "room = \"string\"\n"),
        "tags.room",
        &["both [tags] and [fields]", "rename one"],
    );
    // A TOML duplicate key within one table.
    refused(&with("", &[], "temp = \"float\"\n"), "temp", &["duplicate"]);
    refused(
        &format!("{BASE}[tags]\nx = \"x\"\n"),
        "tags",
        &["duplicate"],
    );
    // The list form of tags.
    refused(
        "measurement = \"m\"\ntags = [\"room\", \"room\"]\n[fields]\nv = \"float\"\n",
        "tags",
        &["`room`", "twice"],
    );
}

#[test]
fn unknown_values() {
    refused(
        &with("format = \"xml\"\n", &[], ""),
        "`format`",
        &["\"csv\" or \"ndjson\""],
    );
    refused(
        &with("", &[("precision = \"s\"", "precision = \"seconds\"")], ""),
        "`precision`",
        &["\"ns\", \"us\", \"ms\" or \"s\""],
    );
    refused(
        &with("on_error = \"ignore\"\n", &[], ""),
        "`on_error`",
        &["\"fail\" or \"skip\""],
    );
    refused(
        &with("string_newlines = \"drop\"\n", &[], ""),
        "`string_newlines`",
        &["\"reject\" or \"escape\""],
    );
    refused(
        &with("", &[("co = \"integer\"", "co = \"int\"")], ""),
        "`fields.co`",
        &["unknown type `int`", "\"integer\""],
    );
    refused(
        &with("", &[("co = \"integer\"", "co = { type = \"long\" }")], ""),
        "`fields.co`",
        &["unknown type `long`"],
    );
}

#[test]
fn timestamp_errors() {
    refused(
        &with("", &[("format = \"unix_s\"", "format = \"epoch\"")], ""),
        "`timestamp.format`",
        &[
            "unknown timestamp format `epoch`",
            "\"rfc3339\"",
            "strftime",
        ],
    );
    refused(
        &with("", &[("format = \"unix_s\"", "format = \"%Y-%Q\"")], ""),
        "`timestamp.format`",
        &["strftime"],
    );
    refused(
        &with(
            "",
            &[(
                "format = \"unix_s\"",
                "format = \"unix_s\"\ntimezone = \"Mars/Olympus\"",
            )],
            "",
        ),
        "`timestamp.timezone`",
        &["`Mars/Olympus`", "Europe/Berlin", "+05:30"],
    );
    refused(
        &with(
            "",
            &[(
                "format = \"unix_s\"",
                "format = \"unix_s\"\ntimezone = \"+25:00\"",
            )],
            "",
        ),
        "`timestamp.timezone`",
        &["+hh:mm"],
    );
    refused(
        &with("", &[("column = \"time\"\n", "")], ""),
        "`timestamp`",
        &["give `column`", "remove [timestamp]"],
    );
    refused(
        &with("", &[("column = \"time\"", "column = 5")], ""),
        "`timestamp.column`",
        &["column name"],
    );
    refused(
        &with("", &[("column = \"time\"", "column = []")], ""),
        "`timestamp.column`",
        &["list of column names"],
    );
}

#[test]
fn required_keys_and_shapes() {
    refused(
        "[fields]\nv = \"float\"\n",
        "`measurement`",
        &["is required", "measurement = \"home\""],
    );
    refused(
        "measurement = \"m\"\n",
        "`fields`",
        &["at least one field", "[fields]"],
    );
    refused(
        "measurement = \"m\"\n[fields]\n",
        "`fields`",
        &["at least one field"],
    );
    refused(
        "measurement = 3\n[fields]\nv = \"float\"\n",
        "`measurement`",
        &["{ column = \"name\" }"],
    );
    refused(
        "measurement = { column = \"a\", value = \"b\" }\n[fields]\nv = \"float\"\n",
        "`measurement`",
        &["only one of"],
    );
    refused(
        &with("", &[("co = \"integer\"", "co = 5")], ""),
        "`fields.co`",
        &["type name", "{ column = \"c\", type = \"integer\" }"],
    );
    refused(
        &with("", &[("room = \"room\"", "room = 5")], ""),
        "`tags.room`",
        &["{ column = \"name\""],
    );
    refused(
        "measurement = \"m\"\ntags = \"room\"\n[fields]\nv = \"float\"\n",
        "`tags`",
        &["table or a list"],
    );
    // Names that line protocol cannot carry.
    refused(
        "measurement = \"m\\\\\"\n[fields]\nv = \"float\"\n",
        "`measurement`",
        &["backslash"],
    );
    refused(
        "measurement = \"m\"\n[fields]\n\"v\\n\" = \"float\"\n",
        "fields.v",
        &["newline"],
    );
    refused(
        "measurement = \"m\"\n[tags]\nt = { value = \"x\\\\\" }\n[fields]\nv = \"float\"\n",
        "`tags.t`",
        &["backslash"],
    );
}

#[test]
fn csv_errors() {
    refused(
        &with("", &[], "[csv]\nheader = false\n"),
        "`csv.columns`",
        &["header = false", "list the column names"],
    );
    refused(
        &with("", &[], "[csv]\ndelimiter = \";;\"\n"),
        "`csv.delimiter`",
        &["single ASCII character", "\"\\t\""],
    );
    refused(
        &with("", &[], "[csv]\nquote = \"«\"\n"),
        "`csv.quote`",
        &["single ASCII character"],
    );
    refused(
        &with("", &[], "[csv]\ndelimiter = \"\\\"\"\n"),
        "`csv.delimiter`",
        &["must differ from the quote"],
    );
    refused(
        &with("", &[], "[csv]\ndelimiter = \"\\n\"\n"),
        "`csv.delimiter`",
        &["line endings"],
    );
}

fn header(cols: &[&str]) -> Vec<String> {
    cols.iter().map(|s| s.to_string()).collect()
}

#[test]
fn columns_missing_from_the_header() {
    let s = Schema::from_toml(BASE).expect("valid");
    let ok = header(&["time", "room", "temp", "co"]);
    Plan::compile(&s, Format::Csv, Some(&ok), "data.csv").expect("compiles");
    for (missing, key) in [
        ("room", "`tags.room`"),
        ("temp", "`fields.temp`"),
        ("co", "`fields.co`"),
        ("time", "`timestamp.column`"),
    ] {
        let cols: Vec<String> = ok.iter().filter(|c| *c != missing).cloned().collect();
        let msg = match Plan::compile(&s, Format::Csv, Some(&cols), "data.csv") {
            Ok(_) => panic!("compiled without column {missing}"),
            Err(e) => e.to_string(),
        };
        assert!(msg.contains(key), "{msg}");
        assert!(
            msg.contains(&format!("`{missing}`")),
            "names the missing column: {msg}"
        );
        assert!(msg.contains("data.csv"), "names the input: {msg}");
        assert!(
            msg.contains(&cols.join(", ")),
            "lists the columns there are: {msg}"
        );
        assert!(
            msg.contains("fix the name or the [csv] columns list"),
            "says the fix: {msg}"
        );
        assert!(matches!(
            Plan::compile(&s, Format::Csv, Some(&cols), "data.csv"),
            Err(SchemaError::Key { .. })
        ));
    }
    // `path` is for NDJSON only.
    let p = Schema::from_toml(&BASE.replace("room = \"room\"", "room = { path = \"/room\" }"))
        .expect("valid for NDJSON");
    let msg = Plan::compile(&p, Format::Csv, Some(&ok), "data.csv")
        .expect_err("refused for CSV")
        .to_string();
    assert!(
        msg.contains("`tags.room`") && msg.contains("use `column` for CSV"),
        "{msg}"
    );
    // A joined timestamp with one column missing.
    let j = Schema::from_toml(&BASE.replace("column = \"time\"", "column = [\"date\", \"time\"]"))
        .expect("valid");
    let msg = Plan::compile(&j, Format::Csv, Some(&ok), "data.csv")
        .expect_err("refused")
        .to_string();
    assert!(
        msg.contains("`timestamp.column`") && msg.contains("`date`"),
        "{msg}"
    );
}

#[test]
fn toml_syntax_errors_say_where() {
    let msg = Schema::from_toml("measurement = \"m\n[fields]\nv = \"float\"\n")
        .expect_err("refused")
        .to_string();
    assert!(msg.contains("line 1"), "{msg}");
    let msg = Schema::from_toml("measurement = \"m\"\n[fields]\nv = float\n")
        .expect_err("refused")
        .to_string();
    assert!(msg.contains("line 3"), "{msg}");
}

#[test]
fn documented_forms_are_accepted() {
    // The table form without column reads the column named like the key; without type it is float.
    let s = Schema::from_toml(
        "measurement = \"m\"\n[tags]\nhost = {}\n[fields]\nv = {}\nw = { default = 1 }\n",
    )
    .expect("valid");
    let cols = header(&["host", "v", "w"]);
    let plan = Plan::compile(&s, Format::Csv, Some(&cols), "x.csv").expect("compiles");
    assert_eq!(plan.fields[0].ftype, lpconvert_schema::FieldType::Float);
    assert_eq!(plan.fields[0].input, lpconvert_schema::Input::Slot(1));
    assert_eq!(plan.tags[0].input, lpconvert_schema::Input::Slot(0));
    // Every type name, every precision, every unix format, the list form of tags.
    for t in ["float", "integer", "unsigned", "boolean", "string"] {
        Schema::from_toml(&format!("measurement = \"m\"\n[fields]\nv = \"{t}\"\n")).expect(t);
    }
    for p in ["ns", "us", "ms", "s"] {
        Schema::from_toml(&BASE.replace("precision = \"s\"", &format!("precision = \"{p}\"")))
            .expect(p);
    }
    for f in [
        "rfc3339",
        "unix_s",
        "unix_ms",
        "unix_us",
        "unix_ns",
        "%Y-%m-%d",
        "%d/%m/%Y %H:%M:%S%.f %z",
    ] {
        Schema::from_toml(&BASE.replace("format = \"unix_s\"", &format!("format = \"{f}\"")))
            .expect(f);
    }
    for z in [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "+05:30",
        "-0100",
    ] {
        Schema::from_toml(&BASE.replace(
            "format = \"unix_s\"",
            &format!("format = \"unix_s\"\ntimezone = \"{z}\""),
        ))
        .expect(z);
    }
    Schema::from_toml("measurement = \"m\"\ntags = [\"a\", \"b\"]\n[fields]\nv = \"float\"\n")
        .expect("list of tags");
}

#[test]
fn time_as_a_constant_key_is_refused() {
    refused(
        &with("", &[("room = \"room\"", "time = \"room\"")], ""),
        "tags.time",
        &["`time`", "rename"],
    );
    refused(
        &with("", &[], "time = { column = \"t\", type = \"string\" }\n"),
        "fields.time",
        &["`time`", "rename"],
    );
    refused(
        "measurement = \"m\"\ntags = [\"time\"]\n[fields]\nv = \"float\"\n",
        "tags.time",
        &["`time`"],
    );
}

#[test]
fn comment_equal_to_the_delimiter_or_quote_is_refused() {
    refused(
        &with("", &[], "[csv]\ndelimiter = \";\"\ncomment = \";\"\n"),
        "csv.comment",
        &["delimiter"],
    );
    refused(
        &with("", &[], "[csv]\ncomment = \",\"\n"),
        "csv.comment",
        &["delimiter"],
    );
    refused(
        &with("", &[], "[csv]\ncomment = \"\\\"\"\n"),
        "csv.comment",
        &["quote"],
    );
    refused(
        &with("", &[], "[csv]\nquote = \"'\"\ncomment = \"'\"\n"),
        "csv.comment",
        &["quote"],
    );
    refused(
        &with("", &[], "[csv]\ncomment = \"\\n\"\n"),
        "csv.comment",
        &["line"],
    );
    refused(
        &with("", &[], "[csv]\nescape = \";\"\ndelimiter = \";\"\n"),
        "csv.escape",
        &["delimiter"],
    );
    Schema::from_toml(&with("", &[], "[csv]\ncomment = \"#\"\n")).expect("a usual comment");
}

#[test]
fn overlapping_true_and_false_values_are_refused() {
    refused(
        &with(
            "",
            &[],
            "ok = { type = \"boolean\", true_values = [\"on\", \"X\"], false_values = [\"off\", \"x\"] }\n",
        ),
        "fields.ok",
        &["`X`", "both"],
    );
    // Against the defaults of the list not given.
    refused(
        &with(
            "",
            &[],
            "ok = { type = \"boolean\", true_values = [\"1\", \"no\"] }\n",
        ),
        "fields.ok",
        &["`no`", "false_values"],
    );
    Schema::from_toml(&with(
        "",
        &[],
        "ok = { type = \"boolean\", true_values = [\"on\"], false_values = [\"off\"] }\n",
    ))
    .expect("disjoint lists");
}

#[test]
fn duplicate_names_in_csv_columns_are_refused() {
    refused(
        &with(
            "",
            &[],
            "[csv]\nheader = false\ncolumns = [\"time\", \"room\", \"temp\", \"room\"]\n",
        ),
        "csv.columns",
        &["`room`", "2 and 4"],
    );
}

#[test]
fn a_column_named_twice_in_the_header_is_ambiguous() {
    let s = Schema::from_toml(BASE).expect("valid");
    let cols = header(&["time", "room", "temp", "co", "room"]);
    let msg = Plan::compile(&s, Format::Csv, Some(&cols), "data.csv")
        .expect_err("refused")
        .to_string();
    assert!(
        msg.contains("`tags.room`") && msg.contains("2 and 5") && msg.contains("[csv] columns"),
        "{msg}"
    );
    // A duplicate nobody reads is fine.
    let cols = header(&["time", "room", "temp", "co", "x", "x"]);
    Plan::compile(&s, Format::Csv, Some(&cols), "data.csv").expect("compiles");
}

#[test]
fn an_empty_default_is_accepted() {
    let s = Schema::from_toml(&with(
        "",
        &[(
            "room = \"room\"",
            "room = { column = \"room\", default = \"\" }",
        )],
        "s = { type = \"string\", default = \"\" }\n",
    ))
    .expect("an empty default omits the value");
    assert_eq!(s.tags[0].default, None);
}

#[test]
fn defaults_are_checked_against_their_type() {
    refused(
        &with(
            "",
            &[(
                "co = \"integer\"",
                "co = { type = \"integer\", default = \"x\" }",
            )],
            "",
        ),
        "fields.co.default",
        &["\"x\"", "integer"],
    );
    refused(
        &with(
            "",
            &[],
            "ok = { type = \"boolean\", default = \"maybe\" }\n",
        ),
        "fields.ok.default",
        &["\"maybe\""],
    );
    refused(
        &with(
            "",
            &[(
                "room = \"room\"",
                "room = { column = \"room\", default = \"a\\nb\" }",
            )],
            "",
        ),
        "tags.room.default",
        &["newline"],
    );
    refused(
        &with("", &[], "c = { value = \"1.5\", type = \"integer\" }\n"),
        "fields.c.value",
        &["\"1.5\"", "integer"],
    );
    refused(
        &with("", &[], "c = { value = \"\", type = \"string\" }\n"),
        "fields.c.value",
        &["is empty"],
    );
    Schema::from_toml(&with(
        "",
        &[(
            "co = \"integer\"",
            "co = { type = \"integer\", default = 0 }",
        )],
        "ok = { type = \"boolean\", default = true }\n",
    ))
    .expect("valid defaults");
}
