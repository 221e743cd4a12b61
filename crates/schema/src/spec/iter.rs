//! Iterations and keys from the data (SCHEMA.md "Several lines from one record", "Keys from
//! the data"): reading the new key forms and checking that `*` sources, patterns and
//! `key_of` agree with each other.

use super::raw::{err, source_of, RawSource};
use super::*;

/// True when `s` is a column glob (holds a `*`).
pub fn is_glob(s: &str) -> bool {
    s.contains('*')
}

/// Matches `name` against `pattern`, where `*` stands for any run of bytes (nothing else is
/// special).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut ni) = (0, 0);
    // Where the last `*` was and the name position it was tried against.
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ni));
            pi += 1;
        } else if pi < p.len() && p[pi] == n[ni] {
            pi += 1;
            ni += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

/// True when `schema` iterates (a column glob, a `*` path segment other than a pattern key's
/// own last one, or `key_of`): a record may then write several lines, or none for want of
/// matches.
pub fn iterates(schema: &Schema) -> bool {
    let iterating = |source: &Source, pattern: bool| match source {
        // A CSV pattern key's columns become entries of the one line.
        Source::Column(c) => !pattern && is_glob(c),
        Source::KeyOf(_) => true,
        Source::Path(p) => {
            let p = if pattern {
                p.strip_suffix("/*").unwrap_or(p)
            } else {
                p
            };
            !iteration_prefixes(p).is_empty()
        }
        _ => false,
    };
    let pattern = |k: &KeyKind| matches!(k, KeyKind::Pattern { .. });
    iterating(&schema.measurement, false)
        || schema
            .timestamp
            .as_ref()
            .is_some_and(|t| iterating(&t.source, false))
        || schema
            .tags
            .iter()
            .any(|t| iterating(&t.source, pattern(&t.key_kind)))
        || schema
            .fields
            .iter()
            .any(|f| iterating(&f.source, pattern(&f.key_kind)))
}

/// The iterations a path performs: each prefix up to and including a `*` segment
/// (`/s/*/r/*/v` gives `/s/*` and `/s/*/r/*`).
pub fn iteration_prefixes(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    for seg in path.split('/') {
        let end = at + seg.len();
        if seg == "*" {
            out.push(path[..end].to_string());
        }
        at = end + 1;
    }
    out
}

/// The kind of an entry's key: `"{...}"` reads it from the data, a `*` makes it a pattern.
pub(super) fn key_kind(
    path: &str,
    key: &str,
    rs: Option<&RawSource>,
) -> Result<KeyKind, SchemaError> {
    let exclude = rs.and_then(|r| r.exclude.clone());
    let types = rs.and_then(|r| r.types.clone());
    if let Some(inner) = key.strip_prefix('{').and_then(|k| k.strip_suffix('}')) {
        if inner.is_empty() || inner.contains(['{', '}']) {
            return Err(err(path, "must name one column, \"{column}\", or one JSON Pointer, \"{/a/b}\", to read the key from"));
        }
        if is_glob(inner) {
            return Err(err(path, format!("reads its key from `{inner}`, which holds a `*`: a key read from the data names one value; name one column or a path without `*`, or use a pattern key")));
        }
        if exclude.is_some() {
            return Err(err(
                path,
                "`exclude` applies to pattern keys (a key with `*`)",
            ));
        }
        let source = if inner.starts_with('/') {
            Source::Path(inner.to_string())
        } else {
            Source::Column(inner.to_string())
        };
        let mut parsed = Vec::new();
        for (k, v) in types.unwrap_or_default() {
            let t = v.as_str().and_then(FieldType::parse).ok_or_else(|| {
                err(
                    &format!("{path}.types.{k}"),
                    "must be \"float\", \"integer\", \"unsigned\", \"boolean\" or \"string\"",
                )
            })?;
            parsed.push((k, t));
        }
        return Ok(KeyKind::FromData {
            source,
            types: parsed,
        });
    }
    if types.is_some() {
        return Err(err(
            path,
            "`types` applies to keys read from the data (\"{column}\" or \"{/pointer}\")",
        ));
    }
    if is_glob(key) {
        return Ok(KeyKind::Pattern {
            exclude: exclude.unwrap_or_default(),
        });
    }
    if exclude.is_some() {
        return Err(err(
            path,
            "`exclude` applies to pattern keys (a key with `*`)",
        ));
    }
    Ok(KeyKind::Fixed)
}

/// The value source of an entry written as a table, given its key kind.
pub(super) fn entry_source(
    path: &str,
    key: &str,
    kind: &KeyKind,
    rs: &RawSource,
) -> Result<Source, SchemaError> {
    let given = source_of(path, rs)?;
    match kind {
        KeyKind::Fixed => Ok(given.unwrap_or_else(|| Source::Column(key.to_string()))),
        KeyKind::Pattern { .. } => match given {
            None => Ok(Source::Column(key.to_string())),
            Some(Source::Path(p)) if p.ends_with("/*") => Ok(Source::Path(p)),
            Some(Source::Path(p)) => Err(err(
                &format!("{path}.path"),
                format!("`{p}` must end in `/*`: a pattern writes one entry per member of the object it names, e.g. \"/values/*\""),
            )),
            Some(_) => Err(err(
                path,
                "is a pattern key: it reads the CSV columns its name matches (give no `column`), or with NDJSON the members of `path = \"/values/*\"`",
            )),
        },
        KeyKind::FromData { .. } => given.ok_or_else(|| {
            err(
                path,
                "reads its key from the data: give its value's source, e.g. { column = \"_value\", type = \"float\" }",
            )
        }),
    }
}

/// One source of the schema with the key that names it in messages.
struct Named<'a> {
    key: String,
    source: &'a Source,
    kind: &'a KeyKind,
}

/// Checks iterations, spreads and `key_of` across the schema: every `key_of` names an
/// iteration some source performs; no `*` both iterates and spreads; column globs and `*`
/// paths are not mixed; a key read from the data is not itself iterated.
pub(super) fn check_iterations(
    measurement: &Source,
    timestamp: Option<&TimestampSpec>,
    tags: &[TagSpec],
    fields: &[FieldSpec],
) -> Result<(), SchemaError> {
    let fixed = KeyKind::Fixed;
    let mut all = vec![Named {
        key: "measurement".into(),
        source: measurement,
        kind: &fixed,
    }];
    if let Some(ts) = timestamp {
        let key = match ts.source {
            Source::Path(_) => "timestamp.path",
            Source::KeyOf(_) => "timestamp.key_of",
            _ => "timestamp.column",
        };
        all.push(Named {
            key: key.into(),
            source: &ts.source,
            kind: &fixed,
        });
    }
    for t in tags {
        all.push(Named {
            key: format!("tags.{}", t.key),
            source: &t.source,
            kind: &t.key_kind,
        });
    }
    for f in fields {
        all.push(Named {
            key: format!("fields.{}", f.key),
            source: &f.source,
            kind: &f.key_kind,
        });
    }
    // (iteration, key of the first source performing it)
    let mut iterations: Vec<(String, String)> = Vec::new();
    let mut spreads: Vec<(String, String)> = Vec::new();
    let mut first_glob: Option<&str> = None;
    let mut first_star_path: Option<&str> = None;
    for n in &all {
        let is_pattern = matches!(n.kind, KeyKind::Pattern { .. });
        match n.source {
            Source::Column(c) if is_glob(c) && !is_pattern => {
                first_glob.get_or_insert(&n.key);
                if !iterations.iter().any(|(i, _)| i == c) {
                    iterations.push((c.clone(), n.key.clone()));
                }
            }
            Source::Path(p) => {
                let mut prefixes = iteration_prefixes(p);
                if !prefixes.is_empty() {
                    first_star_path.get_or_insert(&n.key);
                }
                if is_pattern {
                    if let Some(last) = prefixes.pop() {
                        spreads.push((last, n.key.clone()));
                    }
                }
                for pre in prefixes {
                    if !iterations.iter().any(|(i, _)| *i == pre) {
                        iterations.push((pre, n.key.clone()));
                    }
                }
            }
            _ => {}
        }
    }
    if let (Some(g), Some(p)) = (first_glob, first_star_path) {
        return Err(err(p, format!("iterates a `*` path (NDJSON) while `{g}` iterates a column glob (CSV): one of them cannot apply to the input; keep the kind that fits the format")));
    }
    for (s, pkey) in &spreads {
        if let Some((_, ikey)) = iterations.iter().find(|(i, _)| i == s) {
            return Err(err(pkey, format!("spreads `{s}` (one entry per member, in one line) while `{ikey}` iterates it (one line per member): the `*` nesting is inconsistent; read the members either as a pattern key or through an iteration")));
        }
    }
    for n in &all {
        let Source::KeyOf(k) = n.source else { continue };
        if iterations.iter().any(|(i, _)| i == k) {
            continue;
        }
        let known: Vec<String> = iterations.iter().map(|(i, _)| format!("\"{i}\"")).collect();
        let hint = if known.is_empty() {
            "this schema has no `*` source: add one, e.g. value = { column = \"s*\", type = \"float\" }".to_string()
        } else {
            format!("its iterations: {}", known.join(", "))
        };
        let why = if spreads.iter().any(|(s, _)| s == k) {
            "names a pattern key's members, which are spread in one line, not iterated"
        } else {
            "names no iteration"
        };
        return Err(err(
            &format!("{}.key_of", n.key),
            format!("= \"{k}\" {why}: write it exactly like an iterating source up to and including its `*` ({hint})"),
        ));
    }
    Ok(())
}
