//! `lpconvert check` (not implemented yet).

/// Options of `lpconvert check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {}

/// Runs `lpconvert check`; returns the exit status.
pub fn run(_args: CheckArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`lpconvert check` is not implemented yet")
}
