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

/// Writes `bytes` to `path` through a temporary file in the same directory (a rename is only
/// atomic within one file system). Missing parent directories are created, as CI steps
/// often name `reports/junit.xml` before anything made `reports/`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let err = |source: std::io::Error| WriteError::File {
        path: path.display().to_string(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(err)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".courier-report-")
        .tempfile_in(&dir)
        .map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
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
