//! `lpconvert check`: validates line protocol files in parallel, optionally with the rules of
//! one server (`--target`).

use crate::convert::outputs_of;
use crate::exit::{is_closed, stdout_error, Exit, StdoutClosed};
use lpconvert_engine::input::list::Accept;
use lpconvert_engine::{check_part, Counters, EngineError, Flow, Reject, Sink};
use lpconvert_lp::target::{Rules, Target};
use lpconvert_send::output::check_outputs;
use std::io::{self, Write};
use std::time::Instant;

/// Options of `lpconvert check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Line protocol files; none or `-` reads stdin. `.gz` and `.zst` are decompressed. A
    /// directory stands for the `.lp` and `.txt` files below it; a quoted glob is expanded.
    pub inputs: Vec<String>,
    #[command(flatten)]
    pub list: crate::inputs::ListArgs,
    /// Print at most N bad lines (all are counted); every bad line is printed without it.
    #[arg(long, value_name = "N")]
    pub max_errors: Option<u64>,
    /// The time taken as now for time-dependent rules (VictoriaMetrics: timestamp 0 is
    /// stored at the time of writing, more than 2 days ahead is dropped): RFC 3339 or
    /// nanoseconds since the epoch. Default: the current time.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<i64>,
    /// Also flag what this server refuses or reads differently.
    #[arg(long, value_parser = ["influxdb1", "influxdb2", "influxdb3", "victoriametrics"])]
    pub target: Option<String>,
    #[command(flatten)]
    pub tuning: crate::shared::TuningArgs,
    /// Print only the bad lines, no summary.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `--now`: RFC 3339 or integer nanoseconds.
fn parse_now(s: &str) -> Result<i64, String> {
    if let Ok(ns) = s.parse::<i64>() {
        return Ok(ns);
    }
    let utc = lpconvert_schema::Zone::parse("UTC").map_err(|e| e.to_string())?;
    lpconvert_schema::time::parse_rfc3339(s.as_bytes(), &utc)
        .map_err(|e| format!("`{s}`: {e} (or nanoseconds since the epoch)"))
}

struct CheckSink<W: Write> {
    out: W,
    printed: u64,
    /// Bad lines printed at most (`--max-errors`).
    limit: u64,
    /// An input could not be read to its end.
    io_error: bool,
    /// Inputs checked to their end.
    files: u64,
}

impl<W: Write> Sink for CheckSink<W> {
    fn write_lines(&mut self, _lines: &[u8]) -> io::Result<Flow> {
        Ok(Flow::Continue)
    }

    fn note(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "{text}")
    }

    fn reject(&mut self, r: &Reject<'_>, _header: Option<&[u8]>) -> io::Result<()> {
        if self.printed < self.limit {
            // `file:line: message`, control characters of the name escaped: one line each.
            writeln!(self.out, "{}", r.at_line())?;
        }
        self.printed += 1;
        Ok(())
    }

    fn input_done(&mut self, _name: &str, _counters: &Counters) {
        self.files += 1;
    }

    /// An input that cannot be read is said, and the next one is checked; the lines checked
    /// before the error still count.
    fn input_error(&mut self, e: EngineError, _counted: &Counters) -> Result<(), EngineError> {
        if let EngineError::Output(_) = e {
            return Err(e);
        }
        let _ = self.out.flush();
        note!("lpconvert: {e}");
        self.io_error = true;
        Ok(())
    }
}

/// Runs `lpconvert check`; returns the exit status ([`StdoutClosed`] when standard output
/// was closed before the end).
pub fn run(a: CheckArgs) -> anyhow::Result<Exit> {
    let target = a.target.as_deref().and_then(Target::parse);
    let rules = match a.now {
        Some(now) => Rules::new(target, now),
        None => Rules::now(target),
    };
    let limit = a.max_errors.unwrap_or(u64::MAX);
    let inputs = crate::inputs::list(&a.inputs, &a.list, Accept::LineProtocol)?;
    // `check a.lp > a.lp`: the shell emptied the input; say so rather than call it valid.
    check_outputs(&inputs, &outputs_of(None, None)).map_err(anyhow::Error::msg)?;
    let part = crate::shard::part(a.list.shard.resolve()?, &inputs, |_| true)?;
    let tuning = a.tuning.tuning();
    let stdout = io::stdout();
    let mut sink = CheckSink {
        out: io::BufWriter::new(stdout.lock()),
        printed: 0,
        limit,
        io_error: false,
        files: 0,
    };
    let start = Instant::now();
    let total = match check_part(&inputs, part.as_ref(), rules, tuning, &mut sink) {
        Ok(c) => c,
        Err(EngineError::Output(e)) if is_closed(&e) => return Err(StdoutClosed.into()),
        Err(e) => {
            let _ = sink.out.flush();
            note!("lpconvert: {e}");
            return Ok(Exit::Error);
        }
    };
    let io_error = sink.io_error;
    sink.out.flush().map_err(stdout_error)?;
    if !a.quiet {
        let secs = start.elapsed().as_secs_f64().max(1e-9);
        let more = sink.printed.saturating_sub(limit);
        if more > 0 {
            note!("lpconvert: ... and {more} more bad lines (the first {limit} are shown: --max-errors)");
        }
        note!(
            "{} lines: {} valid points, {} invalid, {} blank or comment{}; {:.1} MB in {:.2}s ({:.0} MB/s), {} file{}",
            total.rows,
            total.written,
            total.rejected,
            total.skipped,
            target.map_or(String::new(), |t| format!(" (target {})", t.label())),
            total.bytes as f64 / 1e6,
            secs,
            total.bytes as f64 / 1e6 / secs,
            sink.files,
            if sink.files == 1 { "" } else { "s" }
        );
    }
    Ok(if io_error {
        Exit::Error
    } else if total.rejected > 0 {
        Exit::Partial
    } else {
        Exit::Ok
    })
}
