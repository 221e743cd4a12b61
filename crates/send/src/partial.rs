//! Reading a refusal (400, 422): which lines of the batch the server did not store, and why.
//!
//! - InfluxDB 1.x: `{"error":"partial write: unable to parse 'LINE': REASON\n... dropped=N"}`.
//!   Lines that failed to parse are named verbatim; `dropped=N` counts points refused after
//!   parsing (type conflicts, retention), which the server does not name. Without
//!   `partial write`, nothing of the batch was stored.
//! - InfluxDB 2.x: `{"code":"invalid","message":...}`: the whole batch is refused.
//! - InfluxDB 3: `{"error":"partial write of line protocol occurred","data":[{"line_number":N,
//!   "error_message":...}]}` (1-based line numbers); `data` is an object when nothing was stored.

use crate::dialect::Api;
use lpconvert_lp::target::influxdb1_unparsable;
use std::collections::HashMap;

/// The lines a server refused.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refusal {
    /// The server's overall message.
    pub message: String,
    /// Refused lines: index in the batch (0-based) and the reason for that line.
    pub lines: Vec<(usize, String)>,
    /// Lines refused that the server did not identify (v1 `dropped=N`).
    pub unidentified: u64,
}

impl Refusal {
    /// Number of refused lines.
    pub fn count(&self) -> u64 {
        self.lines.len() as u64 + self.unidentified
    }
}

/// Interprets a 400/422 `body` for a batch whose lines are `lines`.
pub fn parse_refusal(api: Api, status: u16, body: &str, lines: &[&[u8]]) -> Refusal {
    let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let text = |key: &str| {
        json.as_ref()
            .and_then(|j| j.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let message = text("error")
        .or_else(|| text("message"))
        .unwrap_or_else(|| body.trim().to_owned());
    let message = if message.is_empty() {
        format!("HTTP {status}")
    } else {
        message
    };
    let whole = |message: String, per_line: &HashMap<usize, String>| {
        let lines = (0..lines.len())
            .map(|i| {
                (
                    i,
                    per_line.get(&i).cloned().unwrap_or_else(|| message.clone()),
                )
            })
            .collect();
        Refusal {
            message,
            lines,
            unidentified: 0,
        }
    };
    if status != 400 {
        return whole(message, &HashMap::new());
    }
    match api {
        Api::V3 => {
            let data = json.as_ref().and_then(|j| j.get("data"));
            let mut named: HashMap<usize, String> = HashMap::new();
            // Items naming no line of this batch (missing, negative or out of range): the
            // server refused lines that cannot be identified.
            let mut unmapped = 0usize;
            let items: Vec<&serde_json::Value> = match data {
                Some(serde_json::Value::Array(a)) => a.iter().collect(),
                Some(o @ serde_json::Value::Object(_)) => vec![o],
                _ => Vec::new(),
            };
            for item in items {
                let n = item.get("line_number").and_then(|v| v.as_u64());
                let why = item
                    .get("error_message")
                    .and_then(|v| v.as_str())
                    .unwrap_or(&message);
                match n.and_then(|n| usize::try_from(n).ok()) {
                    Some(n) if (1..=lines.len()).contains(&n) => {
                        named.insert(n - 1, why.to_owned());
                    }
                    _ => unmapped += 1,
                }
            }
            // Only an answer whose every item names a line of the batch says which lines
            // were stored; otherwise nothing of the batch is counted as stored.
            if message.contains("partial write") && !named.is_empty() && unmapped == 0 {
                let mut lines: Vec<_> = named.into_iter().collect();
                lines.sort_unstable();
                Refusal {
                    message,
                    lines,
                    unidentified: 0,
                }
            } else {
                whole(message, &named)
            }
        }
        Api::V1 => {
            let (named, unmatched) = v1_unparsable_lines(&message, lines);
            if let Some(rest) = message.strip_prefix("partial write:") {
                let dropped = rest
                    .rsplit_once("dropped=")
                    .and_then(|(_, n)| n.trim().parse::<u64>().ok());
                // Without a readable `dropped=N`, or when it names nothing refused, the
                // answer does not say which lines were stored: none is counted as stored.
                let dropped = match dropped {
                    Some(d) if d.saturating_add(unmatched) > 0 || !named.is_empty() => d,
                    _ => return whole(message, &named),
                };
                let mut named = named;
                if !message.contains("unable to parse '") {
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
                let mut refused: Vec<_> = named.into_iter().collect();
                refused.sort_unstable();
                // `dropped=N` counts points refused after parsing, distinct from the named
                // unparsable lines; it can never exceed what is left of the batch.
                let left = (lines.len() - refused.len()) as u64;
                Refusal {
                    message,
                    lines: refused,
                    unidentified: dropped.saturating_add(unmatched).min(left),
                }
            } else {
                whole(message, &named)
            }
        }
        Api::V2 => whole(message, &HashMap::new()),
    }
}

/// Finds the lines named by `unable to parse 'LINE': REASON` pieces of a v1 error message.
fn v1_unparsable_lines(message: &str, lines: &[&[u8]]) -> (HashMap<usize, String>, u64) {
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
        .strip_prefix("partial write:")
        .unwrap_or(message)
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

#[cfg(test)]
mod tests {
    use super::*;

    const LINES: [&[u8]; 4] = [b"m f=1", b"m f=oops", b"m f=3", b"m,t= f=1"];

    #[test]
    fn v1_partial_write_names_unparsable_lines() {
        let body = r#"{"error":"partial write: unable to parse 'm f=oops': invalid number\nunable to parse 'm,t= f=1': missing tag value dropped=0"}"#;
        let r = parse_refusal(Api::V1, 400, body, &LINES);
        assert_eq!(
            r.lines,
            vec![
                (1, "invalid number".to_owned()),
                (3, "missing tag value".to_owned())
            ]
        );
        assert_eq!(r.unidentified, 0);
        assert_eq!(r.count(), 2);
    }

    #[test]
    fn v1_partial_write_dropped_without_names() {
        let body = r#"{"error":"partial write: field type conflict: input field \"f\" on measurement \"m\" is type integer, already exists as type float dropped=2"}"#;
        // Lines that all parse (see v1_write_error_hides_unparsable_lines for the others).
        let lines: [&[u8]; 4] = [b"m f=1", b"m f=2i", b"m f=3", b"m f=4i"];
        let r = parse_refusal(Api::V1, 400, body, &lines);
        assert!(r.lines.is_empty());
        assert_eq!(r.unidentified, 2);
        assert!(r.message.contains("field type conflict"));
    }

    #[test]
    fn v1_not_partial_refuses_everything() {
        let body = r#"{"error":"unable to parse 'm f=oops': invalid number"}"#;
        let r = parse_refusal(Api::V1, 400, body, &LINES[1..2]);
        assert_eq!(r.lines, vec![(0, "invalid number".to_owned())]);
        let r = parse_refusal(Api::V1, 400, "not json", &LINES);
        assert_eq!(r.count(), 4);
        assert_eq!(r.lines[0].1, "not json");
    }

    #[test]
    fn v1_partial_write_without_a_count_refuses_the_batch() {
        for body in [
            r#"{"error":"partial write: field type conflict"}"#,
            r#"{"error":"partial write: x dropped=-2"}"#,
            r#"{"error":"partial write: x dropped=99999999999999999999999"}"#,
            r#"{"error":"partial write: x dropped=0"}"#,
            "partial write: shard is read-only",
        ] {
            let r = parse_refusal(Api::V1, 400, body, &LINES);
            assert_eq!(r.count(), 4, "{body}: {r:?}");
        }
        let body = r#"{"error":"partial write: max-values-per-tag limit exceeded dropped=1"}"#;
        assert_eq!(parse_refusal(Api::V1, 400, body, &LINES).unidentified, 1);
    }

    #[test]
    fn v1_write_error_hides_unparsable_lines() {
        // What InfluxDB 1.x answers when a batch has a type conflict and lines that do not
        // parse: only the conflict is reported.
        let lines: [&[u8]; 5] = [
            b"m f=1i",
            b"m f=oops",
            b"m f=\"x\"",
            b"m,t= f=1i",
            b"m f=2i",
        ];
        let body = r#"{"error":"partial write: field type conflict: input field \"f\" on measurement \"m\" is type string, already exists as type integer dropped=1"}"#;
        let r = parse_refusal(Api::V1, 400, body, &lines);
        assert_eq!(r.lines.iter().map(|l| l.0).collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(r.unidentified, 1);
        assert_eq!(r.count(), 3);
        let r = parse_refusal(
            Api::V1,
            400,
            r#"{"error":"partial write: x dropped=18446744073709551615"}"#,
            &lines,
        );
        assert_eq!(r.count(), 5);
    }

    #[test]
    fn v3_items_naming_no_line_refuse_the_batch() {
        for data in [
            r#"[{"line_number":2,"error_message":"bad"},{"line_number":9,"error_message":"x"}]"#,
            r#"[{"line_number":2,"error_message":"bad"},{"line_number":-1,"error_message":"x"}]"#,
            r#"[{"line_number":2,"error_message":"bad"},{"line_number":0,"error_message":"x"}]"#,
            r#"[{"line_number":2,"error_message":"bad"},{"error_message":"x"}]"#,
            r#"[{"line_number":2,"error_message":"bad"},{"line_number":"3","error_message":"x"}]"#,
            r#"[{"line_number":2.5,"error_message":"bad"}]"#,
        ] {
            let body =
                format!(r#"{{"error":"partial write of line protocol occurred","data":{data}}}"#);
            let r = parse_refusal(Api::V3, 400, &body, &LINES);
            assert_eq!(r.count(), 4, "{data}: {r:?}");
        }
        // The same line named twice is one refused line.
        let body = r#"{"error":"partial write of line protocol occurred","data":[{"line_number":2,"error_message":"a"},{"line_number":2,"error_message":"b"}]}"#;
        assert_eq!(parse_refusal(Api::V3, 400, body, &LINES).count(), 1);
    }

    #[test]
    fn v2_refuses_the_batch() {
        let body = r#"{"code":"invalid","message":"unable to parse 'm f=oops': invalid number"}"#;
        let r = parse_refusal(Api::V2, 400, body, &LINES);
        assert_eq!(r.count(), 4);
        assert!(r.message.starts_with("unable to parse"));
    }

    #[test]
    fn v3_line_numbers() {
        let body = r#"{"error":"partial write of line protocol occurred","data":[{"original_line":"m f=oops","line_number":2,"error_message":"invalid column value"},{"line_number":4,"error_message":"empty tag value"}]}"#;
        let r = parse_refusal(Api::V3, 400, body, &LINES);
        assert_eq!(
            r.lines,
            vec![
                (1, "invalid column value".to_owned()),
                (3, "empty tag value".to_owned())
            ]
        );
        let body = r#"{"error":"parsing failed for write_lp endpoint","data":{"line_number":2,"error_message":"bad"}}"#;
        let r = parse_refusal(Api::V3, 400, body, &LINES);
        assert_eq!(r.count(), 4);
        assert_eq!(r.lines[1].1, "bad");
    }

    #[test]
    fn status_422_refuses_the_batch() {
        let r = parse_refusal(
            Api::V2,
            422,
            r#"{"code":"unprocessable entity","message":"points beyond retention policy"}"#,
            &LINES,
        );
        assert_eq!(r.count(), 4);
        assert_eq!(r.message, "points beyond retention policy");
    }
}
