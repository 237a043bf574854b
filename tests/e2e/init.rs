//! `courier init`: a new project runs its first collection against the emulator straight away,
//! and init never overwrites a file (docs/init.md).

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{parts, run, workspace};

/// Every file under `dir` with its contents, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("a readable folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path
                    .strip_prefix(base)
                    .expect("a path under the base")
                    .display()
                    .to_string();
                out.insert(rel, std::fs::read(&path).expect("a readable file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The commands under `Next:`, without their comments.
fn next_commands(stdout: &str) -> Vec<String> {
    stdout
        .split_once("\nNext:\n")
        .expect("a Next: section")
        .1
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn init_demo_then_run_local_passes_and_a_second_init_exits_2() {
    let dir = workspace(&[]);
    let (code, stdout, stderr) = parts(&run(dir.path(), &["init", "demo"]));
    assert_eq!(code, 0, "{stderr}");
    let demo = dir.path().join("demo");
    let files = tree(&demo);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            ".env.example",
            ".github/workflows/api-tests.yml",
            ".gitignore",
            "collections/first.yaml",
            "environments/local.yaml",
            "environments/production.yaml",
            "environments/sandbox.yaml",
            "schemas/collection.schema.json",
            "schemas/environment.schema.json",
        ]
    );
    for name in &names {
        assert!(stdout.contains(name), "{name} is not listed:\n{stdout}");
    }

    // The first command printed, as a user would type it: `cd demo && courier run --env local`.
    let commands = next_commands(&stdout);
    assert_eq!(commands.len(), 3, "{stdout}");
    let (cd, first) = commands[0].split_once(" && ").expect("cd demo && …");
    assert_eq!(cd, "cd demo");
    let args: Vec<&str> = first.split_whitespace().collect();
    assert_eq!(args[0], "courier");
    let (code, stdout, stderr) = parts(&run(&demo, &args[1..]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.ends_with("3 passed, 0 failed, 0 skipped\n"),
        "{stdout}"
    );
    assert_eq!(commands[1], "cp .env.example .env");
    assert_eq!(commands[2], "courier run --env sandbox");

    // The other environments load and check without credentials.
    for env in ["sandbox", "production"] {
        let (code, stdout, stderr) = parts(&run(&demo, &["validate", "--env", env]));
        assert_eq!(code, 0, "{env}: {stdout}\n{stderr}");
    }

    // A second init names what exists and changes nothing.
    let before = tree(&demo);
    let (code, stdout, stderr) = parts(&run(dir.path(), &["init", "demo"]));
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("refusing to overwrite") && stderr.contains("collections/first.yaml"),
        "{stderr}"
    );
    assert_eq!(tree(&demo), before);
}

#[test]
fn init_refuses_when_one_file_exists_and_writes_nothing() {
    let dir = workspace(&[("proj/.gitignore", "target/\n")]);
    let (code, stdout, stderr) = parts(&run(dir.path(), &["init", "proj", "--ci", "gitlab"]));
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(stderr.contains("\n  .gitignore\n"), "{stderr}");
    assert!(!stderr.contains("collections/first.yaml"), "{stderr}");
    let files = tree(&dir.path().join("proj"));
    assert_eq!(files.len(), 1, "{:?}", files.keys());
    assert_eq!(files[".gitignore"], b"target/\n");
}

#[test]
fn init_refuses_a_file_where_it_needs_a_folder() {
    let dir = workspace(&[("collections", "not a folder\n")]);
    let (code, _, stderr) = parts(&run(dir.path(), &["init"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("collections (a file where a folder is needed)"),
        "{stderr}"
    );
    assert_eq!(tree(dir.path()).len(), 1);
}

#[test]
fn init_writes_the_chosen_ci_file_or_none() {
    let dir = workspace(&[]);
    let (code, _, stderr) = parts(&run(dir.path(), &["init", "g", "--ci", "gitlab"]));
    assert_eq!(code, 0, "{stderr}");
    let g = tree(&dir.path().join("g"));
    assert!(g.contains_key(".gitlab-ci.yml"));
    assert!(!g.keys().any(|k| k.starts_with(".github")));

    let (code, _, stderr) = parts(&run(dir.path(), &["init", "n", "--ci", "none"]));
    assert_eq!(code, 0, "{stderr}");
    let n = tree(&dir.path().join("n"));
    assert!(!n.contains_key(".gitlab-ci.yml"));
    assert!(!n.keys().any(|k| k.starts_with(".github")));
    assert_eq!(n.len(), g.len() - 1);

    let (code, _, stderr) = parts(&run(dir.path(), &["init", "j", "--ci", "jenkins"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("jenkins"), "{stderr}");
    assert!(!dir.path().join("j").exists());
}

#[test]
fn init_in_the_current_folder_prints_no_cd() {
    let dir = workspace(&[]);
    let (code, stdout, stderr) = parts(&run(dir.path(), &["init"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(dir.path().join("collections/first.yaml").is_file());
    assert_eq!(next_commands(&stdout)[0], "courier run --env local");
}
