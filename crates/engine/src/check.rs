//! Validating line protocol files in parallel (`lpconvert check`), with the same chunk
//! pipeline as a conversion: chunks are cut at line feeds, each worker checks the lines of
//! its chunk with [`lpconvert_lp::target::check_line`], and the bad lines come back to the
//! sink in input order as [`Reject`](crate::Reject)s with their absolute line numbers.
//!
//! Counters: `rows` counts every physical line (a point spanning several lines through raw
//! line feeds in a string counts once), `written` the valid points, `skipped` blank and
//! comment lines, `rejected` the bad lines: rows = written + skipped + rejected.
//!
//! A point whose string value spans lines (raw line feeds) is joined and judged as one
//! record when the whole record lies in one chunk; one that straddles two chunks is reported
//! as an unterminated string on its first line.

use crate::chunker::Boundary;
use crate::input::{self, Input, InputData, Wait, UTF8_BOM};
use crate::job::{Job, Prepared};
use crate::pipeline::{
    self, oversize_message, ChunkAt, ChunkConverter, Context, Feed, MakeConverter, Sink, Tuning,
};
use crate::report::{ChunkOutput, Counters, RowReject};
use crate::EngineError;
use lpconvert_lp::parse::{parse_line, ErrorKind};
use lpconvert_lp::target::{check_line, check_record, Problem, Rules, Verdict};
use std::sync::Arc;

/// Longest run of physical lines joined when a string value holds raw line feeds.
const MAX_JOINED_BYTES: usize = lpconvert_lp::parse::MAX_STRING_LEN + 4096;
/// Most physical lines joined into one point.
const MAX_JOINED_LINES: usize = 1000;

/// A worker's state for checking chunks of line protocol.
#[derive(Debug)]
pub struct CheckWorker {
    rules: Rules,
    scratch: Vec<u8>,
    joins: Vec<usize>,
    max_record: usize,
}

impl CheckWorker {
    /// A worker that applies `rules` (the portable rules or a server's), and flags lines
    /// longer than `max_record` bytes.
    pub fn new(rules: Rules, max_record: usize) -> CheckWorker {
        CheckWorker {
            rules,
            scratch: Vec::new(),
            joins: Vec::new(),
            max_record,
        }
    }

    /// Checks every line of `data` into `out` (cleared first); reject lines are relative to
    /// the chunk's first line.
    pub fn check(&mut self, data: &[u8], out: &mut ChunkOutput) {
        out.clear();
        let mut pos = 0;
        let mut line_no = 0u64;
        let n = data.len();
        while pos < n {
            let end = memchr::memchr(b'\n', &data[pos..]).map_or(n, |i| pos + i);
            let next = (end + 1).min(n);
            let line = &data[pos..end];
            let verdict = if line.len() > self.max_record {
                // Column 0: the message reads as the reader's for a line it skipped.
                Err(Problem {
                    column: 0,
                    message: oversize_message(line.len() as u64, self.max_record, ""),
                    kind: None,
                })
            } else {
                check_line(line, &self.rules)
            };
            match verdict {
                Ok(Verdict::Point) => {
                    out.rows += 1;
                    out.written += 1;
                }
                Ok(Verdict::Blank) => {
                    out.rows += 1;
                    out.skipped += 1;
                }
                Err(p) => {
                    // A string left open may close on a later line (raw line feeds): the
                    // portable parser says so, also when a server's model refused the line.
                    let open_string = p.kind == Some(ErrorKind::UnterminatedString)
                        || (p.kind.is_none()
                            && parse_line(line)
                                .is_err_and(|e| e.kind == ErrorKind::UnterminatedString));
                    let (consumed, result) = if open_string {
                        self.join(data, pos, end)
                    } else {
                        (0, None)
                    };
                    out.rows += 1;
                    if consumed > 0 {
                        // One record over `consumed + 1` physical lines.
                        let rec_end = self.joins.last().map_or(end, |&j| {
                            let from = pos + j + 1;
                            memchr::memchr(b'\n', &data[from..]).map_or(n, |i| from + i)
                        });
                        let rec_next = (rec_end + 1).min(n);
                        match result {
                            Some(Err(p)) => out.push_reject(RowReject {
                                line: line_no,
                                column: p.column,
                                message: p.to_string(),
                                raw: pos..rec_next,
                            }),
                            _ => out.written += 1,
                        }
                        line_no += consumed as u64 + u64::from(rec_end < n);
                        pos = rec_next;
                        continue;
                    }
                    out.push_reject(RowReject {
                        line: line_no,
                        column: p.column,
                        message: p.to_string(),
                        raw: pos..next,
                    });
                }
            }
            line_no += u64::from(end < n);
            pos = next;
        }
        out.lines_seen = line_no;
    }

    /// Tries to read the lines from `start` on as one point whose strings hold raw line
    /// feeds. Returns how many line feeds it spans (0: not a record) and the verdict.
    fn join(
        &mut self,
        data: &[u8],
        start: usize,
        first_end: usize,
    ) -> (usize, Option<Result<Verdict, Problem>>) {
        self.joins.clear();
        let mut end = first_end;
        while end < data.len()
            && end - start <= MAX_JOINED_BYTES
            && self.joins.len() < MAX_JOINED_LINES
        {
            self.joins.push(end - start);
            let from = end + 1;
            end = memchr::memchr(b'\n', &data[from..]).map_or(data.len(), |i| from + i);
            // A string can only close on a line with a quote.
            if memchr::memchr(b'"', &data[from..end]).is_none() {
                continue;
            }
            self.scratch.clear();
            self.scratch.extend_from_slice(&data[start..end]);
            if let Some(v) = check_record(&mut self.scratch, &self.joins, &self.rules) {
                return (self.joins.len(), Some(v));
            }
        }
        self.joins.clear();
        (0, None)
    }
}

struct Check {
    worker: CheckWorker,
}

impl ChunkConverter for Check {
    fn convert(&mut self, data: &[u8], _at: ChunkAt, out: &mut ChunkOutput) {
        self.worker.check(data, out);
    }
}

/// The one way line protocol is read (its `rules`), shared by every input.
struct CheckKind {
    rules: Rules,
    max_record: usize,
}

impl CheckKind {
    /// The one way of reading of a check run.
    fn shared(rules: Rules, tuning: Tuning) -> Arc<dyn MakeConverter> {
        Arc::new(CheckKind {
            rules,
            max_record: tuning.max_record,
        })
    }
}

impl MakeConverter for CheckKind {
    fn make(&self) -> Box<dyn ChunkConverter> {
        Box::new(Check {
            worker: CheckWorker::new(self.rules, self.max_record),
        })
    }
}

/// Checks one input of line protocol, handing each bad line to `sink.reject` in input
/// order (1-based absolute line numbers). `sink.write_lines` receives nothing.
pub fn check_input(
    input: Input,
    rules: Rules,
    tuning: Tuning,
    sink: &mut dyn Sink,
) -> Result<Counters, EngineError> {
    let kind = CheckKind::shared(rules, tuning);
    pipeline::run_one(prepare(input, &kind, tuning.chunk_size), tuning, sink)
}

/// Checks the inputs at `paths` (`-` for stdin) in order through one pipeline, each opened
/// when reached; the sink hears of each input's end or failure ([`Sink::input_done`],
/// [`Sink::input_error`], which decides whether the run goes on).
pub fn check_inputs(
    paths: &[String],
    rules: Rules,
    tuning: Tuning,
    sink: &mut dyn Sink,
) -> Result<Counters, EngineError> {
    check_part(paths, None, rules, tuning, sink)
}

/// [`check_inputs`] for one shard's `part` of the inputs (all of them when `None`).
pub fn check_part(
    paths: &[String],
    part: Option<&crate::shard::Part>,
    rules: Rules,
    tuning: Tuning,
    sink: &mut dyn Sink,
) -> Result<Counters, EngineError> {
    let kind = CheckKind::shared(rules, tuning);
    let mut walk = crate::shard::walk(paths, part, |path| match crate::open_named(path) {
        Ok(input) => prepare(input, &kind, tuning.chunk_size),
        Err(e) => Prepared::Failed(e),
    });
    pipeline::run(&mut walk, tuning, sink)
}

/// Reads the start of an input (text or not, a byte order mark): what the producer hands on.
fn prepare(input: Input, kind: &Arc<dyn MakeConverter>, chunk: usize) -> Prepared {
    let name = input.name;
    let not_text = |head: &[u8]| match crate::input::text_problem(&name, head) {
        Some(p) => Err(EngineError::Input(format!("{name} {p}"))),
        None => Ok(()),
    };
    let bom_note = format!(
        "{}: note: a UTF-8 byte order mark at the start was ignored",
        crate::report::OneLine(&name)
    );
    let (map, feed, bom) = match input.data {
        InputData::Mapped(map) => {
            if let Err(e) = not_text(&map) {
                return Prepared::Failed(e);
            }
            let bom = if map.starts_with(UTF8_BOM) {
                UTF8_BOM.len()
            } else {
                0
            };
            (Some(map), Feed::Mapped(bom), bom)
        }
        InputData::Stream(mut reader) => {
            let mut buf = Vec::new();
            // A read error after the first bytes is the body's, as a conversion's after its
            // preamble: the lines read whole before it are checked first.
            let mut failed = None;
            let head = (64 * 1024, Wait::All);
            let eof = !input::fill_keeping_error(&mut reader, &mut buf, head, &mut failed);
            match failed {
                Some(e) if buf.is_empty() => {
                    let e = input::read_error_text(&name, &e);
                    return Prepared::Failed(EngineError::Input(e));
                }
                Some(e) => reader = Box::new(input::Failed(Some(e))),
                None => {}
            }
            if let Err(e) = not_text(&buf) {
                return Prepared::Failed(e);
            }
            let mut bom = 0;
            if buf.starts_with(UTF8_BOM) {
                buf.drain(..UTF8_BOM.len());
                bom = UTF8_BOM.len();
            }
            (None, Feed::Stream(buf, eof, reader), bom)
        }
    };
    let job = Job {
        cx: Context {
            name,
            base_line: 0,
            header: None,
            preamble_bytes: bom as u64,
            base_column: 0,
            unbounded_hint:
                ", with no line feed in 16 times that: is this a line protocol text file?",
        },
        map,
        make: Arc::clone(kind),
        boundary: Boundary::Lines,
        chunk,
        notes: if bom > 0 { vec![bom_note] } else { Vec::new() },
    };
    Prepared::Body {
        job: Arc::new(job),
        feed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Reject;
    use lpconvert_lp::target::Target;

    #[derive(Default)]
    struct Collect {
        rejects: Vec<(u64, String, Vec<u8>)>,
    }

    impl Sink for Collect {
        fn write_lines(&mut self, lines: &[u8]) -> std::io::Result<crate::Flow> {
            assert!(lines.is_empty());
            Ok(crate::Flow::Continue)
        }
        fn reject(&mut self, r: &Reject<'_>, _: Option<&[u8]>) -> std::io::Result<()> {
            self.rejects
                .push((r.line, r.message.to_string(), r.raw.to_vec()));
            Ok(())
        }
    }

    fn run(text: &[u8], target: Option<Target>, chunk: usize) -> (Counters, Collect) {
        let input = Input {
            data: InputData::Stream(Box::new(std::io::Cursor::new(text.to_vec()))),
            name: "t.lp".into(),
            size: None,
        };
        let mut sink = Collect::default();
        let tuning = Tuning {
            threads: 2,
            chunk_size: chunk,
            max_record: crate::DEFAULT_MAX_RECORD,
        };
        let c = check_input(input, Rules::new(target, 0), tuning, &mut sink)
            .unwrap_or_else(|e| panic!("{e}"));
        (c, sink)
    }

    #[test]
    fn counts_and_line_numbers_for_any_chunk_size() {
        let text = b"# header\nm f=1 1\n\nm f=x\nm,t= f=1\nm f=2i\nm f=1\r\nlast f=t";
        for chunk in [1, 3, 10, 1000] {
            let (c, s) = run(text, None, chunk);
            assert_eq!(c.rows, 8, "chunk {chunk}");
            assert_eq!(c.written, 3);
            assert_eq!(c.skipped, 2);
            assert_eq!(c.rejected, 3);
            let lines: Vec<u64> = s.rejects.iter().map(|r| r.0).collect();
            assert_eq!(lines, vec![4, 5, 7], "chunk {chunk}");
            assert_eq!(s.rejects[0].2, b"m f=x\n");
            assert!(s.rejects[0].1.starts_with("column 5: invalid field value"));
        }
    }

    /// A pipe: at most 64 KiB per read; counts the bytes of buffer offered to it.
    struct Pipe {
        data: std::io::Cursor<Vec<u8>>,
        offered: std::sync::Arc<std::sync::atomic::AtomicU64>,
    }

    impl std::io::Read for Pipe {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.offered
                .fetch_add(buf.len() as u64, std::sync::atomic::Ordering::Relaxed);
            let n = buf.len().min(64 * 1024);
            self.data.read(&mut buf[..n])
        }
    }

    #[test]
    fn a_long_streamed_record_is_read_in_linear_time() {
        // One 32 MiB line through a pipe: the buffer offered to the reads (each offered
        // byte was zeroed first) must stay proportional to the data, not to its square.
        let mut text = b"m s=\"".to_vec();
        text.resize(32 << 20, b'x');
        text.extend_from_slice(b"\"\nm f=1\n");
        let offered = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let input = Input {
            data: InputData::Stream(Box::new(Pipe {
                data: std::io::Cursor::new(text.clone()),
                offered: offered.clone(),
            })),
            name: "t.lp".into(),
            size: None,
        };
        let tuning = Tuning {
            threads: 1,
            chunk_size: 1 << 20,
            max_record: crate::DEFAULT_MAX_RECORD,
        };
        let c = check_input(input, Rules::new(None, 0), tuning, &mut Collect::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.rows, 2);
        let offered = offered.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            offered < 8 * text.len() as u64,
            "{offered} bytes offered to read {} bytes",
            text.len()
        );
    }

    #[test]
    fn unsigned_on_influxdb1() {
        let (c, s) = run(b"m f=1u\nm f=1i\n", Some(Target::Influxdb1), 1 << 20);
        assert_eq!((c.written, c.rejected), (1, 1));
        assert_eq!(s.rejects[0].0, 1);
        let (c, _) = run(b"m f=1u\nm f=1i\n", Some(Target::Influxdb2), 1 << 20);
        assert_eq!((c.written, c.rejected), (2, 0));
    }

    #[test]
    fn raw_newlines_join_lines_into_one_point() {
        let text = b"m f=1\nm s=\"one\ntwo\nthree\" 5\nm f=2\nm s=\"open\nm f=3\n";
        let (c, s) = run(text, Some(Target::Influxdb2), 1 << 20);
        // The multi-line string is one valid point; the unterminated one is a bad line.
        assert_eq!(c.written, 4, "{:?}", s.rejects);
        assert_eq!(c.rejected, 1);
        assert_eq!(s.rejects[0].0, 6);
        assert_eq!(c.rows, 5);
        let (c, s) = run(text, Some(Target::VictoriaMetrics), 1 << 20);
        assert_eq!((c.written, c.rejected), (3, 2));
        assert_eq!(s.rejects[0].0, 2);
        assert!(
            s.rejects[0].1.contains("VictoriaMetrics"),
            "{}",
            s.rejects[0].1
        );
        assert_eq!(s.rejects[0].2, b"m s=\"one\ntwo\nthree\" 5\n");
        assert_eq!(s.rejects[1].0, 6);
        let (c, _) = run(text, None, 1 << 20);
        assert_eq!((c.written, c.rejected), (3, 2));
    }
}
