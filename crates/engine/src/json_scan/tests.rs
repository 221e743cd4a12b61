//! Tests of the scanner: extraction, unescaping, exact numbers and syntax errors.

use super::*;

fn scan(row: &str, ptrs: &[&str]) -> Result<Vec<String>, JsonError> {
    let pointers: Vec<Vec<String>> = ptrs
        .iter()
        .map(|p| {
            p.trim_start_matches('/')
                .split('/')
                .map(|t| t.replace("~1", "/").replace("~0", "~"))
                .collect()
        })
        .collect();
    let tree = PointerTree::new(&pointers);
    let mut slots = vec![Slot::default(); ptrs.len()];
    let mut sc = Scanner::default();
    let s = row.as_bytes();
    sc.scan_row(s, 0, &tree, &mut slots)?;
    Ok(slots
        .iter()
        .map(|sl| match &sl.found {
            Found::Missing => "<missing>".to_string(),
            Found::Null => "<null>".to_string(),
            Found::Bool(b) => format!("<{b}>"),
            Found::Number(r) | Found::Str(r) => String::from_utf8(s[r.clone()].to_vec()).unwrap(),
            Found::Decoded(r) => String::from_utf8(sc.scratch[r.clone()].to_vec()).unwrap(),
            Found::Composite(w) => format!("<{w}>"),
        })
        .collect())
}

#[test]
fn extracts_nested_values_and_arrays() {
    let row = r#" {"a": 1, "skip": {"x": [1, {"y": "z"}]}, "b": {"c": "d\"e", "arr": [10, 20.5e+3]}, "a/b": true, "m~n": null} "#;
    assert_eq!(
        scan(
            row,
            &["/a", "/b/c", "/b/arr/1", "/a~1b", "/m~0n", "/b", "/nope", "/b/arr/9"]
        )
        .unwrap(),
        vec![
            "1",
            "d\"e",
            "20.5e+3",
            "<true>",
            "<null>",
            "<an object>",
            "<missing>",
            "<missing>"
        ]
    );
}

#[test]
fn unicode_escapes() {
    assert_eq!(
        scan(r#"{"s": "caf\u00e9 \ud83d\ude00 \\ \/ \n"}"#, &["/s"]).unwrap(),
        vec!["café 😀 \\ / \n"]
    );
    assert!(scan(r#"{"s": "\ud83d"}"#, &["/s"]).is_err());
    assert!(scan(r#"{"s": "\x"}"#, &["/s"]).is_err());
}

#[test]
fn exact_numbers_and_errors() {
    assert_eq!(
        scan(
            r#"{"n": 18446744073709551615, "t": 1631202459121654321}"#,
            &["/n", "/t"]
        )
        .unwrap(),
        vec!["18446744073709551615", "1631202459121654321"]
    );
    for bad in [
        r#"{"a": 01}"#,
        r#"{"a": 1.}"#,
        r#"{"a" 1}"#,
        r#"{"a": tru}"#,
        r#"[1]"#,
        r#"{"a": "x}"#,
        r#"{"a": 1,}"#,
        r#"{"a": [1,]}"#,
    ] {
        assert!(scan(bad, &["/a"]).is_err(), "{bad}");
    }
}
