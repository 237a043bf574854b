//! Golden cases as data (Hurl's `tests_ok` / `tests_failed`): each folder under `tests/cases/`
//! holds the input files, a `cmd` file with the arguments, and the expected `stdout`, `stderr`
//! and `exit`. The case runs in a temporary copy of its folder; output is normalised
//! (durations, ports, temporary paths) before comparison. `COURIER_BLESS=1` rewrites the
//! expected files from the actual output.

use std::path::Path;

use crate::support;

/// Splits a `cmd` line into arguments: whitespace separates, single or double quotes group.
fn split_args(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_arg = false;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_arg = true;
            }
            None if c.is_whitespace() => {
                if in_arg {
                    args.push(std::mem::take(&mut current));
                    in_arg = false;
                }
            }
            None => {
                current.push(c);
                in_arg = true;
            }
        }
    }
    if in_arg {
        args.push(current);
    }
    args
}

fn run_case(case: &Path) -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    support::copy_dir(case, tmp.path());
    let cmd = std::fs::read_to_string(case.join("cmd"))
        .map_err(|e| format!("{}: no cmd file: {e}", case.display()))?;
    let args = split_args(cmd.trim());
    let mut command = support::courier(tmp.path());
    command.args(&args);
    if let Ok(extra) = std::fs::read_to_string(case.join("env")) {
        for line in extra.lines().filter(|l| !l.trim().is_empty()) {
            if let Some((k, v)) = line.split_once('=') {
                command.env(k.trim(), v.trim());
            }
        }
    }
    let out = command.output().map_err(|e| e.to_string())?;
    // Values a case passes in its `env` file are secrets for the cases that read them with
    // `secrets:`: none may show in any output.
    if let Ok(extra) = std::fs::read_to_string(case.join("env")) {
        for value in extra
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(_, v)| v.trim())
        {
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            if value.len() >= 8 && all.contains(value) {
                return Err(format!(
                    "{}: the secret `{value}` shows in the output:\n{all}",
                    case.display()
                ));
            }
        }
    }
    let (code, stdout, stderr) = support::parts(&out);
    let stdout = support::normalize(&stdout, tmp.path());
    let stderr = support::normalize(&stderr, tmp.path());
    let bless = std::env::var("COURIER_BLESS").is_ok_and(|v| v == "1");
    let mut problems = Vec::new();
    for (file, actual) in [
        ("stdout", &stdout),
        ("stderr", &stderr),
        ("exit", &format!("{code}\n")),
    ] {
        let path = case.join(file);
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if &expected != actual {
            if bless {
                std::fs::write(&path, actual).map_err(|e| e.to_string())?;
            } else {
                problems.push(format!(
                    "--- {file} of {} differs\n--- expected\n{expected}\n--- actual\n{actual}",
                    case.display()
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Every golden case passes.
#[test]
fn golden_cases() {
    let dir = support::root().join("tests/cases");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cases exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 10,
        "expected the golden cases under {}",
        dir.display()
    );
    let failures: Vec<String> = cases.iter().filter_map(|c| run_case(c).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} golden cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn cmd_lines_split_like_a_shell() {
    assert_eq!(
        split_args("run a.yaml -k 'two words' --var \"x=1 2\""),
        ["run", "a.yaml", "-k", "two words", "--var", "x=1 2"]
    );
}
