//! `lpconvert infer` (not implemented yet).

/// Options of `lpconvert infer`.
#[derive(clap::Args, Debug)]
pub struct InferArgs {}

/// Runs `lpconvert infer`; returns the exit status.
pub fn run(_args: InferArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`lpconvert infer` is not implemented yet")
}
