//! The collection language on the repository's own examples: typed `--var` values reach a
//! JSON body with their type, and the examples pass whatever page size is asked for.

use crate::support::{courier, examples, parts};

/// `--var page_size=5` sends `"size": 5` (a number, not `"5"`), the checks that compare the
/// page against `page_size` pass, and the snapshot does not depend on the page size.
#[test]
fn gl_accounts_with_a_typed_page_size() {
    let dir = examples();
    for size in ["5", "3"] {
        let (code, stdout, stderr) = parts(
            &courier(dir.path())
                .args([
                    "run",
                    "collections/gl-accounts.yaml",
                    "--env",
                    "local",
                    "--snapshots",
                    "check",
                    "-v",
                    "--var",
                    &format!("page_size={size}"),
                ])
                .output()
                .unwrap(),
        );
        assert_eq!(code, 0, "page_size={size}\n{stdout}\n{stderr}");
        assert!(
            stdout.ends_with("4 passed, 0 failed, 0 skipped\n"),
            "{stdout}"
        );
        assert!(
            stderr.contains(&format!("\"size\":{size}}}")),
            "the body should hold a number:\n{stderr}"
        );
        assert!(
            !stderr.contains(&format!("\"size\":\"{size}\"")),
            "{stderr}"
        );
    }
}

/// `defaults.delay` pauses before every request, a request's own `delay` replaces it. The
/// JSON report's `started_ms` (when the send went on the wire, after the pause) and
/// `duration_ms` (the send alone) give the pause before each send; a sleep lasts at least its
/// duration, so only lower bounds are checked.
#[test]
fn delay_pauses_before_each_request() {
    let collection = "name: Delays\nauth: intacct\ndefaults:\n  delay: 300ms\nrequests:\n  - name: first\n    url: \"{{ base_url }}/objects/accounts-payable/vendor/84\"\n    expect: { status: 200 }\n  - name: second\n    url: \"{{ base_url }}/objects/accounts-payable/vendor/85\"\n    delay: 1200ms\n    expect: { status: 200 }\n  - name: third\n    url: \"{{ base_url }}/objects/accounts-payable/vendor/84\"\n    expect: { status: 200 }\n";
    let dir = crate::support::workspace(&[("collections/a.yaml", collection)]);
    let (code, stdout, stderr) = parts(
        &courier(dir.path())
            .args(["run", "--env", "local", "--json", "report.json"])
            .output()
            .unwrap(),
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    let requests = report["collections"][0]["requests"].as_array().unwrap();
    let ms = |i: usize, key: &str| requests[i][key].as_u64().unwrap();
    // The pause before request i + 1 is what lies between the start of request i and its
    // own, less the send of request i; the first pauses after the run's start.
    let pause = |i: usize| ms(i + 1, "started_ms") - ms(i, "started_ms") - ms(i, "duration_ms");
    assert!(
        ms(0, "started_ms") >= 300,
        "the default delay: {requests:?}"
    );
    assert!(pause(0) >= 1200, "the request's own delay: {requests:?}");
    assert!(pause(1) >= 300, "the default delay again: {requests:?}");
}

/// The paging example fetches every vendor of the emulator company five at a time with one
/// `repeat` request (at least three pages, each its own result) and collects as many ids as
/// `totalCount`; the JSON report names each page.
#[test]
fn vendor_paging_collects_every_id() {
    let dir = examples();
    let (code, stdout, stderr) = parts(
        &courier(dir.path())
            .args([
                "run",
                "collections/vendor-paging.yaml",
                "--env",
                "local",
                "--json",
                "report.json",
            ])
            .output()
            .unwrap(),
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("PASS Vendor paging / all vendors [page 3]"),
        "{stdout}"
    );
    assert!(stdout.contains("PASS Vendor paging / every vendor was collected"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    let names: Vec<&str> = report["collections"][0]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(names.len() >= 4, "{names:?}");
    assert_eq!(names[0], "all vendors [page 1]");
    let requests = report["collections"][0]["requests"].as_array().unwrap();
    assert_eq!(requests[2]["page"], 3, "{requests:?}");
    assert_eq!(requests[2]["row"], serde_json::Value::Null);
    assert_eq!(requests[names.len() - 1]["page"], serde_json::Value::Null);
    assert_eq!(names[names.len() - 1], "every vendor was collected");
}

/// An Intacct bulk job the way a collection runs one: a `multipart` create (an
/// `ia::requestBody` JSON part with a template, and a file part read from beside the
/// collection), then `poll` on the status until the job is `completed`, then its results.
#[test]
fn bulk_job_with_multipart_and_poll() {
    let collection = r#"name: Bulk
auth: intacct
requests:
  - name: create the job
    method: POST
    url: "{{ base_url }}/services/bulk/job/create"
    multipart:
      "ia::requestBody":
        json: { objectName: vendor, operation: create, jobFile: "{{ part }}", fileContentType: json }
      records: { file: data/vendors.json }
    expect: { status: 200 }
    capture:
      job_id: "$['ia::result'].jobId"
  - name: wait for the job
    url: "{{ base_url }}/services/bulk/job/status?jobId={{ job_id }}"
    poll: { interval: 200ms, timeout: 60s }
    expect:
      jsonpath:
        "$['ia::result'].status": completed
  - name: results
    url: "{{ base_url }}/services/bulk/job/status?jobId={{ job_id }}&download=true"
    expect:
      status: 200
      jsonpath:
        "$": { length: 2 }
"#;
    let vendors =
        r#"[{"id": "V-BULK-1", "name": "Bulk One"}, {"id": "V-BULK-2", "name": "Bulk Two"}]"#;
    let dir = crate::support::workspace(&[
        ("collections/bulk.yaml", collection),
        ("collections/data/vendors.json", vendors),
    ]);
    let (code, stdout, stderr) = parts(
        &courier(dir.path())
            .args(["run", "--env", "local", "--var", "part=records"])
            .output()
            .unwrap(),
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("PASS Bulk / create the job  200"),
        "{stdout}"
    );
    // The emulator's job takes 2 s: the status was asked more than once.
    let wait = stdout
        .lines()
        .find(|l| l.starts_with("PASS Bulk / wait for the job"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(wait.ends_with(" attempts)"), "{wait}");
    assert!(!wait.contains("(1 attempts)"), "{wait}");
    assert!(stdout.contains("PASS Bulk / results  200"), "{stdout}");
}

/// A value captured with `secret: true` is redacted everywhere from then on: the console and
/// `-v` (the exchange that captured it, the headers, query and body that send it again), the
/// JSON and JUnit reports and a snapshot, in plain, percent-encoded, Base64 and JSON-escaped
/// form. A first run plants the value in the emulator, so the second run learns it only by
/// capturing it.
#[test]
fn a_secret_capture_never_shows() {
    use crate::auth::{CLIENT_ID, Emu, WS_USER, leak_forms};
    let planted = "Cs7/Leak+Captured Val=ue";
    let emu = Emu::start(|_| {});
    let env = format!(
        "scope: non-production\nvars:\n  base_url: {}\n  ws_user: {WS_USER}\n  client_secret: courier-np-secret\nauth:\n  intacct:\n    type: oauth2\n    grant: client_credentials\n    token_url: \"{{{{ base_url }}}}/oauth2/token\"\n    client_id: {CLIENT_ID}\n    client_secret: \"{{{{ client_secret }}}}\"\n    token_params: {{ username: \"{{{{ ws_user }}}}\" }}\n",
        emu.base_url()
    );
    let plant = format!(
        "name: Plant\nauth: intacct\nrequests:\n  - name: create\n    method: POST\n    url: \"{{{{ base_url }}}}/objects/accounts-payable/vendor\"\n    json: {{ id: V-CAPSEC, name: \"{planted}\" }}\n    expect: {{ status: 201 }}\n"
    );
    let reader = r#"name: Reader
auth: intacct
requests:
  - name: find it
    method: POST
    mutates: false
    url: "{{ base_url }}/services/core/query"
    json: { object: accounts-payable/vendor, fields: [id, name], filters: [{ $eq: { id: V-CAPSEC } }] }
    expect:
      jsonpath:
        "$['ia::result'][0].name": not the planted value
    capture:
      hidden: { jsonpath: "$['ia::result'][0].name", secret: true }
    snapshot: true
  - name: send it again
    url: "{{ base_url }}/objects/accounts-payable/vendor"
    query: { q: "{{ hidden }}" }
    headers:
      X-Hidden: "{{ hidden }}"
      X-B64: "{{ hidden | base64 }}"
    expect:
      status: 200
      body: { contains: "{{ hidden }}" }
"#;
    let dir = crate::support::workspace(&[
        ("environments/emu.yaml", &env),
        ("plant/plant.yaml", &plant),
        ("collections/reader.yaml", reader),
    ]);
    let (code, stdout, stderr) = parts(
        &courier(dir.path())
            .args(["run", "plant", "--env", "emu"])
            .output()
            .unwrap(),
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");

    let out = courier(dir.path())
        .args([
            "run",
            "collections",
            "--env",
            "emu",
            "-v",
            "--json",
            "out/report.json",
            "--junit",
            "out/junit.xml",
            "--snapshots",
            "update",
        ])
        .output()
        .unwrap();
    let (code, stdout, stderr) = parts(&out);
    // Both checks fail, and their actual values are the redacted secret.
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stdout.contains("[REDACTED]"), "{stdout}");
    assert!(stderr.contains("x-hidden: [REDACTED]"), "{stderr}");
    let mut outputs = vec![("stdout".to_owned(), stdout), ("stderr".to_owned(), stderr)];
    for file in [
        "out/report.json",
        "out/junit.xml",
        "collections/__snapshots__/reader__find-it.snap",
    ] {
        let text = std::fs::read_to_string(dir.path().join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        outputs.push((file.to_owned(), text));
    }
    for form in leak_forms(planted) {
        for (name, text) in &outputs {
            assert!(!text.contains(&form), "`{form}` in {name}:\n{text}");
        }
    }
}

/// A templated JSONPath key is reported as rendered: the JSON report's assertion `path` and
/// the JUnit failure name the path that was looked up, and a rendered path that does not
/// compile fails its check with that path in the message (docs/collections-language.md#templated-jsonpath-keys).
#[test]
fn templated_paths_show_rendered_in_reports() {
    let collection = "name: Keys\nauth: intacct\nrequests:\n  - name: by id\n    method: POST\n    mutates: false\n    url: \"{{ base_url }}/services/core/query\"\n    json: { object: accounts-payable/vendor, fields: [id, name], orderBy: [{ id: asc }], size: 2 }\n    expect:\n      jsonpath:\n        \"$['ia::result'][?@.id == '{{ wanted }}'].name\": [\"Nobody\"]\n        \"$['ia::result'][?@.name == '{{ odd }}']\": { length: 0 }\n";
    let dir = crate::support::workspace(&[("collections/a.yaml", collection)]);
    let (code, stdout, stderr) = parts(
        &courier(dir.path())
            .args([
                "run",
                "--env",
                "local",
                "--var",
                "wanted=V-0001",
                "--var",
                "odd=it's",
                "--json",
                "report.json",
                "--junit",
                "junit.xml",
            ])
            .output()
            .unwrap(),
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    let assertions = &report["collections"][0]["requests"][0]["assertions"];
    let rendered = "$['ia::result'][?@.id == 'V-0001'].name";
    assert_eq!(assertions[0]["path"], rendered, "{report:#}");
    assert_eq!(
        assertions[0]["actual"],
        serde_json::json!(["Umbrella Packaging"])
    );
    let message = assertions[1]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("bad JSONPath `$['ia::result'][?@.name == 'it's']`"),
        "{report:#}"
    );
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains("$[&apos;ia::result&apos;][?@.id == &apos;V-0001&apos;].name")
            || junit.contains("$['ia::result'][?@.id == 'V-0001'].name"),
        "{junit}"
    );
    assert!(
        junit.contains("it&apos;s") || junit.contains("it's"),
        "{junit}"
    );
}
