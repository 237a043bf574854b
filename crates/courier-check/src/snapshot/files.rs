//! Finding snapshot files on disk for `courier snapshots`: the `__snapshots__` folders beside
//! collections under the given paths, the pending (`.snap.new`) and stored (`.snap`) files in
//! them, and which of those no request of the collections beside them would write (orphans).

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use courier_core::model::{Collection, Request};

/// The folder beside a collection that holds its snapshots.
pub const SNAPSHOTS_DIR: &str = "__snapshots__";

/// Folders never walked into (as collection discovery, docs/collections.md), besides hidden ones.
const SKIPPED_DIRS: [&str; 3] = ["environments", "target", "node_modules"];

/// Where to look for snapshot files, from one PATH argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// A `__snapshots__` folder; with `stem`, only the files of that collection (a collection
    /// file was named).
    Dir { dir: PathBuf, stem: Option<String> },
    /// One snapshot file, named explicitly.
    File(PathBuf),
}

/// What a snapshot file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapKind {
    /// `*.snap`.
    Stored,
    /// `*.snap.new`.
    Pending,
}

/// The kind of a file by its name, `None` when it is neither kind.
#[expect(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "Courier writes `.snap` in lower case; `.SNAP` is not one of its files"
)]
pub fn kind_of(path: &Path) -> Option<SnapKind> {
    let name = path.file_name()?.to_str()?;
    if name.starts_with('.') {
        None
    } else if name.ends_with(".snap.new") {
        Some(SnapKind::Pending)
    } else if name.ends_with(".snap") {
        Some(SnapKind::Stored)
    } else {
        None
    }
}

/// The scopes of `paths`: a folder is walked recursively for `__snapshots__` folders
/// (skipping hidden folders, `environments`, `target` and `node_modules`); a `__snapshots__`
/// folder is taken whole; a collection file (`*.yaml`, `*.yml`) means the files of that
/// collection in the `__snapshots__` folder beside it; a `.snap` or `.snap.new` file is taken
/// as it is. A path that does not exist is an error naming it.
pub fn scopes(paths: &[PathBuf]) -> io::Result<Vec<Scope>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == SNAPSHOTS_DIR) {
                out.push(Scope::Dir {
                    dir: path.clone(),
                    stem: None,
                });
            } else {
                walk(path, &mut out);
            }
        } else if path.is_file() {
            if kind_of(path).is_some() {
                out.push(Scope::File(path.clone()));
            } else {
                let dir = path
                    .parent()
                    .unwrap_or_else(|| Path::new(""))
                    .join(SNAPSHOTS_DIR);
                if dir.is_dir() {
                    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
                    out.push(Scope::Dir { dir, stem });
                }
            }
        } else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("`{}` does not exist", path.display()),
            ));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<Scope>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for path in dirs {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name == SNAPSHOTS_DIR {
            out.push(Scope::Dir {
                dir: path,
                stem: None,
            });
        } else if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_str()) {
            walk(&path, out);
        }
    }
}

/// The snapshot files of `kind` in `scopes`, sorted, without repeats.
pub fn files(scopes: &[Scope], kind: SnapKind) -> io::Result<Vec<PathBuf>> {
    let mut out = BTreeSet::new();
    for scope in scopes {
        match scope {
            Scope::File(path) => {
                if kind_of(path) == Some(kind) {
                    out.insert(path.clone());
                }
            }
            Scope::Dir { dir, stem } => {
                for entry in std::fs::read_dir(dir)? {
                    let path = entry?.path();
                    if !path.is_file() || kind_of(&path) != Some(kind) {
                        continue;
                    }
                    if let Some(stem) = stem {
                        let name = path
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        if !belongs_to_stem(&name, stem) {
                            continue;
                        }
                    }
                    out.insert(path);
                }
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// Whether a snapshot file name is one of the collection with file stem `stem`: the stem, `__`,
/// then a slug (which never holds `_`, so `vendors__v2__x.snap` is not one of `vendors`).
fn belongs_to_stem(name: &str, stem: &str) -> bool {
    name.strip_prefix(stem)
        .and_then(|rest| rest.strip_prefix("__"))
        .and_then(|rest| rest.split(['@', '.']).next())
        .is_some_and(|slug| {
            !slug.is_empty()
                && slug
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// The snapshot names the collections would write, for telling orphans apart.
#[derive(Debug, Default)]
pub struct Owners {
    /// (folder of the collection, `<stem>__<slug>`, per_env).
    entries: Vec<(PathBuf, String, bool)>,
}

impl Owners {
    pub fn new<'a>(collections: impl IntoIterator<Item = &'a Collection>) -> Self {
        let mut entries = Vec::new();
        for c in collections {
            let dir = folder_key(c.file.path().parent().unwrap_or_else(|| Path::new("")));
            let stem = c.stem();
            for r in &c.requests {
                if let Some(spec) = &r.snapshot {
                    entries.push((dir.clone(), format!("{stem}__{}", r.slug()), spec.per_env));
                }
            }
        }
        Owners { entries }
    }

    /// Whether some request of the collections beside the file's `__snapshots__` folder
    /// writes this `.snap` (or, for a `.snap.new`, the `.snap` it would become): the name is
    /// `<stem>__<slug>`, then `@row-N` (any run may be data-driven through `--data`), then
    /// `@<env>` exactly when the request's snapshot is `per_env`.
    pub fn owns(&self, file: &Path) -> bool {
        let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
            return false;
        };
        let Some(base) = name
            .strip_suffix(".snap.new")
            .or_else(|| name.strip_suffix(".snap"))
        else {
            return false;
        };
        let Some(collection_dir) = file.parent().and_then(Path::parent) else {
            return false;
        };
        if file
            .parent()
            .and_then(Path::file_name)
            .is_none_or(|n| n != SNAPSHOTS_DIR)
        {
            return false;
        }
        let dir = folder_key(collection_dir);
        self.entries.iter().any(|(d, prefix, per_env)| {
            *d == dir
                && base
                    .strip_prefix(prefix.as_str())
                    .is_some_and(|rest| suffix_ok(rest, *per_env))
        })
    }
}

/// The request of `collection` that writes this snapshot file (`.snap` or `.snap.new`), by
/// its name alone; the caller knows the file sits beside the collection.
pub fn request_of<'c>(collection: &'c Collection, file: &Path) -> Option<&'c Request> {
    let base = base_name(file)?;
    let stem = collection.stem();
    collection.requests.iter().find(|r| {
        r.snapshot.as_ref().is_some_and(|spec| {
            base.strip_prefix(&format!("{stem}__{}", r.slug()))
                .is_some_and(|rest| suffix_ok(rest, spec.per_env))
        })
    })
}

/// The file name without `.snap.new` or `.snap`.
fn base_name(file: &Path) -> Option<&str> {
    let name = file.file_name()?.to_str()?;
    name.strip_suffix(".snap.new")
        .or_else(|| name.strip_suffix(".snap"))
}

/// A folder in a form that compares equal however it was spelled.
fn folder_key(dir: &Path) -> PathBuf {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

fn suffix_ok(rest: &str, per_env: bool) -> bool {
    if rest.is_empty() {
        return !per_env;
    }
    let Some(rest) = rest.strip_prefix('@') else {
        return false;
    };
    if let Some(after) = rest.strip_prefix("row-") {
        let (number, env) = match after.split_once('@') {
            Some((n, e)) => (n, Some(e)),
            None => (after, None),
        };
        let row_ok = !number.is_empty()
            && !number.starts_with('0')
            && number.bytes().all(|b| b.is_ascii_digit());
        if row_ok {
            match env {
                None if !per_env => return true,
                Some(e) if per_env && !e.is_empty() => return true,
                _ => {}
            }
        }
    }
    // The whole rest as an environment name (which may itself look like `row-2`).
    per_env && !rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_that_a_request_can_write() {
        assert!(suffix_ok("", false));
        assert!(!suffix_ok("", true));
        assert!(suffix_ok("@row-1", false));
        assert!(suffix_ok("@row-12", false));
        assert!(!suffix_ok("@row-0", false));
        assert!(!suffix_ok("@row-", false));
        assert!(!suffix_ok("@row-x", false));
        assert!(!suffix_ok("@local", false));
        assert!(suffix_ok("@local", true));
        assert!(suffix_ok("@row-3@local", true));
        assert!(!suffix_ok("@row-3@local", false));
        assert!(!suffix_ok("-more", false));
        assert!(!suffix_ok("@", true));
    }

    #[test]
    fn stem_membership_needs_a_slug_after_the_stem() {
        assert!(belongs_to_stem("vendors__read-vendor.snap", "vendors"));
        assert!(belongs_to_stem(
            "vendors__read-vendor@row-2@local.snap.new",
            "vendors"
        ));
        assert!(!belongs_to_stem("vendors__v2__read.snap", "vendors"));
        assert!(!belongs_to_stem("vendorsx__read.snap", "vendors"));
        assert!(!belongs_to_stem("vendors__.snap", "vendors"));
    }

    #[test]
    fn kinds_by_name() {
        assert_eq!(kind_of(Path::new("a/x.snap")), Some(SnapKind::Stored));
        assert_eq!(kind_of(Path::new("a/x.snap.new")), Some(SnapKind::Pending));
        assert_eq!(kind_of(Path::new("a/.tmp-courier-x.part")), None);
        assert_eq!(kind_of(Path::new("a/x.yaml")), None);
    }
}
