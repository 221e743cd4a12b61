//! The inputs of a run as the driver walks them: each opened when the producer reaches it,
//! its preamble read and its plan found ([`Plans`]: compiled once per distinct header, and per
//! path only when the schema reads the path), then handed over as a [`Job`] and the
//! [`Feed`] of its body.

use crate::chunker::Boundary;
use crate::mapguard::MappedFile;
use crate::pipeline::{Context, Feed, MakeConverter};
use crate::report::Counters;
use crate::EngineError;
use lpconvert_schema::{Format, Plan, Schema, SchemaError, Source};
use std::collections::HashMap;
use std::sync::Arc;

/// One input's conversion as the workers and the collector see it.
pub(crate) struct Job {
    /// Names, lines and header for messages and rejects.
    pub(crate) cx: Context,
    /// The mapped file, for a mapped input (pieces are ranges of it).
    pub(crate) map: Option<MappedFile>,
    /// The converter of its way of reading, shared with the inputs read alike.
    pub(crate) make: Arc<dyn MakeConverter>,
    /// How its records are cut.
    pub(crate) boundary: Boundary,
    /// Its target chunk size (smaller for plans that write several lines per record).
    pub(crate) chunk: usize,
    /// Remarks said before its first rows (e.g. a byte order mark ignored).
    pub(crate) notes: Vec<String>,
}

impl Job {
    /// The mapped data (empty for a stream).
    pub(crate) fn data(&self) -> &[u8] {
        self.map.as_deref().unwrap_or_default()
    }

    /// Whether it holds an open file until its last piece is collected (a file read whole
    /// is closed when read): only those count against the open-inputs bound.
    pub(crate) fn holds_file(&self) -> bool {
        !self.map.as_ref().is_some_and(MappedFile::is_read_whole)
    }

    /// Fails when the mapped file changed while it was read.
    pub(crate) fn check(&self) -> Result<(), EngineError> {
        match &self.map {
            Some(m) => m.check(&self.cx.name).map_err(EngineError::Input),
            None => Ok(()),
        }
    }
}

/// An input reached by the producer.
pub(crate) enum Prepared {
    /// A body to cut.
    Body { job: Arc<Job>, feed: Feed },
    /// Nothing to convert (an empty CSV): its name, remarks and counters.
    Empty {
        name: String,
        notes: Vec<String>,
        counters: Counters,
    },
    /// It cannot be opened or read, or its header does not fit the schema.
    Failed(EngineError),
}

/// The inputs of a run, in order, each prepared when reached.
pub(crate) trait Walk: Send {
    /// The next input; `None` after the last.
    fn next(&mut self) -> Option<Prepared>;
}

impl<F: FnMut() -> Option<Prepared> + Send> Walk for F {
    fn next(&mut self) -> Option<Prepared> {
        self()
    }
}

impl Walk for Option<Prepared> {
    fn next(&mut self) -> Option<Prepared> {
        self.take()
    }
}

/// Plans kept at once: inputs with more distinct headers than this compile again.
const KEPT_PLANS: usize = 256;

/// What a plan depends on: the way of reading (format, tab, JSON array), the header, and the
/// path when the schema reads it (`file = ...`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PlanKey {
    pub(crate) reading: (bool, bool, bool),
    pub(crate) header: Vec<String>,
    pub(crate) path: Option<String>,
}

/// The converters of a run's inputs, one per distinct [`PlanKey`], with their chunk size.
pub(crate) struct Plans {
    made: HashMap<PlanKey, (Arc<dyn MakeConverter>, usize)>,
    /// NDJSON plans (they depend on no header), by path when the schema reads it.
    json: HashMap<Option<String>, Arc<Plan>>,
    /// The converter found last, with its key.
    last: Option<(PlanKey, Arc<dyn MakeConverter>, usize)>,
    reads_path: bool,
}

impl Plans {
    /// The plans of a run with `schema`.
    pub(crate) fn new(schema: &Schema) -> Plans {
        Plans {
            made: HashMap::new(),
            json: HashMap::new(),
            last: None,
            reads_path: reads_path(schema),
        }
    }

    /// The converter of an input read as `reading` (`(ndjson, tab, array)`) with `header`,
    /// at `path`; made by `make` the first time. The last one found is looked at first, by
    /// comparing, so that a run of inputs with one header builds no key per input.
    pub(crate) fn get(
        &mut self,
        reading: (bool, bool, bool),
        header: &[String],
        path: Option<&str>,
        make: impl FnOnce() -> Result<(Arc<dyn MakeConverter>, usize), EngineError>,
    ) -> Result<(Arc<dyn MakeConverter>, usize), EngineError> {
        let path = path.filter(|_| self.reads_path);
        if let Some((k, m, chunk)) = &self.last {
            if k.reading == reading && k.header == header && k.path.as_deref() == path {
                return Ok((Arc::clone(m), *chunk));
            }
        }
        let key = PlanKey {
            reading,
            header: header.to_vec(),
            path: path.map(str::to_owned),
        };
        let made = match self.made.get(&key) {
            Some((m, chunk)) => (Arc::clone(m), *chunk),
            None => {
                let made = make()?;
                if self.made.len() >= KEPT_PLANS {
                    self.made.clear();
                }
                self.made.insert(key.clone(), (Arc::clone(&made.0), made.1));
                made
            }
        };
        self.last = Some((key, Arc::clone(&made.0), made.1));
        Ok(made)
    }
}

impl Plans {
    /// The NDJSON plan of an input at `path`, compiled by `compile` the first time.
    pub(crate) fn plan(
        &mut self,
        path: Option<&str>,
        compile: impl FnOnce() -> Result<Plan, SchemaError>,
    ) -> Result<Arc<Plan>, EngineError> {
        let key = path.filter(|_| self.reads_path).map(str::to_owned);
        if let Some(p) = self.json.get(&key) {
            return Ok(Arc::clone(p));
        }
        let plan = Arc::new(compile()?);
        if self.json.len() >= KEPT_PLANS {
            self.json.clear();
        }
        self.json.insert(key, Arc::clone(&plan));
        Ok(plan)
    }
}

/// Whether any entry of `schema` reads the input's path (`file = ...`): its plans then differ
/// per input.
fn reads_path(schema: &Schema) -> bool {
    let file = |s: &Source| matches!(s, Source::File(_));
    let keyed = |k: &lpconvert_schema::KeyKind| matches!(k, lpconvert_schema::KeyKind::FromData { source, .. } if file(source));
    file(&schema.measurement)
        || schema.timestamp.as_ref().is_some_and(|t| file(&t.source))
        || schema
            .tags
            .iter()
            .any(|t| file(&t.source) || keyed(&t.key_kind))
        || schema
            .fields
            .iter()
            .any(|f| file(&f.source) || keyed(&f.key_kind))
}

/// The way of reading of a format, for [`PlanKey`].
pub(crate) fn reading(format: Format, tab: bool, array: bool) -> (bool, bool, bool) {
    (format == Format::Ndjson, tab, array)
}
