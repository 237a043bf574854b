//! Golden cases as data (Hurl's `tests_ok` / `tests_failed`): each folder under `tests/cases/`
//! holds the input files, a `cmd` file with the arguments, optionally an `env` file of
//! `NAME=value` lines, and the expected `stdout`, `stderr` and `exit`. The case runs in a
//! temporary copy of its folder; output is normalised (durations, ports, temporary paths)
//! before comparison.
//!
//! Each case is a test of its own, named after its folder (libtest-mimic), so the cases run
//! in parallel and one can be picked by name: `cargo test --test cases -- retries`.
//! `COURIER_BLESS=1` rewrites the expected files from the actual output; it refuses to run
//! (every case fails) when `CI` is set, where a rewritten expectation would pass unseen.

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};

#[path = "e2e/support.rs"]
mod support;

/// Fewer golden cases than this means the folder was not found or was emptied by mistake.
const MIN_CASES: usize = 10;

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![
        Trial::test("cmd_lines_split_like_a_shell", cmd_lines_split_like_a_shell),
        Trial::test("bless_is_refused_under_ci", bless_is_refused_under_ci),
    ];
    match golden_cases() {
        Ok(cases) => trials.extend(cases.into_iter().map(|case| {
            let name = case
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Trial::test(name, move || run_case(&case).map_err(Failed::from))
        })),
        Err(message) => trials.push(Trial::test("golden_cases_found", move || {
            Err(Failed::from(message))
        })),
    }
    libtest_mimic::run(&args, trials).exit();
}

/// The case folders under `tests/cases/`, sorted.
fn golden_cases() -> Result<Vec<PathBuf>, String> {
    let dir = support::root().join("tests/cases");
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut cases: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    if cases.len() < MIN_CASES {
        return Err(format!(
            "expected at least {MIN_CASES} golden cases under {}, found {}",
            dir.display(),
            cases.len()
        ));
    }
    Ok(cases)
}

/// Whether the expected files are to be rewritten: `bless` is the value of `COURIER_BLESS`,
/// `ci` that of `CI`. Blessing under CI (any non-empty `CI`) is an error: CI must compare,
/// never rewrite.
fn bless_mode(bless: Option<&str>, ci: Option<&str>) -> Result<bool, String> {
    let bless = bless == Some("1");
    let ci = ci.is_some_and(|v| !v.is_empty());
    if bless && ci {
        return Err(
            "COURIER_BLESS=1 rewrites the expected output of the golden cases, \
             which must never happen in CI (CI is set): unset COURIER_BLESS, or bless locally \
             and commit the reviewed files"
                .to_owned(),
        );
    }
    Ok(bless)
}

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
    let bless = bless_mode(
        std::env::var("COURIER_BLESS").ok().as_deref(),
        std::env::var("CI").ok().as_deref(),
    )?;
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

fn cmd_lines_split_like_a_shell() -> Result<(), Failed> {
    let got = split_args("run a.yaml -k 'two words' --var \"x=1 2\"");
    let want = ["run", "a.yaml", "-k", "two words", "--var", "x=1 2"];
    if got == want {
        Ok(())
    } else {
        Err(format!("split into {got:?}, expected {want:?}").into())
    }
}

fn bless_is_refused_under_ci() -> Result<(), Failed> {
    let checks = [
        (bless_mode(None, None), Ok(false)),
        (bless_mode(Some("1"), None), Ok(true)),
        (bless_mode(Some("1"), Some("")), Ok(true)),
        (bless_mode(Some("0"), Some("true")), Ok(false)),
        (bless_mode(None, Some("true")), Ok(false)),
    ];
    for (got, want) in checks {
        if got != want {
            return Err(format!("bless mode {got:?}, expected {want:?}").into());
        }
    }
    match bless_mode(Some("1"), Some("true")) {
        Err(message) if message.contains("CI is set") => Ok(()),
        other => Err(format!("COURIER_BLESS=1 under CI=true gave {other:?}, not a refusal").into()),
    }
}
