//! `lpconvert replay --schema`: the wiring of the engine's streaming conversion
//! (`lpconvert_engine::stream`) into the replay.
//!
//! The `send` crate sees only line protocol (DESIGN.md): each input becomes a
//! stream [`Source`] whose reader is the engine's [`lpconvert_engine::stream::LineReader`],
//! started when the replay reaches the input (inputs the replay never reaches are never
//! converted). A conversion that fails is a read error of its stream: the replay sends what
//! came before and leaves the input incomplete in the checkpoint.
//!
//! The converted stream is deterministic (byte-identical for any thread count or chunk size),
//! so a checkpoint's offset into it stays valid: a resumed run converts again and skips the
//! acknowledged bytes. The stream's identity is the source file's (path, size, modification
//! time, first 64 KiB) combined with a hash of the schema text, the overrides and the
//! lpconvert version.

use crate::exit::Exit;
use crate::shared::{inputs_or_stdin, thread_count, RejectFiles, RejectsFile};
use anyhow::{bail, Context};
use lpconvert_engine::input::{conversion_hash, identify_converted};
use lpconvert_engine::stream::{Conversions, Failure, Row};
use lpconvert_engine::{load_schema, Counters, Overrides, Reject, Tuning};
use lpconvert_send::input::{Source, StreamInput};
use lpconvert_send::Precision;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Reject messages kept for the summary (and as many skipped rows).
const SHOWN_REJECTS: usize = 5;

/// What `lpconvert replay --schema` was asked to convert, and how.
#[derive(Debug)]
pub struct ConvertOptions<'a> {
    /// The schema file.
    pub schema: &'a Path,
    /// Input files (`-` is stdin), as given: none is none (a shard that owns no input);
    /// the caller turns "no INPUT" into stdin.
    pub inputs: &'a [String],
    /// Every input of the job (all shards'): a further rejects or skipped file takes none of
    /// their names, as another shard reads them.
    pub all_inputs: &'a [String],
    /// `--format`, `--precision` (the output's and the sender's), `--on-error`.
    pub overrides: Overrides<'a>,
    /// `--convert-rejects FILE`: rejected rows verbatim, reasons in `FILE.errors`.
    pub rejects: Option<&'a Path>,
    /// `--convert-skipped FILE`: the rows that produced no line, verbatim.
    pub skipped: Option<&'a Path>,
    /// `--threads`: threads that read and convert.
    pub threads: Option<usize>,
    /// `--max-record-size`: longest record read.
    pub max_record: Option<usize>,
    /// Whether a checkpoint is used (stdin cannot be resumed).
    pub checkpoint: bool,
    /// The run's outputs (`(option, path)`, with the names they are written under): a
    /// further rejects or skipped file (`FILE.2.csv`, ...) takes none of the others' names.
    pub others: Vec<(String, PathBuf)>,
}

/// Conversions as replay inputs; [`Conversion::finish`] collects their outcome.
pub struct Conversion {
    /// One stream per input file, each converted when the replay opens it.
    sources: Vec<Source>,
    conversions: Conversions,
    rejects: Arc<Mutex<RejectLog>>,
    /// The precision of the converted timestamps, to be sent to the server.
    pub precision: Precision,
    schema_path: PathBuf,
    /// The schema iterates (see [`ConversionOutcome::several_lines`]).
    several_lines: bool,
    /// Total size of the inputs when every one is a regular file (for progress).
    pub total_bytes: Option<u64>,
}

/// Rejected rows: the first few kept for the summary, all written to `--convert-rejects`
/// when given; the rows that produced no line alike, to `--convert-skipped`.
#[derive(Default)]
struct RejectLog {
    first: Vec<String>,
    file: Option<RejectsFile>,
    first_skipped: Vec<String>,
    skipped: Option<RejectsFile>,
}

impl RejectLog {
    fn record(&mut self, kind: Row, r: &Reject<'_>, header: Option<&[u8]>) -> io::Result<()> {
        let (first, file) = match kind {
            Row::Rejected => (&mut self.first, &mut self.file),
            Row::Skipped => (&mut self.first_skipped, &mut self.skipped),
        };
        // Only the rows named are formatted.
        if first.len() < SHOWN_REJECTS {
            first.push(match kind {
                Row::Rejected => r.to_string(),
                Row::Skipped => r.at_line().to_string(),
            });
        }
        if let Some(f) = file {
            f.write(r, header)?;
        }
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The data stays consistent if a holder panicked (counters and writers only).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How the conversions went, after the replay.
#[derive(Debug, Default)]
pub struct ConversionOutcome {
    /// Counters summed over the inputs converted (a resumed run converts from the start).
    pub counters: Counters,
    /// Rejected rows' `file:line:column: message`, the first few.
    pub first_rejects: Vec<String>,
    /// The rows that produced no line, `file:line: why`, the first few.
    pub first_skipped: Vec<String>,
    /// Why a conversion stopped, if one did.
    pub error: Option<Failure>,
    /// Inputs converted to the end.
    pub inputs_done: usize,
    /// The schema file, for messages.
    pub schema_path: PathBuf,
    /// The schema iterates: a record writes any number of lines (a skipped one wrote none).
    pub several_lines: bool,
    /// `--convert-rejects`, still under its `.partial` names until the exit status is known.
    pending: Option<PendingRejects>,
    /// `--convert-skipped`, likewise.
    pending_skipped: Option<PendingRejects>,
    /// Where the rejected rows and their reasons are, once settled (for the summary).
    pub rejects_shown: Option<String>,
    /// Where the skipped rows are, once settled (for the summary).
    pub skipped_shown: Option<String>,
}

/// The `--convert-rejects` files, committed or kept as `.partial` by
/// [`ConversionOutcome::settle_rejects`].
struct PendingRejects(RejectsFile);

impl std::fmt::Debug for PendingRejects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingRejects")
    }
}

impl ConversionOutcome {
    /// Renames the `--convert-rejects` and `--convert-skipped` files into place when the run
    /// ends with `code` 0 or 3; otherwise (a signal, a fatal answer, an error) keeps them as
    /// `FILE.partial`, says so, and leaves the previous files untouched, as `convert` does.
    pub fn settle_rejects(&mut self, code: Exit, quiet: bool) -> anyhow::Result<()> {
        if let Some(PendingRejects(f)) = self.pending_skipped.take() {
            let kind = ("--convert-skipped", "skipped", false);
            self.skipped_shown = settle_file(f, kind, code, quiet)?;
        }
        if let Some(PendingRejects(f)) = self.pending.take() {
            let kind = ("--convert-rejects", "rejected", true);
            self.rejects_shown = settle_file(f, kind, code, quiet)?;
        }
        Ok(())
    }

    /// The outcome as JSON, for `--report`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "rows_read": self.counters.rows,
            "rows_converted": self.counters.written,
            "lines_written": self.counters.lines,
            "rows_skipped": self.counters.skipped,
            "rows_rejected": self.counters.rejected,
            "first_rejects": self.first_rejects,
            "first_skipped": self.first_skipped,
            "inputs_converted": self.inputs_done,
            "error": self.error.as_ref().map(|e| e.error.to_string()),
        })
    }
}

impl Conversion {
    /// Loads and checks the schema, checks the inputs, and makes one stream input per input
    /// file. Nothing is converted until the replay reads the stream.
    pub fn prepare(o: &ConvertOptions<'_>) -> anyhow::Result<Conversion> {
        let schema = Arc::new(load_schema(o.schema, &o.overrides)?);
        let inputs = o.inputs;
        if o.checkpoint && inputs.iter().any(|i| i == "-") {
            bail!("--checkpoint needs file inputs: standard input cannot be resumed");
        }
        if inputs.iter().filter(|i| *i == "-").count() > 1 {
            bail!("standard input (`-`) can be given only once");
        }
        if o.checkpoint && !std::fs::metadata(o.schema).is_ok_and(|m| m.is_file()) {
            bail!(
                "--checkpoint needs the --schema {} to be a regular file: its content is part of what the checkpoint identifies",
                o.schema.display()
            );
        }
        // Read a second time: only for a checkpoint (a piped schema is read once).
        let hash = if o.checkpoint {
            let text = lpconvert_schema::read_text(o.schema)
                .with_context(|| format!("cannot read the schema {}", o.schema.display()))?;
            conversion_hash(&text, &o.overrides)
        } else {
            0
        };
        let tuning = Tuning {
            threads: thread_count(o.threads),
            chunk_size: lpconvert_engine::DEFAULT_CHUNK_SIZE,
            max_record: o.max_record.unwrap_or(lpconvert_engine::DEFAULT_MAX_RECORD),
        };
        // Further rejects or skipped files take no input's, schema's or other output's name.
        let files = |own: &str| RejectFiles {
            avoid: lpconvert_send::output::with_schema(
                &inputs_or_stdin(o.all_inputs),
                Some(o.schema),
            ),
            others: (o.others.iter())
                .filter(|(option, _)| !option.starts_with(own))
                .cloned()
                .collect(),
        };
        let file = o
            .rejects
            .map(|p| RejectsFile::create(p, &schema, files("--convert-rejects")))
            .transpose()?;
        let skipped = o
            .skipped
            .map(|p| RejectsFile::create_skipped(p, &schema, files("--convert-skipped")))
            .transpose()?;
        let rejects = Arc::new(Mutex::new(RejectLog {
            file,
            skipped,
            ..RejectLog::default()
        }));
        let log = Arc::clone(&rejects);
        let conversions = Conversions::new(
            Arc::clone(&schema),
            tuning,
            Box::new(move |kind, r, header| lock(&log).record(kind, r, header)),
        );
        let mut total_bytes = Some(0u64);
        let mut sources = Vec::with_capacity(inputs.len());
        let mut done_before = 0u64;
        for (index, input) in inputs.iter().enumerate() {
            // The identity reads the head of the input: only for a checkpoint, which needs a
            // regular file (a pipe's head would be lost).
            let (identity, size) = if input == "-" {
                (None, None)
            } else if o.checkpoint {
                let id = identify_converted(Path::new(input), o.schema, hash)
                    .map(crate::inputs::send_identity)
                    .with_context(|| format!("--checkpoint with {input}"))?;
                let size = id.size;
                (Some(id), Some(size))
            } else {
                let meta =
                    std::fs::metadata(input).with_context(|| format!("cannot read {input}"))?;
                (None, meta.is_file().then_some(meta.len()))
            };
            total_bytes = total_bytes.zip(size).map(|(t, s)| t + s);
            let name = if input == "-" { "<stdin>" } else { input };
            let (starter, path, before) = (conversions.starter(), input.clone(), done_before);
            done_before += size.unwrap_or(0);
            sources.push(Source::from(StreamInput::new(
                format!("{name} as line protocol"),
                identity,
                Box::new(move || {
                    let lines = starter.start(index, path, before)?;
                    Ok(Box::new(lines) as Box<dyn Read + Send>)
                }),
            )));
        }
        Ok(Conversion {
            sources,
            conversions,
            rejects,
            precision: schema.precision,
            schema_path: o.schema.to_path_buf(),
            several_lines: lpconvert_schema::spec::iterates(&schema),
            total_bytes,
        })
    }

    /// The replay's inputs, one per input file.
    pub fn sources(&self) -> Vec<Source> {
        self.sources.clone()
    }

    /// Input bytes converted so far (for progress).
    pub fn bytes_done(&self) -> u64 {
        self.conversions.bytes_done()
    }

    /// After the replay: waits for the conversion threads and collects their outcome. With
    /// `wait` (after a signal), a thread still running after that long (blocked reading a
    /// pipe that sends nothing) is left behind, its rows uncounted: the run ends anyway.
    pub fn finish(self, wait: Option<Duration>) -> anyhow::Result<ConversionOutcome> {
        let done = self.conversions.finish(wait)?;
        let mut log = lock(&self.rejects);
        Ok(ConversionOutcome {
            counters: done.counters,
            first_rejects: std::mem::take(&mut log.first),
            first_skipped: std::mem::take(&mut log.first_skipped),
            error: done.error,
            inputs_done: done.inputs_done,
            schema_path: self.schema_path,
            several_lines: self.several_lines,
            pending: log.file.take().map(PendingRejects),
            pending_skipped: log.skipped.take().map(PendingRejects),
            rejects_shown: None,
            skipped_shown: None,
        })
    }
}

/// Renames the files `f` of `option` (rows that were `what`, each with its reasons file when
/// `reasons`) into place when the run ends with `code` 0 or 3, else keeps them as
/// `FILE.partial` and says so; returns where the rows are, for the summary.
fn settle_file(
    f: RejectsFile,
    (option, what, reasons): (&str, &str, bool),
    code: Exit,
    quiet: bool,
) -> anyhow::Result<Option<String>> {
    if !code.finished() {
        let kept: Vec<String> = (f.keep_partial().iter())
            .map(|p| p.display().to_string())
            .collect();
        if !kept.is_empty() {
            note!(
                "lpconvert replay: the run did not finish, so the previous {option} files are untouched; the rows {what} so far are kept in {}",
                kept.join(", ")
            );
        }
        return Ok(match (kept.as_slice(), reasons) {
            ([rows, why, ..], true) => Some(format!("{rows} (so far), reasons in {why}")),
            ([rows, ..], false) => Some(format!("{rows} (so far)")),
            _ => None,
        });
    }
    let files = f
        .commit()
        .with_context(|| format!("cannot write the {option} file"))?;
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let each = if reasons {
        ", each with its FILE.errors"
    } else {
        ""
    };
    if files.len() > 1 && !quiet {
        note!(
            "lpconvert replay: the inputs' headers differ: {what} rows are in {} (one file per header{each})",
            names.join(", ")
        );
    }
    Ok(names.first().map(|p| match reasons {
        true => format!("{p}, reasons in {p}.errors"),
        false => p.clone(),
    }))
}
