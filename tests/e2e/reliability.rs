//! The README's reliability table: each figure is computed here from the corpus folders and
//! case tables the tests run, and must be the one the README shows.

use crate::{broken, dotenv, faults, guard, leaks, snapshot_kills, support};

/// The rows of the table under `## Reliability`: the first cell and the second, a number.
fn rows(readme: &str) -> Vec<(String, usize, String)> {
    let section = readme
        .split("\n## Reliability\n")
        .nth(1)
        .expect("a `## Reliability` section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| what"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let figure = cells[2]
                .parse()
                .unwrap_or_else(|_| panic!("a figure in `{l}`"));
            (cells[1].to_owned(), figure, cells[3].to_owned())
        })
        .collect()
}

/// The number of tests in an e2e module.
fn tests_in(module: &str) -> usize {
    std::fs::read_to_string(support::root().join(format!("tests/e2e/{module}.rs")))
        .expect("a test module")
        .matches("#[test]")
        .count()
}

#[test]
fn the_readme_reliability_figures_are_what_the_suite_tries() {
    let readme = std::fs::read_to_string(support::root().join("README.md")).expect("README.md");
    let forms = leaks::forms().len();
    let outputs = leaks::OUTPUTS.len();
    let expected: Vec<(&str, usize)> = vec![
        ("broken collection files", broken::files_in("collections")),
        ("broken environment files", broken::files_in("environments")),
        ("broken data files (CSV, JSON)", broken::files_in("data")),
        ("`.env` files", dotenv::corpus_files()),
        ("secret leak checks", leaks::count()),
        ("production guard attempts", guard::count()),
        ("network faults", faults::FAULTS.len()),
        ("signal scenarios", tests_in("interrupt")),
        (
            "kills during snapshot writes",
            snapshot_kills::MOMENTS.len(),
        ),
    ];
    let rows = rows(&readme);
    let shown: Vec<(&str, usize)> = rows.iter().map(|(k, n, _)| (k.as_str(), *n)).collect();
    assert_eq!(shown, expected, "the README's table against the suite");
    let leak = &rows[4].2;
    assert!(
        leak.contains(&format!("{forms} encoded forms × {outputs} outputs"))
            && leak.contains(&format!(
                "{} offsets around the secret × {} outputs",
                leaks::cut_offsets().count(),
                leaks::CUT_OUTPUTS.len()
            ))
            && leak.contains(&format!("{} template transforms", leaks::TRANSFORMS.len())),
        "{leak}"
    );
    let guard = &rows[5].2;
    assert!(
        guard.contains(&format!(
            "{} requests that write × {} modes",
            guard::count() / guard::MODES.len(),
            guard::MODES.len()
        )),
        "{guard}"
    );
}
