//! NDJSON pattern keys (`"*" = { path = "/values/*" }`): the members of an object written as
//! tags or fields of the current line, right after the pattern's own (never written) entry.
//! Each member's value is read into its own slot past the plan's.

use super::{json_error, scalar_kind, JsonIterations, Walk};
use crate::json_scan::{elements, Found, JsonError, Slot, DUPLICATE_KEY};
use crate::mapper::RowError;
use crate::multi::TIME_KEY;
use lpconvert_lp::printable;
use lpconvert_schema::multi::{Spread, Target};
use lpconvert_schema::spec::glob_match;
use lpconvert_schema::{FieldPlan, Input, TagPlan};
use std::collections::HashSet;

/// `,key=` and the same followed by 32 zero bytes.
fn prefixes(name: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut prefix = b",".to_vec();
    lpconvert_lp::write_key(&mut prefix, name);
    prefix.push(b'=');
    let mut padded = prefix.clone();
    padded.resize(prefix.len() + 32, 0);
    (prefix, padded)
}

impl JsonIterations {
    /// Rebuilds the line plan's tags and fields with the members of every spread object.
    pub(super) fn spread(&mut self, w: &mut Walk<'_>) -> Result<(), RowError> {
        let line = &mut *w.line;
        // Explicit entries win, wherever declared; then the first pattern.
        let mut used: HashSet<Vec<u8>> = line
            .plan
            .tags
            .iter()
            .zip(&line.tag_base)
            .filter(|(_, b)| b.is_some())
            .map(|(t, _)| t.name.as_bytes().to_vec())
            .chain(
                line.plan
                    .fields
                    .iter()
                    .zip(&line.field_base)
                    .filter(|(_, b)| b.is_some())
                    .map(|(f, _)| f.name.as_bytes().to_vec()),
            )
            .collect();
        let mut next = self.slots + 1;
        let tags = std::mem::take(&mut line.plan.tags);
        let bases = std::mem::take(&mut line.tag_base);
        let mut spread_tags = false;
        for (t, b) in tags.into_iter().zip(bases) {
            // Entries spread for the previous line are dropped.
            let Some(b) = b else { continue };
            let template = t.clone();
            w.line.plan.tags.push(t);
            w.line.tag_base.push(Some(b));
            for sp in w
                .multi
                .spreads
                .iter()
                .filter(|sp| sp.target == Target::Tag(b))
            {
                for (name, slot) in self.members(sp, w, &mut next, &mut used)? {
                    let (prefix, prefix_padded) = prefixes(name.as_bytes());
                    w.line.plan.tags.push(TagPlan {
                        name,
                        prefix,
                        prefix_padded,
                        input: Input::Slot(slot),
                        ..template.clone()
                    });
                    w.line.tag_base.push(None);
                    spread_tags = true;
                }
            }
        }
        let line = &mut *w.line;
        if spread_tags && w.multi.sort_tags {
            crate::multi::sort_tags(line);
        }
        for (pos, b) in line.tag_base.iter().enumerate() {
            if let Some(b) = b {
                line.tag_pos[*b] = pos;
            }
        }
        let fields = std::mem::take(&mut line.plan.fields);
        let bases = std::mem::take(&mut line.field_base);
        for (f, b) in fields.into_iter().zip(bases) {
            let Some(b) = b else { continue };
            let template = f.clone();
            w.line.plan.fields.push(f);
            w.line.field_base.push(Some(b));
            for sp in w
                .multi
                .spreads
                .iter()
                .filter(|sp| sp.target == Target::Field(b))
            {
                for (name, slot) in self.members(sp, w, &mut next, &mut used)? {
                    let (prefix, prefix_padded) = prefixes(name.as_bytes());
                    w.line.plan.fields.push(FieldPlan {
                        name,
                        prefix,
                        prefix_padded,
                        input: Input::Slot(slot),
                        ..template.clone()
                    });
                    w.line.field_base.push(None);
                }
            }
        }
        let line = &mut *w.line;
        for (pos, b) in line.field_base.iter().enumerate() {
            if let Some(b) = b {
                line.field_pos[*b] = pos;
            }
        }
        Ok(())
    }

    /// The members of `sp`'s object that become entries: their names and the slots their
    /// values were read into (from `*next` on). Names taken are added to `used`.
    fn members(
        &mut self,
        sp: &Spread,
        w: &mut Walk<'_>,
        next: &mut usize,
        used: &mut HashSet<Vec<u8>>,
    ) -> Result<Vec<(String, usize)>, RowError> {
        let c = &w.slots[sp.container];
        let container_name = w
            .line
            .plan
            .slot_names
            .get(sp.container)
            .cloned()
            .unwrap_or_default();
        match &c.found {
            Found::Missing | Found::Null => return Ok(Vec::new()),
            Found::Composite(_) => {}
            other => {
                return Err(RowError {
                    column: c.offset + 1,
                    message: format!(
                        "(path {}): found {} where pattern `{}` expects an object",
                        printable(container_name.as_bytes()),
                        scalar_kind(other),
                        printable(sp.glob.as_bytes())
                    ),
                })
            }
        }
        let at = c.offset;
        self.members.clear();
        elements(w.row, at, &mut self.members, &mut self.names).map_err(json_error)?;
        let probe = self.slots;
        let mut out = Vec::new();
        // The members this pattern takes: one seen twice is a duplicate key of the object.
        let mut taken: HashSet<&[u8]> = HashSet::new();
        for m in 0..self.members.len() {
            let e = self.members[m];
            let name = &self.names[e.name()];
            let text = String::from_utf8_lossy(name).into_owned();
            if !glob_match(&sp.glob, &text) || sp.exclude.iter().any(|x| x.as_slice() == name) {
                continue;
            }
            if taken.contains(name) {
                return Err(json_error(JsonError {
                    offset: e.key,
                    message: DUPLICATE_KEY,
                }));
            }
            if used.contains(name) {
                continue;
            }
            let bad = match lpconvert_lp::escape::check_name(name) {
                Err(err) => Some(err.to_string()),
                Ok(()) if name == b"time" => Some(format!("{TIME_KEY}: add it to `exclude`")),
                Ok(()) => None,
            };
            if let Some(why) = bad {
                return Err(RowError {
                    column: e.key + 1,
                    message: format!(
                        "key {:?} (pattern `{}`) {why}",
                        text,
                        printable(sp.glob.as_bytes())
                    ),
                });
            }
            taken.insert(name);
            if w.slots.len() <= *next {
                w.slots.resize(*next + 1, Slot::default());
            }
            w.scanner
                .scan_element(w.row, e.start, &self.probe, w.slots, &[probe])
                .map_err(json_error)?;
            w.slots[*next] = w.slots[probe].clone();
            let names = &mut w.line.plan.slot_names;
            if names.len() <= *next {
                names.resize(*next + 1, String::new());
            }
            names[*next] = format!("{container_name}/{text}");
            out.push((text, *next));
            *next += 1;
        }
        used.extend(taken.into_iter().map(<[u8]>::to_vec));
        Ok(out)
    }
}
