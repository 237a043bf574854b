//! `courier init [DIR]`: scaffolds a project — a first collection, the `local`, `sandbox` and
//! `production` environments, `.gitignore`, `.env.example` and a CI workflow — from files kept
//! in the repository (`init/template/`, `environments/`, `schemas/`), never overwriting a file.
//! What it writes and why is in docs/init.md.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use courier_events::Exit;

#[cfg(test)]
mod tests;

/// Create a new Courier project: collections, environments and a CI workflow.
///
/// Writes into DIR (created when missing; default: the current folder) a first collection
/// that passes against the embedded emulator, the environments `local`, `sandbox` and
/// `production`, the JSON Schemas editors use to check them, `.gitignore`, `.env.example` and,
/// unless `--ci none`, a CI workflow that runs the collections in four shards.
///
/// Nothing is overwritten: when any of these files exists, init names it and writes nothing.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  courier init api-tests
  courier init --ci gitlab
  courier init . --ci none

Exit codes: 0 the project was written; 2 a file exists already (nothing written), or a file
could not be written.")]
pub(crate) struct InitArgs {
    /// The project folder (default: the current folder).
    pub(crate) dir: Option<PathBuf>,
    /// The CI workflow to write: `github` (.github/workflows/api-tests.yml), `gitlab`
    /// (.gitlab-ci.yml) or `none`.
    #[arg(long, value_name = "CI", default_value = "github")]
    pub(crate) ci: Ci,
}

/// `--ci`: which CI system's workflow to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Ci {
    Github,
    Gitlab,
    None,
}

/// One file of the scaffold: where it goes (relative, `/` separators), its text, and the line
/// that says what it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scaffold {
    pub(crate) path: &'static str,
    pub(crate) text: &'static str,
    pub(crate) about: &'static str,
}

/// Where `--ci github` writes its workflow.
pub(crate) const GITHUB_WORKFLOW: &str = ".github/workflows/api-tests.yml";
/// Where `--ci gitlab` writes its pipeline.
pub(crate) const GITLAB_PIPELINE: &str = ".gitlab-ci.yml";

/// The files of a project, in the order they are written and listed. The environments and
/// schemas are the repository's own files, so a project starts with exactly what this
/// repository runs and documents.
pub(crate) fn scaffold(ci: Ci) -> Vec<Scaffold> {
    let mut files = vec![
        Scaffold {
            path: "collections/first.yaml",
            text: include_str!("init/template/collections/first.yaml"),
            about: "a first collection: read-only checks any company passes",
        },
        Scaffold {
            path: "environments/local.yaml",
            text: include_str!("../../../environments/local.yaml"),
            about: "the embedded Intacct emulator (the built-in `local`)",
        },
        Scaffold {
            path: "environments/sandbox.yaml",
            text: include_str!("../../../environments/sandbox.yaml"),
            about: "a sandbox company: client credentials of a Web Services user",
        },
        Scaffold {
            path: "environments/production.yaml",
            text: include_str!("../../../environments/production.yaml"),
            about: "the production company: a refresh token; writes are refused",
        },
        Scaffold {
            path: "schemas/collection.schema.json",
            text: include_str!("../../../schemas/collection.schema.json"),
            about: "JSON Schema of collections, for editors",
        },
        Scaffold {
            path: "schemas/environment.schema.json",
            text: include_str!("../../../schemas/environment.schema.json"),
            about: "JSON Schema of environments, for editors",
        },
        Scaffold {
            path: ".gitignore",
            text: include_str!("init/template/gitignore"),
            about: ".env, a project token cache, *.snap.new, reports/",
        },
        Scaffold {
            path: ".env.example",
            text: include_str!("init/template/env.example"),
            about: "the variables the environments read: copy it to .env",
        },
    ];
    match ci {
        Ci::Github => files.push(Scaffold {
            path: GITHUB_WORKFLOW,
            text: include_str!("init/template/github-workflow.yml"),
            about: "GitHub Actions: four shards, JUnit and JSON reports",
        }),
        Ci::Gitlab => files.push(Scaffold {
            path: GITLAB_PIPELINE,
            text: include_str!("init/template/gitlab-ci.yml"),
            about: "GitLab CI: four parallel shards, JUnit and JSON reports",
        }),
        Ci::None => {}
    }
    files
}

pub(crate) fn run(args: &InitArgs) -> Exit {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let files = scaffold(args.ci);
    let conflicts = conflicts(&dir, &files);
    if !conflicts.is_empty() {
        let mut msg = format!(
            "error: refusing to overwrite what exists in {}; nothing was written:",
            shown(&dir)
        );
        for c in &conflicts {
            let _ = write!(msg, "\n  {c}");
        }
        msg.push_str("\n  = help: move these away, or give `courier init` another folder");
        eprintln!("{msg}");
        return Exit::Invalid;
    }
    if let Err(e) = write_all(&dir, &files) {
        eprintln!("error: {e}");
        return Exit::Invalid;
    }
    print_summary(&dir, &files);
    Exit::Success
}

/// What stands in the way: a file that exists where the scaffold would write one, or a file
/// where it needs a folder. Empty when init may go ahead.
fn conflicts(dir: &Path, files: &[Scaffold]) -> Vec<String> {
    let mut found = Vec::new();
    if dir.exists() && !dir.is_dir() {
        found.push(format!("{} exists and is not a folder", shown(dir)));
        return found;
    }
    for f in files {
        let target = dir.join(f.path);
        // A folder on the way that is a file (`collections` as a plain file, say).
        let mut on_the_way = PathBuf::new();
        let parts: Vec<&str> = f.path.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            on_the_way.push(part);
            let p = dir.join(&on_the_way);
            let line = format!("{} (a file where a folder is needed)", on_the_way.display());
            if p.exists() && !p.is_dir() && !found.contains(&line) {
                found.push(line);
            }
        }
        // symlink_metadata: a dangling link is in the way too.
        if target.symlink_metadata().is_ok() {
            found.push(f.path.to_owned());
        }
    }
    found
}

/// Writes every file with `create_new`, so that a file that appeared since the check is still
/// not overwritten; on a failure, removes what this call wrote.
fn write_all(dir: &Path, files: &[Scaffold]) -> Result<(), String> {
    let mut written: Vec<PathBuf> = Vec::new();
    for f in files {
        let target = dir.join(f.path);
        let result = target
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&target)
            })
            .and_then(|mut file| {
                written.push(target.clone());
                file.write_all(f.text.as_bytes())
            });
        if let Err(e) = result {
            for w in &written {
                let _ = std::fs::remove_file(w);
            }
            return Err(format!("cannot write {}: {e}", target.display()));
        }
    }
    Ok(())
}

fn print_summary(dir: &Path, files: &[Scaffold]) {
    let width = files.iter().map(|f| f.path.len()).max().unwrap_or(0);
    let mut out = format!("Created a Courier project in {}:\n", shown(dir));
    for f in files {
        let _ = writeln!(out, "  {:width$}  {}", f.path, f.about);
    }
    out.push_str("\nNext:\n");
    for (command, comment) in next_commands(dir) {
        let _ = writeln!(out, "  {command:40}# {comment}");
    }
    let stdout = std::io::stdout();
    let _ = stdout.lock().write_all(out.as_bytes());
}

/// The three commands a user runs next, each with what it does.
pub(crate) fn next_commands(dir: &Path) -> [(String, &'static str); 3] {
    let cd = if dir == Path::new(".") || dir.as_os_str().is_empty() {
        String::new()
    } else {
        format!("cd {} && ", shell_quote(&dir.display().to_string()))
    };
    [
        (
            format!("{cd}courier run --env local"),
            "the first collection, against the embedded emulator",
        ),
        (
            "cp .env.example .env".to_owned(),
            "then fill in your sandbox's credentials",
        ),
        (
            "courier run --env sandbox".to_owned(),
            "the same checks against your sandbox company",
        ),
    ]
}

/// The folder as the user gave it, `./` for the current one.
fn shown(dir: &Path) -> String {
    if dir == Path::new(".") || dir.as_os_str().is_empty() {
        "the current folder".to_owned()
    } else {
        format!("{}/", dir.display().to_string().trim_end_matches('/'))
    }
}

/// Quotes a path for a POSIX shell when it holds anything but plain characters.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
