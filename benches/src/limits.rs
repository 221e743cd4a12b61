//! The "where users feel it" table of the end-to-end benchmark: each path of lpconvert (plain,
//! `-o FILE`, compressed output, compressed input, stdin with many threads) beside what the
//! same machine allows for the same bytes (`dd`, `pigz`, `zstd`), measured in the same run.
//! A peer that is not installed is named in the table, not run.

use crate::measure::{self, Measurement, Spec};
use std::ffi::OsString;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The peak RSS lpconvert must stay under at `--threads 64` on stdin.
pub const RSS_LIMIT: u64 = 256 << 20;

/// What the table needs to run.
pub struct Setup {
    /// The lpconvert binary.
    pub lpconvert: PathBuf,
    /// The CSV input (uncompressed) and its schema.
    pub input: PathBuf,
    /// Its schema.
    pub schema: PathBuf,
    /// Where the compressed inputs and the outputs go.
    pub dir: PathBuf,
    /// Cores of the machine (`pigz -p`, `zstd -T`).
    pub cores: usize,
    /// Timed runs of each command (the best counts).
    pub runs: usize,
    /// A run is killed after this long.
    pub timeout: Duration,
}

/// One figure: wall seconds (or MiB of RSS) and the CPU seconds of the same run.
#[derive(Debug, Clone, Copy)]
pub struct Fig {
    /// Wall seconds, or MiB.
    pub value: f64,
    /// User + system CPU seconds (of every process, for a sum of two commands).
    pub cpu: f64,
}

/// A figure, or why it was not measured.
pub type Figure = Result<Fig, String>;

/// One row: lpconvert's figure and the limit's.
pub struct LimitRow {
    /// The path measured.
    pub path: String,
    /// lpconvert: seconds (or MiB of RSS), or why not measured.
    pub ours: Figure,
    /// The limit: seconds (or MiB), or why not measured; `None` when there is none.
    pub limit: Option<Figure>,
    /// What the limit is.
    pub what: String,
    /// The figure's unit: `s` or `MiB`.
    pub unit: &'static str,
}

/// Whether `program` runs (`--version` exits 0).
fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn spec(s: &Setup, program: impl Into<PathBuf>, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Spec {
    Spec {
        program: program.into(),
        args: args
            .iter()
            .map(|a| OsString::from(a.as_ref()))
            .collect::<Vec<_>>(),
        stdin: None,
        env: Vec::new(),
        timeout: s.timeout,
        sample_every: Duration::from_millis(5),
    }
}

/// The best of `runs` runs of `spec` (`pick` chooses the figure: wall seconds or RSS) with
/// that run's CPU time.
fn best(runs: usize, spec: &Spec, pick: fn(&Measurement) -> f64) -> Figure {
    let mut best: Option<Fig> = None;
    for _ in 0..runs.max(1) {
        let m = measure::run(spec).map_err(|e| format!("cannot run: {e}"))?;
        if !m.ok() {
            return Err(m.failure());
        }
        let f = Fig {
            value: pick(&m),
            cpu: m.cpu.as_secs_f64(),
        };
        if best.is_none_or(|b| f.value < b.value) {
            best = Some(f);
        }
    }
    best.ok_or_else(|| "no run".to_string())
}

fn wall(m: &Measurement) -> f64 {
    m.wall.as_secs_f64()
}

fn rss_mib(m: &Measurement) -> f64 {
    m.max_rss as f64 / (1 << 20) as f64
}

/// The sum of two results (a pipeline of two commands run one after the other).
fn sum(a: &Figure, b: Figure) -> Figure {
    match (a, &b) {
        (Ok(a), Ok(b)) => Ok(Fig {
            value: a.value + b.value,
            cpu: a.cpu + b.cpu,
        }),
        (Err(e), _) | (_, Err(e)) => Err(e.clone()),
    }
}

/// Makes `dest` from `src` with `program args... src` (kept when it exists: inputs are
/// compressed once per data set).
fn compressed_input(program: &str, args: &[&str], src: &Path, dest: &Path) -> Result<(), String> {
    if dest.exists() {
        return Ok(());
    }
    let tmp = dest.with_extension("tmp");
    let out = std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let status = Command::new(program)
        .args(args)
        .arg(src)
        .stdout(out)
        .status()
        .map_err(|e| format!("{program}: {e}"))?;
    if !status.success() {
        return Err(format!("{program} failed ({status})"));
    }
    std::fs::rename(&tmp, dest).map_err(|e| format!("{}: {e}", dest.display()))
}

/// Runs every row of the table.
pub fn run(s: &Setup) -> Vec<LimitRow> {
    let cores = s.cores.max(1).to_string();
    let missing = |p: &str| format!("{p} not installed (apt-get install {p})");
    let (pigz, zstd) = (have("pigz"), have("zstd"));
    let lp = |extra: &[&dyn AsRef<std::ffi::OsStr>]| {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"--schema", &s.schema, &"-q"];
        args.extend_from_slice(extra);
        spec(s, &s.lpconvert, &args)
    };
    let out = |name: &str| s.dir.join(name);
    let (plain_out, copy_out) = (out("e2e-out.lp"), out("e2e-copy.lp"));
    let (gz_out, zst_out) = (out("e2e-out.lp.gz"), out("e2e-out.lp.zst"));
    let mut rows = Vec::new();

    let plain = best(s.runs, &lp(&[&s.input, &"-o", &"/dev/null"]), wall);
    rows.push(LimitRow {
        path: "plain, to /dev/null".into(),
        ours: plain,
        limit: None,
        what: String::new(),
        unit: "s",
    });

    let to_file = best(s.runs, &lp(&[&s.input, &"-o", &plain_out]), wall);
    let of = format!("of={}", copy_out.display());
    let iff = format!("if={}", plain_out.display());
    let dd = best(
        s.runs,
        &spec(
            s,
            "dd",
            &[&iff, &of, &"bs=4M", &"conv=fsync", &"status=none"],
        ),
        wall,
    );
    rows.push(LimitRow {
        path: "`-o out.lp`".into(),
        ours: to_file.clone(),
        limit: Some(dd),
        what: "`dd` writing the same bytes (conv=fsync, as lpconvert syncs)".into(),
        unit: "s",
    });

    let gz = best(s.runs, &lp(&[&s.input, &"-o", &gz_out]), wall);
    let pigz_out = if pigz {
        let a: [&dyn AsRef<std::ffi::OsStr>; 6] = [&"-p", &cores, &"-6", &"-k", &"-f", &plain_out];
        sum(&to_file, best(s.runs, &spec(s, "pigz", &a), wall))
    } else {
        Err(missing("pigz"))
    };
    rows.push(LimitRow {
        path: "`-o out.lp.gz` (level 6)".into(),
        ours: gz,
        limit: Some(pigz_out),
        what: format!("convert to a file + `pigz -p {cores} -6` of its output"),
        unit: "s",
    });

    let zst = best(s.runs, &lp(&[&s.input, &"-o", &zst_out]), wall);
    let zstd_out = if zstd {
        let t = format!("-T{cores}");
        let a: [&dyn AsRef<std::ffi::OsStr>; 7] =
            [&"-q", &"-f", &t, &"-3", &plain_out, &"-o", &zst_out];
        sum(&to_file, best(s.runs, &spec(s, "zstd", &a), wall))
    } else {
        Err(missing("zstd"))
    };
    rows.push(LimitRow {
        path: "`-o out.lp.zst` (level 3)".into(),
        ours: zst,
        limit: Some(zstd_out),
        what: format!("convert to a file + `zstd -T{cores} -3` of its output"),
        unit: "s",
    });

    // Compressed inputs, each beside its decompressor alone: (tool, extension, how the input
    // is made, the row).
    for (tool, ext, make, path) in [
        ("pigz", "gz", &["-6", "-c"][..], "`.csv.gz` input"),
        (
            "zstd",
            "zst",
            &["-q", "-3", "-c", "-T0"][..],
            "`.csv.zst` input",
        ),
    ] {
        let input = out(&format!("{}.{ext}", file_name(&s.input)));
        let made = if have(tool) {
            compressed_input(tool, make, &s.input, &input)
        } else {
            Err(missing(tool))
        };
        let (ours, limit) = match made {
            Ok(()) => (
                best(s.runs, &lp(&[&input, &"-o", &"/dev/null"]), wall),
                best(s.runs, &spec(s, tool, &[&"-dc", &input]), wall),
            ),
            Err(e) => (Err(e.clone()), Err(e)),
        };
        rows.push(LimitRow {
            path: path.into(),
            ours,
            limit: Some(limit),
            what: format!("`{tool} -dc` alone"),
            unit: "s",
        });
    }

    let mut stdin = lp(&[&"--format", &"csv", &"--threads", &"64"]);
    stdin.stdin = Some(s.input.clone());
    rows.push(LimitRow {
        path: "stdin, `--threads 64`: peak RSS".into(),
        ours: best(1, &stdin, rss_mib),
        limit: Some(Ok(Fig {
            value: RSS_LIMIT as f64 / (1 << 20) as f64,
            cpu: 0.0,
        })),
        what: "the contract: at most 256 MiB whatever the input".into(),
        unit: "MiB",
    });
    for f in [&plain_out, &copy_out, &gz_out, &zst_out] {
        let _ = std::fs::remove_file(f);
    }
    let _ = std::fs::remove_file(with_gz(&plain_out));
    rows
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map_or_else(|| "input".into(), |n| n.to_string_lossy().into_owned())
}

fn with_gz(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".gz");
    PathBuf::from(s)
}

/// The Markdown table of `rows`; `bytes` is the input's size (for MB/s). Beside the wall
/// time, the CPU time of the same run: on a machine shared with other work, the CPU ratio is
/// the steadier one.
pub fn table(rows: &[LimitRow], bytes: u64) -> String {
    let fig = |r: &Figure, unit: &str| match r {
        Ok(f) if unit == "s" => format!(
            "{:.2} s ({:.0} MB/s; CPU {:.2} s)",
            f.value,
            bytes as f64 / 1e6 / f.value,
            f.cpu
        ),
        Ok(f) => format!("{:.0} {unit}", f.value),
        Err(e) => format!("- ({e})"),
    };
    let mut t = String::from(
        "| path | lpconvert | the limit on the same machine | limit | lpconvert / limit |\n\
         |---|--:|---|--:|--:|\n",
    );
    for r in rows {
        let (limit, ratio) = match &r.limit {
            None => (String::new(), String::new()),
            Some(l) => (
                fig(l, r.unit),
                match (&r.ours, l) {
                    (Ok(a), Ok(b)) if b.value > 0.0 && r.unit == "s" && b.cpu > 0.0 => {
                        format!("{:.2}x (CPU {:.2}x)", a.value / b.value, a.cpu / b.cpu)
                    }
                    (Ok(a), Ok(b)) if b.value > 0.0 => format!("{:.2}x", a.value / b.value),
                    _ => "-".into(),
                },
            ),
        };
        let _ = writeln!(
            t,
            "| {} | {} | {} | {limit} | {ratio} |",
            r.path,
            fig(&r.ours, r.unit),
            r.what
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_each_figure_its_limit_and_the_ratio() {
        let rows = [
            LimitRow {
                path: "plain".into(),
                ours: Ok(Fig {
                    value: 0.5,
                    cpu: 0.9,
                }),
                limit: None,
                what: String::new(),
                unit: "s",
            },
            LimitRow {
                path: "gz".into(),
                ours: Ok(Fig {
                    value: 2.0,
                    cpu: 3.0,
                }),
                limit: Some(Ok(Fig {
                    value: 4.0,
                    cpu: 6.0,
                })),
                what: "pigz".into(),
                unit: "s",
            },
            LimitRow {
                path: "rss".into(),
                ours: Ok(Fig {
                    value: 100.0,
                    cpu: 1.0,
                }),
                limit: Some(Err("zstd not installed".into())),
                what: "x".into(),
                unit: "MiB",
            },
        ];
        let t = table(&rows, 100_000_000);
        assert!(
            t.contains("| plain | 0.50 s (200 MB/s; CPU 0.90 s) |  |  |  |"),
            "{t}"
        );
        assert!(t.contains(
            "| gz | 2.00 s (50 MB/s; CPU 3.00 s) | pigz | 4.00 s (25 MB/s; CPU 6.00 s) | \
             0.50x (CPU 0.50x) |"
        ));
        assert!(t.contains("| rss | 100 MiB | x | - (zstd not installed) | - |"));
    }
}
