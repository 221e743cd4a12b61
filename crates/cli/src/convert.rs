//! `lpconvert convert`: CSV/NDJSON to line protocol with a schema.

use crate::exit::{is_closed, Exit, StdoutClosed};
use crate::shared::{total_size, Files, RejectFiles, RejectsFile, Summary};
use lpconvert_engine::input::list::Accept;
use lpconvert_engine::{
    convert_part, ChunkEncoder, Counters, EngineError, Flow, MakeEncoder, Reject, Sink,
};
use lpconvert_send::output::{
    check_outputs, file_outputs, rejects_outputs, report_outputs, with_schema, Codec, Compressor,
    Output,
};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

/// Options of `lpconvert convert`.
#[derive(clap::Args, Debug)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub schema: crate::shared::SchemaArgs,
    /// Input files, converted in order; none or `-` reads stdin. `.gz` and `.zst` are
    /// decompressed. A directory stands for the files below it that the format reads
    /// (sorted); a quoted glob (`'data/**/*.csv'`) is expanded by lpconvert.
    pub inputs: Vec<String>,
    #[command(flatten)]
    pub list: crate::inputs::ListArgs,
    /// Write the line protocol here instead of stdout (gzip when it ends in `.gz`, zstd for
    /// `.zst`, compressed by the converting threads). Written as FILE.partial, renamed to FILE when
    /// the run ends with 0 or 3; `-` is standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Compression level of a `.gz` (0-12, default 6) or `.zst` (1-19, default 3) output.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub compression_level: Option<i32>,
    /// Write rejected rows here verbatim (CSV skipped rows and header first, NDJSON one per
    /// line), so that the file converts again with the same schema; reasons go to
    /// FILE.errors. Inputs with another header get FILE.2.csv, ... Written as FILE.partial,
    /// renamed when the run ends with 0 or 3.
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Write the rows that produced no line (every field empty) here verbatim, as --rejects
    /// writes rejected rows (CSV header first; inputs with another header get FILE.2.csv,
    /// ...), without reasons. Written as FILE.partial, renamed when the run ends with 0 or 3.
    #[arg(long, value_name = "FILE")]
    pub skipped: Option<PathBuf>,
    /// Refuse what this server cannot store as written (as `check --target` flags it): a
    /// string field for VictoriaMetrics, an unsigned one for InfluxDB 1.x, at schema load;
    /// a row whose line it would refuse, drop or store differently (VictoriaMetrics: a
    /// timestamp before 1970, 0, or more than 2 days ahead) is a rejected row.
    #[arg(long, value_parser = ["influxdb1", "influxdb2", "influxdb3", "victoriametrics"])]
    pub target: Option<String>,
    /// Write a JSON report here at the end: rows, lines, bytes, elapsed, exit status, and the
    /// job and shard, for `lpconvert report merge`.
    #[arg(long, value_name = "FILE.json")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub tuning: crate::shared::TuningArgs,
    /// No progress and no summary.
    #[arg(short, long)]
    pub quiet: bool,
}

struct ConvertSink {
    out: Output,
    rejects: Option<RejectsFile>,
    /// `--skipped`: the rows that produced no line.
    skipped: Option<RejectsFile>,
    /// The first rows that produced no line, as the summary names them.
    first_skipped: Vec<String>,
    progress: Option<indicatif::ProgressBar>,
    done_before: u64,
    quiet_errors: bool,
    /// The inputs converted to their end, and their counters.
    files: Files,
}

impl Sink for ConvertSink {
    fn write_lines(&mut self, lines: &[u8]) -> io::Result<Flow> {
        self.out.write_all(lines)?;
        Ok(Flow::Continue)
    }

    fn encoder(&self) -> Option<MakeEncoder> {
        let c = self.out.compression()?;
        Some(std::sync::Arc::new(move || -> ChunkEncoder {
            match Compressor::new(c) {
                Ok(mut z) => Box::new(move |lines, out| z.compress(lines, out)),
                Err(e) => {
                    let why = e.to_string();
                    Box::new(move |_, _| Err(io::Error::other(why.clone())))
                }
            }
        }))
    }

    fn write_encoded(&mut self, bytes: &[u8]) -> io::Result<Flow> {
        self.out.write_compressed(bytes)?;
        Ok(Flow::Continue)
    }

    fn reject(&mut self, r: &Reject<'_>, header: Option<&[u8]>) -> io::Result<()> {
        if let Some(rj) = &mut self.rejects {
            rj.write(r, header)?;
        } else if !self.quiet_errors {
            // Without a rejects file, name each rejected row on stderr (first 20).
            if self.done_before < 20 {
                note!("lpconvert: rejected {r}");
            }
            self.done_before += 1;
        }
        Ok(())
    }

    fn skipped(&mut self, r: &Reject<'_>, header: Option<&[u8]>) -> io::Result<()> {
        if self.first_skipped.len() < SHOWN_SKIPPED {
            self.first_skipped.push(r.at_line().to_string());
        }
        match &mut self.skipped {
            Some(f) => f.write(r, header),
            None => Ok(()),
        }
    }

    fn progress(&mut self, c: &Counters) {
        if let Some(p) = &self.progress {
            let mut all = self.files.counters;
            all.add(c);
            p.set_position(all.bytes);
            let secs = p.elapsed().as_secs_f64().max(1e-3);
            p.set_message(format!(
                "{}{} rows read, {} converted, {} lines written, {:.0} rows/s",
                self.files.progress(),
                all.rows,
                all.written,
                all.lines,
                all.rows as f64 / secs
            ));
        }
    }

    fn input_done(&mut self, _name: &str, c: &Counters) {
        self.files.done(c);
    }
}

/// The rows that produced no line named in the summary, the first few.
pub const SHOWN_SKIPPED: usize = 5;

/// The outputs of a run that writes `output` (stdout when `None`) and `rejects`, for
/// [`check_outputs`]: standard output counts when it is a regular file.
pub fn outputs_of(
    output: Option<&std::path::Path>,
    rejects: Option<(&str, &std::path::Path)>,
) -> Vec<(String, PathBuf)> {
    let mut outs = match output {
        Some(p) => file_outputs("--output", p),
        None => vec![lpconvert_send::output::stdout_output()],
    };
    if let Some((option, p)) = rejects {
        outs.extend(rejects_outputs(option, p));
    }
    outs
}

/// Runs `lpconvert convert`; returns the exit status ([`StdoutClosed`] when standard output
/// was closed before the end).
pub fn run(mut a: ConvertArgs) -> anyhow::Result<Exit> {
    // `-o -` is standard output, as `-` is standard input.
    if a.output.as_deref() == Some(std::path::Path::new("-")) {
        a.output = None;
    }
    let mut schema = a.schema.load()?;
    let inputs = crate::inputs::list(&a.inputs, &a.list, Accept::for_schema(&schema))?;
    // Before anything is opened: no output is an input or another output.
    let mut outs = outputs_of(
        a.output.as_deref(),
        a.rejects.as_deref().map(|p| ("--rejects", p)),
    );
    outs.extend(a.skipped.iter().flat_map(|p| file_outputs("--skipped", p)));
    // The report is written through REPORT.tmp: neither may be an input.
    outs.extend(a.report.iter().flat_map(|p| report_outputs(p)));
    let shard = a.list.shard.resolve()?;
    // Annotated CSV and decoded (UTF-16, single-byte) files go whole to one shard.
    let part = crate::shard::part(shard, &inputs, |p| {
        !schema.annotated && !lpconvert_engine::input::decodes_file(p, schema.encoding)
    })?;
    // Only a report carries the job (it reads every input's size: 5,000 files' stats).
    if a.report.is_some() {
        let schema_text = a.schema.file().and_then(|p| std::fs::read(p).ok());
        // What changes the output: shards run with other overrides are not one job.
        let settings = format!(
            "--format {:?} --precision {:?} --on-error {:?} --target {:?}",
            a.schema.format, a.schema.precision, a.schema.on_error, a.target
        );
        crate::shard::JobStamp::new(
            "convert",
            &inputs,
            &[
                schema_text.as_deref().unwrap_or_default(),
                settings.as_bytes(),
            ],
            shard,
            part.as_ref(),
        )
        .keep();
    }
    check_outputs(&with_schema(&inputs, a.schema.file()), &outs).map_err(anyhow::Error::msg)?;
    if a.compression_level.is_some() && a.output.as_deref().and_then(Codec::of).is_none() {
        anyhow::bail!(
            "--compression-level applies to an output file ending in .gz or .zst (-o out.lp.gz)"
        );
    }
    if let Some(t) = a
        .target
        .as_deref()
        .and_then(lpconvert_lp::target::Target::parse)
    {
        lpconvert_engine::target::check_schema(&schema, t).map_err(anyhow::Error::msg)?;
        // Each converted line is held to the server's rules, as `check --target` does.
        schema.target = Some(lpconvert_lp::target::Rules::now(Some(t)));
    }
    let tuning = a.tuning.tuning();
    // Created (as FILE.partial) before any input is read: an unwritable place fails now.
    let out = Output::create(a.output.as_deref(), a.compression_level)?;
    // Further rejects and skipped files (FILE.2.csv, ...) take no input's, schema's or other
    // output's name.
    let store = |own: &str| {
        let mut avoid = with_schema(&inputs, a.schema.file());
        avoid.extend(a.output.iter().map(|o| o.display().to_string()));
        let others = outs.iter().filter(|(o, _)| !o.starts_with(own)).cloned();
        RejectFiles {
            avoid,
            others: others.collect(),
        }
    };
    let rejects = a
        .rejects
        .as_deref()
        .map(|p| RejectsFile::create(p, &schema, store("--rejects")))
        .transpose()?;
    let skipped = a
        .skipped
        .as_deref()
        .map(|p| RejectsFile::create_skipped(p, &schema, store("--skipped")))
        .transpose()?;
    let show_progress = !a.quiet && io::stderr().is_terminal();
    let mut sink = ConvertSink {
        out,
        rejects,
        skipped,
        first_skipped: Vec::new(),
        progress: show_progress.then(|| crate::shared::progress_bar(total_size(&inputs))),
        done_before: 0,
        quiet_errors: a.quiet,
        files: Files::new(inputs.len()),
    };
    let start = Instant::now();
    let result = convert_part(&inputs, part.as_ref(), &schema, tuning, &mut sink);
    if let Some(p) = sink.progress.take() {
        p.finish_and_clear();
    }
    let (total, status) = match result {
        Ok(c) => (c, Ok(())),
        Err(e) => (Counters::default(), Err(e)),
    };
    let flushed = sink.out.flush();
    let closed = matches!(&flushed, Err(e) if is_closed(e))
        || matches!(&status, Err(EngineError::Output(e)) if is_closed(e));
    let code = match status {
        Ok(()) => match flushed {
            Err(e) if is_closed(&e) => Exit::Ok,
            Err(e) => {
                note!("lpconvert: cannot write the output: {e}");
                Exit::Error
            }
            Ok(()) if total.rejected > 0 => Exit::Partial,
            Ok(()) => Exit::Ok,
        },
        Err(EngineError::Output(e)) if is_closed(&e) => Exit::Ok,
        Err(EngineError::Row(row)) => {
            note!("{row}");
            match &a.rejects {
                // The row is named here, not set aside: no rejects file appears (exit 1).
                Some(p) => note!("lpconvert: stopped at the first bad row (on_error = \"fail\"), so nothing was written to --rejects {}; add --on-error skip to set bad rows aside there and go on", p.display()),
                None => note!("lpconvert: stopped at the first bad row (on_error = \"fail\"); use --on-error skip --rejects FILE to set bad rows aside"),
            }
            Exit::Stopped
        }
        Err(EngineError::Schema(e)) => {
            match &a.schema.schema {
                Some(s) => note!("lpconvert: {}: {e}", s.display()),
                None => note!("lpconvert: the annotations: {e}"),
            }
            Exit::Error
        }
        Err(e) => {
            note!("lpconvert: {e}");
            Exit::Error
        }
    };
    let sink_files = sink.files.done;
    let first_skipped = std::mem::take(&mut sink.first_skipped);
    let rows = Rows {
        rejects: sink.rejects,
        skipped: sink.skipped,
    };
    let code = settle(sink.out, rows, code, closed, a.quiet);
    if let Some(path) = &a.report {
        let report = crate::shard::counters_report(&total, start.elapsed(), code);
        if let Err(e) = crate::shard::write(path, &report) {
            note!("lpconvert: {e:#}");
            return Ok(Exit::Error);
        }
    }
    if closed && code == Exit::Ok {
        // A closed stdout (`| head`) ends quietly.
        return Err(StdoutClosed.into());
    }
    if !code.finished() || closed {
        return Ok(code);
    }
    if !a.quiet {
        let kept = a.skipped.as_deref().map(|p| p.display().to_string());
        crate::shared::NamedRows {
            who: "lpconvert",
            what: "skipped",
            first: &first_skipped,
            count: total.skipped,
            kept,
            option: "--skipped",
        }
        .note();
        note!(
            "{}",
            Summary {
                counters: total,
                elapsed: start.elapsed(),
                files: sink_files,
            }
        );
    }
    Ok(code)
}

/// The `--rejects` and `--skipped` files of a run, when given.
struct Rows {
    rejects: Option<RejectsFile>,
    skipped: Option<RejectsFile>,
}

impl Rows {
    /// Each file given, with what its rows are (for messages).
    fn each(self) -> impl Iterator<Item = (&'static str, RejectsFile)> {
        let rejects = self.rejects.map(|f| ("rejected rows", f));
        rejects
            .into_iter()
            .chain(self.skipped.map(|f| ("skipped rows", f)))
    }
}

/// Puts the output files in place when the run ends with 0 or 3 having read every input, else
/// keeps them as `FILE.partial` and says so (a closed stdout, `| head`, ends the run early with
/// 0: what was written is not all); returns the exit status (2 when a file cannot be put in
/// place). A rejects or skipped file is put in place even when empty: it then says that no
/// row was rejected or skipped, where an absent file would leave an earlier run's in place.
fn settle(mut out: Output, rows: Rows, code: Exit, closed: bool, quiet: bool) -> Exit {
    let ok = |code: Exit| code.finished() && !closed;
    let mut code = code;
    let mut rows: Vec<_> = rows.each().collect();
    if ok(code) {
        // Every file written out before any is renamed: none is put in place by a run that
        // then ends with 2 because another could not be written.
        let mut written = Ok(());
        if let Output::File(f) = &mut out {
            written = f.prepare().map_err(|e| ("output", e));
        }
        for (what, r) in &mut rows {
            if written.is_ok() {
                written = r.prepare().map_err(|e| (*what, e));
            }
        }
        if let Err((what, e)) = written {
            note!("lpconvert: cannot write the {what} file: {e}");
            code = Exit::Error;
        }
    }
    let mut kept = Vec::new();
    if let Output::File(f) = out {
        if !ok(code) {
            kept.extend(f.keep_partial());
        } else if let Err(e) = f.commit() {
            note!("lpconvert: cannot write the output: {e}");
            code = Exit::Error;
        }
    }
    for (what, r) in rows {
        if let Some(note) = r.misnamed().filter(|_| !quiet && ok(code)) {
            note!("lpconvert: {note}");
        }
        if !ok(code) {
            kept.extend(r.keep_partial());
            continue;
        }
        match r.commit() {
            Ok(paths) if paths.len() > 1 && !quiet => {
                let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                let each = if what == "rejected rows" {
                    ", each with its FILE.errors"
                } else {
                    ""
                };
                note!(
                    "lpconvert: the inputs' headers or formats differ: {what} are in {} (one file per header and format{each})",
                    names.join(", ")
                );
            }
            Ok(_) => {}
            Err(e) => {
                note!("lpconvert: cannot write the {what} file: {e}");
                code = Exit::Error;
            }
        }
    }
    if !kept.is_empty() {
        let names: Vec<String> = kept.iter().map(|p| p.display().to_string()).collect();
        let why = if closed {
            "standard output was closed before the end"
        } else {
            "the run failed"
        };
        note!(
            "lpconvert: {why}, so the previous output files are untouched; what was written is kept in {}",
            names.join(", ")
        );
    }
    code
}
