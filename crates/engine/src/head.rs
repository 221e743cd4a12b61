//! The head of a conversion kept in memory: the first lines converted, then the engine
//! stopped (`bench --from FILE --schema S` loops them as its workload).

use crate::pipeline::{Flow, Sink};
use crate::{convert_input, EngineError, Input, Reject, Tuning};
use lpconvert_schema::Schema;
use std::io;

/// The first lines of a conversion.
#[derive(Debug, Default)]
pub struct Head {
    /// Whole lines of line protocol, each ending in `\n`.
    pub data: Vec<u8>,
    /// How many lines `data` holds.
    pub lines: usize,
    /// Rows rejected by the schema before the conversion stopped (left out).
    pub rejected: u64,
}

/// Collects converted lines until `max_lines` lines or `max_bytes` bytes, then stops the
/// engine.
struct Collect {
    head: Head,
    max_lines: usize,
    max_bytes: usize,
    full: bool,
}

impl Sink for Collect {
    fn write_lines(&mut self, lines: &[u8]) -> io::Result<Flow> {
        let head = &mut self.head;
        for line in lines.split_inclusive(|&b| b == b'\n') {
            if head.lines >= self.max_lines || head.data.len() + line.len() > self.max_bytes {
                self.full = true;
                break;
            }
            head.data.extend_from_slice(line);
            head.lines += 1;
        }
        Ok(if self.full {
            Flow::Stop
        } else {
            Flow::Continue
        })
    }

    fn reject(&mut self, _reject: &Reject<'_>, _header: Option<&[u8]>) -> io::Result<()> {
        self.head.rejected += 1;
        Ok(())
    }
}

/// Converts `input` with `schema` until `max_lines` lines or `max_bytes` bytes of line
/// protocol are kept (a line that would pass `max_bytes` is left out), then stops.
pub fn convert_head(
    input: Input,
    schema: &Schema,
    tuning: Tuning,
    max_lines: usize,
    max_bytes: usize,
) -> Result<Head, EngineError> {
    let mut sink = Collect {
        head: Head::default(),
        max_lines,
        max_bytes,
        full: false,
    };
    convert_input(input, schema, tuning, &mut sink)?;
    Ok(sink.head)
}
