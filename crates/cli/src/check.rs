//! `lpconvert check`: validates line protocol files in parallel, optionally with the rules of
//! one server (`--target`).

use crate::convert::outputs_of;
use crate::exit::{is_closed, stdout_error, Exit, StdoutClosed};
use crate::shared::inputs_or_stdin;
use lpconvert_engine::{check_input, Counters, EngineError, Flow, Reject, Sink};
use lpconvert_lp::target::{Rules, Target};
use lpconvert_send::output::check_outputs;
use std::io::{self, Write};
use std::time::Instant;

/// Options of `lpconvert check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Line protocol files; none or `-` reads stdin. `.gz` and `.zst` are decompressed.
    pub inputs: Vec<String>,
    /// Also flag what this server refuses or reads differently.
    #[arg(long, value_parser = ["influxdb1", "influxdb2", "influxdb3", "victoriametrics"])]
    pub target: Option<String>,
    /// Print at most N bad lines (all are counted); every bad line is printed without it.
    #[arg(long, value_name = "N")]
    pub max_errors: Option<u64>,
    /// The time taken as now for time-dependent rules (VictoriaMetrics: timestamp 0 is
    /// stored at the time of writing, more than 2 days ahead is dropped): RFC 3339 or
    /// nanoseconds since the epoch. Default: the current time.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<i64>,
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
    /// Bad lines printed at most (`--max-errors`).
    limit: u64,
    printed: u64,
    /// The counters of the current input at its last chunk, and its bad lines since.
    partial: Counters,
    bad_here: u64,
}

impl<W: Write> CheckSink<W> {
    /// Starts a new input.
    fn start_input(&mut self) {
        self.partial = Counters::default();
        self.bad_here = 0;
    }

    /// What the current input counted before it stopped with an error: its bad lines all
    /// counted (they were printed), and lines = valid + invalid + blank at least.
    fn counted_so_far(&self) -> Counters {
        let mut c = self.partial;
        c.rejected = c.rejected.max(self.bad_here);
        c.rows = c.rows.max(c.written + c.skipped + c.rejected);
        c
    }
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
            writeln!(self.out, "{}:{}: {}", r.file, r.line, r.message)?;
        }
        self.printed += 1;
        self.bad_here += 1;
        Ok(())
    }

    fn progress(&mut self, c: &Counters) {
        self.partial = *c;
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
    let inputs = inputs_or_stdin(&a.inputs);
    // `check a.lp > a.lp`: the shell emptied the input; say so rather than call it valid.
    check_outputs(&inputs, &outputs_of(None, None)).map_err(anyhow::Error::msg)?;
    let tuning = a.tuning.tuning();
    let stdout = io::stdout();
    let mut sink = CheckSink {
        out: io::BufWriter::new(stdout.lock()),
        limit,
        printed: 0,
        partial: Counters::default(),
        bad_here: 0,
    };
    let start = Instant::now();
    let mut total = Counters::default();
    let mut io_error = false;
    for path in &inputs {
        sink.start_input();
        let result = lpconvert_engine::open(path)
            .map_err(|e| EngineError::Input(format!("{path}: {e}")))
            .and_then(|input| check_input(input, rules, tuning, &mut sink));
        match result {
            Ok(c) => total.add(&c),
            Err(EngineError::Output(e)) if is_closed(&e) => return Err(StdoutClosed.into()),
            Err(e) => {
                let _ = sink.out.flush();
                note!("lpconvert: {e}");
                // The lines checked before the error (and the bad ones printed) still count.
                total.add(&sink.counted_so_far());
                io_error = true;
            }
        }
    }
    sink.out.flush().map_err(stdout_error)?;
    if !a.quiet {
        let secs = start.elapsed().as_secs_f64().max(1e-9);
        let more = sink.printed.saturating_sub(limit);
        if more > 0 {
            note!("lpconvert: ... and {more} more bad lines (the first {limit} are shown: --max-errors)");
        }
        note!(
            "{} lines: {} valid points, {} invalid, {} blank or comment{}; {:.1} MB in {:.2}s ({:.0} MB/s)",
            total.rows,
            total.written,
            total.rejected,
            total.skipped,
            target.map_or(String::new(), |t| format!(" (target {})", t.label())),
            total.bytes as f64 / 1e6,
            secs,
            total.bytes as f64 / 1e6 / secs
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
