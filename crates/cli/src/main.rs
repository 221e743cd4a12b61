//! `lpconvert`: convert CSV/NDJSON to line protocol, replay it to a server, benchmark ingest.

/// `eprintln!` that ignores a closed or failing stderr (`2>&1 | head -0`): a message that
/// cannot be shown must not turn into a panic and exit 101.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

mod bench;
mod bench_from;
mod check;
mod completions;
mod convert;
mod exit;
mod infer;
mod inputs;
mod preview;
mod replay;
mod replay_convert;
mod report_merge;
mod server;
mod shard;
mod shard_inputs;
mod shared;
mod signals;
mod verify;
mod verify_inputs;

use clap::{Parser, Subcommand};
use exit::{Exit, StdoutClosed};
use std::process::ExitCode;

/// Convert CSV and NDJSON to InfluxDB line protocol, and replay it to a server.
#[derive(Parser, Debug)]
#[command(
    name = "lpconvert",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Convert CSV/NDJSON to line protocol with a schema (the default command).
    Convert(convert::ConvertArgs),
    /// Show what the schema reads from the first records and the lines they become.
    Preview(preview::PreviewArgs),
    /// Draft a schema from a sample of the data.
    Infer(infer::InferArgs),
    /// Validate line protocol.
    Check(check::CheckArgs),
    /// Send line protocol (or CSV/NDJSON converted on the fly) to a server.
    Replay(replay::ReplayArgs),
    /// Synthetic ingest benchmark against a server.
    Bench(bench::BenchArgs),
    /// Check that a server holds every point of the inputs; repair what is missing.
    Verify(verify::VerifyArgs),
    /// Merge the JSON reports of a job's shards (`report merge`).
    Report(report_merge::ReportArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff).
    Man(completions::ManArgs),
}

/// The subcommands' names: any other first argument means `convert`.
const SUBCOMMANDS: &[&str] = &[
    "convert",
    "preview",
    "infer",
    "check",
    "replay",
    "bench",
    "verify",
    "report",
    "completions",
    "man",
    "help",
];

/// Inserts `convert` when the first argument is not a subcommand, so that
/// `lpconvert --schema s.toml data.csv` means `lpconvert convert --schema ...`.
fn with_default_command(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let first = args.get(1).and_then(|a| a.to_str()).unwrap_or("");
    let is_sub = SUBCOMMANDS.contains(&first);
    let is_global = matches!(first, "-h" | "--help" | "-V" | "--version");
    if args.len() > 1 && !is_sub && !is_global {
        args.insert(1, "convert".into());
    }
    args
}

fn main() -> ExitCode {
    let args = with_default_command(std::env::args_os().collect());
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Error
            } else {
                Exit::Ok
            };
            let _ = e.print();
            return code.into();
        }
    };
    let result = match cli.command {
        Command::Convert(a) => convert::run(a),
        Command::Infer(a) => infer::run(a),
        Command::Check(a) => check::run(a),
        Command::Replay(a) => replay::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Preview(a) => preview::run(a),
        Command::Completions(a) => completions::completions(a),
        Command::Man(a) => completions::man(a),
        Command::Verify(a) => verify::run(a),
        Command::Report(a) => report_merge::run(a),
    };
    match result {
        Ok(code) => code.into(),
        // A closed stdout (`| head`) ends the run quietly.
        Err(e) if e.chain().any(|c| c.is::<StdoutClosed>()) => Exit::Ok.into(),
        Err(e) => {
            note!("lpconvert: {}", chain_once(&e));
            Exit::Error.into()
        }
    }
}

/// An error and its causes, `a: b: c`, each cause said once: a cause whose text the message
/// already holds (an error that prints its source) is not repeated.
fn chain_once(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if text.contains(&c) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&c);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::chain_once;

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let e = anyhow::Error::new(io).context("x: entity not found");
        assert_eq!(chain_once(&e), "x: entity not found");
        let e = anyhow::anyhow!("inner").context("outer");
        assert_eq!(chain_once(&e), "outer: inner");
    }
}
