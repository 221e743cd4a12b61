//! `e2e`: the end-to-end throughput benchmark of lpconvert (see benches/README.md).
//!
//! Builds lpconvert in release, generates the data sets when missing, warms the page cache,
//! checks that lpconvert converts the first records, runs the mmap path and the stdin path a few
//! times per data set and the polars peer once, and prints a Markdown table of MB/s, rows/s and
//! peak memory. A failing run (or check) is reported, not fatal.

use clap::Parser;
use lpconvert_benches::datagen::{self, Format, Limit, Shape};
use lpconvert_benches::measure::{self, Spec};
use lpconvert_benches::report::{self, Row, PEER};
use lpconvert_benches::{limits, many};
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// End-to-end benchmark: lpconvert (mmap and stdin paths) and the polars peer on generated data.
#[derive(Parser, Debug, Clone)]
#[command(name = "e2e")]
struct Args {
    /// Size of the data sets relative to full size (cpu CSV 1 GB, home CSV 200 MB, NDJSON twins
    /// with as many rows, wide CSV and nested NDJSON 1 GB); 0.1 for a quick run.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Data sets to run, comma-separated: cpu-csv, home-csv, cpu-ndjson, home-ndjson, and
    /// (several lines per record, not in the default list yet) wide-csv, nested-ndjson; and
    /// home-many: the home rows as 5,000 files of 200 rows beside the same rows in one file
    /// (fixed size; with the ratios of issue 21).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "cpu-csv,home-csv,cpu-ndjson,home-ndjson"
    )]
    datasets: Vec<String>,
    /// lpconvert paths to run, comma-separated: mmap (file argument), stdin.
    #[arg(long, value_delimiter = ',', default_value = "mmap,stdin")]
    paths: Vec<String>,
    /// Timed runs per data set and path (the table shows the best and the median).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// `--threads` for lpconvert (and POLARS_MAX_THREADS for the peer); default: all cores.
    #[arg(long)]
    threads: Option<usize>,
    /// The workspace root (schemas/ and the default data dir are found there).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/.."))]
    root: PathBuf,
    /// Where data sets are generated (default: ROOT/bench-data, git-ignored).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Use this lpconvert binary instead of building one.
    #[arg(long)]
    lpconvert: Option<PathBuf>,
    /// Do not build; use the release binary of the target dir (CARGO_TARGET_DIR or ROOT/target).
    #[arg(long)]
    no_build: bool,
    /// Run only the peer (no build, no lpconvert runs).
    #[arg(long)]
    peer_only: bool,
    /// Timed runs of the polars peer per data set; 0 skips the peer.
    #[arg(long, default_value_t = 1)]
    peer_runs: usize,
    /// Python of the peer's virtual environment (default: ROOT/.peers/bin/python).
    #[arg(long)]
    peer_python: Option<PathBuf>,
    /// The peer script (default: ROOT/../shared/bench-peers/polars_lp.py).
    #[arg(long)]
    peer_script: Option<PathBuf>,
    /// A run is killed after this many seconds.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// Interval of the RssAnon sampling, in milliseconds.
    #[arg(long, default_value_t = 5)]
    sample_ms: u64,
    /// The CSV data set of the limits table (plain, `-o`, `.gz`/`.zst` output and input
    /// beside dd, pigz and zstd; stdin at `--threads 64`); it need not be in --datasets.
    #[arg(long, default_value = "cpu-csv")]
    limits_dataset: String,
    /// Skip the limits table.
    #[arg(long)]
    no_limits: bool,
}

/// One data set: a generated file and the schema that converts it.
struct Dataset {
    name: String,
    shape: Shape,
    format: Format,
    file: PathBuf,
    schema: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("e2e: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    if !(args.scale > 0.0 && args.scale.is_finite()) {
        return Err(format!(
            "--scale must be a positive number, not {}",
            args.scale
        ));
    }
    if let Some(p) = args
        .paths
        .iter()
        .find(|p| !matches!(p.as_str(), "mmap" | "stdin"))
    {
        return Err(format!(
            "unknown path `{p}` in --paths: expected mmap or stdin"
        ));
    }
    let root = fs::canonicalize(&args.root).map_err(|e| format!("{}: {e}", args.root.display()))?;
    let args = &Args {
        root,
        ..args.clone()
    };
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| args.root.join("bench-data"));
    let many = args.datasets.iter().any(|d| d == many::NAME);
    let datasets = args
        .datasets
        .iter()
        .filter(|d| *d != many::NAME)
        .map(|d| dataset(args, &data_dir, d))
        .collect::<Result<Vec<_>, _>>()?;
    fs::create_dir_all(&data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    for d in &datasets {
        ensure_generated(args, d)?;
    }
    let lpconvert = if args.peer_only {
        Err("--peer-only".to_string())
    } else {
        lpconvert_binary(args)
    };
    let paths: &[String] = if args.peer_only { &[] } else { &args.paths };

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("# lpconvert end-to-end benchmark\n");
    println!(
        "- machine: {cores} cores ({}), load {}",
        cpu_model(),
        loadavg()
    );
    let threads = args
        .threads
        .map_or("all cores (default)".to_string(), |t| t.to_string());
    println!(
        "- threads: {threads}; runs: {} (peer: {})",
        args.runs, args.peer_runs
    );
    match &lpconvert {
        Ok(p) => println!(
            "- lpconvert: {} (commit {})",
            p.display(),
            git_commit(&args.root)
        ),
        Err(e) => println!("- lpconvert: unavailable ({e})"),
    }

    let mut rows = Vec::new();
    for d in &datasets {
        let bytes = fs::metadata(&d.file)
            .map_err(|e| format!("{}: {e}", d.file.display()))?
            .len();
        eprintln!("e2e: warming the page cache with {}", d.file.display());
        let lines = lpconvert_benches::count_newlines(&d.file)
            .map_err(|e| format!("{}: {e}", d.file.display()))?;
        let nrows = if d.format == Format::Csv {
            lines.saturating_sub(1)
        } else {
            lines
        };
        println!(
            "- {}: {} ({:.1} MB, {nrows} rows)",
            d.name,
            d.file.display(),
            bytes as f64 / 1e6
        );
        let checked = match &lpconvert {
            Ok(bin) if !paths.is_empty() => check_output(bin, d),
            _ => Ok(()),
        };
        for path in paths {
            let mut row = new_row(d, path, bytes, nrows);
            match (&lpconvert, &checked) {
                (Err(_), _) => row.failure = Some("no lpconvert binary".into()),
                (Ok(_), Err(e)) => row.failure = Some(e.clone()),
                (Ok(bin), Ok(())) => {
                    measure_runs(&mut row, args.runs, &lpconvert_spec(args, bin, d, path))
                }
            }
            rows.push(row);
        }
        if args.peer_runs > 0 {
            let mut row = new_row(d, PEER, bytes, nrows);
            match peer_spec(args, d) {
                Ok(spec) => measure_runs(&mut row, args.peer_runs, &spec),
                Err(e) => row.failure = Some(e),
            }
            rows.push(row);
        }
    }
    let mut ratios = None;
    if let (true, Ok(bin)) = (many, &lpconvert) {
        ratios = Some(many_files(args, &data_dir, bin, &mut rows)?);
    }
    println!("\n{}", report::table(&rows));
    if let Some(r) = ratios {
        println!("{r}");
    }
    if let (Ok(bin), false) = (&lpconvert, args.no_limits || args.peer_only) {
        limits_table(args, &data_dir, bin, cores)?;
    }
    println!(
        "load at the end: {} (1, 5, 15 min; other work skews the figures)",
        loadavg()
    );
    Ok(())
}

/// Runs the "many files" data set (the home rows as 5,000 files, and in one file) into
/// `rows`; returns the figures the issue asks: the time of the files over the one file's
/// (target: at most 1.3), and `--threads 1` over `--threads 2` on the files (at least 1.6).
fn many_files(
    args: &Args,
    data_dir: &Path,
    bin: &Path,
    rows: &mut Vec<Row>,
) -> Result<String, String> {
    let err = |e: io::Error| format!("{}: {e}", many::NAME);
    eprintln!("e2e: the {} data set", many::NAME);
    let (one, dir) = many::ensure(data_dir, args.seed).map_err(err)?;
    let bytes = many::dir_bytes(&dir).map_err(err)?;
    let one_bytes = fs::read(&one).map_err(err)?.len() as u64;
    let nrows = (many::FILES * many::ROWS_PER_FILE) as u64;
    println!(
        "- {}: {} ({} files of {} rows, {:.1} MB; one file {:.1} MB)",
        many::NAME,
        dir.display(),
        many::FILES,
        many::ROWS_PER_FILE,
        bytes as f64 / 1e6,
        one_bytes as f64 / 1e6
    );
    let schema = args.root.join("schemas").join("home.toml");
    let threads = args.threads.map(|t| t.to_string());
    let runs: [(&str, &Path, Option<&str>, u64); 4] = [
        ("one file", &one, threads.as_deref(), one_bytes),
        ("5000 files", &dir, threads.as_deref(), bytes),
        ("5000 files, --threads 1", &dir, Some("1"), bytes),
        ("5000 files, --threads 2", &dir, Some("2"), bytes),
    ];
    // The four are run in turn, run after run, so that a change of the machine's load
    // during the series weighs on each alike: the ratios compare runs made side by side.
    let mut series = Vec::new();
    for (label, input, t, size) in runs {
        let mut argv: Vec<OsString> = vec!["--schema".into(), schema.clone().into()];
        argv.extend([input.into(), "-o".into(), "/dev/null".into(), "-q".into()]);
        if let Some(t) = t {
            argv.extend(["--threads".into(), t.into()]);
        }
        let row = Row {
            dataset: many::NAME.into(),
            path: label.into(),
            bytes: size,
            rows: nrows,
            runs: Vec::new(),
            failure: None,
        };
        series.push((row, base_spec(args, bin.to_path_buf(), argv)));
    }
    let total = args.runs.max(1);
    for i in 0..total {
        for (row, spec) in series.iter_mut().filter(|(r, _)| r.failure.is_none()) {
            measure_once(row, i, total, spec);
        }
    }
    let mut walls = Vec::new();
    for (row, _) in series {
        walls.push(row.best_wall().map(|w| w.as_secs_f64()));
        rows.push(row);
    }
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "-".into(),
    };
    Ok(format!(
        "{}: 5000 files take {}x the time of one file (target <= 1.3); --threads 2 is {}x \
         faster than --threads 1 on them (target >= 1.6); best of {} runs each, run in turn",
        many::NAME,
        ratio(walls[1], walls[0]),
        ratio(walls[2], walls[3]),
        args.runs.max(1)
    ))
}

/// Runs and prints the limits table on `--limits-dataset`.
fn limits_table(args: &Args, data_dir: &Path, bin: &Path, cores: usize) -> Result<(), String> {
    let d = dataset(args, data_dir, &args.limits_dataset)?;
    if d.format != Format::Csv {
        return Err(format!("--limits-dataset {}: a CSV data set", d.name));
    }
    ensure_generated(args, &d)?;
    let bytes = fs::metadata(&d.file)
        .map_err(|e| format!("{}: {e}", d.file.display()))?
        .len();
    lpconvert_benches::count_newlines(&d.file).map_err(|e| format!("{}: {e}", d.file.display()))?;
    eprintln!("e2e: the limits table on {}", d.file.display());
    let rows = limits::run(&limits::Setup {
        lpconvert: bin.to_path_buf(),
        input: d.file.clone(),
        schema: d.schema.clone(),
        dir: data_dir.to_path_buf(),
        cores,
        runs: args.runs,
        timeout: Duration::from_secs(args.timeout),
    });
    println!(
        "\n## Paths and their limits: {} ({:.1} MB), {cores} cores ({}), best of {}\n",
        d.name,
        bytes as f64 / 1e6,
        cpu_model(),
        args.runs.max(1)
    );
    println!("{}", limits::table(&rows, bytes));
    Ok(())
}

/// The data set `SHAPE-FORMAT`. Its schema is `schemas/SHAPE.toml` for CSV or for a shape of
/// one format, `schemas/SHAPE-ndjson.toml` for the NDJSON twin of a CSV shape.
fn dataset(args: &Args, data_dir: &Path, name: &str) -> Result<Dataset, String> {
    let (shape, format) = name
        .split_once('-')
        .and_then(|(s, f)| Some((s.parse::<Shape>().ok()?, f.parse::<Format>().ok()?)))
        .ok_or_else(|| {
            format!(
                "unknown data set `{name}`: expected cpu-csv, home-csv, cpu-ndjson, home-ndjson, \
                 wide-csv or nested-ndjson"
            )
        })?;
    shape
        .check(format)
        .map_err(|e| format!("data set `{name}`: {e}"))?;
    let schema = match format {
        Format::Ndjson if shape.formats().len() > 1 => format!("{shape}-ndjson.toml"),
        _ => format!("{shape}.toml"),
    };
    let file = format!("{shape}-x{}-s{}.{}", args.scale, args.seed, format.ext());
    Ok(Dataset {
        name: format!("{shape}-{format}"),
        shape,
        format,
        file: data_dir.join(file),
        schema: args.root.join("schemas").join(schema),
    })
}

/// Generates the data set unless its file exists (written to a temporary name, then renamed, so
/// an interrupted generation is never taken for a complete one). A CSV is sized in bytes; an
/// NDJSON file has as many rows as its CSV twin, or is sized in bytes when it has none.
fn ensure_generated(args: &Args, d: &Dataset) -> Result<(), String> {
    if d.file.exists() {
        return Ok(());
    }
    let err = |e: io::Error| format!("generating {}: {e}", d.file.display());
    let csv_bytes = (datagen::default_size(d.shape, Format::Csv) as f64 * args.scale) as u64;
    let limit = match d.format {
        Format::Csv => Limit::Bytes(csv_bytes),
        Format::Ndjson if !d.shape.formats().contains(&Format::Csv) => {
            Limit::Bytes((datagen::default_size(d.shape, d.format) as f64 * args.scale) as u64)
        }
        Format::Ndjson => {
            let twin = datagen::generate(
                d.shape,
                Format::Csv,
                Limit::Bytes(csv_bytes),
                args.seed,
                &mut io::sink(),
            );
            Limit::Rows(twin.map_err(err)?.rows)
        }
    };
    eprintln!("e2e: generating {} ...", d.file.display());
    let start = Instant::now();
    let tmp = d.file.with_extension("tmp");
    let mut out = BufWriter::with_capacity(8 << 20, File::create(&tmp).map_err(err)?);
    let stats = datagen::generate(d.shape, d.format, limit, args.seed, &mut out).map_err(err)?;
    drop(out); // generate() flushed it
    fs::rename(&tmp, &d.file).map_err(err)?;
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "e2e: {} rows, {:.1} MB in {secs:.1} s ({:.0} MB/s)",
        stats.rows,
        stats.bytes as f64 / 1e6,
        stats.bytes as f64 / 1e6 / secs.max(1e-9)
    );
    Ok(())
}

/// The lpconvert binary: the one given, or a fresh release build, or (when the build fails or
/// is skipped) the release binary already in the target dir.
fn lpconvert_binary(args: &Args) -> Result<PathBuf, String> {
    if let Some(p) = &args.lpconvert {
        return if p.exists() {
            Ok(p.clone())
        } else {
            Err(format!("{} does not exist", p.display()))
        };
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| args.root.join("target"));
    let fallback = target_dir.join("release").join("lpconvert");
    if !args.no_build {
        eprintln!("e2e: cargo build --release -p lpconvert");
        match cargo_build(&args.root) {
            Ok(p) => return Ok(p),
            Err(e) => eprintln!("e2e: {e}"),
        }
    }
    if fallback.exists() {
        eprintln!("e2e: using the existing {}", fallback.display());
        Ok(fallback)
    } else {
        Err(format!(
            "not built, and {} does not exist",
            fallback.display()
        ))
    }
}

/// Runs the release build and returns the executable cargo reports for the `lpconvert` target.
fn cargo_build(root: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-p",
            "lpconvert",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(root)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let mut exe = None;
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if msg["reason"] == "compiler-artifact" && msg["target"]["name"] == "lpconvert" {
                if let Some(p) = msg["executable"].as_str() {
                    exe = Some(PathBuf::from(p));
                }
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for cargo: {e}"))?;
    match exe {
        Some(p) if status.success() => Ok(p),
        _ => Err(format!("the release build of lpconvert failed ({status})")),
    }
}

fn new_row(d: &Dataset, path: &str, bytes: u64, rows: u64) -> Row {
    Row {
        dataset: d.name.clone(),
        path: path.into(),
        bytes,
        rows,
        runs: Vec::new(),
        failure: None,
    }
}

fn base_spec(args: &Args, program: PathBuf, argv: Vec<OsString>) -> Spec {
    Spec {
        program,
        args: argv,
        stdin: None,
        env: Vec::new(),
        timeout: Duration::from_secs(args.timeout),
        sample_every: Duration::from_millis(args.sample_ms.max(1)),
    }
}

/// `lpconvert --schema S FILE -o /dev/null -q` (mmap) or `lpconvert --schema S --format F -q
/// < FILE > /dev/null` (stdin); `--threads N` when given.
fn lpconvert_spec(args: &Args, bin: &Path, d: &Dataset, path: &str) -> Spec {
    let mut argv: Vec<OsString> = vec!["--schema".into(), d.schema.clone().into()];
    if path == "mmap" {
        argv.extend([d.file.clone().into(), "-o".into(), "/dev/null".into()]);
    } else {
        argv.extend(["--format".into(), d.format.ext().into()]);
    }
    argv.push("-q".into());
    if let Some(t) = args.threads {
        argv.extend(["--threads".into(), t.to_string().into()]);
    }
    let mut spec = base_spec(args, bin.to_path_buf(), argv);
    if path == "stdin" {
        spec.stdin = Some(d.file.clone());
    }
    spec
}

/// `python polars_lp.py SHAPE FILE /dev/null`, or why the peer cannot run.
fn peer_spec(args: &Args, d: &Dataset) -> Result<Spec, String> {
    let python = args
        .peer_python
        .clone()
        .unwrap_or_else(|| args.root.join(".peers/bin/python"));
    let script = args
        .peer_script
        .clone()
        .unwrap_or_else(|| args.root.join("../shared/bench-peers/polars_lp.py"));
    if !python.exists() {
        return Err(format!(
            "no {} (python3 -m venv .peers && .peers/bin/pip install polars)",
            python.display()
        ));
    }
    if !script.exists() {
        return Err(format!("no {}", script.display()));
    }
    let argv = vec![
        script.into(),
        d.shape.name().into(),
        d.file.clone().into(),
        "/dev/null".into(),
    ];
    let mut spec = base_spec(args, python, argv);
    if let Some(t) = args.threads {
        spec.env.push(("POLARS_MAX_THREADS".into(), t.to_string()));
    }
    Ok(spec)
}

/// Records converted by [`check_output`] before the timed runs.
const CHECK_RECORDS: usize = 200;

/// Converts the first records of the data set through stdin and checks that each wrote at least
/// one line (every record of every data set does). A run that converts nothing is not a
/// throughput: a binary that does not know `*` sources reads `/readings/*/v` as a member named
/// `*`, skips every record and exits 0. A schema error fails here as in the timed runs.
fn check_output(bin: &Path, d: &Dataset) -> Result<(), String> {
    let file = File::open(&d.file).map_err(|e| format!("{}: {e}", d.file.display()))?;
    let mut sample = Vec::new();
    let header = usize::from(d.format == Format::Csv);
    let mut taken = 0;
    for line in BufReader::new(file)
        .split(b'\n')
        .take(CHECK_RECORDS + header)
    {
        sample.extend(line.map_err(|e| format!("{}: {e}", d.file.display()))?);
        sample.push(b'\n');
        taken += 1;
    }
    let records = taken - header.min(taken);
    let mut cmd = Command::new(bin);
    cmd.args(["--format", d.format.ext(), "-q", "--schema"])
        .arg(&d.schema)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let stdin = child.stdin.take();
    // Written from a thread: the output of a few hundred records can exceed a pipe's buffer.
    let writer = std::thread::spawn(move || {
        if let Some(mut w) = stdin {
            // A write error is the child having exited, reported by its status below.
            let _ = w.write_all(&sample);
        }
    });
    let out = child
        .wait_with_output()
        .map_err(|e| format!("waiting for {}: {e}", bin.display()))?;
    let _ = writer.join();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let status = out
            .status
            .code()
            .map_or(out.status.to_string(), |c| format!("exit {c}"));
        return Err(format!("{status}: {}", stderr.trim()));
    }
    let written = out.stdout.iter().filter(|&&b| b == b'\n').count();
    if written < records {
        return Err(format!(
            "wrote {written} lines for the first {records} records (each writes at least \
             one): this lpconvert does not convert the schema's sources (`*` sources need issue 12)"
        ));
    }
    Ok(())
}

/// Runs `spec` `runs` times into `row`; the first failure is recorded and ends the series.
fn measure_runs(row: &mut Row, runs: usize, spec: &Spec) {
    for i in 0..runs {
        if !measure_once(row, i, runs, spec) {
            return;
        }
    }
}

/// Runs `spec` once (run `i` of `runs`) into `row`; false when it failed (recorded in `row`).
fn measure_once(row: &mut Row, i: usize, runs: usize, spec: &Spec) -> bool {
    eprint!(
        "e2e: {} {} run {}/{runs} ... ",
        row.dataset,
        row.path,
        i + 1
    );
    let _ = io::stderr().flush();
    match measure::run(spec) {
        Ok(m) if m.ok() => {
            let mb_s = row.bytes as f64 / 1e6 / m.wall.as_secs_f64();
            eprintln!("{:.3} s, {mb_s:.0} MB/s", m.wall.as_secs_f64());
            row.runs.push(m);
            true
        }
        Ok(m) => {
            eprintln!("failed: {}", m.failure());
            row.failure = Some(m.failure());
            false
        }
        Err(e) => {
            eprintln!("cannot run {}: {e}", spec.program.display());
            row.failure = Some(format!("cannot run: {e}"));
            false
        }
    }
}

/// The CPU model from /proc/cpuinfo, or "unknown CPU".
fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// `git describe --always --dirty` of the workspace, or "unknown".
fn git_commit(root: &Path) -> String {
    Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .current_dir(root)
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The 1, 5 and 15 minute load averages from /proc/loadavg.
fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
