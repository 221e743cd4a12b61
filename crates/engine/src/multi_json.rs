//! Several lines from one NDJSON record: `*` paths iterate the elements of arrays and the
//! members of objects. The row is scanned once for the values outside any iteration and the
//! span of each outermost iterated container; each element is then scanned with the pointer
//! tree of its iteration (no DOM), nested iterations inside their parent's element, and the
//! combinations are mapped through the line plan (`multi.rs`).

use crate::chunk_ndjson::JsonCells;
use crate::json_scan::{
    elements, Element, Found, JsonError, PointerTree, Scanner, Slot, DUPLICATE_KEY,
};
use crate::mapper::{RowError, Scratch};
use crate::multi::{data_keys, emit, rebind, LinePlan};
use lpconvert_lp::printable;
use lpconvert_schema::multi::Target;
use lpconvert_schema::plan::parse_pointer;
use lpconvert_schema::spec::glob_match;
use lpconvert_schema::{FieldPlan, Input, MultiPlan, Plan};

/// One iteration's scanning state.
#[derive(Debug)]
struct IterScan {
    /// The slot that holds the iterated container (filled by the parent's scan).
    container: usize,
    /// The pointers read inside one element, relative to it.
    tree: PointerTree,
    /// The slots `tree` fills, emptied before each element.
    reset: Vec<usize>,
}

/// The pointer trees of a plan with `*` paths, and the per-record element lists.
#[derive(Debug)]
pub struct JsonIterations {
    /// The tree of the record itself: pointers outside any iteration and the containers of
    /// the outermost iterations.
    pub root: PointerTree,
    /// Slots in all: the plan's pointers, then one container per iteration.
    pub slots: usize,
    iters: Vec<IterScan>,
    lists: Vec<Vec<Element>>,
    names: Vec<u8>,
    /// Reads one member's value into slot `slots` (the probe).
    probe: PointerTree,
    /// The members of a spread object.
    members: Vec<Element>,
}

impl JsonIterations {
    /// The trees for `plan`, whose iterations are `multi`'s.
    pub fn new(plan: &Plan, multi: &MultiPlan) -> JsonIterations {
        let n = plan.pointers.len();
        let tokens: Vec<Vec<String>> = multi
            .iterations
            .iter()
            .map(|it| parse_pointer(&it.source).unwrap_or_default())
            .collect();
        // Tree 0 is the record's, tree k + 1 iteration k's: (relative pointer, slot).
        let mut trees: Vec<Vec<(Vec<String>, usize)>> = vec![Vec::new(); tokens.len() + 1];
        for (k, it) in multi.iterations.iter().enumerate() {
            let (tree, skip) = match it.parent {
                Some(p) => (p + 1, tokens[p].len()),
                None => (0, 0),
            };
            let t = &tokens[k];
            let end = t.len().saturating_sub(1).max(skip);
            trees[tree].push((t[skip..end].to_vec(), n + k));
        }
        for (i, p) in plan.pointers.iter().enumerate() {
            let inner = p.iter().rposition(|t| t == "*").and_then(|star| {
                let k = tokens.iter().position(|t| t.as_slice() == &p[..=star])?;
                Some((k, star))
            });
            match inner {
                Some((k, star)) => trees[k + 1].push((p[star + 1..].to_vec(), i)),
                None => trees[0].push((p.clone(), i)),
            }
        }
        let build = |l: &[(Vec<String>, usize)]| {
            PointerTree::with_slots(l.iter().map(|(t, s)| (t.as_slice(), *s)))
        };
        let iters = (0..tokens.len())
            .map(|k| IterScan {
                container: n + k,
                tree: build(&trees[k + 1]),
                reset: trees[k + 1].iter().map(|(_, s)| *s).collect(),
            })
            .collect();
        JsonIterations {
            root: build(&trees[0]),
            slots: n + tokens.len(),
            iters,
            lists: vec![Vec::new(); tokens.len()],
            names: Vec::new(),
            probe: PointerTree::with_slots([(&[][..], n + tokens.len())]),
            members: Vec::new(),
        }
    }

    /// Maps the record `row`, already scanned with [`JsonIterations::root`] into `slots`:
    /// the number of lines appended to `out` (0: skipped). On error `out` is left as it was.
    #[allow(clippy::too_many_arguments)]
    pub fn map_record(
        &mut self,
        multi: &MultiPlan,
        line: &mut LinePlan,
        scanner: &mut Scanner,
        slots: &mut Vec<Slot>,
        row: &[u8],
        out: &mut Vec<u8>,
        scratch: &mut Scratch,
    ) -> Result<u64, RowError> {
        let start = out.len();
        let mut w = Walk {
            multi,
            line,
            scanner,
            slots,
            row,
            out,
            scratch,
        };
        if !multi.data_keys.is_empty() {
            let cells = JsonCells {
                slots: w.slots,
                row,
                scratch: &w.scanner.scratch,
            };
            data_keys(multi, w.line, &cells)?;
        }
        w.line.at.clear();
        w.line.at.resize(self.iters.len(), 0);
        self.names.clear();
        let r = self.walk(0, &mut w);
        if r.is_err() {
            w.out.truncate(start);
        }
        r
    }

    /// The lines of every combination of iterations `k..`, the outer ones fixed.
    fn walk(&mut self, k: usize, w: &mut Walk<'_>) -> Result<u64, RowError> {
        if k == self.iters.len() {
            let mark = self.names.len();
            if !w.multi.spreads.is_empty() {
                self.spread(w)?;
            }
            let (names, lists) = (&self.names, &self.lists);
            let at = std::mem::take(&mut w.line.at);
            rebind(w.multi, w.line, |it| {
                (None, &names[lists[it][at[it]].name()])
            });
            w.line.at = at;
            let cells = JsonCells {
                slots: w.slots,
                row: w.row,
                scratch: &w.scanner.scratch,
            };
            let r = emit(w.multi, w.line, &cells, w.out, w.scratch);
            self.names.truncate(mark);
            return r;
        }
        let c = &w.slots[self.iters[k].container];
        match &c.found {
            Found::Missing | Found::Null => return Ok(0),
            Found::Composite(_) => {}
            other => {
                return Err(RowError {
                    column: c.offset + 1,
                    message: format!(
                        "(path {}): found {} where `*` expects an array or object",
                        printable(w.multi.iterations[k].source.as_bytes()),
                        scalar_kind(other)
                    ),
                })
            }
        }
        let at = c.offset;
        let names_mark = self.names.len();
        let mut list = std::mem::take(&mut self.lists[k]);
        list.clear();
        let found = elements(w.row, at, &mut list, &mut self.names);
        self.lists[k] = list;
        found.map_err(json_error)?;
        let mut lines = 0;
        for e in 0..self.lists[k].len() {
            w.line.at[k] = e;
            let mark = w.scanner.scratch.len();
            let it = &self.iters[k];
            w.scanner
                .scan_element(w.row, self.lists[k][e].start, &it.tree, w.slots, &it.reset)
                .map_err(json_error)?;
            lines += self.walk(k + 1, w)?;
            w.scanner.scratch.truncate(mark);
        }
        self.names.truncate(names_mark);
        Ok(lines)
    }
}

/// What a record walk works on.
struct Walk<'a> {
    multi: &'a MultiPlan,
    line: &'a mut LinePlan,
    scanner: &'a mut Scanner,
    slots: &'a mut Vec<Slot>,
    row: &'a [u8],
    out: &'a mut Vec<u8>,
    scratch: &'a mut Scratch,
}

fn scalar_kind(f: &Found) -> &'static str {
    match f {
        Found::Bool(_) => "a boolean",
        Found::Number(_) => "a number",
        Found::Str(_) | Found::Decoded(_) => "a string",
        Found::Composite(what) => what,
        Found::Missing | Found::Null => "nothing",
    }
}

#[cold]
fn json_error(e: JsonError) -> RowError {
    RowError {
        column: e.offset + 1,
        message: if e.message == DUPLICATE_KEY {
            e.message.to_owned()
        } else {
            format!("invalid JSON: {}", e.message)
        },
    }
}

impl JsonIterations {
    /// Writes the members of each spread object (NDJSON pattern keys) as fields right
    /// after their pattern's entry, each reading its own slot past the plan's.
    fn spread(&mut self, w: &mut Walk<'_>) -> Result<(), RowError> {
        let line = &mut *w.line;
        let fields = std::mem::take(&mut line.plan.fields);
        let bases = std::mem::take(&mut line.field_base);
        let probe = self.slots;
        let mut next = probe + 1;
        // Explicit entries win, wherever declared.
        let explicit: Vec<String> = fields
            .iter()
            .zip(&bases)
            .filter(|(_, b)| b.is_some())
            .map(|(f, _)| f.name.clone())
            .collect();
        for (f, b) in fields.into_iter().zip(bases) {
            // Fields spread for the previous line are dropped.
            let Some(b) = b else { continue };
            line.plan.fields.push(f);
            line.field_base.push(Some(b));
            let pattern = line.plan.fields.len() - 1;
            for sp in w
                .multi
                .spreads
                .iter()
                .filter(|sp| sp.target == Target::Field(b))
            {
                let c = &w.slots[sp.container];
                match &c.found {
                    Found::Missing | Found::Null => continue,
                    Found::Composite(_) => {}
                    other => {
                        return Err(RowError {
                            column: c.offset + 1,
                            message: format!(
                                "(path {}): found {} where pattern `{}` expects an object",
                                printable(
                                    line.plan
                                        .slot_names
                                        .get(sp.container)
                                        .map_or(b"?", |s| s.as_bytes())
                                ),
                                scalar_kind(other),
                                printable(sp.glob.as_bytes())
                            ),
                        })
                    }
                }
                self.members.clear();
                elements(w.row, c.offset, &mut self.members, &mut self.names)
                    .map_err(json_error)?;
                for m in 0..self.members.len() {
                    let e = self.members[m];
                    let name = &self.names[e.name()];
                    let taken = |n: &str| n.as_bytes() == name;
                    if !glob_match(&sp.glob, &String::from_utf8_lossy(name))
                        || sp.exclude.iter().any(|x| x.as_slice() == name)
                        || line.plan.tags.iter().any(|t| taken(&t.name))
                        || line.plan.fields.iter().any(|f| taken(&f.name))
                        || explicit.iter().any(|n| taken(n))
                    {
                        continue;
                    }
                    lpconvert_lp::escape::check_name(name).map_err(|err| RowError {
                        column: e.start + 1,
                        message: format!(
                            "field key {:?} (pattern `{}`) {err}",
                            String::from_utf8_lossy(name),
                            printable(sp.glob.as_bytes())
                        ),
                    })?;
                    if w.slots.len() <= next {
                        w.slots.resize(next + 1, Slot::default());
                    }
                    w.scanner
                        .scan_element(w.row, e.start, &self.probe, w.slots, &[probe])
                        .map_err(json_error)?;
                    w.slots[next] = w.slots[probe].clone();
                    let template = line.plan.fields[pattern].clone();
                    let key = String::from_utf8_lossy(name).into_owned();
                    let mut prefix = b",".to_vec();
                    lpconvert_lp::write_key(&mut prefix, name);
                    prefix.push(b'=');
                    let mut padded = prefix.clone();
                    padded.resize(prefix.len() + 32, 0);
                    if line.plan.slot_names.len() <= next {
                        line.plan.slot_names.resize(next + 1, String::new());
                    }
                    line.plan.slot_names[next] =
                        format!("{}/{key}", line.plan.slot_names[sp.container]);
                    line.plan.fields.push(FieldPlan {
                        name: key,
                        prefix,
                        prefix_padded: padded,
                        input: Input::Slot(next),
                        ..template
                    });
                    line.field_base.push(None);
                    next += 1;
                }
            }
        }
        for (pos, b) in line.field_base.iter().enumerate() {
            if let Some(b) = b {
                line.field_pos[*b] = pos;
            }
        }
        Ok(())
    }
}
