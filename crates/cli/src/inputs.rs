//! Line-protocol inputs of `replay` and `bench --from`, opened by the engine's input layer
//! (paths, stdin, FIFOs, decompression, the watch for change while read) and handed to the
//! send crate as [`Source`]s, which cuts them into blocks of whole lines.

use anyhow::Context;
use lpconvert_engine::input::{self, Watching};
use lpconvert_send::input::{BlockReader, Identity, Open, Opened, SeekRead, Source, Watch};
use std::io;
use std::path::Path;

/// How replay reports a file that changed while read (after the input's name).
pub(crate) const REPLAY: Watching = Watching {
    stdin: false,
    named: false,
    advice: "what was sent was read before the change; replay a copy, or wait until the \
             writer is done",
};

/// How bench reports a `--from` file that changed while read.
const BENCH: Watching = Watching {
    stdin: false,
    named: true,
    advice: "nothing was sent; bench a copy, or wait until the writer is done",
};

/// A line-protocol input named on the command line (`-` for stdin).
struct LineProtocol {
    arg: String,
    watching: Watching,
}

impl Open for LineProtocol {
    fn open(&self) -> io::Result<Opened> {
        let stream = input::open_stream(&self.arg, self.watching)?;
        Ok(Opened {
            reader: input::refuse_utf16(&stream.name, stream.reader)?,
            pipe: stream.pipe,
            watch: stream.watch.map(|w| Watch::new(move || w.check())),
        })
    }

    fn identity(&self) -> io::Result<Identity> {
        identity(Path::new(&self.arg))
    }

    fn is_stdin(&self) -> bool {
        input::is_stdin(&self.arg)
    }

    fn size(&self) -> Option<u64> {
        input::plain_size(&self.arg)
    }

    fn open_seekable(&self) -> Option<io::Result<Box<dyn SeekRead>>> {
        input::open_plain(&self.arg).map(|f| f.map(|f| Box::new(f) as Box<dyn SeekRead>))
    }
}

/// A `replay` input: `-` is stdin, anything else a path.
pub fn line_protocol(arg: &str) -> Source {
    source(arg, REPLAY)
}

fn source(arg: &str, watching: Watching) -> Source {
    let name = if input::is_stdin(arg) { "<stdin>" } else { arg };
    Source::new(
        name,
        LineProtocol {
            arg: arg.to_string(),
            watching,
        },
    )
}

/// What identifies the regular file at `path` across runs, for `--checkpoint`.
pub fn identity(path: &Path) -> io::Result<Identity> {
    input::identify(path).map(send_identity)
}

/// The engine's identity of a file as the send crate keeps it in a checkpoint.
pub fn send_identity(id: input::FileIdentity) -> Identity {
    Identity {
        path: id.path,
        size: id.size,
        mtime_ns: id.mtime_ns,
        head_hash: id.head_hash,
    }
}

/// Most bytes of a line-protocol `--from` file kept in memory.
const MAX_SAMPLE_BYTES: usize = 512 << 20;

/// Reads up to [`MAX_SAMPLE_BYTES`] of a line-protocol `bench --from` file (decompressed),
/// cut after the last whole line. A line longer than the replay's limit is an error (no
/// line end found: `/dev/zero`), and so is a regular file that changes while it is read (a
/// cut line would be looped as data).
pub fn read_sample(path: &Path) -> anyhow::Result<Vec<u8>> {
    let arg = path.to_string_lossy();
    let mut reader = BlockReader::open(&source(&arg, BENCH), 0)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let watch = reader.take_watch();
    let mut data = Vec::new();
    while let Some(block) = reader.next_block().map_err(|e| read_error(path, e))? {
        let bytes = block.bytes();
        let room = MAX_SAMPLE_BYTES - data.len();
        if bytes.len() < room {
            data.extend_from_slice(bytes);
            continue;
        }
        // Full: cut after the last whole line.
        data.extend_from_slice(&bytes[..room]);
        let end = data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        data.truncate(end);
        break;
    }
    if let Some(w) = watch {
        w.check()?;
    }
    Ok(data)
}

/// A read error of `bench --from`: a change while read names the file already.
fn read_error(path: &Path, e: io::Error) -> anyhow::Error {
    let named = e
        .get_ref()
        .is_some_and(|inner| inner.is::<input::Changed>());
    if named {
        e.into()
    } else {
        anyhow::Error::new(e).context(format!("cannot read {}", path.display()))
    }
}

/// What a directory contributes to a replay or a verify: line protocol, or with a schema
/// what `--format` says (the schema itself is read later).
pub fn sent_accepts(schema: Option<&Path>, format: Option<&str>) -> input::list::Accept {
    use input::list::Accept;
    match (schema, format) {
        (None, _) => Accept::LineProtocol,
        (Some(_), Some("csv")) => Accept::Csv,
        (Some(_), Some("ndjson")) => Accept::Ndjson,
        (Some(_), _) => Accept::Data,
    }
}

/// Where convert, check and replay find their inputs besides the INPUT arguments.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ListArgs {
    /// Read input paths from FILE (`-` for stdin), one per line (blank lines ignored), after
    /// the INPUT arguments; a directory listed stands for the files below it.
    #[arg(long, value_name = "FILE")]
    pub files_from: Option<String>,
    /// With --files-from: the paths are separated by NUL bytes (`find -print0`).
    #[arg(short = '0', long = "null", requires = "files_from")]
    pub null: bool,
    /// Say how many inputs were listed, and how many files in the directories given were
    /// left out because of their names.
    #[arg(short, long)]
    pub verbose: bool,
    #[command(flatten)]
    pub shard: crate::shard::ShardArgs,
}

/// The inputs of a run: the INPUT arguments and `--files-from` expanded by the engine's
/// listing (directories, globs quoted for lpconvert, lists), files taken as `accept` says.
pub fn list(
    args: &[String],
    l: &ListArgs,
    accept: input::list::Accept,
) -> anyhow::Result<Vec<String>> {
    let from = l
        .files_from
        .as_deref()
        .map(|path| input::list::FilesFrom { path, nul: l.null });
    let listing = input::list::list_inputs(args, from, accept, &mut io::stdin().lock())?;
    // Said even without -v: these may hold data the run does not read.
    for path in listing.unread.iter().take(5) {
        note!(
            "lpconvert: {path}: not read (a link to a directory is not followed; a FIFO, socket or dangling link is no file): name it as an input to read it"
        );
    }
    if listing.unread.len() > 5 {
        note!(
            "lpconvert: ... and {} more entries of the directories given not read",
            thousands(listing.unread.len() as u64 - 5)
        );
    }
    if l.verbose {
        note!(
            "lpconvert: {} inputs listed; {} files in the directories given left out (not named {})",
            thousands(listing.paths.len() as u64),
            thousands(listing.skipped),
            accept.names()
        );
    }
    Ok(listing.paths)
}

/// `n` with a comma between thousands (`4,998`).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
