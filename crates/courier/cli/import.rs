//! `courier import postman` and `courier import curl`: read the export, convert it with
//! `courier-import`, write the files (never over existing ones without `--force`) or print
//! the collection, and print the summary on standard error (docs/import.md).

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use courier_core::diag::Diagnostic;
use courier_events::Exit;
use courier_import::{ImportError, PostmanInput, import_curl, import_postman};

use super::common::print_diagnostics;

/// Convert a Postman collection or a curl command line into Courier collections.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  courier import postman Conduit.postman_collection.json --environment Conduit.postman_environment.json --out .\n  pbpaste | courier import curl > collections/from-curl.yaml\n\nExit codes: 0 imported; 2 the input cannot be read or converted, or an output file exists (use --force).\n\nWhat converts and what is kept as comments: docs/import.md."
)]
pub(crate) struct ImportArgs {
    #[command(subcommand)]
    pub(crate) what: ImportKind,
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum ImportKind {
    /// A Postman collection export (v2.0 or v2.1): one collection file per folder under
    /// OUT/collections/<collection>/, and OUT/environments/<environment>.yaml.
    Postman(PostmanArgs),
    /// A curl command line (bash or Windows cmd quoting, as browsers copy it): one collection
    /// printed on standard output.
    Curl(CurlArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct PostmanArgs {
    /// The collection's JSON export.
    pub(crate) collection: PathBuf,
    /// A Postman environment export: its variables, secrets as `secrets:` entries.
    #[arg(long, value_name = "ENV.json")]
    pub(crate) environment: Option<PathBuf>,
    /// The folder to write `collections/` and `environments/` into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub(crate) out: PathBuf,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, clap::Args)]
pub(crate) struct CurlArgs {
    /// A file holding the command line; `-` or nothing reads standard input.
    pub(crate) file: Option<PathBuf>,
}

pub(crate) fn run(args: &ImportArgs) -> Exit {
    match &args.what {
        ImportKind::Postman(a) => postman(a),
        ImportKind::Curl(a) => curl(a),
    }
}

fn fail(message: impl Into<String>, help: Option<&str>) -> Exit {
    let mut d = Diagnostic::new(message);
    if let Some(h) = help {
        d = d.with_help(h);
    }
    print_diagnostics(&[d]);
    Exit::Invalid
}

fn read(path: &Path) -> Result<String, Exit> {
    courier_core::load::read_text(path).map_err(|d| {
        print_diagnostics(&d);
        Exit::Invalid
    })
}

fn postman(args: &PostmanArgs) -> Exit {
    let text = match read(&args.collection) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let env_text = match &args.environment {
        Some(p) => match read(p) {
            Ok(t) => Some(t),
            Err(e) => return e,
        },
        None => None,
    };
    let shown = args.collection.display().to_string();
    let env_shown = args
        .environment
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let base_dir = args
        .collection
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let exists = |p: &Path| p.is_file();
    let input = PostmanInput {
        collection: (&text, &shown),
        environment: env_text.as_deref().map(|t| (t, env_shown.as_str())),
        base_dir: &base_dir,
        file_exists: &exists,
    };
    let imported = match import_postman(&input) {
        Ok(i) => i,
        Err(e) => return fail(e.to_string(), None),
    };
    let existing: Vec<String> = imported
        .files
        .iter()
        .map(|f| args.out.join(&f.path))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() && !args.force {
        return fail(
            format!(
                "refusing to overwrite {} existing file{}: {}",
                existing.len(),
                if existing.len() == 1 { "" } else { "s" },
                existing.join(", ")
            ),
            Some("pass --force to overwrite them, or --out another folder"),
        );
    }
    for f in &imported.files {
        let path = args.out.join(&f.path);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, &f.text));
        if let Err(e) = written {
            return fail(format!("cannot write `{}`: {e}", path.display()), None);
        }
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{}", imported.summary.render());
    let _ = writeln!(err, "written:");
    for f in &imported.files {
        let _ = writeln!(err, "  {}", args.out.join(&f.path).display());
    }
    Exit::Success
}

fn curl(args: &CurlArgs) -> Exit {
    let text = match args.file.as_deref() {
        Some(p) if p != Path::new("-") => match read(p) {
            Ok(t) => t,
            Err(e) => return e,
        },
        _ => {
            let mut s = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut s) {
                return fail(format!("cannot read standard input: {e}"), None);
            }
            s
        }
    };
    match import_curl(&text) {
        Ok(c) => {
            let mut err = std::io::stderr().lock();
            if !c.secrets.is_empty() {
                let _ = writeln!(
                    err,
                    "credentials → secrets (set these environment variables): {}",
                    c.secrets.len()
                );
                for s in &c.secrets {
                    let _ = writeln!(err, "  {s}");
                }
            }
            for n in &c.notes {
                let _ = writeln!(err, "note: {n}");
            }
            drop(err);
            let mut out = std::io::stdout().lock();
            if out
                .write_all(c.yaml.as_bytes())
                .and_then(|()| out.flush())
                .is_err()
            {
                return Exit::Unchecked;
            }
            Exit::Success
        }
        Err(e @ ImportError::CurlUnsupported(..)) => fail(
            e.to_string(),
            Some("see docs/import.md for the curl options that import"),
        ),
        Err(e) => fail(e.to_string(), None),
    }
}
