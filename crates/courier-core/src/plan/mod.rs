//! The plan: everything decided before anything is sent. [`Plan::build`] finds and loads the
//! collections, resolves the environment, selects requests ([`select`]), checks that every
//! variable has a source and that every secret is set ([`variables`]), and applies the
//! production guard ([`guard`]). `courier run`, `compare`, `validate` and `list` all plan
//! through it, so they refuse the same inputs in the same words; a plan that builds is what
//! the executor (courier-exec) runs, and an input that does not is exit 2 with nothing sent
//! (docs/cli.md#exit-codes).

pub mod dotenv;
pub mod guard;
pub mod select;
mod validate;
pub mod variables;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::data::{DataSet, read_data};
use crate::diag::{Diagnostic, Location};
use crate::load;
use crate::model::{CaptureSource, Collection, Environment};

pub use self::dotenv::{parse_dotenv, read_dotenv};
pub use self::select::{Selection, Shard, fnv1a64, shard_files};
pub use self::variables::{
    Need, OuterVars, VariableCheck, check_auth, check_collection, check_environment,
    check_variables, expect_templates, lookup_env, profile_templates, referenced_variables,
    send_templates,
};

/// The problems that stop a plan, each rendered on its own.
pub type Diagnostics = Vec<Diagnostic>;

/// What the plan is for: how far it goes and which problems stop it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `courier list`: find and load the collections.
    List,
    /// `courier validate`: load and check everything, report every problem; the environment
    /// is optional and every environment file `--env` would search is linted.
    Validate,
    /// `courier run` and each side of `courier compare`: an environment is required, and the
    /// first stage with a problem stops the plan.
    Run,
}

/// The flags that shape a plan, whichever command gave them.
#[derive(Debug, Clone, Copy)]
pub struct PlanOptions<'a> {
    pub purpose: Purpose,
    /// Collection files or folders.
    pub paths: &'a [PathBuf],
    /// `--env` (a name or a path).
    pub environment: Option<&'a str>,
    /// `--var k=v`, in order.
    pub vars: &'a [(String, String)],
    /// `--data FILE`.
    pub data: Option<&'a Path>,
    /// `-k TEXT`.
    pub filters: &'a [String],
    /// `--tag TAG`.
    pub tags: &'a [String],
    /// `--shard K/N`.
    pub shard: Option<Shard>,
    pub read_only: bool,
    pub allow_production_writes: bool,
    /// `--allow-empty`: a selection that matches nothing in any file is a pass, not exit 2.
    pub allow_empty: bool,
    /// The `.env` file's variables (secrets are looked up there after the process environment).
    pub dotenv: &'a HashMap<String, String>,
}

impl<'a> PlanOptions<'a> {
    /// Options that select everything, with no `--var`, data file, shard or guard flag.
    pub fn new(
        purpose: Purpose,
        paths: &'a [PathBuf],
        environment: Option<&'a str>,
        dotenv: &'a HashMap<String, String>,
    ) -> Self {
        Self {
            purpose,
            paths,
            environment,
            vars: &[],
            data: None,
            filters: &[],
            tags: &[],
            shard: None,
            read_only: false,
            allow_production_writes: false,
            allow_empty: false,
            dotenv,
        }
    }
}

/// A collection as planned: which of its requests are selected, what each needs, its rows.
#[derive(Debug, Clone)]
pub struct PlannedCollection {
    pub collection: Arc<Collection>,
    pub selected: Vec<bool>,
    /// Per request (by index): the captures it needs from earlier requests.
    pub needs: Vec<Vec<Need>>,
    pub data: Option<DataSet>,
    /// Per request (by index): `Some(rows)` when `-k` picked only some data rows by their
    /// `[row N]` suffix (row N is element N-1); `None` for every row.
    pub rows: Vec<Option<Vec<bool>>>,
    /// Per request (by index): `-k` reaches it only through `[page N]`, so its pages are
    /// reported only where [`Self::filters`] match their names.
    pub by_page_only: Vec<bool>,
    /// `-k`, in lower case.
    pub filters: Vec<String>,
}

impl PlannedCollection {
    /// Requests that will be reported: selected requests × rows.
    pub fn planned_count(&self) -> usize {
        let all_rows = self.data.as_ref().map_or(1, |d| d.rows.len());
        (0..self.selected.len())
            .filter(|i| self.is_selected(*i))
            .map(|i| match self.rows.get(i) {
                Some(Some(rows)) => rows.iter().filter(|r| **r).count(),
                _ => all_rows,
            })
            .sum()
    }

    pub fn is_selected(&self, index: usize) -> bool {
        self.selected.get(index).copied().unwrap_or(false)
    }

    /// Whether a page's result (named `collection / display name`) is reported.
    pub fn reports_page(&self, index: usize, full_name: &str) -> bool {
        if !self.by_page_only.get(index).copied().unwrap_or(false) {
            return true;
        }
        let full = full_name.to_lowercase();
        self.filters.iter().any(|f| full.contains(f.as_str()))
    }

    /// Whether a selected request runs for data row `row` (counted from 1).
    pub fn is_row_selected(&self, index: usize, row: usize) -> bool {
        match self.rows.get(index) {
            Some(Some(rows)) => rows.get(row.wrapping_sub(1)).copied().unwrap_or(false),
            _ => true,
        }
    }
}

/// A plan: everything checked, nothing sent yet.
#[derive(Debug, Default)]
pub struct Plan {
    /// The collection files found (after `--shard`); empty when none were.
    pub files: Vec<PathBuf>,
    /// The environment; always there for [`Purpose::Run`], and for `validate --env`.
    pub environment: Option<Arc<Environment>>,
    /// Empty for `validate` (see [`Plan::checked_collections`]).
    pub collections: Vec<PlannedCollection>,
    /// Without an environment (`validate`): variables taken to come from one, with their
    /// first use.
    pub expected_from_env: Vec<(String, Location)>,
    /// Environment files linted (`validate`).
    pub environment_files: usize,
    /// The collections and requests `validate` checked. It checks each file and drops it
    /// rather than keeping every file's model, so its plan's `collections` stays empty.
    pub checked_collections: usize,
    pub checked_requests: usize,
    /// Requests the selection takes over every file, before `--shard` (and before data rows):
    /// a shard with none of them still ran a non-empty selection (docs/cli.md#sharding).
    pub selected_overall: usize,
}

impl Plan {
    /// Plans, and refuses on the first stage with a problem (all of that stage's problems).
    pub fn build(opts: &PlanOptions<'_>) -> Result<Self, Diagnostics> {
        let (plan, diags) = Self::check(opts);
        if diags.is_empty() {
            Ok(plan)
        } else {
            Err(diags)
        }
    }

    /// Plans as far as the purpose goes and returns what it planned with every problem found
    /// (`validate` shows both).
    pub fn check(opts: &PlanOptions<'_>) -> (Self, Diagnostics) {
        match opts.purpose {
            Purpose::List => match discover(opts.paths) {
                Ok(files) => {
                    let (collections, diags) = load::load_all(&files);
                    let plan = Self {
                        collections: collections.iter().map(everything).collect(),
                        files,
                        ..Self::default()
                    };
                    (plan, diags)
                }
                Err(d) => (Self::default(), d),
            },
            Purpose::Validate => validate::validate(opts),
            Purpose::Run => {
                let mut diags = Vec::new();
                let plan = run(opts, &mut diags).unwrap_or_default();
                (plan, diags)
            }
        }
    }

    /// Requests that will be reported: selected requests × rows, over every collection.
    pub fn planned_count(&self) -> usize {
        self.collections
            .iter()
            .map(PlannedCollection::planned_count)
            .sum()
    }
}

/// Every request of a collection selected, as `list` and `validate` take them.
fn everything(c: &Arc<Collection>) -> PlannedCollection {
    PlannedCollection {
        collection: Arc::clone(c),
        selected: vec![true; c.requests.len()],
        needs: Vec::new(),
        data: None,
        rows: Vec::new(),
        by_page_only: Vec::new(),
        filters: Vec::new(),
    }
}

/// Finds the collection files under `paths`; no files at all is an error (exit 2).
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Diagnostics> {
    let files = load::discover(paths)?;
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(vec![Diagnostic::new(format!("no collection files found under {}", shown.join(", ")))
            .with_help("collections are `*.yaml` or `*.yml` files; name a file or a folder that holds some")]);
    }
    Ok(files)
}

/// The plan of a run; `None` (with `diags` filled) at the first stage with a problem.
fn run(opts: &PlanOptions<'_>, diags: &mut Diagnostics) -> Option<Plan> {
    let mut files = match discover(opts.paths) {
        Ok(f) => f,
        Err(d) => {
            *diags = d;
            return None;
        }
    };
    // The selection is resolved over every file before sharding, so a selection that
    // matches nothing fails every shard of a CI matrix alike (docs/cli.md#selecting-requests).
    let (all_collections, load_diags) = load::load_all(&files);
    *diags = load_diags;
    let selection = Selection::new(opts.filters, opts.tags);
    let selected_overall = all_collections
        .iter()
        .map(|c| {
            c.requests
                .iter()
                .filter(|r| selection.may_select(c, r))
                .count()
        })
        .sum::<usize>();
    if diags.is_empty() && selected_overall == 0 && !opts.allow_empty {
        diags.push(select::empty_selection(&all_collections, &selection));
        return None;
    }
    if let Some(shard) = opts.shard {
        files = shard_files(&files, shard);
    }
    let in_shard: BTreeSet<String> = files.iter().map(|f| crate::diag::display_path(f)).collect();
    let collections: Vec<Arc<Collection>> = all_collections
        .into_iter()
        .filter(|c| in_shard.contains(c.file.display()))
        .collect();
    let first = opts.paths.first().map(PathBuf::as_path);
    let environment = match opts.environment.map(|name| {
        load::resolve_environment(name, first)
            .map_err(|d| vec![d])
            .and_then(|s| load::load_environment(&s))
    }) {
        Some(Ok(e)) => e,
        Some(Err(mut d)) => {
            diags.append(&mut d);
            return None;
        }
        None => {
            diags.push(Diagnostic::new("no environment to run against"));
            return None;
        }
    };
    if !diags.is_empty() {
        return None;
    }
    let cli_names: BTreeSet<String> = opts.vars.iter().map(|(k, _)| k.clone()).collect();
    diags.extend(check_environment(&environment, &cli_names));

    let data_override: Option<DataSet> = match opts.data {
        Some(p) => match read_data(p) {
            Ok(d) => Some(d),
            Err(e) => {
                *diags = vec![Diagnostic::new(e.to_string())];
                return None;
            }
        },
        None => None,
    };
    let names: Vec<String> = cli_names.iter().cloned().collect();
    let mut planned = Vec::new();
    for c in &collections {
        let (check, data) = check_collection(c, Some(&environment), &names, data_override.as_ref());
        diags.extend(check.errors);
        let row_count = data.as_ref().map_or(0, |d: &DataSet| d.rows.len());
        let rows: Vec<Option<Vec<bool>>> = c
            .requests
            .iter()
            .map(|r| selection.rows(c, r, row_count))
            .collect();
        let by_page_only: Vec<bool> = c
            .requests
            .iter()
            .map(|r| selection.by_page_only(c, r, row_count))
            .collect();
        // Without a data file, a request reached through `[page N]` runs once.
        let rows: Vec<Option<Vec<bool>>> = rows
            .into_iter()
            .zip(&by_page_only)
            .map(|(rows, pages)| if row_count == 0 && *pages { None } else { rows })
            .collect();
        let selected: Vec<bool> = c
            .requests
            .iter()
            .zip(&rows)
            .map(|(r, rows)| {
                selection.tags_match(c, r) && rows.as_ref().is_none_or(|v| v.contains(&true))
            })
            .collect();
        planned.push(PlannedCollection {
            collection: Arc::clone(c),
            selected,
            needs: check.needs,
            data,
            rows,
            by_page_only,
            filters: selection.filters.clone(),
        });
    }
    if !diags.is_empty() {
        return None;
    }
    if let Some(refusal) = guard::check(
        &environment,
        &planned,
        opts.read_only,
        opts.allow_production_writes,
    ) {
        diags.push(refusal);
        return None;
    }
    diags.extend(variables::missing_secrets(
        &environment,
        &planned,
        opts.dotenv,
    ));
    if !diags.is_empty() {
        return None;
    }
    Some(Plan {
        files,
        environment: Some(Arc::new(environment)),
        collections: planned,
        selected_overall,
        ..Plan::default()
    })
}

/// Where a capture is read from, for reports.
pub fn capture_source_text(source: &CaptureSource) -> String {
    match source {
        CaptureSource::JsonPath(p) => p.value.as_str().to_owned(),
        CaptureSource::Header(h) => format!("header {}", h.value),
    }
}
