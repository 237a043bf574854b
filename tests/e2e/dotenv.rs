//! The `.env` corpus (`tests/dotenv/`): each file is the working directory's `.env` of a run.
//! `tests/dotenv/expected.txt` says, for a valid file, the value each variable reaches a request
//! with (read through `env()` and sent to a local server); for an invalid one, the error and
//! its `.env:line:col` — with exit 2, nothing sent and the bad line not shown.

use std::collections::BTreeMap;

use crate::{recorder, support};

/// Each file's expectation: the variables and their values, or the error message.
enum Expect {
    Values(BTreeMap<String, String>),
    Error(String),
}

fn cases() -> BTreeMap<String, Expect> {
    let text = std::fs::read_to_string(support::root().join("tests/dotenv/expected.txt"))
        .expect("expected.txt");
    let mut out: BTreeMap<String, Expect> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mut cols = line.splitn(3, '\t');
        let (file, key, value) = (
            cols.next().expect("a file"),
            cols.next().expect("a name"),
            cols.next().expect("a value"),
        );
        if key == "error" {
            out.insert(file.to_owned(), Expect::Error(value.to_owned()));
            continue;
        }
        let value: String = serde_json::from_str(value).expect("a JSON string");
        match out
            .entry(file.to_owned())
            .or_insert_with(|| Expect::Values(BTreeMap::new()))
        {
            Expect::Values(m) => {
                m.insert(key.to_owned(), value);
            }
            Expect::Error(_) => panic!("{file}: both values and an error"),
        }
    }
    out
}

/// The number of `.env` files in the corpus, for the README's reliability table.
pub(crate) fn corpus_files() -> usize {
    std::fs::read_dir(support::root().join("tests/dotenv"))
        .expect("tests/dotenv")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "env"))
        })
        .count()
}

#[test]
fn every_env_file_has_its_expectation() {
    assert_eq!(cases().len(), corpus_files());
}

/// The example of docs/environments.md is the corpus file `documented.env`, checked above.
#[test]
fn the_documented_example_is_in_the_corpus() {
    let docs = std::fs::read_to_string(support::root().join("docs/environments.md"))
        .expect("environments.md");
    let section = docs
        .split("### The `.env` file")
        .nth(1)
        .expect("the section");
    let block = section.split("```sh\n").nth(1).expect("a sh block");
    let block = &block[..block.find("```").expect("the block's end")];
    let file = std::fs::read_to_string(support::root().join("tests/dotenv/documented.env"))
        .expect("documented.env");
    assert_eq!(block, file);
}

#[test]
fn each_env_file_as_a_run_reads_it() {
    let mut failures = Vec::new();
    for (file, expect) in cases() {
        let (base, seen) = recorder::start();
        let names: Vec<String> = match &expect {
            Expect::Values(m) => m.keys().cloned().collect(),
            Expect::Error(_) => vec!["UNSET_NAME".to_owned()],
        };
        let json: Vec<String> = names
            .iter()
            .map(|n| format!("\"{n}\": \"{{{{ env('{n}') }}}}\""))
            .collect();
        let collection = format!(
            "name: dotenv\nrequests:\n  - name: send\n    method: POST\n    url: \"{{{{ base_url }}}}/echo\"\n    json: {{ {} }}\n",
            json.join(", ")
        );
        let tmp = support::workspace(&[
            ("collections/c.yaml", &collection),
            ("environments/t.yaml", &recorder::environment(&base)),
        ]);
        let source = std::fs::read(support::root().join("tests/dotenv").join(&file)).expect("read");
        std::fs::write(tmp.path().join(".env"), &source).expect("write .env");
        let out = support::run(tmp.path(), &["run", "collections", "--env", "t"]);
        let (code, stdout, stderr) = support::parts(&out);
        let sent = seen.lock().expect("the log").clone();
        match expect {
            Expect::Values(want) => {
                let got: BTreeMap<String, String> = sent
                    .first()
                    .and_then(|s| serde_json::from_slice(&s.body).ok())
                    .unwrap_or_default();
                if code != 0 || got != want {
                    failures.push(format!(
                        "{file}: exit {code}\n  want {want:?}\n  got  {got:?}\n{stdout}{stderr}"
                    ));
                }
            }
            Expect::Error(message) => {
                let (loc, msg) = message.split_once(": ").expect("`loc: message`");
                let shown = stderr.contains(&format!("error: {msg}\n"))
                    && stderr.contains(&format!("--> {loc}\n"));
                // The bad line itself may hold a secret: it is not shown.
                let text = String::from_utf8_lossy(&source);
                let line: usize = loc
                    .split(':')
                    .nth(1)
                    .and_then(|l| l.parse().ok())
                    .expect("a line");
                let bad = text.lines().nth(line - 1).expect("the bad line").trim();
                if code != 2 || !shown || !sent.is_empty() || stderr.contains(bad) {
                    failures.push(format!(
                        "{file}: exit {code}, {} sent, want `{message}`\n{stderr}",
                        sent.len()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
