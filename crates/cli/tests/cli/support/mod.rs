//! Helpers shared by every module: running the built `lpconvert` (to its end, within a time
//! limit, with a signal), temporary directories and files, reading what a run left, and the
//! servers (`fault_server`: a fault-injecting HTTP server; `servers`: real InfluxDB 1.x and
//! VictoriaMetrics processes).

mod fault_server;
mod servers;

pub use fault_server::{FaultServer, Reply, Seen};
pub use servers::{
    free_port, http_get, influx_query, start_influxdb, start_influxdb_with, start_victoria_metrics,
    ServerProcess,
};

use std::io::{Read, Write};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_lpconvert");

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The workspace's `testdata/` directory.
pub fn testdata() -> PathBuf {
    root().join("testdata")
}

/// `lpconvert` without the authentication variables of the environment (INFLUX_TOKEN,
/// INFLUX_PASSWORD), ready for arguments.
pub fn lpconvert_command() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("INFLUX_TOKEN").env_remove("INFLUX_PASSWORD");
    cmd
}

/// Runs `lpconvert SUBCOMMAND ARGS` to its end with stdin closed, without the authentication
/// variables of the environment, then with `env` set.
pub fn run_lpconvert(subcommand: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = lpconvert_command();
    cmd.arg(subcommand).args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run lpconvert")
}

/// Runs `lpconvert ARGS` (the subcommand, if any, in ARGS) to its end with stdin closed.
pub fn lpconvert(args: &[&str]) -> Output {
    lpconvert_command()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run lpconvert")
}

/// An argument list written as the command line reads: the words of `template` (split at
/// spaces), each `{}` replaced by the next of `values`: `argv("--db d --report {} {}", &[rep, file])`.
pub fn argv<'a>(template: &'a str, values: &[&'a str]) -> Vec<&'a str> {
    let mut values = values.iter();
    let args: Vec<&str> = template
        .split_whitespace()
        .map(|w| match w {
            "{}" => values.next().expect("a value for each {}"),
            w => w,
        })
        .collect();
    assert!(
        values.next().is_none(),
        "more values than {{}} in {template:?}"
    );
    args
}

/// Runs `lpconvert replay ARGS` to its end.
pub fn replay(args: &[&str]) -> Output {
    run_lpconvert("replay", args, &[])
}

/// Runs `lpconvert replay ARGS` to its end with `env` set.
pub fn replay_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    run_lpconvert("replay", args, env)
}

/// Runs `lpconvert bench ARGS` to its end.
pub fn bench(args: &[&str]) -> Output {
    run_lpconvert("bench", args, &[])
}

/// Runs `lpconvert ARGS` in `dir`, feeding `stdin` (closed when `None`).
pub fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = lpconvert_command()
        .args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lpconvert");
    if let Some(data) = stdin {
        let mut w = child.stdin.take().expect("stdin");
        let data = data.to_vec();
        // Write from a thread so a large input cannot deadlock against a full stdout pipe.
        std::thread::spawn(move || {
            let _ = w.write_all(&data);
        });
    }
    child.wait_with_output().expect("wait for lpconvert")
}

/// Starts `lpconvert ARGS` with stdin closed and stdout and stderr piped, without the
/// authentication variables of the environment.
pub fn spawn_lpconvert(args: &[&str]) -> Child {
    lpconvert_command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lpconvert")
}

/// Polls `done` every `poll` until it holds or `limit` has passed.
pub fn wait_until(limit: Duration, poll: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() && start.elapsed() < limit {
        std::thread::sleep(poll);
    }
}

/// Runs `lpconvert --schema s.toml ARGS` in `dir` with stdin closed.
pub fn convert_in(dir: &Path, args: &[&str]) -> Output {
    run_in(dir, &[&["--schema", "s.toml"], args].concat(), None)
}

/// Runs `lpconvert replay ARGS` with stdin closed; kills it after `limit` (returns None then).
pub fn replay_within(args: &[&str], limit: Duration) -> Option<Output> {
    let mut child = spawn_lpconvert(&[&["replay"], args].concat());
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    None
}

/// Starts `lpconvert ARGS` (stderr discarded), lets it run for `after`, then kills it (SIGKILL)
/// and waits for it.
pub fn kill_after(args: &[String], after: Duration) {
    let mut child = Command::new(BIN)
        .args(args)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

/// Sends `signal` (a name such as `TERM`) to process `pid` with kill(1).
pub fn send_signal(pid: u32, signal: &str) {
    assert!(Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap()
        .success());
}

/// Bytes as text (invalid UTF-8 replaced).
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A command's stderr as text.
pub fn stderr(o: &Output) -> String {
    text(&o.stderr)
}

/// A command's stdout as text.
pub fn stdout(o: &Output) -> String {
    text(&o.stdout)
}

/// A command's exit status (-1 when a signal ended it).
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Asserts that a command ended with exit status `want`; the message shows its stderr.
pub fn assert_exit(o: &Output, want: i32) {
    assert_eq!(o.status.code(), Some(want), "{}", stderr(o));
}

/// Asserts that a command said `message` on stderr; the message shows its stderr.
pub fn assert_stderr_has(o: &Output, message: &str) {
    let err = stderr(o);
    assert!(err.contains(message), "{err}");
}

/// The whole of a gzip stream (every member).
pub fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

/// `data` as one gzip member.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).expect("gzip");
    gz.finish().expect("gzip")
}

/// The JSON report written to `path`.
pub fn report(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("report written"))
        .expect("report is JSON")
}

/// Writes `text` to `dir/name`; returns the path as a string.
pub fn write_text(dir: &TempDir, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// Writes `data` to `dir/name`; returns `name` (for a command run in `dir`).
pub fn write_in(dir: &Path, name: &str, data: impl AsRef<[u8]>) -> String {
    std::fs::write(dir.join(name), data).expect("write file");
    name.to_string()
}

/// A fresh temporary directory `name` holding the schema `s.toml` and the input `a.csv` (for
/// `convert_in`).
pub fn schema_and_csv(name: &str, schema: &str, csv: impl AsRef<[u8]>) -> TempDir {
    let dir = TempDir::new(name);
    write_in(&dir, "s.toml", schema);
    write_in(&dir, "a.csv", csv);
    dir
}

/// Writes `lines`, each ended by LF, to `dir/name`; returns the path as a string.
pub fn write_lines(dir: &TempDir, name: &str, lines: &[String]) -> String {
    write_text(dir, name, &(lines.join("\n") + "\n"))
}

/// `n` distinct lines with distinct timestamps (seconds).
pub fn points(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("m,host=h{} value={}i {}", i % 7, i, 1_600_000_000 + i))
        .collect()
}

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates `$TMPDIR/lpconvert-test-NAME-PID-N`.
    pub fn new(name: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p =
            std::env::temp_dir().join(format!("lpconvert-test-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A path named `name` in a fresh temporary directory that outlives the test (the file may be
/// read after its maker returns).
pub fn scratch_file(name: &str) -> PathBuf {
    let dir = TempDir::new("scratch");
    let path = dir.join(name);
    std::mem::forget(dir);
    path
}
