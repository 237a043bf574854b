//! `courier snapshots`: review, accept, reject, list and clean snapshot files (docs/cli.md#courier-snapshots). The
//! files and their format belong to `courier_check::snapshot`; this module finds them under
//! the PATH arguments, asks or acts, and prints what it did.
//!
//! Decisions the snapshot workflow leaves open, also in each subcommand's `--help`:
//! - `-k TEXT` keeps the pending snapshots whose file path, or `collection / request` (the
//!   names that `courier run -k` matches), contains TEXT in any case; repeats mean OR.
//! - `list` prints one path per line on standard output and nothing else (a count goes to
//!   standard error), so scripts can read it.
//! - `list --orphans` needs the collections, so, like `clean`, it refuses (exit 2) when one
//!   fails to load or none is found.
//! - Exit codes: 0 done (also when nothing was pending); 2 a PATH that does not exist, a
//!   collection that fails to load (`clean`, `list --orphans`), or a file that could not be
//!   read, renamed or removed.

use std::collections::HashMap;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use courier_check::snapshot::files::{self, Owners, Scope, SnapKind};
use courier_check::snapshot::{self, SnapshotDiff, read_snap, target_of_pending};
use courier_core::diag::{Diagnostic, display_path};
use courier_core::load;
use courier_core::model::Collection;
use courier_events::Exit;
use owo_colors::Style;

use super::common::{ColorChoice, paths_or_default};
use super::error::{CliError, CliResult};

/// Review and manage response snapshots.
///
/// A request with `snapshot:` stores its response in
/// `__snapshots__/<collection>__<request>[@row-N][@<env>].snap` beside its collection, in
/// insta's `.snap` format. When a run finds no snapshot or a different response, it fails the
/// request and writes the new value beside it as `<same>.snap.new` (unless it runs with
/// `--snapshots check`, or under CI). These commands deal with those pending files: look at
/// each with a diff and decide (`review`), take or drop them all at once (`accept`,
/// `reject`), list them (`list`), and remove snapshot files that no request writes any more
/// (`clean`).
///
/// PATHS (default `collections`) are folders, searched recursively for `__snapshots__`
/// folders (skipping hidden folders, `environments`, `target` and `node_modules`);
/// collection files, meaning that collection's snapshots; `__snapshots__` folders; or
/// `.snap` / `.snap.new` files.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  courier snapshots review\n  courier snapshots accept -k \"vendors crud\"\n  courier snapshots list collections/vendors.yaml\n  courier snapshots clean\n\nExit codes: 0 done; 2 a path that does not exist, a collection that fails to load, or a file that could not be changed."
)]
pub(crate) struct SnapshotsArgs {
    #[command(subcommand)]
    command: SnapshotsCommand,
    /// When to colour diffs: `auto` (when standard output is a terminal and neither
    /// `NO_COLOR` nor `CI` is set; `CI` set to ``, `0` or `false` counts as unset), `always`
    /// or `never`.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, value_name = "WHEN")]
    color: ColorChoice,
}

#[derive(Debug, clap::Subcommand)]
enum SnapshotsCommand {
    Review(ReviewArgs),
    Accept(AcceptArgs),
    Reject(RejectArgs),
    List(ListArgs),
    Clean(CleanArgs),
}

/// Walk the pending snapshots one by one and decide.
///
/// For each `.snap.new` file, in path order, shows which collection and request it belongs
/// to, then the diff against the stored `.snap` (`-` stored, `+` new; only the changed
/// regions, with three lines of context) or, for a first snapshot, its whole content. Then it
/// asks `accept (a) / reject (r) / skip (s) / quit (q)`: accept moves the new value into
/// place as the `.snap`; reject deletes the `.snap.new`; skip leaves it for later; quit stops
/// (the rest stay pending). The answers are read a line at a time from standard input; the
/// end of input means quit.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  courier snapshots review\n  courier snapshots review collections/vendors.yaml -k \"read vendor\""
)]
struct ReviewArgs {
    /// Where to look (default: `collections`): folders, collection files, `__snapshots__`
    /// folders or `.snap.new` files.
    paths: Vec<PathBuf>,
    /// Only the pending snapshots whose path or `collection / request` contains TEXT (any
    /// case); repeat for more (any may match).
    #[arg(short = 'k', long = "filter", value_name = "TEXT")]
    filters: Vec<String>,
}

/// Accept every pending snapshot without asking.
///
/// Renames each `.snap.new` over its `.snap` (creating it for a first snapshot) and prints
/// `accepted <snapshot>` for each. The next run compares against the accepted values.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  courier snapshots accept\n  courier snapshots accept collections/vendors.yaml\n  courier snapshots accept -k \"vendors crud / read vendor\""
)]
struct AcceptArgs {
    /// Where to look (default: `collections`): folders, collection files, `__snapshots__`
    /// folders or `.snap.new` files.
    paths: Vec<PathBuf>,
    /// Only the pending snapshots whose path or `collection / request` contains TEXT (any
    /// case); repeat for more (any may match).
    #[arg(short = 'k', long = "filter", value_name = "TEXT")]
    filters: Vec<String>,
}

/// Reject every pending snapshot without asking.
///
/// Deletes each `.snap.new`, leaving the stored `.snap` as it was, and prints
/// `rejected <file>` for each.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  courier snapshots reject\n  courier snapshots reject -k vendors"
)]
struct RejectArgs {
    /// Where to look (default: `collections`): folders, collection files, `__snapshots__`
    /// folders or `.snap.new` files.
    paths: Vec<PathBuf>,
    /// Only the pending snapshots whose path or `collection / request` contains TEXT (any
    /// case); repeat for more (any may match).
    #[arg(short = 'k', long = "filter", value_name = "TEXT")]
    filters: Vec<String>,
}

/// List pending snapshots, or orphaned snapshot files.
///
/// Prints one path per line on standard output (the count goes to standard error): the
/// pending `.snap.new` files, or with `--orphans` the `.snap` and `.snap.new` files that no
/// request of the collections beside them writes any more (the request was renamed, lost its
/// `snapshot:` or `per_env`, or the collection was deleted) — what `clean` would remove.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  courier snapshots list\n  courier snapshots list --orphans")]
struct ListArgs {
    /// Where to look (default: `collections`): folders, collection files or `__snapshots__`
    /// folders.
    paths: Vec<PathBuf>,
    /// List orphaned files instead. Loads the collections; refuses (exit 2) when one fails to
    /// load.
    #[arg(long)]
    orphans: bool,
}

/// Remove orphaned snapshot files.
///
/// Loads every collection under PATHS and beside each `__snapshots__` folder, then deletes
/// the `.snap` and `.snap.new` files that none of their requests writes any more (see `list
/// --orphans`), printing `removed <file>` for each. When a collection fails to load, it
/// cannot tell what is orphaned: it prints the problems, removes nothing and exits with 2.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  courier snapshots list --orphans   # what would be removed\n  courier snapshots clean"
)]
struct CleanArgs {
    /// Where to look (default: `collections`): folders, collection files or `__snapshots__`
    /// folders.
    paths: Vec<PathBuf>,
}

pub(crate) fn run(args: &SnapshotsArgs) -> CliResult {
    let color = args.color.enabled(std::io::stdout().is_terminal());
    match &args.command {
        SnapshotsCommand::Review(a) => review(&paths_or_default(&a.paths), &a.filters, color),
        SnapshotsCommand::Accept(a) => accept_all(&paths_or_default(&a.paths), &a.filters),
        SnapshotsCommand::Reject(a) => reject_all(&paths_or_default(&a.paths), &a.filters),
        SnapshotsCommand::List(a) => list(&paths_or_default(&a.paths), a.orphans),
        SnapshotsCommand::Clean(a) => clean(&paths_or_default(&a.paths)),
    }
}

/// A pending snapshot with what is needed to show and filter it.
struct Pending {
    path: PathBuf,
    /// `collection / request`, or the header's `source / expression` when the collection is
    /// gone or does not load.
    label: String,
}

/// Finds the pending snapshots under `paths` that pass the filters.
fn pending(paths: &[PathBuf], filters: &[String]) -> Result<Vec<Pending>, CliError> {
    let scopes = files::scopes(paths).map_err(|e| fail(&e.to_string()))?;
    let found = files::files(&scopes, SnapKind::Pending)
        .map_err(|e| fail(&format!("cannot list snapshot files: {e}")))?;
    let mut collections: HashMap<PathBuf, Option<Collection>> = HashMap::new();
    let filters: Vec<String> = filters.iter().map(|f| f.to_lowercase()).collect();
    let mut out = Vec::new();
    for path in found {
        let label = label_of(&path, &mut collections);
        let shown = display_path(&path);
        if !filters.is_empty() {
            let haystacks = [shown.to_lowercase(), label.to_lowercase()];
            if !filters
                .iter()
                .any(|f| haystacks.iter().any(|h| h.contains(f.as_str())))
            {
                continue;
            }
        }
        out.push(Pending { path, label });
    }
    Ok(out)
}

/// `collection / request` for a snapshot file: the collection is the header's `source`, in
/// the folder that holds `__snapshots__`.
fn label_of(path: &Path, cache: &mut HashMap<PathBuf, Option<Collection>>) -> String {
    let Ok((meta, _)) = read_snap(path) else {
        return String::new();
    };
    // Only a file name is taken from the header: a `.snap` never points outside its folder.
    let collection_file = path
        .parent()
        .and_then(Path::parent)
        .zip(Path::new(&meta.source).file_name())
        .map(|(dir, name)| dir.join(name));
    if let Some(file) = collection_file {
        let collection = cache
            .entry(file.clone())
            .or_insert_with(|| load::load_collection(&file).ok());
        if let Some(c) = collection
            && let Some(r) = files::request_of(c, path)
        {
            return format!("{} / {}", c.name.value, r.name.value);
        }
    }
    format!("{} / {}", meta.source, meta.expression)
}

fn fail(message: &str) -> CliError {
    CliError::invalid(message)
}

fn none_pending(filters: &[String]) {
    if filters.is_empty() {
        eprintln!("no pending snapshots");
    } else {
        eprintln!("no pending snapshots match {}", filters.join(" or "));
    }
}

fn accept_all(paths: &[PathBuf], filters: &[String]) -> CliResult {
    settle_all(paths, filters, "accept", "accepted", snapshot::accept)
}

fn reject_all(paths: &[PathBuf], filters: &[String]) -> CliResult {
    settle_all(paths, filters, "reject", "rejected", |p| {
        snapshot::reject(p).map(|()| p.to_path_buf())
    })
}

/// Accepts or rejects every pending snapshot under `paths` that `filters` select, without
/// questions; `act` returns the file to name in its line.
fn settle_all(
    paths: &[PathBuf],
    filters: &[String],
    verb: &str,
    done_word: &str,
    act: impl Fn(&Path) -> std::io::Result<PathBuf>,
) -> CliResult {
    let found = pending(paths, filters)?;
    if found.is_empty() {
        none_pending(filters);
        return Ok(Exit::Success);
    }
    let mut errors: Option<CliError> = None;
    let mut done = 0;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for p in &found {
        match act(&p.path) {
            Ok(shown) => {
                done += 1;
                let _ = writeln!(out, "{done_word} {}", display_path(&shown));
            }
            Err(e) => {
                CliError::collect(
                    &mut errors,
                    fail(&format!("cannot {verb} {}: {e}", display_path(&p.path))),
                );
            }
        }
    }
    let _ = writeln!(out, "{done} {done_word}");
    errors.map_or(Ok(Exit::Success), Err)
}

/// What a review answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Accept,
    Reject,
    Skip,
    Quit,
}

fn parse_answer(line: &str) -> Option<Answer> {
    match line.trim().to_lowercase().as_str() {
        "a" | "accept" => Some(Answer::Accept),
        "r" | "reject" => Some(Answer::Reject),
        "s" | "skip" => Some(Answer::Skip),
        "q" | "quit" => Some(Answer::Quit),
        _ => None,
    }
}

fn review(paths: &[PathBuf], filters: &[String], color: bool) -> CliResult {
    let found = pending(paths, filters)?;
    if found.is_empty() {
        none_pending(filters);
        return Ok(Exit::Success);
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let (mut accepted, mut rejected, mut skipped) = (0, 0, 0);
    let mut errors: Option<CliError> = None;
    let total = found.len();
    for (i, p) in found.iter().enumerate() {
        let _ = show(&mut out, p, i + 1, total, color);
        let answer = loop {
            let _ = write!(out, "accept (a) / reject (r) / skip (s) / quit (q)? ");
            let _ = out.flush();
            let mut line = String::new();
            match input.read_line(&mut line) {
                Ok(0) | Err(_) => {
                    let _ = writeln!(out);
                    break Answer::Quit;
                }
                Ok(_) => match parse_answer(&line) {
                    Some(a) => break a,
                    None => {
                        let _ = writeln!(out, "please answer a, r, s or q");
                    }
                },
            }
        };
        match answer {
            Answer::Accept => match snapshot::accept(&p.path) {
                Ok(target) => {
                    accepted += 1;
                    let _ = writeln!(out, "accepted {}\n", display_path(&target));
                }
                Err(e) => {
                    CliError::collect(
                        &mut errors,
                        fail(&format!("cannot accept {}: {e}", display_path(&p.path))),
                    );
                }
            },
            Answer::Reject => match snapshot::reject(&p.path) {
                Ok(()) => {
                    rejected += 1;
                    let _ = writeln!(out, "rejected {}\n", display_path(&p.path));
                }
                Err(e) => {
                    CliError::collect(
                        &mut errors,
                        fail(&format!("cannot reject {}: {e}", display_path(&p.path))),
                    );
                }
            },
            Answer::Skip => {
                skipped += 1;
                let _ = writeln!(out, "skipped\n");
            }
            Answer::Quit => {
                skipped += total - i;
                break;
            }
        }
    }
    let _ = writeln!(
        out,
        "{accepted} accepted, {rejected} rejected, {skipped} skipped"
    );
    errors.map_or(Ok(Exit::Success), Err)
}

/// One pending snapshot for review: where it is, whose it is, and the diff.
fn show(
    out: &mut impl std::io::Write,
    p: &Pending,
    n: usize,
    total: usize,
    color: bool,
) -> std::io::Result<()> {
    let bold = if color {
        Style::new().bold()
    } else {
        Style::new()
    };
    writeln!(
        out,
        "{}",
        bold.style(format_args!(
            "Snapshot {n} of {total}: {}",
            display_path(&p.path)
        ))
    )?;
    if !p.label.is_empty() {
        writeln!(out, "  {}", p.label)?;
    }
    let new = match read_snap(&p.path) {
        Ok((meta, body)) => {
            writeln!(out, "  source: {}", meta.source)?;
            writeln!(out, "  expression: {}", meta.expression)?;
            body
        }
        Err(e) => {
            writeln!(out, "  cannot read it: {e}")?;
            return Ok(());
        }
    };
    let stored = target_of_pending(&p.path).map(|t| read_snap(&t));
    match stored {
        Some(Ok((_, old))) => {
            writeln!(out, "changed (-stored snapshot, +new value):")?;
            let diff = SnapshotDiff::new(&old, &new);
            let text = diff.render(color);
            if text.is_empty() {
                writeln!(out, "  (only whitespace at the end differs)")?;
            } else {
                write!(out, "{text}")?;
            }
        }
        Some(Err(e)) if e.kind() != std::io::ErrorKind::NotFound => {
            writeln!(out, "the stored snapshot cannot be read ({e}); new value:")?;
            write!(out, "{}", SnapshotDiff::new("", &new).render(color))?;
        }
        _ => {
            writeln!(out, "new snapshot:")?;
            write!(out, "{}", SnapshotDiff::new("", &new).render(color))?;
        }
    }
    Ok(())
}

/// The collections that decide what is orphaned: those under the PATHS, and those beside each
/// `__snapshots__` folder in scope. `Err` when any fails to load or there are none.
fn owning_collections(
    paths: &[PathBuf],
    scopes: &[Scope],
) -> Result<Vec<Arc<Collection>>, Vec<Diagnostic>> {
    let searchable: Vec<PathBuf> = paths
        .iter()
        .filter(|p| {
            if p.is_dir() {
                p.file_name().is_none_or(|n| n != files::SNAPSHOTS_DIR)
            } else {
                p.extension().is_some_and(|e| e == "yaml" || e == "yml")
            }
        })
        .cloned()
        .collect();
    let mut found = if searchable.is_empty() {
        Vec::new()
    } else {
        load::discover(&searchable)?
    };
    for scope in scopes {
        let beside = match scope {
            Scope::Dir { dir, stem: None } => dir.parent(),
            Scope::File(file) => file.parent().and_then(Path::parent),
            // A collection file was named: it is in `found` already.
            Scope::Dir { stem: Some(_), .. } => None,
        };
        let Some(beside) = beside else { continue };
        let dir = if beside.as_os_str().is_empty() {
            Path::new(".")
        } else {
            beside
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut siblings: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect();
        found.append(&mut siblings);
    }
    let mut keyed: Vec<(PathBuf, PathBuf)> = found
        .into_iter()
        .map(|p| (std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone()), p))
        .collect();
    keyed.sort();
    keyed.dedup_by(|a, b| a.0 == b.0);
    if keyed.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(vec![
            Diagnostic::new(format!("no collection files found under {}", shown.join(", ")))
                .with_help("orphans are told apart by the collections beside them; name a folder or file that holds some"),
        ]);
    }
    let files: Vec<PathBuf> = keyed.into_iter().map(|(_, p)| p).collect();
    let (collections, diags) = load::load_all(&files);
    if diags.is_empty() {
        Ok(collections)
    } else {
        Err(diags)
    }
}

/// The orphaned files under `paths`, or the exit code after printing why they cannot be told.
fn orphans(paths: &[PathBuf], action: &str) -> Result<Vec<PathBuf>, CliError> {
    let scopes = files::scopes(paths).map_err(|e| fail(&e.to_string()))?;
    let collections = owning_collections(paths, &scopes).map_err(|diags| {
        CliError::input(diags).and(fail(&format!(
            "{action}: a collection did not load, so orphaned snapshots cannot be told apart"
        )))
    })?;
    let owners = Owners::new(collections.iter().map(AsRef::as_ref));
    let mut all = files::files(&scopes, SnapKind::Stored)
        .map_err(|e| fail(&format!("cannot list snapshot files: {e}")))?;
    all.extend(
        files::files(&scopes, SnapKind::Pending)
            .map_err(|e| fail(&format!("cannot list snapshot files: {e}")))?,
    );
    all.sort();
    Ok(all.into_iter().filter(|f| !owners.owns(f)).collect())
}

fn list(paths: &[PathBuf], orphaned: bool) -> CliResult {
    let found = if orphaned {
        orphans(paths, "refusing to list orphans")?
    } else {
        match pending(paths, &[]) {
            Ok(p) => p.into_iter().map(|p| p.path).collect(),
            Err(e) => return Err(e),
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for f in &found {
        let _ = writeln!(out, "{}", display_path(f));
    }
    let what = if orphaned {
        "orphaned snapshot file"
    } else {
        "pending snapshot"
    };
    eprintln!(
        "{} {what}{}",
        found.len(),
        if found.len() == 1 { "" } else { "s" }
    );
    Ok(Exit::Success)
}

fn clean(paths: &[PathBuf]) -> CliResult {
    let found = orphans(paths, "refusing to clean")?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut errors: Option<CliError> = None;
    let mut removed = 0;
    for f in &found {
        match std::fs::remove_file(f) {
            Ok(()) => {
                removed += 1;
                let _ = writeln!(out, "removed {}", display_path(f));
            }
            Err(e) => CliError::collect(
                &mut errors,
                fail(&format!("cannot remove {}: {e}", display_path(f))),
            ),
        }
    }
    let _ = writeln!(
        out,
        "{removed} orphaned snapshot file{} removed",
        if removed == 1 { "" } else { "s" }
    );
    errors.map_or(Ok(Exit::Success), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert_eq!(parse_answer("a\n"), Some(Answer::Accept));
        assert_eq!(parse_answer(" Reject "), Some(Answer::Reject));
        assert_eq!(parse_answer("s"), Some(Answer::Skip));
        assert_eq!(parse_answer("QUIT"), Some(Answer::Quit));
        assert_eq!(parse_answer("x"), None);
        assert_eq!(parse_answer(""), None);
    }
}
