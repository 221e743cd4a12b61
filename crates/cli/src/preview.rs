//! `lpconvert preview`: the first records of an input, what the schema reads from each and
//! the lines it becomes (the engine's `preview`), laid out for reading.

use crate::exit::{stdout_error, Exit};
use crate::shared::{parse_size, SchemaArgs};
use lpconvert_engine::preview::{preview, Read, RecordView, Taken};
use lpconvert_engine::{EngineError, Tuning};
use std::io::{IsTerminal, Write};

/// How a preview reads (shown by `lpconvert preview --help`).
const LAYOUT: &str = "\
One block per record:

  line 2:
    time        <- column \"time\" = \"1700000000\"
    tag host    <- column \"host\" = \"a\"
    field usage <- column \"usage\" = \"0.5\"
    => cpu,host=a usage=0.5 1700000000000000000

`line N` is where the record starts (the header is line 1). Each entry of the schema says
where it reads (column, path, template, value, key_of) and the text it found there, before
null values, defaults and types apply; a `*` source lists each match. `=>` lines are exactly
what convert writes for the record; a record that cannot be converted shows convert's
`error: file:line:column: message` instead, and one whose fields are all empty says it is
skipped. Every row error is shown whatever on_error says. Control characters from the data
but tab (escape sequences, bell, carriage return, ...) are shown as `\\u{1b}`, `\\r`, ... so
they never reach the terminal (convert writes them as they are). Exit status: 0, or 3 when a record
shown has an error, 2 for a usage, schema or input error.";

/// Options of `lpconvert preview`.
#[derive(clap::Args, Debug)]
#[command(after_long_help = LAYOUT)]
pub struct PreviewArgs {
    #[command(flatten)]
    pub schema: SchemaArgs,
    /// The input file; `-` (the default) reads stdin. `.gz` and `.zst` are decompressed.
    #[arg(default_value = "-")]
    pub input: String,
    /// How many records to show (at least 1).
    #[arg(short = 'n', long, value_name = "N", default_value_t = 10,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub records: usize,
    /// Colour: `auto` (on a terminal, unless NO_COLOR is set), `always` or `never`.
    #[arg(long, value_name = "WHEN", value_parser = ["auto", "always", "never"], default_value = "auto")]
    pub color: String,
    /// Longest record (row, line) read, e.g. 64M: a longer one is a bad row.
    #[arg(long, value_parser = parse_size, default_value = "64M")]
    pub max_record_size: usize,
}

/// ANSI styles, or none.
struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// Colour when asked to, or on a terminal without `NO_COLOR` (set and not empty).
fn colour(when: &str) -> bool {
    match when {
        "always" => true,
        "never" => false,
        _ => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Runs `lpconvert preview`.
pub fn run(a: PreviewArgs) -> anyhow::Result<Exit> {
    let schema = a.schema.load()?;
    let input = lpconvert_engine::open(&a.input).map_err(|e| {
        let name = if a.input == "-" { "<stdin>" } else { &a.input };
        anyhow::anyhow!("{name}: {e}")
    })?;
    let tuning = Tuning {
        threads: 1,
        // The first read of a stream: a pipe need not fill megabytes before a record shows.
        chunk_size: 64 << 10,
        max_record: a.max_record_size,
    };
    let shown = match preview(input, &schema, tuning, a.records) {
        Ok(p) => p,
        Err(EngineError::Schema(e)) => match a.schema.file() {
            Some(s) => anyhow::bail!("{}: {e}", s.display()),
            None => anyhow::bail!("the annotations: {e}"),
        },
        Err(e) => return Err(e.into()),
    };
    let style = Style {
        on: colour(&a.color),
    };
    let mut text = String::new();
    for r in &shown.records {
        record(&mut text, r, &style);
    }
    if shown.records.is_empty() {
        text.push_str("no records\n");
    } else if shown.more || shown.unread {
        let n = shown.records.len();
        let first = if n == 1 {
            "the first record".to_owned()
        } else {
            format!("the first {n} records")
        };
        let after = if shown.more {
            "more follow: -n N shows more"
        } else {
            "the input had not ended and was not read further"
        };
        text.push_str(&format!("({first}; {after})\n"));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(stdout_error)?;
    let errors = shown.records.iter().any(|r| r.error.is_some());
    if errors && schema.on_error == lpconvert_schema::OnError::Fail {
        note!("lpconvert: on_error = \"fail\": convert stops at the first of these errors (exit 1); --on-error skip sets them aside");
    }
    Ok(if errors { Exit::Partial } else { Exit::Ok })
}

/// One record's block. Everything taken from the data goes through [`visible`].
fn record(text: &mut String, r: &RecordView, style: &Style) {
    text.push_str(&style.paint("1", &format!("line {}:", r.line)));
    text.push('\n');
    let entries: Vec<String> = r.reads.iter().map(|x| visible(&x.entry)).collect();
    let width = entries.iter().map(|e| e.chars().count()).max().unwrap_or(0);
    for (read, entry) in r.reads.iter().zip(&entries) {
        text.push_str(&format!(
            "  {entry:width$} <- {}{}\n",
            style.paint("36", &visible(&read.source)),
            visible(&taken(read)),
        ));
    }
    for line in &r.lines {
        let line = visible(line);
        text.push_str(&format!("  {}\n", style.paint("32", &format!("=> {line}"))));
    }
    match &r.error {
        Some(e) => text.push_str(&format!(
            "  {}\n",
            style.paint("31", &visible(&format!("error: {e}")))
        )),
        None if r.lines.is_empty() => text.push_str(&format!(
            "  {}\n",
            style.paint("33", "skipped: no line (every field empty)")
        )),
        None => {}
    }
}

/// `text` safe for a terminal: control characters but tab (C0, DEL, C1) and the
/// bidirectional overrides are written as Rust escapes (`\u{1b}`, `\r`), so a value holding
/// an escape sequence cannot recolour, retitle or clear the terminal, or reorder what is
/// shown. A tab is left as it is: harmless, and `=>` lines stay convert's where they can.
fn visible(text: &str) -> String {
    let hidden = |c: char| {
        (c.is_control() && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if hidden(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// ` = text` for what a source gave.
fn taken(read: &Read) -> String {
    match &read.taken {
        Taken::Missing => " (missing)".into(),
        Taken::One(t) | Taken::Fixed(t) => format!(" = {t}"),
        Taken::Each(each) if each.is_empty() => " (no match)".into(),
        // Names only (`key_of`): a list.
        Taken::Each(each) if each.iter().all(|(n, v)| *v == format!("{n:?}")) => {
            let names: Vec<&str> = each.iter().map(|(_, v)| v.as_str()).collect();
            format!(" = [{}]", names.join(", "))
        }
        Taken::Each(each) => {
            let parts: Vec<String> = each.iter().map(|(n, v)| format!("{n}: {v}")).collect();
            format!(" = {{{}}}", parts.join(", "))
        }
    }
}
