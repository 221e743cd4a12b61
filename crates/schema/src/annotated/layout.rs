//! Go time layouts (`2006-01-02T15:04:05Z07:00`), as csv2lp's `dateTime:LAYOUT` gives them,
//! translated to the schema's timestamp formats (chrono strftime patterns).

/// Go layout elements and the strftime item each becomes, longest first where one starts
/// another (`2006` before `2`, `January` before `Jan`).
const ELEMENTS: [(&str, &str); 34] = [
    ("January", "%B"),
    ("Jan", "%b"),
    ("Monday", "%A"),
    ("Mon", "%a"),
    ("MST", "%Z"),
    ("2006", "%Y"),
    ("002", "%j"),
    ("__2", "%j"),
    ("_2", "%e"),
    ("01", "%m"),
    ("02", "%d"),
    ("03", "%I"),
    ("04", "%M"),
    ("05", "%S"),
    ("06", "%y"),
    ("15", "%H"),
    ("1", "%m"),
    ("2", "%d"),
    ("3", "%I"),
    ("4", "%M"),
    ("5", "%S"),
    ("PM", "%p"),
    ("pm", "%P"),
    ("Z07:00:00", "%:z"),
    ("Z070000", "%z"),
    ("Z07:00", "%:z"),
    ("Z0700", "%z"),
    ("Z07", "%:::z"),
    ("-07:00:00", "%:z"),
    ("-070000", "%z"),
    ("-07:00", "%:z"),
    ("-0700", "%z"),
    ("-07", "%:::z"),
    ("%", "%%"),
];

/// The schema's `format` for a csv2lp `dateTime` format: `RFC3339`, `RFC3339Nano` and
/// their Go layouts are `"rfc3339"`, `number` is `"unix_ns"`, any other Go layout becomes a
/// strftime pattern (fractional seconds `.000` / `.999...` read as `%.f`). An empty format
/// (csv2lp: an integer of nanoseconds, else RFC 3339) is the list `["unix_ns", "rfc3339"]`,
/// returned as `None`.
pub fn time_format(format: &str) -> Option<String> {
    Some(match format {
        "" => return None,
        "RFC3339" | "RFC3339Nano" => "rfc3339".into(),
        "2006-01-02T15:04:05Z07:00" | "2006-01-02T15:04:05.999999999Z07:00" => "rfc3339".into(),
        "number" => "unix_ns".into(),
        layout => go_layout_to_strftime(layout),
    })
}

/// Translates a Go time layout to a chrono strftime pattern; text that is no layout
/// element is kept literally (`%` doubled).
pub fn go_layout_to_strftime(layout: &str) -> String {
    let mut out = String::with_capacity(layout.len() + 8);
    let mut rest = layout;
    while !rest.is_empty() {
        // Fractional seconds: `.` or `,` followed by a run of 0s or of 9s.
        if let Some(run) = fraction_run(rest) {
            out.push_str("%.f");
            rest = &rest[run..];
            continue;
        }
        if let Some((go, item)) = ELEMENTS.iter().find(|(go, _)| rest.starts_with(go)) {
            out.push_str(item);
            rest = &rest[go.len()..];
            continue;
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The length of a fractional-second element at the start of `s` (`.000`, `,999`), if any.
fn fraction_run(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if !matches!(b.first(), Some(b'.') | Some(b',')) {
        return None;
    }
    let digit = *b.get(1).filter(|d| matches!(d, b'0' | b'9'))?;
    let run = 1 + b[1..].iter().take_while(|&&d| d == digit).count();
    // Go takes the run as a fraction only when no other digit follows it.
    (!b.get(run).is_some_and(u8::is_ascii_digit)).then_some(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_layouts_become_strftime_patterns() {
        for (go, strftime) in [
            ("2006-01-02", "%Y-%m-%d"),
            ("2006-01-02 15:04:05", "%Y-%m-%d %H:%M:%S"),
            ("02/01/2006 15:04:05.000", "%d/%m/%Y %H:%M:%S%.f"),
            (
                "2006-01-02T15:04:05.999999999-07:00",
                "%Y-%m-%dT%H:%M:%S%.f%:z",
            ),
            ("Jan _2 2006 3:04PM", "%b %e %Y %I:%M%p"),
            (
                "Monday, 02-Jan-06 15:04:05 -0700",
                "%A, %d-%b-%y %H:%M:%S %z",
            ),
            ("January 2, 2006 at 3pm", "%B %d, %Y at %I%P"),
            ("2006.002 100%", "%Y.%j %m00%%"),
            ("1/2/06", "%m/%d/%y"),
        ] {
            assert_eq!(go_layout_to_strftime(go), strftime, "{go}");
        }
        assert_eq!(time_format("RFC3339Nano").as_deref(), Some("rfc3339"));
        assert_eq!(
            time_format("2006-01-02T15:04:05Z07:00").as_deref(),
            Some("rfc3339")
        );
        assert_eq!(time_format("number").as_deref(), Some("unix_ns"));
        assert_eq!(time_format(""), None);
    }

    #[test]
    fn translated_patterns_parse_what_the_go_layout_reads() {
        use crate::time::{TimeFormat, TimeParser, Zone};
        for (go, text, nanos) in [
            ("2006-01-02", "1970-01-02", 86_400_000_000_000i64),
            (
                "2006-01-02 15:04:05",
                "1970-01-01 00:01:40",
                100_000_000_000,
            ),
            (
                "02.01.2006 15:04:05.000",
                "01.01.1970 00:00:01.500",
                1_500_000_000,
            ),
        ] {
            let format = TimeFormat::parse(&go_layout_to_strftime(go)).unwrap();
            let parser = TimeParser {
                format,
                zone: Zone::parse("UTC").unwrap(),
                alternatives: Vec::new(),
            };
            assert_eq!(parser.parse(text.as_bytes()).unwrap(), nanos, "{go}");
        }
    }
}
