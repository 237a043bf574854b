//! The one way Courier replaces a file: [`write_atomic`], through a temporary file in the same
//! folder (a rename is only atomic within one file system), flushed, then renamed over the
//! target. A reader sees the old file or the new one, never half of one. Reports and
//! snapshots get an ordinary file's mode; the token cache, which holds credentials, is
//! private to its owner.

use std::io::{self, Write as _};
use std::path::Path;

/// Who may read the file written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The mode a plain create gives under the process's umask (0644 under the usual 022):
    /// reports and snapshots, which people and CI read and commit.
    Ordinary,
    /// Owner only (0600): the token cache.
    Private,
}

/// Writes `contents` to `path` atomically, creating the folder when missing (CI steps often
/// name `reports/junit.xml` before anything made `reports/`). A crash leaves at worst a
/// hidden `.tmp-courier-*.part` file, which nothing reads.
pub fn write_atomic(path: &Path, contents: &[u8], mode: Mode) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tmp-courier-").suffix(".part");
    // tempfile creates 0600 files; an ordinary file asks for what a plain create would give
    // (the umask still applies).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let bits = match mode {
            Mode::Ordinary => 0o666,
            Mode::Private => 0o600,
        };
        builder.permissions(std::fs::Permissions::from_mode(bits));
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("__snapshots__").join("a.snap");
        write_atomic(&path, b"one", Mode::Ordinary).expect("first write creates the folder");
        write_atomic(&path, b"two", Mode::Ordinary).expect("second write replaces");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "two");
        let names: Vec<String> = std::fs::read_dir(path.parent().expect("parent"))
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.snap"]);
    }

    #[cfg(unix)]
    #[test]
    fn ordinary_files_get_a_plain_create_mode_and_private_ones_0600() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let mode_of = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        let ordinary = dir.path().join("report.json");
        write_atomic(&ordinary, b"x", Mode::Ordinary).expect("write");
        // The mode a plain create gives under this process's umask, not a temp file's 0600.
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "x").expect("plain write");
        assert_eq!(mode_of(&ordinary), mode_of(&plain));
        let private = dir.path().join("tokens.json");
        write_atomic(&private, b"x", Mode::Private).expect("write");
        assert_eq!(mode_of(&private), 0o600);
    }
}
