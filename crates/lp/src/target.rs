//! Per-server checks for `lpconvert check --target`, on top of the strict parser.
//!
//! [`check_line`] is the verdict for one line: the portable rules of [`crate::parse`] (a
//! line it refuses is refused here, whatever the target), plus what the chosen server
//! refuses or reads differently (LINE-PROTOCOL.md):
//!
//! | target | adds |
//! |---|---|
//! | `influxdb1` | `42u` unsigned values (1.x OSS: invalid number); `time` as a tag or field key |
//! | `influxdb2` | measurement, tag key or field key starting with `_` (reserved) |
//! | `influxdb3` | — (`1.` and `.5` floats are already refused by the portable parser) |
//! | `victoriametrics` | — (raw newlines in strings: see [`check_record`]) |
//! | every target | `\\` in a measurement, tag key, tag value or field key: the Go servers keep both backslashes, InfluxDB 3 reads one |
//!
//! A string value with a raw line feed makes one point span several physical lines. InfluxDB
//! accepts it, VictoriaMetrics refuses it, and the portable check refuses it too:
//! [`check_record`] takes the joined lines and says which.
//!
//! [`check_line`] first tries [`fast_valid`], a single pass that accepts the common shape of
//! a valid line without building anything; whatever it does not accept outright goes through
//! [`parse_line`](crate::parse::parse_line), which gives the verdict and the message. The fast
//! path is only an accelerator: it never accepts a line the slow path would refuse
//! (tested, and a fuzz target compares the two).

use crate::parse::{self, is_blank_or_comment, parse_line, ErrorKind, FieldValue, Line};
use std::fmt;

/// A server whose particular rules `check --target` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// InfluxDB 1.x OSS (Go parser).
    Influxdb1,
    /// InfluxDB 2.x (Go parser).
    Influxdb2,
    /// InfluxDB 3 (Rust parser).
    Influxdb3,
    /// VictoriaMetrics' InfluxDB line protocol endpoint.
    VictoriaMetrics,
}

impl Target {
    /// Parses `influxdb1`, `influxdb2`, `influxdb3` or `victoriametrics`.
    pub fn parse(s: &str) -> Option<Target> {
        Some(match s {
            "influxdb1" => Target::Influxdb1,
            "influxdb2" => Target::Influxdb2,
            "influxdb3" => Target::Influxdb3,
            "victoriametrics" => Target::VictoriaMetrics,
            _ => return None,
        })
    }

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Influxdb1 => "influxdb1",
            Target::Influxdb2 => "influxdb2",
            Target::Influxdb3 => "influxdb3",
            Target::VictoriaMetrics => "victoriametrics",
        }
    }

    /// A human name for messages.
    pub fn label(self) -> &'static str {
        match self {
            Target::Influxdb1 => "InfluxDB 1.x",
            Target::Influxdb2 => "InfluxDB 2.x",
            Target::Influxdb3 => "InfluxDB 3",
            Target::VictoriaMetrics => "VictoriaMetrics",
        }
    }

    /// True for the InfluxDB servers, which accept raw line feeds inside string values.
    pub fn accepts_raw_newlines(self) -> bool {
        !matches!(self, Target::VictoriaMetrics)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a line is refused: the 1-based byte column and a message saying what was found and
/// how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based byte column in the line (0 when none applies).
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// The parser's error kind, when the portable parser refused the line.
    pub kind: Option<ErrorKind>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column > 0 {
            write!(f, "column {}: {}", self.column, self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for Problem {}

impl From<parse::ParseError> for Problem {
    fn from(e: parse::ParseError) -> Problem {
        Problem {
            column: e.column,
            message: e.message,
            kind: Some(e.kind),
        }
    }
}

/// What a physical line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A valid point.
    Point,
    /// A blank line or a `#` comment: valid, not a point.
    Blank,
}

/// Checks one physical line (without its LF) for `target` (`None`: the portable rules only).
#[inline]
pub fn check_line(line: &[u8], target: Option<Target>) -> Result<Verdict, Problem> {
    if fast_valid(line, target) {
        return Ok(Verdict::Point);
    }
    if is_blank_or_comment(line) {
        return Ok(Verdict::Blank);
    }
    let parsed = parse_line(line)?;
    target_rules(line, &parsed, target)?;
    Ok(Verdict::Point)
}

/// Checks a point whose string values hold raw line feeds: `record` is the physical lines
/// joined with their LFs (or CRLFs), and `joined_at` the offsets of those line breaks (all
/// inside string values). InfluxDB targets accept it; the portable check and VictoriaMetrics
/// refuse it. Returns `None` when the joined text is not a valid point even then (the
/// caller reports the first line on its own).
pub fn check_record(
    record: &mut [u8],
    joined_at: &[usize],
    target: Option<Target>,
) -> Option<Result<Verdict, Problem>> {
    // Inside a string any byte but `"` and `\` is the same to the parser: blank the breaks
    // so that the portable parser can look at the rest.
    for &at in joined_at {
        if let Some(b) = record.get_mut(at) {
            *b = b' ';
        }
        if at > 0 && record.get(at - 1) == Some(&b'\r') {
            record[at - 1] = b' ';
        }
    }
    let line: &[u8] = record;
    let parsed = parse_line(line).ok()?;
    if let Err(p) = target_rules(line, &parsed, target) {
        return Some(Err(p));
    }
    let at = joined_at.first().copied().unwrap_or(0);
    Some(match target {
        Some(t) if t.accepts_raw_newlines() => Ok(Verdict::Point),
        Some(t) => Err(Problem {
            column: at + 1,
            message: format!(
                "raw line feed inside a string value: {} refuses it (InfluxDB accepts it); remove it or write it as \\n",
                t.label()
            ),
            kind: None,
        }),
        None => Err(Problem {
            column: at + 1,
            message: "raw line feed inside a string value: InfluxDB accepts it, VictoriaMetrics \
                      refuses it; remove it or write it as \\n (or check with --target)"
                .into(),
            kind: None,
        }),
    })
}

fn offset(line: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).saturating_sub(line.as_ptr() as usize)
}

fn show(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}

fn problem(line: &[u8], part: &[u8], message: String) -> Problem {
    Problem {
        column: offset(line, part) + 1,
        message,
        kind: None,
    }
}

/// The target's own rules on a line the portable parser accepted.
pub fn target_rules(line: &[u8], l: &Line<'_>, target: Option<Target>) -> Result<(), Problem> {
    let Some(t) = target else { return Ok(()) };
    let double_backslash = |what: &str, name: &[u8]| -> Result<(), Problem> {
        if memchr::memmem::find(name, b"\\\\").is_some() {
            let reading = match t {
                Target::Influxdb3 => {
                    "InfluxDB 3 reads `\\\\` as one backslash, InfluxDB 1.x/2.x keep both"
                }
                Target::VictoriaMetrics => {
                    "VictoriaMetrics reads `\\\\` as one backslash, InfluxDB 1.x/2.x keep both"
                }
                _ => "InfluxDB 1.x/2.x keep both backslashes of `\\\\`, InfluxDB 3 reads one",
            };
            return Err(problem(
                line,
                name,
                format!(
                    "{what} `{}` holds a backslash before a backslash: {reading}; remove the doubled backslash",
                    show(name)
                ),
            ));
        }
        Ok(())
    };
    let reserved = |what: &str, name: &[u8]| -> Result<(), Problem> {
        if t == Target::Influxdb2 && name.first() == Some(&b'_') {
            return Err(problem(
                line,
                name,
                format!(
                    "{what} `{}` starts with `_`, which InfluxDB 2.x reserves: rename it",
                    show(name)
                ),
            ));
        }
        Ok(())
    };
    let time_key = |what: &str, name: &[u8]| -> Result<(), Problem> {
        if t == Target::Influxdb1 && name == b"time" {
            return Err(problem(
                line,
                name,
                format!("{what} `time` is refused by InfluxDB 1.x: rename it"),
            ));
        }
        Ok(())
    };
    double_backslash("measurement", l.measurement)?;
    reserved("measurement", l.measurement)?;
    for (k, v) in l.tags() {
        double_backslash("tag key", k)?;
        reserved("tag key", k)?;
        time_key("tag key", k)?;
        double_backslash("tag value", v)?;
    }
    for (k, v) in l.fields() {
        double_backslash("field key", k)?;
        reserved("field key", k)?;
        time_key("field key", k)?;
        if let (Target::Influxdb1, FieldValue::Unsigned(u)) = (t, v) {
            let at = offset(line, k) + k.len() + 1;
            return Err(Problem {
                column: at + 1,
                message: format!(
                    "unsigned value `{u}u` is refused by InfluxDB 1.x OSS (invalid number): write it as an integer ({u}i) or a float"
                ),
                kind: None,
            });
        }
    }
    Ok(())
}

/// Bytes that end a tag key, tag value or field key (and the escape byte).
const NAME_STOP: [bool; 256] = stop_table(b",= \\");
/// Bytes that end a measurement (and the escape byte).
const MEASUREMENT_STOP: [bool; 256] = stop_table(b", \\");

const fn stop_table(stops: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < stops.len() {
        t[stops[i] as usize] = true;
        i += 1;
    }
    t
}

/// The end of a name from `i`: the first unescaped byte of `stops`. A backslash takes the
/// next byte with it, as in the parser; `None` for a backslash run (`\\`, which servers read
/// differently) or a backslash at the end of the line: the parser decides those.
#[inline(always)]
fn name_end(line: &[u8], mut i: usize, stops: &[bool; 256]) -> Option<usize> {
    loop {
        while i < line.len() && !stops[line[i] as usize] {
            i += 1;
        }
        if i < line.len() && line[i] == b'\\' {
            match line.get(i + 1) {
                Some(b'\\') | None => return None,
                Some(_) => {
                    i += 2;
                    continue;
                }
            }
        }
        return Some(i);
    }
}

/// A single pass that accepts the common shape of a valid line: escapes but no backslash
/// runs, up to 16 tags, numbers whose range is obvious from their digits. It returns `false` for
/// anything else (including every invalid line), so `true` is always right and `false`
/// means "ask the parser".
#[inline]
pub fn fast_valid(line: &[u8], target: Option<Target>) -> bool {
    // Carriage returns go to the parser.
    if memchr::memchr(b'\r', line).is_some() {
        return false;
    }
    let n = line.len();
    let (no_u, no_time, no_underscore) = match target {
        Some(Target::Influxdb1) => (true, true, false),
        Some(Target::Influxdb2) => (false, false, true),
        _ => (false, false, false),
    };
    // Measurement.
    let Some(mut i) = name_end(line, 0, &MEASUREMENT_STOP) else {
        return false;
    };
    if i == 0 || i >= n || matches!(line[0], b'#' | b'\t') {
        return false;
    }
    if no_underscore && line[0] == b'_' {
        return false;
    }
    // Tags.
    let mut keys = [(0u32, 0u32); 16];
    let mut nkeys = 0usize;
    let mut ascending = true;
    while i < n && line[i] == b',' {
        let k0 = i + 1;
        let Some(j) = name_end(line, k0, &NAME_STOP) else {
            return false;
        };
        if j == k0 || j >= n || line[j] != b'=' {
            return false;
        }
        let key = &line[k0..j];
        if (no_underscore && key[0] == b'_') || (no_time && key == b"time") {
            return false;
        }
        let v0 = j + 1;
        let Some(e) = name_end(line, v0, &NAME_STOP) else {
            return false;
        };
        if e == v0 || (e < n && line[e] == b'=') {
            return false;
        }
        // Duplicate keys: sorted keys need one comparison each.
        if nkeys > 0 {
            let (a, z) = keys[nkeys - 1];
            let prev = &line[a as usize..z as usize];
            if !(ascending && key > prev) {
                ascending = false;
                if keys[..nkeys]
                    .iter()
                    .any(|&(a, z)| &line[a as usize..z as usize] == key)
                {
                    return false;
                }
            }
        }
        if nkeys == keys.len() || j > u32::MAX as usize {
            return false;
        }
        keys[nkeys] = (k0 as u32, j as u32);
        nkeys += 1;
        i = e;
    }
    // One or more spaces, then the fields.
    while i < n && line[i] == b' ' {
        i += 1;
    }
    if i >= n {
        return false;
    }
    loop {
        let k0 = i;
        let Some(end) = name_end(line, k0, &NAME_STOP) else {
            return false;
        };
        i = end;
        if i == k0 || i >= n || line[i] != b'=' {
            return false;
        }
        let key = &line[k0..i];
        if (no_underscore && key[0] == b'_') || (no_time && key == b"time") {
            return false;
        }
        i += 1;
        if i >= n {
            return false;
        }
        if line[i] == b'"' {
            // `\` takes the next byte with it; the first other quote closes the string.
            let open = i;
            let mut j = i + 1;
            loop {
                let Some(q) = memchr::memchr2(b'"', b'\\', &line[j..]) else {
                    return false;
                };
                j += q;
                if line[j] == b'"' {
                    break;
                }
                j += 2;
                if j >= n {
                    return false;
                }
            }
            if j - open - 1 > parse::MAX_STRING_LEN {
                return false;
            }
            i = j + 1;
        } else {
            match fast_value(line, i, no_u) {
                Some(end) => i = end,
                None => return false,
            }
        }
        if i < n {
            match line[i] {
                b',' => {
                    i += 1;
                    continue;
                }
                b' ' => {}
                _ => return false,
            }
        }
        break;
    }
    // Optional timestamp.
    while i < n && line[i] == b' ' {
        i += 1;
    }
    if i >= n {
        return true;
    }
    if line[i] == b'-' {
        i += 1;
    }
    let d0 = i;
    while i < n && line[i].is_ascii_digit() {
        i += 1;
    }
    // Up to 18 digits is always inside the timestamp range; 19 digits compare as text
    // (the range is symmetric: -9223372036854775806..=9223372036854775806).
    let digits = i - d0;
    if digits == 0
        || digits > 19
        || (digits == 19 && &line[d0..i] > b"9223372036854775806".as_slice())
    {
        return false;
    }
    while i < n && line[i] == b' ' {
        i += 1;
    }
    i == n
}

/// A non-string field value at `v0` whose validity is obvious: returns its end (the next
/// byte must be checked by the caller), `None` means "ask the parser".
#[inline(always)]
fn fast_value(line: &[u8], v0: usize, no_u: bool) -> Option<usize> {
    let n = line.len();
    let digit = |i: usize| i < n && line[i].is_ascii_digit();
    let mut i = v0;
    let neg = i < n && line[i] == b'-';
    i += usize::from(neg);
    let d0 = i;
    while digit(i) {
        i += 1;
    }
    let int_digits = i - d0;
    if int_digits == 0 {
        // Booleans.
        let e = name_end(line, v0, &NAME_STOP)?;
        return matches!(
            &line[v0..e],
            b"t" | b"T"
                | b"true"
                | b"True"
                | b"TRUE"
                | b"f"
                | b"F"
                | b"false"
                | b"False"
                | b"FALSE"
        )
        .then_some(e);
    }
    match line.get(i) {
        Some(b'i') => return (int_digits <= 18).then_some(i + 1),
        Some(b'u') => return (!no_u && !neg && int_digits <= 19).then_some(i + 1),
        Some(b'.') => {
            i += 1;
            let f0 = i;
            while digit(i) {
                i += 1;
            }
            if i == f0 {
                return None;
            }
        }
        _ => {}
    }
    if i < n && (line[i] == b'e' || line[i] == b'E') {
        i += 1;
        let eneg = i < n && line[i] == b'-';
        if i < n && (line[i] == b'-' || line[i] == b'+') {
            i += 1;
        }
        let e0 = i;
        let mut exp = 0usize;
        while digit(i) {
            if i - e0 >= 4 {
                return None;
            }
            exp = exp * 10 + usize::from(line[i] - b'0');
            i += 1;
        }
        if i == e0 {
            return None;
        }
        let finite = if eneg {
            int_digits <= 300
        } else {
            int_digits + exp <= 300
        };
        return finite.then_some(i);
    }
    (int_digits <= 300).then_some(i)
}

#[cfg(test)]
mod tests {
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
}
