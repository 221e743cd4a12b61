//! The columns of one annotated table as csv2lp reads them: data type, format, default and
//! role (measurement, tag, field, time, ignored) from the `#datatype`, `#group`, `#default`,
//! `#constant`, `#concat` and `#timezone` rows and the header (`name|type|default`).

/// What a column becomes in a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Part {
    /// Not decided by an annotation: a field, unless a `_field` column exists.
    #[default]
    Undecided,
    Ignored,
    Measurement,
    Tag,
    Field,
    Time,
}

/// Where a column's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Origin {
    /// The data row's cell of this header label.
    Data,
    /// A `#constant` annotation: the value is its default.
    Constant,
    /// A `#concat` annotation: `${label}` placeholders, held in the default.
    Concat,
}

/// One column, real or added by `#constant` / `#concat`.
#[derive(Debug, Clone)]
pub(super) struct Column {
    pub label: String,
    pub dtype: String,
    pub format: String,
    pub part: Part,
    pub default: String,
    pub origin: Origin,
}

impl Column {
    fn new(origin: Origin) -> Column {
        Column {
            label: String::new(),
            dtype: String::new(),
            format: String::new(),
            part: Part::Undecided,
            default: String::new(),
            origin,
        }
    }

    /// csv2lp's `setupDataType`: `type`, `type:format`, `type|default`, `type:format|default`,
    /// each possibly after a `#annotation ` prefix.
    fn set_type(&mut self, text: &str) {
        let mut text = without_annotation(text);
        if let Some(pipe) = text.find('|').filter(|&p| p > 1) {
            if self.default.is_empty() {
                self.default = text[pipe + 1..].to_string();
                text = &text[..pipe];
            }
        }
        if let Some(colon) = text.find(':').filter(|&c| c > 1) {
            self.format = text[colon + 1..].to_string();
            text = &text[..colon];
        }
        match text {
            "tag" => self.part = Part::Tag,
            t if t.starts_with("ignore") => self.part = Part::Ignored,
            "dateTime" => self.part = Part::Time,
            "measurement" => self.part = Part::Measurement,
            "field" => {
                self.part = Part::Field;
                text = "";
            }
            "time" => {
                self.part = Part::Time;
                text = "dateTime";
            }
            _ => {}
        }
        self.dtype = text.to_string();
    }
}

/// A cell without its leading `#annotation ` (csv2lp's `ignoreLeadingComment`): the text
/// after the first space of a cell starting with `#`, or nothing.
pub(super) fn without_annotation(value: &str) -> &str {
    if !value.starts_with('#') {
        return value;
    }
    match value.find(' ') {
        Some(p) if p > 0 => value[p + 1..].trim_start_matches(' '),
        _ => "",
    }
}

/// The annotations csv2lp knows (lowercase); others are comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Annotation {
    /// `#group`: `true` makes an undecided column a tag.
    Group,
    /// `#datatype`.
    Datatype,
    /// `#default`.
    Default,
    /// `#constant`: a column with a constant value.
    Constant,
    /// `#timezone`.
    Timezone,
    /// `#concat`: a column computed from a template.
    Concat,
}

impl Annotation {
    /// The annotation a row's first cell names (`#datatype`, `#datatype measurement`, any
    /// case), `None` for a comment or an unknown annotation.
    pub fn of(first_cell: &str) -> Option<Annotation> {
        const ALL: [(&str, Annotation); 6] = [
            ("#group", Annotation::Group),
            ("#datatype", Annotation::Datatype),
            ("#default", Annotation::Default),
            ("#constant", Annotation::Constant),
            ("#timezone", Annotation::Timezone),
            ("#concat", Annotation::Concat),
        ];
        let lower = first_cell.to_ascii_lowercase();
        ALL.iter().find_map(|(prefix, a)| {
            let rest = lower.strip_prefix(prefix)?;
            (rest.is_empty() || rest.starts_with(' ')).then_some(*a)
        })
    }

    /// Whether the annotation describes the columns of a table (a repeated one after data
    /// rows starts a new table).
    pub fn per_column(self) -> bool {
        matches!(
            self,
            Annotation::Group | Annotation::Datatype | Annotation::Default
        )
    }
}

/// One table's columns and time zone, read from its annotation rows and header.
#[derive(Debug, Default)]
pub(super) struct Table {
    pub columns: Vec<Column>,
    pub extra: Vec<Column>,
    pub timezone: Option<String>,
    /// The header's names without their `|type|default` parts, and earlier columns of a
    /// label given twice renamed `label~N`, when any (the schema's `[csv] columns`).
    pub renamed: Option<Vec<String>>,
}

impl Table {
    /// Reads the annotation rows (each a row of cells, in file order) and the header.
    pub fn read(annotations: &[Vec<String>], header: &[String]) -> Table {
        let mut t = Table::default();
        let mut by_annotation = false;
        for row in annotations {
            let Some(first) = row.first() else { continue };
            let Some(a) = Annotation::of(first) else {
                continue;
            };
            match a {
                Annotation::Constant | Annotation::Concat => {
                    let origin = if a == Annotation::Constant {
                        Origin::Constant
                    } else {
                        Origin::Concat
                    };
                    let name = if a == Annotation::Constant {
                        "#constant"
                    } else {
                        "#concat"
                    };
                    t.extra.push(virtual_column(row, origin, name));
                }
                Annotation::Timezone => {
                    let mut tz = without_annotation(first).to_string();
                    if tz.is_empty() {
                        tz = row.get(1).cloned().unwrap_or_default();
                    }
                    t.timezone = Some(tz);
                }
                _ => {
                    if !by_annotation {
                        t.columns = (0..row.len()).map(|_| Column::new(Origin::Data)).collect();
                        by_annotation = true;
                    }
                    for (col, cell) in t.columns.iter_mut().zip(row) {
                        match a {
                            Annotation::Group
                                if cell.ends_with("true") && col.part == Part::Undecided =>
                            {
                                col.part = Part::Tag;
                            }
                            Annotation::Datatype => col.set_type(cell),
                            Annotation::Default => {
                                col.default = without_annotation(cell).to_string();
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        if !by_annotation {
            t.columns = (0..header.len())
                .map(|_| Column::new(Origin::Data))
                .collect();
        }
        let mut names = header.to_vec();
        let mut renamed = false;
        for ((col, label), name) in t.columns.iter_mut().zip(header).zip(&mut names) {
            col.label = label.clone();
            if col.dtype.is_empty() {
                if let Some(bar) = label.find('|') {
                    col.set_type(&label[bar + 1..]);
                    col.label = label[..bar].to_string();
                    name.clone_from(&col.label);
                    renamed = true;
                }
            }
        }
        // A label given twice: csv2lp reads the last column of it (a tag, the measurement,
        // the time); the schema reads columns by name, so the earlier ones are renamed.
        for i in 0..names.len() {
            let later = names[i + 1..].contains(&names[i]);
            if later && !names[i].trim().is_empty() {
                let mut n = 1;
                while names.contains(&format!("{}~{n}", names[i])) {
                    n += 1;
                }
                names[i] = format!("{}~{n}", names[i]);
                renamed = true;
            }
        }
        t.renamed = renamed.then_some(names);
        t
    }
}

/// csv2lp's `#constant` / `#concat` column: `#constant,type,label,value`, or
/// `#constant type,label,value`; the label may be left out for a measurement or a time.
fn virtual_column(row: &[String], origin: Origin, name: &str) -> Column {
    let mut col = Column::new(origin);
    col.set_type(&row[0]);
    let type_at = if col.dtype.is_empty() && col.part == Part::Undecided {
        if let Some(t) = row.get(1) {
            col.set_type(t);
        }
        1
    } else {
        0
    };
    if let Some(l) = row.get(type_at + 1) {
        col.label = l.clone();
    }
    if let Some(v) = row.get(type_at + 2) {
        col.default = v.clone();
    }
    if matches!(col.part, Part::Measurement | Part::Time) {
        if col.default.is_empty() && !col.label.is_empty() {
            col.default = std::mem::take(&mut col.label);
            col.label = format!("{name} {}", col.dtype);
        } else if col.label.is_empty() {
            col.label = format!("{name} {}", col.dtype);
        }
    }
    col
}
