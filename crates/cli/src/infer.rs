//! `lpconvert infer`: drafts a schema (TOML) from a sample of a CSV or NDJSON file.

use crate::exit::{stdout_error, Exit};
use anyhow::bail;
use lpconvert_engine::sample::{read_head, sample_csv, sample_ndjson};
use lpconvert_schema::infer::{infer, Options};
use lpconvert_schema::{Format, Schema, TextEncoding};
use std::io::Write;
use std::path::Path;

/// Options of `lpconvert infer`.
#[derive(clap::Args, Debug)]
pub struct InferArgs {
    /// The CSV or NDJSON file (`-` reads stdin; `.gz` and `.zst` are decompressed).
    pub input: String,
    /// The input format (default: from the file name, else from the content; a file that
    /// starts with csv2lp annotations is read as annotated-csv).
    #[arg(long, value_parser = ["csv", "ndjson", "annotated-csv"])]
    pub format: Option<String>,
    /// The input's character encoding (a UTF-16 byte order mark is recognised without it);
    /// the draft names it when it is not UTF-8.
    #[arg(long, value_parser = TextEncoding::NAMES)]
    pub encoding: Option<String>,
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
    let encoding = a
        .encoding
        .as_deref()
        .and_then(TextEncoding::parse)
        .unwrap_or_default();
    let input = match lpconvert_engine::input::decode(input, encoding) {
        Ok(i) => i,
        Err(e) => bail!("{name}: {e}"),
    };
    let by_name = lpconvert_engine::input::format_from_name(&name);
    let sample = a.sample.max(1);
    let (head, complete) = match read_head(input, sample) {
        Ok(h) => h,
        Err(e) => bail!("{name}: {e}"),
    };
    let annotated = match a.format.as_deref() {
        Some(f) => f == lpconvert_schema::annotated::ANNOTATED_CSV,
        None => lpconvert_engine::annotated::looks_annotated(&head),
    };
    if annotated {
        return print(&annotated_draft(&name, &head, complete, encoding)?);
    }
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
    let mut text = infer(&table, &opts);
    if encoding != TextEncoding::Utf8 {
        text = with_encoding(&text, encoding);
    }
    if let Err(e) = Schema::from_toml(&text) {
        bail!("the drafted schema does not load (a bug, please report it): {e}\n{text}");
    }
    print(&text)
}

/// The draft with `encoding = "..."` before its first key.
fn with_encoding(text: &str, encoding: TextEncoding) -> String {
    let key = format!("encoding = \"{}\"\n", encoding.as_str());
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if !(line.starts_with('#') || line.trim().is_empty()) {
            break;
        }
        at += line.len();
    }
    format!("{}{key}{}", &text[..at], &text[at..])
}

/// The schema an annotated CSV file's first table declares, as TOML that converts that
/// table as plain CSV.
fn annotated_draft(
    name: &str,
    head: &[u8],
    complete: bool,
    encoding: TextEncoding,
) -> anyhow::Result<String> {
    let Some((pre, more)) = lpconvert_engine::annotated::first_preamble(head) else {
        bail!("{name}: no annotation rows and header to draft a schema from");
    };
    let table = lpconvert_schema::annotated::compile(&pre)
        .map_err(|e| anyhow::anyhow!("{name}: the annotations do not make a schema: {e}"))?;
    let mut text = format!(
        "# The schema the annotations of {name} declare (csv2lp rules): it converts the \
         first table\n# as plain CSV, the annotation rows skipped.\n"
    );
    if more || !complete {
        text.push_str(&format!(
            "# {name} may hold more tables, each with its own annotations: convert it whole with\n\
             # --format annotated-csv.\n"
        ));
    }
    if encoding != TextEncoding::Utf8 {
        text.push_str(&format!("encoding = \"{}\"\n", encoding.as_str()));
    }
    text.push_str(&lpconvert_schema::annotated::to_text(&table));
    if let Err(e) = Schema::from_toml(&text) {
        bail!("{name}: the schema the annotations declare does not load: {e}\n{text}");
    }
    Ok(text)
}

/// Writes the draft to standard output.
fn print(text: &str) -> anyhow::Result<Exit> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(stdout_error)?;
    Ok(Exit::Ok)
}
