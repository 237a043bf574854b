//! `courier import postman` / `courier import curl`, `courier completions` and `courier man`
//! through the binary: the real Postman collections import and validate, imported
//! collections run against the embedded emulator, re-imports refuse to overwrite, and the
//! generated completions and man pages are there.

use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;

use crate::support::{courier, parts, root};

fn data(rel: &str) -> String {
    root().join("tests/data").join(rel).display().to_string()
}

fn import_postman(dir: &Path, collection: &str, env: Option<&str>) -> (i32, String, String) {
    let mut cmd = courier(dir);
    cmd.args(["import", "postman", &data(collection), "--out", "."]);
    if let Some(e) = env {
        cmd.args(["--environment", &data(e)]);
    }
    parts(&cmd.output().expect("the binary runs"))
}

/// Every real collection of the corpus imports, and `courier validate` accepts what it wrote
/// with the environment it wrote.
#[test]
fn the_real_collections_import_and_validate() {
    let corpus = [
        (
            "postman/conduit/Conduit.postman_collection.json",
            None,
            "conduit",
            "conduit",
        ),
        (
            "postman/newman-sample/sample-collection.json",
            None,
            "sample-postman-collection",
            "sample-postman-collection",
        ),
        (
            "postman/newman-custom-http-method/custom-http-method.postman_collection.json",
            None,
            "custom-http-method",
            "custom-http-method",
        ),
        (
            "postman/newman-inherited-entities/inherited-entities.postman_collection.json",
            Some("postman/newman-inherited-entities/inherited-entities.postman_environment.json"),
            "inherited-entities",
            "inherited-entities",
        ),
        (
            "postman/newman-multi-level-folders/multi-level-folders-v2.postman_collection.json",
            None,
            "multi-level-folders-v2",
            "multi-level-folders-v2",
        ),
        (
            "postman/newman-v2-regression/v2-regression-tests.postman_collection.json",
            Some("postman/newman-v2-regression/v2-regression-tests.postman_environment.json"),
            "regression-tests",
            "regression-tests",
        ),
    ];
    for (collection, env, folder, env_name) in corpus {
        let dir = tempfile::tempdir().unwrap();
        let (code, _, stderr) = import_postman(dir.path(), collection, env);
        assert_eq!(code, 0, "{collection}: {stderr}");
        assert!(stderr.contains(" converted, "), "{collection}: {stderr}");
        let env_file = dir
            .path()
            .join("environments")
            .read_dir()
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        assert_eq!(
            env_file.file_stem().unwrap().to_string_lossy(),
            env_name,
            "{collection}: the environment is named after the Postman environment or collection"
        );
        let (code, stdout, stderr) = parts(
            &courier(dir.path())
                .args([
                    "validate",
                    &format!("collections/{folder}"),
                    "--env",
                    &format!("environments/{env_name}.yaml"),
                ])
                .output()
                .unwrap(),
        );
        assert_eq!(code, 0, "{collection}: validate said\n{stdout}{stderr}");
        assert!(stdout.contains("no problems found"), "{stdout}");
    }
}

#[test]
fn a_second_import_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let collection = "postman/newman-sample/sample-collection.json";
    assert_eq!(import_postman(dir.path(), collection, None).0, 0);
    let file = dir
        .path()
        .join("collections/sample-postman-collection/01-sample-postman-collection.yaml");
    std::fs::write(
        &file,
        "name: edited by hand\nrequests: [{ name: a, url: http://x }]\n",
    )
    .unwrap();

    let (code, _, stderr) = import_postman(dir.path(), collection, None);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("refusing to overwrite 2 existing files"),
        "{stderr}"
    );
    assert!(stderr.contains("--force"), "{stderr}");
    let kept = std::fs::read_to_string(&file).unwrap();
    assert!(
        kept.starts_with("name: edited by hand"),
        "nothing was written: {kept}"
    );

    let out = courier(dir.path())
        .args([
            "import",
            "postman",
            &data(collection),
            "--out",
            ".",
            "--force",
        ])
        .output()
        .unwrap();
    assert_eq!(parts(&out).0, 0);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("name: Sample Postman Collection")
    );
}

#[test]
fn a_v1_export_exits_2_saying_how_to_re_export() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = import_postman(
        dir.path(),
        "postman/newman-v1/v1.postman_collection.json",
        None,
    );
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("is a Postman collection v1 export"),
        "{stderr}"
    );
    assert!(
        stderr.contains("re-export it as Collection v2.1"),
        "{stderr}"
    );
    assert!(!dir.path().join("collections").exists(), "nothing written");
}

/// Two imported collections (v2.1 with an OAuth 2.0 collection auth, v2.0 with a form body, a
/// capture and a bearer header) run against the embedded emulator with `--env local`.
#[test]
fn imported_collections_run_against_the_emulator() {
    let dir = tempfile::tempdir().unwrap();
    for c in [
        "import-run/intacct.postman_collection.json",
        "import-run/intacct-token.postman_collection.json",
    ] {
        let (code, _, stderr) = import_postman(dir.path(), c, None);
        assert_eq!(code, 0, "{c}: {stderr}");
    }
    let (code, stdout, stderr) = parts(
        &courier(dir.path())
            .args(["run", "collections", "--env", "local"])
            .output()
            .unwrap(),
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("6 passed, 0 failed, 0 skipped"), "{stdout}");
    assert!(
        stdout.contains("PASS Intacct token / list vendors"),
        "{stdout}"
    );
}

fn curl_stdin(dir: &Path, input: &str, args: &[&str]) -> (i32, String, String) {
    let mut child = courier(dir)
        .args(["import", "curl"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child
        .stdin
        .take()
        .expect("a piped standard input")
        .write_all(input.as_bytes())
        .expect("standard input takes the command line");
    parts(&child.wait_with_output().expect("the binary runs"))
}

#[test]
fn curl_from_standard_input_prints_a_collection_that_validates() {
    let dir = tempfile::tempdir().unwrap();
    let input = std::fs::read_to_string(data("import-curl/chrome-bash.sh")).unwrap();
    let (code, stdout, stderr) = curl_stdin(dir.path(), &input, &[]);
    assert_eq!(code, 0, "{stderr}");
    let golden = std::fs::read_to_string(data("import-curl/chrome-bash.yaml")).unwrap();
    let golden: String = golden
        .lines()
        .filter(|l| !l.starts_with("# secret: ") && !l.starts_with("# note: "))
        .fold(String::new(), |acc, l| acc + l + "\n");
    assert_eq!(stdout, golden);
    assert!(
        stderr.contains("header `authorization` → CURL_AUTHORIZATION"),
        "{stderr}"
    );
    assert!(
        !stdout.contains("eyJhbGci") && !stdout.contains("abc123"),
        "{stdout}"
    );

    // `-` reads standard input too; a file argument reads the file.
    assert_eq!(curl_stdin(dir.path(), &input, &["-"]).1, stdout);
    let (code, from_file, _) = parts(
        &courier(dir.path())
            .args(["import", "curl", &data("import-curl/chrome-cmd.cmd")])
            .output()
            .unwrap(),
    );
    assert_eq!(code, 0);
    assert!(from_file.contains("method: PATCH"), "{from_file}");

    std::fs::create_dir_all(dir.path().join("collections")).unwrap();
    std::fs::write(dir.path().join("collections/vendor.yaml"), &stdout).unwrap();
    let (code, out, err) = parts(&courier(dir.path()).arg("validate").output().unwrap());
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn curl_with_an_unsupported_option_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = curl_stdin(
        dir.path(),
        "curl --ntlm -o out.bin https://example.com/x\n",
        &[],
    );
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(stderr.contains("unsupported option `--ntlm`"), "{stderr}");
}

#[test]
fn completions_for_every_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, stdout, stderr) = parts(
            &courier(dir.path())
                .args(["completions", shell])
                .output()
                .unwrap(),
        );
        assert_eq!(code, 0, "{shell}: {stderr}");
        assert!(stdout.len() > 500, "{shell}: {stdout}");
        assert!(stdout.contains("run"), "{shell} completes `run`");
        assert!(stdout.contains("import"), "{shell} completes `import`");
    }
    let (code, _, stderr) = parts(
        &courier(dir.path())
            .args(["completions", "tcsh"])
            .output()
            .unwrap(),
    );
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn man_pages_are_written_to_out() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = parts(
        &courier(dir.path())
            .args(["man", "--out", "man"])
            .output()
            .unwrap(),
    );
    assert_eq!(code, 0, "{stderr}");
    for page in [
        "courier.1",
        "courier-run.1",
        "courier-import-postman.1",
        "courier-auth-login.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join("man").join(page))
            .unwrap_or_else(|e| panic!("{page}: {e} ({stderr})"));
        assert!(text.contains(".TH"), "{page} is a man page");
    }
    let top = std::fs::read_to_string(dir.path().join("man/courier.1")).unwrap();
    assert!(top.contains("run"), "the top page lists `run`");
    let (code, stdout, _) = parts(&courier(dir.path()).arg("man").output().unwrap());
    assert_eq!(code, 0);
    assert_eq!(
        stdout, top,
        "without --out the top page goes to standard output"
    );
}
