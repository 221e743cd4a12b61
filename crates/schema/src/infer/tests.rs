use super::*;
use crate::Schema;

fn csv_table(rows: &[&[&str]], names: &[&str]) -> Table {
    Table {
        columns: names
            .iter()
            .enumerate()
            .map(|(i, n)| Column {
                name: n.to_string(),
                path: None,
                cells: rows
                    .iter()
                    .map(|r| Some((Kind::Text, r[i].to_string())))
                    .collect(),
                shaped: 0,
            })
            .collect(),
        rows: rows.len(),
        ..Table::default()
    }
}

fn opts(name: &str) -> Options {
    Options {
        measurement: name.into(),
        format: crate::Format::Csv,
        write_format: false,
        input_name: format!("{name}.csv"),
        csv: None,
        default_delimiter: b',',
        truncated: false,
    }
}

fn draft(t: &Table, o: &Options) -> Schema {
    let text = infer(t, o);
    Schema::from_toml(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn home_data() {
    let mut rows: Vec<[String; 5]> = Vec::new();
    for i in 0..40 {
        let room = ["Living Room", "Kitchen"][i % 2];
        rows.push([
            (1_641_024_000 + 3600 * (i / 2)).to_string(),
            room.into(),
            format!("{}.{}", 20 + i % 3, i % 10),
            "35.9".into(),
            (i % 4).to_string(),
        ]);
    }
    let r: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(|s| s.as_str()).collect())
        .collect();
    let r: Vec<&[&str]> = r.iter().map(|v| v.as_slice()).collect();
    let t = csv_table(&r, &["time", "room", "temp", "hum", "co"]);
    let text = infer(&t, &opts("home"));
    assert!(text.contains("format = \"unix_s\""), "{text}");
    assert!(text.contains("precision = \"s\""), "{text}");
    assert!(
        text.contains("room = \"room\"  # 2 distinct values in 40 rows -> tag"),
        "{text}"
    );
    assert!(text.contains("temp = \"float\""), "{text}");
    assert!(text.contains("co = \"integer\""), "{text}");
    let s = draft(&t, &opts("home"));
    assert_eq!(s.tags.len(), 1);
    assert_eq!(s.fields.len(), 3);
}

#[test]
fn formats_and_precisions() {
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["2022-01-01T08:00:00Z", "2022-01-01T08:00:10Z"],
            "rfc3339",
            "s",
        ),
        (
            &["2022-01-01T08:00:00.123Z", "2022-01-01 08:00:10+02:00"],
            "rfc3339",
            "ms",
        ),
        (
            &["2022-01-01 08:00:00", "2022-01-01 08:00:10.5"],
            "rfc3339",
            "ms",
        ),
        (
            &["2022-01-01 08:00", "2022-01-01 08:10"],
            "%Y-%m-%d %H:%M",
            "s",
        ),
        (
            &["31/01/2022 08:00", "01/02/2022 09:30"],
            "%d/%m/%Y %H:%M",
            "s",
        ),
        (
            &["01/31/2022 08:00:00", "02/01/2022 09:30:00"],
            "%m/%d/%Y %H:%M:%S",
            "s",
        ),
        (&["2022/01/01", "1970/01/01"], "%Y/%m/%d", "s"),
        (&["1641024000123", "1641024000456"], "unix_ms", "ms"),
        (&["1641024000123456", "1641024000456789"], "unix_us", "us"),
        (
            &["1641024000123456789", "1641024000456789000"],
            "unix_ns",
            "ns",
        ),
        (&["1551129661.954561233", "1551129662"], "unix_s", "ns"),
    ];
    for (vals, format, prec) in cases {
        let rows: Vec<[&str; 2]> = vals.iter().map(|v| [*v, "1.5"]).collect();
        let r: Vec<&[&str]> = rows.iter().map(|r| r.as_slice()).collect();
        let t = csv_table(&r, &["time", "v"]);
        let text = infer(&t, &opts("m"));
        assert!(
            text.contains(&format!("format = {}", toml_string(format))),
            "{vals:?}\n{text}"
        );
        assert!(
            text.contains(&format!("precision = \"{prec}\"")),
            "{vals:?}\n{text}"
        );
        draft(&t, &opts("m"));
    }
}

#[test]
fn date_and_time_columns_are_joined() {
    let r: Vec<&[&str]> = vec![
        &["2022-01-01", "05:00:00", "1"],
        &["2022-01-02", "06:30:00.25", "2"],
    ];
    let t = csv_table(&r, &["date", "time", "v"]);
    let text = infer(&t, &opts("j"));
    assert!(text.contains("column = [\"date\", \"time\"]"), "{text}");
    assert!(text.contains("format = \"%Y-%m-%d %H:%M:%S%.f\""), "{text}");
    draft(&t, &opts("j"));
}

#[test]
fn types_with_empty_cells_and_bad_timestamps() {
    let r: Vec<&[&str]> = vec![
        &["2022-01-01T00:00:00Z", "1", "", "yes", "a"],
        &["soon", "", "2.5", "no", "b"],
        &["2022-01-01T00:00:02Z", "3", "1e3", "Y", "a\\"],
    ];
    let t = csv_table(&r, &["time", "i", "f", "b", "s"]);
    let text = infer(&t, &opts("t"));
    // A timestamp column with a bad value is no timestamp.
    assert!(text.contains("No timestamp"), "{text}");
    assert!(text.contains("i = \"integer\""), "{text}");
    assert!(text.contains("f = \"float\""), "{text}");
    assert!(text.contains("b = \"boolean\""), "{text}");
    // `a\` cannot be a tag value.
    assert!(text.contains("s = \"string\""), "{text}");
    // `time` is no key InfluxDB 1.x accepts.
    assert!(text.contains("time_2 = { column = \"time\""), "{text}");
    draft(&t, &opts("t"));
}

#[test]
fn keys_that_need_quoting() {
    let r: Vec<&[&str]> = vec![&["1", "x", "2"], &["3", "x", "4"]];
    let t = csv_table(&r, &["field key,=x", "ünï", "a\"b"]);
    let text = infer(&t, &opts("we ird"));
    let s = draft(&t, &opts("we ird"));
    assert_eq!(s.fields.len(), 2, "{text}");
    assert!(text.contains("\"ünï\" = \"ünï\""), "{text}");
    assert!(text.contains("\"a\\\"b\" = \"integer\""), "{text}");
}

#[test]
fn sniffing() {
    let g = sniff_csv(b"a;b;c\n1;2;3\n4;5;6\n", b',');
    assert_eq!((g.delimiter, g.skip_rows), (b';', 0));
    let g = sniff_csv(b"a\tb\n1\t2\n", b',');
    assert_eq!(g.delimiter, b'\t');
    let g = sniff_csv(b"a|b\n\"x|y\"|2\n", b',');
    assert_eq!(g.delimiter, b'|');
    let g = sniff_csv(b"Report \"generated, by x\nunits: none\nv\n1\nx\n", b',');
    assert_eq!(g.skip_rows, 1);
    let g = sniff_csv(b"Title of it\nt,a,b\n1,2,3\n4,5,6\n", b',');
    assert_eq!((g.delimiter, g.skip_rows), (b',', 1));
    let g = sniff_csv(b"v\n1\n# note\n2\n", b',');
    assert_eq!(g.comment, Some(b'#'));
    assert!(looks_like_header(&["a".into(), "b".into()], &[]));
    assert!(!looks_like_header(&["1".into(), "b".into()], &[]));
}

#[test]
fn a_repeated_header_name_gets_csv_columns() {
    let r: Vec<&[&str]> = vec![&["1.5", "2.5", "x"], &["3.5", "4.5", "y"]];
    let t = csv_table(&r, &["dup", "dup", "dup_2"]);
    let mut o = opts("d");
    o.csv = Some(CsvGuess {
        delimiter: b',',
        header: true,
        skip_rows: 0,
        comment: None,
        trim: false,
        escape: None,
        quote: b'"',
        consistent_lines: 2,
        lines: 2,
    });
    let text = infer(&t, &o);
    assert!(
        text.contains("columns = [\"dup\", \"dup_3\", \"dup_2\"]"),
        "{text}"
    );
    let s = draft(&t, &o);
    assert_eq!(s.fields.len(), 3, "{text}");
}

#[test]
fn day_and_month_that_could_be_swapped_are_flagged() {
    // Every day is 12 or less: `%d/%m` and `%m/%d` both read the sample, with different
    // times. The draft must say so rather than pick one silently.
    let t = csv_table(
        &[&["01/02/2020 10:00:00", "1"], &["03/04/2020 10:00:00", "2"]],
        &["time", "v"],
    );
    let text = infer(&t, &opts("d"));
    assert!(text.contains("%m/%d/%Y %H:%M:%S"), "{text}");
    assert!(text.contains("ambiguous"), "{text}");
    // A day over 12 settles it: no note.
    let t = csv_table(
        &[&["01/02/2020 10:00:00", "1"], &["13/04/2020 10:00:00", "2"]],
        &["time", "v"],
    );
    let text = infer(&t, &opts("d"));
    assert!(text.contains("format = \"%d/%m/%Y %H:%M:%S\""), "{text}");
    assert!(!text.contains("ambiguous"), "{text}");
    // A date column joined with a time column.
    let t = csv_table(
        &[&["01/02/2020", "10:00", "1"], &["03/04/2020", "11:00", "2"]],
        &["date", "clock", "v"],
    );
    let text = infer(&t, &opts("d"));
    assert!(text.contains("ambiguous"), "{text}");
    draft(&t, &opts("d"));
}

#[test]
fn floats_with_more_digits_than_a_float_keeps_are_flagged() {
    // 18446744073709551615 is out of the integer range: drafted as float, it is stored as
    // 18446744073709552000. The draft says so.
    let t = csv_table(&[&["18446744073709551615"], &["1"]], &["id"]);
    let text = infer(&t, &opts("big"));
    assert!(text.contains("id = \"float\""), "{text}");
    assert!(text.contains("17 significant digits"), "{text}");
    let t = csv_table(&[&["0.0000123456789012345678"], &["1.5"]], &["x"]);
    assert!(infer(&t, &opts("x")).contains("17 significant digits"));
    // Ordinary floats: no note.
    let t = csv_table(&[&["21.5"], &["1e-3"], &["0.1234567890123456"]], &["x"]);
    assert!(!infer(&t, &opts("x")).contains("significant"));
}

#[test]
fn numbers_with_leading_zeros_are_flagged() {
    // Postal codes and ids: `00123` drafted as an integer is stored as 123.
    let t = csv_table(&[&["00123"], &["04567"]], &["zip"]);
    let text = infer(&t, &opts("z"));
    assert!(text.contains("leading zeros"), "{text}");
    let t = csv_table(&[&["0"], &["-0.5"], &["10"]], &["x"]);
    assert!(!infer(&t, &opts("x")).contains("leading zeros"));
}

/// A table of `n` numeric columns `s1..sn` beside a time and a text column.
fn wide_table(n: usize) -> Table {
    let mut names = vec!["time".to_string(), "note".to_string()];
    names.extend((1..=n).map(|i| format!("s{i}")));
    let rows: Vec<Vec<String>> = (0..4)
        .map(|r| {
            let mut row = vec![(1_700_000_000 + r).to_string(), format!("note {r}")];
            row.extend((1..=n).map(|i| format!("{}.{r}", i % 7)));
            row
        })
        .collect();
    let rows: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    csv_table(&rows, &names)
}

#[test]
fn a_wide_table_gets_one_pattern_key_for_its_numeric_columns() {
    let text = infer(&wide_table(51), &opts("wide"));
    assert!(text.contains("\n\"*\" = \"float\"  # "), "{text}");
    assert!(text.contains("# 51 numeric columns (s1 ... s51)"), "{text}");
    assert!(text.contains("\nnote = \"string\""), "{text}");
    assert!(!text.contains("\ns1 = "), "{text}");
    draft(&wide_table(51), &opts("wide"));
    // At the threshold, one entry per column as before.
    let text = infer(&wide_table(50), &opts("wide"));
    assert!(!text.contains("\"*\""), "{text}");
    assert!(text.contains("\ns50 = \"float\""), "{text}");
}

#[test]
fn a_wide_table_excludes_columns_without_values() {
    let mut t = wide_table(60);
    for c in &mut t.columns[5..7] {
        for cell in &mut c.cells {
            *cell = Some((Kind::Text, String::new()));
        }
    }
    let text = infer(&t, &opts("wide"));
    assert!(
        text.contains("\"*\" = { type = \"float\", exclude = [\"s4\", \"s5\"] }"),
        "{text}"
    );
    assert!(text.contains("# 58 numeric columns (s1 ... s60)"), "{text}");
    draft(&t, &opts("wide"));
}

/// The drafted field of `key`: its type and `number_format` (the top-level one applied).
fn field(s: &Schema, key: &str) -> (crate::spec::FieldType, Option<crate::spec::NumberFormat>) {
    let f = s
        .fields
        .iter()
        .find(|f| f.key == key)
        .unwrap_or_else(|| panic!("no field {key}"));
    (f.ftype, f.number_format.clone())
}

fn comma(group: &[&str]) -> Option<crate::spec::NumberFormat> {
    Some(crate::spec::NumberFormat {
        decimal: ",".into(),
        group: group.iter().map(|g| g.to_string()).collect(),
    })
}

/// Rows of a weather export: decimal-comma temperatures, a humidity with `n/a`, a station.
fn station_rows(n: usize) -> Vec<[String; 4]> {
    (0..n)
        .map(|i| {
            [
                ["Nord", "Süd"][i % 2].to_string(),
                format!("{},{}", 8 + i % 13, i % 10),
                if i % 9 == 4 {
                    "n/a".into()
                } else {
                    (40 + i % 50).to_string()
                },
                ["-", "1007,5", "998,0", "1.012,25"][i % 4].to_string(),
            ]
        })
        .collect()
}

fn table_of(rows: &[[String; 4]], names: &[&str]) -> Table {
    let r: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let r: Vec<&[&str]> = r.iter().map(Vec::as_slice).collect();
    csv_table(&r, names)
}

#[test]
fn decimal_commas_give_number_format_and_null_like_text_null_values() {
    use crate::spec::FieldType;
    let t = table_of(&station_rows(40), &["station", "temp", "hum", "hpa"]);
    let text = infer(&t, &opts("w"));
    let s = draft(&t, &opts("w"));
    // `1.012,25` needs `.` groups, which also read `21,5`: one top-level format.
    assert!(
        text.contains("number_format = { decimal = \",\", group = [\".\"] }  #"),
        "{text}"
    );
    assert_eq!(
        field(&s, "temp"),
        (FieldType::Float, comma(&["."])),
        "{text}"
    );
    assert_eq!(
        field(&s, "hpa"),
        (FieldType::Float, comma(&["."])),
        "{text}"
    );
    assert_eq!(
        field(&s, "hum"),
        (FieldType::Integer, comma(&["."])),
        "{text}"
    );
    assert_eq!(s.tags.len(), 1, "{text}");
    assert_eq!(s.null_values, vec!["", "-", "n/a"], "{text}");
    assert!(
        text.contains("\"n/a\" (4)"),
        "the odd values are quoted: {text}"
    );
    assert!(text.contains("\"-\" (10)"), "{text}");
}

#[test]
fn a_comma_column_beside_a_point_column_shares_one_number_format() {
    use crate::spec::FieldType;
    let rows: Vec<[String; 4]> = station_rows(40)
        .into_iter()
        .enumerate()
        .map(|(i, [a, b, c, _])| [a, b, c, format!("{}.{}", i % 7, i % 3)])
        .collect();
    let t = table_of(&rows, &["station", "temp", "hum", "wind"]);
    let text = infer(&t, &opts("w"));
    let s = draft(&t, &opts("w"));
    // A decimal comma format without "." groups reads the decimal points of `wind` as they
    // are: one top-level format serves both columns.
    assert!(
        text.contains("\nnumber_format = { decimal = \",\" }"),
        "one top-level format: {text}"
    );
    assert_eq!(field(&s, "temp"), (FieldType::Float, comma(&[])), "{text}");
    assert_eq!(field(&s, "wind"), (FieldType::Float, comma(&[])), "{text}");
    assert_eq!(field(&s, "hum"), (FieldType::Integer, comma(&[])), "{text}");
}

#[test]
fn numbers_in_another_format_are_never_read_as_empty() {
    // 1 value in 20 with a decimal comma among decimal points: a decimal comma format
    // without "." groups reads both, exactly; none is put in null_values.
    let rows: Vec<[String; 4]> = (0..40)
        .map(|i| {
            let t = format!("{}.{}", 10 + i % 9, i % 10);
            let t = if i % 20 == 3 { t.replace('.', ",") } else { t };
            ["a".into(), t, "NA".into(), "1".into()]
        })
        .collect();
    let t = table_of(&rows, &["s", "temp", "x", "y"]);
    let text = infer(&t, &opts("m"));
    let s = draft(&t, &opts("m"));
    assert_eq!(
        field(&s, "temp"),
        (crate::spec::FieldType::Float, comma(&[])),
        "{text}"
    );
    assert!(
        s.null_values.iter().all(|n| !n.contains(',')),
        "{:?}\n{text}",
        s.null_values
    );
    assert!(
        text.contains("40 numbers written with a decimal comma (38 with a decimal point)"),
        "{text}"
    );
    assert!(!text.contains("rejected"), "{text}");
    // `1,234` may be a thousand: never read as empty either.
    let t = csv_table(&[&["1,234"], &["5"], &["6"]], &["n"]);
    let text = infer(&t, &opts("k"));
    assert!(!text.contains("null_values"), "{text}");
    // A column of null-like text only is no number.
    let t = csv_table(&[&["n/a"], &["-"]], &["n"]);
    assert!(infer(&t, &opts("k")).contains("n = \"string\""));
}

#[test]
fn null_like_text_is_set_aside_before_the_share_of_odd_values() {
    // Half the cells `n/a`: still an integer column.
    let rows: Vec<[String; 4]> = (0..40)
        .map(|i| {
            let v = if i % 2 == 0 {
                "n/a".into()
            } else {
                i.to_string()
            };
            ["a".into(), v, "null".into(), "x".into()]
        })
        .collect();
    let t = table_of(&rows, &["s", "v", "w", "z"]);
    let text = infer(&t, &opts("n"));
    let s = draft(&t, &opts("n"));
    assert_eq!(field(&s, "v").0, crate::spec::FieldType::Integer, "{text}");
    assert!(s.null_values.contains(&"n/a".to_string()), "{text}");
    // Other text is odd: more than one value in ten makes the column text.
    let rows: Vec<[String; 4]> = (0..40)
        .map(|i| {
            let v = if i % 4 == 0 {
                "err".into()
            } else {
                i.to_string()
            };
            ["a".into(), v, "1".into(), "x".into()]
        })
        .collect();
    let t = table_of(&rows, &["s", "v", "w", "z"]);
    let s = draft(&t, &opts("n"));
    assert_eq!(field(&s, "v").0, crate::spec::FieldType::String);
}

#[test]
fn a_null_like_text_of_a_tag_is_not_read_as_empty() {
    // `NA` names a region (a tag) and is a missing reading in `v`: reading it as empty
    // would drop the tag, so it stays out of null_values (those `v` rows are rejected).
    let rows: Vec<[String; 4]> = (0..40)
        .map(|i| {
            let v = if i % 10 == 0 {
                "NA".into()
            } else {
                i.to_string()
            };
            let note = if i % 7 == 0 { "NULL" } else { "ok" };
            [["EU", "NA"][i % 2].into(), v, note.into(), format!("t{i}")]
        })
        .collect();
    let t = table_of(&rows, &["region", "v", "w", "note"]);
    let text = infer(&t, &opts("n"));
    let s = draft(&t, &opts("n"));
    assert_eq!(field(&s, "v").0, crate::spec::FieldType::Integer, "{text}");
    assert!(!s.null_values.contains(&"NA".to_string()), "{text}");
    assert!(
        text.contains("rows with it in a numeric column are rejected"),
        "{text}"
    );
}
