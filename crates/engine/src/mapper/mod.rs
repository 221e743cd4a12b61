//! Maps one row to one line of line protocol, following a compiled [`Plan`].
//! The row is seen through [`Cells`], so CSV and NDJSON share this code. A plan with value
//! rules (templates, regexes, number formats, a measurement default: `Plan::rich`) maps
//! through [`map_row_rich`], the same code with the rules compiled in (`rules.rs`); the
//! plain instance never looks at them.

mod rules;
mod target;

use lpconvert_lp::escape::{key_is_plain, write_key_checked, write_measurement_checked};
use lpconvert_lp::parse::{FIELD_KEY_SEPARATOR_LEN, MAX_KEY_LEN, MAX_STRING_LEN};
use lpconvert_lp::value::{
    float_form, integer_text, write_f64, write_unsigned, FloatForm, ValueError,
};
use lpconvert_lp::{printable, write_string_value};
use lpconvert_schema::{FieldPlan, FieldType, Input, MeasurementPlan, Plan};

/// A cell's text and whether it was a JSON boolean (accepted by boolean fields as is).
#[derive(Debug, Clone, Copy)]
pub struct Cell<'a> {
    /// The text (JSON strings unescaped, numbers as written, null as empty).
    pub text: &'a [u8],
    /// The value was a JSON `true`/`false`.
    pub json_bool: bool,
    /// The value was a JSON number (read by `number_format` as written in JSON: its
    /// separators do not apply).
    pub json_number: bool,
    /// The text followed by whatever bytes come after it in the same buffer: lets short
    /// values be copied in fixed-size blocks. Starts with `text`.
    pub window: &'a [u8],
}

impl<'a> Cell<'a> {
    /// A cell whose text has nothing readable after it.
    #[inline]
    pub fn text(text: &'a [u8]) -> Cell<'a> {
        Cell {
            text,
            json_bool: false,
            json_number: false,
            window: text,
        }
    }
}

/// Appends `text`, whose bytes start `window`: when `window` holds at least `N` bytes and
/// the text fits, a fixed-size block is copied and the excess cut off (no memcpy call).
#[inline(always)]
fn put<const N: usize>(out: &mut Vec<u8>, text: &[u8], window: &[u8]) {
    if text.len() <= N {
        if let Some(block) = window.first_chunk::<N>() {
            let len = out.len();
            out.extend_from_slice(block);
            out.truncate(len + text.len());
            return;
        }
    }
    out.extend_from_slice(text);
}

/// Access to the cells of the current row by slot.
pub trait Cells {
    /// The cell in `slot`; an error naming what was found (e.g. "an object") when the
    /// value exists but is not a scalar.
    fn get(&self, slot: usize) -> Result<Cell<'_>, &'static str>;
    /// The 1-based column reported in messages for `slot`.
    fn column(&self, slot: usize) -> usize;
    /// The JSON text of a slot holding an object or array (NDJSON), for string fields.
    fn json_text(&self, _slot: usize) -> Option<&[u8]> {
        None
    }
}

/// What went wrong with a row: the column (1-based, 0 when none applies) and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based column (CSV cell number; 0 when not tied to a cell).
    pub column: usize,
    /// What is wrong, with the offending text.
    pub message: String,
}

impl RowError {
    /// Prefixes the message with the element it concerns (`field temp`).
    #[cold]
    fn within(mut self, element: &str) -> RowError {
        self.message = format!("{element} {}", self.message);
        self
    }
}

/// The outcome of mapping a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapped {
    /// One line was appended.
    Written,
    /// The row had no non-empty field: nothing appended.
    Skipped,
}

/// Per-worker scratch space reused from row to row.
#[derive(Default)]
pub struct Scratch {
    joined: Vec<u8>,
    itoa: itoa::Buffer,
    /// A number rewritten by a field's number rules.
    number: Vec<u8>,
    /// The JSON text of an object or array read as a string.
    json: Vec<u8>,
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scratch")
    }
}

pub(crate) fn shown(text: &[u8]) -> String {
    const MAX: usize = 80;
    // Debug formatting escapes control characters: the text is safe to print.
    let s = String::from_utf8_lossy(&text[..text.len().min(MAX)]);
    if text.len() > MAX {
        format!("{:?}...", s)
    } else {
        format!("{:?}", s)
    }
}

struct Ctx<'p, C: Cells> {
    plan: &'p Plan,
    cells: &'p C,
}

impl<'p, C: Cells> Ctx<'p, C> {
    fn col(&self, input: &Input) -> usize {
        match input {
            Input::Slot(s) => self.cells.column(*s),
            Input::Joined(s) => s.first().map_or(0, |s| self.cells.column(*s)),
            Input::Const(_) => self.template_column(input),
        }
    }

    #[cold]
    fn err(&self, input: &Input, what: &str, text: &[u8], why: impl std::fmt::Display) -> RowError {
        let column = self.col(input);
        let source = match input {
            Input::Slot(s) => format!(
                " ({} {})",
                self.label(),
                printable(self.plan.slot_names.get(*s).map_or(b"?", |s| s.as_bytes()))
            ),
            _ => String::new(),
        };
        RowError {
            column,
            message: format!("{what}{source}: {} {why}", shown(text)),
        }
    }

    fn label(&self) -> &'static str {
        match self.plan.format {
            lpconvert_schema::Format::Csv => "column",
            lpconvert_schema::Format::Ndjson => "path",
        }
    }

    #[cold]
    fn not_scalar(&self, slot: usize, found: &str) -> RowError {
        let name = printable(
            self.plan
                .slot_names
                .get(slot)
                .map_or(b"?", |s| s.as_bytes()),
        );
        RowError {
            column: self.cells.column(slot),
            message: format!(
                "({} {name}): found {found} where a string, number or boolean is expected",
                self.label()
            ),
        }
    }

    fn is_null(&self, t: &[u8]) -> bool {
        t.is_empty() || self.plan.null_values.iter().any(|n| n.as_slice() == t)
    }

    /// The value of an input, `None` when empty or null and there is no default.
    #[inline(always)]
    fn value<'a>(
        &'a self,
        input: &'a Input,
        default: Option<&'a [u8]>,
        scratch: &'a mut Vec<u8>,
    ) -> Result<Option<Cell<'a>>, RowError>
    where
        'p: 'a,
    {
        let cell = match input {
            Input::Slot(s) => self.cells.get(*s).map_err(|w| self.not_scalar(*s, w))?,
            Input::Const(c) => Cell::text(c),
            Input::Joined(slots) => {
                scratch.clear();
                // Every part empty or null: the joined value is empty (its default applies).
                let mut all_null = true;
                for (i, s) in slots.iter().enumerate() {
                    let c = self.cells.get(*s).map_err(|w| self.not_scalar(*s, w))?;
                    if i > 0 {
                        scratch.push(b' ');
                    }
                    all_null &= self.is_null(c.text);
                    scratch.extend_from_slice(c.text);
                }
                if all_null {
                    scratch.clear();
                }
                Cell::text(scratch.as_slice())
            }
        };
        if !self.is_null(cell.text) {
            return Ok(Some(cell));
        }
        Ok(default.map(Cell::text))
    }
}

fn write_field(
    out: &mut Vec<u8>,
    f: &FieldPlan,
    cell: Cell<'_>,
    escape_newlines: bool,
) -> Result<(), ValueError> {
    match f.ftype {
        FieldType::Float => {
            match float_form(cell.text)? {
                FloatForm::Copy => put::<16>(out, cell.text, cell.window),
                FloatForm::Value(v) => write_f64(out, v),
            }
            Ok(())
        }
        FieldType::Integer => {
            let digits = match integer_text(cell.text) {
                Ok(d) => d,
                Err(e) => return rules::json_bool(out, cell, e, b'i'),
            };
            if digits.len() == cell.text.len() {
                put::<16>(out, digits, cell.window);
            } else {
                out.extend_from_slice(digits);
            }
            out.push(b'i');
            Ok(())
        }
        FieldType::Unsigned => match write_unsigned(out, cell.text) {
            Ok(()) => Ok(()),
            Err(e) => rules::json_bool(out, cell, e, b'u'),
        },
        FieldType::Duration => rules::write_duration(out, cell.text),
        FieldType::Boolean => {
            let t = cell.text;
            let is = |list: &[Vec<u8>]| list.iter().any(|v| v.eq_ignore_ascii_case(t));
            if (cell.json_bool && t == b"true") || (!cell.json_bool && is(&f.true_values)) {
                out.extend_from_slice(b"true");
            } else if (cell.json_bool && t == b"false") || (!cell.json_bool && is(&f.false_values))
            {
                out.extend_from_slice(b"false");
            } else {
                return Err(ValueError::NotBoolean);
            }
            Ok(())
        }
        FieldType::String => {
            if !escape_newlines && memchr::memchr2(b'\n', b'\r', cell.text).is_some() {
                return Err(ValueError::StringNewline);
            }
            if !cell.text.is_ascii() && std::str::from_utf8(cell.text).is_err() {
                return Err(ValueError::NotUtf8);
            }
            let before = out.len();
            write_string_value(out, cell.text, escape_newlines);
            // As written, without its two quotes: what `check` counts.
            if out.len() - before - 2 > MAX_STRING_LEN {
                return Err(ValueError::StringTooLong);
            }
            Ok(())
        }
    }
}

/// Appends the line for one row to `out`. On error or skip, `out` is left as it was.
/// The plan must not be [`Plan::rich`](lpconvert_schema::Plan::rich) (see [`map_row_rich`]).
#[inline(always)]
pub fn map_row<C: Cells>(
    plan: &Plan,
    cells: &C,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<Mapped, RowError> {
    map_row_as::<C, false>(plan, cells, out, scratch)
}

/// [`map_row`] for a plan with value rules (templates, regexes, number rules, a
/// measurement default).
#[inline(never)]
pub fn map_row_rich<C: Cells>(
    plan: &Plan,
    cells: &C,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<Mapped, RowError> {
    map_row_as::<C, true>(plan, cells, out, scratch)
}

/// [`map_row`] or [`map_row_rich`], as `plan` needs.
#[inline]
pub fn map_row_any<C: Cells>(
    plan: &Plan,
    cells: &C,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<Mapped, RowError> {
    if plan.rich {
        map_row_rich(plan, cells, out, scratch)
    } else {
        map_row(plan, cells, out, scratch)
    }
}

#[inline(always)]
fn map_row_as<C: Cells, const RICH: bool>(
    plan: &Plan,
    cells: &C,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<Mapped, RowError> {
    let start = out.len();
    let mut r = map_into::<C, RICH>(plan, cells, out, scratch);
    if let (Ok(Mapped::Written), Some(rules)) = (&r, &plan.target) {
        let line = &out[start..out.len() - 1];
        if let Err(e) = target::held_to(plan, cells, rules, line) {
            r = Err(e);
        }
    }
    if !matches!(r, Ok(Mapped::Written)) {
        out.truncate(start);
    }
    r
}

/// Holds a line written for `plan` and completed afterwards (a multi-line plan's stamped
/// timestamp) to `plan.target`; `line` without its LF.
pub(crate) fn held_to_target<C: Cells>(
    plan: &Plan,
    cells: &C,
    line: &[u8],
) -> Result<(), RowError> {
    match &plan.target {
        Some(rules) => target::held_to(plan, cells, rules, line),
        None => Ok(()),
    }
}

#[inline(always)]
fn map_into<C: Cells, const RICH: bool>(
    plan: &Plan,
    cells: &C,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<Mapped, RowError> {
    let cx = Ctx { plan, cells };
    let start = out.len();
    match &plan.measurement {
        _ if RICH && (plan.measurement_rule.is_some() || plan.measurement_default.is_some()) => {
            rules::measurement(&cx, out, &mut scratch.joined)?;
        }
        MeasurementPlan::Const(m) => out.extend_from_slice(m),
        MeasurementPlan::Slot(s) => {
            let input = Input::Slot(*s);
            let cell = cx
                .value(&input, None, &mut scratch.joined)
                .map_err(|e| e.within("measurement"))?;
            let text = cell.map_or(&b""[..], |c| c.text);
            write_measurement_checked(out, text)
                .map_err(|e| cx.err(&input, "measurement", text, e))?;
        }
    }
    for t in &plan.tags {
        let got = if RICH {
            cx.rich_value(
                &t.input,
                t.rule.as_deref(),
                t.default.as_deref(),
                &mut scratch.joined,
            )
        } else {
            cx.value(&t.input, t.default.as_deref(), &mut scratch.joined)
        };
        let Some(cell) = got.map_err(|e| e.within(&format!("tag {}", t.name)))? else {
            continue;
        };
        put::<32>(out, &t.prefix, &t.prefix_padded);
        let tag_err = |e| cx.err(&t.input, &format!("tag {}", t.name), cell.text, e);
        if key_is_plain(cell.text).map_err(tag_err)? {
            put::<16>(out, cell.text, cell.window);
        } else {
            write_key_checked(out, cell.text).map_err(tag_err)?;
        }
    }
    let series_len = out.len() - start;
    out.push(b' ');
    let fields_start = out.len();
    for f in &plan.fields {
        let got = if RICH {
            cx.rich_value(
                &f.input,
                f.rule.as_deref(),
                f.default.as_deref(),
                &mut scratch.joined,
            )
        } else {
            cx.value(&f.input, f.default.as_deref(), &mut scratch.joined)
        };
        let cell = match got {
            Ok(Some(cell)) => cell,
            Ok(None) => continue,
            Err(e) => match rules::json_string(&cx, f, &mut scratch.json) {
                Some(Some(cell)) => cell,
                Some(None) => continue,
                None => return Err(e.within(&format!("field {}", f.name))),
            },
        };
        // An error names the text as read, not as a number rule rewrote it.
        let read = cell.text;
        let cell = if RICH {
            match f.rule.as_deref().and_then(|r| r.number.as_ref()) {
                Some(rule) => rules::number(&cx, f, rule, cell, &mut scratch.number)?,
                None => cell,
            }
        } else {
            cell
        };
        // `prefix` is `,key=`: the escaped key is 2 bytes shorter.
        if series_len + FIELD_KEY_SEPARATOR_LEN + f.prefix.len() - 2 > MAX_KEY_LEN {
            return Err(key_too_long(&cx, series_len, f, scratch));
        }
        // The prefix is `,key=`; the first field goes without the comma.
        let comma = usize::from(out.len() == fields_start);
        put::<32>(out, &f.prefix[comma..], &f.prefix_padded[comma..]);
        write_field(out, f, cell, plan.escape_string_newlines)
            .map_err(|e| cx.err(&f.input, &format!("field {}", f.name), read, e))?;
    }
    if out.len() == fields_start {
        return Ok(Mapped::Skipped);
    }
    if let Some(ts) = &plan.timestamp {
        let got = if RICH {
            cx.rich_value(&ts.input, ts.rule.as_deref(), None, &mut scratch.joined)
        } else {
            cx.value(&ts.input, None, &mut scratch.joined)
        };
        let Some(cell) = got.map_err(|e| e.within("timestamp"))? else {
            if let Some(default) = rules::empty_timestamp(&cx, ts)? {
                let t = ts
                    .parser
                    .parse_in(default, plan.precision)
                    .map_err(|e| cx.err(&ts.input, "timestamp default", default, e))?;
                out.push(b' ');
                out.extend_from_slice(scratch.itoa.format(t).as_bytes());
            }
            out.push(b'\n');
            return Ok(Mapped::Written);
        };
        let t = ts
            .parser
            .parse_in(cell.text, plan.precision)
            .map_err(|e| cx.err(&ts.input, "timestamp", cell.text, e))?;
        out.push(b' ');
        out.extend_from_slice(scratch.itoa.format(t).as_bytes());
    }
    out.push(b'\n');
    Ok(Mapped::Written)
}

/// The row error for a series key plus field key over [`MAX_KEY_LEN`]: it names the longest
/// part of the series key (a tag or the measurement), where the fix is.
#[cold]
#[inline(never)]
fn key_too_long<C: Cells>(
    cx: &Ctx<'_, C>,
    series_len: usize,
    f: &FieldPlan,
    scratch: &mut Scratch,
) -> RowError {
    let total = series_len + FIELD_KEY_SEPARATOR_LEN + f.prefix.len() - 2;
    let why = format!(
        "makes the series key (measurement and tags) {series_len} bytes, with field key `{}` {total} bytes: \
         over the {MAX_KEY_LEN} bytes InfluxDB 1.x/2.x accept (\"max key length exceeded\"); \
         shorten it or read it as a field",
        printable(f.name.as_bytes())
    );
    // The longest value read for the series key: (what, input, text).
    let mut longest: Option<(String, Input, Vec<u8>)> = None;
    let mut keep = |what: String, input: &Input, text: &[u8]| {
        if !matches!(&longest, Some((_, _, l)) if l.len() >= text.len()) {
            longest = Some((what, input.clone(), text.to_vec()));
        }
    };
    if let MeasurementPlan::Slot(s) = &cx.plan.measurement {
        let input = Input::Slot(*s);
        if let Ok(Some(c)) = cx.value(&input, None, &mut scratch.joined) {
            keep("measurement".into(), &input, c.text);
        }
    }
    for t in &cx.plan.tags {
        if let Ok(Some(c)) = cx.value(&t.input, t.default.as_deref(), &mut scratch.joined) {
            keep(format!("tag {}", t.name), &t.input, c.text);
        }
    }
    match longest {
        Some((what, input, text)) => cx.err(&input, &what, &text, why),
        None => RowError {
            column: 0,
            message: format!("measurement {why}"),
        },
    }
}
