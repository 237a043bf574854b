//! `courier list` and `courier list --json` over the example collections, pinned with insta,
//! and `courier --version`.

use crate::support::{courier, examples, parts};

#[test]
fn list_of_the_examples() {
    let (code, stdout, stderr) = parts(
        &courier(examples().path())
            .args(["list", "collections"])
            .output()
            .unwrap(),
    );
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
}

#[test]
fn list_json_of_the_examples() {
    let (code, stdout, stderr) = parts(
        &courier(examples().path())
            .args(["list", "collections", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["version"], 1);
    insta::assert_json_snapshot!(json);
}

#[test]
fn version_prints_the_package_version() {
    let (code, stdout, _) = parts(
        &courier(examples().path())
            .arg("--version")
            .output()
            .unwrap(),
    );
    assert_eq!(code, 0);
    assert_eq!(stdout, format!("courier {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn list_refuses_a_broken_collection() {
    let dir = crate::support::workspace(&[("collections/a.yaml", "name: a\nrequests: []\n")]);
    let (code, _, stderr) = parts(&courier(dir.path()).arg("list").output().unwrap());
    assert_eq!(code, 2);
    assert!(stderr.contains("`requests` is empty"), "{stderr}");
}

/// A list nobody can read (`courier list | head -0`, a full disk) fails naming the error
/// instead of passing with nothing shown.
#[test]
fn list_into_a_closed_pipe_fails_naming_the_error() {
    let dir = crate::support::examples();
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = crate::support::courier(dir.path())
        .args(["list", "collections"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("courier runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot write the list:"),
        "the error says what failed: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
