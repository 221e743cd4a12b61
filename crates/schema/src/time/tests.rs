//! Tests of the timestamp formats, zones and parsers.

use super::*;

fn utc() -> Zone {
    Zone::parse("UTC").unwrap()
}

fn p(fmt: &str, tz: &str, s: &str) -> Result<i64, TimeError> {
    TimeParser {
        format: TimeFormat::parse(fmt).unwrap(),
        zone: Zone::parse(tz).unwrap(),
        alternatives: Vec::new(),
    }
    .parse(s.as_bytes())
}

#[test]
fn unix_exact_decimal() {
    assert_eq!(
        parse_unix(b"1641024000", Precision::S),
        Ok(1_641_024_000_000_000_000)
    );
    assert_eq!(
        parse_unix(b"1551129661.954561233", Precision::S),
        Ok(1_551_129_661_954_561_233)
    );
    assert_eq!(parse_unix(b"1.5", Precision::Ms), Ok(1_500_000));
    assert_eq!(
        parse_unix(b"1631202459121654321", Precision::Ns),
        Ok(1_631_202_459_121_654_321)
    );
    assert_eq!(parse_unix(b"-1.5", Precision::S), Ok(-1_500_000_000));
    // more than nine fractional digits: rounded down, towards the past
    assert_eq!(parse_unix(b"1.0000000019", Precision::S), Ok(1_000_000_001));
    assert_eq!(
        parse_unix(b"-1.0000000019", Precision::S),
        Ok(-1_000_000_002)
    );
    assert_eq!(parse_unix(b"1.5", Precision::Ns), Ok(1));
    assert_eq!(parse_unix(b"-1.5", Precision::Ns), Ok(-2));
    // Scientific notation is read (SCHEMA.md; see unix_scientific_notation_is_exact).
    assert_eq!(
        parse_unix(b"1e9", Precision::S),
        Ok(1_000_000_000_000_000_000)
    );
    assert!(parse_unix(b"", Precision::S).is_err());
    assert!(parse_unix(b"12a", Precision::S).is_err());
    assert_eq!(
        parse_unix(b"9223372037", Precision::S),
        Err(TimeError::Range)
    );
    assert_eq!(
        parse_unix(b"9223372036854775807", Precision::Ns),
        Err(TimeError::Range)
    );
    assert_eq!(
        parse_unix(b"9223372036854775806", Precision::Ns),
        Ok(MAX_NANOS)
    );
}

#[test]
fn rfc3339_forms() {
    let z = utc();
    assert_eq!(
        parse_rfc3339(b"2022-01-01T08:00:00Z", &z),
        Ok(1_641_024_000_000_000_000)
    );
    assert_eq!(
        parse_rfc3339(b"2022-01-01 08:00:00Z", &z),
        Ok(1_641_024_000_000_000_000)
    );
    assert_eq!(
        parse_rfc3339(b"2022-01-01T10:00:00+02:00", &z),
        Ok(1_641_024_000_000_000_000)
    );
    assert_eq!(
        parse_rfc3339(b"2022-01-01T07:30:00-00:30", &z),
        Ok(1_641_024_000_000_000_000)
    );
    assert_eq!(
        parse_rfc3339(b"2022-01-01T08:00:00.123456789Z", &z),
        Ok(1_641_024_000_123_456_789)
    );
    assert_eq!(
        parse_rfc3339(b"2022-01-01T08:00:00.5Z", &z),
        Ok(1_641_024_000_500_000_000)
    );
    assert_eq!(
        parse_rfc3339(b"2022-01-01T08:00:00.1234567899Z", &z),
        Ok(1_641_024_000_123_456_789)
    );
    assert_eq!(
        parse_rfc3339(b"1969-12-31T23:59:59Z", &z),
        Ok(-1_000_000_000)
    );
    assert!(parse_rfc3339(b"2024-02-29T00:00:00Z", &z).is_ok());
    for bad in [
        "2023-02-29T00:00:00Z",
        "2022-13-01T00:00:00Z",
        "2022-01-01T24:00:00Z",
        "2022-01-01",
        "2022-01-01T08:00Z",
        "2022-01-01T08:00:00.Z",
        "2022-01-01T08:00:00Zx",
        "2022/01/01T08:00:00Z",
        "2022-01-01T08:00:00+2:00",
    ] {
        assert!(parse_rfc3339(bad.as_bytes(), &z).is_err(), "{bad}");
    }
    assert_eq!(
        parse_rfc3339(b"2262-04-12T00:00:00Z", &z),
        Err(TimeError::Range)
    );
    assert_eq!(
        parse_rfc3339(b"1677-09-20T00:00:00Z", &z),
        Err(TimeError::Range)
    );
    // no offset: local to the zone
    let berlin = Zone::parse("Europe/Berlin").unwrap();
    assert_eq!(
        parse_rfc3339(b"2022-01-01T09:00:00", &berlin),
        Ok(1_641_024_000_000_000_000)
    );
    assert_eq!(
        parse_rfc3339(b"2022-01-01T08:00:00", &z),
        Ok(1_641_024_000_000_000_000)
    );
}

#[test]
fn patterns_and_zones() {
    assert_eq!(
        p("%d/%m/%Y %H:%M:%S", "UTC", "01/01/2022 08:00:00"),
        Ok(1_641_024_000_000_000_000)
    );
    assert_eq!(
        p("%Y-%m-%d", "UTC", "2022-01-01"),
        Ok(1_640_995_200_000_000_000)
    );
    assert_eq!(
        p("%Y-%m-%d %H:%M:%S", "+05:30", "2022-01-01 13:30:00"),
        Ok(1_641_024_000_000_000_000)
    );
    assert_eq!(
        p("%Y-%m-%d %H:%M:%S", "-0100", "2022-01-01 07:00:00"),
        Ok(1_641_024_000_000_000_000)
    );
    assert_eq!(
        p("%Y-%m-%d %H:%M:%S%.f", "UTC", "2022-01-01 08:00:00.25"),
        Ok(1_641_024_000_250_000_000)
    );
    assert_eq!(
        p(
            "%Y-%m-%d %H:%M:%S %z",
            "Europe/Berlin",
            "2022-01-01 08:00:00 +0000"
        ),
        Ok(1_641_024_000_000_000_000)
    );
    // DST gap in Berlin: 2021-03-28 02:30 does not exist
    assert_eq!(
        p("%Y-%m-%d %H:%M", "Europe/Berlin", "2021-03-28 02:30"),
        Err(TimeError::Nonexistent)
    );
    // ambiguous 2021-10-31 02:30 in Berlin: the earlier instant (CEST, +02:00) = 00:30 UTC
    assert_eq!(
        p("%Y-%m-%d %H:%M", "Europe/Berlin", "2021-10-31 02:30"),
        Ok(1_635_640_200_000_000_000)
    );
    assert!(matches!(
        p("%Y-%m-%d", "UTC", "2022-01-xx"),
        Err(TimeError::Pattern(_))
    ));
    assert_eq!(p("%Y-%m-%d", "UTC", "2263-01-01"), Err(TimeError::Range));
}

#[test]
fn format_and_zone_errors() {
    assert!(TimeFormat::parse("epoch")
        .unwrap_err()
        .contains("unknown timestamp format"));
    assert!(TimeFormat::parse("%Y-%Q").is_err());
    assert!(Zone::parse("Mars/Olympus")
        .unwrap_err()
        .contains("unknown time zone"));
    assert!(Zone::parse("+25:00").is_err());
    assert!(Zone::parse("+05:30").is_ok());
}

#[test]
fn parse_in_fast_path_agrees() {
    let tp = |f: &str| TimeParser {
        format: TimeFormat::parse(f).unwrap(),
        zone: utc(),
        alternatives: Vec::new(),
    };
    for (f, p, s) in [
        ("unix_s", Precision::S, "1641024000"),
        ("unix_s", Precision::S, "-5"),
        ("unix_ms", Precision::Ms, "1641024000123"),
        ("unix_s", Precision::Ms, "1641024000.5"),
        ("unix_s", Precision::S, "9223372036"),
        ("unix_s", Precision::S, "9223372037"),
        ("unix_ns", Precision::Ns, "-9223372036854775806"),
        ("unix_s", Precision::S, "-1.5"),
    ] {
        let slow = tp(f).parse(s.as_bytes()).map(|ns| p.from_nanos(ns));
        assert_eq!(tp(f).parse_in(s.as_bytes(), p), slow, "{f} {s}");
    }
    assert_eq!(
        tp("unix_s").parse_in(b"9223372037", Precision::S),
        Err(TimeError::Range)
    );
}

#[test]
fn rounding_down_below_the_range_is_an_error_at_every_precision() {
    let tp = |f: &str| TimeParser {
        format: TimeFormat::parse(f).unwrap(),
        zone: utc(),
        alternatives: Vec::new(),
    };
    for p in [Precision::Us, Precision::Ms, Precision::S] {
        for (f, s) in [
            ("unix_ns", "-9223372036854775806"),
            ("unix_us", "-9223372036854775.806"),
            ("rfc3339", "1677-09-21T00:12:43.145224194Z"),
            ("%Y-%m-%d %H:%M:%S%.f", "1677-09-21 00:12:43.145224194"),
        ] {
            assert_eq!(
                tp(f).parse_in(s.as_bytes(), p),
                Err(TimeError::RoundedOut(p)),
                "{f} {s} {p:?}"
            );
        }
        // The same instant is fine in nanoseconds, and the latest one rounds into range.
        assert!(tp("unix_ns")
            .parse_in(b"-9223372036854775806", Precision::Ns)
            .is_ok());
        assert_eq!(
            tp("unix_ns").parse_in(b"9223372036854775806", p),
            Ok(p.from_nanos(9_223_372_036_854_775_806))
        );
    }
    // The fast path (input already in the output unit) keeps the range too.
    assert_eq!(
        tp("unix_s").parse_in(b"-9223372037", Precision::S),
        Err(TimeError::Range)
    );
    assert_eq!(
        tp("unix_ms").parse_in(b"-9223372036855", Precision::Ms),
        Err(TimeError::Range)
    );
}

#[test]
fn epoch_seconds_pattern_ignores_the_time_zone() {
    // `%s` counts seconds since the epoch in UTC: an absolute instant that a time zone
    // must not shift (and that never falls in a daylight saving gap).
    for tz in ["UTC", "Europe/Berlin", "+05:30", "America/New_York"] {
        assert_eq!(
            p("%s", tz, "1600000000"),
            Ok(1_600_000_000_000_000_000),
            "{tz}"
        );
        assert_eq!(
            p("%s%.f", tz, "1600000000.25"),
            Ok(1_600_000_000_250_000_000),
            "{tz}"
        );
    }
    // 2021-03-28 02:30 local does not exist in Berlin; as an epoch it is just an instant.
    assert_eq!(
        p("%s", "Europe/Berlin", "1616895000"),
        Ok(1_616_895_000_000_000_000)
    );
}

#[test]
fn zone_abbreviation_pattern_is_refused() {
    // chrono's `%Z` consumes any word and ignores it: "EST" would be read as the
    // schema's timezone (UTC by default), five hours off, without an error.
    let e = TimeFormat::parse("%Y-%m-%d %H:%M:%S %Z").unwrap_err();
    assert!(e.contains("%Z") && e.contains("%z"), "{e}");
    assert!(TimeFormat::parse("%Y-%m-%d %H:%M:%S %z").is_ok());
    assert!(TimeFormat::parse("%Y-%m-%d %H:%M:%S UTC").is_ok());
}

#[test]
fn unix_scientific_notation_is_exact() {
    // SCHEMA.md: unix_* formats read scientific notation exactly (spreadsheet exports).
    assert_eq!(
        parse_unix(b"1.663830962276e+12", Precision::Ms),
        Ok(1_663_830_962_276_000_000)
    );
    assert_eq!(
        parse_unix(b"1e9", Precision::S),
        Ok(1_000_000_000_000_000_000)
    );
    assert_eq!(parse_unix(b"1E9", Precision::Ns), Ok(1_000_000_000));
    assert_eq!(parse_unix(b"15e-1", Precision::S), Ok(1_500_000_000));
    assert_eq!(
        parse_unix(b"1.5511296619545612339e9", Precision::S),
        Ok(1_551_129_661_954_561_233)
    );
    // Below a nanosecond: rounded down, towards the past.
    assert_eq!(parse_unix(b"15e-1", Precision::Ns), Ok(1));
    assert_eq!(parse_unix(b"-15e-1", Precision::Ns), Ok(-2));
    assert_eq!(parse_unix(b"1e-30", Precision::S), Ok(0));
    assert_eq!(parse_unix(b"-1e-30", Precision::S), Ok(-1));
    assert_eq!(parse_unix(b"0e999", Precision::S), Ok(0));
    assert_eq!(parse_unix(b"1e10", Precision::S), Err(TimeError::Range));
    assert_eq!(parse_unix(b"1e99999", Precision::S), Err(TimeError::Range));
    assert_eq!(
        parse_unix(b"-9.223372036854775806e18", Precision::Ns),
        Ok(MIN_NANOS)
    );
    // An exponent as long as the mantissa's zeros: still exact.
    let zeros = "0".repeat(2_000_000);
    assert_eq!(
        parse_unix(format!("0.{zeros}1e2000010").as_bytes(), Precision::S),
        Ok(1_000_000_000_000_000_000)
    );
    assert_eq!(
        parse_unix(format!("1{zeros}e-2000000").as_bytes(), Precision::S),
        Ok(1_000_000_000)
    );
    for bad in ["e9", "1e", "1e+", "1.e5x", "1e5.5", "1ee5", ".5e1"] {
        assert!(parse_unix(bad.as_bytes(), Precision::S).is_err(), "{bad}");
    }
}

#[test]
fn a_format_list_is_tried_on_the_fast_path_too() {
    // `format = ["unix_s", "unix_ms"]` with precision "s": a millisecond count is out of
    // range as seconds, so unix_ms reads it, at every precision.
    let tp = TimeParser {
        format: TimeFormat::parse("unix_s").unwrap(),
        zone: utc(),
        alternatives: vec![TimeFormat::parse("unix_ms").unwrap()],
    };
    for p in [Precision::S, Precision::Ms, Precision::Ns] {
        assert_eq!(
            tp.parse_in(b"1714557600000", p),
            Ok(p.from_nanos(1_714_557_600_000_000_000)),
            "{p:?}"
        );
        assert_eq!(
            tp.parse_in(b"1714557600", p),
            Ok(p.from_nanos(1_714_557_600_000_000_000)),
            "{p:?}"
        );
    }
    // Alone, unix_s still refuses it.
    let alone = TimeParser {
        alternatives: Vec::new(),
        ..tp
    };
    assert_eq!(
        alone.parse_in(b"1714557600000", Precision::S),
        Err(TimeError::Range)
    );
}
