//! The importers against files: one golden case per converted `pm.*` pattern, the corpus of
//! real Postman collections (every file they give loads through courier-core's loader, two
//! pinned as golden files), credentials kept out of the YAML, and curl goldens.
//!
//! Golden files are rewritten with `UPDATE_GOLDEN=1 cargo test -p courier-import`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use courier_core::diag::SourceFile;
use courier_core::load::{parse_collection, parse_environment};
use courier_import::{ImportError, OutFile, PostmanInput, import_curl, import_postman};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(rel)
}

fn no_files(_: &Path) -> bool {
    false
}

fn import(
    collection: &Path,
    environment: Option<&Path>,
) -> Result<courier_import::Imported, ImportError> {
    let text = std::fs::read_to_string(collection).expect("test setup");
    let env_text = environment.map(|e| std::fs::read_to_string(e).expect("test setup"));
    let shown = collection
        .file_name()
        .expect("test setup")
        .to_string_lossy()
        .into_owned();
    let input = PostmanInput {
        collection: (&text, &shown),
        environment: env_text.as_deref().map(|t| (t, "environment.json")),
        base_dir: collection.parent().expect("test setup"),
        file_exists: &no_files,
    };
    import_postman(&input)
}

/// Every file loads: collections through the collection loader, the environment through the
/// environment loader.
fn assert_loads(files: &[OutFile]) {
    for f in files {
        let source = SourceFile::new(&f.path, f.text.clone());
        let result = if f.path.starts_with("environments") {
            parse_environment(
                &source,
                f.path
                    .file_stem()
                    .expect("test setup")
                    .to_str()
                    .expect("test setup"),
            )
            .map(|_| ())
        } else {
            parse_collection(&source).map(|_| ())
        };
        if let Err(diags) = result {
            let shown: Vec<String> = diags
                .iter()
                .map(courier_core::diag::Diagnostic::render)
                .collect();
            panic!(
                "{} does not load:\n{}\n---\n{}",
                f.path.display(),
                shown.join("\n"),
                f.text
            );
        }
    }
}

/// Compares with the golden file, or writes it under UPDATE_GOLDEN=1.
fn golden(path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("test setup")).expect("test setup");
        std::fs::write(path, actual).expect("test setup");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    pretty_assertions::assert_eq!(expected, actual, "golden file {}", path.display());
}

#[test]
fn each_pm_pattern_has_a_golden_conversion() {
    let dir = data("import-patterns");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".postman_collection.json"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 14, "the pattern corpus is there");
    for case in cases {
        let imported = import(&case, None).unwrap();
        assert_loads(&imported.files);
        let name = case
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".postman_collection.json", "");
        let collection = &imported.files[0];
        let summary = imported.summary.render();
        let first = summary.lines().nth(1).unwrap_or_default();
        golden(
            &dir.join(format!("{name}.yaml")),
            &format!("# {first}\n{}", collection.text),
        );
    }
}

/// (folder, collection file, environment file)
const CORPUS: [(&str, &str, Option<&str>); 6] = [
    ("conduit", "Conduit.postman_collection.json", None),
    ("newman-sample", "sample-collection.json", None),
    (
        "newman-custom-http-method",
        "custom-http-method.postman_collection.json",
        None,
    ),
    (
        "newman-inherited-entities",
        "inherited-entities.postman_collection.json",
        Some("inherited-entities.postman_environment.json"),
    ),
    (
        "newman-multi-level-folders",
        "multi-level-folders-v2.postman_collection.json",
        None,
    ),
    (
        "newman-v2-regression",
        "v2-regression-tests.postman_collection.json",
        Some("v2-regression-tests.postman_environment.json"),
    ),
];

#[test]
fn the_real_collections_import_and_load() {
    for (dir, file, env) in CORPUS {
        let d = data(&format!("postman/{dir}"));
        assert!(d.join("LICENSE").is_file(), "{dir} has its licence");
        let imported = import(&d.join(file), env.map(|e| d.join(e)).as_deref())
            .unwrap_or_else(|e| panic!("{dir}: {e}"));
        assert!(
            imported.files.len() >= 2,
            "{dir}: collections and an environment"
        );
        assert_loads(&imported.files);
    }
}

#[test]
fn two_real_collections_are_pinned() {
    for (dir, file, env) in [CORPUS[0], CORPUS[3]] {
        let d = data(&format!("postman/{dir}"));
        let imported = import(&d.join(file), env.map(|e| d.join(e)).as_deref()).unwrap();
        let mut all = String::new();
        for f in &imported.files {
            let _ = write!(all, "=== {}\n{}", f.path.display(), f.text);
        }
        all.push_str("=== summary\n");
        all.push_str(&imported.summary.render());
        golden(&d.join("expected.txt"), &all);
    }
}

#[test]
fn folders_become_files_in_order() {
    let d = data("postman/newman-multi-level-folders");
    let imported = import(
        &d.join("multi-level-folders-v2.postman_collection.json"),
        None,
    )
    .unwrap();
    let paths: Vec<String> = imported
        .files
        .iter()
        .map(|f| f.path.display().to_string())
        .collect();
    // Nested folder names are joined in the file name; the number keeps Postman's order.
    assert!(paths.len() > 3, "{paths:?}");
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "file names sort in Postman's order");
    assert!(
        paths.iter().any(|p| p.matches('-').count() >= 3),
        "a nested folder's file joins the names: {paths:?}"
    );
}

#[test]
fn a_v1_export_is_refused_with_what_to_do() {
    let err = import(&data("postman/newman-v1/v1.postman_collection.json"), None).unwrap_err();
    assert!(matches!(err, ImportError::V1(_)), "{err}");
    assert!(
        err.to_string().contains("re-export it as Collection v2.1"),
        "{err}"
    );
}

#[test]
fn broken_json_points_at_line_and_column() {
    let input = PostmanInput {
        collection: ("{\n  \"info\": {,\n}", "bad.json"),
        environment: None,
        base_dir: Path::new("."),
        file_exists: &no_files,
    };
    let err = import_postman(&input).unwrap_err().to_string();
    assert!(err.starts_with("bad.json:2:12: not valid JSON"), "{err}");
}

/// A collection full of credentials: none of their values may appear in any output file.
#[test]
fn credentials_never_land_in_yaml() {
    let collection = r#"{
      "info": {"name": "Creds", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
      "auth": {"type": "oauth2", "oauth2": [
        {"key": "grant_type", "value": "client_credentials"},
        {"key": "accessTokenUrl", "value": "https://auth.example.com/token"},
        {"key": "clientId", "value": "client-id-literal-7"},
        {"key": "clientSecret", "value": "client-secret-literal-8"}]},
      "variable": [{"key": "apiKey", "value": "api-key-literal-1"}, {"key": "vault", "value": "vault-literal-2", "type": "secret"}],
      "item": [
        {"name": "bearer", "request": {"url": "https://x.example.com/a",
          "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "bearer-literal-3"}]}}},
        {"name": "basic", "request": {"url": "https://x.example.com/b",
          "auth": {"type": "basic", "basic": [{"key": "username", "value": "ann"}, {"key": "password", "value": "password-literal-4"}]}}},
        {"name": "header", "request": {"url": "https://x.example.com/c", "header": [
          {"key": "Authorization", "value": "Bearer header-literal-5"},
          {"key": "Cookie", "value": "sid=cookie-literal-6"},
          {"key": "X-Trace", "value": "{{vault}}"}]}}
      ]
    }"#;
    let env = r#"{"name": "Creds Env", "values": [
        {"key": "db password", "value": "env-literal-9", "enabled": true},
        {"key": "plain", "value": "visible", "enabled": true},
        {"key": "hidden", "value": "env-secret-literal-10", "type": "secret", "enabled": true}]}"#;
    let input = PostmanInput {
        collection: (collection, "creds.json"),
        environment: Some((env, "env.json")),
        base_dir: Path::new("."),
        file_exists: &no_files,
    };
    let imported = import_postman(&input).unwrap();
    assert_loads(&imported.files);
    let all: String = imported.files.iter().map(|f| f.text.as_str()).collect();
    for leaked in [
        "api-key-literal-1",
        "vault-literal-2",
        "bearer-literal-3",
        "password-literal-4",
        "header-literal-5",
        "cookie-literal-6",
        "client-id-literal-7",
        "client-secret-literal-8",
        "env-literal-9",
        "env-secret-literal-10",
    ] {
        assert!(!all.contains(leaked), "`{leaked}` leaked into:\n{all}");
    }
    assert!(all.contains("plain: visible"), "{all}");
    let env_file = imported.files.last().unwrap();
    assert_eq!(env_file.path, Path::new("environments/creds-env.yaml"));
    for var in [
        "API_KEY",
        "VAULT",
        "DB_PASSWORD",
        "HIDDEN",
        "AUTHORIZATION",
        "COOKIE",
        "BEARER_TOKEN",
        "BASIC_PASSWORD",
    ] {
        assert!(
            env_file.text.contains(var),
            "{var} missing from:\n{}",
            env_file.text
        );
    }
    let summary = imported.summary.render();
    assert!(
        summary.contains("credentials → secrets (set these environment variables): 10"),
        "{summary}"
    );
}

#[test]
fn tricky_text_round_trips_through_the_loader() {
    let collection = r#"{
      "info": {"name": "a: \"quoted\" # not a comment", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
      "item": [{"name": "- yes: {x} [y] & *z !t %u @v `w",
        "request": {"method": "post", "url": "http://h/p?q=%7B%25%20x&e=",
          "header": [{"key": "X-Odd", "value": "{% raw %} {# c #} 'single' \"double\" \\ back"}, {"key": "X-Off", "value": "1", "disabled": true}],
          "body": {"mode": "raw", "raw": "line one\n  indented\n\ttab\nünïcødé\n\n", "options": {"raw": {"language": "text"}}}}}]
    }"#;
    let input = PostmanInput {
        collection: (collection, "t.json"),
        environment: None,
        base_dir: Path::new("."),
        file_exists: &no_files,
    };
    let imported = import_postman(&input).unwrap();
    assert_loads(&imported.files);
    let f = &imported.files[0];
    let c = parse_collection(&SourceFile::new(&f.path, f.text.clone())).unwrap();
    assert_eq!(c.name.value, "a: \"quoted\" # not a comment");
    let r = &c.requests[0];
    assert_eq!(r.name.value, "- yes: {x} [y] & *z !t %u @v `w");
    assert_eq!(r.method.value, "POST");
    assert_eq!(r.headers.len(), 1, "the disabled header is dropped");
    assert!(!f.text.contains("X-Off"));
    // Text that looks like template syntax is sent as written: rendering gives it back.
    let vars = courier_core::template::Vars::default();
    let header = r.headers[0].value.value.render(&vars).unwrap();
    assert_eq!(header, "{% raw %} {# c #} 'single' \"double\" \\ back");
    let Some(courier_core::model::Body::Text(body)) = r.body.as_deref() else {
        panic!("a text body: {}", f.text);
    };
    assert_eq!(
        body.value.render(&vars).unwrap(),
        "line one\n  indented\n\ttab\nünïcødé\n\n"
    );
    let q: Vec<(String, String)> = r
        .query
        .iter()
        .map(|(k, v)| (k.value.clone(), v.value.render(&vars).unwrap()))
        .collect();
    assert_eq!(
        q,
        [
            ("q".to_owned(), "{% x".to_owned()),
            ("e".to_owned(), String::new())
        ]
    );
}

#[test]
fn curl_goldens() {
    let dir = data("import-curl");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sh" || e == "cmd"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 4);
    for case in cases {
        let text = std::fs::read_to_string(&case).unwrap();
        let c = import_curl(&text).unwrap_or_else(|e| panic!("{}: {e}", case.display()));
        let out = OutFile {
            path: PathBuf::from("c.yaml"),
            text: c.yaml.clone(),
        };
        assert_loads(std::slice::from_ref(&out));
        for leaked in ["hunter2", "eyJhbGci", "abc123"] {
            assert!(!c.yaml.contains(leaked), "`{leaked}` leaked:\n{}", c.yaml);
        }
        let mut notes = String::new();
        for s in &c.secrets {
            let _ = writeln!(notes, "# secret: {s}");
        }
        for n in &c.notes {
            let _ = writeln!(notes, "# note: {n}");
        }
        golden(&case.with_extension("yaml"), &format!("{notes}{}", c.yaml));
    }
}

#[test]
fn curl_refuses_what_it_cannot_convert() {
    let err = |t: &str| import_curl(t).unwrap_err().to_string();
    assert_eq!(
        err("curl -o out.json https://x"),
        "curl: unsupported option `-o`: Courier checks the response instead of saving it"
    );
    assert_eq!(
        err("curl --proxy-ntlm https://x"),
        "curl: unsupported option `--proxy-ntlm`"
    );
    assert_eq!(err("curl -sZ https://x"), "curl: unsupported option `-Z`");
    assert!(err("curl -d @body.json https://x").contains("reads the body from a file"));
    assert!(err("wget https://x").contains("starting with `curl`"));
    assert!(err("curl 'https://x").contains("unclosed"));
    assert!(err("curl -X TRACE https://x").contains("not one Courier sends"));
}
