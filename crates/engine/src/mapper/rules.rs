//! The value rules of a rich plan (templates, regexes, number rules, a measurement default)
//! and the value forms every plan reads on its error paths (JSON booleans as integers,
//! objects and arrays as strings, durations).

use super::{Cell, Cells, Ctx, RowError};
use lpconvert_lp::escape::write_measurement_checked;
use lpconvert_lp::value::ValueError;
use lpconvert_schema::number::NumberRule;
use lpconvert_schema::rule::{TemplatePiece, ValueRule};
use lpconvert_schema::{FieldPlan, FieldType, Input, MeasurementPlan, TimestampPlan};

impl<'p, C: Cells> Ctx<'p, C> {
    /// The column an error about `input` names when it is an entry's template: the first
    /// cell the template reads (0 for other constants).
    #[cold]
    pub(super) fn template_column(&self, input: &Input) -> usize {
        let p = self.plan;
        let rules = p
            .tags
            .iter()
            .map(|t| (&t.input, &t.rule))
            .chain(p.fields.iter().map(|f| (&f.input, &f.rule)))
            .chain(p.timestamp.iter().map(|t| (&t.input, &t.rule)));
        for (i, rule) in rules {
            if std::ptr::eq(i, input) {
                return rule.as_deref().map_or(0, |r| self.first_cell(r));
            }
        }
        0
    }

    /// The column of the first cell a rule's template reads, 0 without one.
    fn first_cell(&self, rule: &ValueRule) -> usize {
        let first = rule.template.iter().flatten().find_map(|p| match p {
            TemplatePiece::Slot(s) => Some(*s),
            TemplatePiece::Text(_) => None,
        });
        first.map_or(0, |s| self.cells.column(s))
    }

    /// The value of an input under its rule: the template (or the input) read, the regex
    /// applied, then the default when the result is empty or null. Entries without a rule
    /// read as in the plain mapper.
    #[inline(always)]
    pub(super) fn rich_value<'a>(
        &'a self,
        input: &'a Input,
        rule: Option<&'a ValueRule>,
        default: Option<&'a [u8]>,
        scratch: &'a mut Vec<u8>,
    ) -> Result<Option<Cell<'a>>, RowError>
    where
        'p: 'a,
    {
        match rule {
            None => self.value(input, default, scratch),
            Some(rule) => self.ruled_value(input, rule, default, scratch),
        }
    }

    #[inline(never)]
    fn ruled_value<'a>(
        &'a self,
        input: &'a Input,
        rule: &'a ValueRule,
        default: Option<&'a [u8]>,
        scratch: &'a mut Vec<u8>,
    ) -> Result<Option<Cell<'a>>, RowError>
    where
        'p: 'a,
    {
        let cell = match &rule.template {
            Some(pieces) => {
                scratch.clear();
                for p in pieces {
                    match p {
                        TemplatePiece::Text(t) => scratch.extend_from_slice(t),
                        TemplatePiece::Slot(s) => {
                            let c = self.cells.get(*s).map_err(|w| self.not_scalar(*s, w))?;
                            if !self.is_null(c.text) {
                                scratch.extend_from_slice(c.text);
                            }
                        }
                    }
                }
                Cell::text(scratch.as_slice())
            }
            None => match self.value(input, None, scratch)? {
                Some(c) => c,
                None => return Ok(default.map(Cell::text)),
            },
        };
        let cell = match &rule.regex {
            Some(_) => Cell::text(rule.extract(cell.text)),
            None => cell,
        };
        if self.is_null(cell.text) {
            return Ok(default.map(Cell::text));
        }
        Ok(Some(cell))
    }
}

/// Writes the measurement of a rich plan (a template, a regex, a default).
pub(super) fn measurement<C: Cells>(
    cx: &Ctx<'_, C>,
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
) -> Result<(), RowError> {
    let plan = cx.plan;
    let input = match &plan.measurement {
        MeasurementPlan::Slot(s) => Input::Slot(*s),
        MeasurementPlan::Const(_) => Input::Const(Vec::new()),
    };
    let cell = cx
        .rich_value(
            &input,
            plan.measurement_rule.as_deref(),
            plan.measurement_default.as_deref(),
            scratch,
        )
        .map_err(|e| e.within("measurement"))?;
    let text = cell.map_or(&b""[..], |c| c.text);
    write_measurement_checked(out, text).map_err(|e| {
        let mut err = cx.err(&input, "measurement", text, e);
        if let (0, Some(rule)) = (err.column, &plan.measurement_rule) {
            err.column = cx.first_cell(rule);
        }
        err
    })
}

/// A string field whose NDJSON source is an object or array: its JSON text without the
/// whitespace outside strings, then the field's regex; empty or null, its default (`Some(None)`
/// without one: the field is omitted). `None` when that does not apply (the caller's error
/// stands).
#[cold]
#[inline(never)]
pub(super) fn json_string<'a, C: Cells>(
    cx: &'a Ctx<'_, C>,
    f: &'a FieldPlan,
    buf: &'a mut Vec<u8>,
) -> Option<Option<Cell<'a>>> {
    let Input::Slot(slot) = &f.input else {
        return None;
    };
    if f.ftype != FieldType::String || f.rule.as_ref().is_some_and(|r| r.template.is_some()) {
        return None;
    }
    let json = cx.cells.json_text(*slot)?;
    buf.clear();
    minify(json, buf);
    let text = match &f.rule {
        Some(r) => r.extract(buf),
        None => buf.as_slice(),
    };
    if cx.is_null(text) {
        return Some(f.default.as_deref().map(Cell::text));
    }
    Some(Some(Cell::text(text)))
}

/// Appends `json` without the whitespace outside its strings.
fn minify(json: &[u8], out: &mut Vec<u8>) {
    let mut in_string = false;
    let mut escaped = false;
    for &b in json {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            in_string = b == b'"';
            out.push(b);
        }
    }
}

/// A number field's value rewritten by its number rules into `buf`.
pub(super) fn number<'a, C: Cells>(
    cx: &Ctx<'_, C>,
    f: &FieldPlan,
    rule: &NumberRule,
    cell: Cell<'_>,
    buf: &'a mut Vec<u8>,
) -> Result<Cell<'a>, RowError> {
    if cell.json_bool {
        // JSON true/false stay booleans for the integer check (read as 1/0).
        buf.clear();
        buf.extend_from_slice(cell.text);
        return Ok(Cell {
            text: buf,
            json_bool: true,
            json_number: false,
            window: buf,
        });
    }
    // A JSON number is written in JSON's syntax, whatever the field's number_format says.
    rule.apply(cell.text, !cell.json_number, buf)
        .map_err(|e| cx.err(&f.input, &format!("field {}", f.name), cell.text, e))?;
    Ok(Cell::text(buf))
}

/// An integer or unsigned field reads JSON `true`/`false` as 1/0; other text keeps its
/// error.
#[cold]
#[inline(never)]
pub(super) fn json_bool(
    out: &mut Vec<u8>,
    cell: Cell<'_>,
    e: ValueError,
    suffix: u8,
) -> Result<(), ValueError> {
    if !cell.json_bool {
        return Err(e);
    }
    out.push(if cell.text == b"true" { b'1' } else { b'0' });
    out.push(suffix);
    Ok(())
}

/// A duration field: integer nanoseconds.
pub(super) fn write_duration(out: &mut Vec<u8>, text: &[u8]) -> Result<(), ValueError> {
    let ns = lpconvert_lp::duration::parse_duration(text)?;
    out.extend_from_slice(itoa::Buffer::new().format(ns).as_bytes());
    out.push(b'i');
    Ok(())
}

/// An empty timestamp: its default (to be parsed), `None` to write the line without a
/// timestamp (`required = false`), or the row error.
#[cold]
#[inline(never)]
pub(super) fn empty_timestamp<'t, C: Cells>(
    cx: &Ctx<'_, C>,
    ts: &'t TimestampPlan,
) -> Result<Option<&'t [u8]>, RowError> {
    match &ts.default {
        Some(d) => Ok(Some(d)),
        None if !ts.required => Ok(None),
        None => Err(cx.err(
            &ts.input,
            "timestamp",
            b"",
            "is empty: every row needs a timestamp (or remove [timestamp])",
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn minify_keeps_strings() {
        let mut out = Vec::new();
        super::minify(br#"{ "a" : [1, 2],	"b": "x y \" }" }"#, &mut out);
        assert_eq!(out, br#"{"a":[1,2],"b":"x y \" }"}"#);
    }
}
