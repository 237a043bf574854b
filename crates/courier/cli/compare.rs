//! `courier compare`: the same collections against two environments, diffed (docs/cli.md#courier-compare).
//!
//! Each side is planned exactly as `courier run` plans (`courier_core::plan::Plan::build`), so both
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
use courier_core::plan::{Plan, PlanOptions, Purpose, read_dotenv};
use courier_core::secret::Secrets;
use courier_events::Event;
use courier_events::Exit;
use courier_exec::context::SetupError;
use courier_exec::runner::{RunInput, RunOptions, RunTotals};
use courier_report::output::ReportTarget;

use self::output::Redactor;
use self::pairs::SideResults;
use super::common::{GuardArgs, OutputArgs, SelectArgs, paths_or_default};
use super::error::{CliError, CliResult};

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
    #[command(flatten)]
    pub(crate) select: SelectArgs,
    #[command(flatten)]
    pub(crate) guard: GuardArgs,
    /// Run the left side twice and report the paths that differ between its own two runs as
    /// noise, leaving them out of the differences (timestamps, request ids).
    #[arg(long)]
    pub(crate) noise: bool,
    /// Print only the pairs that differ or could not be checked, and the summary line.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

pub(crate) fn run(args: &CompareArgs) -> CliResult {
    let paths = paths_or_default(&args.paths);
    let (Some(left_name), Some(right_name)) = (&args.left, &args.right) else {
        let missing = match (&args.left, &args.right) {
            (None, None) => "`--left ENV` and `--right ENV`",
            (None, Some(_)) => "`--left ENV`",
            _ => "`--right ENV`",
        };
        let first = paths.first().map(PathBuf::as_path);
        return Err(CliError::invalid(format!(
            "no environments to compare: give {missing}\n  = help: the environments Courier can see: {}",
            load::visible_environments(first).join(", ")
        )));
    };
    let ignore = compile_ignores(&args.ignore)?;
    let dotenv = read_dotenv(std::path::Path::new(".env")).map_err(|d| CliError::input(vec![d]))?;
    let side = |name| PlanOptions {
        vars: &args.select.vars,
        filters: &args.select.filters,
        tags: &args.select.tags,
        read_only: args.guard.read_only,
        allow_production_writes: args.guard.allow_production_writes,
        allow_empty: args.select.allow_empty,
        ..PlanOptions::new(Purpose::Run, &paths, Some(name), &dotenv)
    };
    // Both sides are planned before either runs: whatever is wrong with either, nothing is
    // sent to either side.
    let (left, right) = match (
        Plan::build(&side(left_name.as_str())),
        Plan::build(&side(right_name.as_str())),
    ) {
        (Ok(l), Ok(r)) => match (Planned::new(l), Planned::new(r)) {
            (Some(l), Some(r)) => (l, r),
            _ => return Err(CliError::invalid("no environment to compare")),
        },
        (l, r) => {
            let mut diags = l.err().unwrap_or_default();
            // The same collection error shows once, not once per side.
            for d in r.err().unwrap_or_default() {
                if !diags.iter().any(|seen| seen.render() == d.render()) {
                    diags.push(d);
                }
            }
            return Err(CliError::input(diags));
        }
    };

    args.output.check_paths(
        left.plan
            .collections
            .iter()
            .map(|pc| pc.collection.file.path()),
    )?;
    let report_to_stdout = args.output.report_to_stdout();
    let color = args.output.color.enabled(if report_to_stdout {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    });
    let total = left.plan.planned_count();
    if total == 0 {
        eprintln!("warning: no requests selected: nothing to compare");
        let redactor = Redactor(Vec::new());
        return finish(args, &left, &right, &[], &redactor, color, false);
    }

    let left_secrets = Secrets::new();
    let right_secrets = Secrets::new();
    let interrupt = Arc::new(courier_exec::interrupt::Interrupt::default());
    let options = RunOptions {
        interrupt: Arc::clone(&interrupt),
        parallel: usize::from(args.select.parallel),
        read_only: args.guard.read_only,
        keep_bodies: true,
        max_body: args.select.max_body,
        skip_expect: true,
        ..RunOptions::default()
    };
    let input = |planned: &Planned, secrets: &Arc<Secrets>| RunInput {
        environment: Arc::clone(&planned.environment),
        collections: planned.plan.collections.clone(),
        cli_vars: args.select.vars.clone(),
        dotenv: dotenv.clone(),
        secrets: Arc::clone(secrets),
        options: options.clone(),
        emulator_variables: None,
    };
    let left_run = Side::new("left", input(&left, &left_secrets));
    let right_run = Side::new("right", input(&right, &right_secrets));
    let again_run = args
        .noise
        .then(|| Side::new("left (second run)", input(&left, &left_secrets)));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::runtime(&e))?;
    // Both sides share one interrupt (docs/cli.md#interrupting-a-run).
    let watcher = runtime.spawn(super::signals::watch(Arc::clone(&interrupt)));
    let (left_done, right_done, again_done) = runtime.block_on(async {
        let again = async {
            match again_run {
                Some(side) => Some(side.run().await),
                None => None,
            }
        };
        tokio::join!(left_run.run(), right_run.run(), again)
    });
    watcher.abort();
    let redactor = Redactor(vec![Arc::clone(&left_secrets), Arc::clone(&right_secrets)]);

    let mut setup: Option<CliError> = None;
    for done in [Some(&left_done), Some(&right_done), again_done.as_ref()]
        .into_iter()
        .flatten()
    {
        if let Err(e) = &done.totals {
            let side = CliError::setup(e, |m| {
                format!("the {} side: {}", done.label, redactor.text(m))
            });
            setup = Some(match setup {
                Some(before) => before.and(side),
                None => side,
            });
        }
        for notice in &done.notices {
            eprintln!(
                "warning: the {} side: {}",
                done.label,
                redactor.text(notice)
            );
        }
    }
    if let Some(e) = setup {
        return Err(e);
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
    let exit = finish(args, &left, &right, &pairs, &redactor, color, true)?;
    Ok(match interrupt.code() {
        Some(code) => super::signals::exit_of(code),
        None => exit,
    })
}

/// Prints the console report, writes the report files and decides the exit code. `sent`:
/// whether requests were sent, which makes a report that cannot be written exit 3 (their
/// results are lost) rather than 2 (docs/cli.md#exit-codes).
fn finish(
    args: &CompareArgs,
    left: &Planned,
    right: &Planned,
    pairs: &[pairs::Pair],
    redactor: &Redactor,
    color: bool,
    sent: bool,
) -> CliResult {
    for pair in pairs {
        for w in &pair.warnings {
            eprintln!("warning: {}: {}", pair.title(), redactor.text(w));
        }
    }
    let counts = pairs::count(pairs);
    let console = output::console(pairs, counts, color, args.quiet, redactor);
    if args.output.report_to_stdout() {
        eprint!("{console}");
    } else {
        print!("{console}");
    }

    let unwritten = if sent { Exit::Unchecked } else { Exit::Invalid };
    let mut failed: Vec<String> = Vec::new();
    let exit = if counts.unchecked {
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
    if let Some(path) = &args.output.json {
        let written = serde_json::to_string_pretty(&report)
            .map_err(|e| e.to_string())
            .and_then(|mut text| {
                text.push('\n');
                ReportTarget::from_arg(path)
                    .write(text.as_bytes())
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = written {
            failed.push(format!("cannot write the JSON report: {e}"));
        }
    }
    if let Some(path) = &args.output.junit {
        // Redacted while it is built, with both sides' secrets.
        let doc = output::junit(&left.environment, &right.environment, pairs, redactor);
        let written = doc.to_xml().map_err(|e| e.to_string()).and_then(|xml| {
            ReportTarget::from_arg(path)
                .write(xml.as_bytes())
                .map_err(|e| e.to_string())
        });
        if let Err(e) = written {
            failed.push(format!("cannot write the JUnit report: {e}"));
        }
    }
    if let Some(path) = &args.output.html {
        let page = courier_report::html::render_compare(&report);
        if let Err(e) = courier_report::output::write_atomic(path, page.as_bytes()) {
            failed.push(format!("cannot write the HTML report: {e}"));
        }
    }
    let mut error: Option<CliError> = None;
    for message in failed {
        let e = CliError::new(exit.worst(unwritten), message);
        error = Some(match error {
            Some(before) => before.and(e),
            None => e,
        });
    }
    error.map_or(Ok(exit), Err)
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

/// One side, planned: its environment and what runs against it.
struct Planned {
    environment: Arc<courier_core::model::Environment>,
    plan: Plan,
}

impl Planned {
    /// `None` only if a run's plan came without its environment, which `Plan::build` rules out.
    fn new(plan: Plan) -> Option<Self> {
        Some(Self {
            environment: plan.environment.clone()?,
            plan,
        })
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
        let totals = super::embedded::run(self.input, tx).await;
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
