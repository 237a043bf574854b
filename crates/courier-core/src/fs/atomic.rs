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

/// The temporary files' prefix; the writer's process id follows it.
const PART_PREFIX: &str = ".tmp-courier-";

/// Writes `contents` to `path` atomically, creating the folder when missing (CI steps often
/// name `reports/junit.xml` before anything made `reports/`). A crash (`kill -9`) leaves at
/// worst a hidden `.tmp-courier-PID-*.part` file, which nothing reads and the next write to
/// that folder removes once process PID is gone.
pub fn write_atomic(path: &Path, contents: &[u8], mode: Mode) -> io::Result<()> {
    write_atomic_with(path, mode, |w| w.write_all(contents))
}

/// [`write_atomic`] of what `write` writes, through a buffer: a large report goes to the file
/// as it is made instead of being held whole in memory first.
pub fn write_atomic_with(
    path: &Path,
    mode: Mode,
    write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    remove_stale_parts(dir);
    let prefix = format!("{PART_PREFIX}{}-", std::process::id());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".part");
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
    {
        let mut out = io::BufWriter::with_capacity(64 * 1024, tmp.as_file_mut());
        write(&mut out)?;
        out.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Removes the temporary files that writers which are no longer running left in `dir`.
/// Best effort: a file that cannot be listed or removed stays.
fn remove_stale_parts(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_suffix(".part"))
            .and_then(|n| n.strip_prefix(PART_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !process_alive(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether process `pid` runs. Where that cannot be told, it is taken to run, so that no
/// live writer's file is ever removed.
#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> bool {
    true
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

    #[cfg(target_os = "linux")]
    #[test]
    fn a_dead_writers_leftover_is_removed_and_a_live_ones_is_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Above Linux's largest pid (2^22), so never a running process.
        let dead = dir.path().join(".tmp-courier-999999999-abc.part");
        let live = dir
            .path()
            .join(format!(".tmp-courier-{}-def.part", std::process::id()));
        std::fs::write(&dead, "half").expect("write");
        std::fs::write(&live, "half").expect("write");
        write_atomic(&dir.path().join("r.json"), b"{}", Mode::Ordinary).expect("write");
        assert!(!dead.exists(), "a dead writer's leftover is removed");
        assert!(live.exists(), "a running writer's file is left alone");
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
