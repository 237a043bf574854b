//! Reading the files a user points Courier at (collections, environments, data, `.env`,
//! snapshots, certificates, the token cache): only regular files, each kind with a size cap,
//! so that a FIFO named `*.yaml` cannot hang a command and a symlink to `/dev/zero` cannot fill
//! memory (docs/inputs.md). Errors say which kind of input, which path, and what was wrong.

mod atomic;

pub use atomic::{Mode, write_atomic, write_atomic_with};

use std::fmt;
use std::fs::Metadata;
use std::io::Read as _;
use std::path::Path;

/// A kind of input file, with its size cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Collection,
    Environment,
    Data,
    DotEnv,
    Snapshot,
    CaCert,
    TokenCache,
    /// A file a request sends (`body_file`, a multipart file part).
    BodyFile,
    /// A JSON Schema of `expect.schema`.
    Schema,
}

const MIB: u64 = 1024 * 1024;

impl InputKind {
    /// The largest file of this kind that is read, in bytes.
    pub fn cap(self) -> u64 {
        match self {
            Self::Collection | Self::Schema => 16 * MIB,
            Self::Data | Self::Snapshot | Self::BodyFile => 64 * MIB,
            Self::Environment | Self::DotEnv | Self::CaCert | Self::TokenCache => MIB,
        }
    }

    /// What the file is, in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Collection => "collection",
            Self::Environment => "environment file",
            Self::Data => "data file",
            Self::DotEnv => "`.env` file",
            Self::Snapshot => "snapshot",
            Self::CaCert => "CA certificate",
            Self::TokenCache => "token cache",
            Self::BodyFile => "body file",
            Self::Schema => "schema file",
        }
    }
}

/// Why an input file was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("{kind} `{path}` does not exist")]
    Missing { kind: &'static str, path: String },
    #[error("{kind} `{path}` is {what}, not a regular file")]
    NotRegular {
        kind: &'static str,
        path: String,
        what: &'static str,
    },
    #[error("{kind} `{path}` is {size} bytes, over the {cap} limit for {kind}s")]
    TooLarge {
        kind: &'static str,
        path: String,
        cap: Size,
        size: u64,
    },
    #[error("cannot read {kind} `{path}`: {message}")]
    Io {
        kind: &'static str,
        path: String,
        message: String,
    },
    #[error("{kind} `{path}` is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        kind: &'static str,
        path: String,
        offset: usize,
    },
}

/// A size in bytes, shown as `16 MiB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= MIB && self.0.is_multiple_of(MIB) {
            write!(f, "{} MiB", self.0 / MIB)
        } else if self.0 >= 1024 && self.0.is_multiple_of(1024) {
            write!(f, "{} KiB", self.0 / 1024)
        } else {
            write!(f, "{} bytes", self.0)
        }
    }
}

/// What a file that is not a regular file is, for messages.
pub fn describe(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Whether an I/O error is a symbolic link loop (`ELOOP`).
pub fn is_symlink_loop(e: &std::io::Error) -> bool {
    // ELOOP is 40 on Linux and 62 on the BSDs and macOS; `ErrorKind::FilesystemLoop` is not
    // stable.
    #[cfg(target_os = "linux")]
    const ELOOP: i32 = 40;
    #[cfg(not(target_os = "linux"))]
    const ELOOP: i32 = 62;
    e.raw_os_error() == Some(ELOOP)
}

/// The metadata of `path` (symlinks followed), or the error a user should read.
pub fn check(path: &Path, kind: InputKind) -> Result<Metadata, ReadError> {
    // Made only for an error: it asks for the working directory.
    let shown = || crate::diag::display_path(path);
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) => return Err(open_error(path, &shown(), kind, &e)),
    };
    if !meta.is_file() {
        return Err(ReadError::NotRegular {
            kind: kind.name(),
            path: shown(),
            what: describe(&meta),
        });
    }
    if meta.len() > kind.cap() {
        return Err(ReadError::TooLarge {
            kind: kind.name(),
            path: shown(),
            cap: Size(kind.cap()),
            size: meta.len(),
        });
    }
    Ok(meta)
}

fn open_error(path: &Path, shown: &str, kind: InputKind, e: &std::io::Error) -> ReadError {
    if e.kind() == std::io::ErrorKind::NotFound {
        if std::fs::symlink_metadata(path).is_ok() {
            return ReadError::Io {
                kind: kind.name(),
                path: shown.to_owned(),
                message: "it is a symbolic link to a file that does not exist".to_owned(),
            };
        }
        return ReadError::Missing {
            kind: kind.name(),
            path: shown.to_owned(),
        };
    }
    let message = if is_symlink_loop(e) {
        "it is a loop of symbolic links".to_owned()
    } else {
        e.to_string()
    };
    ReadError::Io {
        kind: kind.name(),
        path: shown.to_owned(),
        message,
    }
}

/// The bytes of a regular file of at most `kind`'s cap.
pub fn read_bytes(path: &Path, kind: InputKind) -> Result<Vec<u8>, ReadError> {
    let meta = check(path, kind)?;
    let shown = || crate::diag::display_path(path);
    let io = |e: &std::io::Error| ReadError::Io {
        kind: kind.name(),
        path: shown(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(|e| open_error(path, &shown(), kind, &e))?;
    // The path may have been swapped for something else since it was checked.
    let opened = file.metadata().map_err(|e| io(&e))?;
    if !opened.is_file() {
        return Err(ReadError::NotRegular {
            kind: kind.name(),
            path: shown(),
            what: describe(&opened),
        });
    }
    // One byte more than the file: reading to the end then needs no second allocation to
    // find the end.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).map_or(0, |n| n + 1));
    // One byte past the cap tells a file that grew since it was checked.
    file.take(kind.cap() + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io(&e))?;
    if bytes.len() as u64 > kind.cap() {
        return Err(ReadError::TooLarge {
            kind: kind.name(),
            path: shown(),
            cap: Size(kind.cap()),
            size: bytes.len() as u64,
        });
    }
    Ok(bytes)
}

/// The UTF-8 text of a regular file of at most `kind`'s cap.
pub fn read_text(path: &Path, kind: InputKind) -> Result<String, ReadError> {
    let bytes = read_bytes(path, kind)?;
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 {
        kind: kind.name(),
        path: crate::diag::display_path(path),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// A file's identity (device and inode on Unix; the canonical path elsewhere), to notice a
/// folder or file reached twice through symbolic links.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FileId {
    Inode(u64, u64),
    Path(std::path::PathBuf),
}

impl FileId {
    pub fn of(path: &Path, meta: &Metadata) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            let _ = path;
            Self::Inode(meta.dev(), meta.ino())
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            Self::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
    }

    #[test]
    fn a_fifo_says_what_it_is_and_never_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("c.yaml");
        mkfifo(&fifo);
        let err = read_text(&fifo, InputKind::Collection).unwrap_err();
        assert!(
            err.to_string()
                .contains("is a FIFO (named pipe), not a regular file"),
            "{err}"
        );
        assert!(err.to_string().starts_with("collection `"), "{err}");
    }

    #[test]
    fn a_symlink_to_dev_zero_is_a_device_not_16_gb() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("data.csv");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        for kind in [InputKind::Data, InputKind::DotEnv, InputKind::Snapshot] {
            let err = read_bytes(&link, kind).unwrap_err();
            assert_eq!(
                err,
                ReadError::NotRegular {
                    kind: kind.name(),
                    path: crate::diag::display_path(&link),
                    what: "a character device",
                }
            );
        }
    }

    #[test]
    fn files_over_the_cap_are_refused_naming_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("e.yaml");
        std::fs::write(&big, vec![b'#'; 1024 * 1024 + 1]).unwrap();
        let err = read_text(&big, InputKind::Environment).unwrap_err();
        let text = err.to_string();
        assert!(
            text.ends_with("e.yaml` is 1048577 bytes, over the 1 MiB limit for environment files"),
            "{text}"
        );
        // The same file is fine as a collection.
        assert!(read_text(&big, InputKind::Collection).is_ok());
    }

    #[test]
    fn loops_and_dangling_links_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let err = read_text(&a, InputKind::Collection).unwrap_err();
        assert!(err.to_string().contains("loop of symbolic links"), "{err}");
        let dangling = dir.path().join("d.yaml");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        let err = read_text(&dangling, InputKind::Collection).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
        let missing = read_text(&dir.path().join("none.yaml"), InputKind::Collection);
        assert!(matches!(missing, Err(ReadError::Missing { .. })));
    }
}
