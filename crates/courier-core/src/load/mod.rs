//! Loading: finding collection files (SPEC §2), reading collections and environments from
//! their positioned YAML trees, and resolving `--env` (SPEC §3).

mod collection;
mod environment;
pub(crate) mod reader;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use collection::parse_collection;
pub use environment::{
    BUILTINS, EnvSource, environment_dirs, environment_files, load_environment, parse_environment,
    parse_rate_limit, resolve_environment, visible_environments,
};
pub use reader::parse_duration;

use crate::diag::{Diagnostic, SourceFile};
use crate::model::Collection;

/// Directories never walked into when looking for collections.
const SKIPPED_DIRS: [&str; 4] = ["environments", "__snapshots__", "target", "node_modules"];

/// Finds the collection files under `paths`: directories are walked recursively for `*.yaml`
/// and `*.yml` (skipping `environments`, `__snapshots__`, `target`, `node_modules` and hidden
/// directories); a file named explicitly is always taken. Sorted by path, without repeats.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.is_file() {
            files.push(path.clone());
        } else if path.is_dir() {
            walk(path, &mut files);
        } else {
            errors.push(
                Diagnostic::new(format!("`{}` does not exist", path.display())).with_help(
                    "give a collection file or a folder of them (the default is `collections`)",
                ),
            );
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut keyed: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|p| (crate::diag::display_path(&p), p))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    Ok(keyed.into_iter().map(|(_, p)| p).collect())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if path.is_dir() {
            if name.starts_with('.') || SKIPPED_DIRS.contains(&name.as_str()) {
                continue;
            }
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// Reads and loads one collection file.
pub fn load_collection(path: &Path) -> Result<Collection, Vec<Diagnostic>> {
    let text = read_text(path)?;
    parse_collection(&SourceFile::new(path, text))
}

/// A file's text, with a diagnostic naming it when it cannot be read or is not UTF-8.
pub fn read_text(path: &Path) -> Result<String, Vec<Diagnostic>> {
    let bytes = std::fs::read(path).map_err(|e| {
        vec![Diagnostic::new(format!(
            "cannot read `{}`: {e}",
            crate::diag::display_path(path)
        ))]
    })?;
    String::from_utf8(bytes).map_err(|e| {
        vec![Diagnostic::new(format!(
            "`{}` is not UTF-8 text (invalid byte at offset {})",
            crate::diag::display_path(path),
            e.utf8_error().valid_up_to()
        ))]
    })
}

/// Loads every file, keeping the collections that load and every diagnostic.
pub fn load_all(files: &[PathBuf]) -> (Vec<Arc<Collection>>, Vec<Diagnostic>) {
    let mut collections = Vec::new();
    let mut diags = Vec::new();
    for f in files {
        match load_collection(f) {
            Ok(c) => collections.push(Arc::new(c)),
            Err(mut d) => diags.append(&mut d),
        }
    }
    (collections, diags)
}
