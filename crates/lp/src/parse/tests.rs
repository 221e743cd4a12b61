use super::*;

fn ok(line: &str) -> Line<'_> {
    parse_line(line.as_bytes()).unwrap_or_else(|e| panic!("{line}: {e}"))
}

fn kind(line: &str) -> ErrorKind {
    match parse_line(line.as_bytes()) {
        Ok(l) => panic!("{line}: accepted as {l:?}"),
        Err(e) => e.kind,
    }
}

fn tags(l: &Line<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
    l.tags()
        .map(|(k, v)| (unescape_key(k).into_owned(), unescape_key(v).into_owned()))
        .collect()
}

#[test]
fn tricky_lines_of_line_protocol_md() {
    let l = ok(r"cpu,host=two\ words value=42");
    assert_eq!(tags(&l), vec![(b"host".to_vec(), b"two words".to_vec())]);
    assert_eq!(
        l.fields().next(),
        Some((&b"value"[..], FieldValue::Float(42.0)))
    );

    let l = ok(r"m,hi\ yo\ =w\,est,server=a x=1");
    assert_eq!(
        tags(&l),
        vec![
            (b"hi yo ".to_vec(), b"w,est".to_vec()),
            (b"server".to_vec(), b"a".to_vec())
        ]
    );

    let l = ok(r"cpu va\ lue=42");
    let (k, v) = l.fields().next().unwrap();
    assert_eq!(&*unescape_key(k), b"va lue");
    assert_eq!(v, FieldValue::Float(42.0));

    let l = ok(r"cpu=load,equals\=foo=tag\=value value=1i");
    assert_eq!(&*unescape_measurement(l.measurement), b"cpu=load");
    assert_eq!(
        tags(&l),
        vec![(b"equals=foo".to_vec(), b"tag=value".to_vec())]
    );
    assert_eq!(l.fields().next().unwrap().1, FieldValue::Integer(1));

    let l = ok(r#""cpu",host=a value=1.0"#);
    assert_eq!(l.measurement, br#""cpu""#);

    let l = ok(r#"cpu value="test\\\"" 1000000000"#);
    match l.fields().next().unwrap().1 {
        FieldValue::String(s) => assert_eq!(&*unescape_string(s), br#"test\""#),
        v => panic!("{v:?}"),
    }
    assert_eq!(l.timestamp, Some(1_000_000_000));

    let l = ok(r#"cpu value="test\\" 1000000000"#);
    match l.fields().next().unwrap().1 {
        FieldValue::String(s) => assert_eq!(&*unescape_string(s), br"test\"),
        v => panic!("{v:?}"),
    }

    assert_eq!(kind(r"m,t=a\\ f=1"), ErrorKind::EndsInBackslash);
    assert_eq!(
        kind("cpu value=9223372036854775808i"),
        ErrorKind::OutOfRange
    );
    let l = ok("m f=18446744073709551615u");
    assert_eq!(l.fields().next().unwrap().1, FieldValue::Unsigned(u64::MAX));
    assert_eq!(
        kind("b f=1 9223372036854775808"),
        ErrorKind::TimestampOutOfRange
    );
    assert!(parse_line(b"cpu value=1 9223372036854775807 12").is_err());
    assert_eq!(
        kind("cpu value=1 9223372036854775806 12"),
        ErrorKind::TextAfterTimestamp
    );
    assert_eq!(kind("cpu,b=2,c=3,b=1 value=1i"), ErrorKind::DuplicateTag);
}

#[test]
fn the_line_rules() {
    assert_eq!(kind("m,t= f=1"), ErrorKind::EmptyTagValue);
    assert_eq!(kind("m f=1 # x"), ErrorKind::InvalidTimestamp);
    assert_eq!(kind("m f=1\r"), ErrorKind::LineBreak);
    assert_eq!(kind("# comment"), ErrorKind::NotALine);
    assert_eq!(kind("   "), ErrorKind::NotALine);
    assert_eq!(kind("m"), ErrorKind::MissingFields);
    assert_eq!(kind("m,t=a"), ErrorKind::MissingFields);
    assert_eq!(kind(",t=a f=1"), ErrorKind::MissingMeasurement);
    assert_eq!(kind("m,t f=1"), ErrorKind::BadTag);
    assert_eq!(kind("m,=a f=1"), ErrorKind::BadTag);
    assert_eq!(kind("m f"), ErrorKind::BadField);
    assert_eq!(kind("m f="), ErrorKind::MissingFieldValue);
    assert_eq!(kind("m f=1,"), ErrorKind::BadField);
    assert_eq!(kind("m f=\"abc"), ErrorKind::UnterminatedString);
    assert_eq!(kind("m f=1.5 1.5"), ErrorKind::InvalidTimestamp);
    assert_eq!(kind(r"m\\ f=1"), ErrorKind::EndsInBackslash);
    let long = format!("m f=\"{}\"", "x".repeat(MAX_STRING_LEN + 1));
    assert_eq!(kind(&long), ErrorKind::StringTooLong);
    let ok_long = format!("m f=\"{}\"", "x".repeat(MAX_STRING_LEN));
    ok(&ok_long);
    // 33 tags: the duplicate check goes past the inline array.
    let many: String = (0..33).map(|i| format!(",k{i}=v")).collect();
    ok(&format!("m{many} f=1"));
    assert_eq!(kind(&format!("m{many},k32=w f=1")), ErrorKind::DuplicateTag);
}

#[test]
fn values() {
    let v = |s: &str| {
        let line: &'static str = Box::leak(format!("m f={s}").into_boxed_str());
        ok(line).fields().next().unwrap().1
    };
    assert_eq!(v("1"), FieldValue::Float(1.0));
    assert_eq!(v("-1.5"), FieldValue::Float(-1.5));
    assert_eq!(v("1e-3"), FieldValue::Float(1e-3));
    assert_eq!(v("1.234E06"), FieldValue::Float(1.234e6));
    assert_eq!(v("007i"), FieldValue::Integer(7));
    assert_eq!(v("-9223372036854775808i"), FieldValue::Integer(i64::MIN));
    assert_eq!(v("0u"), FieldValue::Unsigned(0));
    for t in ["t", "T", "true", "True", "TRUE"] {
        assert_eq!(v(t), FieldValue::Boolean(true));
    }
    for f in ["f", "F", "false", "False", "FALSE"] {
        assert_eq!(v(f), FieldValue::Boolean(false));
    }
    for bad in [
        "tRUE", "NaN", "Inf", "1.0i", "+1i", "9e10i", "-1u", "1.", ".5", "1.e+78", "1e", "abc",
        "1x",
    ] {
        assert!(
            parse_line(format!("m f={bad}").as_bytes()).is_err(),
            "{bad}"
        );
    }
    assert_eq!(kind("m f=1e400"), ErrorKind::OutOfRange);
    assert_eq!(kind("m f=18446744073709551616u"), ErrorKind::OutOfRange);
    let e = parse_line(b"m f=1.").unwrap_err();
    assert!(e.message.contains("1.0"), "{e}");
    assert_eq!(e.column, 5);
}

#[test]
fn several_fields_timestamps_and_spaces() {
    let l = ok(r#"home,room=Living\ Room temp=21.1,hum=35.9,co=0i,s="a,b c",ok=t 1641024000"#);
    let f: Vec<_> = l.fields().collect();
    assert_eq!(f.len(), 5);
    assert_eq!(f[3], (&b"s"[..], FieldValue::String(b"a,b c")));
    assert_eq!(f[4].1, FieldValue::Boolean(true));
    assert_eq!(l.timestamp, Some(1_641_024_000));
    assert_eq!(l.timestamp_span, Some(63..73));
    assert_eq!(ok("m f=1 -5").timestamp, Some(-5));
    assert_eq!(ok("m f=1  123  ").timestamp, Some(123));
    assert_eq!(ok("m f=1").timestamp, None);
    // InfluxDB 3's parser refuses a space after the fields when no timestamp follows.
    assert_eq!(kind("m f=1 "), ErrorKind::TrailingSpace);
    assert_eq!(kind("m f=\"x\"  "), ErrorKind::TrailingSpace);
    assert_eq!(
        ok("m f=1 -9223372036854775806").timestamp,
        Some(crate::value::MIN_NANOS)
    );
    assert_eq!(
        kind("m f=1 -9223372036854775807"),
        ErrorKind::TimestampOutOfRange
    );
}

#[test]
fn errors_carry_columns() {
    let e = parse_line(b"cpu,host=a value=abc 1").unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidValue);
    assert_eq!(e.column, 18);
    assert!(
        e.to_string()
            .starts_with("column 18: invalid field value `abc`"),
        "{e}"
    );
    let e = parse_line(b"cpu,b=2,c=3,b=1 value=1i").unwrap_err();
    assert_eq!(e.column, 13);
}

#[test]
fn blank_and_comment() {
    assert!(is_blank_or_comment(b""));
    assert!(is_blank_or_comment(b"  \t"));
    assert!(is_blank_or_comment(b"# x"));
    assert!(is_blank_or_comment(b"  # x"));
    assert!(!is_blank_or_comment(b"m f=1"));
}

#[test]
fn find_timestamp_agrees_with_the_parser() {
    let lines = [
        "m f=1 123",
        "m f=1",
        "m f=-5",
        "m f=1e-5",
        "m f=1.5",
        "m,t=a f=\"x 12\"",
        "m,t=a f=\"x 12\" 99",
        "m f=1 -42",
        "m f=1i,g=2 1641024000  ",
        "m f=12u",
        r"m,t=a\ 1 f=1",
    ];
    for line in lines {
        let parsed = ok(line);
        let found = find_timestamp(line.as_bytes());
        assert_eq!(found.as_ref().map(|f| f.1), parsed.timestamp, "{line}");
        assert_eq!(found.map(|f| f.0), parsed.timestamp_span, "{line}");
    }
}

#[test]
fn control_characters_in_names_are_refused() {
    for line in [
        &b"cpu,t=a\tb a=1"[..],
        b"\tcpu a=1",
        b"c\0pu a=1",
        b"cpu a\x7fb=1",
        b"cpu,t\x01=x a=1",
    ] {
        let e = parse_line(line).expect_err("control character in a name");
        assert_eq!(
            e.kind,
            ErrorKind::ControlCharacter,
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
    assert!(
        parse_line(b"cpu s=\"a\tb\"").is_ok(),
        "a tab inside a string value is fine"
    );
}
