//! InfluxDB 3 refusals: the `data` of `/api/v3/write_lp`'s error answer.

use super::Refusal;
use std::collections::HashMap;

/// Reads a v3 400/422: `data` is an array of `{error_message, line_number, original_line}`
/// after a partial write (`error` "partial write of line protocol occurred"), or one such
/// object when the batch was refused whole (`accept_partial=false`).
pub(super) fn refusal(
    message: String,
    json: Option<&serde_json::Value>,
    lines: &[&[u8]],
) -> Refusal {
    let data = json.and_then(|j| j.get("data"));
    let mut named: HashMap<usize, String> = HashMap::new();
    // Items naming no line of this batch (missing, negative or out of range): the server
    // refused lines that cannot be identified.
    let mut unmapped = 0usize;
    let items: Vec<&serde_json::Value> = match data {
        Some(serde_json::Value::Array(a)) => a.iter().collect(),
        Some(o @ serde_json::Value::Object(_)) => vec![o],
        _ => Vec::new(),
    };
    let partial = matches!(data, Some(serde_json::Value::Array(_)));
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
    // Only a partial write whose every item names a line of the batch says which lines were
    // stored; otherwise nothing of the batch is counted as stored.
    if partial && message.contains("partial write") && !named.is_empty() && unmapped == 0 {
        let mut lines: Vec<_> = named.into_iter().collect();
        lines.sort_unstable();
        Refusal {
            message,
            lines,
            unidentified: 0,
        }
    } else {
        Refusal::whole(message, &named, lines.len())
    }
}
