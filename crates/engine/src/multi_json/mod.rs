//! Several lines from one NDJSON record: `*` paths iterate the elements of arrays and the
//! members of objects. The row is scanned once for the values outside any iteration and the
//! span of each outermost iterated container; each element is then scanned with the pointer
//! tree of its iteration (no DOM), nested iterations inside their parent's element, and the
//! combinations are mapped through the line plan (`multi.rs`).

use crate::chunk_ndjson::JsonCells;
use crate::json_scan::{
    repeated_name, Cursor, Element, Found, JsonError, PointerTree, Scanner, Slot, DUPLICATE_KEY,
};
use crate::mapper::{RowError, Scratch};
use crate::multi::{data_keys, emit, rebind, LinePlan};

mod spread;
use lpconvert_lp::printable;
use lpconvert_schema::plan::parse_pointer;
use lpconvert_schema::{MultiPlan, Plan};

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
    /// A buffer for finding a member name an iterated object repeats.
    order: Vec<usize>,
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
            order: Vec::new(),
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
                let e = &lists[it][at[it]];
                (None, &names[e.name()], e.key + 1)
            });
            w.line.at = at;
            let cells = JsonCells {
                slots: w.slots,
                row: w.row,
                scratch: &w.scanner.scratch,
            };
            let r = emit(w.line, &cells, w.out, w.scratch);
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
        let names_mark = self.names.len();
        let (mut cursor, mut next) = Cursor::open(w.row, c.offset).map_err(json_error)?;
        self.lists[k].clear();
        let mut lines = 0;
        // Each element is scanned once, its end giving where the next one starts.
        while let Some(p) = next {
            let e = cursor
                .entry(w.row, p, &mut self.names)
                .map_err(json_error)?;
            w.line.at[k] = self.lists[k].len();
            self.lists[k].push(e);
            let mark = w.scanner.scratch.len();
            let it = &self.iters[k];
            let end = w
                .scanner
                .scan_element(w.row, e.start, &it.tree, w.slots, &it.reset)
                .map_err(json_error)?;
            lines += self.walk(k + 1, w)?;
            w.scanner.scratch.truncate(mark);
            next = cursor.after(w.row, end).map_err(json_error)?;
        }
        // `{"a":1,"a":2}`: JSON does not say whether both members count (as with a key
        // a pointer reads, the record is refused).
        if cursor.is_object() {
            if let Some(at) = repeated_name(&self.lists[k], &self.names, &mut self.order) {
                return Err(json_error(JsonError {
                    offset: at,
                    message: DUPLICATE_KEY,
                }));
            }
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
