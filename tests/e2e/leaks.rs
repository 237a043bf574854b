//! One secret in every encoded form a server may send it back in ([`forms`]), checked in
//! every output a run writes ([`OUTPUTS`]): none may hold any form, and each must show
//! `[REDACTED]` where the secret was. The forms are computed here, independently of the
//! redactor (docs/secrets.md#forms-that-are-hidden).

use std::fmt::Write as _;

use base64::Engine as _;

use crate::{recorder, support};

/// Holds a space, `+`, `/`, non-ASCII and the characters HTML-safe JSON encoders escape.
const SECRET: &str = "hunter 2+x/\u{e4}<\u{e9}>&'tok-0123456789";

/// What a run writes: the console (with `-v`, on both streams) and each report.
pub(crate) const OUTPUTS: [&str; 6] =
    ["stdout", "stderr (-v)", "JSON", "JUnit", "HTML", "snapshot"];

fn percent(s: &str, keep: &str, space_plus: bool, lower: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        let c = b as char;
        if c.is_ascii_alphanumeric() || "-._~".contains(c) || keep.contains(c) {
            out.push(c);
        } else if c == ' ' && space_plus {
            out.push('+');
        } else if lower {
            let _ = write!(out, "%{b:02x}");
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn json_escape(s: &str, escape: impl Fn(char) -> bool, upper: bool) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if escape(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                if upper {
                    let _ = write!(out, "\\u{u:04X}");
                } else {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The forms: name and text as it appears inside a JSON string on the wire.
pub(crate) fn forms() -> Vec<(&'static str, String)> {
    let std = base64::engine::general_purpose::STANDARD;
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    vec![
        ("plain", SECRET.to_owned()),
        ("URL component, %20", percent(SECRET, "", false, false)),
        (
            "URL component, lower-case hex",
            percent(SECRET, "", false, true),
        ),
        ("form-urlencoded, +", percent(SECRET, "", true, false)),
        ("encodeURIComponent", percent(SECRET, "!*'()", false, false)),
        (
            "encodeURIComponent, lower-case hex",
            percent(SECRET, "!*'()", false, true),
        ),
        (
            "encodeURI (reserved kept)",
            percent(SECRET, ":/?#[]@!$&'()*+,;=", false, false),
        ),
        ("Base64", std.encode(SECRET)),
        ("Base64 URL-safe", url.encode(SECRET)),
        (
            "Base64 after `u:` (Basic auth)",
            std.encode(format!("u:{SECRET}")),
        ),
        ("Base64 after one byte", std.encode(format!("a{SECRET}"))),
        (
            "Base64 URL-safe after `u:`",
            url.encode(format!("u:{SECRET}")),
        ),
        ("JSON \\/ solidus", SECRET.replace('/', "\\/")),
        (
            "JSON \\u00e4 non-ASCII",
            json_escape(SECRET, |c| !c.is_ascii(), false),
        ),
        (
            "JSON \\u00E4 non-ASCII",
            json_escape(SECRET, |c| !c.is_ascii(), true),
        ),
        (
            "JSON HTML-safe \\u003c",
            json_escape(SECRET, |c| "<>&'".contains(c), false),
        ),
        (
            "JSON \\uXXXX every character",
            json_escape(SECRET, |_| true, false),
        ),
        (
            "JSON \\uXXXX every character, upper",
            json_escape(SECRET, |_| true, true),
        ),
    ]
}

/// The outputs that show a failed check's actual value, where a long value is cut.
pub(crate) const CUT_OUTPUTS: [usize; 4] = [0, 2, 3, 4];

/// Where the secret starts in a long value, counted back from the console's 300-character
/// cut: from just past the cut to wholly before it, through every offset inside the secret.
pub(crate) fn cut_offsets() -> std::ops::RangeInclusive<usize> {
    0..=SECRET.chars().count()
}

/// A value of 340-odd characters whose secret starts `k` characters before the cut, marked
/// `cNN-` so that each output's copy can be found.
fn cut_value(k: usize) -> String {
    format!(
        "c{k:02}-{}{SECRET}{}",
        "x".repeat(300 - 4 - k),
        "y".repeat(40)
    )
}

/// The number of form × output, cut offset × output and transform checks, for the README's
/// table.
pub(crate) fn count() -> usize {
    forms().len() * OUTPUTS.len() + cut_offsets().count() * CUT_OUTPUTS.len() + TRANSFORMS.len()
}

/// The part of a form that must never show: Base64 after a prefix shares its first
/// characters with the prefix alone, so the characters that depend on the secret are checked.
fn telltale(name: &str, form: &str) -> String {
    if name.starts_with("Base64 after") {
        form[4..form.len() - 4].to_owned()
    } else {
        form.to_owned()
    }
}

#[test]
fn no_form_of_a_secret_shows_in_any_output() {
    let forms = forms();
    let fields: Vec<String> = forms
        .iter()
        .enumerate()
        .map(|(i, (_, f))| format!("\"f{i}\": \"{f}\""))
        .collect();
    let cuts: Vec<String> = cut_offsets()
        .map(|k| format!("\"c{k:02}\": \"{}\"", cut_value(k)))
        .collect();
    let body = format!("{{ {}, {} }}", fields.join(", "), cuts.join(", "));
    serde_json::from_str::<serde_json::Value>(&body).expect("the body is JSON");
    let (base, seen) = recorder::start_with(body);
    let checks: Vec<String> = (0..forms.len())
        .map(|i| format!("        \"$.f{i}\": nope"))
        .chain(cut_offsets().map(|k| format!("        \"$.c{k:02}\": nope")))
        .collect();
    let collection = format!(
        "name: leaks\nrequests:\n  - name: echo\n    url: \"{{{{ base_url }}}}/echo\"\n    headers: {{ X-Token: \"{{{{ api_token }}}}\" }}\n    snapshot: true\n    expect:\n      status: 201\n      jsonpath:\n{}\n",
        checks.join("\n")
    );
    let env = format!(
        "scope: non-production\nvars:\n  base_url: {base}\nsecrets:\n  api_token: COURIER_LEAK_TOKEN\n"
    );
    let tmp = support::workspace(&[
        ("collections/leaks.yaml", &collection),
        ("environments/t.yaml", &env),
    ]);
    let out = support::courier(tmp.path())
        .env("COURIER_LEAK_TOKEN", SECRET)
        .args([
            "run",
            "collections",
            "--env",
            "t",
            "-v",
            "--snapshots",
            "update",
            "--json",
            "r.json",
            "--junit",
            "r.xml",
            "--html",
            "r.html",
        ])
        .output()
        .expect("runs");
    let (code, stdout, stderr) = support::parts(&out);
    assert_eq!(code, 1, "{stdout}{stderr}");
    // The secret was sent: the redaction below hides something real.
    let sent = seen.lock().expect("the log").clone();
    assert!(
        sent[0]
            .headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("x-token") && v == SECRET),
        "{sent:?}"
    );
    let read = |p: &str| std::fs::read_to_string(tmp.path().join(p)).unwrap_or_default();
    let snaps: String = walk(tmp.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(".snap"))
        .map(|p| std::fs::read_to_string(p).expect("a snapshot"))
        .collect();
    let texts = [
        stdout,
        stderr,
        read("r.json"),
        read("r.xml"),
        read("r.html"),
        snaps,
    ];
    let mut failures = Vec::new();
    for (output, text) in OUTPUTS.iter().zip(&texts) {
        if !text.contains("[REDACTED]") {
            failures.push(format!("{output}: no [REDACTED] at all:\n{text}"));
        }
        for (name, form) in &forms {
            if text.contains(&telltale(name, form)) {
                failures.push(format!("{output}: shows the form {name}: {form}"));
            }
        }
    }
    for i in CUT_OUTPUTS {
        let (output, text) = (OUTPUTS[i], &texts[i]);
        for k in cut_offsets() {
            let marker = format!("c{k:02}-x");
            let copies: Vec<&str> = text
                .match_indices(&marker)
                .map(|(at, _)| &text[at..])
                .collect();
            if copies.is_empty() {
                failures.push(format!("{output}: the value {marker} is not shown"));
            }
            // Past the padding comes `[REDACTED]` or the cut mark, never the secret's start.
            for copy in copies {
                let rest = copy[marker.len()..].trim_start_matches('x');
                if rest.starts_with('h') {
                    failures.push(format!("{output}: offset {k} shows {}", &rest[..8]));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("a folder").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Templates that transform a secret: what they render is a secret too
/// (docs/secrets.md), so `-v`, which prints the request body, shows none of it.
pub(crate) const TRANSFORMS: [&str; 13] = [
    "{{ api_token | upper }}",
    "{{ api_token | replace(' ', '_') }}",
    "{{ api_token | reverse }}",
    "{{ api_token | title }}",
    "{{ api_token | capitalize }}",
    "{{ api_token | replace('tok', 'TOK') }}",
    "{{ 'pre-' ~ api_token ~ '-post' }}",
    "{{ [api_token, 'x'] | join('|') }}",
    "{{ api_token[4:] }}",
    "{{ api_token | urlencode }}",
    "{{ api_token | tojson }}",
    "{{ api_token | split('-') | join('+') }}",
    "{{ api_token | base64 }}",
];

#[test]
fn no_transformed_secret_shows_in_verbose_output() {
    let (base, seen) = recorder::start();
    let fields: Vec<String> = TRANSFORMS
        .iter()
        .enumerate()
        .map(|(i, t)| format!("      t{i}: \"{t}\""))
        .collect();
    let collection = format!(
        "name: transforms\nrequests:\n  - name: send\n    method: POST\n    url: \"{{{{ base_url }}}}/x\"\n    json:\n{}\n",
        fields.join("\n")
    );
    let env = format!(
        "scope: non-production\nvars:\n  base_url: {base}\nsecrets:\n  api_token: COURIER_LEAK_TOKEN\n"
    );
    let tmp = support::workspace(&[
        ("collections/t.yaml", &collection),
        ("environments/t.yaml", &env),
    ]);
    let out = support::courier(tmp.path())
        .env("COURIER_LEAK_TOKEN", SECRET)
        .args(["run", "collections", "--env", "t", "-v"])
        .output()
        .expect("runs");
    let (code, stdout, stderr) = support::parts(&out);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // What the server received: each transformed value, which the output must not show.
    let sent: serde_json::Value =
        serde_json::from_slice(&seen.lock().expect("the log")[0].body).expect("a JSON body");
    let mut failures = Vec::new();
    for (i, t) in TRANSFORMS.iter().enumerate() {
        let value = sent[format!("t{i}")].as_str().expect("a string").to_owned();
        let escaped = serde_json::to_string(&value).expect("JSON");
        let escaped = &escaped[1..escaped.len() - 1];
        assert_ne!(value, SECRET, "{t} transforms the secret");
        if stderr.contains(&value) || stderr.contains(escaped) {
            failures.push(format!("{t} shows as {value}"));
        }
    }
    assert!(stderr.contains("[REDACTED]"), "{stderr}");
    assert!(failures.is_empty(), "{}\n{stderr}", failures.join("\n"));
}
