use super::*;
use crate::model::{StatusKind, StatusPattern};

fn load(text: &str) -> Result<Collection, Vec<Diagnostic>> {
    parse_collection(&SourceFile::new("c.yaml", text))
}

fn errors(text: &str) -> Vec<String> {
    load(text)
        .err()
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Loads `text` from a file as `validate` and `run` do, with the checks of what is sent.
fn load_file(text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    std::fs::write(&path, text).unwrap();
    super::super::load_collection(&path)
        .err()
        .unwrap_or_default()
        .iter()
        // Without the temporary folder: `c.yaml:4:11: …`.
        .map(|d| {
            d.to_string()
                .replace(&format!("{}/", dir.path().display()), "")
        })
        .collect()
}

#[test]
fn literal_invalid_urls_are_load_errors() {
    let errs = load_file("name: c\nrequests:\n  - name: a\n    url: \"http://exa mple.com/\"\n");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
            errs[0].starts_with(
                "c.yaml:4:11: `http://exa mple.com/` is not a valid URL: invalid international domain name"
            ),
            "{errs:?}"
        );
    let errs = load_file("name: c\nrequests:\n  - name: a\n    url: ftp://example.com/x\n");
    assert_eq!(
        errs,
        ["c.yaml:4:10: `ftp://example.com/x` is not an http or https URL (its scheme is `ftp`)"]
    );
    let errs = load_file("name: c\nrequests:\n  - name: a\n    url: /relative/path\n");
    assert!(
        errs[0].contains("is not a valid URL: relative URL without a base"),
        "{errs:?}"
    );
    // Templates are checked when they are rendered.
    assert!(load_file("name: c\nrequests:\n  - name: a\n    url: \"{{ base }}/x\"\n").is_empty());
    assert!(
        load_file("name: c\nrequests:\n  - name: a\n    url: https://example.com/x\n").is_empty()
    );
}

#[test]
fn header_values_with_line_breaks_are_load_errors() {
    let errs = errors(
        "name: c\nrequests:\n  - name: a\n    url: http://127.0.0.1/\n    headers:\n      X-A: \"one\\r\\nX-Injected: two\"\n      X-B: |\n        line\n",
    );
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(
        errs[0].starts_with("c.yaml:6:13: the value of header `X-A` holds a line break"),
        "{errs:?}"
    );
    assert!(
        errs[1].starts_with("c.yaml:8:9: the value of header `X-B` holds a line break"),
        "{errs:?}"
    );
    assert!(errors("name: c\nrequests:\n  - name: a\n    url: http://127.0.0.1/\n    headers: { X-A: \"a\\tb\" }\n").is_empty());
}

#[test]
fn request_names_too_long_for_a_snapshot_file_are_caught() {
    let long = "read vendor ".repeat(20);
    let text = format!(
        "name: c\nrequests:\n  - name: {long}\n    url: http://127.0.0.1/\n    snapshot: true\n"
    );
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("is too long for a snapshot file name")
            && errs[0].contains("255-byte limit"),
        "{errs:?}"
    );
    // Without a snapshot the name is fine; a name of ordinary length is fine too.
    assert!(errors(&text.replace("    snapshot: true\n", "")).is_empty());
    assert!(errors(&text.replace(&long, &"read vendor ".repeat(15))).is_empty());
}

#[test]
fn a_full_request_loads() {
    let c = load(
        r#"
name: Vendors
tags: [a, b]
vars: { page: 10 }
defaults:
  headers: { Accept: application/json }
  timeout: 5s
  retries: { count: 2, on: [429, 5xx, network], backoff: 100ms }
requests:
  - name: create vendor
    method: post
    url: "{{ base_url }}/v"
    json: { id: "{{ vendor_id }}", n: 1 }
    expect:
      status: [201, 2xx]
      headers: { content-type: { contains: json } }
      jsonpath:
        "$['ia::result'].key": { exists: true }
        "$.n": { gt: 0, lt: 5, type: integer }
        "$.s": { matches: "^a" }
        "$.l": { length: { gte: 1 } }
        "$.t": { in: [active, inactive] }
      duration: { lt: 2000 }
    capture:
      key: "$['ia::result'].key"
      rid: { header: x-request-id }
    snapshot: { redact: { "$..id": "[id]" }, per_env: true }
"#,
    )
    .unwrap();
    let r = &c.requests[0];
    assert_eq!(r.method.value, "POST");
    assert!(r.mutates());
    assert_eq!(r.captures.len(), 2);
    assert_eq!(r.expect.jsonpath.len(), 5);
    assert_eq!(c.defaults.retries.as_ref().unwrap().on.len(), 3);
}

#[test]
fn unknown_keys_get_suggestions_with_positions() {
    let errs = errors("name: x\nrequests:\n  - name: a\n    url: http://x\n    expcet: {}\n");
    assert_eq!(
        errs,
        ["c.yaml:5:5: unknown key `expcet` in a request, did you mean `expect`?"]
    );
}

#[test]
fn unknown_operator_gets_a_suggestion() {
    let errs = errors(
        "name: x\nrequests:\n  - name: a\n    url: u\n    expect:\n      jsonpath:\n        $.a: { equals: 1 }\n",
    );
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with("c.yaml:7:16: unknown matcher operator `equals`"),
        "{}",
        errs[0]
    );
}

#[test]
fn two_bodies_are_an_error() {
    let errs =
        errors("name: x\nrequests:\n  - name: a\n    url: u\n    json: {}\n    body: text\n");
    assert_eq!(
        errs,
        ["c.yaml:6:5: a request takes one body, found both `json` and `body`"]
    );
}

#[test]
fn bad_jsonpath_points_into_the_key() {
    let errs = errors(
        "name: x\nrequests:\n  - name: a\n    url: u\n    expect:\n      jsonpath:\n        \"$.a[\": 1\n",
    );
    assert_eq!(errs.len(), 1);
    assert!(errs[0].starts_with("c.yaml:7:"), "{}", errs[0]);
    assert!(errs[0].contains("bad JSONPath"), "{}", errs[0]);
}

#[test]
fn all_errors_of_a_file_are_reported() {
    let errs = errors(
        "name: x\nrequests:\n  - name: a\n    url: u\n    timeout: 30\n  - name: a\n    url: u\n    expect: { status: 700 }\n",
    );
    assert_eq!(errs.len(), 3, "{errs:?}");
}

#[test]
fn status_forms() {
    let c =
        load("name: x\nrequests:\n  - name: a\n    url: u\n    expect: { status: 2XX }\n").unwrap();
    assert!(matches!(
        c.requests[0].expect.status.as_ref().unwrap().kind,
        StatusKind::AnyOf(ref p) if p == &[StatusPattern::Class(2)]
    ));
    let c =
        load("name: x\nrequests:\n  - name: a\n    url: u\n    expect: { status: { gte: 200 } }\n")
            .unwrap();
    assert!(matches!(
        c.requests[0].expect.status.as_ref().unwrap().kind,
        StatusKind::Ops(_)
    ));
}

#[test]
fn a_method_override_header_makes_the_request_mutate_as_the_method_it_names() {
    let c = load(
        r#"name: Overrides
defaults:
  headers: { X-Method-Override: DELETE }
requests:
  - name: own override
    method: GET
    url: http://x/1
    headers: { x-http-method-override: PATCH }
  - name: inherited
    url: http://x/2
  - name: replaced by a safe one
    url: http://x/3
    headers: { X-METHOD-OVERRIDE: get }
  - name: templated
    url: http://x/4
    headers: { X-Method-Override: "get", X-HTTP-Method: "{{ m }}" }
  - name: said not to
    url: http://x/5
    headers: { X-HTTP-Method-Override: PUT }
    mutates: false
"#,
    )
    .unwrap();
    let verdicts: Vec<(&str, bool, bool)> = c
        .requests
        .iter()
        .map(|r| {
            (
                r.name.value.as_str(),
                r.mutates(),
                r.mutates_in(&c.defaults),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("own override", false, true),
            ("inherited", false, true),
            ("replaced by a safe one", false, false),
            ("templated", false, true),
            ("said not to", false, false),
        ]
    );
}
