//! The value rules of a compiled entry (SCHEMA.md "More sources", "More about values"):
//! a template read per record, a `regex` applied to the source's text, and a field's number
//! rules. A plan without any of them maps through the plain mapper, untouched.

use crate::number::NumberRule;
use crate::spec::{template_parts, FilePart, Source, TemplatePart};
use crate::SchemaError;

/// A piece of a compiled template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePiece {
    /// Literal bytes.
    Text(Vec<u8>),
    /// The text of a slot (empty when the cell is empty or null).
    Slot(usize),
}

/// What an entry does to its value besides reading its input.
#[derive(Debug, Clone)]
pub struct ValueRule {
    /// A template read per record; the entry's input is then an empty constant.
    pub template: Option<Vec<TemplatePiece>>,
    /// Applied to the input's (or template's) text.
    pub regex: Option<regex::bytes::Regex>,
    /// A number field's separators and `from_float`.
    pub number: Option<NumberRule>,
}

impl ValueRule {
    /// The text the regex extracts from `text`, or `text` without a regex.
    #[inline]
    pub fn extract<'t>(&self, text: &'t [u8]) -> &'t [u8] {
        match &self.regex {
            Some(re) => crate::spec::extract(re, text),
            None => text,
        }
    }

    /// A rule with only a regex, `None` without one.
    pub fn regex(regex: Option<&regex::bytes::Regex>) -> Option<Box<ValueRule>> {
        regex.map(|r| {
            Box::new(ValueRule {
                template: None,
                regex: Some(r.clone()),
                number: None,
            })
        })
    }
}

/// The names a template reads (columns, top-level keys or pointers), for the columns a
/// pattern leaves out.
pub fn template_refs(t: &str) -> Vec<String> {
    template_parts(t)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| match p {
            TemplatePart::Ref(r) => Some(r),
            TemplatePart::Text(_) => None,
        })
        .collect()
}

/// Compiles a template, resolving each reference to a slot with `slot` (which names a
/// missing column in its error).
pub(crate) fn compile_template(
    key: &str,
    t: &str,
    mut slot: impl FnMut(&str) -> Result<usize, SchemaError>,
) -> Result<Vec<TemplatePiece>, SchemaError> {
    let parts = template_parts(t).map_err(|m| SchemaError::Key {
        key: format!("{key}.template"),
        message: m,
    })?;
    parts
        .into_iter()
        .map(|p| match p {
            TemplatePart::Text(s) => Ok(TemplatePiece::Text(s.into_bytes())),
            TemplatePart::Ref(r) => slot(&r).map(TemplatePiece::Slot).map_err(|e| match e {
                SchemaError::Key { message, .. } => SchemaError::Key {
                    key: format!("{key}.template"),
                    message: format!("`{t}` reads `{r}`: {message}"),
                },
                other => other,
            }),
        })
        .collect()
}

/// The constant text of a source known when the plan is compiled (`value`, `file`), with
/// the regex applied; `None` for a source read per record.
pub(crate) fn constant(
    source: &Source,
    regex: Option<&regex::bytes::Regex>,
    path: Option<&str>,
) -> Option<Vec<u8>> {
    let text = match source {
        Source::Value(v) => v.as_bytes(),
        Source::File(part) => FilePart::of(*part, path).as_bytes(),
        _ => return None,
    };
    Some(match regex {
        Some(re) => crate::spec::extract(re, text).to_vec(),
        None => text.to_vec(),
    })
}
