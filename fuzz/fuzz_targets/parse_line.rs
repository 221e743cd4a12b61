//! Fuzzes `lpconvert_lp::parse::parse_line`: it must never panic, a line it accepts must
//! give back its parts, and the fast validation path of `check` must never accept a line the
//! parser (with a target's rules) refuses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lpconvert_lp::parse::{find_timestamp, parse_line};
use lpconvert_lp::target::{fast_valid, target_rules, Target};

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
        if fast_valid(line, t) {
            let l = parsed
                .as_ref()
                .expect("fast path accepted a line the parser refuses");
            assert!(
                target_rules(line, l, t).is_ok(),
                "fast path ignored a target rule"
            );
        }
    }
});
