use super::*;

fn verdict(line: &str, t: Option<Target>) -> Result<Verdict, Problem> {
    let fast = fast_valid(line.as_bytes(), t);
    let slow = if is_blank_or_comment(line.as_bytes()) {
        Ok(Verdict::Blank)
    } else {
        parse_line(line.as_bytes())
            .map_err(Problem::from)
            .and_then(|l| target_rules(line.as_bytes(), &l, t).map(|_| Verdict::Point))
    };
    if fast {
        assert_eq!(slow, Ok(Verdict::Point), "fast path accepted {line:?}");
    }
    let got = check_line(line.as_bytes(), t);
    assert_eq!(got, slow, "{line:?}");
    got
}

const ALL: [Option<Target>; 5] = [
    None,
    Some(Target::Influxdb1),
    Some(Target::Influxdb2),
    Some(Target::Influxdb3),
    Some(Target::VictoriaMetrics),
];

fn ok_everywhere(line: &str) {
    for t in ALL {
        assert_eq!(verdict(line, t), Ok(Verdict::Point), "{line:?} on {t:?}");
    }
}

fn bad_everywhere(line: &str) -> Problem {
    let mut last = None;
    for t in ALL {
        match verdict(line, t) {
            Ok(v) => panic!("{line:?} accepted on {t:?} as {v:?}"),
            Err(p) => last = Some(p),
        }
    }
    last.unwrap_or_else(|| unreachable!())
}

/// (line, verdict on: portable, influxdb1, influxdb2, influxdb3, victoriametrics)
fn table(line: &str, expect: [bool; 5]) {
    for (t, ok) in ALL.iter().zip(expect) {
        let v = verdict(line, *t);
        assert_eq!(v.is_ok(), ok, "{line:?} on {t:?}: {v:?}");
    }
}

#[test]
fn tricky_lines_of_line_protocol_md() {
    ok_everywhere(r"cpu,host=two\ words value=42");
    ok_everywhere(r"m,hi\ yo\ =w\,est,server=a x=1");
    ok_everywhere(r"cpu va\ lue=42");
    ok_everywhere(r"cpu=load,equals\=foo=tag\=value value=1i");
    ok_everywhere(r#""cpu",host=a value=1.0"#);
    ok_everywhere(r#"cpu value="test\\\"" 1000000000"#);
    ok_everywhere(r#"cpu value="test\\" 1000000000"#);
    bad_everywhere(r"m,t=a\\ f=1");
    bad_everywhere("cpu value=9223372036854775808i");
    // Unsigned: fine on 2.x, 3 and VictoriaMetrics, refused by 1.x OSS.
    table("m f=18446744073709551615u", [true, false, true, true, true]);
    let p = verdict("m f=18446744073709551615u", Some(Target::Influxdb1)).unwrap_err();
    assert!(p.message.contains("InfluxDB 1.x"), "{p}");
    assert_eq!(p.column, 5);
    bad_everywhere("b f=1 9223372036854775808");
    bad_everywhere("cpu value=1 9223372036854775807 12");
    let p = bad_everywhere("cpu,b=2,c=3,b=1 value=1i");
    assert_eq!(p.kind, Some(ErrorKind::DuplicateTag));
}

#[test]
fn the_line_rules() {
    bad_everywhere("m,t= f=1");
    let p = bad_everywhere("m f=1 # x");
    assert_eq!(p.kind, Some(ErrorKind::InvalidTimestamp));
    let p = bad_everywhere("m f=1\r");
    assert_eq!(p.kind, Some(ErrorKind::LineBreak));
    assert!(p.message.contains("LF"), "{p}");
    for blank in ["", "   ", "# comment", "  # x", "\r"] {
        for t in ALL {
            assert_eq!(verdict(blank, t), Ok(Verdict::Blank), "{blank:?}");
        }
    }
    let long = format!("m f=\"{}\"", "x".repeat(parse::MAX_STRING_LEN + 1));
    assert_eq!(bad_everywhere(&long).kind, Some(ErrorKind::StringTooLong));
    ok_everywhere(&format!("m f=\"{}\"", "x".repeat(parse::MAX_STRING_LEN)));
    ok_everywhere("m f=1  123  ");
    ok_everywhere("m f=-5");
    ok_everywhere("m f=1 -9223372036854775806");
    ok_everywhere("m f=1 9223372036854775806");
    ok_everywhere("m f=1 1451606400000000000");
    bad_everywhere("m f=1 -9223372036854775807");
    bad_everywhere("m f=1 9223372036854775807");
    bad_everywhere("m f=1 9999999999999999999");
    bad_everywhere("m f=1 10000000000000000000");
}

#[test]
fn floats_go_accepts_and_influxdb3_refuses() {
    // The portable parser refuses them, so every target does (InfluxDB 3 for sure).
    for f in ["1.", ".5", "-.5", "1.e+78"] {
        let p = bad_everywhere(&format!("m f={f}"));
        assert_eq!(p.kind, Some(ErrorKind::InvalidValue), "{f}");
    }
    bad_everywhere("m f=1e400");
    ok_everywhere("m f=1e300,g=1.5E-400,h=-0.0,i=007i,j=-9223372036854775808i");
    ok_everywhere(&format!("m f={}", "9".repeat(308)));
    bad_everywhere(&format!("m f={}", "9".repeat(309)));
}

#[test]
fn time_keys_on_influxdb1() {
    table("m,time=a f=1", [true, false, true, true, true]);
    table("m time=1", [true, false, true, true, true]);
    table("time f=1", [true, true, true, true, true]);
    table("m,times=a timed=1", [true, true, true, true, true]);
    let p = verdict("m,a=b time=1", Some(Target::Influxdb1)).unwrap_err();
    assert_eq!(p.column, 7);
    assert!(p.message.contains("`time`"), "{p}");
}

#[test]
fn underscores_on_influxdb2() {
    table("_m f=1", [true, true, false, true, true]);
    table("m,_t=a f=1", [true, true, false, true, true]);
    table("m _f=1", [true, true, false, true, true]);
    table("m,t=_a f_=1", [true, true, true, true, true]);
    let p = verdict("m,t=a _f=1", Some(Target::Influxdb2)).unwrap_err();
    assert_eq!(p.column, 7);
    assert!(p.message.contains("reserves"), "{p}");
}

#[test]
fn double_backslashes_in_names() {
    for line in [r"m\\x f=1", r"m,k\\x=v f=1", r"m,k=a\\b f=1", r"m f\\g=1"] {
        table(line, [true, false, false, false, false]);
    }
    let p = verdict(r"m,k=a\\b f=1", Some(Target::Influxdb3)).unwrap_err();
    assert!(p.message.contains("InfluxDB 3 reads"), "{p}");
    assert_eq!(p.column, 5);
    // A single backslash before an ordinary byte is literal everywhere.
    ok_everywhere(r"m,k=a\b f=1");
    // In strings `\\` is an escape every server reads the same.
    ok_everywhere(r#"m f="a\\b""#);
}

#[test]
fn raw_newlines_in_strings() {
    let mut rec = b"m f=\"one\ntwo\" 1".to_vec();
    let v = check_record(&mut rec.clone(), &[8], Some(Target::Influxdb1));
    assert_eq!(v, Some(Ok(Verdict::Point)));
    for t in [Some(Target::Influxdb2), Some(Target::Influxdb3)] {
        assert_eq!(
            check_record(&mut rec.clone(), &[8], t),
            Some(Ok(Verdict::Point))
        );
    }
    let p = check_record(&mut rec.clone(), &[8], Some(Target::VictoriaMetrics));
    assert!(matches!(p, Some(Err(ref p)) if p.message.contains("VictoriaMetrics refuses")));
    let p = check_record(&mut rec, &[8], None);
    assert!(matches!(p, Some(Err(_))));
    // Not a point even when joined.
    let mut rec = b"m f=\"one\nm g=\"x\"".to_vec();
    assert_eq!(check_record(&mut rec, &[8], Some(Target::Influxdb1)), None);
}

#[test]
fn more_than_sixteen_tags_and_unsorted_duplicates() {
    let many: String = (0..20).map(|i| format!(",k{i:02}=v")).collect();
    ok_everywhere(&format!("m{many} f=1"));
    bad_everywhere(&format!("m{many},k03=w f=1"));
    ok_everywhere("m,c=1,b=2,a=3 f=1");
    bad_everywhere("m,c=1,b=2,c=3 f=1");
    bad_everywhere("m,a=1,a=2 f=1");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4_000))]
    /// The fast path never accepts a line the parser (with the target's rules) refuses.
    #[test]
    fn fast_path_is_sound(line in "[mt_a,= \\\\\"0-9.eEiu+\\-#\r]{0,40}", t in 0usize..5) {
        let t = ALL[t];
        if fast_valid(line.as_bytes(), t) {
            let l = parse_line(line.as_bytes());
            proptest::prop_assert!(l.is_ok(), "{:?}: {:?}", line, l);
            if let Ok(l) = l {
                proptest::prop_assert!(target_rules(line.as_bytes(), &l, t).is_ok(), "{:?}", line);
            }
        }
    }

    /// Lines shaped like real ones, with numbers near the edges of their ranges.
    #[test]
    fn fast_path_agrees_on_lines_of_the_usual_shape(
        m in "[a-z_]{1,4}",
        tags in proptest::collection::vec(("[a-z_]{1,3}", "[a-z0-9=]{0,3}"), 0..20),
        fields in proptest::collection::vec(("[a-z_]{1,4}", "-?[0-9]{0,20}(\\.[0-9]{0,2})?([eE][+-]?[0-9]{1,4})?[iu]?|t|F|\"[a-z\\\\]{0,3}\""), 1..4),
        ts in proptest::option::of("-?[0-9]{1,20}"),
        t in 0usize..5,
    ) {
        let t = ALL[t];
        let mut line = m;
        for (k, v) in &tags {
            line.push_str(&format!(",{k}={v}"));
        }
        line.push(' ');
        let f: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
        line.push_str(&f.join(","));
        if let Some(ts) = ts {
            line.push(' ');
            line.push_str(&ts);
        }
        let slow = parse_line(line.as_bytes())
            .map_err(Problem::from)
            .and_then(|l| target_rules(line.as_bytes(), &l, t));
        if fast_valid(line.as_bytes(), t) {
            proptest::prop_assert!(slow.is_ok(), "{:?}: {:?}", line, slow);
        }
    }
}

#[test]
fn targets_parse() {
    for t in ALL.iter().flatten() {
        assert_eq!(Target::parse(t.as_str()), Some(*t));
    }
    assert_eq!(Target::parse("influxdb4"), None);
}

#[test]
fn series_key_plus_field_key_over_65535_bytes() {
    // m,t=VALUE + "#!~#" + f: 65,535 bytes fit, one more does not.
    let fits = format!("m,t={} f=1", "x".repeat(65_535 - 4 - 4 - 1));
    let over = format!("m,t={} f=1", "x".repeat(65_535 - 4 - 4 - 1 + 1));
    ok_everywhere(&fits);
    for t in [None, Some(Target::Influxdb1), Some(Target::Influxdb2)] {
        let p = verdict(&over, t).expect_err("refused");
        assert!(
            p.message.contains("65535") && p.message.contains("tag `t`"),
            "{p}"
        );
        assert_eq!(p.column, over.len() - 2, "points at the field key");
    }
    for t in [Some(Target::Influxdb3), Some(Target::VictoriaMetrics)] {
        assert_eq!(verdict(&over, t), Ok(Verdict::Point), "{t:?}");
    }
    // A long field key counts too, and a long measurement is named.
    let key = format!("m {}=1", "k".repeat(65_535));
    assert!(verdict(&key, None).is_err());
    let m = format!("{} f=1", "m".repeat(65_535));
    let p = verdict(&m, Some(Target::Influxdb1)).expect_err("refused");
    assert!(p.message.contains("the measurement"), "{p}");
}

/// The fast path itself accepts the usual shapes of valid lines (a regression to "always ask
/// the parser" fails here, not only in a benchmark), and what it accepts the parser accepts.
#[test]
fn fast_path_accepts_typical_valid_lines() {
    let everywhere = [
        "cpu usage=0.5",
        "cpu,host=server01,region=eu-west usage_user=12.5,usage_idle=87i,ok=true,flag=F,msg=\"hello, world\" 1631202459121654321",
        "m,b=1,a=2 f=1",
        "m f=1E+10,g=-0,h=TRUE,i=t,j=-2.5e-3 0",
        "my\\ measure\\,x,tag\\ key=v\\,a\\=l\\ ue f\\=k\\ ey=\"say \\\"hi\\\" \\\\ bye\" -9223372036854775806",
        "m f=\"\" 9223372036854775806",
        "m,t=a f=1 1631202459",
    ];
    for line in everywhere {
        for t in ALL {
            assert!(fast_valid(line.as_bytes(), t), "{line:?} on {t:?}");
            assert_eq!(verdict(line, t), Ok(Verdict::Point), "{line:?} on {t:?}");
        }
    }
    // Unsigned integers: fast everywhere but on InfluxDB 1.x, which refuses them.
    let unsigned = "m,host=a n=42u,f=1.5 1631202459121654321";
    for t in ALL {
        let v1 = t == Some(Target::Influxdb1);
        assert_eq!(fast_valid(unsigned.as_bytes(), t), !v1, "{t:?}");
    }
}

/// The fast path's 19-digit bound is the timestamp range's upper end.
#[test]
fn fast_path_timestamp_bound_is_the_range() {
    assert_eq!(
        crate::value::MAX_NANOS.to_string(),
        "9223372036854775806",
        "fast_path.rs compares timestamps with this text"
    );
    assert_eq!(crate::value::MIN_NANOS, -crate::value::MAX_NANOS);
    assert!(!fast_valid(b"m f=1 9223372036854775807", None));
}
