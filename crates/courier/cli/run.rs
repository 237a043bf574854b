//! `courier run`: plan (load, select, check variables, guard production, resolve secrets),
//! then execute with the reporters attached, and exit with the code of SPEC §8.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use courier_core::load;
use courier_core::plan::Shard;
use courier_core::secret::Secrets;
use courier_exec::context::parse_dotenv;
use courier_exec::events::{Event, Reporter};
use courier_exec::runner::{self, PlannedCollection, RunInput, RunOptions};
use courier_report::console::ConsoleReporter;
use courier_report::contract::Exit;

use super::common::{ColorChoice, paths_or_default, print_diagnostics};
use super::plan::{PlanOptions, plan_run};

/// Run collections against an environment and check every response.
///
/// Finds the collections under PATHS (`*.yaml`/`*.yml`, recursively), selects requests with
/// `-k` and `--tag`, and runs them against the environment given by `--env`: requests of one
/// collection in order, collections one after another or `--parallel N` at once. A collection
/// goes on after a failure; a request that needs a capture that was never made is skipped.
///
/// Nothing is sent when anything is wrong with the input: collections, environment, templates,
/// missing secrets, or a run that could write to a production environment.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  courier run collections --env local
  courier run collections/vendors.yaml --env sandbox -k 'read' --tag smoke
  courier run --env production --read-only --junit report.xml
  courier run --env sandbox --shard 2/4 --json -
  courier run --env local --html report.html

Exit codes: 0 everything passed (also an empty selection); 1 a check failed; 2 invalid input or
usage, nothing sent; 3 a request could not be checked (connection, TLS, timeout, no token).")]
pub(crate) struct RunArgs {
    /// Collection files or folders (default: `collections`).
    pub(crate) paths: Vec<PathBuf>,
    /// The environment: a name (`environments/NAME.yaml`, or the built-ins `local` and
    /// `local-production`) or a path to an environment file.
    #[arg(long, env = "COURIER_ENV", value_name = "NAME")]
    pub(crate) env: Option<String>,
    /// Define a variable (repeatable); wins over the environment and data rows.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = super::common::parse_var)]
    pub(crate) vars: Vec<(String, String)>,
    /// Run every selected collection once per row of this CSV (with a header row) or JSON
    /// (array of objects) file; overrides a collection's `data:`.
    #[arg(long, value_name = "FILE")]
    pub(crate) data: Option<PathBuf>,
    /// Only requests whose `collection / request` contains TEXT (case-insensitive; repeats OR).
    #[arg(short = 'k', long = "filter", value_name = "TEXT")]
    pub(crate) filters: Vec<String>,
    /// Only requests with this tag (theirs or their collection's); `!TAG` excludes. Positive
    /// tags are OR'd, exclusions AND'd.
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,
    /// Stop at the first failed or errored request; the rest count as skipped.
    #[arg(long)]
    pub(crate) bail: bool,
    /// Run up to N collections at once (requests of one collection stay in order).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) parallel: u16,
    /// Run shard K of N: collection files split by a hash of their path, for CI matrices.
    #[arg(long, value_name = "K/N")]
    pub(crate) shard: Option<Shard>,
    /// Snapshot mode: `auto` (check under CI, else write `.snap.new`), `check`, `update`.
    #[arg(long, value_name = "MODE", default_value = "auto", value_parser = ["auto", "check", "update"])]
    pub(crate) snapshots: String,
    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
    /// Write the JSON report to FILE (`-` for standard output; the console report then goes
    /// to standard error).
    #[arg(long, value_name = "FILE")]
    pub(crate) json: Option<PathBuf>,
    /// Write an HTML report to FILE: one self-contained page (no network) with the summary,
    /// the failures, a timeline per collection and filters by outcome and tag.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
    /// Which checks keep the response's value (`actual`) in the JSON and HTML reports:
    /// `failed` (the default: a passing run's reports hold no response data) or `all`.
    #[arg(long, value_name = "WHICH", default_value = "failed", value_parser = ["failed", "all"])]
    pub(crate) report_values: String,
    /// Skip every request that mutates (any method but GET, HEAD, OPTIONS, unless `mutates:`
    /// says otherwise); they count as skipped.
    #[arg(long)]
    pub(crate) read_only: bool,
    /// Allow a run against a production environment to send requests that mutate.
    #[arg(long)]
    pub(crate) allow_production_writes: bool,
    /// Colour: `auto` (a terminal, with NO_COLOR and CI unset), `always` or `never`.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub(crate) color: ColorChoice,
    /// Print each request and response (secrets redacted) on standard error.
    #[arg(short, long)]
    pub(crate) verbose: bool,
}

pub(crate) fn run(args: &RunArgs) -> Exit {
    if let Err(exit) = super::common::one_guard_flag(args.read_only, args.allow_production_writes) {
        return exit;
    }
    let paths = paths_or_default(&args.paths);
    let Some(env_name) = &args.env else {
        let first = paths.first().map(PathBuf::as_path);
        eprintln!(
            "error: no environment: give `--env NAME` (or set COURIER_ENV)\n  = help: the environments Courier can see: {}",
            load::visible_environments(first).join(", ")
        );
        return Exit::Invalid;
    };
    let dotenv = std::fs::read_to_string(".env")
        .map(|t| parse_dotenv(&t))
        .unwrap_or_default();
    let secrets = Secrets::new();
    let plan_options = PlanOptions {
        vars: &args.vars,
        data: args.data.as_deref(),
        filters: &args.filters,
        tags: &args.tags,
        shard: args.shard,
        read_only: args.read_only,
        allow_production_writes: args.allow_production_writes,
    };
    let planned = match plan_run(&plan_options, &paths, env_name, &dotenv) {
        Ok(p) => p,
        Err(diags) => {
            print_diagnostics(&diags);
            return Exit::Invalid;
        }
    };
    let total: usize = planned
        .collections
        .iter()
        .map(PlannedCollection::planned_count)
        .sum();
    if total == 0 {
        eprintln!("warning: no requests selected: nothing to run");
        // Under `--json -` standard output carries the report alone.
        if args.json.as_deref().is_some_and(|p| p.as_os_str() == "-") {
            eprintln!("0 passed, 0 failed, 0 skipped");
        } else {
            println!("0 passed, 0 failed, 0 skipped");
        }
        let environment = courier_exec::events::EnvInfo {
            name: planned.environment.identity.clone(),
            scope: planned.environment.scope,
        };
        let mut reports = file_reporters(args, &secrets);
        if let Err(e) = courier_report::record::finish_empty_run(&mut reports, environment) {
            eprintln!("error: cannot write a report: {e}");
            return Exit::Invalid;
        }
        return Exit::Success;
    }

    let color = args.color.enabled(std::io::stdout().is_terminal());
    let json_to_stdout = args.json.as_deref().is_some_and(|p| p.as_os_str() == "-");
    // Buffered: the console reporter flushes whenever it has caught up with the executor
    // (`Reporter::on_idle`), so output keeps pace with the run in a few writes (issue 9).
    let out: Box<dyn std::io::Write + Send> = if json_to_stdout {
        Box::new(std::io::BufWriter::new(std::io::stderr()))
    } else {
        Box::new(std::io::BufWriter::new(std::io::stdout()))
    };
    let show_progress = color && std::io::stderr().is_terminal();
    let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(ConsoleReporter::new(
        out,
        Box::new(std::io::stderr()),
        color,
        show_progress,
        Arc::clone(&secrets),
    ))];
    reporters.extend(file_reporters(args, &secrets));

    let input = RunInput {
        environment: planned.environment,
        collections: planned.collections,
        cli_vars: args.vars.clone(),
        dotenv,
        secrets: Arc::clone(&secrets),
        options: RunOptions {
            parallel: usize::from(args.parallel),
            bail: args.bail,
            read_only: args.read_only,
            verbose: args.verbose,
            ..RunOptions::default()
        },
        snapshots: Some(super::snapshots::run_hook(&args.snapshots)),
    };

    let (tx, rx) = mpsc::channel::<Event>();
    let reporter_thread = std::thread::spawn(move || {
        report_events(&rx, &mut reporters);
        let mut result = Ok(());
        for r in &mut reporters {
            if let Err(e) = r.finish() {
                result = Err(e);
            }
        }
        result
    });
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
    let outcome = runtime.block_on(runner::run(input, tx));
    // The run is over (its sender is gone): end the reporter's pause between batches now.
    reporter_thread.thread().unpark();
    let reported = reporter_thread.join();
    let totals = match outcome {
        Ok(t) => t,
        Err(courier_exec::context::SetupError::Invalid(m)) => {
            eprintln!("error: {}", secrets.redact(&m));
            return Exit::Invalid;
        }
        Err(courier_exec::context::SetupError::Unavailable(m)) => {
            eprintln!("error: {}", secrets.redact(&m));
            return Exit::Unchecked;
        }
    };
    match reported {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            eprintln!("error: cannot write a report: {e}");
            return Exit::Invalid;
        }
        Err(_) => {
            eprintln!("error: a reporter stopped unexpectedly");
            return Exit::Unchecked;
        }
    }
    if totals.unchecked {
        Exit::Unchecked
    } else if totals.failed {
        Exit::Failed
    } else {
        Exit::Success
    }
}

/// How long the reporter thread lets events pile up between batches.
const REPORT_BATCH: std::time::Duration = std::time::Duration::from_millis(10);

/// Hands every event to every reporter until the executor hangs up.
///
/// A thread blocked on the channel is woken by each event sent; at thousands of requests a
/// second those wake-ups cost about a third of the executor's CPU (issue 9). So after a
/// wake-up the thread works in batches: it takes all that has arrived, lets the reporters
/// flush, and pauses up to [`REPORT_BATCH`] (a pause that senders do not interrupt) before
/// looking again. Only when a pause brings nothing does it block on the channel again, so a
/// slow run still prints each line as it comes. The executor never waits for any of this.
fn report_events(rx: &mpsc::Receiver<Event>, reporters: &mut [Box<dyn Reporter>]) {
    let handle = |reporters: &mut [Box<dyn Reporter>], event: &Event| {
        for r in reporters {
            r.on_event(event);
        }
    };
    while let Ok(first) = rx.recv() {
        handle(reporters, &first);
        loop {
            let mut got = false;
            loop {
                match rx.try_recv() {
                    Ok(event) => {
                        handle(reporters, &event);
                        got = true;
                    }
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => {
                        idle(reporters);
                        return;
                    }
                }
            }
            idle(reporters);
            if !got {
                break;
            }
            std::thread::park_timeout(REPORT_BATCH);
        }
    }
}

fn idle(reporters: &mut [Box<dyn Reporter>]) {
    for r in reporters {
        r.on_idle();
    }
}

/// The `--junit`, `--json` and `--html` reporters (docs/reports-v2.md), peers of the console.
fn file_reporters(args: &RunArgs, secrets: &Arc<Secrets>) -> Vec<Box<dyn Reporter>> {
    let options = courier_report::json::ReportOptions {
        values: super::common::report_values(&args.report_values),
        shard: args.shard.map(|s| courier_report::contract::ReportShard {
            index: u32::try_from(s.index).unwrap_or(u32::MAX),
            total: u32::try_from(s.total).unwrap_or(u32::MAX),
        }),
    };
    let mut reporters: Vec<Box<dyn Reporter>> = Vec::new();
    if let Some(path) = &args.junit {
        reporters.push(Box::new(courier_report::junit::JunitReporter::new(
            path.clone(),
            Arc::clone(secrets),
        )));
    }
    if let Some(path) = &args.json {
        reporters.push(Box::new(
            courier_report::json::JsonReporter::new(
                courier_report::output::ReportTarget::from_arg(path),
                Arc::clone(secrets),
            )
            .with_options(options),
        ));
    }
    if let Some(path) = &args.html {
        reporters.push(Box::new(courier_report::html::HtmlReporter::new(
            path.clone(),
            Arc::clone(secrets),
            options,
        )));
    }
    reporters
}
