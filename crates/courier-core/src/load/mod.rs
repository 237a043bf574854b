//! Loading: finding collection files (docs/collections.md), reading collections and
//! environments from their positioned YAML trees, and resolving `--env`
//! (docs/environments.md). Files are read through [`crate::fs`]: regular files only, capped.

mod body;
mod checks;
mod collection;
mod environment;
mod expect;
mod json_schema;
mod language;
pub(crate) mod reader;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use collection::parse_collection;
pub use environment::{
    BUILTINS, EnvSource, environment_dirs, environment_files, load_environment, parse_environment,
    parse_rate_limit, resolve_environment, visible_environments,
};
pub use reader::parse_duration;

use crate::diag::{Diagnostic, SourceFile};
use crate::fs::{FileId, InputKind};
use crate::model::Collection;

/// Directories never walked into when looking for collections.
const SKIPPED_DIRS: [&str; 4] = ["environments", "__snapshots__", "target", "node_modules"];

/// Finds the collection files under `paths`: directories are walked recursively for `*.yaml`
/// and `*.yml` (skipping `environments`, `__snapshots__`, `target`, `node_modules` and hidden
/// directories); a file named explicitly is always taken. Sorted by path, without repeats.
///
/// Symbolic links are followed once: a folder reached again (a link loop) is not walked
/// again, and a file reached through two paths is listed once, under the first path in sort
/// order (docs/inputs.md). A folder that cannot be read, and a named path that is not a
/// regular file or folder (a FIFO, a device), is an error saying what it is.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Vec<Diagnostic>> {
    discover_with(paths, &list_dir)
}

/// A folder's entries.
type ListDir = dyn Fn(&Path) -> std::io::Result<Vec<PathBuf>>;

fn list_dir(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect()
}

fn discover_with(paths: &[PathBuf], list: &ListDir) -> Result<Vec<PathBuf>, Vec<Diagnostic>> {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let mut seen_dirs = HashSet::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let mut walker = Walker {
                    list,
                    seen: &mut seen_dirs,
                    out: &mut found,
                    errors: &mut errors,
                };
                walker.walk(path, &meta);
            }
            Ok(meta) if meta.is_file() => found.push((path.clone(), Some(FileId::of(path, &meta)))),
            Ok(meta) => errors.push(Diagnostic::new(format!(
                "`{}` is {}, not a collection file or folder",
                path.display(),
                crate::fs::describe(&meta)
            ))),
            Err(e) if crate::fs::is_symlink_loop(&e) => errors.push(Diagnostic::new(format!(
                "`{}` is a loop of symbolic links",
                path.display()
            ))),
            Err(_) => errors.push(
                Diagnostic::new(format!("`{}` does not exist", path.display())).with_help(
                    "give a collection file or a folder of them (the default is `collections`)",
                ),
            ),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut keyed: Vec<(String, PathBuf, Option<FileId>)> = found
        .into_iter()
        .map(|(p, id)| (crate::diag::display_path(&p), p, id))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    let mut seen_files = HashSet::new();
    keyed.retain(|(_, _, id)| id.as_ref().is_none_or(|id| seen_files.insert(id.clone())));
    Ok(keyed.into_iter().map(|(_, p, _)| p).collect())
}

/// The state of one walk of a folder tree.
struct Walker<'a> {
    list: &'a ListDir,
    /// The folders walked so far, by identity: a link back to one is not followed again.
    seen: &'a mut HashSet<FileId>,
    out: &'a mut Vec<(PathBuf, Option<FileId>)>,
    errors: &'a mut Vec<Diagnostic>,
}

impl Walker<'_> {
    fn walk(&mut self, dir: &Path, meta: &std::fs::Metadata) {
        if !self.seen.insert(FileId::of(dir, meta)) {
            return;
        }
        let mut paths = match (self.list)(dir) {
            Ok(paths) => paths,
            Err(e) => {
                self.errors.push(Diagnostic::new(format!(
                    "cannot read the folder `{}`: {e}",
                    crate::diag::display_path(dir)
                )));
                return;
            }
        };
        paths.sort();
        for path in paths {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let is_yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => {
                    if name.starts_with('.') || SKIPPED_DIRS.contains(&name.as_str()) {
                        continue;
                    }
                    self.walk(&path, &meta);
                }
                // Not a regular file (a FIFO, a device): taken, so that loading it says what it is.
                Ok(meta) if is_yaml => {
                    let id = meta.is_file().then(|| FileId::of(&path, &meta));
                    self.out.push((path, id));
                }
                Err(e) if is_yaml && crate::fs::is_symlink_loop(&e) => {
                    self.errors.push(Diagnostic::new(format!(
                        "`{}` is a loop of symbolic links",
                        crate::diag::display_path(&path)
                    )));
                }
                // A dangling link or an entry removed meanwhile: loading it would say so.
                Err(_) if is_yaml => self.out.push((path, None)),
                Ok(_) | Err(_) => {}
            }
        }
    }
}

/// Reads and loads one collection file.
pub fn load_collection(path: &Path) -> Result<Collection, Vec<Diagnostic>> {
    match load_collection_partial(path) {
        (Some(c), diags) if diags.is_empty() => Ok(c),
        (_, diags) => Err(diags),
    }
}

/// Reads one collection file, keeping what could be read of it beside every problem (see
/// [`collection::parse_collection_partial`]).
pub fn load_collection_partial(path: &Path) -> (Option<Collection>, Vec<Diagnostic>) {
    let text = match read_text(path) {
        Ok(t) => t,
        Err(d) => return (None, d),
    };
    let file = SourceFile::new(path, text);
    let (collection, mut diags) = collection::parse_collection_partial(&file);
    if let Some(c) = &collection {
        diags.extend(checks::check_sendable(c, &file));
    }
    (collection, diags)
}

/// A collection file's text: a regular file of at most 16 MiB, in UTF-8 (see [`crate::fs`]).
pub fn read_text(path: &Path) -> Result<String, Vec<Diagnostic>> {
    crate::fs::read_text(path, InputKind::Collection)
        .map_err(|e| vec![Diagnostic::new(e.to_string())])
}

/// Loads every file, keeping the collections that load and every diagnostic, both in the
/// order of `files`.
pub fn load_all(files: &[PathBuf]) -> (Vec<Arc<Collection>>, Vec<Diagnostic>) {
    let mut collections = Vec::with_capacity(files.len());
    let mut diags = Vec::new();
    for (c, mut d) in load_each(files) {
        match c {
            Some(c) if d.is_empty() => collections.push(Arc::new(c)),
            _ => diags.append(&mut d),
        }
    }
    (collections, diags)
}

/// Loads every file, in the order of `files`.
fn load_each(files: &[PathBuf]) -> Vec<(Option<Collection>, Vec<Diagnostic>)> {
    let mut out = Vec::with_capacity(files.len());
    fold_files(files, load_collection_partial, |answer| out.push(answer));
    out
}

/// Applies `work` to every file and hands each answer to `take`, in the order of `files`.
///
/// Files are worked on by one thread per core, the calling thread among them: parsing and
/// compiling is all CPU, and a run of a thousand collections waited for each in turn. The
/// calling thread hands over the answers that are ready between two files of its own, rather
/// than sleeping until each arrives (a wake-up per file cost more than a small file's parse
/// on two cores). `take` sees an answer as soon as every earlier file's answer is in, so a
/// caller that checks a file and keeps a summary holds about one file per thread at a time,
/// however many files there are (docs/cli.md#validate).
pub fn fold_files<T: Send>(
    files: &[PathBuf],
    work: impl Fn(&Path) -> T + Sync,
    mut take: impl FnMut(T),
) {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(files.len());
    if threads <= 1 {
        for f in files {
            take(work(f));
        }
        return;
    }
    // Every thread takes the next file by index; answers that arrive before an earlier
    // file's wait until it is in.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let claim = || next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, T)>();
    let mut waiting = std::collections::BTreeMap::new();
    let mut due = 0;
    let mut hand_over = |waiting: &mut std::collections::BTreeMap<usize, T>| {
        while let Some(answer) = waiting.remove(&due) {
            take(answer);
            due += 1;
        }
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = (1..threads)
            .map(|_| {
                let tx = tx.clone();
                let (claim, work) = (&claim, &work);
                scope.spawn(move || {
                    loop {
                        let i = claim();
                        let Some(f) = files.get(i) else { break };
                        if tx.send((i, work(f))).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        loop {
            let i = claim();
            let Some(f) = files.get(i) else { break };
            waiting.insert(i, work(f));
            waiting.extend(rx.try_iter());
            hand_over(&mut waiting);
        }
        // Ends when every worker has finished (or panicked).
        for (i, answer) in rx {
            waiting.insert(i, answer);
            hand_over(&mut waiting);
        }
        for worker in workers {
            // A worker that panicked lost its file: it is done again below, where a panic
            // is the caller's as it was before the work went parallel.
            let _ = worker.join();
        }
    });
    for (i, f) in files.iter().enumerate().skip(due) {
        let answer = waiting.remove(&i).unwrap_or_else(|| work(f));
        take(answer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLLECTION: &str = "name: c\nrequests:\n  - name: r\n    url: http://127.0.0.1/\n";

    fn names(files: &[PathBuf], root: &Path) -> Vec<String> {
        files
            .iter()
            .map(|f| f.strip_prefix(root).unwrap().display().to_string())
            .collect()
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_walked_once_and_files_reached_twice_listed_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.yaml"), COLLECTION).unwrap();
        // A loop back to the root, and a second name for the same file.
        std::os::unix::fs::symlink(root, root.join("sub/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("sub/a.yaml"), root.join("z-again.yaml")).unwrap();
        let files = discover(&[root.to_path_buf()]).unwrap();
        assert_eq!(names(&files, root), ["sub/a.yaml"]);
        // Named twice on the command line, through two paths: still once.
        let files = discover(&[root.join("z-again.yaml"), root.join("sub/a.yaml")]).unwrap();
        assert_eq!(names(&files, root), ["sub/a.yaml"]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn fifos_and_devices_say_what_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.yaml");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let err = discover(std::slice::from_ref(&fifo)).unwrap_err();
        assert!(
            err[0]
                .to_string()
                .ends_with("pipe.yaml` is a FIFO (named pipe), not a collection file or folder"),
            "{}",
            err[0]
        );
        // Inside a folder it is listed, and loading it (without blocking) says what it is.
        let files = discover(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(files, std::slice::from_ref(&fifo));
        let err = load_collection(&fifo).unwrap_err();
        assert!(
            err[0]
                .to_string()
                .contains("is a FIFO (named pipe), not a regular file"),
            "{}",
            err[0]
        );
        let zero = dir.path().join("zero.yaml");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let err = load_collection(&zero).unwrap_err();
        assert!(
            err[0].to_string().contains("is a character device"),
            "{}",
            err[0]
        );
    }

    #[test]
    fn an_unreadable_subfolder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("locked")).unwrap();
        std::fs::write(root.join("a.yaml"), COLLECTION).unwrap();
        let locked = root.join("locked");
        let deny = move |p: &Path| {
            if p == locked {
                Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
            } else {
                list_dir(p)
            }
        };
        let err = discover_with(&[root.to_path_buf()], &deny).unwrap_err();
        assert_eq!(err.len(), 1);
        assert!(
            err[0].to_string().starts_with("cannot read the folder `")
                && err[0].to_string().contains("locked`: permission denied"),
            "{}",
            err[0]
        );
    }

    /// The same with real permissions, where they apply (not as root).
    #[cfg(unix)]
    #[test]
    fn an_unreadable_subfolder_on_disk_is_an_error() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let locked = dir.path().join("locked");
        std::fs::create_dir(&locked).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        let readable_anyway = std::fs::read_dir(&locked).is_ok();
        let result = discover(&[dir.path().to_path_buf()]);
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
        if readable_anyway {
            // Root reads it: nothing to refuse, and nothing is found in it.
            assert_eq!(result.unwrap(), Vec::<PathBuf>::new());
        } else {
            let err = result.unwrap_err();
            assert!(
                err[0].to_string().contains("cannot read the folder"),
                "{}",
                err[0]
            );
        }
    }

    /// Answers reach `take` in file order even when later files finish first, and every file
    /// is worked on once.
    #[test]
    fn fold_files_hands_answers_over_in_file_order() {
        let files: Vec<PathBuf> = (0..40).map(|i| PathBuf::from(i.to_string())).collect();
        let worked = std::sync::atomic::AtomicUsize::new(0);
        let mut seen = Vec::new();
        fold_files(
            &files,
            |f| {
                worked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let i: u64 = f.to_string_lossy().parse().unwrap();
                // Early files are the slow ones, so later answers arrive first.
                std::thread::sleep(std::time::Duration::from_millis((40 - i) % 7));
                i
            },
            |i| seen.push(i),
        );
        assert_eq!(seen, (0..40).collect::<Vec<u64>>());
        assert_eq!(worked.into_inner(), 40);
    }

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
