//! Where a report file goes: a path, written atomically (a temporary file beside it, then a
//! rename, so a CI step never reads half a report and an old one is never left truncated),
//! or standard output for `--json -`. Shared by the JSON and JUnit reporters of `run` and
//! `compare`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The destination of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportTarget {
    /// Standard output (`-` on the command line).
    Stdout,
    File(PathBuf),
}

impl ReportTarget {
    /// `-` means standard output; anything else is a path.
    pub fn from_arg(arg: &Path) -> Self {
        if arg.as_os_str() == "-" {
            Self::Stdout
        } else {
            Self::File(arg.to_owned())
        }
    }

    /// Writes the whole report.
    pub fn write(&self, bytes: &[u8]) -> Result<(), WriteError> {
        match self {
            Self::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes)
                    .and_then(|()| out.flush())
                    .map_err(WriteError::Stdout)
            }
            Self::File(path) => write_atomic(path, bytes),
        }
    }
}

impl ReportTarget {
    /// Writes the report that `write` makes, as it makes it (buffered).
    pub fn write_with(
        &self,
        write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<(), WriteError> {
        match self {
            Self::Stdout => {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                write(&mut out)
                    .and_then(|()| out.flush())
                    .map_err(WriteError::Stdout)
            }
            Self::File(path) => write_atomic_with(path, write),
        }
    }
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("write the report to standard output: {0}")]
    Stdout(#[source] std::io::Error),
    #[error("write `{path}`: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl From<WriteError> for std::io::Error {
    fn from(e: WriteError) -> Self {
        let kind = match &e {
            WriteError::Stdout(s) => s.kind(),
            WriteError::File { source, .. } => source.kind(),
        };
        std::io::Error::new(kind, e.to_string())
    }
}

/// [`write_atomic`] of what `write` writes, as it writes it.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    courier_core::fs::write_atomic_with(path, courier_core::fs::Mode::Ordinary, write).map_err(
        |source| WriteError::File {
            path: path.display().to_string(),
            source,
        },
    )
}

/// Writes a report through the one atomic writer (courier-core's `fs`), with an ordinary
/// file's mode: people and CI read reports.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    courier_core::fs::write_atomic(path, bytes, courier_core::fs::Mode::Ordinary).map_err(
        |source| WriteError::File {
            path: path.display().to_string(),
            source,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dash_is_stdout() {
        assert_eq!(ReportTarget::from_arg(Path::new("-")), ReportTarget::Stdout);
        assert_eq!(
            ReportTarget::from_arg(Path::new("r.json")),
            ReportTarget::File(PathBuf::from("r.json"))
        );
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/report.xml");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["report.xml"]);
    }

    #[test]
    fn a_directory_in_the_way_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let e = write_atomic(dir.path(), b"x").unwrap_err();
        assert!(
            e.to_string().contains(&dir.path().display().to_string()),
            "{e}"
        );
    }
}
