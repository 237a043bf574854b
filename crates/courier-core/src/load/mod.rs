//! Loading: finding collection files (SPEC §2), reading collections and environments from
//! their positioned YAML trees, and resolving `--env` (SPEC §3).

mod collection;
mod environment;
mod language;
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

/// Loads every file, keeping the collections that load and every diagnostic, both in the
/// order of `files`.
///
/// Files are loaded on up to one thread per core: parsing and compiling is all CPU, and a
/// run of a thousand collections waited for each in turn (issue 2's benchmark; issue 9).
pub fn load_all(files: &[PathBuf]) -> (Vec<Arc<Collection>>, Vec<Diagnostic>) {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(files.len());
    let loaded: Vec<Result<Collection, Vec<Diagnostic>>> = if threads <= 1 {
        files.iter().map(|f| load_collection(f)).collect()
    } else {
        // Each worker takes the next file by index; results go back to their file's place.
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut slots: Vec<Option<Result<Collection, Vec<Diagnostic>>>> =
            std::iter::repeat_with(|| None).take(files.len()).collect();
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(f) = files.get(i) else { break mine };
                            mine.push((i, load_collection(f)));
                        }
                    })
                })
                .collect();
            for worker in workers {
                // A worker that panicked lost its files: load them again here, where a
                // panic is the caller's as it was before loading went parallel.
                for (i, result) in worker.join().unwrap_or_default() {
                    slots[i] = Some(result);
                }
            }
        });
        slots
            .into_iter()
            .zip(files)
            .map(|(slot, f)| slot.unwrap_or_else(|| load_collection(f)))
            .collect()
    };
    let mut collections = Vec::with_capacity(loaded.len());
    let mut diags = Vec::new();
    for result in loaded {
        match result {
            Ok(c) => collections.push(Arc::new(c)),
            Err(mut d) => diags.append(&mut d),
        }
    }
    (collections, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the parallel load: collections and diagnostics come out in file order, exactly
    /// as loading the files one by one gives them.
    #[test]
    fn load_all_keeps_file_order() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in ["collections", "tests/broken/collections"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            files.extend(
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "yaml")),
            );
        }
        files.sort();
        // Interleave good and broken files so that both outcomes cross threads.
        let (good, broken): (Vec<_>, Vec<_>) = files
            .into_iter()
            .partition(|p| !p.to_string_lossy().contains("broken"));
        let mut mixed = Vec::new();
        for i in 0..good.len().max(broken.len()) {
            mixed.extend(good.get(i).cloned());
            mixed.extend(broken.get(i).cloned());
        }
        assert!(mixed.len() > 10, "the corpus is there");

        let (collections, diags) = load_all(&mixed);
        let mut expected_names = Vec::new();
        let mut expected_diags = Vec::new();
        for f in &mixed {
            match load_collection(f) {
                Ok(c) => expected_names.push(c.name.value),
                Err(d) => expected_diags.extend(d.iter().map(|d| format!("{d:?}"))),
            }
        }
        let names: Vec<String> = collections.iter().map(|c| c.name.value.clone()).collect();
        assert_eq!(names, expected_names);
        let diags: Vec<String> = diags.iter().map(|d| format!("{d:?}")).collect();
        assert_eq!(diags, expected_diags);
    }
}
