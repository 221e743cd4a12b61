use super::*;

/// The "now" of these tests: 2023-11-14T22:13:20Z.
const NOW: i64 = 1_700_000_000_000_000_000;

fn rules(t: Option<Target>) -> Rules {
    Rules::new(t, NOW)
}

fn verdict(line: &str, t: Option<Target>) -> Result<Verdict, Problem> {
    verdict_bytes(line.as_bytes(), t)
}

fn verdict_bytes(line: &[u8], t: Option<Target>) -> Result<Verdict, Problem> {
    let r = rules(t);
    let slow = slow_check(line, &r);
    if fast_valid(line, &r) {
        assert_eq!(slow, Ok(Verdict::Point), "fast path accepted {line:?}");
    }
    let got = check_line(line, &r);
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
    // Strings: VictoriaMetrics stores numbers only.
    table(
        r#"cpu value="test\\\"" 1000000000"#,
        [true, true, true, true, false],
    );
    table(
        r#"cpu value="test\\" 1000000000"#,
        [true, true, true, true, false],
    );
    // A tag value ending in an escaped backslash: VictoriaMetrics reads `a\` as the
    // reference does; InfluxDB 1.x reads the space as escaped and refuses the line.
    table(r"m,t=a\\ f=1", [false, false, false, false, true]);
    bad_everywhere("cpu value=9223372036854775808i");
    // Unsigned: refused by 1.x OSS; VictoriaMetrics keeps about 15 digits of it.
    table(
        "m f=18446744073709551615u",
        [true, false, true, true, false],
    );
    table("m f=42u", [true, false, true, true, true]);
    let p = verdict("m f=18446744073709551615u", Some(Target::Influxdb1)).unwrap_err();
    assert!(p.message.contains("InfluxDB 1.x"), "{p}");
    bad_everywhere("b f=1 9223372036854775808");
    bad_everywhere("cpu value=1 9223372036854775807 12");
    bad_everywhere("cpu,b=2,c=3,b=1 value=1i");
    let p = verdict("cpu,b=2,c=3,b=1 value=1i", None).unwrap_err();
    assert_eq!(p.kind, Some(ErrorKind::DuplicateTag));
}

#[test]
fn the_line_rules() {
    bad_everywhere("m,t= f=1");
    bad_everywhere("m f=1 # x");
    assert_eq!(
        verdict("m f=1 # x", None).unwrap_err().kind,
        Some(ErrorKind::InvalidTimestamp)
    );
    bad_everywhere("m f=1\r");
    let p = verdict("m f=1\r", None).unwrap_err();
    assert_eq!(p.kind, Some(ErrorKind::LineBreak));
    assert!(p.message.contains("LF"), "{p}");
    for blank in ["", "   ", "# comment", "  # x", "\r"] {
        for t in ALL {
            let v = verdict(blank, t);
            if blank == "\r" && t == Some(Target::Influxdb1) {
                // InfluxDB 1.x reads a lone `\r` as a measurement: "missing fields".
                assert!(v.is_err(), "{v:?}");
            } else {
                assert_eq!(v, Ok(Verdict::Blank), "{blank:?} on {t:?}");
            }
        }
    }
    // InfluxDB 1.6 stores strings over 64 KiB; VictoriaMetrics no string at all.
    let long = format!("m f=\"{}\"", "x".repeat(parse::MAX_STRING_LEN + 1));
    table(&long, [false, true, false, false, false]);
    assert_eq!(
        verdict(&long, None).unwrap_err().kind,
        Some(ErrorKind::StringTooLong)
    );
    table(
        &format!("m f=\"{}\"", "x".repeat(parse::MAX_STRING_LEN)),
        [true, true, true, true, false],
    );
    // A space after the timestamp: VictoriaMetrics cannot parse the timestamp.
    table("m f=1  123  ", [true, true, true, true, false]);
    table("m f=1  123", [true, true, true, true, true]);
    ok_everywhere("m f=-5");
    // Before 1970 and more than 2 days ahead: VictoriaMetrics drops them.
    table(
        "m f=1 -9223372036854775806",
        [true, true, true, true, false],
    );
    table("m f=1 9223372036854775806", [true, true, true, true, false]);
    ok_everywhere("m f=1 1451606400000000000");
    bad_everywhere("m f=1 -9223372036854775807");
    bad_everywhere("m f=1 9223372036854775807");
    bad_everywhere("m f=1 9999999999999999999");
    bad_everywhere("m f=1 10000000000000000000");
}

#[test]
fn floats_go_accepts_and_influxdb3_refuses() {
    // Portable parser and InfluxDB 3 refuse them; InfluxDB 1.x stores them as written;
    // VictoriaMetrics reads them as 0.
    for f in ["1.", ".5", "-.5"] {
        table(&format!("m f={f}"), [false, true, false, false, false]);
        let p = verdict(&format!("m f={f}"), None).unwrap_err();
        assert_eq!(p.kind, Some(ErrorKind::InvalidValue), "{f}");
    }
    table("m f=1.e+78", [false, true, false, false, true]);
    bad_everywhere("m f=1e400");
    ok_everywhere("m f=1e300,g=1.5E-400,h=-0.0,i=007i");
    ok_everywhere("m f=1.5,g=-0.0,i=007i,j=-9007199254740991i");
    ok_everywhere("m j=-9223372036854775808i");
    table("m j=9007199254740993i", [true, true, true, true, false]);
    ok_everywhere(&format!("m f={}", "9".repeat(308)));
    bad_everywhere(&format!("m f={}", "9".repeat(309)));
}

#[test]
fn time_keys_on_influxdb1() {
    table("m,time=a f=1", [true, false, true, true, true]);
    table("m time=1", [true, false, true, true, true]);
    // Beside another field, `time` is left out silently: stored differently.
    table("m time=1,g=2", [true, false, true, true, true]);
    table("time f=1", [true, true, true, true, true]);
    table("m,times=a timed=1", [true, true, true, true, true]);
    let p = verdict("m,a=b time=1", Some(Target::Influxdb1)).unwrap_err();
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
    // The reference reads `\\` as one backslash, as InfluxDB 3 and VictoriaMetrics do;
    // InfluxDB 1.x/2.x keep both.
    for line in [r"m\\x f=1", r"m,k\\x=v f=1", r"m,k=a\\b f=1", r"m f\\g=1"] {
        table(line, [true, false, false, false, true]);
    }
    let p = verdict(r"m,k=a\\b f=1", Some(Target::Influxdb3)).unwrap_err();
    assert!(p.message.contains("InfluxDB 3 reads"), "{p}");
    assert_eq!(p.column, 5);
    // A single backslash before an ordinary byte is literal everywhere.
    ok_everywhere(r"m,k=a\b f=1");
    // In strings `\\` is an escape every server reads the same.
    table(r#"m f="a\\b""#, [true, true, true, true, false]);
}

#[test]
fn raw_newlines_in_strings() {
    let rec = b"m f=\"one\ntwo\" 1".to_vec();
    for t in [Target::Influxdb1, Target::Influxdb2, Target::Influxdb3] {
        let v = check_record(&mut rec.clone(), &[8], &rules(Some(t)));
        assert_eq!(v, Some(Ok(Verdict::Point)), "{t:?}");
    }
    let p = check_record(
        &mut rec.clone(),
        &[8],
        &rules(Some(Target::VictoriaMetrics)),
    );
    assert!(matches!(p, Some(Err(ref p)) if p.message.contains("VictoriaMetrics refuses")));
    let p = check_record(&mut rec.clone(), &[8], &rules(None));
    assert!(matches!(p, Some(Err(_))));
    // Not a point even when joined.
    let mut rec = b"m f=\"one\nm g=\"x\"".to_vec();
    assert_eq!(
        check_record(&mut rec, &[8], &rules(Some(Target::Influxdb1))),
        None
    );
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
        let r = rules(ALL[t]);
        if fast_valid(line.as_bytes(), &r) {
            let v = slow_check(line.as_bytes(), &r);
            proptest::prop_assert_eq!(v, Ok(Verdict::Point), "{:?}", line);
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
        let r = rules(t);
        if fast_valid(line.as_bytes(), &r) {
            let slow = slow_check(line.as_bytes(), &r);
            proptest::prop_assert_eq!(slow, Ok(Verdict::Point), "{:?}", line);
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
    // m,t=VALUE + "#!~#" + f: 65,535 bytes fit, one more does not. VictoriaMetrics cuts a
    // tag value to 16 KiB.
    let fits = format!("m,t={} f=1", "x".repeat(65_535 - 4 - 4 - 1));
    let over = format!("m,t={} f=1", "x".repeat(65_535 - 4 - 4 - 1 + 1));
    table(&fits, [true, true, true, true, false]);
    for t in [None, Some(Target::Influxdb2)] {
        let p = verdict(&over, t).expect_err("refused");
        assert!(
            p.message.contains("65535") && p.message.contains("tag `t`"),
            "{p}"
        );
        assert_eq!(p.column, over.len() - 2, "points at the field key");
    }
    let p = verdict(&over, Some(Target::Influxdb1)).expect_err("refused");
    assert!(p.message.contains("max key length exceeded"), "{p}");
    assert_eq!(verdict(&over, Some(Target::Influxdb3)), Ok(Verdict::Point));
    // A long field key counts too, and a long measurement is named.
    let key = format!("m {}=1", "k".repeat(65_535));
    assert!(verdict(&key, None).is_err());
    let m = format!("{} f=1", "m".repeat(65_535));
    let p = verdict(&m, Some(Target::Influxdb2)).expect_err("refused");
    assert!(p.message.contains("the measurement"), "{p}");
    assert!(verdict(&m, Some(Target::Influxdb1)).is_err());
}

/// The fast path itself accepts the usual shapes of valid lines (a regression to "always ask
/// the slow path" fails here, not only in a benchmark), and what it accepts the slow path
/// accepts.
#[test]
fn fast_path_accepts_typical_valid_lines() {
    let everywhere = [
        "cpu usage=0.5",
        "cpu,host=server01,region=eu-west usage_user=12.5,usage_idle=87i,ok=true,flag=F 1631202459121654321",
        "m,b=1,a=2 f=1",
        "m f=1.25,g=-0,h=TRUE,i=t,j=-2.5 1",
        "my\\ measure\\,x,tag\\ key=v\\,a\\=l\\ ue f\\=k\\ ey=1 1631202459",
        "m,t=a f=1 1631202459",
    ];
    for line in everywhere {
        for t in ALL {
            assert!(fast_valid(line.as_bytes(), &rules(t)), "{line:?} on {t:?}");
            assert_eq!(verdict(line, t), Ok(Verdict::Point), "{line:?} on {t:?}");
        }
    }
    // Strings, exponents and timestamp 0: fast everywhere but on VictoriaMetrics, which
    // stores them differently.
    let not_vm = [
        "cpu,host=a msg=\"hello, world\" 1631202459121654321",
        "m f=1E+10,j=-2.5e-3 0",
        "m s=\"say \\\"hi\\\" \\\\ bye\" -9223372036854775806",
        "m f=\"\" 9223372036854775806",
    ];
    for line in not_vm {
        for t in ALL {
            let vm = t == Some(Target::VictoriaMetrics);
            assert_eq!(
                fast_valid(line.as_bytes(), &rules(t)),
                !vm,
                "{line:?} on {t:?}"
            );
            assert_eq!(verdict(line, t).is_ok(), !vm, "{line:?} on {t:?}");
        }
    }
    // Unsigned integers: fast everywhere but on InfluxDB 1.x, which refuses them.
    let unsigned = "m,host=a n=42u,f=1.5 1631202459121654321";
    for t in ALL {
        let v1 = t == Some(Target::Influxdb1);
        assert_eq!(fast_valid(unsigned.as_bytes(), &rules(t)), !v1, "{t:?}");
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
    assert!(!fast_valid(b"m f=1 9223372036854775807", &rules(None)));
    // VictoriaMetrics: up to now + 2 days, in milliseconds, now read from a clock of whole
    // seconds that may be a second behind.
    let vm = rules(Some(Target::VictoriaMetrics));
    let edge = (NOW / 1_000_000 - 1000 + 2 * 86_400_000) * 1_000_000 + 999_999;
    for (ts, ok) in [(edge, true), (edge + 1, false)] {
        let line = format!("m f=1 {ts}");
        assert_eq!(slow_check(line.as_bytes(), &vm).is_ok(), ok, "{line}");
        assert_eq!(fast_valid(line.as_bytes(), &vm), ok, "{line}");
    }
    // Its storage reads now in whole seconds (`fasttime`): at NOW + 0.5 s the bound is
    // the same as at NOW, not half a second later.
    let vm = Rules::new(Some(Target::VictoriaMetrics), NOW + 500_000_000);
    for (ts, ok) in [(edge, true), (edge + 1, false), (edge + 400_000_000, false)] {
        let line = format!("m f=1 {ts}");
        assert_eq!(slow_check(line.as_bytes(), &vm).is_ok(), ok, "{line}");
        assert_eq!(fast_valid(line.as_bytes(), &vm), ok, "{line}");
    }
}

/// What issue 19 measured against VictoriaMetrics 1.79 and InfluxDB 1.6.
#[test]
fn victoriametrics_reads_as_measured() {
    let vm = Some(Target::VictoriaMetrics);
    let says = |line: &[u8], what: &str| {
        let p = verdict_bytes(line, vm).expect_err("flagged");
        assert!(
            p.message.contains(what),
            "{:?}: {p}",
            String::from_utf8_lossy(line)
        );
    };
    says(br#"m f="12""#, "stored as 12");
    says(b"m f=1 0", "time of writing");
    says(b"m f=1 -0", "time of writing");
    says(b"m f=1 -1000000", "dropped");
    says(b"m f=1 1900000000000000000", "dropped");
    says(b"m f=1 ", "dropped");
    says(b"m f=1,f=2", "duplicate field key");
    says(br#"m f"x=1,g=2"#, "VictoriaMetrics");
    says(b"m f=1.5E-300", "rounds differently");
    says(b"m f=4.9e-324", "rounds differently");
    says(b"m f=1.7976931348623157e308", "rounds differently");
    says(b"m f=9007199254740993i", "integer");
    says(
        format!("m,{}=v f=1", "k".repeat(257)).as_bytes(),
        "256 bytes",
    );
    says(
        format!("m,k={} f=1", "v".repeat(16 * 1024 + 1)).as_bytes(),
        "16 KiB",
    );
    says(b"m,__name__=x f=1", "lost");
    // What it reads as the reference does.
    for ok in [
        &b"m\x01 f=1"[..],
        br"m,t=a\\ f=1",
        br"m\\x f=1",
        b"m f=1 5",
        b"m f=-1.25",
    ] {
        assert_eq!(verdict_bytes(ok, vm), Ok(Verdict::Point), "{ok:?}");
    }
}

#[test]
fn influxdb1_reads_as_measured() {
    let v1 = Some(Target::Influxdb1);
    let says = |line: &[u8], what: &str| {
        let p = verdict_bytes(line, v1).expect_err("flagged");
        assert!(
            p.message.contains(what),
            "{:?}: {p}",
            String::from_utf8_lossy(line)
        );
    };
    says(b"m\xff f=1", "invalid UTF-8");
    says(b"m f\xff=1", "invalid UTF-8");
    says(b"m f=1,f=1i", "type conflict");
    says(b"m f=1,f=2", "only the last");
    says(br#"m\"x f=1"#, "as `m\"x`");
    says(br#"m f\"x=1"#, "field key");
    says(br"m\=x f=1", "as `m=x`");
    says(b"\r", "missing fields");
    // Its iterator reads the `=` after `\\` as escaped: the value is one quote and the
    // server panics (seen on 1.6.7).
    says(br#"m \\="=" 1"#, "crashes on this line");
    says(b" \r", "missing fields");
    // What it stores as written though the portable rules refuse it.
    let long = format!("m f=\"{}\"", "x".repeat(100_000));
    for ok in [
        &b"m\x01 f=1"[..],
        b"m\rx f=1",
        b"m f=1.",
        b"m f=.5",
        b"  m f=1",
        b"m f=1 ",
        br#"m,t\"k=v\"x f=1"#,
        b"m,t=\xff f=\"\xfe\"",
        long.as_bytes(),
    ] {
        assert_eq!(verdict_bytes(ok, v1), Ok(Verdict::Point), "{ok:?}");
    }
}

/// What a 400 of InfluxDB 1.x names as unparsable: scanner errors only.
#[test]
fn influxdb1_unparsable_lines() {
    for bad in [&b"m f=abc"[..], b"m f=1u", b"m,t= f=1", b"\r", b"m f=1 x"] {
        assert!(influxdb1_unparsable(bad).is_some(), "{bad:?}");
    }
    for parses in [
        &b"m f=1,f=1i"[..],
        b"m,time=a f=1",
        br#"m\"x f=1"#,
        b"# c",
        b"m f=1.",
    ] {
        assert!(influxdb1_unparsable(parses).is_none(), "{parses:?}");
    }
}

/// The rest of issue 19's list of what the servers do, each pinned: VictoriaMetrics'
/// `\=` in a measurement, strings that are no number, the two-days-ahead bound at `--now`,
/// metric names over 16 KiB; InfluxDB 1.x's `1.`/`.5` are not called InfluxDB 3 refusals.
#[test]
fn issue_19_behaviours_not_pinned_above() {
    let vm = Some(Target::VictoriaMetrics);
    let v1 = Some(Target::Influxdb1);
    let says = |line: &[u8], t: Option<Target>, what: &str| {
        let p = verdict_bytes(line, t).expect_err("flagged");
        assert!(
            p.message.contains(what),
            "{:?}: {p}",
            String::from_utf8_lossy(line)
        );
    };
    says(br"m\=x f=1 1", vm, "stored differently");
    says(br#"m f="abc" 1"#, vm, "stored as 0");
    // Two days ahead of NOW in ms, less the second its clock may lag, is kept; one ms
    // more may be dropped.
    let two_days = NOW + 2 * 86_400_000_000_000 - 1_000_000_000;
    assert_eq!(
        verdict(&format!("m f=1 {two_days}"), vm),
        Ok(Verdict::Point)
    );
    says(
        format!("m f=1 {}", two_days + 1_000_000).as_bytes(),
        vm,
        "more than 2 days ahead",
    );
    says(
        format!("{} f=1 1", "m".repeat(16 * 1024)).as_bytes(),
        vm,
        "cut to 16 KiB",
    );
    // What each stores as written.
    for ok in [&b"m\rx f=1 1"[..], br"m,t=a\\ f=1 1", b"m\x7f f=1 1"] {
        assert_eq!(verdict_bytes(ok, vm), Ok(Verdict::Point), "{ok:?}");
    }
    for line in [&b"m f=1."[..], b"m f=.5"] {
        assert_eq!(verdict_bytes(line, v1), Ok(Verdict::Point), "{line:?}");
    }
    // A measurement whose name changes when unescaped again (`\\"`, `\\,`, `\\=`): 1.6.7
    // lists it unescaped twice and no query finds its points (the differential test's
    // seed 2026, line 2,559: `u00559x\x7f\\"x,... tduoi=0.30000000000000004 -875654`).
    for lost in [
        &br#"a\\"x f=1 1"#[..],
        br"b\\,x f=1 1",
        br"b\\=x f=1 1",
        br#"a\\\"x f=1 1"#,
    ] {
        says(lost, v1, "no query finds its points");
    }
    // `\"` in a measurement or field key loses its backslash on 1.x, also at the end.
    says(br#"m\" f=1"#, v1, "as `m\"`");
    says(br#"m a\"=1"#, v1, "field key");
}

/// Seed 19's one "false accept": VictoriaMetrics stores this line as written (sent alone it
/// is exported so; among 400 lines its search hid the series, a read-back fault the
/// differential test now works around), so the model must keep accepting it.
#[test]
fn victoriametrics_stores_seed_19_line_231_as_written() {
    let line = b"u00231x,time=ab time=-13711623193195i,o=1e23 1646704877157719981";
    assert_eq!(
        verdict_bytes(line, Some(Target::VictoriaMetrics)),
        Ok(Verdict::Point)
    );
}

/// Pieces of lines at the edges of every rule the fast path shortcuts.
const EDGE_TOKENS: &[&str] = &[
    "m",
    "t",
    "_",
    "a",
    "é",
    "\u{1}",
    "\t",
    ",",
    "=",
    " ",
    "  ",
    "\\",
    "\\\\",
    "\\ ",
    "\\=",
    "\\,",
    "\\\"",
    "\"",
    "0",
    "1",
    "9",
    "-",
    "+",
    ".",
    "e",
    "E",
    "i",
    "u",
    "T",
    "tRuE",
    "f",
    "inf",
    "NaN",
    "1e",
    "0x10",
    "1_000",
    "-0",
    "#",
    "time",
    "__name__",
    "\r",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "1.7976931348623159e308",
    "4.9e-324",
    "123456789012345678",
    "1700172800000000000",
    "1700172800000999999",
    "1700172800001000000",
    "1699999999999999999",
];

/// Joins edge pieces by index.
fn edge_piece(ks: &[usize]) -> String {
    ks.iter().map(|&k| EDGE_TOKENS[k]).collect()
}

fn edge_pieces(max: usize) -> impl proptest::strategy::Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0..EDGE_TOKENS.len(), 1..max)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
    /// Lines of the usual shape built from edge-case pieces (measurement, tags, fields,
    /// timestamp): the fast path accepts none the slow path flags.
    #[test]
    fn fast_path_is_sound_on_edge_pieces(
        m in edge_pieces(3),
        tags in proptest::collection::vec((edge_pieces(3), edge_pieces(3)), 0..3),
        fields in proptest::collection::vec((edge_pieces(3), edge_pieces(4)), 1..3),
        ts in proptest::option::of(edge_pieces(3)),
        t in 0usize..5,
    ) {
        let mut line = edge_piece(&m);
        for (k, v) in &tags {
            line.push_str(&format!(",{}={}", edge_piece(k), edge_piece(v)));
        }
        line.push(' ');
        let f: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", edge_piece(k), edge_piece(v)))
            .collect();
        line.push_str(&f.join(","));
        if let Some(ts) = ts {
            line.push(' ');
            line.push_str(&edge_piece(&ts));
        }
        let r = rules(ALL[t]);
        if fast_valid(line.as_bytes(), &r) {
            let v = slow_check(line.as_bytes(), &r);
            proptest::prop_assert_eq!(v, Ok(Verdict::Point), "{:?} on {:?}", line, ALL[t]);
        }
    }
}

/// An escaped control byte in a name is a control byte all the same.
#[test]
fn fast_path_leaves_escaped_control_bytes_to_the_parser() {
    for line in [
        "a \\\u{1}=1",
        "a\\\t f=1",
        "m,t\\\u{7f}=v f=1",
        "m,t=v\\\u{1} f=1",
    ] {
        for t in [None, Some(Target::Influxdb2), Some(Target::Influxdb3)] {
            assert!(verdict(line, t).is_err(), "{line:?} on {t:?}");
        }
    }
}

/// A `--now` before 1970 puts VictoriaMetrics' bound below 0: the fast path compares it
/// signed, as the slow path does (it accepted every timestamp).
#[test]
fn fast_path_bound_with_a_now_before_1970() {
    let r = Rules::new(Some(Target::VictoriaMetrics), -1_000_000_000_000_000_000);
    let line = b"m f=1 1700000000000000000";
    assert!(slow_check(line, &r).is_err());
    assert!(!fast_valid(line, &r));
}
