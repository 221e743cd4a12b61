//! [`target_rules`]: what InfluxDB 2.x or 3 refuses or reads differently in a line the
//! portable parser accepted (InfluxDB 1.x and VictoriaMetrics have models of their own:
//! `verdict.rs`).

use super::{Problem, Target};
use crate::parse::{Line, FIELD_KEY_SEPARATOR_LEN, MAX_KEY_LEN};

fn offset(line: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).saturating_sub(line.as_ptr() as usize)
}

fn show(b: &[u8]) -> std::borrow::Cow<'_, str> {
    crate::printable(b)
}

fn problem(line: &[u8], part: &[u8], message: String) -> Problem {
    Problem {
        column: offset(line, part) + 1,
        message,
        kind: None,
    }
}

/// The series key plus a field key over [`MAX_KEY_LEN`]: InfluxDB 1.x/2.x refuse the line
/// ("max key length exceeded"). Checked without a target too (see the module table).
fn key_length(line: &[u8], l: &Line<'_>, target: Option<Target>) -> Result<(), Problem> {
    if target.is_some_and(|t| !t.limits_key_length()) {
        return Ok(());
    }
    let series = if l.tag_set.is_empty() {
        l.measurement.len()
    } else {
        offset(line, l.tag_set) + l.tag_set.len()
    };
    // The field set's length bounds every field key: most lines stop here.
    if series + FIELD_KEY_SEPARATOR_LEN + l.field_set.len() <= MAX_KEY_LEN {
        return Ok(());
    }
    for (k, _) in l.fields() {
        let total = series + FIELD_KEY_SEPARATOR_LEN + k.len();
        if total > MAX_KEY_LEN {
            let (tk, tv) = l
                .tags()
                .max_by_key(|(_, v)| v.len())
                .unwrap_or((&b""[..], &b""[..]));
            let longest = if tv.len() > l.measurement.len() {
                format!("tag `{}` ({} bytes)", show(tk), tv.len())
            } else {
                format!("the measurement ({} bytes)", l.measurement.len())
            };
            return Err(problem(
                line,
                k,
                format!(
                    "series key (measurement and tags, {series} bytes) plus field key `{}` is {total} bytes, \
                     over the {MAX_KEY_LEN} bytes InfluxDB 1.x/2.x accept (\"max key length exceeded\"); \
                     the longest part is {longest}: shorten it or make it a field",
                    show(k)
                ),
            ));
        }
    }
    Ok(())
}

/// The target's own rules on a line the portable parser accepted.
pub fn target_rules(line: &[u8], l: &Line<'_>, target: Option<Target>) -> Result<(), Problem> {
    if matches!(target, Some(Target::Influxdb1 | Target::VictoriaMetrics)) {
        return Ok(());
    }
    key_length(line, l, target)?;
    let Some(t) = target else { return Ok(()) };
    let double_backslash = |what: &str, name: &[u8]| -> Result<(), Problem> {
        if memchr::memmem::find(name, b"\\\\").is_some() {
            let reading = match t {
                Target::Influxdb3 => {
                    "InfluxDB 3 reads `\\\\` as one backslash, InfluxDB 1.x/2.x keep both"
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
    double_backslash("measurement", l.measurement)?;
    reserved("measurement", l.measurement)?;
    for (k, v) in l.tags() {
        double_backslash("tag key", k)?;
        reserved("tag key", k)?;
        double_backslash("tag value", v)?;
    }
    for (k, _) in l.fields() {
        double_backslash("field key", k)?;
        reserved("field key", k)?;
    }
    Ok(())
}
