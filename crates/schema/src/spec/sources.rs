//! The sources and value rules of SCHEMA.md "More sources" and "More about values" as
//! written: `template`, `file`, `regex`, `from_float`, `number_format`.

use super::raw::err;
use crate::SchemaError;
use toml::Value;

/// A part of the input's path (`file = "..."`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilePart {
    /// The path as given on the command line.
    Path,
    /// Its file name (`x.csv.gz`).
    Name,
    /// The file name without its extensions (`x`).
    Stem,
    /// The name of the directory that holds it, as written in the path (`host=a` of
    /// `data/host=a/x.csv`; empty for `x.csv`).
    Dir,
}

impl FilePart {
    /// Parses `path`, `name`, `stem` or `dir`.
    pub fn parse(s: &str) -> Option<FilePart> {
        Some(match s {
            "path" => FilePart::Path,
            "name" => FilePart::Name,
            "stem" => FilePart::Stem,
            "dir" => FilePart::Dir,
            _ => return None,
        })
    }

    /// This part of `path` (the input's path as given; `None` for stdin gives the empty
    /// text). Paths are split at `/` (and `\` on Windows) as written, never resolved.
    pub fn of(self, path: Option<&str>) -> &str {
        let Some(path) = path else { return "" };
        let sep = |c: char| c == '/' || (cfg!(windows) && c == '\\');
        let (dir, name) = match path.rfind(sep) {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => ("", path),
        };
        match self {
            FilePart::Path => path,
            FilePart::Name => name,
            // A leading dot belongs to the name (`.env.csv` has the stem `.env`).
            FilePart::Stem => match name.char_indices().skip(1).find(|&(_, c)| c == '.') {
                Some((i, _)) => &name[..i],
                None => name,
            },
            FilePart::Dir => {
                let dir = dir.trim_end_matches(sep);
                match dir.rfind(sep) {
                    Some(i) => &dir[i + 1..],
                    None => dir,
                }
            }
        }
    }
}

/// A piece of a `template`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    /// Literal text (`{{` and `}}` already made single braces).
    Text(String),
    /// `{name}`: a column (CSV) or top-level key (NDJSON), or with a leading `/` a JSON
    /// Pointer.
    Ref(String),
}

/// Splits a `template` into literal text and references; the error says what to fix.
pub fn template_parts(t: &str) -> Result<Vec<TemplatePart>, String> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = t;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("{{") || rest.starts_with("}}") {
            text.push(c);
            rest = &rest[2..];
        } else if c == '{' {
            let end = rest.find('}').ok_or_else(|| {
                format!("`{t}` has a `{{` that never closes: write `{{{{` for a literal brace")
            })?;
            let name = &rest[1..end];
            if name.is_empty() || name.contains('{') {
                return Err(format!(
                    "`{t}` has an empty or nested reference: write {{column}} or {{/json/pointer}}, \
                     and `{{{{` for a literal brace"
                ));
            }
            if name.contains('*') {
                return Err(format!(
                    "`{t}` reads `{name}`, which holds a `*`: templates read one value per \
                     reference; iterate through another source and use key_of or a plain source"
                ));
            }
            if !text.is_empty() {
                parts.push(TemplatePart::Text(std::mem::take(&mut text)));
            }
            parts.push(TemplatePart::Ref(name.to_string()));
            rest = &rest[end + 1..];
        } else if c == '}' {
            return Err(format!(
                "`{t}` has a `}}` without its `{{`: write `}}}}` for a literal brace"
            ));
        } else {
            text.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if !text.is_empty() {
        parts.push(TemplatePart::Text(text));
    }
    Ok(parts)
}

/// What an `integer` or `unsigned` field does with a decimal or scientific number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FromFloat {
    /// A row error (the default).
    #[default]
    Reject,
    /// Towards zero.
    Truncate,
    /// To the nearest, half away from zero.
    Round,
}

impl FromFloat {
    /// Parses `reject`, `truncate` or `round`.
    pub fn parse(s: &str) -> Option<FromFloat> {
        Some(match s {
            "reject" => FromFloat::Reject,
            "truncate" => FromFloat::Truncate,
            "round" => FromFloat::Round,
            _ => return None,
        })
    }
}

/// `number_format`: the decimal separator and digit-group separators of number texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberFormat {
    /// The decimal separator (one character).
    pub decimal: String,
    /// Digit-group separators (each one character).
    pub group: Vec<String>,
}

/// Reads a `number_format` table (`{ decimal = ",", group = ["."] }`), each error naming
/// its key and the form expected.
fn raw_number_format(
    key: &str,
    raw: Value,
) -> Result<(Option<String>, Option<Vec<String>>), SchemaError> {
    const FORM: &str = "e.g. number_format = { decimal = \",\", group = [\".\"] }";
    let Value::Table(t) = raw else {
        return Err(err(key, format!("must be a table, {FORM}")));
    };
    let (mut decimal, mut group) = (None, None);
    for (k, v) in t {
        match (k.as_str(), v) {
            ("decimal", Value::String(s)) => decimal = Some(s),
            ("decimal", _) => {
                return Err(err(
                    &format!("{key}.decimal"),
                    format!("must be a string, {FORM}"),
                ))
            }
            ("group", Value::Array(a)) => {
                let list = a.into_iter().map(|v| match v {
                    Value::String(s) => Some(s),
                    _ => None,
                });
                group = Some(list.collect::<Option<Vec<_>>>().ok_or_else(|| {
                    err(
                        &format!("{key}.group"),
                        format!("must be a list of strings, {FORM}"),
                    )
                })?);
            }
            ("group", Value::String(s)) => {
                return Err(err(
                    &format!("{key}.group"),
                    format!("must be a list of separators: write group = [{s:?}]"),
                ))
            }
            ("group", _) => {
                return Err(err(
                    &format!("{key}.group"),
                    format!("must be a list of strings, {FORM}"),
                ))
            }
            (other, _) => {
                return Err(err(
                    key,
                    format!("unknown field `{other}`: number_format takes `decimal` and `group`"),
                ))
            }
        }
    }
    Ok((decimal, group))
}

/// Checks a `number_format` table: single characters that are not digits, signs or `e`,
/// and the decimal separator not also a group separator.
pub(super) fn number_format(key: &str, raw: Value) -> Result<NumberFormat, SchemaError> {
    let (decimal, group) = raw_number_format(key, raw)?;
    let bad = |c: &str| {
        let mut chars = c.chars();
        match (chars.next(), chars.next()) {
            (Some(ch), None) => ch.is_ascii_digit() || "+-eE".contains(ch),
            _ => true,
        }
    };
    let decimal = decimal.unwrap_or_else(|| ".".to_string());
    if bad(&decimal) {
        return Err(err(
            &format!("{key}.decimal"),
            format!(
                "{decimal:?} must be one character other than a digit, a sign or `e`, e.g. \",\""
            ),
        ));
    }
    let group = group.unwrap_or_default();
    for g in &group {
        if bad(g) {
            return Err(err(
                &format!("{key}.group"),
                format!("{g:?} must be one character other than a digit, a sign or `e`, e.g. [\".\", \" \"]"),
            ));
        }
        if *g == decimal {
            return Err(err(
                &format!("{key}.group"),
                format!("{g:?} is also the decimal separator: a number could not be read one way; remove it from one of them"),
            ));
        }
    }
    Ok(NumberFormat { decimal, group })
}

/// Compiles a `regex` (the regex crate's syntax), or the schema error with its message.
pub(super) fn regex(
    key: &str,
    r: Option<&str>,
) -> Result<Option<regex::bytes::Regex>, SchemaError> {
    r.map(|r| {
        regex::bytes::Regex::new(r).map_err(|e| {
            err(
                &format!("{key}.regex"),
                format!("is not a valid regular expression (regex crate syntax): {e}"),
            )
        })
    })
    .transpose()
}

/// The value a `regex` takes from `text`: the first capture group of the first match (the
/// whole match when the pattern has no group), empty when nothing matches.
pub fn extract<'t>(re: &regex::bytes::Regex, text: &'t [u8]) -> &'t [u8] {
    if re.captures_len() == 1 {
        return re.find(text).map_or(&b""[..], |m| m.as_bytes());
    }
    match re.captures(text) {
        Some(c) => c.get(1).map_or(&b""[..], |m| m.as_bytes()),
        None => b"",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_parts() {
        let p = Some("data/host=a/x.csv.gz");
        assert_eq!(FilePart::Path.of(p), "data/host=a/x.csv.gz");
        assert_eq!(FilePart::Name.of(p), "x.csv.gz");
        assert_eq!(FilePart::Stem.of(p), "x");
        assert_eq!(FilePart::Dir.of(p), "host=a");
        assert_eq!(FilePart::Dir.of(Some("x.csv")), "");
        assert_eq!(FilePart::Dir.of(Some("/x.csv")), "");
        assert_eq!(FilePart::Dir.of(Some("./x.csv")), ".");
        assert_eq!(FilePart::Stem.of(Some(".env.csv")), ".env");
        assert_eq!(FilePart::Stem.of(Some("noext")), "noext");
        for part in [
            FilePart::Path,
            FilePart::Name,
            FilePart::Stem,
            FilePart::Dir,
        ] {
            assert_eq!(part.of(None), "");
        }
    }

    #[test]
    fn templates_split() {
        use TemplatePart::*;
        assert_eq!(
            template_parts("{building}-{room}").unwrap(),
            vec![Ref("building".into()), Text("-".into()), Ref("room".into())]
        );
        assert_eq!(
            template_parts("{{x}} {/a/b}").unwrap(),
            vec![Text("{x} ".into()), Ref("/a/b".into())]
        );
        for bad in ["{a", "a}", "{}", "{/s/*/v}", "{a{b}"] {
            assert!(template_parts(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regex_takes_the_first_group() {
        let re = regex::bytes::Regex::new("host=([^/]+)").unwrap();
        assert_eq!(extract(&re, b"data/host=web01/2024-01-01.csv"), b"web01");
        assert_eq!(extract(&re, b"nothing"), b"");
        let whole = regex::bytes::Regex::new("[0-9]+").unwrap();
        assert_eq!(extract(&whole, b"ab12cd34"), b"12");
        let optional = regex::bytes::Regex::new("a(b)?").unwrap();
        assert_eq!(extract(&optional, b"ac"), b"");
    }
}
