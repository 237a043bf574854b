//! No panic and no hang on any input: thousands of mutated collection and
//! environment files — truncations, swapped types, random bytes, deep nesting, huge strings,
//! odd unicode — go through loading and the plan's checks, and each ends in a clean success
//! or diagnostics with positions inside the file.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]

use std::path::Path;

use courier_core::diag::{Diagnostic, SourceFile};
use courier_core::load::{parse_collection, parse_environment};
use courier_core::plan::{OuterVars, check_auth, check_environment, check_variables};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn seeds() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for dir in [
        "collections",
        "tests/data/kitchen-sink",
        "tests/broken/collections",
    ] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "yaml") {
                out.push(std::fs::read_to_string(p).unwrap());
            }
        }
    }
    out
}

/// Every diagnostic points inside the file (or nowhere).
fn positions_are_inside(text: &str, diags: &[Diagnostic]) {
    let lines = text.split('\n').count();
    for d in diags {
        if let Some(loc) = &d.location {
            assert!(
                loc.span.start.line >= 1 && loc.span.start.line as usize <= lines + 1,
                "{d} of a {lines}-line file"
            );
            assert!(loc.span.start.col >= 1, "{d}");
            // Rendering never panics either.
            let _ = d.render();
        }
    }
}

fn exercise(text: &str) {
    let file = SourceFile::new("fuzz.yaml", text);
    match parse_collection(&file) {
        Ok(c) => {
            let env = parse_environment(
                &SourceFile::new("e.yaml", "scope: non-production\nemulator: intacct\n"),
                "e",
            )
            .unwrap();
            let check = check_variables(&c, &OuterVars::new(Some(&env), [], &[]));
            positions_are_inside(text, &check.errors);
            positions_are_inside(text, &check_auth(&c, &env));
            let without = check_variables(&c, &OuterVars::new(None, [], &[]));
            positions_are_inside(text, &without.errors);
        }
        Err(diags) => {
            assert!(!diags.is_empty());
            positions_are_inside(text, &diags);
        }
    }
    match parse_environment(&file, "fuzz") {
        Ok(env) => positions_are_inside(
            text,
            &check_environment(&env, &std::collections::BTreeSet::default()),
        ),
        Err(diags) => positions_are_inside(text, &diags),
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Replace { at: usize, len: usize, with: String },
    Insert { at: usize, with: String },
    SwapLines(usize, usize),
}

fn char_floor(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, m: &Mutation) -> String {
    match m {
        Mutation::Truncate(at) => text[..char_floor(text, *at)].to_owned(),
        Mutation::Replace { at, len, with } => {
            let a = char_floor(text, *at);
            let b = char_floor(text, at + len);
            format!("{}{}{}", &text[..a], with, &text[b.max(a)..])
        }
        Mutation::Insert { at, with } => {
            let a = char_floor(text, *at);
            format!("{}{}{}", &text[..a], with, &text[a..])
        }
        Mutation::SwapLines(i, j) => {
            let mut lines: Vec<&str> = text.split('\n').collect();
            if !lines.is_empty() {
                let (i, j) = (i % lines.len(), j % lines.len());
                lines.swap(i, j);
            }
            lines.join("\n")
        }
    }
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        // Swapped types and structure.
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just(": ".to_owned()),
        Just("\n  - ".to_owned()),
        Just("{ eq: { } }".to_owned()),
        Just("\"{{ x }\"".to_owned()),
        Just("{{ ".to_owned()),
        Just("'$[?@.a==1]'".to_owned()),
        Just("&a [*a]".to_owned()),
        Just("*nope".to_owned()),
        Just("!!binary x".to_owned()),
        Just("\t".to_owned()),
        Just("---\n".to_owned()),
        Just("<<: *x".to_owned()),
        // Deep nesting.
        (1usize..400).prop_map(|n| "[".repeat(n) + &"]".repeat(n / 2)),
        (1usize..200).prop_map(|n| "{a: ".repeat(n)),
        // Huge strings.
        (1usize..200_000).prop_map(|n| "x".repeat(n)),
        // Odd unicode and random characters.
        "\\PC{0,40}",
        any::<Vec<u8>>().prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        Just("\u{202e}\u{0}\u{feff}ẞ🦀\u{10ffff}".to_owned()),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0usize..4000).prop_map(Mutation::Truncate),
        (0usize..4000, 0usize..40, fragment()).prop_map(|(at, len, with)| Mutation::Replace {
            at,
            len,
            with
        }),
        (0usize..4000, fragment()).prop_map(|(at, with)| Mutation::Insert { at, with }),
        (0usize..200, 0usize..200).prop_map(|(i, j)| Mutation::SwapLines(i, j)),
    ]
}

#[test]
fn mutated_files_never_panic() {
    let seeds = seeds();
    let mut runner = TestRunner::new(Config {
        cases: 3000,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(
            &(0..seeds.len(), proptest::collection::vec(mutation(), 1..4)),
            |(seed, mutations)| {
                let mut text = seeds[seed].clone();
                for m in &mutations {
                    text = apply(&text, m);
                }
                exercise(&text);
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn pathological_inputs() {
    for text in [
        String::new(),
        "\u{0}".repeat(100),
        "[".repeat(100_000),
        "a: ".repeat(50_000),
        format!(
            "name: {}\nrequests: [{{name: a, url: b}}]\n",
            "é".repeat(1_000_000)
        ),
        "name: x\nrequests:\n".to_owned() + &"  - { name: a, url: u }\n".repeat(5_000),
        "- ".repeat(10_000),
        "\"{{ ".repeat(10_000),
    ] {
        exercise(&text);
    }
}
