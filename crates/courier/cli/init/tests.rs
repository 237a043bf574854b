//! The CI recipes are checked as a user would run them: the README's blocks and the files
//! `courier init` writes are read as YAML; every secret the environments they run need must be
//! exported by them and nothing else; every `courier` line, with the CI system's variables
//! substituted for each shard, must parse with the CLI's own parser and run shard K of N with
//! its reports where the recipe keeps them. The README's recipes must be init's files byte for
//! byte. See docs/ci.md.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::Parser as _;
use courier_core::diag::SourceFile;
use courier_core::model::Environment;
use serde_json::Value;

use super::{Ci, GITHUB_WORKFLOW, GITLAB_PIPELINE, scaffold};
use crate::cli::{Cli, Command};

/// The CI systems a recipe is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Github,
    Gitlab,
    Kubernetes,
}

/// The first line of each README recipe, which names the file it is.
const GITHUB_HEADER: &str = "# .github/workflows/api-tests.yml\n";
const GITLAB_HEADER: &str = "# .gitlab-ci.yml\n";
const KUBERNETES_HEADER: &str = "# courier-job.yaml\n";

/// A `courier` command line of a recipe, as written.
#[derive(Debug)]
struct CourierLine {
    text: String,
    /// The CI variables and what they become in shard `k` of `n`.
    substitutions: Vec<(&'static str, Sub)>,
}

#[derive(Debug, Clone, Copy)]
enum Sub {
    Index,
    Total,
}

/// What a recipe says, read from its YAML.
#[derive(Debug, Default)]
struct Recipe {
    lines: Vec<CourierLine>,
    /// How many shards the CI system starts.
    shards: usize,
    /// The process environment variables the recipe fills from the CI system's secret store.
    exported: BTreeSet<String>,
    /// Folders whose files are kept after the job (artifacts, a volume).
    kept: Vec<String>,
    /// The reports the CI system shows as test results (GitLab's `artifacts:reports:junit`).
    junit_globs: Vec<String>,
    problems: Vec<String>,
}

fn yaml(text: &str) -> Value {
    courier_core::yaml::parse(text)
        .unwrap_or_else(|e| panic!("a recipe that is not YAML: {}", e.message))
        .to_json()
}

fn str_items(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(str_items).collect(),
        _ => Vec::new(),
    }
}

/// The lines of a shell script that run `courier`.
fn courier_commands(script: &str) -> Vec<String> {
    script
        .lines()
        .map(str::trim)
        .filter(|l| l.split_whitespace().next() == Some("courier"))
        .map(str::to_owned)
        .collect()
}

fn read_github(text: &str) -> Recipe {
    let doc = yaml(text);
    let mut r = Recipe::default();
    let secret_ref = regex::Regex::new(r"\$\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}").unwrap();
    let mut env_maps: Vec<&Value> = vec![&doc["env"]];
    for job in doc["jobs"].as_object().into_iter().flat_map(|j| j.values()) {
        let steps = job["steps"].as_array().cloned().unwrap_or_default();
        let runs_courier = steps.iter().any(|s| {
            s["run"]
                .as_str()
                .is_some_and(|run| !courier_commands(run).is_empty())
        });
        if !runs_courier {
            continue;
        }
        r.shards = job["strategy"]["matrix"]["shard"]
            .as_array()
            .map_or(0, Vec::len);
        env_maps.push(&job["env"]);
        for (i, step) in job["steps"].as_array().into_iter().flatten().enumerate() {
            if let Some(run) = step["run"].as_str() {
                let lines = courier_commands(run);
                if !lines.is_empty() {
                    env_maps.push(&job["steps"][i]["env"]);
                }
                r.lines.extend(lines.into_iter().map(|text| CourierLine {
                    text,
                    substitutions: vec![
                        ("${{ matrix.shard }}", Sub::Index),
                        ("${{ strategy.job-total }}", Sub::Total),
                    ],
                }));
            }
            if step["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
            {
                r.kept.extend(str_items(&step["with"]["path"]));
            }
        }
    }
    for map in env_maps.into_iter().filter_map(Value::as_object) {
        for (name, value) in map {
            let from = value
                .as_str()
                .and_then(|v| secret_ref.captures(v))
                .map(|c| c[1].to_owned());
            match from {
                Some(secret) if secret == *name => {
                    r.exported.insert(name.clone());
                }
                Some(secret) => r.problems.push(format!(
                    "{name} is filled from the secret {secret}: name the secret as the variable"
                )),
                None => {}
            }
        }
    }
    // A secret read anywhere else (another step, a `with:`) counts as exported too.
    for c in secret_ref.captures_iter(text) {
        r.exported.insert(c[1].to_owned());
    }
    r
}

fn read_gitlab(text: &str) -> Recipe {
    let doc = yaml(text);
    let mut r = Recipe::default();
    let guard = regex::Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*):\?").unwrap();
    for job in doc.as_object().into_iter().flat_map(|m| m.values()) {
        let script = str_items(&job["script"]).join("\n");
        let lines = courier_commands(&script);
        if lines.is_empty() {
            continue;
        }
        r.shards = job["parallel"].as_u64().map_or(0, |n| n as usize);
        let shell = format!("{}\n{script}", str_items(&job["before_script"]).join("\n"));
        for c in guard.captures_iter(&shell) {
            r.exported.insert(c[1].to_owned());
        }
        r.lines.extend(lines.into_iter().map(|text| CourierLine {
            text,
            substitutions: vec![
                ("${CI_NODE_INDEX}", Sub::Index),
                ("${CI_NODE_TOTAL}", Sub::Total),
                ("$CI_NODE_INDEX", Sub::Index),
                ("$CI_NODE_TOTAL", Sub::Total),
            ],
        }));
        if job["artifacts"]["when"].as_str() != Some("always") {
            r.problems
                .push("artifacts are kept only when the job passes: add `when: always`".into());
        }
        r.kept.extend(str_items(&job["artifacts"]["paths"]));
        let junit = str_items(&job["artifacts"]["reports"]["junit"]);
        if junit.is_empty() {
            r.problems
                .push("no `artifacts:reports:junit`: GitLab shows no test results".into());
        }
        r.junit_globs.extend(junit);
    }
    r
}

fn read_kubernetes(text: &str) -> Recipe {
    let doc = yaml(text);
    let mut r = Recipe::default();
    if doc["kind"] != "Job" || doc["spec"]["completionMode"] != "Indexed" {
        r.problems
            .push("not an Indexed Job: JOB_COMPLETION_INDEX is set only in one".into());
    }
    r.shards = doc["spec"]["completions"]
        .as_u64()
        .map_or(0, |n| n as usize);
    let pod = &doc["spec"]["template"]["spec"];
    for container in pod["containers"].as_array().into_iter().flatten() {
        let script = format!(
            "{}\n{}",
            str_items(&container["command"]).join("\n"),
            str_items(&container["args"]).join("\n")
        );
        r.lines.extend(
            courier_commands(&script)
                .into_iter()
                .map(|text| CourierLine {
                    text,
                    substitutions: vec![("$((JOB_COMPLETION_INDEX + 1))", Sub::Index)],
                }),
        );
        if !container["envFrom"].is_null() {
            r.problems
                .push("`envFrom` hides which variables are set: list them under `env`".into());
        }
        for e in container["env"].as_array().into_iter().flatten() {
            if let Some(name) = e["name"].as_str()
                && !e["valueFrom"]["secretKeyRef"].is_null()
            {
                r.exported.insert(name.to_owned());
            }
        }
        r.kept.extend(
            container["volumeMounts"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["mountPath"].as_str().map(str::to_owned)),
        );
    }
    r
}

/// `reports/junit-*.xml` against `reports/junit-3.xml`: `*` is any run of characters but `/`.
fn glob_matches(pattern: &str, path: &str) -> bool {
    let re = format!("^{}$", regex::escape(pattern).replace(r"\*", "[^/]*"));
    regex::Regex::new(&re).is_ok_and(|re| re.is_match(path))
}

fn under(dir: &str, path: &Path) -> bool {
    let dir = dir.trim_end_matches('/');
    path.starts_with(dir)
}

/// Where a recipe runs: the repository (the README's recipes) or a project made by init.
#[derive(Clone, Copy)]
struct Project {
    /// Loads an environment by the name `--env` gives.
    environment: fn(&str) -> Environment,
    /// Whether a collection path a `courier` line names is there.
    has: fn(&Path) -> bool,
}

const REPOSITORY: Project = Project {
    environment: repository_environment,
    has: |path| root().join(path).exists(),
};

const SCAFFOLD: Project = Project {
    environment: scaffold_environment,
    has: |path| {
        scaffold(Ci::None)
            .iter()
            .any(|f| Path::new(f.path).starts_with(path))
    },
};

/// Every problem of a recipe run in `project`.
fn check(kind: Kind, text: &str, project: Project) -> Vec<String> {
    let mut r = match kind {
        Kind::Github => read_github(text),
        Kind::Gitlab => read_gitlab(text),
        Kind::Kubernetes => read_kubernetes(text),
    };
    let mut problems = std::mem::take(&mut r.problems);
    if r.lines.is_empty() {
        problems.push("no `courier` command".into());
    }
    if r.shards == 0 {
        problems.push("no shard count (a matrix, `parallel:` or `completions:`)".into());
    }
    let junit_globs = &r.junit_globs;
    let kept = &r.kept;
    let mut needed: BTreeSet<String> = BTreeSet::new();
    let mut envs: BTreeSet<String> = BTreeSet::new();
    for line in &r.lines {
        let mut reports: BTreeSet<PathBuf> = BTreeSet::new();
        for k in 1..=r.shards {
            let mut s = line.text.clone();
            for (from, sub) in &line.substitutions {
                let to = match sub {
                    Sub::Index => k,
                    Sub::Total => r.shards,
                };
                s = s.replace(from, &to.to_string());
            }
            if s.contains('$') {
                problems.push(format!("`{s}`: a variable this CI system does not set"));
                continue;
            }
            let args = match Cli::try_parse_from(s.split_whitespace()).map(|cli| cli.command) {
                Ok(Command::Run(args)) => args,
                Ok(_) => {
                    problems.push(format!("`{s}` is not `courier run`"));
                    continue;
                }
                Err(e) => {
                    problems.push(format!("`{s}` does not parse: {}", e.kind()));
                    continue;
                }
            };
            match args.shard {
                Some(shard) if shard.index == k && shard.total == r.shards => {}
                other => problems.push(format!(
                    "`{s}` should run shard {k}/{} but runs {other:?}",
                    r.shards
                )),
            }
            let paths = super::super::common::paths_or_default(&args.paths);
            for missing in paths.iter().filter(|p| !(project.has)(p)) {
                problems.push(format!(
                    "`{s}` runs {}, which is not there",
                    missing.display()
                ));
            }
            match &args.env {
                Some(env) => {
                    envs.insert(env.clone());
                }
                None => problems.push(format!("`{s}` names no environment")),
            }
            for (flag, report) in [
                ("--junit", &args.output.junit),
                ("--json", &args.output.json),
            ] {
                let Some(path) = report else {
                    problems.push(format!("`{s}` writes no {flag} report"));
                    continue;
                };
                if !reports.insert(path.clone()) {
                    problems.push(format!("{} is written by two shards", path.display()));
                }
                if !kept.iter().any(|dir| under(dir, path)) {
                    problems.push(format!(
                        "{} is not kept after the job (kept: {kept:?})",
                        path.display()
                    ));
                }
            }
            if let Some(junit) = &args.output.junit
                && !junit_globs.is_empty()
                && !junit_globs
                    .iter()
                    .any(|g| glob_matches(g, &junit.display().to_string()))
            {
                problems.push(format!(
                    "{} is not shown as test results ({junit_globs:?})",
                    junit.display()
                ));
            }
        }
    }
    for name in &envs {
        needed.extend(secrets_of(&(project.environment)(name)));
    }
    for missing in needed.difference(&r.exported) {
        problems.push(format!(
            "{missing} is needed by the environment ({}) but the recipe does not export it",
            envs.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    for extra in r.exported.difference(&needed) {
        problems.push(format!(
            "{extra} is exported but no environment the recipe runs needs it"
        ));
    }
    problems
}

/// The process environment variables an environment reads: its `secrets:` and the `env()`
/// calls without a default in its templates.
fn secrets_of(env: &Environment) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = env.secrets.iter().map(|(_, v)| v.value.clone()).collect();
    let templates = env.vars.iter().flat_map(|v| v.value.templates()).chain(
        env.auth
            .iter()
            .flat_map(courier_core::plan::profile_templates),
    );
    for t in templates {
        for (name, has_default) in t.value.env_references() {
            if !has_default {
                names.insert(name);
            }
        }
    }
    names
}

fn parse_env(name: &str, text: &str) -> Environment {
    let file = SourceFile::new(format!("environments/{name}.yaml"), text);
    courier_core::load::parse_environment(&file, name)
        .unwrap_or_else(|d| panic!("environments/{name}.yaml does not load: {d:?}"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The repository's environments, as the README's recipes run them from its root.
fn repository_environment(name: &str) -> Environment {
    let path = root().join("environments").join(format!("{name}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_env(name, &text)
}

/// The environments a project made by `courier init` has.
fn scaffold_environment(name: &str) -> Environment {
    let path = format!("environments/{name}.yaml");
    let file = scaffold(Ci::None)
        .into_iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("init writes no {path}"));
    parse_env(name, file.text)
}

fn scaffold_file(ci: Ci, path: &str) -> &'static str {
    scaffold(ci)
        .into_iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("init --ci {ci:?} writes no {path}"))
        .text
}

/// The fenced `yaml` blocks of the README's "CI recipes" section, each with its text.
fn readme_recipes() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("\n## CI recipes\n")
        .expect("a CI recipes section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    let section = &rest[..end];
    let mut blocks = Vec::new();
    let mut lines = section.split_inclusive('\n');
    while let Some(line) = lines.next() {
        if line.trim_end() == "```yaml" {
            let mut block = String::new();
            for l in lines.by_ref() {
                if l.trim_end() == "```" {
                    break;
                }
                block.push_str(l);
            }
            blocks.push(block);
        }
    }
    blocks
}

fn readme_recipe(header: &str) -> String {
    let found: Vec<String> = readme_recipes()
        .into_iter()
        .filter(|b| b.starts_with(header))
        .collect();
    assert_eq!(found.len(), 1, "one README recipe starting {header:?}");
    found.into_iter().next().unwrap()
}

#[test]
fn every_readme_recipe_is_a_known_one() {
    let blocks = readme_recipes();
    assert_eq!(blocks.len(), 3, "{blocks:#?}");
    for b in &blocks {
        assert!(
            [GITHUB_HEADER, GITLAB_HEADER, KUBERNETES_HEADER]
                .iter()
                .any(|h| b.starts_with(h)),
            "a README recipe that no test checks:\n{b}"
        );
    }
}

#[test]
fn the_readme_recipes_are_inits_files_byte_for_byte() {
    assert_eq!(
        readme_recipe(GITHUB_HEADER),
        scaffold_file(Ci::Github, GITHUB_WORKFLOW)
    );
    assert_eq!(
        readme_recipe(GITLAB_HEADER),
        scaffold_file(Ci::Gitlab, GITLAB_PIPELINE)
    );
}

#[test]
fn the_readme_recipes_export_exactly_the_secrets_and_their_commands_parse() {
    for (kind, header) in [
        (Kind::Github, GITHUB_HEADER),
        (Kind::Gitlab, GITLAB_HEADER),
        (Kind::Kubernetes, KUBERNETES_HEADER),
    ] {
        let problems = check(kind, &readme_recipe(header), REPOSITORY);
        assert!(problems.is_empty(), "{kind:?}: {problems:#?}");
    }
}

#[test]
fn inits_ci_files_export_exactly_the_secrets_of_inits_environments() {
    for (kind, ci, path) in [
        (Kind::Github, Ci::Github, GITHUB_WORKFLOW),
        (Kind::Gitlab, Ci::Gitlab, GITLAB_PIPELINE),
    ] {
        let problems = check(kind, scaffold_file(ci, path), SCAFFOLD);
        assert!(problems.is_empty(), "{kind:?}: {problems:#?}");
    }
}

/// Each recipe with one needed secret taken out, in the way that recipe names it.
fn without_ws_user(kind: Kind, text: &str) -> String {
    match kind {
        Kind::Github => text
            .split_inclusive('\n')
            .filter(|l| !l.contains("INTACCT_WS_USER: ${{"))
            .collect(),
        Kind::Gitlab => text.replace(r#" "${INTACCT_WS_USER:?}""#, ""),
        Kind::Kubernetes => text.replace(
            "            - name: INTACCT_WS_USER\n              valueFrom: { secretKeyRef: { name: intacct-sandbox, key: ws-user } }\n",
            "",
        ),
    }
}

#[test]
fn a_recipe_that_drops_a_needed_secret_fails_the_check() {
    for (kind, header) in [
        (Kind::Github, GITHUB_HEADER),
        (Kind::Gitlab, GITLAB_HEADER),
        (Kind::Kubernetes, KUBERNETES_HEADER),
    ] {
        let text = readme_recipe(header);
        let dropped = without_ws_user(kind, &text);
        assert_ne!(dropped, text, "{kind:?}: the secret was not taken out");
        let problems = check(kind, &dropped, REPOSITORY);
        assert_eq!(
            problems,
            [
                "INTACCT_WS_USER is needed by the environment (sandbox) but the recipe does not export it"
            ],
            "{kind:?}"
        );
    }
}

#[test]
fn a_recipe_that_exports_a_secret_nobody_needs_fails_the_check() {
    // The README's recipes once exported a refresh token that the sandbox never reads.
    let github = readme_recipe(GITHUB_HEADER).replace(
        "          INTACCT_WS_USER: ${{ secrets.INTACCT_WS_USER }}\n",
        "          INTACCT_WS_USER: ${{ secrets.INTACCT_WS_USER }}\n          INTACCT_REFRESH_TOKEN: ${{ secrets.INTACCT_REFRESH_TOKEN }}\n",
    );
    let problems = check(Kind::Github, &github, REPOSITORY);
    assert_eq!(
        problems,
        ["INTACCT_REFRESH_TOKEN is exported but no environment the recipe runs needs it"]
    );
    let gitlab = readme_recipe(GITLAB_HEADER).replace(
        r#""${INTACCT_WS_USER:?}""#,
        r#""${INTACCT_WS_USER:?}" "${INTACCT_REFRESH_TOKEN:?}""#,
    );
    let problems = check(Kind::Gitlab, &gitlab, REPOSITORY);
    assert_eq!(
        problems,
        ["INTACCT_REFRESH_TOKEN is exported but no environment the recipe runs needs it"]
    );
}

#[test]
fn a_courier_line_that_does_not_parse_or_shards_wrongly_fails_the_check() {
    let text = readme_recipe(GITLAB_HEADER);
    let misspelt = text.replace("--junit", "--junit-xml");
    let problems = check(Kind::Gitlab, &misspelt, REPOSITORY);
    assert!(
        problems.iter().any(|p| p.contains("does not parse")),
        "{problems:#?}"
    );
    let fixed_total = readme_recipe(KUBERNETES_HEADER).replace("))/4", "))/3");
    let problems = check(Kind::Kubernetes, &fixed_total, REPOSITORY);
    assert!(
        problems.iter().any(|p| p.contains("should run shard 1/4")),
        "{problems:#?}"
    );
    let unknown_variable = readme_recipe(GITHUB_HEADER)
        .replace("${{ strategy.job-total }}", "${{ strategy.job-count }}");
    let problems = check(Kind::Github, &unknown_variable, REPOSITORY);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("a variable this CI system does not set")),
        "{problems:#?}"
    );
    let elsewhere = readme_recipe(GITLAB_HEADER).replace("run collections", "run tests/api");
    let problems = check(Kind::Gitlab, &elsewhere, SCAFFOLD);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("runs tests/api, which is not there")),
        "{problems:#?}"
    );
    let unkept = readme_recipe(GITHUB_HEADER).replace("path: reports/", "path: out/");
    let problems = check(Kind::Github, &unkept, REPOSITORY);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("is not kept after the job")),
        "{problems:#?}"
    );
}

#[test]
fn the_env_example_lists_exactly_what_inits_environments_read() {
    let mut needed = BTreeSet::new();
    for name in ["local", "sandbox", "production"] {
        needed.extend(secrets_of(&scaffold_environment(name)));
    }
    let listed: BTreeSet<String> = scaffold_file(Ci::None, ".env.example")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once('=').map_or(l, |(k, _)| k).to_owned())
        .collect();
    assert_eq!(listed, needed);
    assert!(needed.contains("INTACCT_WS_USER"));
    assert!(needed.contains("INTACCT_PROD_REFRESH_TOKEN"));
}

#[test]
fn inits_local_environment_is_the_built_in_one() {
    let builtin = courier_core::load::BUILTINS
        .iter()
        .find(|(name, _)| *name == "local")
        .map(|(_, text)| *text);
    assert_eq!(
        Some(scaffold_file(Ci::None, "environments/local.yaml")),
        builtin
    );
}

#[test]
fn the_gitignore_keeps_credentials_pending_snapshots_and_reports_out() {
    let ignore = scaffold_file(Ci::None, ".gitignore");
    let patterns: Vec<&str> = ignore
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    for p in [".env", ".courier/", "*.snap.new", "reports/"] {
        assert!(patterns.contains(&p), "{p} in {patterns:?}");
    }
    // `.env.example` itself must stay committed: no pattern may match it.
    assert!(!patterns.iter().any(|p| glob_matches(p, ".env.example")));
}

#[test]
fn the_ci_flag_picks_one_workflow_or_none() {
    let paths = |ci| -> Vec<&str> { scaffold(ci).iter().map(|f| f.path).collect() };
    assert!(paths(Ci::Github).contains(&GITHUB_WORKFLOW));
    assert!(!paths(Ci::Github).contains(&GITLAB_PIPELINE));
    assert!(paths(Ci::Gitlab).contains(&GITLAB_PIPELINE));
    assert!(!paths(Ci::Gitlab).contains(&GITHUB_WORKFLOW));
    let none = paths(Ci::None);
    assert!(!none.contains(&GITHUB_WORKFLOW) && !none.contains(&GITLAB_PIPELINE));
    let unique: BTreeSet<&str> = paths(Ci::Github).into_iter().collect();
    assert_eq!(unique.len(), paths(Ci::Github).len());
}

#[test]
fn the_next_commands_cd_only_when_needed_and_quote_odd_folders() {
    let first = |dir: &str| super::next_commands(Path::new(dir))[0].0.clone();
    assert_eq!(first("."), "courier run --env local");
    assert_eq!(first("demo"), "cd demo && courier run --env local");
    assert_eq!(first("my api"), "cd 'my api' && courier run --env local");
    let parsed = Cli::try_parse_from(super::next_commands(Path::new("."))[2].0.split_whitespace());
    assert!(matches!(parsed.map(|c| c.command), Ok(Command::Run(_))));
}
