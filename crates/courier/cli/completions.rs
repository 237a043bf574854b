//! `courier completions SHELL` and `courier man`: shell completion scripts and man pages
//! generated from the command-line definition itself, so they never drift from it
//! (docs/cli-install.md shows how to install them).

use std::io::Write as _;
use std::path::PathBuf;

use clap::CommandFactory as _;
use courier_events::Exit;

/// Print a shell completion script.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  courier completions bash > ~/.local/share/bash-completion/completions/courier\n  courier completions zsh > ~/.zfunc/_courier\n  courier completions fish > ~/.config/fish/completions/courier.fish\n\nExit codes: 0 printed."
)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// Write man pages: `courier.1` and one per subcommand (`courier-run.1`, …).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  courier man | man -l -\n  courier man --out ~/.local/share/man/man1\n\nExit codes: 0 written; 2 the folder cannot be written."
)]
pub(crate) struct ManArgs {
    /// Write every page into this folder instead of printing `courier.1`.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
}

pub(crate) fn completions(args: &CompletionsArgs) -> Exit {
    let mut cmd = super::Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "courier", &mut out);
    if out.flush().is_err() {
        return Exit::Unchecked;
    }
    Exit::Success
}

pub(crate) fn man(args: &ManArgs) -> Exit {
    let cmd = super::Cli::command();
    let Some(dir) = &args.out else {
        let mut buf = Vec::new();
        if clap_mangen::Man::new(cmd).render(&mut buf).is_err() {
            return Exit::Unchecked;
        }
        let mut out = std::io::stdout().lock();
        if out.write_all(&buf).and_then(|()| out.flush()).is_err() {
            return Exit::Unchecked;
        }
        return Exit::Success;
    };
    match write_pages(cmd, dir) {
        Ok(pages) => {
            for p in pages {
                eprintln!("wrote {}", p.display());
            }
            Exit::Success
        }
        Err(e) => {
            eprintln!("error: cannot write man pages to `{}`: {e}", dir.display());
            Exit::Invalid
        }
    }
}

/// The top page and one page per subcommand, nested ones named `courier-auth-login.1`.
fn write_pages(cmd: clap::Command, dir: &std::path::Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut stack = vec![(cmd.get_name().to_owned(), cmd)];
    while let Some((name, mut cmd)) = stack.pop() {
        cmd.build();
        let path = dir.join(format!("{name}.1"));
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd.clone())
            .title(name.clone())
            .render(&mut buf)?;
        std::fs::write(&path, buf)?;
        written.push(path);
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            stack.push((format!("{name}-{}", sub.get_name()), sub.clone()));
        }
    }
    written.sort();
    Ok(written)
}
