//! A seeded generator of edge-case lines, each with what it means as written (the line
//! protocol reference: LINE-PROTOCOL.md and the InfluxDB reference's escapes, `\\` being one
//! backslash in names). It builds the meaning first and writes it, so the meaning does not
//! come from any parser under test.

use lpconvert_bench::rng::Rng;

/// A field value as meant.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Float(f64),
    Int(i64),
    Bool(bool),
    Str(Vec<u8>),
}

/// What a line means.
#[derive(Debug, Clone)]
pub enum Meaning {
    /// A point.
    Point {
        measurement: Vec<u8>,
        tags: Vec<(Vec<u8>, Vec<u8>)>,
        fields: Vec<(Vec<u8>, Val)>,
        timestamp: Option<i64>,
    },
    /// A blank line or a comment: nothing to store.
    Nothing,
    /// Not valid line protocol: storing anything is storing it differently.
    Invalid,
}

/// One generated case: the line and its meaning. `id` is the measurement's prefix.
#[derive(Debug, Clone)]
pub struct Case {
    pub line: Vec<u8>,
    pub meaning: Meaning,
}

/// Bytes names are drawn from: the specials, control bytes, non-ASCII, invalid UTF-8.
const NAME_BYTES: &[&[u8]] = &[
    b" ",
    b",",
    b"=",
    b"\"",
    b"\\",
    b"\t",
    b"\x01",
    b"\x7f",
    b"\r",
    b"\xc3\xa9",
    b"\xff",
    b"#",
    b"_",
    b"'",
    b"x",
    b"y",
    b"z",
    b"0",
    b"-",
    b".",
];

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.below(items.len() as u32) as usize]
}

fn chance(rng: &mut Rng, percent: u32) -> bool {
    rng.below(100) < percent
}

/// A short name; often plain, sometimes full of edge bytes.
fn name(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    let len = 1 + rng.below(5);
    let tricky = chance(rng, 40);
    for _ in 0..len {
        if tricky {
            out.extend_from_slice(pick(rng, NAME_BYTES).as_ref());
        } else {
            out.push(b'a' + rng.below(26) as u8);
        }
    }
    out
}

/// Writes `text` escaped as the reference reads it: `specials` and `\` get a backslash
/// (a backslash not before a special or a backslash may be written bare: sometimes it is).
fn escape(out: &mut Vec<u8>, text: &[u8], specials: &[u8], rng: &mut Rng) {
    for (i, &b) in text.iter().enumerate() {
        if specials.contains(&b) {
            out.push(b'\\');
            out.push(b);
        } else if b == b'\\' {
            let next = text.get(i + 1);
            let bare_ok = matches!(next, Some(c) if !specials.contains(c) && *c != b'\\');
            if bare_ok && chance(rng, 50) {
                out.push(b'\\');
            } else {
                out.extend_from_slice(b"\\\\");
            }
        } else {
            out.push(b);
        }
    }
}

fn float_text(rng: &mut Rng) -> (String, f64) {
    const FIXED: &[&str] = &[
        "0",
        "-0",
        "1",
        "1.5",
        "-1.5",
        "1.",
        ".5",
        "-.5",
        "1e5",
        "1E+05",
        "1.5E-300",
        "4.9e-324",
        "2.2250738585072014e-308",
        "1.7976931348623157e308",
        "1e308",
        "1e-400",
        "123456789012345678",
        "0.1",
        "0.30000000000000004",
        "9007199254740993",
        "1.0000000000000002",
        "3.141592653589793",
        "00012",
        "1e-7",
        "123456.7890123456789",
        "1e22",
        "1e23",
        "8.98846567431158e307",
    ];
    let text = match rng.below(3) {
        0 => pick(rng, FIXED).to_string(),
        1 => {
            let bits = rng.next_u64();
            let f = f64::from_bits(bits);
            if f.is_finite() {
                format!("{f:e}")
            } else {
                "2.5".into()
            }
        }
        _ => {
            let mant = rng.next_u64() % 10u64.pow(1 + rng.below(18));
            let exp = rng.range_i32(-330, 330);
            format!("{mant}e{exp}")
        }
    };
    let value = text.parse::<f64>().unwrap_or(0.0);
    (text, value)
}

fn int_value(rng: &mut Rng) -> i64 {
    const FIXED: &[i64] = &[
        0,
        1,
        -1,
        (1 << 53) - 1,
        1 << 53,
        (1 << 53) + 1,
        -(1 << 53) - 1,
        i64::MAX,
        i64::MIN,
        i64::MAX - 1,
        1 << 60,
        123_456_789_012_345,
    ];
    if chance(rng, 50) {
        *pick(rng, FIXED)
    } else {
        (rng.next_u64() >> rng.below(63)) as i64 * if chance(rng, 30) { -1 } else { 1 }
    }
}

fn string_value(rng: &mut Rng) -> Vec<u8> {
    const PIECES: &[&[u8]] = &[
        b"a",
        b"12",
        b"1.5",
        b" ",
        b",",
        b"=",
        b"\"",
        b"\\",
        b"\\n",
        b"\t",
        b"\xff",
        b"\xc3\xa9",
        b"\x01",
        b"inf",
        b"-3",
    ];
    if chance(rng, 3) {
        return vec![b'x'; 64 * 1024 + 10];
    }
    let mut out = Vec::new();
    for _ in 0..rng.below(4) {
        out.extend_from_slice(pick(rng, PIECES).as_ref());
    }
    out
}

/// A field value and its text as written (a float out of range is no value).
fn field(rng: &mut Rng) -> (Vec<u8>, Val) {
    match rng.below(10) {
        0..=3 => {
            let (t, v) = float_text(rng);
            let v = if v.is_finite() { v } else { f64::NAN };
            (t.into_bytes(), Val::Float(v))
        }
        4 | 5 => {
            let v = int_value(rng);
            (format!("{v}i").into_bytes(), Val::Int(v))
        }
        6 => {
            let (t, v) = *pick(
                rng,
                &[("t", true), ("TRUE", true), ("False", false), ("f", false)],
            );
            (t.as_bytes().to_vec(), Val::Bool(v))
        }
        _ => {
            let s = string_value(rng);
            let mut t = vec![b'"'];
            for (i, &b) in s.iter().enumerate() {
                match b {
                    b'"' => t.extend_from_slice(b"\\\""),
                    // A bare backslash is literal unless a quote or a backslash follows.
                    b'\\'
                        if matches!(s.get(i + 1), None | Some(b'"' | b'\\')) || chance(rng, 50) =>
                    {
                        t.extend_from_slice(b"\\\\")
                    }
                    _ => t.push(b),
                }
            }
            t.push(b'"');
            (t, Val::Str(s))
        }
    }
}

fn timestamp(rng: &mut Rng, now: i64) -> (Vec<u8>, Option<i64>) {
    const DAY: i64 = 86_400_000_000_000;
    let t = match rng.below(12) {
        0 => return (Vec::new(), None),
        1 => 0,
        2 => return (b"-0".to_vec(), Some(0)),
        3 => -((rng.next_u64() % 2_000_000) as i64),
        4 => -((rng.next_u64() % (DAY as u64 * 20_000)) as i64),
        5 => now + DAY,
        6 => now + 2 * DAY + DAY / 10,
        7 => now + 400 * DAY,
        8 => 9_223_372_036_854_775_806,
        9 => (rng.next_u64() % 1_000_000_000) as i64,
        _ => now - (rng.next_u64() % (DAY as u64 * 3000)) as i64,
    };
    (t.to_string().into_bytes(), Some(t))
}

/// One case, measurement prefixed with `id`.
pub fn case(rng: &mut Rng, id: &str, now: i64) -> Case {
    // Blanks and comments now and then.
    match rng.below(60) {
        0 => return case_text(b"# a comment f=1", Meaning::Nothing),
        1 => return case_text(b"   ", Meaning::Nothing),
        2 => return case_text(b"\r", Meaning::Nothing),
        _ => {}
    }
    let mut measurement = id.as_bytes().to_vec();
    if chance(rng, 35) {
        measurement.extend(name(rng));
    }
    let long = rng.below(25);
    if long == 0 {
        let n = *pick(rng, &[16 * 1024 - 40, 16 * 1024 + 10, 65_500]);
        measurement.resize(n, b'm');
    }
    let mut tags: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let ntags = if chance(rng, 4) {
        29 + rng.below(3)
    } else {
        rng.below(4)
    };
    for i in 0..ntags {
        let mut k = match rng.below(12) {
            0 => b"__name__".to_vec(),
            1 => b"time".to_vec(),
            2 => b"db".to_vec(),
            _ => name(rng),
        };
        if long == 1 {
            k = vec![b'k'; *pick(rng, &[255usize, 256, 257, 300])];
        }
        if tags.iter().any(|(t, _)| *t == k) {
            k.extend_from_slice(format!("{i}").as_bytes());
        }
        let mut v = name(rng);
        if long == 2 {
            v = vec![b'v'; *pick(rng, &[16 * 1024, 16 * 1024 + 1, 65_520])];
        }
        tags.push((k, v));
    }
    let mut fields: Vec<(Vec<u8>, Vec<u8>, Val)> = Vec::new();
    for i in 0..1 + rng.below(3) {
        let mut k = if chance(rng, 8) {
            b"time".to_vec()
        } else {
            name(rng)
        };
        if fields.iter().any(|(f, _, _)| *f == k) {
            k.extend_from_slice(format!("{i}").as_bytes());
        }
        let (text, v) = field(rng);
        fields.push((k, text, v));
    }
    let (ts_text, ts) = timestamp(rng, now);
    // Write it.
    let mut line = Vec::new();
    let mut valid = true;
    match rng.below(20) {
        0 => line.extend_from_slice(b"  "),
        1 => line.push(b'\t'),
        _ => {}
    }
    escape(&mut line, &measurement, b", ", rng);
    for (k, v) in &tags {
        line.push(b',');
        escape(&mut line, k, b",= ", rng);
        line.push(b'=');
        escape(&mut line, v, b",= ", rng);
    }
    line.extend_from_slice(if chance(rng, 10) { b"  " } else { b" " });
    for (i, (k, text, _)) in fields.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        escape(&mut line, k, b",= ", rng);
        line.push(b'=');
        line.extend_from_slice(text);
    }
    // A duplicate field, of the same or another type: no single meaning.
    if chance(rng, 5) {
        let (k, _, _) = &fields[0];
        line.push(b',');
        escape(&mut line, &k.clone(), b",= ", rng);
        line.extend_from_slice(if chance(rng, 50) { b"=2" } else { b"=2i" });
        valid = false;
    }
    if !ts_text.is_empty() {
        line.extend_from_slice(if chance(rng, 10) { b"  " } else { b" " });
        line.extend_from_slice(&ts_text);
    }
    match rng.below(25) {
        0 => line.push(b' '),
        1 => {
            line.push(b'\r');
            valid = false;
        }
        2 => {
            // A raw quote somewhere in the field set, or a missing `=`.
            let at = line.len() - 1;
            line.insert(at, b'"');
            valid = false;
        }
        _ => {}
    }
    let out_of_range = fields
        .iter()
        .any(|(_, _, v)| matches!(v, Val::Float(f) if f.is_nan()));
    let meaning = if !valid || out_of_range {
        Meaning::Invalid
    } else {
        let mut fs: Vec<(Vec<u8>, Val)> = Vec::new();
        for (k, _, v) in fields {
            fs.push((k, v));
        }
        Meaning::Point {
            measurement,
            tags,
            fields: fs,
            timestamp: ts,
        }
    };
    Case { line, meaning }
}

fn case_text(line: &[u8], meaning: Meaning) -> Case {
    Case {
        line: line.to_vec(),
        meaning,
    }
}
