//! [`fast_valid`]: a single pass that accepts the common shape of a valid line, so that
//! [`check_line`](super::check_line) only parses the rest.

use super::{Rules, Target};
use crate::parse;

/// VictoriaMetrics' limits the fast path stays under (`victoriametrics.rs`).
const VM_MAX_LABEL_NAME: usize = 256;
const VM_MAX_LABEL_VALUE: usize = 16 * 1024;
const VM_MAX_LINE: usize = 256 * 1024;
/// Digits of an integer VictoriaMetrics reads and keeps exactly (below 2^53).
const VM_EXACT_DIGITS: usize = 15;
/// Digits of a decimal fraction it reads exactly (one correctly rounded division by an
/// exact power of ten) and keeps (its storage keeps about 12 significant digits).
const VM_EXACT_FRACTION_DIGITS: usize = 12;

/// True when a backslash in `name` escapes one of `bytes`.
fn escapes_any(name: &[u8], bytes: &[u8]) -> bool {
    let mut i = 0;
    while let Some(j) = memchr::memchr(b'\\', &name[i..]) {
        let at = i + j;
        if name.get(at + 1).is_some_and(|c| bytes.contains(c)) {
            return true;
        }
        i = at + 2;
        if i >= name.len() {
            break;
        }
    }
    false
}

/// Bytes that end a tag key, tag value or field key (and the escape byte, and control bytes).
const NAME_STOP: [bool; 256] = stop_table(b",= \\");
/// Bytes that end a measurement (and the escape byte, and control bytes).
const MEASUREMENT_STOP: [bool; 256] = stop_table(b", \\");

const fn stop_table(stops: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    // Control characters end a name too, so that the parser judges them.
    let mut c = 0;
    while c < 0x20 {
        t[c] = true;
        c += 1;
    }
    t[0x7F] = true;
    let mut i = 0;
    while i < stops.len() {
        t[stops[i] as usize] = true;
        i += 1;
    }
    t
}

/// The end of a name from `i`: the first unescaped byte of `stops`. A backslash takes the
/// next byte with it, as in the parser; `None` for a backslash run (`\\`, which servers read
/// differently), an escaped control byte, or a backslash at the end of the line: the parser
/// decides those.
#[inline(always)]
fn name_end(line: &[u8], mut i: usize, stops: &[bool; 256]) -> Option<usize> {
    loop {
        while i < line.len() && !stops[line[i] as usize] {
            i += 1;
        }
        if i < line.len() && line[i] == b'\\' {
            match line.get(i + 1) {
                Some(b'\\') | None => return None,
                // An escaped control byte is still one: the parser judges it.
                Some(&c) if c < 0x20 || c == 0x7F => return None,
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
/// runs, up to 16 tags and 16 fields, numbers whose range is obvious from their digits (for
/// VictoriaMetrics: whose value it reads exactly), no string for VictoriaMetrics. It returns
/// `false` for anything else (including every invalid line), so `true` is always right and
/// `false` means "ask the slow path".
#[inline]
pub fn fast_valid(line: &[u8], rules: &Rules) -> bool {
    let target = rules.target;
    // Carriage returns go to the parser.
    if memchr::memchr(b'\r', line).is_some() {
        return false;
    }
    let n = line.len();
    let v1 = target == Some(Target::Influxdb1);
    let vm = target == Some(Target::VictoriaMetrics);
    let no_underscore = target == Some(Target::Influxdb2);
    let (no_u, no_time) = (v1, v1);
    if vm && n > VM_MAX_LINE {
        return false;
    }
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
    let measurement_len = i;
    // InfluxDB 1.x unescapes `\=` and `\"` in a measurement, VictoriaMetrics `\=`; 1.x
    // refuses invalid UTF-8 there.
    if (v1 || vm) && escapes_any(&line[..i], if v1 { b"=\"" } else { b"=" }) {
        return false;
    }
    if v1 && !line[..i].is_ascii() {
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
        if vm && (key.len() > VM_MAX_LABEL_NAME || key == b"__name__") {
            return false;
        }
        let v0 = j + 1;
        let Some(e) = name_end(line, v0, &NAME_STOP) else {
            return false;
        };
        if e == v0 || (e < n && line[e] == b'=') {
            return false;
        }
        if vm && e - v0 > VM_MAX_LABEL_VALUE {
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
    // Long series keys go to the parser (InfluxDB 1.x/2.x cap series key + field key).
    let series_end = i;
    // One or more spaces, then the fields.
    while i < n && line[i] == b' ' {
        i += 1;
    }
    if i >= n {
        return false;
    }
    let mut fkeys = [(0u32, 0u32); 16];
    let mut nfkeys = 0usize;
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
        if series_end + parse::FIELD_KEY_SEPARATOR_LEN + key.len() > parse::MAX_KEY_LEN {
            return false;
        }
        // Two fields of one key: the servers keep one or both, never what was written.
        if nfkeys == fkeys.len()
            || i > u32::MAX as usize
            || fkeys[..nfkeys]
                .iter()
                .any(|&(a, z)| &line[a as usize..z as usize] == key)
        {
            return false;
        }
        fkeys[nfkeys] = (k0 as u32, i as u32);
        nfkeys += 1;
        if v1 && (!key.is_ascii() || escapes_any(key, b"\"")) {
            return false;
        }
        if vm
            && (memchr::memchr(b'"', key).is_some()
                || measurement_len + 1 + key.len() > VM_MAX_LABEL_VALUE)
        {
            return false;
        }
        i += 1;
        if i >= n {
            return false;
        }
        if line[i] == b'"' {
            // VictoriaMetrics stores strings as numbers.
            if vm {
                return false;
            }
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
            match fast_value(line, i, no_u, vm) {
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
    // Optional timestamp (spaces with nothing after them: the parser refuses them).
    if i >= n {
        return true;
    }
    while i < n && line[i] == b' ' {
        i += 1;
    }
    if i >= n {
        return false;
    }
    let neg = line[i] == b'-';
    if neg {
        i += 1;
    }
    let d0 = i;
    let mut value = 0u64;
    // Each byte is read once: a mapped input truncated while read turns into zero pages
    // between two reads of the same byte (the run then fails as changed).
    while let Some(d) = line
        .get(i)
        .and_then(|c| c.checked_sub(b'0'))
        .filter(|d| *d < 10)
    {
        value = value.wrapping_mul(10).wrapping_add(u64::from(d));
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
    // VictoriaMetrics: 0 is now, before 1970 and 2 days ahead are dropped, and a space
    // after the timestamp drops the line.
    if vm && (neg || value == 0 || value as i64 > rules.vm_max_ts || i < n) {
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
fn fast_value(line: &[u8], v0: usize, no_u: bool, vm: bool) -> Option<usize> {
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
    let max_int = if vm { VM_EXACT_DIGITS } else { 18 };
    match line.get(i) {
        Some(b'i') => return (int_digits <= max_int).then_some(i + 1),
        Some(b'u') => {
            let max_u = if vm { VM_EXACT_DIGITS } else { 19 };
            return (!no_u && !neg && int_digits <= max_u).then_some(i + 1);
        }
        Some(b'.') => {
            i += 1;
            let f0 = i;
            while digit(i) {
                i += 1;
            }
            if i == f0 || (vm && int_digits + (i - f0) > VM_EXACT_FRACTION_DIGITS) {
                return None;
            }
        }
        _ => {}
    }
    if vm && int_digits > VM_EXACT_DIGITS {
        return None;
    }
    if i < n && (line[i] == b'e' || line[i] == b'E') {
        if vm {
            return None;
        }
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
            exp = exp * 10 + usize::from(line[i].wrapping_sub(b'0'));
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
