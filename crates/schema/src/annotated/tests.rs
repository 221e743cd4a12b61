use super::*;

fn cells(line: &str) -> Vec<String> {
    line.split(',').map(str::to_string).collect()
}

fn preamble(annotations: &[&str], header: &str) -> TablePreamble {
    TablePreamble {
        sep: None,
        annotations: annotations.iter().map(|a| cells(a)).collect(),
        header: cells(header),
        lines_before_header: annotations.len(),
    }
}

fn toml_of(p: &TablePreamble) -> String {
    to_text(&compile(p).unwrap())
}

#[test]
fn a_flux_result_reads_field_and_value_from_the_data_and_group_columns_as_tags() {
    let p = preamble(
        &[
            "#group,false,false,true,true,false,false,true,true,true,true",
            "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string",
            "#default,_result,,,,,,,,,",
        ],
        ",result,table,_start,_stop,_time,_value,_field,_measurement,cpu,host",
    );
    assert_eq!(
        toml_of(&p),
        r##"measurement = { column = "_measurement" }

[timestamp]
column = "_time"
format = "rfc3339"
required = false

[tags]
cpu = { column = "cpu" }
host = { column = "host" }

[fields]
"{_field}" = { column = "_value", type = "float", float_format = "shortest" }

[csv]
skip_rows = 3
comment = "#"
"##
    );
}

#[test]
fn datatype_rows_header_types_constants_and_concat_become_schema_keys() {
    // README example 2, the header form: types after `|`, `ignored` left out.
    let p = preamble(
        &[],
        "m|measurement,cpu|tag,host|tag,time_steal|double,usage_user|double,nothing|ignored,time|dateTime:number",
    );
    let t = toml_of(&p);
    assert!(t.starts_with("measurement = { column = \"m\" }"), "{t}");
    assert!(t.contains("format = \"unix_ns\""), "{t}");
    assert!(
        t.contains(
            "time_steal = { column = \"time_steal\", type = \"float\", float_format = \"shortest\" }"
        ),
        "{t}"
    );
    assert!(!t.contains("nothing ="), "{t}");
    assert!(Schema::from_toml(&t).is_ok(), "{t}");
    // README example 4: constants, a time zone, number and boolean formats.
    let p = TablePreamble {
        sep: None,
        annotations: vec![
            cells("#constant measurement,test"),
            cells("#constant tag,name,datetypeFormats"),
            cells("#timezone -0500"),
        ],
        header: vec![
            "t|dateTime:2006-01-02|1970-01-02".into(),
            "d|double:,. ".into(),
            "b|boolean:y,Y:n,N|y".into(),
        ],
        lines_before_header: 3,
    };
    let t = toml_of(&p);
    for want in [
        "measurement = \"test\"",
        "format = \"%Y-%m-%d\"",
        "timezone = \"-05:00\"",
        "default = \"1970-01-02\"",
        "name = { value = \"datetypeFormats\" }",
        "d = { column = \"d\", type = \"float\", number_format = { decimal = \",\", group = [\".\", \" \"] }, float_format = \"shortest\" }",
        "true_values = [\"y\", \"Y\"]",
        "false_values = [\"n\", \"N\"]",
    ] {
        assert!(t.contains(want), "{want} missing from\n{t}");
    }
    assert!(Schema::from_toml(&t).is_ok(), "{t}");
    // `#concat` templates; a header column without annotation is a field.
    let p = preamble(
        &[
            "#constant,measurement,m",
            "#concat,string,full,${first} ${last}{x}",
        ],
        "first,last",
    );
    let t = toml_of(&p);
    assert!(t.contains("template = \"{first} {last}{{x}}\""), "{t}");
}

#[test]
fn missing_measurement_and_unknown_types_are_schema_errors() {
    let e = compile(&preamble(&["#datatype,tag,double"], "a,b")).unwrap_err();
    assert!(e.to_string().contains("no measurement"), "{e}");
    let e = compile(&preamble(&["#datatype,measurement,decimal"], "a,b,c")).unwrap_err();
    assert!(e.to_string().contains("`decimal` is not supported"), "{e}");
    let e = compile(&preamble(
        &["#timezone,Local", "#datatype,measurement,dateTime:2006"],
        "a,b",
    ))
    .unwrap_err();
    assert!(e.to_string().contains("Local"), "{e}");
}

#[test]
fn annotations_are_named_by_their_first_cell() {
    assert_eq!(Annotation::of("#datatype"), Some(Annotation::Datatype));
    assert_eq!(
        Annotation::of("#DataType measurement"),
        Some(Annotation::Datatype)
    );
    assert_eq!(Annotation::of("#datatypes"), None);
    assert_eq!(Annotation::of("# a comment"), None);
    assert!(Annotation::Group.per_column() && !Annotation::Constant.per_column());
}

#[test]
fn a_one_sided_boolean_list_reads_every_other_text_as_the_other_value() {
    // README example 5: `boolean:y,Y:` with the default `n`.
    let header = |cells: &[&str]| TablePreamble {
        header: cells.iter().map(|c| c.to_string()).collect(),
        ..TablePreamble::default()
    };
    let p = header(&["m|measurement", "available|boolean:y,Y:|n"]);
    let t = toml_of(&p);
    assert!(
        t.contains(
            "available = { column = \"available\", default = \"false\", type = \"boolean\", \
             regex = \"^(?:y|Y)$\", true_values = [\"y\", \"Y\", \"true\"], false_values = [\"false\"] }"
        ),
        "{t}"
    );
    assert!(Schema::from_toml(&t).is_ok(), "{t}");
    // `boolean::no` with a default in the list: everything else is true, empty is false.
    let p = header(&["m|measurement", "b|boolean::no,n.o|no"]);
    let t = toml_of(&p);
    assert!(t.contains(r"regex = '^(?:no|n\.o)$'"), "{t}");
    assert!(t.contains("default = \"false\""), "{t}");
}

#[test]
fn a_label_given_twice_reads_its_last_column() {
    // csv2lp's "no duplicate tags" case: `result` and `table` twice, the last ones tags.
    let p = preamble(
        &[
            "#datatype,string,long,dateTime:RFC3339,double,string,string,string,string",
            "#group,true,true,false,false,true,true,true,true",
        ],
        ",result,table,_time,_value,_field,_measurement,result,table",
    );
    let t = toml_of(&p);
    assert!(
        t.contains(r#"columns = ["", "result~1", "table~1", "_time", "_value", "_field", "_measurement", "result", "table"]"#),
        "{t}"
    );
    assert!(t.contains(r#"result = { column = "result" }"#), "{t}");
    assert!(Schema::from_toml(&t).is_ok(), "{t}");
}

#[test]
fn a_pivoted_flux_result_leaves_result_and_table_out() {
    let p = preamble(
        &[
            "#group,false,false,true,false,false,false",
            "#datatype,string,long,string,dateTime:RFC3339,double,long",
            "#default,_result,,,,,",
        ],
        ",result,table,_measurement,_time,temp,count",
    );
    let t = toml_of(&p);
    assert!(!t.contains("result ="), "{t}");
    assert!(!t.contains("table ="), "{t}");
    assert!(
        t.contains(r#"temp = { column = "temp", type = "float", float_format = "shortest" }"#),
        "{t}"
    );
    assert!(
        t.contains(r#"count = { column = "count", type = "integer", from_float = "truncate" }"#),
        "{t}"
    );
}
