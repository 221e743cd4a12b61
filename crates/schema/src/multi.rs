//! What a plan needs beyond one line per record (SCHEMA.md "Several lines from one record",
//! "Keys from the data"): the iterations, which parts of the line each one rebinds, and the
//! keys read from the data. A plan without any of these has no [`MultiPlan`] and maps as
//! before.

use crate::spec::{
    glob_match, is_glob, FieldSpec, FieldType, Format, KeyKind, Schema, Source, TagSpec,
};
use crate::SchemaError;
use lpconvert_lp::printable;

/// One match of an iteration.
#[derive(Debug, Clone)]
pub struct Match {
    /// The slot holding the match's value (CSV: the column index).
    pub slot: usize,
    /// The match's name: the column name (what `key_of` reads).
    pub name: Vec<u8>,
}

/// One iteration: a column glob (CSV).
#[derive(Debug, Clone)]
pub struct Iteration {
    /// The iterating source as written (`"s*"`).
    pub source: String,
    /// CSV: the matches, in header order (NDJSON: empty, the matches are found per record).
    pub matches: Vec<Match>,
    /// NDJSON: the iteration this one is nested in (`/s/*` for `/s/*/r/*`).
    pub parent: Option<usize>,
}

/// The part of a line an iteration rebinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The measurement.
    Measurement,
    /// The timestamp.
    Timestamp,
    /// A tag, by its position in [`crate::Plan::tags`].
    Tag(usize),
    /// A field, by its position in [`crate::Plan::fields`].
    Field(usize),
}

/// What of the current match a target reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// The match's value.
    Value,
    /// The match's name (`key_of`).
    KeyOf,
}

/// A target bound to an iteration.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// What is rebound.
    pub target: Target,
    /// Index in [`MultiPlan::iterations`].
    pub iteration: usize,
    /// Value or name.
    pub what: Use,
}

/// A key read from the data (`"{column}"` / `"{/pointer}"`).
#[derive(Debug, Clone)]
pub struct DataKey {
    /// The tag or field whose key it is.
    pub target: Target,
    /// The slot the key is read from.
    pub slot: usize,
    /// Field type per key (`types`).
    pub types: Vec<(Vec<u8>, FieldType)>,
    /// The type of the other keys (the entry's `type`).
    pub ftype: FieldType,
}

/// An NDJSON pattern key (`"*" = { path = "/values/*" }`): one entry per member of an
/// object, named like it, in place of the pattern's entry.
#[derive(Debug, Clone)]
pub struct Spread {
    /// The pattern's entry.
    pub target: Target,
    /// The slot holding the object (or array) whose members are spread.
    pub container: usize,
    /// The pattern key: members whose names it matches.
    pub glob: String,
    /// Names left out: the `exclude` list and the members other entries read.
    pub exclude: Vec<Vec<u8>>,
}

/// The iterations and data keys of a plan.
#[derive(Debug, Clone, Default)]
pub struct MultiPlan {
    /// Iterations, outermost first.
    pub iterations: Vec<Iteration>,
    /// What each iteration rebinds.
    pub bindings: Vec<Binding>,
    /// Keys read per record.
    pub data_keys: Vec<DataKey>,
    /// NDJSON pattern keys: one entry per member, in the same line.
    pub spreads: Vec<Spread>,
    /// Tags are written sorted by key (a data key may move its tag).
    pub sort_tags: bool,
}

/// The iterations of a schema for one input, registered in the order their sources first
/// appear (measurement, timestamp, tags, fields as declared).
pub(crate) struct Iterations {
    pub(crate) list: Vec<Iteration>,
}

fn key_err(key: &str, message: String) -> SchemaError {
    SchemaError::Key {
        key: key.to_string(),
        message,
    }
}

impl Iterations {
    /// Finds every iteration of `schema` (already pattern-expanded) against `header`.
    pub(crate) fn find(
        schema: &Schema,
        format: Format,
        header: &[String],
        input_name: &str,
    ) -> Result<Iterations, SchemaError> {
        let mut it = Iterations { list: Vec::new() };
        let pattern = |k: &KeyKind| matches!(k, KeyKind::Pattern { .. });
        let mut sources: Vec<(String, &Source, bool)> =
            vec![("measurement".into(), &schema.measurement, false)];
        if let Some(ts) = &schema.timestamp {
            sources.push(("timestamp".into(), &ts.source, false));
        }
        for t in &schema.tags {
            sources.push((format!("tags.{}", t.key), &t.source, pattern(&t.key_kind)));
        }
        for f in &schema.fields {
            sources.push((format!("fields.{}", f.key), &f.source, pattern(&f.key_kind)));
        }
        for (key, source, is_pattern) in sources {
            let glob = match source {
                Source::Column(c) if is_glob(c) => c,
                Source::KeyOf(k) if !k.starts_with('/') => k,
                Source::KeyOf(p) | Source::Path(p) => {
                    if format == Format::Ndjson {
                        // A pattern's last `*` spreads; only the ones before it iterate.
                        let path = match is_pattern {
                            true => p.strip_suffix("/*").unwrap_or(p),
                            false => p,
                        };
                        it.paths(&key, path)?;
                    }
                    // With CSV, `path` is refused where it is resolved.
                    continue;
                }
                _ => continue,
            };
            if format != Format::Csv {
                return Err(key_err(
                    &key,
                    format!("`{glob}` is a column glob, for CSV input; with NDJSON iterate with a `*` path, e.g. path = \"/readings/*/v\""),
                ));
            }
            if it.index(glob).is_some() {
                continue;
            }
            let matches: Vec<Match> = header
                .iter()
                .enumerate()
                .filter(|(_, h)| glob_match(glob, h))
                .map(|(slot, h)| Match {
                    slot,
                    name: h.as_bytes().to_vec(),
                })
                .collect();
            if matches.is_empty() {
                return Err(key_err(
                    &key,
                    format!(
                        "column glob `{}` matches no column of the header of {input_name} (its columns: {}): fix the glob or the [csv] columns list",
                        printable(glob.as_bytes()),
                        header.iter().map(|h| printable(h.as_bytes()).into_owned()).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            it.list.push(Iteration {
                source: glob.clone(),
                matches,
                parent: None,
            });
        }
        Ok(it)
    }

    /// Registers the iterations of a `*` path, each nested in the one before.
    fn paths(&mut self, key: &str, path: &str) -> Result<(), SchemaError> {
        let mut parent = None;
        for prefix in crate::spec::iteration_prefixes(path) {
            crate::plan::parse_pointer(&prefix).map_err(|m| key_err(key, m))?;
            let i = match self.index(&prefix) {
                Some(i) => i,
                None => {
                    self.list.push(Iteration {
                        source: prefix,
                        matches: Vec::new(),
                        parent,
                    });
                    self.list.len() - 1
                }
            };
            parent = Some(i);
        }
        Ok(())
    }

    /// The index of the iteration performed by `source`.
    pub(crate) fn index(&self, source: &str) -> Option<usize> {
        self.list.iter().position(|i| i.source == source)
    }
}

/// The columns of `header` that an entry of `schema` other than a pattern reads.
fn read_elsewhere(schema: &Schema, header: &[String]) -> Vec<bool> {
    let mut read = vec![false; header.len()];
    let mut mark = |s: &Source| {
        let names: Vec<String> = match s {
            Source::Column(c) => vec![c.clone()],
            Source::Columns(cs) => cs.clone(),
            Source::KeyOf(k) => vec![k.clone()],
            Source::Template(t) => crate::rule::template_refs(t),
            _ => Vec::new(),
        };
        for n in &names {
            for (i, h) in header.iter().enumerate() {
                if h == n || (is_glob(n) && glob_match(n, h)) {
                    read[i] = true;
                }
            }
        }
    };
    mark(&schema.measurement);
    if let Some(ts) = &schema.timestamp {
        mark(&ts.source);
    }
    let kinds = schema
        .tags
        .iter()
        .map(|t| (&t.source, &t.key_kind))
        .chain(schema.fields.iter().map(|f| (&f.source, &f.key_kind)));
    for (source, kind) in kinds {
        match kind {
            KeyKind::Pattern { .. } => {}
            KeyKind::FromData { source: key, .. } => {
                mark(key);
                mark(source);
            }
            KeyKind::Fixed => mark(source),
        }
    }
    read
}

/// Replaces the pattern keys of a CSV schema by one entry per matched column, at the
/// pattern's place, in header order. Explicit entries win; the first pattern that matches a
/// column takes it (tags before fields).
pub(crate) fn expand_patterns(
    schema: &Schema,
    header: &[String],
    input_name: &str,
) -> Result<Schema, SchemaError> {
    let mut taken = read_elsewhere(schema, header);
    let explicit: Vec<&str> = schema
        .tags
        .iter()
        .map(|t| (&t.key, &t.key_kind))
        .chain(schema.fields.iter().map(|f| (&f.key, &f.key_kind)))
        .filter(|(_, k)| **k == KeyKind::Fixed)
        .map(|(key, _)| key.as_str())
        .collect();
    // The columns a pattern takes, marking them taken.
    let mut claim = |key: &str,
                     path: &str,
                     exclude: &[String]|
     -> Result<Vec<String>, SchemaError> {
        if !header.iter().any(|h| glob_match(key, h)) {
            return Err(key_err(path, format!(
                "pattern `{}` matches no column of the header of {input_name}: fix the pattern or remove the entry",
                printable(key.as_bytes())
            )));
        }
        let mut out = Vec::new();
        for (i, h) in header.iter().enumerate() {
            if taken[i]
                || !glob_match(key, h)
                || exclude.contains(h)
                || explicit.contains(&h.as_str())
            {
                continue;
            }
            lpconvert_lp::escape::check_name(h.as_bytes()).map_err(|e| {
                key_err(
                    path,
                    format!(
                        "matches column `{}`, whose name {e}: add it to `exclude`",
                        printable(h.as_bytes())
                    ),
                )
            })?;
            if h == "time" {
                return Err(key_err(path, "matches column `time`, a key InfluxDB 1.x refuses: add it to `exclude` (or read it as the timestamp)".into()));
            }
            taken[i] = true;
            out.push(h.clone());
        }
        Ok(out)
    };
    let mut tags = Vec::new();
    for t in &schema.tags {
        let KeyKind::Pattern { exclude } = &t.key_kind else {
            tags.push(t.clone());
            continue;
        };
        for name in claim(&t.key, &format!("tags.{}", t.key), exclude)? {
            tags.push(TagSpec {
                key: name.clone(),
                source: Source::Column(name),
                key_kind: KeyKind::Fixed,
                ..t.clone()
            });
        }
    }
    let mut fields = Vec::new();
    for f in &schema.fields {
        let KeyKind::Pattern { exclude } = &f.key_kind else {
            fields.push(f.clone());
            continue;
        };
        if let Source::Path(_) = f.source {
            return Err(key_err(&format!("fields.{}", f.key), "reads `path`, which is for NDJSON input: a CSV pattern key reads the columns its name matches".into()));
        }
        for name in claim(&f.key, &format!("fields.{}", f.key), exclude)? {
            fields.push(FieldSpec {
                key: name.clone(),
                source: Source::Column(name),
                key_kind: KeyKind::Fixed,
                ..f.clone()
            });
        }
    }
    Ok(Schema {
        tags,
        fields,
        ..schema.clone()
    })
}

/// NDJSON pattern keys must name the object whose members they write.
pub(crate) fn check_json_patterns(schema: &Schema) -> Result<(), SchemaError> {
    let entries = schema
        .tags
        .iter()
        .map(|t| (format!("tags.{}", t.key), &t.key_kind, &t.source))
        .chain(
            schema
                .fields
                .iter()
                .map(|f| (format!("fields.{}", f.key), &f.key_kind, &f.source)),
        );
    for (key, kind, source) in entries {
        if matches!(kind, KeyKind::Pattern { .. }) && !matches!(source, Source::Path(_)) {
            return Err(key_err(&key, "is a pattern key: with NDJSON give the object whose members it writes, e.g. { path = \"/values/*\" } (\"/*\" for the top-level members)".into()));
        }
    }
    Ok(())
}

/// True when `schema` has a pattern key.
pub(crate) fn has_patterns(schema: &Schema) -> bool {
    schema
        .tags
        .iter()
        .map(|t| &t.key_kind)
        .chain(schema.fields.iter().map(|f| &f.key_kind))
        .any(|k| matches!(k, KeyKind::Pattern { .. }))
}
