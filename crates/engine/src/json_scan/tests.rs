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

/// The elements of the container at the first `[` or `{` of `row`: (name, value text start).
fn listed(row: &str) -> Result<Vec<(String, String)>, JsonError> {
    let s = row.as_bytes();
    let at = s.iter().position(|&b| b == b'[' || b == b'{').unwrap_or(0);
    let (mut out, mut names) = (Vec::new(), Vec::new());
    elements(s, at, &mut out, &mut names)?;
    Ok(out
        .iter()
        .map(|e| {
            let name = String::from_utf8(names[e.name()].to_vec()).unwrap();
            let end = skip_value(s, e.start).unwrap();
            (name, row[e.start..end].to_string())
        })
        .collect())
}

#[test]
fn elements_of_arrays_and_objects() {
    let pair = |n: &str, v: &str| (n.to_string(), v.to_string());
    assert_eq!(
        listed(r#"[1, "a" ,{"x":[2]}]"#).unwrap(),
        [
            pair("0", "1"),
            pair("1", "\"a\""),
            pair("2", r#"{"x":[2]}"#)
        ]
    );
    assert_eq!(
        listed(r#"{ "a" : 1 , "b\u0063":null}"#).unwrap(),
        [pair("a", "1"), pair("bc", "null")]
    );
    // A name is read: a raw control character or invalid UTF-8 in it is refused, as in a
    // string value a pointer reads.
    assert!(listed("{\"a\tb\":1}").is_err());
    assert!(listed("{\"a\nb\":1}").is_err());
    let bad = b"{\"a\xff\":1}";
    let (mut out, mut names) = (Vec::new(), Vec::new());
    assert!(elements(bad, 0, &mut out, &mut names).is_err());
    assert!(listed("[ ]").unwrap().is_empty());
    assert!(listed("{}").unwrap().is_empty());
    assert!(listed("5").is_err());
}

#[test]
fn an_element_scans_with_its_own_tree() {
    let row = br#"{"r":[{"t":1,"v":"a\nb"},{"v":2}]}"#;
    let tree = PointerTree::with_slots([(&["v".to_string()][..], 1), (&["t".to_string()][..], 0)]);
    let mut slots = vec![Slot::default(); 2];
    let mut sc = Scanner::default();
    let (mut list, mut names) = (Vec::new(), Vec::new());
    elements(row, 5, &mut list, &mut names).unwrap();
    sc.scan_element(row, list[0].start, &tree, &mut slots, &[0, 1])
        .unwrap();
    assert!(matches!(slots[0].found, Found::Number(_)));
    assert!(matches!(&slots[1].found, Found::Decoded(r) if sc.scratch[r.clone()] == *b"a\nb"));
    sc.scan_element(row, list[1].start, &tree, &mut slots, &[0, 1])
        .unwrap();
    assert_eq!(slots[0].found, Found::Missing);
    assert!(matches!(&slots[1].found, Found::Number(r) if row[r.clone()] == *b"2"));
}
