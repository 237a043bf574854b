//! Running the built binary the way users do, with nothing inherited from the test's own
//! environment (no `CI`, `NO_COLOR`, `COURIER_*` or proxy variables), and normalising what
//! varies between runs (durations, ports, temporary paths) before comparing output.

#![allow(
    dead_code,
    reason = "each test module uses a different part of the support"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `courier` binary under test.
pub(crate) fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_courier")
}

/// A command for the binary in `dir`, with a clean environment: only `PATH`, a `HOME` inside
/// `dir`, and a token cache inside `dir`.
pub(crate) fn courier(dir: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.join(".home"))
        .env("COURIER_TOKEN_CACHE", dir.join(".home/tokens.json"));
    cmd
}

/// Runs the binary in `dir` with `args`.
pub(crate) fn run(dir: &Path, args: &[&str]) -> Output {
    courier(dir)
        .args(args)
        .output()
        .expect("the courier binary runs")
}

/// The exit code, stdout and stderr of an output, as text.
pub(crate) fn parts(out: &Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Replaces what varies between runs: `12 ms` → `N ms`, loopback ports → `PORT`, the
/// temporary directory → `[TMP]`.
pub(crate) fn normalize(text: &str, tmp: &Path) -> String {
    let mut s = text.replace(&tmp.display().to_string(), "[TMP]");
    if let Ok(canon) = tmp.canonicalize() {
        s = s.replace(&canon.display().to_string(), "[TMP]");
    }
    let ms = regex::Regex::new(r"\b\d+ ms\b").expect("valid regex");
    let s = ms.replace_all(&s, "N ms");
    let port = regex::Regex::new(r"127\.0\.0\.1:\d+").expect("valid regex");
    port.replace_all(&s, "127.0.0.1:PORT").into_owned()
}

/// Copies a directory tree.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the target directory");
    for entry in std::fs::read_dir(from).expect("read the source directory") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// The repository's root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary working directory holding the given files (path → contents).
pub(crate) fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (path, contents) in files {
        let p = dir.path().join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create parent directories");
        }
        std::fs::write(&p, contents).expect("write a file");
    }
    dir
}

/// A temporary working directory holding a copy of the repository's `collections/` and
/// `environments/`: tests that read the examples still run where nothing of the checkout can
/// be written to.
pub(crate) fn examples() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for folder in ["collections", "environments"] {
        copy_dir(&root().join(folder), &dir.path().join(folder));
    }
    dir
}
