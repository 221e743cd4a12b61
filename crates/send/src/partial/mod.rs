//! Reading a refusal (400, 422): which lines of the batch the server did not store, and why.
//! The answers each server gives, as their sources write them (recorded in `fixtures/`):
//!
//! - InfluxDB 1.x: `{"error":"partial write: unable to parse 'LINE': REASON\n... dropped=N"}`.
//!   Lines that failed to parse are named verbatim; `dropped=N` counts points refused after
//!   parsing (type conflicts, retention), which the server does not name. Without
//!   `partial write`, nothing of the batch was stored.
//! - InfluxDB 2.x (`http/write_handler.go`): 400 `{"code":"invalid","message":"unable to parse
//!   'LINE': REASON\n..."}` refuses the whole batch, every unparsable line named; 422
//!   `{"code":"unprocessable entity","message":"failure writing points to database: partial
//!   write: REASON dropped=N"}` stored all but N points it does not name. InfluxDB Cloud adds
//!   `"line":N`, the first refused line (1-based).
//! - InfluxDB 3 (`influxdb3_server/src/http.rs`): 400, or 422 when a schema limit was hit,
//!   `{"error":"partial write of line protocol occurred","data":[{"error_message":...,
//!   "line_number":N,"original_line":...}]}` (1-based, `original_line` cut to 20 bytes): the
//!   other lines were stored. With `accept_partial=false`, 400 `{"error":"line protocol parsing
//!   error","data":{...}}` names the first bad line, and nothing of the batch was stored.

mod v1;
mod v3;

#[cfg(test)]
mod tests;

use crate::dialect::Api;
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

    /// Every line of a batch of `len` lines refused: those in `named` with their own reason,
    /// the others with `message` (said to be refused for the named ones when there are any).
    fn whole(message: String, named: &HashMap<usize, String>, len: usize) -> Refusal {
        let others = if named.is_empty() {
            message.clone()
        } else {
            format!(
                "not stored: the server refused the whole batch for its other lines ({message})"
            )
        };
        let lines = (0..len)
            .map(|i| (i, named.get(&i).cloned().unwrap_or_else(|| others.clone())))
            .collect();
        Refusal {
            message,
            lines,
            unidentified: 0,
        }
    }
}

/// The whole answer of InfluxDB 1.x to a batch whose own points conflict on a field's type
/// when the batch opens a new shard: nothing of the batch was stored, no line named.
const V1_TYPE_CONFLICT: &str = "field type conflict";

impl Refusal {
    /// Whether sending parts of the batch again can name lines this refusal of an InfluxDB
    /// 1.x `/write` did not: `partial write: ... dropped=N` (the server stores a point
    /// written twice once, so re-sending the stored lines is harmless), or the
    /// whole-batch `field type conflict` (nothing stored).
    pub fn narrowable(&self, api: Api, status: u16, len: usize) -> bool {
        api == Api::V1
            && status == 400
            && len > 1
            && (self.unidentified > 0 || self.message == V1_TYPE_CONFLICT)
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
    match (api, status) {
        (Api::V3, 400 | 422) => v3::refusal(message, json.as_ref(), lines),
        (Api::V1, 400) => v1::refusal(message, lines, v1::Dialect::V1, None),
        (Api::V2, 400 | 422) => {
            // InfluxDB Cloud names the first refused line (1-based).
            let first = json
                .as_ref()
                .and_then(|j| j.get("line"))
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| (1..=lines.len()).contains(n))
                .map(|n| n - 1);
            v1::refusal(message, lines, v1::Dialect::V2, first)
        }
        _ => Refusal::whole(message, &HashMap::new(), lines.len()),
    }
}
