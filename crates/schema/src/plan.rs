//! The Plan: a schema compiled against one input's columns, ready for the hot loop.
//! Column names are resolved to slot numbers, keys are escaped once, formats are parsed.

use crate::multi::{
    check_json_patterns, expand_patterns, has_patterns, Binding, DataKey, Iterations, MultiPlan,
    Spread, Target, Use,
};
use crate::number::NumberRule;
use crate::rule::{compile_template, constant, ValueRule};
use crate::spec::{is_glob, FieldType, Format, KeyKind, OnError, Schema, Source};
use crate::time::TimeParser;
use crate::SchemaError;
use lpconvert_lp::{printable, Precision};
use std::collections::HashMap;

/// Where a value is read from when a row is mapped.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A slot of the row: a CSV column index, or an NDJSON pointer index in [`Plan::pointers`].
    Slot(usize),
    /// Several slots joined by one space (timestamps only).
    Joined(Vec<usize>),
    /// A constant text.
    Const(Vec<u8>),
}

/// The measurement of every line.
#[derive(Debug, Clone)]
pub enum MeasurementPlan {
    /// Already escaped constant.
    Const(Vec<u8>),
    /// Read from a slot per row.
    Slot(usize),
}

/// A tag, compiled.
#[derive(Debug, Clone)]
pub struct TagPlan {
    /// The key as written in the schema (for messages).
    pub name: String,
    /// `,key=` already escaped.
    pub prefix: Vec<u8>,
    /// `prefix` followed by 32 zero bytes, so it can be copied in fixed-size blocks.
    pub prefix_padded: Vec<u8>,
    /// The value source.
    pub input: Input,
    /// Default text for an empty value.
    pub default: Option<Vec<u8>>,
    /// Template and regex, if any.
    pub rule: Option<Box<ValueRule>>,
}

/// A field, compiled.
#[derive(Debug, Clone)]
pub struct FieldPlan {
    /// The key as written in the schema (for messages).
    pub name: String,
    /// `,key=` already escaped (the first field of a line is written without the comma).
    pub prefix: Vec<u8>,
    /// `prefix` followed by 32 zero bytes, so it can be copied in fixed-size blocks.
    pub prefix_padded: Vec<u8>,
    /// The value source.
    pub input: Input,
    /// The value type.
    pub ftype: FieldType,
    /// Default text for an empty value.
    pub default: Option<Vec<u8>>,
    /// Lower-cased texts read as true.
    pub true_values: Vec<Vec<u8>>,
    /// Lower-cased texts read as false.
    pub false_values: Vec<Vec<u8>>,
    /// Template, regex and number rules, if any.
    pub rule: Option<Box<ValueRule>>,
}

/// The timestamp, compiled.
#[derive(Debug, Clone)]
pub struct TimestampPlan {
    /// Where the text comes from.
    pub input: Input,
    /// Format and zone.
    pub parser: TimeParser,
    /// Template and regex, if any.
    pub rule: Option<Box<ValueRule>>,
    /// Read instead of an empty value.
    pub default: Option<Vec<u8>>,
    /// False: an empty timestamp writes the line without one.
    pub required: bool,
}

/// A schema compiled for one input.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Input format.
    pub format: Format,
    /// The measurement.
    pub measurement: MeasurementPlan,
    /// The measurement's template and regex, if any.
    pub measurement_rule: Option<Box<ValueRule>>,
    /// The measurement read instead of an empty value (a `Slot` measurement).
    pub measurement_default: Option<Vec<u8>>,
    /// Some entry has a rule or the measurement a default: rows go through the mapper's
    /// rule-aware instance.
    pub rich: bool,
    /// Tags in output order (sorted by key unless `sort_tags = false`).
    pub tags: Vec<TagPlan>,
    /// Fields in declaration order.
    pub fields: Vec<FieldPlan>,
    /// The timestamp, if any.
    pub timestamp: Option<TimestampPlan>,
    /// Output precision.
    pub precision: Precision,
    /// Bad-row policy.
    pub on_error: OnError,
    /// Texts meaning "no value", besides the empty text when listed.
    pub null_values: Vec<Vec<u8>>,
    /// True when the empty text is a null value (the default).
    pub empty_is_null: bool,
    /// Write CR/LF in strings as escapes.
    pub escape_string_newlines: bool,
    /// The server each converted line is held to ([`Schema::target`]): a line it would
    /// refuse, drop or store differently rejects its row.
    pub target: Option<lpconvert_lp::target::Rules>,
    /// Column names (CSV) or JSON Pointers (NDJSON) of the slots, for messages.
    pub slot_names: Vec<String>,
    /// NDJSON: the decoded JSON Pointer of each slot.
    pub pointers: Vec<Vec<String>>,
    /// Iterations and keys read from the data; `None` for a plan of one line per record.
    pub multi: Option<Box<MultiPlan>>,
}

/// Decodes an RFC 6901 JSON Pointer (`/a~1b/0` -> `["a/b", "0"]`).
pub fn parse_pointer(p: &str) -> Result<Vec<String>, String> {
    if p.is_empty() {
        return Ok(Vec::new());
    }
    let rest = p.strip_prefix('/').ok_or_else(|| {
        format!("`{p}` is not a JSON Pointer: it must start with `/`, e.g. \"/readings/0\"")
    })?;
    rest.split('/')
        .map(|t| {
            let mut out = String::with_capacity(t.len());
            let mut chars = t.chars();
            while let Some(c) = chars.next() {
                if c == '~' {
                    match chars.next() {
                        Some('0') => out.push('~'),
                        Some('1') => out.push('/'),
                        _ => {
                            return Err(format!(
                                "`{p}`: `~` must be followed by 0 or 1 (`~0` is `~`, `~1` is `/`)"
                            ))
                        }
                    }
                } else {
                    out.push(c);
                }
            }
            Ok(out)
        })
        .collect()
}

/// A measurement known when the plan is compiled (`value`, `file`): its default when
/// empty or null, checked and escaped.
fn constant_measurement(
    text: &[u8],
    default: Option<Vec<u8>>,
    null_values: &[String],
    input_name: &str,
) -> Result<MeasurementPlan, SchemaError> {
    let null = text.is_empty() || null_values.iter().any(|n| n.as_bytes() == text);
    let text = match default {
        Some(d) if null => d,
        _ => text.to_vec(),
    };
    lpconvert_lp::escape::check_measurement(&text).map_err(|e| SchemaError::Key {
        key: "measurement".into(),
        message: format!(
            "{:?} (as read for {input_name}) {e}: give a `default`, or change the source",
            String::from_utf8_lossy(&text)
        ),
    })?;
    let mut m = Vec::new();
    lpconvert_lp::write_measurement(&mut m, &text);
    Ok(MeasurementPlan::Const(m))
}

fn padded(prefix: &[u8]) -> Vec<u8> {
    let mut p = prefix.to_vec();
    p.resize(prefix.len() + 32, 0);
    p
}

/// Column names made unique: a repeated name gets `_2`, `_3`, ... (skipping names the
/// header already has). Used by the fix a message suggests and by `infer`.
pub fn unique_names(names: &[String]) -> Vec<String> {
    use std::collections::HashSet;
    let mut taken: HashSet<String> = names.iter().cloned().collect();
    let mut seen: HashSet<&str> = HashSet::new();
    names
        .iter()
        .map(|n| {
            if seen.insert(n.as_str()) {
                return n.clone();
            }
            let mut k = 2;
            while taken.contains(&format!("{n}_{k}")) {
                k += 1;
            }
            let name = format!("{n}_{k}");
            taken.insert(name.clone());
            name
        })
        .collect()
}

/// The message for a column name the header holds more than once.
pub(crate) fn ambiguous(name: &str, header: &[String], input_name: &str) -> String {
    let at: Vec<String> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| *h == name)
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    let positions = match at.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => at.join(""),
    };
    let renamed: Vec<String> = unique_names(header)
        .iter()
        .map(|n| format!("{:?}", printable(n.as_bytes())))
        .collect();
    format!(
        "column `{}` is ambiguous: the header of {input_name} has it at positions {positions}; \
         give every column its own name with [csv] columns = [{}] (all columns, in order) and read the one you mean",
        printable(name.as_bytes()),
        renamed.join(", ")
    )
}

/// The message for a column name the header lacks: the columns (quoted when blanks or a
/// comma would hide where a name ends), and the near miss when one differs only by blanks around
/// it, a byte order mark or ASCII case.
fn not_in_header(name: &str, header: &[String], input_name: &str) -> String {
    let quoted: Vec<String> = header
        .iter()
        .map(|h| {
            let shown = printable(h.as_bytes());
            // Quoted when the bare name would hide something: blanks around it, nothing,
            // a comma (the list separator).
            if h.is_empty() || h.trim() != h || h.contains(',') {
                format!("\"{shown}\"")
            } else {
                shown.into_owned()
            }
        })
        .collect();
    let bare = |h: &str| -> String {
        h.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
            .to_string()
    };
    let hint = if let Some(h) = header.iter().find(|h| h.trim() == name) {
        format!(
            "; the header has \"{}\": set [csv] trim = true to drop blanks around names and values, or name it exactly",
            printable(h.as_bytes())
        )
    } else if let Some(h) = header.iter().find(|h| bare(h) == name) {
        format!(
            "; the header has \"{}\", with a byte order mark (U+FEFF) that is not at the start of the file: remove it there",
            printable(h.as_bytes())
        )
    } else if let Some(h) = header.iter().find(|h| bare(h).eq_ignore_ascii_case(name)) {
        format!(
            "; the header has \"{}\", which differs in case: names are compared exactly",
            printable(h.as_bytes())
        )
    } else {
        String::new()
    };
    format!(
        "column `{}` is not in the header of {input_name} (its columns: {}){hint}; fix the name or the [csv] columns list",
        printable(name.as_bytes()),
        quoted.join(", ")
    )
}

/// A tag's or field's compiled prefix (`,key=`), input and value rule.
type KeyedEntry = (Vec<u8>, Input, Option<Box<ValueRule>>);

struct Resolver<'a> {
    iterations: &'a Iterations,
    /// The iteration the last resolved source performs, if any.
    pending: Option<(usize, Use)>,
    format: Format,
    header: Option<&'a [String]>,
    /// CSV: each header name's first position and how many columns have it (a pattern key
    /// over thousands of columns resolves each one).
    positions: HashMap<&'a str, (usize, usize)>,
    input_name: &'a str,
    /// The input's path as given (`None` for stdin), for `file` sources.
    path: Option<&'a str>,
    slot_names: Vec<String>,
    pointers: Vec<Vec<String>>,
}

impl Resolver<'_> {
    fn column(&mut self, key: &str, name: &str) -> Result<usize, SchemaError> {
        match self.format {
            Format::Csv => {
                let header = self.header.unwrap_or(&[]);
                match self.positions.get(name) {
                    Some(&(i, 1)) => Ok(i),
                    Some(_) => Err(SchemaError::Key {
                        key: key.to_string(),
                        message: ambiguous(name, header, self.input_name),
                    }),
                    None => Err(SchemaError::Key {
                        key: key.to_string(),
                        message: not_in_header(name, header, self.input_name),
                    }),
                }
            }
            Format::Ndjson => Ok(self.pointer(
                vec![name.to_string()],
                format!("/{}", name.replace('~', "~0").replace('/', "~1")),
            )),
        }
    }

    fn pointer(&mut self, tokens: Vec<String>, text: String) -> usize {
        if let Some(i) = self.pointers.iter().position(|p| *p == tokens) {
            return i;
        }
        self.pointers.push(tokens);
        self.slot_names.push(text);
        self.pointers.len() - 1
    }

    fn input(&mut self, key: &str, source: &Source) -> Result<Input, SchemaError> {
        Ok(match source {
            Source::Column(c) if is_glob(c) => {
                let i = self.iteration(key, c)?;
                self.pending = Some((i, Use::Value));
                Input::Slot(
                    self.iterations.list[i]
                        .matches
                        .first()
                        .map_or(0, |m| m.slot),
                )
            }
            Source::KeyOf(k) => {
                let i = self.iteration(key, k)?;
                self.pending = Some((i, Use::KeyOf));
                Input::Const(Vec::new())
            }
            Source::Column(c) => Input::Slot(self.column(key, c)?),
            Source::Columns(cs) => Input::Joined(
                cs.iter()
                    .map(|c| self.column(key, c))
                    .collect::<Result<_, _>>()?,
            ),
            Source::Path(p) => {
                if self.format == Format::Csv {
                    return Err(SchemaError::Key {
                        key: key.to_string(),
                        message: "`path` is for NDJSON input; use `column` for CSV".into(),
                    });
                }
                let tokens = parse_pointer(p).map_err(|m| SchemaError::Key {
                    key: key.to_string(),
                    message: m,
                })?;
                if let Some(innermost) = crate::spec::iteration_prefixes(p).pop() {
                    let i = self.iteration(key, &innermost)?;
                    self.pending = Some((i, Use::Value));
                }
                Input::Slot(self.pointer(tokens, p.clone()))
            }
            Source::Value(v) => Input::Const(v.clone().into_bytes()),
            Source::File(part) => Input::Const(part.of(self.path).as_bytes().to_vec()),
            Source::Template(_) => Input::Const(Vec::new()),
        })
    }

    /// An entry's input and rule: constants (`value`, `file`) get their regex applied
    /// now; a template is resolved into its rule, the input an empty constant.
    fn entry(
        &mut self,
        key: &str,
        source: &Source,
        regex: Option<&regex::bytes::Regex>,
    ) -> Result<(Input, Option<Box<ValueRule>>), SchemaError> {
        if let Some(text) = constant(source, regex, self.path) {
            return Ok((Input::Const(text), None));
        }
        if let Source::Template(t) = source {
            let template = compile_template(key, t, |name| {
                if name.starts_with('/') {
                    self.input(key, &Source::Path(name.to_string()))
                } else {
                    self.input(key, &Source::Column(name.to_string()))
                }
                .map(|i| match i {
                    Input::Slot(s) => s,
                    _ => 0,
                })
            })?;
            let rule = ValueRule {
                template: Some(template),
                regex: regex.cloned(),
                number: None,
            };
            return Ok((Input::Const(Vec::new()), Some(Box::new(rule))));
        }
        Ok((self.input(key, source)?, ValueRule::regex(regex)))
    }

    /// A tag's or field's prefix (`,key=`), input and rule (see [`KeyedEntry`]). An NDJSON pattern key over
    /// members becomes a spread (pushed on `spreads`), its entry an empty placeholder; any
    /// other entry is resolved by [`Resolver::entry`]. `(table, key, kind)` name the entry.
    fn keyed_entry(
        &mut self,
        (table, key, kind): (&str, &str, &KeyKind),
        source: &Source,
        regex: Option<&regex::bytes::Regex>,
        target: Target,
        spreads: &mut Vec<Spread>,
    ) -> Result<KeyedEntry, SchemaError> {
        let mut prefix = b",".to_vec();
        lpconvert_lp::write_key(&mut prefix, key.as_bytes());
        prefix.push(b'=');
        let name = format!("{table}.{key}");
        if let (KeyKind::Pattern { exclude }, Source::Path(p)) = (kind, source) {
            spreads.push(self.spread(&name, p, target, key, exclude)?);
            return Ok((prefix, Input::Const(Vec::new()), ValueRule::regex(regex)));
        }
        let (input, rule) = self.entry(&name, source, regex)?;
        Ok((prefix, input, rule))
    }

    /// An NDJSON pattern key over the members of `path` (ending in `/*`).
    fn spread(
        &mut self,
        key: &str,
        path: &str,
        target: Target,
        glob: &str,
        exclude: &[String],
    ) -> Result<Spread, SchemaError> {
        let container = path.strip_suffix("/*").unwrap_or(path);
        let tokens = parse_pointer(container).map_err(|m| SchemaError::Key {
            key: key.to_string(),
            message: m,
        })?;
        Ok(Spread {
            target,
            container: self.pointer(tokens, container.to_string()),
            glob: glob.to_string(),
            exclude: exclude.iter().map(|e| e.clone().into_bytes()).collect(),
        })
    }

    /// The slot a key read from the data comes from.
    fn data_key(&mut self, key: &str, source: &Source) -> Result<usize, SchemaError> {
        match self.input(key, source)? {
            Input::Slot(s) => Ok(s),
            _ => Err(SchemaError::Key {
                key: key.to_string(),
                message: "must read its key from one column or path".into(),
            }),
        }
    }

    fn iteration(&self, key: &str, source: &str) -> Result<usize, SchemaError> {
        self.iterations
            .index(source)
            .ok_or_else(|| SchemaError::Key {
                key: key.to_string(),
                message: format!("`{source}` names no iteration of this schema"),
            })
    }
}

impl Plan {
    /// Compiles `schema` for an input of `format`. For CSV, `header` holds the column names;
    /// `input_name` names the input in messages.
    pub fn compile(
        schema: &Schema,
        format: Format,
        header: Option<&[String]>,
        input_name: &str,
    ) -> Result<Plan, SchemaError> {
        Plan::compile_input(schema, format, header, input_name, Some(input_name))
    }

    /// [`Plan::compile`] for an input whose path as given is `path` (`None` for stdin),
    /// which `file` sources read.
    pub fn compile_input(
        schema: &Schema,
        format: Format,
        header: Option<&[String]>,
        input_name: &str,
        path: Option<&str>,
    ) -> Result<Plan, SchemaError> {
        let expanded;
        let schema = if format == Format::Ndjson {
            check_json_patterns(schema)?;
            schema
        } else if has_patterns(schema) {
            expanded = expand_patterns(schema, header.unwrap_or(&[]), input_name)?;
            &expanded
        } else {
            schema
        };
        let iterations = Iterations::find(schema, format, header.unwrap_or(&[]), input_name)?;
        // (target, iteration, use), tags by declaration index until sorted.
        let mut bindings: Vec<Binding> = Vec::new();
        let mut data_keys: Vec<DataKey> = Vec::new();
        let mut spreads: Vec<Spread> = Vec::new();
        let mut r = Resolver {
            iterations: &iterations,
            pending: None,
            format,
            header,
            positions: HashMap::new(),
            input_name,
            path,
            slot_names: Vec::new(),
            pointers: Vec::new(),
        };
        for (i, h) in header.unwrap_or(&[]).iter().enumerate() {
            r.positions.entry(h.as_str()).or_insert((i, 0)).1 += 1;
        }
        if format == Format::Csv {
            r.slot_names = header.unwrap_or(&[]).to_vec();
        }
        let (m_input, measurement_rule) = r.entry(
            "measurement",
            &schema.measurement,
            schema.measurement_regex.as_ref(),
        )?;
        let mut measurement_default = schema
            .measurement_default
            .as_ref()
            .map(|d| d.clone().into_bytes());
        let measurement = match m_input {
            Input::Const(_) if r.pending.is_some() => {
                if measurement_rule.is_some() {
                    return Err(SchemaError::Key {
                        key: "measurement.regex".into(),
                        message: "cannot apply to `key_of`: read the names through a tag, or drop the regex".into(),
                    });
                }
                // A match always has a name: the default is never needed.
                measurement_default = None;
                MeasurementPlan::Const(Vec::new())
            }
            Input::Const(_) if measurement_rule.is_some() => MeasurementPlan::Const(Vec::new()),
            Input::Const(text) => constant_measurement(
                &text,
                measurement_default.take(),
                &schema.null_values,
                input_name,
            )?,
            Input::Slot(i) => MeasurementPlan::Slot(i),
            Input::Joined(_) => {
                return Err(SchemaError::Key {
                    key: "measurement".into(),
                    message: "must be one column or path".into(),
                })
            }
        };
        let mut bind = |r: &mut Resolver, target: Target| {
            if let Some((iteration, what)) = r.pending.take() {
                bindings.push(Binding {
                    target,
                    iteration,
                    what,
                });
            }
        };
        bind(&mut r, Target::Measurement);
        let mut tags = Vec::with_capacity(schema.tags.len());
        for (i, t) in schema.tags.iter().enumerate() {
            let (prefix, input, tag_rule) = r.keyed_entry(
                ("tags", &t.key, &t.key_kind),
                &t.source,
                t.regex.as_ref(),
                Target::Tag(i),
                &mut spreads,
            )?;
            bind(&mut r, Target::Tag(i));
            if let KeyKind::FromData { source, .. } = &t.key_kind {
                let slot = r.data_key(&format!("tags.{}", t.key), source)?;
                data_keys.push(DataKey {
                    target: Target::Tag(i),
                    slot,
                    types: Vec::new(),
                    ftype: FieldType::String,
                });
            }
            tags.push(TagPlan {
                name: t.key.clone(),
                prefix_padded: padded(&prefix),
                prefix,
                input,
                default: t.default.clone().map(String::into_bytes),
                rule: tag_rule,
            });
        }
        // Declaration index -> output position.
        let mut tag_pos: Vec<usize> = (0..tags.len()).collect();
        if schema.sort_tags {
            let mut order: Vec<usize> = (0..tags.len()).collect();
            order.sort_by(|&a, &b| tags[a].name.as_bytes().cmp(tags[b].name.as_bytes()));
            for (pos, &i) in order.iter().enumerate() {
                tag_pos[i] = pos;
            }
            tags = order.iter().map(|&i| tags[i].clone()).collect();
        }
        let mut fields = Vec::with_capacity(schema.fields.len());
        for (i, f) in schema.fields.iter().enumerate() {
            let (prefix, input, mut field_rule) = r.keyed_entry(
                ("fields", &f.key, &f.key_kind),
                &f.source,
                f.regex.as_ref(),
                Target::Field(i),
                &mut spreads,
            )?;
            bind(&mut r, Target::Field(i));
            if let Some(number) = NumberRule::of_field(f) {
                field_rule
                    .get_or_insert_with(|| {
                        Box::new(ValueRule {
                            template: None,
                            regex: None,
                            number: None,
                        })
                    })
                    .number = Some(number);
            }
            if let KeyKind::FromData { source, types } = &f.key_kind {
                let slot = r.data_key(&format!("fields.{}", f.key), source)?;
                data_keys.push(DataKey {
                    target: Target::Field(i),
                    slot,
                    types: types
                        .iter()
                        .map(|(k, t)| (k.clone().into_bytes(), *t))
                        .collect(),
                    ftype: f.ftype,
                });
            }
            let (true_values, false_values) = crate::spec::boolean_lists(f);
            let bytes = |v: Vec<String>| v.into_iter().map(String::into_bytes).collect();
            fields.push(FieldPlan {
                name: f.key.clone(),
                prefix_padded: padded(&prefix),
                prefix,
                input,
                ftype: f.ftype,
                default: f.default.clone().map(String::into_bytes),
                true_values: bytes(true_values),
                false_values: bytes(false_values),
                rule: field_rule,
            });
        }
        let timestamp = match &schema.timestamp {
            None => None,
            Some(ts) => {
                // Errors name the key that holds the source (a template adds `.template`).
                let key = match &ts.source {
                    Source::Column(_) | Source::Columns(_) => "timestamp.column",
                    Source::Path(_) => "timestamp.path",
                    _ => "timestamp",
                };
                let (input, rule) = r.entry(key, &ts.source, ts.regex.as_ref())?;
                bind(&mut r, Target::Timestamp);
                Some(TimestampPlan {
                    input,
                    parser: ts.parser.clone(),
                    rule,
                    default: ts.default.clone().map(String::into_bytes),
                    required: ts.required,
                })
            }
        };
        let sorted = |t: Target| match t {
            Target::Tag(i) => Target::Tag(tag_pos[i]),
            other => other,
        };
        for b in &mut bindings {
            b.target = sorted(b.target);
        }
        for k in &mut data_keys {
            k.target = sorted(k.target);
        }
        for sp in &mut spreads {
            sp.target = sorted(sp.target);
        }
        // A pattern leaves out the members other entries read.
        for sp in &mut spreads {
            let container = &r.pointers[sp.container];
            for p in &r.pointers {
                if p.len() == container.len() + 1 && p.starts_with(container) {
                    sp.exclude.push(p[container.len()].clone().into_bytes());
                }
            }
        }
        let multi =
            (!bindings.is_empty() || !data_keys.is_empty() || !spreads.is_empty()).then(|| {
                Box::new(MultiPlan {
                    iterations: iterations.list.clone(),
                    bindings,
                    data_keys,
                    spreads,
                    sort_tags: schema.sort_tags,
                })
            });
        let rich = measurement_rule.is_some()
            || measurement_default.is_some()
            || tags.iter().any(|t| t.rule.is_some())
            || fields.iter().any(|f| f.rule.is_some())
            || timestamp.as_ref().is_some_and(|t| t.rule.is_some());
        Ok(Plan {
            format,
            measurement,
            measurement_rule,
            measurement_default,
            rich,
            tags,
            fields,
            timestamp,
            precision: schema.precision,
            on_error: schema.on_error,
            empty_is_null: schema.null_values.iter().any(String::is_empty),
            null_values: schema
                .null_values
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.clone().into_bytes())
                .collect(),
            escape_string_newlines: schema.escape_string_newlines,
            target: schema.target,
            slot_names: r.slot_names,
            pointers: r.pointers,
            multi,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_decode() {
        assert_eq!(parse_pointer("/a~1b/0").unwrap(), vec!["a/b", "0"]);
        assert_eq!(parse_pointer("/m~0n").unwrap(), vec!["m~n"]);
        assert!(parse_pointer("a/b").is_err());
        assert!(parse_pointer("/a~2").is_err());
    }
}
