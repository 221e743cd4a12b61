//! `lpconvert bench` (not implemented yet).

/// Options of `lpconvert bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {}

/// Runs `lpconvert bench`; returns the exit status.
pub fn run(_args: BenchArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`lpconvert bench` is not implemented yet")
}
