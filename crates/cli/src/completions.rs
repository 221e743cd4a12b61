//! `lpconvert completions SHELL` and `lpconvert man`: the shell completion script and the
//! man page, both generated from the command line's own definition and written to stdout.

use crate::exit::{stdout_error, Exit};
use clap::CommandFactory;
use clap_complete::Shell;
use std::io::Write;

/// Options of `lpconvert completions`.
#[derive(clap::Args, Debug)]
#[command(after_long_help = "\
Install, for example:
  bash: lpconvert completions bash > ~/.local/share/bash-completion/completions/lpconvert
  zsh:  lpconvert completions zsh > ~/.zfunc/_lpconvert   (with fpath+=~/.zfunc before compinit)
  fish: lpconvert completions fish > ~/.config/fish/completions/lpconvert.fish
  PowerShell: lpconvert completions powershell | Out-String | Invoke-Expression")]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_parser = ["bash", "zsh", "fish", "powershell"])]
    pub shell: String,
}

/// Options of `lpconvert man`.
#[derive(clap::Args, Debug)]
#[command(
    after_long_help = "Read it with `lpconvert man | man -l -`, or install it:\n  \
    lpconvert man > ~/.local/share/man/man1/lpconvert.1"
)]
pub struct ManArgs {}

/// Writes the completion script for `a.shell`.
pub fn completions(a: CompletionsArgs) -> anyhow::Result<Exit> {
    let shell = match a.shell.as_str() {
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        "fish" => Shell::Fish,
        _ => Shell::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut crate::Cli::command(), "lpconvert", &mut script);
    write_out(&script)
}

/// Writes the man page (roff): the command, its options and each subcommand's.
pub fn man(_a: ManArgs) -> anyhow::Result<Exit> {
    let cmd = crate::Cli::command();
    let mut page = Vec::new();
    let top = clap_mangen::Man::new(cmd.clone());
    top.render_title(&mut page)?;
    top.render_name_section(&mut page)?;
    top.render_synopsis_section(&mut page)?;
    top.render_description_section(&mut page)?;
    top.render_options_section(&mut page)?;
    // One page: each subcommand a section, its synopsis, options and notes subsections.
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("lpconvert {}", sub.get_name());
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        let head = format!(".SH \"{}\"\n{}\n", name.to_uppercase(), roff_text(&about));
        page.extend_from_slice(head.as_bytes());
        let man = clap_mangen::Man::new(sub.clone().bin_name(name));
        let mut part = Vec::new();
        man.render_synopsis_section(&mut part)?;
        man.render_options_section(&mut part)?;
        if sub.get_after_long_help().is_some() {
            man.render_extra_section(&mut part)?;
        }
        let part = String::from_utf8_lossy(&part).replace(".SH EXTRA", ".SS NOTES");
        page.extend_from_slice(part.replace(".SH ", ".SS ").as_bytes());
    }
    top.render_version_section(&mut page)?;
    write_out(&page)
}

/// Text as one roff paragraph line: backslashes escaped, no line starting with a control
/// character.
fn roff_text(text: &str) -> String {
    let t = text.replace('\\', "\\e");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}

/// Writes `bytes` to stdout (a closed stdout is a quiet end).
fn write_out(bytes: &[u8]) -> anyhow::Result<Exit> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(stdout_error)?;
    Ok(Exit::Ok)
}
