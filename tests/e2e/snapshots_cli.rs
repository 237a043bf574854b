//! `courier snapshots review|accept|reject|list|clean` on snapshot files prepared in a
//! temporary working directory, and `courier validate` on
//! colliding snapshot slugs. The binary runs with a clean environment (`support::courier`).

use std::path::{Path, PathBuf};
use std::process::Output;

const COLLECTION: &str = r#"name: Vendors CRUD
requests:
  - name: read vendor
    url: "http://127.0.0.1:9/vendor"
    snapshot: true
  - name: list vendors
    url: "http://127.0.0.1:9/vendors"
    snapshot: { path: "$['ia::result']" }
  - name: by env
    url: "http://127.0.0.1:9/by-env"
    snapshot: { per_env: true }
  - name: no snapshot
    url: "http://127.0.0.1:9/none"
"#;

const OTHER: &str = r#"name: Other
requests:
  - name: x
    url: "http://127.0.0.1:9/x"
    snapshot: true
"#;

/// A `.snap` file as insta lays it out.
fn snap(source: &str, expression: &str, body: &str) -> String {
    format!("---\nsource: {source}\nexpression: {expression}\n---\n{body}")
}

struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Self {
        Project {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    /// Runs `courier` here with an empty environment.
    fn courier(&self, args: &[&str]) -> Output {
        crate::support::courier(self.dir.path())
            .args(args)
            .output()
            .expect("run courier")
    }

    /// Every file under `collections`, relative, sorted.
    fn files(&self) -> Vec<String> {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).expect("read_dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    let rel = path.strip_prefix(root).expect("under root");
                    out.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.path("collections"), self.dir.path(), &mut out);
        out.sort();
        out
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const OLD_READ: &str = "{\n  \"name\": \"Acme\"\n}\n";
const NEW_READ: &str = "{\n  \"name\": \"Bolt\"\n}\n";
const NEW_LIST: &str = "[\n  \"V-1\"\n]\n";

/// Two collections, stored and pending snapshots, and orphans of every kind.
fn project() -> Project {
    let p = Project::new();
    p.write("collections/vendors.yaml", COLLECTION);
    p.write("collections/sub/other.yaml", OTHER);
    let s = "collections/__snapshots__/";
    p.write(
        &format!("{s}vendors__read-vendor.snap"),
        &snap("vendors.yaml", "read vendor $", OLD_READ),
    );
    p.write(
        &format!("{s}vendors__read-vendor.snap.new"),
        &snap("vendors.yaml", "read vendor $", NEW_READ),
    );
    p.write(
        &format!("{s}vendors__list-vendors.snap.new"),
        &snap("vendors.yaml", "\"list vendors $['ia::result']\"", NEW_LIST),
    );
    p.write(
        &format!("{s}vendors__read-vendor@row-2.snap"),
        &snap("vendors.yaml", "read vendor $", OLD_READ),
    );
    p.write(
        &format!("{s}vendors__by-env@local.snap"),
        &snap("vendors.yaml", "by env $", OLD_READ),
    );
    // Orphans: per_env without an env; a renamed request; a deleted request's pending file; a
    // request without `snapshot:`; a folder whose collection is gone.
    p.write(
        &format!("{s}vendors__by-env.snap"),
        &snap("vendors.yaml", "by env $", OLD_READ),
    );
    p.write(
        &format!("{s}vendors__renamed-request.snap"),
        &snap("vendors.yaml", "renamed request $", OLD_READ),
    );
    p.write(
        &format!("{s}vendors__deleted.snap.new"),
        &snap("vendors.yaml", "deleted $", OLD_READ),
    );
    p.write(
        &format!("{s}vendors__no-snapshot.snap"),
        &snap("vendors.yaml", "no snapshot $", OLD_READ),
    );
    p.write(
        "collections/sub/__snapshots__/other__x.snap",
        &snap("other.yaml", "x $", OLD_READ),
    );
    p.write(
        "collections/gone/__snapshots__/gone__x.snap",
        &snap("gone.yaml", "x $", OLD_READ),
    );
    p
}

const ORPHANS: [&str; 5] = [
    "collections/__snapshots__/vendors__by-env.snap",
    "collections/__snapshots__/vendors__deleted.snap.new",
    "collections/__snapshots__/vendors__no-snapshot.snap",
    "collections/__snapshots__/vendors__renamed-request.snap",
    "collections/gone/__snapshots__/gone__x.snap",
];

#[test]
fn list_prints_pending_snapshot_paths_one_per_line() {
    let p = project();
    let out = p.courier(&["snapshots", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "collections/__snapshots__/vendors__deleted.snap.new\n\
         collections/__snapshots__/vendors__list-vendors.snap.new\n\
         collections/__snapshots__/vendors__read-vendor.snap.new\n"
    );
    assert_eq!(stderr(&out), "3 pending snapshots\n");

    // A collection file means only its own snapshots.
    let out = p.courier(&["snapshots", "list", "collections/sub/other.yaml"]);
    assert_eq!(stdout(&out), "");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn list_orphans_then_clean_removes_exactly_the_orphans() {
    let p = project();
    let out = p.courier(&["snapshots", "list", "--orphans"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let expected = ORPHANS.map(|o| format!("{o}\n")).concat();
    assert_eq!(stdout(&out), expected);

    let before = p.files();
    let out = p.courier(&["snapshots", "clean"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let removed = ORPHANS.map(|o| format!("removed {o}\n")).concat();
    assert_eq!(
        stdout(&out),
        format!("{removed}5 orphaned snapshot files removed\n")
    );
    let kept: Vec<String> = before
        .into_iter()
        .filter(|f| !ORPHANS.contains(&f.as_str()))
        .collect();
    assert_eq!(p.files(), kept);
    assert!(
        p.exists("collections/__snapshots__/vendors__read-vendor.snap.new"),
        "pending files of live requests stay"
    );

    let again = p.courier(&["snapshots", "clean"]);
    assert_eq!(stdout(&again), "0 orphaned snapshot files removed\n");
}

#[test]
fn clean_refuses_when_a_collection_fails_to_load() {
    let p = project();
    p.write(
        "collections/broken.yaml",
        "name: Broken\nrequests:\n  - name: a\n    url: http://x/\n    expcet: {}\n",
    );
    let before = p.files();
    let out = p.courier(&["snapshots", "clean"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("collections/broken.yaml:5:5"), "{err}");
    assert!(err.contains("expcet"), "{err}");
    assert!(err.contains("refusing to clean"), "{err}");
    assert_eq!(stdout(&out), "");
    assert_eq!(p.files(), before, "nothing is removed");

    let out = p.courier(&["snapshots", "list", "--orphans"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn clean_refuses_when_there_is_no_collection() {
    let p = Project::new();
    p.write(
        "collections/__snapshots__/vendors__a.snap",
        &snap("vendors.yaml", "a $", OLD_READ),
    );
    let out = p.courier(&["snapshots", "clean"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no collection files found"),
        "{}",
        stderr(&out)
    );
    assert!(p.exists("collections/__snapshots__/vendors__a.snap"));
}

#[test]
fn accept_with_a_filter_takes_only_matching_snapshots() {
    let p = project();
    // `-k` matches `collection / request`, in any case, as `courier run -k` does.
    let out = p.courier(&["snapshots", "accept", "-k", "VENDORS crud / read"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "accepted collections/__snapshots__/vendors__read-vendor.snap\n1 accepted\n"
    );
    assert_eq!(
        p.read("collections/__snapshots__/vendors__read-vendor.snap"),
        snap("vendors.yaml", "read vendor $", NEW_READ)
    );
    assert!(!p.exists("collections/__snapshots__/vendors__read-vendor.snap.new"));
    assert!(p.exists("collections/__snapshots__/vendors__list-vendors.snap.new"));

    // Or the file path; repeated filters are OR'd.
    let out = p.courier(&[
        "snapshots",
        "accept",
        "-k",
        "list-vendors",
        "-k",
        "nothing-matches-this",
    ]);
    assert_eq!(
        stdout(&out),
        "accepted collections/__snapshots__/vendors__list-vendors.snap\n1 accepted\n"
    );
    assert_eq!(
        p.read("collections/__snapshots__/vendors__list-vendors.snap"),
        snap("vendors.yaml", "\"list vendors $['ia::result']\"", NEW_LIST)
    );

    let out = p.courier(&["snapshots", "accept", "-k", "no such thing"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out), "no pending snapshots match no such thing\n");
}

#[test]
fn accept_without_a_filter_takes_everything_pending() {
    let p = project();
    let out = p.courier(&["snapshots", "accept"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).ends_with("3 accepted\n"), "{}", stdout(&out));
    assert!(!p.files().iter().any(|f| f.ends_with(".snap.new")));
}

#[test]
fn accept_a_file_named_explicitly() {
    let p = project();
    let out = p.courier(&[
        "snapshots",
        "accept",
        "collections/__snapshots__/vendors__list-vendors.snap.new",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "accepted collections/__snapshots__/vendors__list-vendors.snap\n1 accepted\n"
    );
    assert!(p.exists("collections/__snapshots__/vendors__read-vendor.snap.new"));
}

#[test]
fn reject_removes_pending_files_and_keeps_the_stored_snapshot() {
    let p = project();
    let out = p.courier(&["snapshots", "reject", "-k", "read vendor"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "rejected collections/__snapshots__/vendors__read-vendor.snap.new\n1 rejected\n"
    );
    assert!(!p.exists("collections/__snapshots__/vendors__read-vendor.snap.new"));
    assert_eq!(
        p.read("collections/__snapshots__/vendors__read-vendor.snap"),
        snap("vendors.yaml", "read vendor $", OLD_READ)
    );
    assert!(p.exists("collections/__snapshots__/vendors__list-vendors.snap.new"));

    let out = p.courier(&["snapshots", "reject"]);
    assert!(stdout(&out).ends_with("2 rejected\n"), "{}", stdout(&out));
    assert!(!p.files().iter().any(|f| f.ends_with(".snap.new")));
}

#[test]
fn nothing_pending_is_not_an_error_and_a_missing_path_is() {
    let p = Project::new();
    p.write("collections/vendors.yaml", COLLECTION);
    let out = p.courier(&["snapshots", "list"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out), "0 pending snapshots\n");

    let out = p.courier(&["snapshots", "accept", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`nowhere` does not exist"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn each_subcommand_has_a_manual_page_help() {
    let p = Project::new();
    for (sub, words) in [
        (
            "review",
            &["accept (a)", "(q)", "--filter", "Examples:"][..],
        ),
        ("accept", &["Renames each", "--filter", "Examples:"][..]),
        ("reject", &["Deletes each", "--filter", "Examples:"][..]),
        ("list", &["--orphans", "Examples:"][..]),
        ("clean", &["removes nothing", "Examples:"][..]),
    ] {
        let out = p.courier(&["snapshots", sub, "--help"]);
        assert_eq!(out.status.code(), Some(0));
        let text = stdout(&out);
        for w in words {
            assert!(
                text.contains(w),
                "`snapshots {sub} --help` lacks {w:?}:\n{text}"
            );
        }
        assert!(text.contains("--color <WHEN>"), "{text}");
    }
}

/// Acceptance 5, first half: two requests whose names give the same snapshot file.
#[test]
fn colliding_snapshot_slugs_are_a_validation_error() {
    let p = Project::new();
    p.write(
        "collections/vendors.yaml",
        "name: V\nrequests:\n  - name: Read Vendor\n    url: http://x/\n    snapshot: true\n  - name: read-vendor!\n    url: http://x/\n    snapshot: true\n",
    );
    let out = p.courier(&["validate"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("collections/vendors.yaml:6:11"), "{err}");
    assert!(err.contains("the snapshot name `read-vendor`"), "{err}");
}

/// Acceptance 4: `review` in a pseudo-terminal — accept one, reject one, skip one.
#[cfg(unix)]
#[test]
fn review_in_a_terminal_accepts_rejects_and_skips() {
    use expectrl::{Eof, Expect as _, Session};

    let p = Project::new();
    p.write("collections/vendors.yaml", COLLECTION);
    let s = "collections/__snapshots__/";
    // In path order: by-env@local (changed), list-vendors (new), read-vendor (changed).
    p.write(
        &format!("{s}vendors__by-env@local.snap"),
        &snap("vendors.yaml", "by env $", OLD_READ),
    );
    p.write(
        &format!("{s}vendors__by-env@local.snap.new"),
        &snap("vendors.yaml", "by env $", NEW_READ),
    );
    p.write(
        &format!("{s}vendors__list-vendors.snap.new"),
        &snap("vendors.yaml", "\"list vendors $['ia::result']\"", NEW_LIST),
    );
    p.write(
        &format!("{s}vendors__read-vendor.snap"),
        &snap("vendors.yaml", "read vendor $", OLD_READ),
    );
    p.write(
        &format!("{s}vendors__read-vendor.snap.new"),
        &snap("vendors.yaml", "read vendor $", NEW_READ),
    );

    let mut cmd = crate::support::courier(p.dir.path());
    cmd.args(["snapshots", "review"]);
    let mut session = Session::spawn(cmd).expect("spawn in a pty");
    session.set_expect_timeout(Some(std::time::Duration::from_mins(1)));

    session
        .expect("Snapshot 1 of 3: collections/__snapshots__/vendors__by-env@local.snap.new")
        .expect("first");
    session.expect("Vendors CRUD / by env").expect("label");
    // A terminal, no NO_COLOR, no CI: the diff is coloured.
    session
        .expect("\x1b[31m-  \"name\": \"Acme\"\x1b[0m")
        .expect("red removed line");
    session
        .expect("\x1b[32m+  \"name\": \"Bolt\"\x1b[0m")
        .expect("green added line");
    session
        .expect("accept (a) / reject (r) / skip (s) / quit (q)? ")
        .expect("prompt");
    session.send_line("x").expect("send");
    session
        .expect("please answer a, r, s or q")
        .expect("re-prompt");
    session.send_line("a").expect("send");
    session
        .expect("accepted collections/__snapshots__/vendors__by-env@local.snap")
        .expect("accepted");

    session
        .expect("Snapshot 2 of 3: collections/__snapshots__/vendors__list-vendors.snap.new")
        .expect("second");
    session.expect("new snapshot:").expect("a first snapshot");
    session
        .expect("\x1b[32m+  \"V-1\"\x1b[0m")
        .expect("its content");
    session.expect("quit (q)? ").expect("prompt");
    session.send_line("r").expect("send");
    session
        .expect("rejected collections/__snapshots__/vendors__list-vendors.snap.new")
        .expect("rejected");

    session
        .expect("Snapshot 3 of 3: collections/__snapshots__/vendors__read-vendor.snap.new")
        .expect("third");
    session.expect("quit (q)? ").expect("prompt");
    session.send_line("s").expect("send");
    session
        .expect("1 accepted, 1 rejected, 1 skipped")
        .expect("summary");
    session.expect(Eof).expect("exits");
    let status = session.get_process().wait().expect("wait");
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );

    assert_eq!(
        p.read(&format!("{s}vendors__by-env@local.snap")),
        snap("vendors.yaml", "by env $", NEW_READ)
    );
    assert!(!p.exists(&format!("{s}vendors__by-env@local.snap.new")));
    assert!(!p.exists(&format!("{s}vendors__list-vendors.snap.new")));
    assert!(!p.exists(&format!("{s}vendors__list-vendors.snap")));
    assert_eq!(
        p.read(&format!("{s}vendors__read-vendor.snap")),
        snap("vendors.yaml", "read vendor $", OLD_READ)
    );
    assert_eq!(
        p.read(&format!("{s}vendors__read-vendor.snap.new")),
        snap("vendors.yaml", "read vendor $", NEW_READ)
    );
}

/// `review` reading answers from a pipe: the end of input means quit, the rest stay pending.
#[test]
fn review_stops_at_the_end_of_input() {
    use std::io::Write as _;
    let p = project();
    let mut child = crate::support::courier(p.dir.path())
        .args(["snapshots", "review"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"r\n")
        .expect("answer");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains('\x1b'), "no colour on a pipe: {text}");
    assert!(
        text.ends_with("0 accepted, 1 rejected, 2 skipped\n"),
        "{text}"
    );
    assert!(!p.exists("collections/__snapshots__/vendors__deleted.snap.new"));
    assert!(p.exists("collections/__snapshots__/vendors__list-vendors.snap.new"));
    assert!(p.exists("collections/__snapshots__/vendors__read-vendor.snap.new"));
}
