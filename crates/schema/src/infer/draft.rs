//! Writing the draft schema: the guesses of the other modules as TOML, with a comment on each.

use super::column_stats::{stats, Stats, Ty};
use super::names::{key_for, measurement_from_stem};
use super::numbers::{is_null_like, number_format_toml, reads_same};
use super::timestamp::guess_timestamp;
use super::toml_text::{one_line, toml_key, toml_string};
use super::{Options, Table};
use crate::spec::NumberFormat;
use std::collections::HashSet;
use std::fmt::Write as _;

/// Tags: text columns with at most this many distinct values in the sample...
const MAX_TAG_VALUES: usize = 1000;

/// A drafted field: key, column index, type, and why.
type Field = (String, usize, Ty, String);

/// Writes the draft schema for `table` as TOML with comments.
pub fn infer(table: &Table, opts: &Options) -> String {
    let mut out = String::new();
    let rows = table.rows;
    let records = if table.iterations.is_empty() {
        rows
    } else {
        table.records
    };
    let _ = writeln!(
        out,
        "# Drafted by `lpconvert infer` from {} {} of {}{}.",
        records,
        if records == 1 { "record" } else { "records" },
        one_line(&opts.input_name),
        if opts.truncated {
            " (a sample: later rows may differ)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "# Every line below is a guess: check it before converting."
    );
    for it in &table.iterations {
        let _ =
            writeln!(
            out,
            "# {} holds arrays of objects ({} {} in the sample): one line per element, read by \
             the paths through {}/*; an element without values writes no line.",
            one_line(&it.path),
            it.elements,
            if it.elements == 1 { "element" } else { "elements" },
            one_line(&it.path),
        );
    }
    if opts.write_format {
        let f = match opts.format {
            crate::Format::Csv => "csv",
            crate::Format::Ndjson => "ndjson",
        };
        let _ = writeln!(out, "format = {}", toml_string(f));
    }
    let m = measurement_from_stem(&opts.measurement);
    let _ = writeln!(
        out,
        "measurement = {}  # the file name; or {{ column = \"...\" }}",
        toml_string(&m)
    );

    // A header that repeats a name cannot address each column: the draft renames them all
    // with [csv] columns (SCHEMA.md), so every column reads its own values.
    let header: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let names = crate::plan::unique_names(&header);
    let renamed = names != header;

    let ts = guess_timestamp(table);
    let stats: Vec<Stats> = table.columns.iter().map(|c| stats(c, rows)).collect();
    let ts_cols: Vec<usize> = ts.as_ref().map_or(Vec::new(), |t| t.columns.clone());

    // Tags and fields.
    // `time` is no key InfluxDB 1.x accepts: a column of that name gets `time_2`.
    let mut used = HashSet::from(["time".to_string()]);
    let mut tags: Vec<(String, usize, String)> = Vec::new();
    let mut fields: Vec<Field> = Vec::new();
    for (i, st) in stats.iter().enumerate() {
        if ts_cols.contains(&i) {
            continue;
        }
        let key = key_for(&names[i], i, &mut used);
        let low = st.distinct <= MAX_TAG_VALUES
            && (st.distinct * 2 <= st.present || st.distinct <= 1)
            && st.present > 0;
        if st.ty == Ty::Str && st.tag_safe && low {
            tags.push((
                key,
                i,
                format!(
                    "{} distinct {} in {} rows -> tag",
                    st.distinct,
                    if st.distinct == 1 { "value" } else { "values" },
                    rows
                ),
            ));
        } else {
            let mut why = st.why.clone();
            if st.ty == Ty::Str {
                why = format!(
                    "{why} ({} distinct in {} rows{})",
                    st.distinct,
                    rows,
                    if st.tag_safe {
                        ""
                    } else {
                        "; some cannot be tag values"
                    }
                );
            }
            fields.push((key, i, st.ty.clone(), why));
        }
    }
    // A line needs a field: without one, the tag with the most values becomes a field.
    if fields.is_empty() {
        if let Some(pos) = (0..tags.len()).max_by_key(|&t| stats[tags[t].1].distinct) {
            let (key, i, _) = tags.remove(pos);
            fields.push((
                key,
                i,
                Ty::Str,
                "text -> string (a line needs at least one field)".into(),
            ));
        }
    }
    let newline = fields
        .iter()
        .any(|(_, i, ty, _)| *ty == Ty::Str && stats[*i].newline);

    if let Some(t) = &ts {
        let _ = writeln!(
            out,
            "precision = {}  # the finest unit the sampled timestamps use",
            toml_string(t.unit_precision)
        );
    }
    if newline {
        let _ = writeln!(
            out,
            "string_newlines = \"escape\"  # some text values span lines"
        );
    }
    write_null_values(&mut out, table, &tags, &fields, &stats);
    let shared = shared_format(table, &fields, &stats);
    if let Some((f, n)) = &shared {
        let _ = writeln!(
            out,
            "number_format = {}  # the numbers of {n} {} are written this way (see their fields)",
            number_format_toml(f),
            if *n == 1 { "column" } else { "columns" }
        );
    }
    let shared = shared.map(|(f, _)| f);
    let source = |i: usize| -> String {
        let c = &table.columns[i];
        match &c.path {
            Some(p) => format!("path = {}", toml_string(p)),
            None => format!("column = {}", toml_string(&names[i])),
        }
    };

    out.push('\n');
    match &ts {
        Some(t) => {
            let _ = writeln!(out, "[timestamp]");
            if t.columns.len() == 1 {
                let _ = writeln!(out, "{}  # {}", source(t.columns[0]), t.why);
            } else {
                let names: Vec<String> =
                    t.columns.iter().map(|&i| toml_string(&names[i])).collect();
                let _ = writeln!(out, "column = [{}]  # {}", names.join(", "), t.why);
            }
            match &t.second {
                None => {
                    let _ = writeln!(out, "format = {}", toml_string(&t.format));
                }
                Some(second) => {
                    let _ = writeln!(
                        out,
                        "format = [{}, {}]",
                        toml_string(&t.format),
                        toml_string(second)
                    );
                }
            }
            if t.local {
                let _ = writeln!(
                    out,
                    "timezone = \"UTC\"  # the values carry no offset: set their zone, e.g. \"Europe/Berlin\""
                );
            }
        }
        None => {
            let _ = writeln!(
                out,
                "# No timestamp column found: the server will assign the time of writing.\n\
                 # Add a [timestamp] table with `column` and `format` if the data has one."
            );
        }
    }

    out.push('\n');
    let _ = writeln!(out, "[tags]");
    for (key, i, why) in &tags {
        let plain = table.columns[*i].path.is_none() && names[*i] == *key;
        let value = if plain {
            toml_string(&names[*i])
        } else {
            format!("{{ {} }}", source(*i))
        };
        let _ = writeln!(out, "{} = {value}  # {why}", toml_key(key));
    }

    // A wide table: its numeric columns become float fields through one pattern key.
    let wide = wide_pattern(table, opts, &names, &fields, &stats, shared.as_ref());
    if let Some(w) = &wide {
        fields.retain(|(_, i, _, _)| !w.columns.contains(i) && !w.exclude.contains(i));
    }

    out.push('\n');
    let _ = writeln!(out, "[fields]");
    for (key, i, ty, why) in &fields {
        let plain = table.columns[*i].path.is_none() && names[*i] == *key;
        let ty = toml_string(ty.as_str());
        // A top-level format reads every numeric field (`shared_format`).
        let own_format = stats[*i].format.as_ref().filter(|_| shared.is_none());
        let value = if let Some(f) = own_format {
            format!(
                "{{ {}, type = {ty}, number_format = {} }}",
                source(*i),
                number_format_toml(f)
            )
        } else if plain {
            ty
        } else {
            format!("{{ {}, type = {ty} }}", source(*i))
        };
        let _ = writeln!(out, "{} = {value}  # {why}", toml_key(key));
    }
    if let Some(w) = &wide {
        w.write(&mut out, &names);
    }
    for (path, why) in &table.left_out {
        let _ = writeln!(out, "# left out: {} ({why})", one_line(path));
    }
    for note in &table.notes {
        let note: String = note
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let _ = writeln!(out, "# note: {note}");
    }

    if let Some(g) = &opts.csv {
        let mut csv = String::new();
        if g.delimiter != opts.default_delimiter {
            let d = (g.delimiter as char).to_string();
            let _ = writeln!(
                csv,
                "delimiter = {}  # {} of {} lines have the same number of them",
                toml_string(&d),
                g.consistent_lines,
                g.lines
            );
        }
        if let Some(e) = g.escape {
            let _ = writeln!(
                csv,
                "escape = {}  # quotes inside quoted values are written \\\"",
                toml_string(&(e as char).to_string())
            );
        }
        if g.quote != b'"' {
            let _ = writeln!(
                csv,
                "quote = {}  # values are quoted with it",
                toml_string(&(g.quote as char).to_string())
            );
        }
        if let Some(c) = g.comment {
            let _ = writeln!(
                csv,
                "comment = {}  # lines starting with it are notes",
                toml_string(&(c as char).to_string())
            );
        }
        if g.skip_rows > 0 {
            let _ = writeln!(
                csv,
                "skip_rows = {}  # lines before the table do not have its shape",
                g.skip_rows
            );
        }
        if g.trim {
            let _ = writeln!(
                csv,
                "trim = true  # the header names are padded with blanks"
            );
        }
        let quoted: Vec<String> = names.iter().map(|n| toml_string(n)).collect();
        if !g.header {
            let _ = writeln!(
                csv,
                "header = false  # the first row holds data\ncolumns = [{}]",
                quoted.join(", ")
            );
        } else if renamed {
            let _ = writeln!(
                csv,
                "columns = [{}]  # the header repeats a name: each column gets its own",
                quoted.join(", ")
            );
        }
        if !csv.is_empty() {
            let _ = writeln!(out, "\n[csv]\n{}", csv.trim_end());
        }
    }
    out
}

/// The `number_format` written once at the top level, with the number of fields whose
/// numbers need it: the first format of a numeric field that reads every numeric field's
/// values as the field's own format does (`{ decimal = ",", group = ["."] }` also reads a
/// column of plain decimal commas). `None` when no field needs one or no format fits all.
fn shared_format(
    table: &Table,
    fields: &[Field],
    stats: &[Stats],
) -> Option<(NumberFormat, usize)> {
    let numeric: Vec<usize> = fields
        .iter()
        .filter(|f| matches!(f.2, Ty::Integer | Ty::Float))
        .map(|f| f.1)
        .collect();
    let formats: Vec<&NumberFormat> = numeric
        .iter()
        .filter_map(|&i| stats[i].format.as_ref())
        .collect();
    let fits = |f: &NumberFormat| {
        numeric
            .iter()
            .all(|&i| reads_same(&table.columns[i].cells, stats[i].format.as_ref(), f))
    };
    // Each distinct format is tried once (every column is read for each try).
    let mut tried: Vec<&NumberFormat> = Vec::new();
    let f = formats.iter().find(|f| {
        if tried.contains(f) {
            return false;
        }
        tried.push(f);
        fits(f)
    })?;
    Some(((*f).clone(), formats.len()))
}

/// `null_values` for the texts that are not numbers in mostly numeric field columns, unless
/// a text is also a value of a tag, or of a string field and not null-like (`n/a`, `NULL`:
/// no value there either): reading it as empty would lose it, so those rows are rejected
/// instead, and the line says so.
fn write_null_values(
    out: &mut String,
    table: &Table,
    tags: &[(String, usize, String)],
    fields: &[Field],
    stats: &[Stats],
) {
    let mut nulls: Vec<&str> = fields
        .iter()
        .flat_map(|(_, i, _, _)| stats[*i].nulls.iter().map(String::as_str))
        .collect();
    nulls.sort_unstable();
    nulls.dedup();
    if nulls.is_empty() {
        return;
    }
    let tag_columns: Vec<usize> = tags.iter().map(|t| t.1).collect();
    let string_columns: Vec<usize> = fields
        .iter()
        .filter(|f| f.2 == Ty::Str)
        .map(|f| f.1)
        .collect();
    let holds = |columns: &[usize], n: &str| {
        columns
            .iter()
            .any(|&c| table.columns[c].cells.iter().flatten().any(|(_, t)| t == n))
    };
    let in_tag = |n: &str| holds(&tag_columns, n);
    let elsewhere = |n: &str| in_tag(n) || holds(&string_columns, n);
    // A null-like text (`n/a`, `NULL`) means "no value" in a string field too; a tag value
    // names a series, which reading it as empty would merge with another.
    let (kept, clash): (Vec<&str>, Vec<&str>) = nulls
        .into_iter()
        .partition(|n| !elsewhere(n) || (is_null_like(n) && !in_tag(n)));
    let also: Vec<String> = kept
        .iter()
        .filter(|n| elsewhere(n))
        .map(|n| toml_string(n))
        .collect();
    if !kept.is_empty() {
        let list: Vec<String> = std::iter::once("")
            .chain(kept.iter().copied())
            .map(toml_string)
            .collect();
        let _ = writeln!(
            out,
            "null_values = [{}]  # not numbers in numeric columns (see their fields): read as empty",
            list.join(", ")
        );
    }
    if !also.is_empty() {
        let _ = writeln!(
            out,
            "# {} also {} in string fields, where {} no value too (read as empty)",
            also.join(", "),
            if also.len() == 1 { "occurs" } else { "occur" },
            if also.len() == 1 {
                "it means"
            } else {
                "they mean"
            },
        );
    }
    if !clash.is_empty() {
        let list: Vec<String> = clash.iter().map(|t| toml_string(t)).collect();
        let _ = writeln!(
            out,
            "# {} also {} text values elsewhere: rows with {} in a numeric column are rejected",
            list.join(", "),
            if clash.len() == 1 { "is" } else { "are" },
            if clash.len() == 1 { "it" } else { "them" },
        );
    }
}

/// A CSV table with more numeric columns than this gets one pattern key for them.
const WIDE_COLUMNS: usize = 50;

/// The pattern key `"*" = "float"` of a wide table: the numeric columns it reads, and the
/// columns without values in the sample that it leaves out.
struct Wide {
    columns: Vec<usize>,
    whole: usize,
    exclude: Vec<usize>,
}

/// The pattern key for a CSV table with more than [`WIDE_COLUMNS`] numeric field columns,
/// each named so that it can be its own key; `None` for any other table.
fn wide_pattern(
    table: &Table,
    opts: &Options,
    names: &[String],
    fields: &[Field],
    stats: &[Stats],
    shared: Option<&NumberFormat>,
) -> Option<Wide> {
    if opts.format != crate::Format::Csv || !table.iterations.is_empty() {
        return None;
    }
    // The pattern names each entry like its column: a column drafted under another key
    // (renamed, not a valid key, `time`) stays an entry of its own.
    let own = |key: &str, i: usize| {
        table.columns[i].path.is_none()
            && names[i] == key
            && (shared.is_some() || stats[i].format.is_none())
    };
    let columns: Vec<usize> = fields
        .iter()
        .filter(|(k, i, ty, _)| matches!(ty, Ty::Integer | Ty::Float) && own(k, *i))
        .map(|f| f.1)
        .collect();
    if columns.len() <= WIDE_COLUMNS {
        return None;
    }
    let whole = columns
        .iter()
        .filter(|&&i| stats[i].ty == Ty::Integer)
        .count();
    let exclude = fields
        .iter()
        .filter(|(k, i, _, _)| stats[*i].present == 0 && own(k, *i))
        .map(|f| f.1)
        .collect();
    Some(Wide {
        columns,
        whole,
        exclude,
    })
}

impl Wide {
    /// Writes the pattern key with its comments.
    fn write(&self, out: &mut String, names: &[String]) {
        let first = self.columns.first().map_or("", |&i| names[i].as_str());
        let last = self.columns.last().map_or("", |&i| names[i].as_str());
        let whole = if self.whole > 0 {
            format!(
                "; {} held whole numbers only: list one as `name = \"integer\"` above to keep it an integer",
                self.whole
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "# {} numeric columns ({} ... {}): one float field each, named like the column{whole}.",
            self.columns.len(),
            one_line(first),
            one_line(last),
        );
        if self.exclude.is_empty() {
            let _ = writeln!(
                out,
                "\"*\" = \"float\"  # every column no other entry reads"
            );
        } else {
            let quoted: Vec<String> = self
                .exclude
                .iter()
                .map(|&i| toml_string(&names[i]))
                .collect();
            let _ = writeln!(
                out,
                "\"*\" = {{ type = \"float\", exclude = [{}] }}  # every column no other entry reads; exclude: no values in the sample (take one out to read it as floats)",
                quoted.join(", ")
            );
        }
    }
}
