//! Response snapshots (docs/collections.md#snapshots): what a request's snapshot stores, where the file lives, how a
//! new value is checked against it under `--snapshots auto|check|update`, and the diff shown
//! when they differ. The files are insta's `.snap` format, so people who know `cargo insta`
//! feel at home.
//!
//! The executor calls [`check_request`] once per response of a request with `snapshot:`
//! (after its other checks), with the [effective](SnapshotMode::effective) mode; it names the
//! file ([`snapshot_path_for`]), renders the stored form ([`render`] with [`redactions_for`],
//! secrets removed), builds the header ([`SnapshotMeta::for_request`]) and runs [`check`]. The
//! `courier snapshots` subcommands use [`files`] to find pending and orphaned files and
//! [`accept`] / [`reject`] to act on them. Everything here is synchronous; every write is
//! atomic (a temporary file in the same folder, renamed over the target).
//!
//! Decisions the snapshot format leaves open, as implemented here:
//! - Only the body is compared, after insta's normalisation: trailing whitespace at the end of
//!   the body is ignored and `\r\n` counts as `\n` (so a checkout with CRLF line endings still
//!   matches).
//! - `check` mode touches nothing on disk: it neither writes `.snap.new` nor deletes a stale
//!   one. `auto` (outside CI) and `update` delete a stale `.snap.new` when the request passes.
//! - `update` rewrites the `.snap` only when its bytes would change, and then reports
//!   [`SnapshotOutcome::Updated`]; an identical file is [`SnapshotOutcome::Matched`]. Both pass.
//! - A `.snap` that is not in insta's format is an error under `auto` and `check` (the person
//!   must look at it) and is overwritten under `update`.

mod diff;
pub mod files;
mod format;
mod render;

use std::fmt::{self, Write as _};
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use courier_core::model::{Collection, Redaction, Request};

pub use diff::{CONTEXT_LINES, DiffLine, DiffLineKind, SnapshotDiff};
pub use format::{FormatError, read_snap, serialize, write_atomic, write_snap};
pub use render::{SnapshotBody, render};

/// `--snapshots auto|check|update`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SnapshotMode {
    /// The default: `check` under CI, otherwise write `.snap.new` files for review.
    #[default]
    Auto,
    /// Compare only; write and delete nothing.
    Check,
    /// Write the new value as the snapshot; the request passes.
    Update,
}

impl SnapshotMode {
    /// The mode a run really uses: `auto` becomes `check` when `ci` (the value of the `CI`
    /// variable, `None` when unset) counts as set — see [`ci_is_set`]. The other modes are
    /// what they say.
    #[must_use]
    pub fn effective(self, ci: Option<&str>) -> SnapshotMode {
        match self {
            SnapshotMode::Auto if ci_is_set(ci) => SnapshotMode::Check,
            mode => mode,
        }
    }

    /// [`SnapshotMode::effective`] with this process's `CI` variable. A value that is not
    /// UTF-8 counts as set.
    #[must_use]
    pub fn effective_from_env(self) -> SnapshotMode {
        match std::env::var_os("CI") {
            None => self.effective(None),
            Some(v) => self.effective(Some(v.to_str().unwrap_or("true"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotMode::Auto => "auto",
            SnapshotMode::Check => "check",
            SnapshotMode::Update => "update",
        }
    }
}

impl fmt::Display for SnapshotMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown `--snapshots` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown snapshot mode `{0}`: expected `auto`, `check` or `update`")]
pub struct ParseModeError(pub String);

impl FromStr for SnapshotMode {
    type Err = ParseModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(SnapshotMode::Auto),
            "check" => Ok(SnapshotMode::Check),
            "update" => Ok(SnapshotMode::Update),
            other => Err(ParseModeError(other.to_owned())),
        }
    }
}

/// Whether the `CI` variable counts as set (docs/cli.md#ci, also the colour rule): set to
/// anything but the empty string, `0` or `false`. Surrounding whitespace is ignored and
/// `false` is matched in any case (`False`, `FALSE`), as CI systems and shells spell it
/// either way.
pub fn ci_is_set(ci: Option<&str>) -> bool {
    match ci {
        None => false,
        Some(v) => {
            let v = v.trim();
            !(v.is_empty() || v == "0" || v.eq_ignore_ascii_case("false"))
        }
    }
}

/// The snapshot file of a request (docs/collections.md#snapshots):
/// `<folder of the collection>/__snapshots__/<collection file stem>__<request slug>[@row-N][@<env>].snap`.
///
/// `row` is the 1-based number of the data row (as in ` [row N]` on the console), `None` when
/// the run is not data-driven; `env` is the environment's identity (its file stem), given only
/// for a snapshot with `per_env: true`.
pub fn snapshot_path(
    collection_file: &Path,
    request_name: &str,
    row: Option<usize>,
    env: Option<&str>,
) -> PathBuf {
    let stem = collection_file
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let mut name = format!("{stem}__{}", courier_core::model::slug(request_name));
    if let Some(row) = row {
        let _ = write!(name, "@row-{row}");
    }
    if let Some(env) = env {
        name.push('@');
        name.push_str(env);
    }
    name.push_str(".snap");
    collection_file
        .parent()
        .unwrap_or_else(|| Path::new(""))
        .join(files::SNAPSHOTS_DIR)
        .join(name)
}

/// [`snapshot_path`] for a request of a loaded collection; `None` when the request has no
/// `snapshot:`. `env_name` is the environment's identity; it is used only with `per_env: true`.
pub fn snapshot_path_for(
    collection: &Collection,
    request: &Request,
    row: Option<usize>,
    env_name: &str,
) -> Option<PathBuf> {
    let spec = request.snapshot.as_ref()?;
    let env = spec.per_env.then_some(env_name);
    Some(snapshot_path(
        collection.file.path(),
        &request.name.value,
        row,
        env,
    ))
}

/// The redactions of a request's snapshot, in the order [`render`] wants them: the
/// collection's `snapshot.redact` defaults, then the request's own (which win for the same
/// selector). Empty when the request has no `snapshot:`.
pub fn redactions_for(collection: &Collection, request: &Request) -> Vec<Redaction> {
    let Some(spec) = &request.snapshot else {
        return Vec::new();
    };
    collection
        .snapshot_redact
        .iter()
        .chain(&spec.redact)
        .cloned()
        .collect()
}

/// The pending file beside a snapshot: `<same>.snap.new`.
pub fn pending_path(snap_path: &Path) -> PathBuf {
    let mut s = snap_path.as_os_str().to_owned();
    s.push(".new");
    PathBuf::from(s)
}

/// The snapshot a pending file would become (`x.snap.new` → `x.snap`); `None` for a path that
/// does not end in `.snap.new`.
#[expect(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "Courier writes `.snap` in lower case; `.SNAP` is not one of its files"
)]
pub fn target_of_pending(pending: &Path) -> Option<PathBuf> {
    let s = pending.to_str()?;
    s.strip_suffix(".new")
        .filter(|t| t.ends_with(".snap"))
        .map(PathBuf::from)
}

/// The header of a `.snap` file (insta's metadata): which collection file it belongs to and
/// what was stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SnapshotMeta {
    /// The collection's file name (`vendors.yaml`), not its path: the `.snap` lives beside it.
    pub source: String,
    /// `<request name> <path or $>`.
    pub expression: String,
}

impl SnapshotMeta {
    /// The header for a request: `source` is the file name of `collection_file`, `expression`
    /// the request name followed by the snapshot's `path` (or `$`).
    pub fn new(collection_file: &Path, request_name: &str, path: Option<&str>) -> Self {
        SnapshotMeta {
            source: collection_file
                .file_name()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
            expression: format!("{request_name} {}", path.unwrap_or("$")),
        }
    }

    /// [`SnapshotMeta::new`] for a request of a loaded collection.
    pub fn for_request(collection: &Collection, request: &Request) -> Self {
        let path = request
            .snapshot
            .as_ref()
            .and_then(|s| s.path.as_ref())
            .map(|p| p.value.as_str());
        SnapshotMeta::new(collection.file.path(), &request.name.value, path)
    }
}

/// What [`check`] found and did.
#[derive(Debug, Clone, PartialEq)]
pub enum SnapshotOutcome {
    /// The body equals the stored snapshot. Passes.
    Matched,
    /// There was no snapshot yet. Fails; `pending` is the `.snap.new` written (`None` in
    /// `check` mode, which writes nothing).
    New { pending: Option<PathBuf> },
    /// The body differs from the stored snapshot. Fails; `pending` as for `New`.
    Changed {
        pending: Option<PathBuf>,
        diff: SnapshotDiff,
    },
    /// `update` mode wrote the new value as the snapshot. Passes.
    Updated,
    /// The snapshot could not be checked (a file that cannot be read or written). Fails;
    /// nothing is known about whether the body changed.
    Error { message: String },
}

impl SnapshotOutcome {
    /// Whether the request's snapshot check passes.
    pub fn passed(&self) -> bool {
        matches!(self, SnapshotOutcome::Matched | SnapshotOutcome::Updated)
    }

    /// The word of the JSON report's `snapshot` field (docs/reports.md#json-report).
    pub fn as_str(&self) -> &'static str {
        match self {
            SnapshotOutcome::Matched => "matched",
            SnapshotOutcome::New { .. } => "new",
            SnapshotOutcome::Changed { .. } => "changed",
            SnapshotOutcome::Updated => "updated",
            SnapshotOutcome::Error { .. } => "error",
        }
    }
}

/// Checks `content` (from [`render`]) against the snapshot at `snap_path` under `mode`, which
/// should be the [effective](SnapshotMode::effective) one (a plain `Auto` behaves as outside
/// CI). See the module docs for what each mode writes.
pub fn check(
    snap_path: &Path,
    meta: &SnapshotMeta,
    content: &str,
    mode: SnapshotMode,
) -> io::Result<SnapshotOutcome> {
    let pending = pending_path(snap_path);
    let existing = match format::read_text(snap_path) {
        Ok(text) => match format::parse(&text) {
            Ok((old_meta, body)) => Some((old_meta, body, text)),
            // A broken file is replaced in `update` mode; otherwise a person must look at it.
            Err(_) if mode == SnapshotMode::Update => None,
            Err(e) => return Err(format::invalid(snap_path, &e)),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let matched = existing
        .as_ref()
        .is_some_and(|(_, body, _)| bodies_match(body, content));

    match mode {
        SnapshotMode::Update => {
            let serialized = serialize(meta, content);
            let outcome = match &existing {
                Some((_, _, text)) if *text == serialized => SnapshotOutcome::Matched,
                _ => {
                    write_atomic(snap_path, serialized.as_bytes())?;
                    SnapshotOutcome::Updated
                }
            };
            remove_if_exists(&pending)?;
            Ok(outcome)
        }
        _ if matched => {
            if mode != SnapshotMode::Check {
                remove_if_exists(&pending)?;
            }
            Ok(SnapshotOutcome::Matched)
        }
        _ => {
            let pending = if mode == SnapshotMode::Check {
                None
            } else {
                write_snap(&pending, meta, content)?;
                Some(pending)
            };
            Ok(match existing {
                None => SnapshotOutcome::New { pending },
                Some((_, old, _)) => SnapshotOutcome::Changed {
                    pending,
                    diff: SnapshotDiff::new(&old, content),
                },
            })
        }
    }
}

/// Everything a run does for one request's snapshot, in one call: the file name
/// ([`snapshot_path_for`]), the stored form ([`render`] with [`redactions_for`], after every
/// known secret in the body is replaced by `[REDACTED]` — secrets never reach a
/// snapshot), the header ([`SnapshotMeta::for_request`]) and [`check`] under `mode`.
///
/// `path` is the snapshot's `path` compiled for this response (a templated one rendered),
/// `json` the body parsed as JSON when it is JSON, `raw` the body bytes (stored as text,
/// lossily decoded, when `json` is `None`); `row` the 1-based data row; `env_name` the
/// environment's identity. Returns the snapshot's path with the outcome, or `None` when the
/// request has no `snapshot:`. A `path` or redaction past the JSONPath node budget is an
/// [`SnapshotOutcome::Error`] carrying the budget's message, and nothing is written.
#[expect(
    clippy::too_many_arguments,
    reason = "mirrors the executor's hook: each argument is a distinct fact of the response"
)]
pub fn check_request(
    collection: &Collection,
    request: &Request,
    path: Option<&courier_core::jsonpath::JsonPath>,
    json: Option<&serde_json::Value>,
    raw: &[u8],
    row: Option<usize>,
    env_name: &str,
    secrets: &courier_core::secret::Secrets,
    mode: SnapshotMode,
) -> io::Result<Option<(PathBuf, SnapshotOutcome)>> {
    let Some(snap_path) = snapshot_path_for(collection, request, row, env_name) else {
        return Ok(None);
    };
    let redactions = redactions_for(collection, request);
    let rendered = if let Some(value) = json {
        let mut value = value.clone();
        secrets.redact_json(&mut value);
        render(SnapshotBody::Json(&value), path, &redactions)
    } else {
        let text = String::from_utf8_lossy(raw);
        render(SnapshotBody::Text(&secrets.redact(&text)), None, &[])
    };
    // A selection or redaction past the node budget: nothing is stored or compared, and the
    // request fails with the budget's message, as a check past it does.
    let content = match rendered {
        Ok(content) => content,
        Err(e) => {
            let message = e.to_string();
            return Ok(Some((snap_path, SnapshotOutcome::Error { message })));
        }
    };
    let meta = SnapshotMeta::for_request(collection, request);
    let outcome = check(&snap_path, &meta, &content, mode)?;
    Ok(Some((snap_path, outcome)))
}

/// insta's comparison of text snapshots: trailing whitespace ignored, CRLF as LF.
pub fn bodies_match(old: &str, new: &str) -> bool {
    normalize(old) == normalize(new)
}

fn normalize(body: &str) -> String {
    body.trim_end().replace("\r\n", "\n")
}

fn remove_if_exists(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Accepts a pending snapshot: renames `x.snap.new` over `x.snap` (a rename in one folder,
/// so atomic) and returns the snapshot's path.
pub fn accept(pending: &Path) -> io::Result<PathBuf> {
    let target = target_of_pending(pending).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "`{}` is not a pending snapshot (`*.snap.new`)",
                pending.display()
            ),
        )
    })?;
    std::fs::rename(pending, &target)?;
    Ok(target)
}

/// Rejects a pending snapshot: deletes `x.snap.new`, leaving `x.snap` as it was.
pub fn reject(pending: &Path) -> io::Result<()> {
    std::fs::remove_file(pending)
}

#[cfg(test)]
mod tests;
