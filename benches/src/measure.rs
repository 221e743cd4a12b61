//! Runs one command and measures it: wall time, CPU time, peak RSS and peak anonymous memory.
//!
//! - Peak RSS is `ru_maxrss` from `wait4(2)` (what `/usr/bin/time -v` prints as "Maximum resident
//!   set size"). For a process that memory-maps its input it includes the mapped file pages it
//!   touched, so it says little about the memory the process allocates.
//! - Peak anonymous memory is the largest `RssAnon` of `/proc/PID/status` seen by a sampler thread
//!   every few milliseconds: heap, stacks and other private memory, mapped file pages excluded. A
//!   peak shorter than the sampling interval can be missed.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// What to run and how to watch it.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// A file to connect to its standard input (otherwise `/dev/null`).
    pub stdin: Option<PathBuf>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Killed (SIGKILL) after this long.
    pub timeout: Duration,
    /// How often `RssAnon` is sampled.
    pub sample_every: Duration,
}

/// How the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exited with this status.
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
    /// Killed by us after the timeout.
    TimedOut,
}

/// What one run measured. Standard output always goes to `/dev/null`.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// How it ended.
    pub outcome: Outcome,
    /// From spawn to reaping.
    pub wall: Duration,
    /// User plus system CPU time.
    pub cpu: Duration,
    /// `ru_maxrss` in bytes.
    pub max_rss: u64,
    /// The largest `RssAnon` sampled, in bytes (0 when no sample was taken).
    pub max_anon: u64,
    /// The last few KiB of its standard error, lossily decoded.
    pub stderr_tail: String,
}

impl Measurement {
    /// True when the process exited with status 0.
    pub fn ok(&self) -> bool {
        self.outcome == Outcome::Exited(0)
    }

    /// A one-line description of a failure: the outcome and the last line of stderr that
    /// mentions an error (else its last line).
    pub fn failure(&self) -> String {
        let what = match self.outcome {
            Outcome::Exited(c) => format!("exit {c}"),
            Outcome::Signaled(s) => format!("signal {s}"),
            Outcome::TimedOut => "timed out".to_string(),
        };
        // The last line naming an error, else the last line (clap ends with a "try --help").
        let lines = || self.stderr_tail.lines().rev().map(str::trim);
        let last = lines()
            .find(|l| l.to_ascii_lowercase().contains("error"))
            .or_else(|| lines().find(|l| !l.is_empty()));
        match last {
            Some(l) => format!("{what}: {}", l.trim()),
            None => what,
        }
    }
}

const STDERR_TAIL: usize = 4096;

/// Runs `spec` to completion, measuring it. Errors are failures to start or to wait.
pub fn run(spec: &Spec) -> io::Result<Measurement> {
    let mut cmd = Command::new(&spec.program);
    cmd.args(&spec.args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    match &spec.stdin {
        Some(p) => cmd.stdin(File::open(p)?),
        None => cmd.stdin(Stdio::null()),
    };
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let pid = child.id() as libc::pid_t;

    let stderr = child.stderr.take();
    let err_thread = thread::spawn(move || {
        let mut tail = Vec::new();
        if let Some(mut e) = stderr {
            let mut buf = [0u8; 8192];
            while let Ok(n) = e.read(&mut buf) {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > 2 * STDERR_TAIL {
                    tail.drain(..tail.len() - STDERR_TAIL);
                }
            }
        }
        let from = tail.len().saturating_sub(STDERR_TAIL);
        String::from_utf8_lossy(&tail[from..]).into_owned()
    });

    let done = Arc::new(AtomicBool::new(false));
    let timed_out = Arc::new(AtomicBool::new(false));
    let max_anon = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (done, timed_out, max_anon) = (done.clone(), timed_out.clone(), max_anon.clone());
        let (every, timeout) = (spec.sample_every, spec.timeout);
        let status_path = format!("/proc/{pid}/status");
        thread::spawn(move || {
            while !done.load(Ordering::Acquire) {
                if let Some(anon) = read_rss_anon(&status_path) {
                    max_anon.fetch_max(anon, Ordering::Relaxed);
                }
                if start.elapsed() > timeout && !timed_out.swap(true, Ordering::AcqRel) {
                    // SAFETY: kill(2) has no memory-safety preconditions. `pid` is our child,
                    // not yet reaped (`done` is set only after wait4 returns), so it cannot
                    // name another process.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
                thread::sleep(every);
            }
        })
    };

    let (status, usage) = wait4(pid);
    let wall = start.elapsed();
    done.store(true, Ordering::Release);
    let _ = sampler.join();
    let stderr_tail = err_thread.join().unwrap_or_default();
    drop(child); // already reaped by wait4; dropping a Child does not wait
    let status = status?;

    let outcome = if timed_out.load(Ordering::Acquire) {
        Outcome::TimedOut
    } else if libc::WIFEXITED(status) {
        Outcome::Exited(libc::WEXITSTATUS(status))
    } else {
        Outcome::Signaled(libc::WTERMSIG(status))
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Ok(Measurement {
        outcome,
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss: usage.ru_maxrss as u64 * 1024,
        max_anon: max_anon.load(Ordering::Relaxed),
        stderr_tail,
    })
}

/// Blocks until `pid` ends; its wait status and resource usage.
fn wait4(pid: libc::pid_t) -> (io::Result<libc::c_int>, libc::rusage) {
    // SAFETY: rusage is a plain C struct of integers, for which all-zero bytes are valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: both pointers point to live, writable locals of the right types.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            return (Ok(status), usage);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return (Err(e), usage);
        }
    }
}

/// `RssAnon` of a `/proc/PID/status` file, in bytes.
fn read_rss_anon(path: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    parse_rss_anon(&text)
}

fn parse_rss_anon(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("RssAnon:"))?;
    let kb: u64 = line["RssAnon:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(program: &str, args: &[&str]) -> Spec {
        Spec {
            program: program.into(),
            args: args.iter().map(OsString::from).collect(),
            stdin: None,
            env: Vec::new(),
            timeout: Duration::from_secs(20),
            sample_every: Duration::from_millis(2),
        }
    }

    #[test]
    fn parses_proc_status() {
        let s = "Name:\tx\nVmRSS:\t  5000 kB\nRssAnon:\t    1234 kB\nRssFile:\t 1 kB\n";
        assert_eq!(parse_rss_anon(s), Some(1234 * 1024));
        assert_eq!(parse_rss_anon("Name: x\n"), None);
    }

    #[test]
    fn measures_a_successful_run() {
        let m = run(&spec("sh", &["-c", "sleep 0.05"])).unwrap();
        assert!(m.ok(), "{m:?}");
        assert!(m.wall >= Duration::from_millis(50));
        assert!(m.max_rss > 0);
        assert!(m.max_anon > 0);
    }

    #[test]
    fn reports_a_failure_with_its_message() {
        let m = run(&spec(
            "sh",
            &["-c", "echo first >&2; echo 'it broke' >&2; exit 3"],
        ))
        .unwrap();
        assert_eq!(m.outcome, Outcome::Exited(3));
        assert_eq!(m.failure(), "exit 3: it broke");
        let script = "echo 'error: bad flag' >&2; echo >&2; echo 'try --help' >&2; exit 2";
        let m = run(&spec("sh", &["-c", script])).unwrap();
        assert_eq!(m.failure(), "exit 2: error: bad flag");
    }

    #[test]
    fn kills_after_the_timeout() {
        let mut s = spec("sleep", &["10"]);
        s.timeout = Duration::from_millis(100);
        let m = run(&s).unwrap();
        assert_eq!(m.outcome, Outcome::TimedOut);
        assert!(m.wall < Duration::from_secs(5));
    }

    #[test]
    fn missing_program_is_an_error() {
        assert!(run(&spec("/nonexistent/program", &[])).is_err());
    }
}
