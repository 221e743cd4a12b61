//! `lpconvert infer`: drafts a schema (TOML) from a sample of a CSV or NDJSON file.

use crate::exit::{stdout_error, Exit};
use anyhow::bail;
use lpconvert_engine::sample::{read_head, sample_csv, sample_ndjson};
use lpconvert_schema::infer::{infer, Options};
use lpconvert_schema::{Format, Schema};
use std::io::Write;
use std::path::Path;

/// Options of `lpconvert infer`.
#[derive(clap::Args, Debug)]
pub struct InferArgs {
    /// The CSV or NDJSON file (`-` reads stdin; `.gz` and `.zst` are decompressed).
    pub input: String,
    /// The input format (default: from the file name, else from the content).
    #[arg(long, value_parser = ["csv", "ndjson"])]
    pub format: Option<String>,
    /// Records to read (the first N).
    #[arg(long, default_value_t = 10_000)]
    pub sample: usize,
}

/// Runs `lpconvert infer`; returns the exit status.
pub fn run(a: InferArgs) -> anyhow::Result<Exit> {
    // `infer a.csv > a.csv`: the shell emptied the input; say so.
    let outputs = crate::convert::outputs_of(None, None);
    lpconvert_send::output::check_outputs(std::slice::from_ref(&a.input), &outputs)
        .map_err(anyhow::Error::msg)?;
    let input = match lpconvert_engine::open(&a.input) {
        Ok(i) => i,
        Err(e) => bail!("{}: {e}", a.input),
    };
    let name = input.name.clone();
    let by_name = lpconvert_engine::input::format_from_name(&name);
    let sample = a.sample.max(1);
    let (head, complete) = match read_head(input, sample) {
        Ok(h) => h,
        Err(e) => bail!("{name}: {e}"),
    };
    let sniffed = {
        let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') | Some(b'[') => Format::Ndjson,
            _ => Format::Csv,
        }
    };
    let format = a
        .format
        .as_deref()
        .and_then(Format::parse)
        .or(by_name.map(|(f, _)| f))
        .unwrap_or(sniffed);
    let tab = by_name.is_some_and(|(_, t)| t);
    let default_delimiter = if tab { b'\t' } else { b',' };
    let stem = {
        let p = lpconvert_engine::input::Compression::strip(&name);
        Path::new(p)
            .file_stem()
            .map_or_else(|| "data".to_string(), |s| s.to_string_lossy().into_owned())
    };
    let (table, csv) = match format {
        Format::Csv => {
            let (g, t) = sample_csv(&head, complete, default_delimiter, sample);
            (t, Some(g))
        }
        Format::Ndjson => (sample_ndjson(&head, complete, sample), None),
    };
    if table.columns.is_empty() {
        bail!("{name}: no records to infer a schema from");
    }
    let truncated = !complete || table.rows >= sample;
    let opts = Options {
        measurement: if name == "<stdin>" {
            "data".into()
        } else {
            stem
        },
        format,
        write_format: by_name.map(|(f, _)| f) != Some(format),
        input_name: name.clone(),
        csv,
        default_delimiter,
        truncated,
    };
    let text = infer(&table, &opts);
    if let Err(e) = Schema::from_toml(&text) {
        bail!("the drafted schema does not load (a bug, please report it): {e}\n{text}");
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(stdout_error)?;
    Ok(Exit::Ok)
}
