//! `lpconvert convert` (not implemented yet).

/// Options of `lpconvert convert`.
#[derive(clap::Args, Debug)]
pub struct ConvertArgs {}

/// Runs `lpconvert convert`; returns the exit status.
pub fn run(_args: ConvertArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`lpconvert convert` is not implemented yet")
}
