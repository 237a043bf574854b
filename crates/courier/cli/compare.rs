//! `courier compare`: the same collections against two environments, diffed (SPEC §7).
//!
//! Each side is planned exactly as `courier run` plans (the shared [`super::plan`]), so both
//! are checked — variables, secrets, the production guard of §6 — before anything is sent to
//! either. Then both sides run at once in one async runtime, each with its own variables,
//! captures, OAuth sessions and (for `emulator:` environments) emulator; with `--noise` the
//! left side runs a second time alongside. `expect` blocks are not evaluated. The executor
//! keeps every response body; [`pairs`] pairs and diffs them, [`output`] writes the console
//! report, the JSON report and the JUnit file.

mod output;
mod pairs;

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use courier_core::diag::Diagnostic;
use courier_core::jsonpath::JsonPath;
use courier_core::load;
use courier_core::secret::Secrets;
use courier_exec::context::{SetupError, parse_dotenv};
use courier_exec::events::Event;
use courier_exec::runner::{self, PlannedCollection, RunInput, RunOptions, RunTotals};
use courier_report::contract::Exit;
use courier_report::output::ReportTarget;

use self::output::Redactor;
use self::pairs::SideResults;
use super::common::{ColorChoice, paths_or_default, print_diagnostics};
use super::plan::{PlanOptions, Planned, plan_run};

/// Run the same collections against two environments and diff the responses.
///
/// Runs the collections under PATHS (default `collections`) in the `--left` and `--right`
/// environments at once, each side with its own variables, captures and OAuth session, pairs
/// the responses by collection and request (and data row), and diffs their status codes and
/// JSON bodies structurally. `expect` blocks are not evaluated. Arrays are paired by index, or
/// by the key a collection's `compare.match_by` names; then `compare.ignore`, `--ignore` and the
/// collection's snapshot redactions are left out. Bodies that are not JSON compare as text.
///
/// A pair is skipped when its request was skipped on either side. Production safety applies to
/// both sides: a production side with a request that could write refuses to start, and nothing
/// is sent to either side.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  courier compare collections --left local --right local-production --read-only
  courier compare --left sandbox --right production --read-only --ignore \"$..supportId\"
  courier compare --left sandbox --right production --read-only --noise --json compare.json
  courier compare --left local --right local-production --read-only --html compare.html

Exit codes: 0 every pair identical (or skipped); 1 something differs; 2 invalid input or usage,
nothing sent; 3 a side could not be checked (connection, TLS, timeout, no token).")]
pub(crate) struct CompareArgs {
    /// Collection files or folders (default: `collections`).
    pub(crate) paths: Vec<PathBuf>,
    /// The left environment (the reference): a name or a path, as `run --env` takes.
    #[arg(long, value_name = "ENV")]
    pub(crate) left: Option<String>,
    /// The right environment (the one compared with the left).
    #[arg(long, value_name = "ENV")]
    pub(crate) right: Option<String>,
    /// Leave out differences at or under the nodes this JSONPath selects, in either response
    /// (repeatable); e.g. `--ignore "$..supportId"`.
    #[arg(long = "ignore", value_name = "JSONPATH")]
    pub(crate) ignore: Vec<String>,
    /// Define a variable on both sides (repeatable); wins over the environments.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = super::common::parse_var)]
    pub(crate) vars: Vec<(String, String)>,
    /// Only requests whose `collection / request` contains TEXT (case-insensitive; repeats OR).
    #[arg(short = 'k', long = "filter", value_name = "TEXT")]
    pub(crate) filters: Vec<String>,
    /// Only requests with this tag (theirs or their collection's); `!TAG` excludes.
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,
    /// Run up to N collections at once on each side (requests of one collection stay in order).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) parallel: u16,
    /// Skip every request that mutates, on both sides; those pairs count as skipped.
    #[arg(long)]
    pub(crate) read_only: bool,
    /// Allow a production side to send requests that mutate.
    #[arg(long)]
    pub(crate) allow_production_writes: bool,
    /// Run the left side twice and report the paths that differ between its own two runs as
    /// noise, leaving them out of the differences (timestamps, request ids).
    #[arg(long)]
    pub(crate) noise: bool,
    /// Write the JSON report to FILE (`-` for standard output; the console report then goes
    /// to standard error).
    #[arg(long, value_name = "FILE")]
    pub(crate) json: Option<PathBuf>,
    /// Write a JUnit XML report to FILE: a test case per pair.
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
    /// Write an HTML report to FILE: one self-contained page (no network) with the counts,
    /// the differences of every pair that differs, and filters by outcome.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
    /// Accepted for the same CI flags as `run`: a compare report holds only the values that
    /// differ, each cut to 4096 bytes, whichever is given.
    #[arg(long, value_name = "WHICH", default_value = "failed", value_parser = ["failed", "all"])]
    pub(crate) report_values: String,
    /// Colour: `auto` (a terminal, with NO_COLOR and CI unset), `always` or `never`.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub(crate) color: ColorChoice,
}

pub(crate) fn run(args: &CompareArgs) -> Exit {
    if let Err(exit) = super::common::one_guard_flag(args.read_only, args.allow_production_writes) {
        return exit;
    }
    let paths = paths_or_default(&args.paths);
    let (Some(left_name), Some(right_name)) = (&args.left, &args.right) else {
        let missing = match (&args.left, &args.right) {
            (None, None) => "`--left ENV` and `--right ENV`",
            (None, Some(_)) => "`--left ENV`",
            _ => "`--right ENV`",
        };
        let first = paths.first().map(PathBuf::as_path);
        eprintln!(
            "error: no environments to compare: give {missing}\n  = help: the environments Courier can see: {}",
            load::visible_environments(first).join(", ")
        );
        return Exit::Invalid;
    };
    let ignore = match compile_ignores(&args.ignore) {
        Ok(i) => i,
        Err(diags) => {
            print_diagnostics(&diags);
            return Exit::Invalid;
        }
    };
    let dotenv = std::fs::read_to_string(".env")
        .map(|t| parse_dotenv(&t))
        .unwrap_or_default();
    let plan_options = PlanOptions {
        vars: &args.vars,
        data: None,
        filters: &args.filters,
        tags: &args.tags,
        shard: None,
        read_only: args.read_only,
        allow_production_writes: args.allow_production_writes,
    };
    // Both sides are planned before either runs: whatever is wrong with either, nothing is
    // sent to either side.
    let (left, right) = match (
        plan_run(&plan_options, &paths, left_name, &dotenv),
        plan_run(&plan_options, &paths, right_name, &dotenv),
    ) {
        (Ok(l), Ok(r)) => (l, r),
        (l, r) => {
            let mut diags = l.err().unwrap_or_default();
            // The same collection error shows once, not once per side.
            for d in r.err().unwrap_or_default() {
                if !diags.iter().any(|seen| seen.render() == d.render()) {
                    diags.push(d);
                }
            }
            print_diagnostics(&diags);
            return Exit::Invalid;
        }
    };

    let json_to_stdout = args.json.as_deref().is_some_and(|p| p.as_os_str() == "-");
    let color = args.color.enabled(if json_to_stdout {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    });
    let total: usize = left
        .collections
        .iter()
        .map(PlannedCollection::planned_count)
        .sum();
    if total == 0 {
        eprintln!("warning: no requests selected: nothing to compare");
        let redactor = Redactor(Vec::new());
        return finish(args, &left, &right, &[], &redactor, color);
    }

    let left_secrets = Secrets::new();
    let right_secrets = Secrets::new();
    let options = RunOptions {
        parallel: usize::from(args.parallel),
        read_only: args.read_only,
        keep_bodies: true,
        skip_expect: true,
        ..RunOptions::default()
    };
    let input = |planned: &Planned, secrets: &Arc<Secrets>| RunInput {
        environment: Arc::clone(&planned.environment),
        collections: planned.collections.clone(),
        cli_vars: args.vars.clone(),
        dotenv: dotenv.clone(),
        secrets: Arc::clone(secrets),
        options: options.clone(),
        snapshots: None,
    };
    let left_run = Side::new("left", input(&left, &left_secrets));
    let right_run = Side::new("right", input(&right, &right_secrets));
    let again_run = args
        .noise
        .then(|| Side::new("left (second run)", input(&left, &left_secrets)));

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Unchecked;
        }
    };
    let (left_done, right_done, again_done) = runtime.block_on(async {
        let again = async {
            match again_run {
                Some(side) => Some(side.run().await),
                None => None,
            }
        };
        tokio::join!(left_run.run(), right_run.run(), again)
    });
    let redactor = Redactor(vec![Arc::clone(&left_secrets), Arc::clone(&right_secrets)]);

    let mut setup = Exit::Success;
    for done in [Some(&left_done), Some(&right_done), again_done.as_ref()]
        .into_iter()
        .flatten()
    {
        if let Err(e) = &done.totals {
            let (message, exit) = match e {
                SetupError::Invalid(m) => (m, Exit::Invalid),
                SetupError::Unavailable(m) => (m, Exit::Unchecked),
            };
            eprintln!("error: the {} side: {}", done.label, redactor.text(message));
            setup = setup.worst(exit);
        }
        for notice in &done.notices {
            eprintln!(
                "warning: the {} side: {}",
                done.label,
                redactor.text(notice)
            );
        }
    }
    if setup != Exit::Success {
        return setup;
    }
    if let Some(again) = &again_done
        && again.totals.as_ref().is_ok_and(|t| t.unchecked)
    {
        eprintln!(
            "warning: the left side's second run could not check every request: no noise is known for those"
        );
    }

    let pairs = pairs::build(
        &left_done.results,
        &right_done.results,
        again_done.as_ref().map(|a| &a.results),
        &ignore,
    );
    finish(args, &left, &right, &pairs, &redactor, color)
}

/// Prints the console report, writes the report files and decides the exit code.
fn finish(
    args: &CompareArgs,
    left: &Planned,
    right: &Planned,
    pairs: &[pairs::Pair],
    redactor: &Redactor,
    color: bool,
) -> Exit {
    for pair in pairs {
        for w in &pair.warnings {
            eprintln!("warning: {}: {}", pair.title(), redactor.text(w));
        }
    }
    let counts = pairs::count(pairs);
    let console = redactor.text(&output::console(pairs, counts, color));
    if args.json.as_deref().is_some_and(|p| p.as_os_str() == "-") {
        eprint!("{console}");
    } else {
        print!("{console}");
    }

    let mut exit = if counts.unchecked {
        Exit::Unchecked
    } else if counts.different > 0 {
        Exit::Failed
    } else {
        Exit::Success
    };
    let report = output::report(
        &left.environment,
        &right.environment,
        pairs,
        counts,
        redactor,
    );
    if let Some(path) = &args.json {
        let written = serde_json::to_string_pretty(&report)
            .map_err(|e| e.to_string())
            .and_then(|mut text| {
                text.push('\n');
                ReportTarget::from_arg(path)
                    .write(text.as_bytes())
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = written {
            eprintln!("error: cannot write the JSON report: {e}");
            exit = exit.worst(Exit::Invalid);
        }
    }
    if let Some(path) = &args.junit {
        // Redacted while it is built, with both sides' secrets (the builder takes one set).
        let doc = output::junit(&left.environment, &right.environment, pairs, redactor);
        let written = doc
            .to_xml(&Secrets::default())
            .map_err(|e| e.to_string())
            .and_then(|xml| {
                ReportTarget::from_arg(path)
                    .write(xml.as_bytes())
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = written {
            eprintln!("error: cannot write the JUnit report: {e}");
            exit = exit.worst(Exit::Invalid);
        }
    }
    if let Some(path) = &args.html {
        let page = courier_report::html::render_compare(&report);
        if let Err(e) = courier_report::output::write_atomic(path, page.as_bytes()) {
            eprintln!("error: cannot write the HTML report: {e}");
            exit = exit.worst(Exit::Invalid);
        }
    }
    exit
}

/// `--ignore` queries, compiled before anything runs; every bad one is reported.
fn compile_ignores(texts: &[String]) -> Result<Vec<JsonPath>, Vec<Diagnostic>> {
    let mut compiled = Vec::new();
    let mut diags = Vec::new();
    for text in texts {
        match JsonPath::compile(text) {
            Ok(p) => compiled.push(p),
            Err(e) => diags.push(
                Diagnostic::new(format!("--ignore `{text}`: {e}"))
                    .with_help("give an RFC 9535 JSONPath, e.g. `$..supportId` or `$['ia::meta']`"),
            ),
        }
    }
    if diags.is_empty() {
        Ok(compiled)
    } else {
        Err(diags)
    }
}

/// One run of one side, about to start.
struct Side {
    label: &'static str,
    input: RunInput,
}

/// One run of one side, over.
struct Done {
    label: &'static str,
    totals: Result<RunTotals, SetupError>,
    results: SideResults,
    notices: Vec<String>,
}

impl Side {
    fn new(label: &'static str, input: RunInput) -> Self {
        Self { label, input }
    }

    async fn run(self) -> Done {
        let (tx, rx) = mpsc::channel::<Event>();
        let totals = runner::run(self.input, tx).await;
        // The executor has dropped its sender: every event is in the channel.
        let mut results = SideResults::new();
        let mut notices = Vec::new();
        for event in rx.try_iter() {
            match event {
                Event::RequestFinished(r) => pairs::record(&mut results, r),
                Event::Notice(text) => notices.push(text),
                _ => {}
            }
        }
        Done {
            label: self.label,
            totals,
            results,
            notices,
        }
    }
}
