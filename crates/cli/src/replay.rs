//! `lpconvert replay` (not implemented yet).

/// Options of `lpconvert replay`.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {}

/// Runs `lpconvert replay`; returns the exit status.
pub fn run(_args: ReplayArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`lpconvert replay` is not implemented yet")
}
