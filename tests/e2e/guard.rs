//! The production guard and `--read-only` against every way of writing a request that writes
//! (`tests/guard/attempts.yaml`): methods, `mutates`, method-override headers in any case, in
//! `defaults` or from a template, templated `skip`, `always`, batch bodies. Each attempt runs
//! in each mode of [`MODES`] against a local recorder, which must see nothing.

use crate::{recorder, support};

/// An attempt: its name, the collection's `defaults` (a flow map, if any) and the request's
/// keys (a flow map).
struct Attempt {
    name: String,
    defaults: Option<String>,
    request: String,
}

fn attempts() -> Vec<Attempt> {
    let text = std::fs::read_to_string(support::root().join("tests/guard/attempts.yaml"))
        .expect("attempts.yaml");
    let mut out: Vec<Attempt> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("- name: ") {
            out.push(Attempt {
                name: name.to_owned(),
                defaults: None,
                request: String::new(),
            });
        } else if let Some(d) = line.strip_prefix("  defaults: ") {
            out.last_mut().expect("an attempt").defaults = Some(d.to_owned());
        } else if let Some(r) = line.strip_prefix("  request: ") {
            r.clone_into(&mut out.last_mut().expect("an attempt").request);
        }
    }
    out
}

/// How a run is kept from writing: the environment's scope and the flags.
pub(crate) const MODES: [(&str, &[&str]); 3] = [
    ("production", &[]),
    ("production", &["--read-only"]),
    ("non-production", &["--read-only"]),
];

/// The number of guard attempts the suite makes, for the README's reliability table.
pub(crate) fn count() -> usize {
    attempts().len() * MODES.len()
}

#[test]
fn no_attempt_to_write_gets_past_the_guard_or_read_only() {
    let attempts = attempts();
    assert!(attempts.iter().all(|a| a.request.starts_with('{')));
    let mut failures = Vec::new();
    for a in &attempts {
        let inner = a
            .request
            .trim()
            .trim_start_matches('{')
            .trim_end_matches('}');
        let url = if inner.contains("url:") {
            ""
        } else {
            "url: \"{{ base_url }}/objects/x\", "
        };
        let defaults = a
            .defaults
            .as_ref()
            .map(|d| format!("defaults: {d}\n"))
            .unwrap_or_default();
        let collection =
            format!("name: guard\n{defaults}requests:\n  - {{ name: attempt, {url}{inner} }}\n");
        for (scope, flags) in MODES {
            let (base, seen) = recorder::start();
            let env = format!("scope: {scope}\nvars:\n  base_url: {base}\n");
            let tmp = support::workspace(&[
                ("collections/c.yaml", &collection),
                ("environments/t.yaml", &env),
            ]);
            let mut args = vec!["run", "collections", "--env", "t"];
            args.extend(flags);
            let (code, stdout, stderr) = support::parts(&support::run(tmp.path(), &args));
            let kept = if flags.is_empty() {
                code == 2
                    && stderr.contains("refusing to run against the production environment `t`")
                    && stderr.contains("guard / attempt (")
            } else {
                code == 0
                    && stdout.contains("skipped: --read-only: ")
                    && stdout.contains("0 passed, 0 failed, 1 skipped")
            };
            let sent = seen.lock().expect("the log").len();
            if !kept || sent != 0 {
                failures.push(format!(
                    "{} ({scope} {flags:?}): exit {code}, {sent} sent\n{stdout}{stderr}",
                    a.name
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
