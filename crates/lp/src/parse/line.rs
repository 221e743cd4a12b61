//! [`parse_line`]: the strict check of one line, element by element.

use super::field_value::scan_value;
use super::scan::{check_backslash, err, parse_i64, scan_name, show, skip_spaces};
use super::{is_blank_or_comment, ErrorKind, Line, ParseError};
use crate::value::{MAX_NANOS, MIN_NANOS};

/// Parses and validates one line (without its line ending).
pub fn parse_line(line: &[u8]) -> Result<Line<'_>, ParseError> {
    if is_blank_or_comment(line) {
        return Err(err(
            ErrorKind::NotALine,
            0,
            "a blank line or comment is not a point".into(),
        ));
    }
    if let Some(i) = memchr::memchr2(b'\r', b'\n', line) {
        return Err(err(
            ErrorKind::LineBreak,
            i,
            "carriage return or line feed inside the line: write LF line endings".into(),
        ));
    }
    let n = line.len();
    // Measurement.
    let m_end = scan_name(line, 0, |b| b == b',' || b == b' ');
    let measurement = &line[..m_end];
    if measurement.is_empty() {
        return Err(err(
            ErrorKind::MissingMeasurement,
            0,
            "missing measurement".into(),
        ));
    }
    check_backslash(measurement, 0, "measurement")?;
    // Tags.
    let mut pos = m_end;
    let tags_start = pos + 1;
    let mut keys: [(u32, u32); 32] = [(0, 0); 32];
    let mut nkeys = 0usize;
    let mut more_keys: Vec<(usize, usize)> = Vec::new();
    while pos < n && line[pos] == b',' {
        let k0 = pos + 1;
        let k_end = scan_name(line, k0, |b| b == b'=' || b == b',' || b == b' ');
        if k_end == k0 || k_end >= n || line[k_end] != b'=' {
            return Err(err(
                ErrorKind::BadTag,
                k0,
                format!("tag `{}` needs the form key=value", show(&line[k0..k_end])),
            ));
        }
        check_backslash(&line[k0..k_end], k0, "tag key")?;
        let v0 = k_end + 1;
        let v_end = scan_name(line, v0, |b| b == b',' || b == b' ' || b == b'=');
        if v_end < n && line[v_end] == b'=' {
            return Err(err(
                ErrorKind::BadTag,
                v_end,
                "unescaped `=` in a tag value: write it as `\\=`".into(),
            ));
        }
        if v_end == v0 {
            return Err(err(
                ErrorKind::EmptyTagValue,
                v0,
                format!(
                    "tag `{}` has an empty value: omit the tag instead",
                    show(&line[k0..k_end])
                ),
            ));
        }
        check_backslash(&line[v0..v_end], v0, "tag value")?;
        let key = &line[k0..k_end];
        let dup = keys[..nkeys]
            .iter()
            .map(|&(a, b)| (a as usize, b as usize))
            .chain(more_keys.iter().copied())
            .any(|(a, b)| &line[a..b] == key);
        if dup {
            return Err(err(
                ErrorKind::DuplicateTag,
                k0,
                format!("duplicate tag key `{}`", show(key)),
            ));
        }
        if nkeys < keys.len() {
            keys[nkeys] = (k0 as u32, k_end as u32);
            nkeys += 1;
        } else {
            more_keys.push((k0, k_end));
        }
        pos = v_end;
    }
    let tag_set = if pos > m_end {
        &line[tags_start..pos]
    } else {
        &line[..0]
    };
    // Fields.
    let f0 = skip_spaces(line, pos);
    if f0 >= n {
        return Err(err(
            ErrorKind::MissingFields,
            f0,
            "missing field set: a line needs at least one field, such as value=1".into(),
        ));
    }
    let mut pos = f0;
    loop {
        let k_end = scan_name(line, pos, |b| b == b'=' || b == b',' || b == b' ');
        if k_end == pos || k_end >= n || line[k_end] != b'=' {
            return Err(err(
                ErrorKind::BadField,
                pos,
                format!(
                    "field `{}` needs the form key=value",
                    show(&line[pos..k_end])
                ),
            ));
        }
        check_backslash(&line[pos..k_end], pos, "field key")?;
        let (_, end) = scan_value(line, k_end + 1)?;
        pos = end;
        if pos < n && line[pos] == b',' {
            pos += 1;
            continue;
        }
        break;
    }
    let field_set = &line[f0..pos];
    // Timestamp.
    let t0 = skip_spaces(line, pos);
    if t0 >= n && t0 > pos {
        return Err(err(
            ErrorKind::TrailingSpace,
            pos,
            "space after the last field and no timestamp: InfluxDB 3 refuses the line; remove the trailing space".into(),
        ));
    }
    if t0 >= n {
        return Ok(Line {
            measurement,
            tag_set,
            field_set,
            timestamp: None,
            timestamp_span: None,
        });
    }
    let mut t_end = t0;
    while t_end < n && line[t_end] != b' ' {
        t_end += 1;
    }
    let text = &line[t0..t_end];
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(err(
            ErrorKind::InvalidTimestamp,
            t0,
            format!("invalid timestamp `{}`: expected an integer", show(text)),
        ));
    }
    let ts = match parse_i64(text) {
        Some(v) if (MIN_NANOS..=MAX_NANOS).contains(&v) => v,
        _ => {
            return Err(err(
                ErrorKind::TimestampOutOfRange,
                t0,
                format!(
                    "timestamp {} is out of range (1677-09-21 to 2262-04-11 in ns)",
                    show(text)
                ),
            ))
        }
    };
    let rest = skip_spaces(line, t_end);
    if rest < n {
        return Err(err(
            ErrorKind::TextAfterTimestamp,
            rest,
            format!(
                "unexpected text after the timestamp: `{}`",
                show(&line[rest..])
            ),
        ));
    }
    Ok(Line {
        measurement,
        tag_set,
        field_set,
        timestamp: Some(ts),
        timestamp_span: Some(t0..t_end),
    })
}
