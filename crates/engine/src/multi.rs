//! Maps one record to zero or more lines (SCHEMA.md "Several lines from one record", "Keys
//! from the data"), for plans with a [`MultiPlan`]. Each combination of matches rebinds a
//! copy of the plan (the *line plan*) and maps it with the one-line mapper, so escaping,
//! types and messages are the one implementation.

use crate::mapper::{held_to_target, map_row_any, shown, Cells, Mapped, RowError, Scratch};
use crate::pipeline::Tuning;
use lpconvert_lp::printable;
use lpconvert_schema::multi::{Target, Use};
use lpconvert_schema::{Input, MeasurementPlan, MultiPlan, Plan, TimestampPlan};

/// A worker's mutable copy of a plan, rebound per record and per combination.
#[derive(Debug)]
pub struct LinePlan {
    pub(crate) plan: Plan,
    /// For each tag of `plan` (output order) its position in the compiled plan; `None` for
    /// a tag a pattern spread from the data.
    pub(crate) tag_base: Vec<Option<usize>>,
    /// The inverse: compiled position -> current position in `plan.tags`.
    pub(crate) tag_pos: Vec<usize>,
    /// For each field of `plan` its position in the compiled plan; `None` for a field a
    /// pattern spread from the data.
    pub(crate) field_base: Vec<Option<usize>>,
    /// The inverse: compiled position -> current position in `plan.fields`.
    pub(crate) field_pos: Vec<usize>,
    /// The current match of each iteration.
    pub(crate) at: Vec<usize>,
    /// The 1-based column of the current match's name read by a tag, field or timestamp
    /// (`key_of`): where an error about that name points (0: none).
    key_of_column: usize,
    /// The current match's name cannot be the measurement: the error, reported if the
    /// combination writes a line.
    bad_measurement: Option<RowError>,
    /// For each innermost iteration with values, the targets it reads a value into.
    innermost: Vec<Vec<Target>>,
    /// CSV: the timestamp reads no iteration, so it is parsed once per record.
    fixed_ts: bool,
    /// The timestamp text of the current record (` 1700000000000000000`), when parsed once.
    stamp: Vec<u8>,
    /// True while `stamp` stands for the plan's timestamp (taken out of `plan`).
    stamped: bool,
    /// The plan's timestamp while `stamped`.
    saved_ts: Option<TimestampPlan>,
}

impl LinePlan {
    /// A line plan for `plan`.
    pub fn new(plan: &Plan) -> LinePlan {
        let n = plan.tags.len();
        LinePlan {
            plan: plan.clone(),
            tag_base: (0..n).map(Some).collect(),
            tag_pos: (0..n).collect(),
            field_base: (0..plan.fields.len()).map(Some).collect(),
            field_pos: (0..plan.fields.len()).collect(),
            at: Vec::new(),
            key_of_column: 0,
            bad_measurement: None,
            innermost: plan.multi.as_deref().map_or_else(Vec::new, innermost),
            fixed_ts: plan.format == lpconvert_schema::Format::Csv
                && plan.timestamp.as_ref().is_some_and(|t| t.rule.is_none())
                && plan
                    .multi
                    .as_ref()
                    .is_some_and(|m| !m.bindings.iter().any(|b| b.target == Target::Timestamp)),
            stamp: Vec::new(),
            stamped: false,
            saved_ts: None,
        }
    }
}

/// For each innermost iteration (no other nested in it) that reads values, the targets of
/// those values.
fn innermost(multi: &MultiPlan) -> Vec<Vec<Target>> {
    (0..multi.iterations.len())
        .filter(|&it| !multi.iterations.iter().any(|i| i.parent == Some(it)))
        .map(|it| {
            multi
                .bindings
                .iter()
                .filter(|b| b.iteration == it && b.what == Use::Value)
                .map(|b| b.target)
                .collect::<Vec<_>>()
        })
        .filter(|targets| !targets.is_empty())
        .collect()
}

/// Parses the record's timestamp once into `line.stamp` and takes it out of the line plan
/// (the lines get `line.stamp` appended instead; `map_record` puts it back after the record).
/// A timestamp that is empty, null, joined or does not parse stays in the
/// plan, so that `map_row` reports it as it always does.
fn stamp_record<C: Cells>(line: &mut LinePlan, cells: &C) -> Option<()> {
    let ts = line.plan.timestamp.as_ref()?;
    let text = match &ts.input {
        Input::Slot(s) => cells.get(*s).ok()?.text,
        Input::Const(c) => c.as_slice(),
        Input::Joined(_) => return None,
    };
    let p = &line.plan;
    if text.is_empty() || p.null_values.iter().any(|n| n.as_slice() == text) {
        return None;
    }
    let t = ts.parser.parse_in(text, p.precision).ok()?;
    line.stamp.clear();
    line.stamp.push(b' ');
    line.stamp
        .extend_from_slice(itoa::Buffer::new().format(t).as_bytes());
    line.stamp.push(b'\n');
    line.stamped = true;
    line.saved_ts = line.plan.timestamp.take();
    Some(())
}

/// The cells of a record seen by the line plan: its own instance of the mapper, so that the
/// one-line path keeps its single call site (and its inlining).
struct Own<'a, C>(&'a C);

impl<C: Cells> Cells for Own<'_, C> {
    #[inline]
    fn get(&self, slot: usize) -> Result<crate::mapper::Cell<'_>, &'static str> {
        self.0.get(slot)
    }

    fn column(&self, slot: usize) -> usize {
        self.0.column(slot)
    }

    fn json_text(&self, slot: usize) -> Option<&[u8]> {
        self.0.json_text(slot)
    }
}

/// Sets `input` to the constant `text`, reusing its buffer.
fn set_const(input: &mut Input, text: &[u8]) {
    if let Input::Const(c) = input {
        c.clear();
        c.extend_from_slice(text);
    } else {
        *input = Input::Const(text.to_vec());
    }
}

/// Appends the lines of one record to `out` and returns how many; 0 means the record is
/// skipped. On error `out` is left as it was: a record converts whole or not at all.
pub fn map_record<C: Cells>(
    multi: &MultiPlan,
    line: &mut LinePlan,
    cells: &C,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<u64, RowError> {
    let start = out.len();
    let r = map_all(multi, line, cells, out, scratch);
    if line.stamped {
        line.stamped = false;
        if let Some(ts) = line.saved_ts.take() {
            line.plan.timestamp = Some(ts);
        }
    }
    if r.is_err() {
        out.truncate(start);
    }
    r
}

fn map_all<C: Cells>(
    multi: &MultiPlan,
    line: &mut LinePlan,
    cells: &C,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<u64, RowError> {
    if !multi.data_keys.is_empty() {
        data_keys(multi, line, cells)?;
    }
    if line.fixed_ts {
        stamp_record(line, cells);
    }
    let n = multi.iterations.len();
    line.at.clear();
    line.at.resize(n, 0);
    if multi.iterations.iter().any(|i| i.matches.is_empty()) {
        return Ok(0);
    }
    let mut lines = 0;
    loop {
        let at = std::mem::take(&mut line.at);
        rebind(multi, line, |it| {
            let m = &multi.iterations[it].matches[at[it]];
            (Some(m.slot), m.name.as_slice(), m.slot + 1)
        });
        line.at = at;
        lines += emit(line, cells, out, scratch)?;
        // Next combination: the last iteration is innermost.
        let mut k = n;
        loop {
            if k == 0 {
                return Ok(lines);
            }
            k -= 1;
            line.at[k] += 1;
            if line.at[k] < multi.iterations[k].matches.len() {
                break;
            }
            line.at[k] = 0;
        }
    }
}

/// Maps the line plan as rebound for the current combination: 1 when it wrote a line.
pub(crate) fn emit<C: Cells>(
    line: &LinePlan,
    cells: &C,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<u64, RowError> {
    if all_empty(line, cells) {
        return Ok(0);
    }
    if let Some(e) = &line.bad_measurement {
        return Err(e.clone());
    }
    let mapped = map_row_any(&line.plan, &Own(cells), out, scratch).map_err(|mut e| {
        // An error without a cell is about a constant: in a line plan, a `key_of` name.
        if e.column == 0 {
            e.column = line.key_of_column;
        }
        e
    })?;
    if mapped != Mapped::Written {
        return Ok(0);
    }
    if line.stamped {
        // The line ends with its fields and `\n`: the record's timestamp goes before it.
        let fields_end = out.len() - 1;
        out.pop();
        out.extend_from_slice(&line.stamp);
        if line.plan.target.is_some() {
            let start = out[..fields_end]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let end = out.len() - usize::from(out.last() == Some(&b'\n'));
            if let Err(mut e) = held_to_target(&line.plan, &Own(cells), &out[start..end]) {
                // The timestamp is out of the line plan while stamped: its column is this.
                if let (0, Some(Input::Slot(s))) =
                    (e.column, line.saved_ts.as_ref().map(|t| &t.input))
                {
                    e.column = cells.column(*s);
                }
                out.truncate(start);
                return Err(e);
            }
        }
    }
    Ok(1)
}

/// Points every bound target at the current match of its iteration: `current(iteration)`
/// gives the slot to read (none when the slot stays, as with NDJSON), the match's name and
/// the 1-based column of that name. A name that cannot be the measurement is a row error
/// when the combination writes a line.
pub(crate) fn rebind<'n>(
    multi: &MultiPlan,
    line: &mut LinePlan,
    current: impl Fn(usize) -> (Option<usize>, &'n [u8], usize),
) {
    line.key_of_column = 0;
    line.bad_measurement = None;
    for b in &multi.bindings {
        let (slot, name, column) = current(b.iteration);
        if b.what == Use::KeyOf && b.target != Target::Measurement && line.key_of_column == 0 {
            line.key_of_column = column;
        }
        let p = &mut line.plan;
        match (b.target, b.what) {
            (Target::Measurement, Use::Value) => {
                if let Some(slot) = slot {
                    p.measurement = MeasurementPlan::Slot(slot);
                }
            }
            (Target::Measurement, Use::KeyOf) => {
                let mut text = match std::mem::replace(&mut p.measurement, MeasurementPlan::Slot(0))
                {
                    MeasurementPlan::Const(c) => c,
                    MeasurementPlan::Slot(_) => Vec::new(),
                };
                text.clear();
                let checked = lpconvert_lp::escape::write_measurement_checked(&mut text, name);
                p.measurement = MeasurementPlan::Const(text);
                if let Err(e) = checked {
                    line.bad_measurement = Some(RowError {
                        column,
                        message: format!(
                            "measurement (key_of {}): {} {e}",
                            printable(multi.iterations[b.iteration].source.as_bytes()),
                            shown(name)
                        ),
                    });
                }
            }
            (target, what) => {
                let input = match target {
                    Target::Timestamp => match &mut p.timestamp {
                        Some(ts) => &mut ts.input,
                        None => continue,
                    },
                    Target::Tag(i) => &mut p.tags[line.tag_pos[i]].input,
                    Target::Field(i) => &mut p.fields[line.field_pos[i]].input,
                    Target::Measurement => continue,
                };
                match (what, slot) {
                    (Use::Value, Some(slot)) => *input = Input::Slot(slot),
                    (Use::Value, None) => {}
                    (Use::KeyOf, _) => set_const(input, name),
                }
            }
        }
    }
}

/// True when, for some innermost iteration, every value read through it is empty or null
/// (and has no default): that combination writes no line. (An outer iteration's values
/// repeat on each line of its inner matches.)
fn all_empty<C: Cells>(line: &LinePlan, cells: &C) -> bool {
    let p = &line.plan;
    let null = |t: &[u8]| t.is_empty() || p.null_values.iter().any(|n| n.as_slice() == t);
    // The slot a target reads now, unless it has a default.
    let reads = |t: Target| -> Option<usize> {
        let (input, default) = match t {
            Target::Tag(i) => {
                let t = &p.tags[line.tag_pos[i]];
                (&t.input, t.default.is_some())
            }
            Target::Field(i) => {
                let f = &p.fields[line.field_pos[i]];
                (&f.input, f.default.is_some())
            }
            Target::Timestamp => (&p.timestamp.as_ref()?.input, false),
            Target::Measurement => match p.measurement {
                MeasurementPlan::Slot(s) => return Some(s),
                MeasurementPlan::Const(_) => return None,
            },
        };
        match input {
            Input::Slot(s) if !default => Some(*s),
            _ => None,
        }
    };
    line.innermost.iter().any(|targets| {
        // A value that is not a scalar is not empty: the mapper reports it.
        targets
            .iter()
            .all(|&t| reads(t).is_some_and(|slot| cells.get(slot).is_ok_and(|c| null(c.text))))
    })
}

/// Why a key read from the data may not be `time`.
pub(crate) const TIME_KEY: &str =
    "is refused by InfluxDB 1.x as a tag or field key (`time` is the timestamp in queries)";

/// Reads the keys of this record from the data into the line plan.
pub(crate) fn data_keys<C: Cells>(
    multi: &MultiPlan,
    line: &mut LinePlan,
    cells: &C,
) -> Result<(), RowError> {
    let mut moved_tag = false;
    for k in &multi.data_keys {
        let cell = cells.get(k.slot).map_err(|found| RowError {
            column: cells.column(k.slot),
            message: format!(
                "key ({}): found {found} where a key name is expected",
                slot_name(&line.plan, k.slot)
            ),
        })?;
        let key = cell.text;
        let what = match k.target {
            Target::Tag(_) => "tag key",
            _ => "field key",
        };
        if key.is_empty() {
            return Err(RowError {
                column: cells.column(k.slot),
                message: format!(
                    "{what} ({}) is empty: every row needs a key there",
                    slot_name(&line.plan, k.slot)
                ),
            });
        }
        let bad = match lpconvert_lp::escape::check_name(key) {
            Err(e) => Some(e.to_string()),
            Ok(()) if key == b"time" => Some(TIME_KEY.to_string()),
            Ok(()) => None,
        };
        if let Some(why) = bad {
            return Err(RowError {
                column: cells.column(k.slot),
                message: format!(
                    "{what} ({}): {} {why}",
                    slot_name(&line.plan, k.slot),
                    shown(key)
                ),
            });
        }
        let mut prefix = b",".to_vec();
        lpconvert_lp::write_key(&mut prefix, key);
        prefix.push(b'=');
        let mut padded = prefix.clone();
        padded.resize(prefix.len() + 32, 0);
        let name = String::from_utf8_lossy(key).into_owned();
        match k.target {
            Target::Tag(i) => {
                let t = &mut line.plan.tags[line.tag_pos[i]];
                (t.name, t.prefix, t.prefix_padded) = (name, prefix, padded);
                moved_tag = true;
            }
            Target::Field(i) => {
                let f = &mut line.plan.fields[line.field_pos[i]];
                (f.name, f.prefix, f.prefix_padded) = (name, prefix, padded);
                f.ftype = k
                    .types
                    .iter()
                    .find(|(n, _)| n.as_slice() == key)
                    .map_or(k.ftype, |&(_, t)| t);
            }
            _ => {}
        }
    }
    // A key read from a cell may equal another key of the line.
    for k in &multi.data_keys {
        let (own_tag, own_field) = match k.target {
            Target::Tag(i) => (Some(line.tag_pos[i]), None),
            Target::Field(i) => (None, Some(line.field_pos[i])),
            _ => (None, None),
        };
        let key = match (own_tag, own_field) {
            (Some(t), _) => &line.plan.tags[t].name,
            (_, Some(f)) => &line.plan.fields[f].name,
            _ => continue,
        };
        let clash = line
            .plan
            .tags
            .iter()
            .enumerate()
            .any(|(i, t)| Some(i) != own_tag && t.name == *key)
            || line
                .plan
                .fields
                .iter()
                .enumerate()
                .any(|(i, f)| Some(i) != own_field && f.name == *key);
        if clash {
            return Err(RowError {
                column: cells.column(k.slot),
                message: format!(
                    "key `{}` read from {} is also another key of the line (tags and fields share one key space)",
                    printable(key.as_bytes()),
                    slot_name(&line.plan, k.slot)
                ),
            });
        }
    }
    if moved_tag && multi.sort_tags {
        sort_tags(line);
    }
    Ok(())
}

fn slot_name(plan: &Plan, slot: usize) -> String {
    let label = match plan.format {
        lpconvert_schema::Format::Csv => "column",
        lpconvert_schema::Format::Ndjson => "path",
    };
    let name = plan.slot_names.get(slot).map_or("?", |s| s.as_str());
    format!("{label} {}", printable(name.as_bytes()))
}

/// Sorts the line plan's tags by key, keeping track of where each compiled tag went.
pub(crate) fn sort_tags(line: &mut LinePlan) {
    let mut pairs: Vec<_> = line
        .plan
        .tags
        .drain(..)
        .zip(line.tag_base.drain(..))
        .collect();
    pairs.sort_by(|a, b| a.0.name.as_bytes().cmp(b.0.name.as_bytes()));
    for (pos, (t, base)) in pairs.into_iter().enumerate() {
        line.plan.tags.push(t);
        line.tag_base.push(base);
        if let Some(base) = base {
            line.tag_pos[base] = pos;
        }
    }
}

/// The tuning for a plan: one that writes several lines per record (a wide table unpivoted
/// writes ~10 bytes out per byte in) converts chunks of an eighth of the size, so that the
/// outputs in flight stay within the memory budget. Output is the same for any chunk size.
pub(crate) fn tuning_for(plan: &Plan, tuning: Tuning) -> Tuning {
    if plan.multi.is_none() {
        return tuning;
    }
    let c = tuning.chunk_size;
    Tuning {
        chunk_size: c.div_ceil(8).max(c.min(64 * 1024)),
        ..tuning
    }
}
