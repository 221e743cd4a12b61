//! InfluxDB 1.x and 2.x refusals: `unable to parse 'LINE': REASON` pieces and
//! `partial write: REASON dropped=N`.

use super::Refusal;
use lpconvert_lp::target::influxdb1_unparsable;
use std::collections::HashMap;

/// Which server's answer is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    /// InfluxDB 1.x: the good lines of a batch with unparsable ones are stored
    /// (`partial write: unable to parse ...`).
    V1,
    /// InfluxDB 2.x: a batch with an unparsable line is refused whole; `partial write:`
    /// (after `failure writing points to database: `) only for points refused after parsing.
    V2,
}

/// Reads a v1 400 or a v2 400/422 `message` for a batch of `lines`; `first` is the line
/// (0-based) InfluxDB Cloud names as the first refused.
pub(super) fn refusal(
    message: String,
    lines: &[&[u8]],
    dialect: Dialect,
    first: Option<usize>,
) -> Refusal {
    let whole = |message: String, named: &HashMap<usize, String>| {
        Refusal::whole(message, named, lines.len())
    };
    let (mut named, unmatched) = unparsable_lines(&message, lines);
    if let Some(i) = first {
        named.entry(i).or_insert_with(|| message.clone());
    }
    let partial = match dialect {
        Dialect::V1 => message.strip_prefix("partial write:"),
        Dialect::V2 => message
            .strip_prefix("failure writing points to database: ")
            .unwrap_or(&message)
            .strip_prefix("partial write:"),
    };
    if let Some(rest) = partial {
        let dropped = rest
            .rsplit_once("dropped=")
            .and_then(|(_, n)| n.trim().parse::<u64>().ok());
        // Without a readable `dropped=N`, or when it names nothing refused, the
        // answer does not say which lines were stored: none is counted as stored.
        let dropped = match dropped {
            Some(d) if d.saturating_add(unmatched) > 0 || !named.is_empty() => d,
            _ => return whole(message, &named),
        };
        if dialect == Dialect::V1 && !message.contains("unable to parse '") {
            // InfluxDB 1.x reports the lines that failed to parse, or the points
            // refused by the write (type conflicts, retention: `dropped=N`), never
            // both: with a write error, the lines that failed to parse are neither
            // named nor counted, and not stored. Find them here.
            for (i, line) in lines.iter().enumerate() {
                if let Some(p) = influxdb1_unparsable(line) {
                    named.insert(
                        i,
                        format!("not valid InfluxDB 1.x line protocol ({p}); the server did not name it, it reported: {message}"),
                    );
                }
            }
        }
        // `dropped=N` counts points refused after parsing, distinct from the named
        // unparsable lines; it can never exceed what is left of the batch.
        let left = (lines.len() - named.len()) as u64;
        let unidentified = dropped.saturating_add(unmatched).min(left);
        let unidentified = if unidentified == left {
            // Every line not named was refused: that names them (a one-line request, or
            // a batch wholly beyond the retention policy).
            let why = reason(rest, &message);
            for i in 0..lines.len() {
                named.entry(i).or_insert_with(|| why.clone());
            }
            0
        } else {
            unidentified
        };
        let mut refused: Vec<_> = named.into_iter().collect();
        refused.sort_unstable();
        Refusal {
            message,
            lines: refused,
            unidentified,
        }
    } else {
        whole(message, &named)
    }
}

/// The reason of a partial write for the points it counts in `dropped=N`: `rest` (the
/// message after `partial write:`) without the count; the whole `message` when that leaves
/// nothing.
fn reason(rest: &str, message: &str) -> String {
    let rest = rest.trim();
    let rest = match rest.rsplit_once(" dropped=") {
        Some((why, n)) if n.trim().parse::<u64>().is_ok() => why.trim_end(),
        _ => rest,
    };
    if rest.is_empty() {
        message.to_owned()
    } else {
        rest.to_owned()
    }
}

/// Finds the lines named by `unable to parse 'LINE': REASON` pieces of a v1 or v2 message.
fn unparsable_lines(message: &str, lines: &[&[u8]]) -> (HashMap<usize, String>, u64) {
    let mut out = HashMap::new();
    let mut unmatched = 0;
    if !message.contains("unable to parse '") {
        return (out, unmatched);
    }
    // InfluxDB quotes the line without its surrounding blanks.
    let mut by_text: HashMap<&[u8], Vec<usize>> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        by_text.entry(l.trim_ascii()).or_default().push(i);
    }
    let body = message
        .split_once("partial write:")
        .map_or(message, |(_, rest)| rest)
        .trim_start();
    for piece in body.split('\n') {
        let Some(rest) = piece.strip_prefix("unable to parse '") else {
            continue;
        };
        // The line itself may contain "': ": try every split point, longest line first.
        let mut found = None;
        for (pos, _) in rest
            .match_indices("': ")
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            if let Some(idxs) = by_text.get(rest.as_bytes()[..pos].trim_ascii()) {
                if let Some(&i) = idxs.iter().find(|i| !out.contains_key(*i)) {
                    let mut why = rest[pos + 3..].to_owned();
                    if let Some((w, _)) = why.rsplit_once(" dropped=") {
                        why = w.to_owned();
                    }
                    found = Some((i, why));
                    break;
                }
            }
        }
        match found {
            Some((i, why)) => {
                out.insert(i, why);
            }
            // A refused line that cannot be told apart: still counted as refused.
            None => unmatched += 1,
        }
    }
    (out, unmatched)
}
