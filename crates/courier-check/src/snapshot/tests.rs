//! Tests of the snapshot API as the executor uses it: names, modes, `check`, and the file
//! format against insta's own reader and writer (so files stay readable by `cargo insta`).

use std::path::{Path, PathBuf};

use courier_core::jsonpath::JsonPath;
use serde_json::json;

use super::*;

/// [`super::render`] of a document well within the node budget.
fn render(body: SnapshotBody<'_>, path: Option<&JsonPath>, redactions: &[Redaction]) -> String {
    super::render(body, path, redactions).expect("within the node budget")
}

fn meta() -> SnapshotMeta {
    SnapshotMeta {
        source: "vendors.yaml".to_owned(),
        expression: "read vendor $['ia::result']".to_owned(),
    }
}

fn body(name: &str) -> String {
    render(
        SnapshotBody::Json(&json!({"name": name, "id": "V-1"})),
        None,
        &[],
    )
}

fn snap_in(dir: &Path) -> PathBuf {
    snapshot_path(&dir.join("vendors.yaml"), "read vendor", None, None)
}

/// Identifies the file behind a path: an atomic rewrite (rename) gives a new inode.
#[cfg(unix)]
fn file_id(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata(path).expect("meta").ino()
}

#[cfg(not(unix))]
fn file_id(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path)
        .expect("meta")
        .modified()
        .expect("mtime")
}

#[test]
fn file_names_follow_spec_5() {
    let file = Path::new("collections/vendors.yaml");
    assert_eq!(
        snapshot_path(file, "Read Vendor", None, None),
        Path::new("collections/__snapshots__/vendors__read-vendor.snap")
    );
    assert_eq!(
        snapshot_path(file, "GET /objects/{key}", Some(2), None),
        Path::new("collections/__snapshots__/vendors__get-objects-key@row-2.snap")
    );
    assert_eq!(
        snapshot_path(file, "read vendor", None, Some("sandbox")),
        Path::new("collections/__snapshots__/vendors__read-vendor@sandbox.snap")
    );
    assert_eq!(
        snapshot_path(file, "read vendor", Some(10), Some("local-production")),
        Path::new("collections/__snapshots__/vendors__read-vendor@row-10@local-production.snap")
    );
    assert_eq!(
        snapshot_path(Path::new("vendors.yml"), "x", None, None),
        Path::new("__snapshots__/vendors__x.snap")
    );
    assert_eq!(
        pending_path(Path::new("a/__snapshots__/v__x.snap")),
        Path::new("a/__snapshots__/v__x.snap.new")
    );
    assert_eq!(
        target_of_pending(Path::new("a/v__x.snap.new")).as_deref(),
        Some(Path::new("a/v__x.snap"))
    );
    assert_eq!(target_of_pending(Path::new("a/v__x.snap")), None);
}

#[test]
fn meta_names_the_file_and_the_expression() {
    assert_eq!(
        SnapshotMeta::new(
            Path::new("collections/vendors.yaml"),
            "read vendor",
            Some("$['ia::result']")
        ),
        meta()
    );
    assert_eq!(
        SnapshotMeta::new(Path::new("collections/vendors.yaml"), "list", None).expression,
        "list $"
    );
}

#[test]
fn auto_is_check_under_ci_unless_ci_is_empty_zero_or_false() {
    for unset in [
        None,
        Some(""),
        Some("0"),
        Some("false"),
        Some("FALSE"),
        Some("False"),
        Some(" 0 "),
    ] {
        assert_eq!(
            SnapshotMode::Auto.effective(unset),
            SnapshotMode::Auto,
            "{unset:?}"
        );
        assert!(!ci_is_set(unset));
    }
    for set in [Some("true"), Some("1"), Some("yes"), Some("anything")] {
        assert_eq!(
            SnapshotMode::Auto.effective(set),
            SnapshotMode::Check,
            "{set:?}"
        );
    }
    // Explicit modes are not touched by CI.
    assert_eq!(
        SnapshotMode::Update.effective(Some("true")),
        SnapshotMode::Update
    );
    assert_eq!(SnapshotMode::Check.effective(None), SnapshotMode::Check);
}

#[test]
fn modes_parse_and_print() {
    for mode in [
        SnapshotMode::Auto,
        SnapshotMode::Check,
        SnapshotMode::Update,
    ] {
        assert_eq!(mode.to_string().parse::<SnapshotMode>(), Ok(mode));
    }
    assert!("Auto".parse::<SnapshotMode>().is_err());
}

#[test]
fn first_run_writes_snap_new_and_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = snap_in(dir.path());
    let outcome = check(&snap, &meta(), &body("Acme"), SnapshotMode::Auto).expect("check");
    let pending = pending_path(&snap);
    assert_eq!(
        outcome,
        SnapshotOutcome::New {
            pending: Some(pending.clone())
        }
    );
    assert!(!outcome.passed());
    assert!(!snap.exists());
    assert_eq!(
        read_snap(&pending).expect("pending file"),
        (meta(), body("Acme"))
    );
}

#[test]
fn accept_then_match_deletes_a_stale_pending_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = snap_in(dir.path());
    check(&snap, &meta(), &body("Acme"), SnapshotMode::Auto).expect("first");
    assert_eq!(accept(&pending_path(&snap)).expect("accept"), snap);
    assert_eq!(
        check(&snap, &meta(), &body("Acme"), SnapshotMode::Auto).expect("second"),
        SnapshotOutcome::Matched
    );

    // A stale .snap.new from an earlier failure goes away when the request passes again.
    write_snap(&pending_path(&snap), &meta(), &body("Old")).expect("stale");
    assert_eq!(
        check(&snap, &meta(), &body("Acme"), SnapshotMode::Auto).expect("third"),
        SnapshotOutcome::Matched
    );
    assert!(!pending_path(&snap).exists());
}

#[test]
fn a_change_fails_with_a_diff_naming_the_field_and_writes_pending() {
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = snap_in(dir.path());
    write_snap(&snap, &meta(), &body("Acme")).expect("seed");
    let outcome = check(&snap, &meta(), &body("Bolt"), SnapshotMode::Auto).expect("check");
    let SnapshotOutcome::Changed { pending, diff } = outcome else {
        panic!("expected Changed, got {outcome:?}")
    };
    assert_eq!(pending.as_deref(), Some(pending_path(&snap).as_path()));
    assert_eq!(diff.changed_fields(), ["$['name']"]);
    let text = diff.render(false);
    assert!(
        text.contains("-  \"name\": \"Acme\"\n+  \"name\": \"Bolt\"\n"),
        "{text}"
    );
    // The stored snapshot is untouched.
    assert_eq!(read_snap(&snap).expect("snap").1, body("Acme"));
}

#[test]
fn check_mode_writes_and_deletes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = snap_in(dir.path());
    let new = check(&snap, &meta(), &body("Acme"), SnapshotMode::Check).expect("check");
    assert_eq!(new, SnapshotOutcome::New { pending: None });
    assert!(
        !snap.parent().expect("parent").exists(),
        "not even the folder is created"
    );

    write_snap(&snap, &meta(), &body("Acme")).expect("seed");
    let changed = check(&snap, &meta(), &body("Bolt"), SnapshotMode::Check).expect("check");
    assert!(
        matches!(changed, SnapshotOutcome::Changed { pending: None, .. }),
        "{changed:?}"
    );
    assert!(!pending_path(&snap).exists());

    write_snap(&pending_path(&snap), &meta(), &body("Old")).expect("stale");
    assert_eq!(
        check(&snap, &meta(), &body("Acme"), SnapshotMode::Check).expect("check"),
        SnapshotOutcome::Matched
    );
    assert!(
        pending_path(&snap).exists(),
        "check leaves a stale pending file alone"
    );
}

#[test]
fn ci_makes_auto_write_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = snap_in(dir.path());
    let mode = SnapshotMode::Auto.effective(Some("true"));
    assert_eq!(
        check(&snap, &meta(), &body("Acme"), mode).expect("check"),
        SnapshotOutcome::New { pending: None }
    );
    assert!(!pending_path(&snap).exists());
    let mode = SnapshotMode::Auto.effective(Some("false"));
    assert!(matches!(
        check(&snap, &meta(), &body("Acme"), mode).expect("check"),
        SnapshotOutcome::New { pending: Some(_) }
    ));
}

#[test]
fn update_writes_the_snapshot_and_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = snap_in(dir.path());
    write_snap(&pending_path(&snap), &meta(), &body("Old")).expect("stale");
    let outcome = check(&snap, &meta(), &body("Acme"), SnapshotMode::Update).expect("update");
    assert_eq!(outcome, SnapshotOutcome::Updated);
    assert!(outcome.passed());
    assert_eq!(read_snap(&snap).expect("snap"), (meta(), body("Acme")));
    assert!(!pending_path(&snap).exists());

    let before = file_id(&snap);
    assert_eq!(
        check(&snap, &meta(), &body("Acme"), SnapshotMode::Update).expect("again"),
        SnapshotOutcome::Matched
    );
    assert_eq!(file_id(&snap), before, "an equal file is not rewritten");

    assert_eq!(
        check(&snap, &meta(), &body("Bolt"), SnapshotMode::Update).expect("change"),
        SnapshotOutcome::Updated
    );
    assert_eq!(read_snap(&snap).expect("snap").1, body("Bolt"));
}

#[test]
fn only_the_body_is_compared() {
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = snap_in(dir.path());
    let other = SnapshotMeta {
        source: "renamed.yaml".to_owned(),
        expression: "x $".to_owned(),
    };
    write_snap(&snap, &other, &body("Acme")).expect("seed");
    assert_eq!(
        check(&snap, &meta(), &body("Acme"), SnapshotMode::Auto).expect("check"),
        SnapshotOutcome::Matched
    );
    // CRLF line endings and trailing blank lines (a checkout on Windows, an editor) still match.
    std::fs::write(
        &snap,
        serialize(&meta(), &body("Acme")).replace('\n', "\r\n") + "\r\n",
    )
    .expect("crlf");
    assert_eq!(
        check(&snap, &meta(), &body("Acme"), SnapshotMode::Auto).expect("check"),
        SnapshotOutcome::Matched
    );
}

#[test]
fn a_broken_snap_is_an_error_except_under_update() {
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = snap_in(dir.path());
    std::fs::create_dir_all(snap.parent().expect("parent")).expect("mkdir");
    std::fs::write(&snap, "{\"name\": \"Acme\"}\n").expect("broken");
    let err =
        check(&snap, &meta(), &body("Acme"), SnapshotMode::Auto).expect_err("not insta's format");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("insta's format"), "{err}");
    assert_eq!(
        check(&snap, &meta(), &body("Acme"), SnapshotMode::Update).expect("update"),
        SnapshotOutcome::Updated
    );
    assert_eq!(read_snap(&snap).expect("fixed").1, body("Acme"));
}

#[test]
fn reject_deletes_only_the_pending_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = snap_in(dir.path());
    write_snap(&snap, &meta(), &body("Acme")).expect("seed");
    check(&snap, &meta(), &body("Bolt"), SnapshotMode::Auto).expect("check");
    reject(&pending_path(&snap)).expect("reject");
    assert!(!pending_path(&snap).exists());
    assert_eq!(read_snap(&snap).expect("snap").1, body("Acme"));
}

fn load(dir: &Path, yaml: &str) -> courier_core::model::Collection {
    let file = dir.join("vendors.yaml");
    std::fs::write(&file, yaml).expect("write collection");
    courier_core::load::load_collection(&file).expect("collection loads")
}

#[test]
fn check_request_names_renders_redacts_and_checks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = load(
        dir.path(),
        "name: Vendors\nsnapshot:\n  redact: { \"$..id\": \"[id]\" }\nrequests:\n  - name: Read Vendor\n    url: http://x/\n    snapshot: { path: \"$.result\", per_env: true, redact: { \"$..when\": \"[when]\" } }\n  - name: plain\n    url: http://x/\n    snapshot: true\n  - name: none\n    url: http://x/\n",
    );
    let secrets = courier_core::secret::Secrets::new();
    secrets.add("hunter2-token");
    let body = json!({"result": {"id": "V-1", "when": "now", "note": "key hunter2-token", "b": 1}, "meta": 1});
    let root = courier_core::jsonpath::JsonPath::compile("$.result").expect("path");
    let (path, outcome) = check_request(
        &c,
        &c.requests[0],
        Some(&root),
        Some(&body),
        b"",
        Some(2),
        "sandbox",
        &secrets,
        SnapshotMode::Auto,
    )
    .expect("io")
    .expect("has a snapshot");
    assert_eq!(
        path,
        dir.path()
            .join("__snapshots__/vendors__read-vendor@row-2@sandbox.snap")
    );
    assert_eq!(
        outcome,
        SnapshotOutcome::New {
            pending: Some(pending_path(&path))
        }
    );
    let (meta, stored) = read_snap(&pending_path(&path)).expect("pending");
    assert_eq!(
        meta,
        SnapshotMeta {
            source: "vendors.yaml".to_owned(),
            expression: "Read Vendor $.result".to_owned()
        }
    );
    assert_eq!(
        stored,
        "{\n  \"b\": 1,\n  \"id\": \"[id]\",\n  \"note\": \"key [REDACTED]\",\n  \"when\": \"[when]\"\n}\n"
    );

    // Not per_env: no `@env`; a body that is not JSON is stored as text, secrets removed.
    let (path, _) = check_request(
        &c,
        &c.requests[1],
        None,
        None,
        b"token hunter2-token",
        None,
        "sandbox",
        &secrets,
        SnapshotMode::Auto,
    )
    .expect("io")
    .expect("has a snapshot");
    assert_eq!(path, dir.path().join("__snapshots__/vendors__plain.snap"));
    assert_eq!(
        read_snap(&pending_path(&path)).expect("pending").1,
        "token [REDACTED]\n"
    );

    assert!(
        check_request(
            &c,
            &c.requests[2],
            None,
            None,
            b"",
            None,
            "sandbox",
            &secrets,
            SnapshotMode::Auto
        )
        .expect("io")
        .is_none()
    );
}

/// Acceptance 6: insta's own reader takes our file, and insta's own writer, given what it
/// read, writes the same bytes back — for a plain expression and one that YAML must quote.
#[test]
fn insta_reads_and_rewrites_our_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let content = render(
        SnapshotBody::Json(
            &json!({"ia::result": {"name": "Acme", "id": "V-1", "totals": [1, 2.5]}}),
        ),
        None,
        &[],
    );
    for expression in [
        "read vendor $",
        "read vendor $['ia::result']",
        "say \"hi\" $",
    ] {
        let ours = dir
            .path()
            .join("__snapshots__")
            .join("vendors__read-vendor.snap");
        let m = SnapshotMeta {
            source: "vendors.yaml".to_owned(),
            expression: expression.to_owned(),
        };
        write_snap(&ours, &m, &content).expect("write");

        let snapshot = insta::Snapshot::from_file(&ours).expect("insta reads a Courier .snap");
        assert_eq!(snapshot.metadata().source(), Some("vendors.yaml"));
        assert_eq!(snapshot.metadata().expression(), Some(expression));
        let text = snapshot.as_text().expect("a text snapshot").to_string();
        assert_eq!(text, content.trim_end());

        let theirs = dir.path().join("insta-wrote.snap");
        snapshot.save(&theirs).expect("insta writes");
        assert_eq!(
            std::fs::read_to_string(&theirs).expect("insta's file"),
            std::fs::read_to_string(&ours).expect("our file"),
            "insta writes the same bytes for `{expression}`"
        );
    }
}
