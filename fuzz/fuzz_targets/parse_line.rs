//! Fuzzes `lpconvert_lp::parse::parse_line`: it must never panic, a line it accepts must
//! give back its parts, and the fast validation path of `check` must never accept a line the
//! parser (with a target's rules) refuses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lpconvert_lp::parse::{find_timestamp, parse_line};
use lpconvert_lp::target::{fast_valid, slow_check, Rules, Target, Verdict};

fuzz_target!(|data: &[u8]| {
    let line = data.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let parsed = parse_line(line);
    if let Ok(l) = &parsed {
        let _ = l.tags().count();
        let _ = l.fields().count();
        // The cheap timestamp finder agrees with the parser on valid lines.
        assert_eq!(find_timestamp(line).map(|t| t.1), l.timestamp);
    }
    for t in [
        None,
        Some(Target::Influxdb1),
        Some(Target::Influxdb2),
        Some(Target::Influxdb3),
        Some(Target::VictoriaMetrics),
    ] {
        let rules = Rules::new(t, 1_700_000_000_000_000_000);
        if fast_valid(line, &rules) {
            assert_eq!(
                slow_check(line, &rules),
                Ok(Verdict::Point),
                "fast path accepted a line the slow path refuses"
            );
        }
    }
});
