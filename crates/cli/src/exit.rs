//! The exit statuses of `lpconvert` (CLI.md), and the one place a closed standard output
//! becomes a quiet end.

use lpconvert_send::RunOutcome;
use std::io;

/// How a command ended, as its exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: everything done (every row converted or skipped as empty, every line valid or
    /// acknowledged).
    Ok,
    /// 1: stopped short: at a bad row (`on_error = "fail"`), or the replay gave up or got a
    /// fatal answer.
    Stopped,
    /// 2: a usage, schema or I/O error.
    Error,
    /// 3: finished, but some rows were rejected, lines invalid or refused by the server.
    Partial,
    /// 128 + the signal that stopped the run.
    Signal(i32),
}

impl Exit {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Stopped => 1,
            Exit::Error => 2,
            Exit::Partial => 3,
            Exit::Signal(s) => u8::try_from(128 + s).unwrap_or(1),
        }
    }

    /// The run went through (0 or 3): its output files are put in place.
    pub fn finished(self) -> bool {
        matches!(self, Exit::Ok | Exit::Partial)
    }
}

impl From<RunOutcome> for Exit {
    fn from(o: RunOutcome) -> Exit {
        match o {
            RunOutcome::Done => Exit::Ok,
            RunOutcome::SomeRefused => Exit::Partial,
            RunOutcome::Stopped => Exit::Stopped,
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> std::process::ExitCode {
        std::process::ExitCode::from(e.code())
    }
}

/// Standard output was closed by its reader (`| head`): the command stopped writing, and
/// `main` ends the run quietly with status 0.
#[derive(Debug)]
pub struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Whether writing to standard output failed because its reader closed it.
pub fn is_closed(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

/// The error of a failed write to standard output: [`StdoutClosed`] when its reader closed
/// it, else `cannot write the output: ...`.
pub fn stdout_error(e: io::Error) -> anyhow::Error {
    if is_closed(&e) {
        anyhow::Error::new(StdoutClosed)
    } else {
        anyhow::anyhow!("cannot write the output: {e}")
    }
}
