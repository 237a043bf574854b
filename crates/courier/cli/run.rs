//! `courier run`: plan (load, select, check variables, guard production, resolve secrets),
//! then execute with the reporters attached, and exit with the code of docs/cli.md#exit-codes.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use courier_check::snapshot::SnapshotMode;
use courier_core::load;
use courier_core::plan::{Plan, PlanOptions, Purpose, Shard, read_dotenv};
use courier_core::secret::Secrets;
use courier_events::{Event, Exit, Reporter};
use courier_exec::interrupt::Interrupt;
use courier_exec::runner::{RunInput, RunOptions};
use courier_report::console::ConsoleReporter;

use super::common::{GuardArgs, OutputArgs, SelectArgs, paths_or_default};
use super::error::{CliError, CliResult};

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
  courier run collections/vendors-crud.yaml --env sandbox -k 'read' --tag vendors
  courier run --env local-production --read-only --junit report.xml
  courier run --env local --shard 2/4 --json -
  courier run --env local --html report.html

Exit codes: 0 everything passed (also a shard left empty, or an empty selection under
--allow-empty); 1 a check failed; 2 invalid input or usage, nothing sent (also a selection that
matches nothing); 3 a request could not be checked (connection, TLS, timeout, no token).")]
pub(crate) struct RunArgs {
    /// Collection files or folders (default: `collections`).
    pub(crate) paths: Vec<PathBuf>,
    /// The environment: a name (`environments/NAME.yaml`, or the built-ins `local` and
    /// `local-production`) or a path to an environment file.
    #[arg(long, env = "COURIER_ENV", value_name = "NAME")]
    pub(crate) env: Option<String>,
    #[command(flatten)]
    pub(crate) select: SelectArgs,
    /// Run every selected collection once per row of this CSV (with a header row) or JSON
    /// (array of objects) file; overrides a collection's `data:`.
    #[arg(long, value_name = "FILE")]
    pub(crate) data: Option<PathBuf>,
    /// Stop at the first failed or errored request; the rest count as skipped.
    #[arg(long)]
    pub(crate) bail: bool,
    /// Run shard K of N: collection files split by a hash of their path, for CI matrices.
    #[arg(long, value_name = "K/N")]
    pub(crate) shard: Option<Shard>,
    /// Snapshot mode: `auto` (check under CI, else write `.snap.new`), `check`, `update`.
    #[arg(long, value_name = "MODE", value_enum, default_value_t = SnapshotsFlag::Auto)]
    pub(crate) snapshots: SnapshotsFlag,
    #[command(flatten)]
    pub(crate) guard: GuardArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    /// Print each request and response (secrets redacted) on standard error.
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// Print only the failed requests (with their details) and the summary line.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

/// `--snapshots MODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SnapshotsFlag {
    Auto,
    Check,
    Update,
}

impl From<SnapshotsFlag> for SnapshotMode {
    fn from(flag: SnapshotsFlag) -> Self {
        match flag {
            SnapshotsFlag::Auto => SnapshotMode::Auto,
            SnapshotsFlag::Check => SnapshotMode::Check,
            SnapshotsFlag::Update => SnapshotMode::Update,
        }
    }
}

pub(crate) fn run(args: &RunArgs) -> CliResult {
    let paths = paths_or_default(&args.paths);
    let Some(env_name) = &args.env else {
        let first = paths.first().map(PathBuf::as_path);
        return Err(CliError::invalid(format!(
            "no environment: give `--env NAME` (or set COURIER_ENV)\n  = help: the environments Courier can see: {}",
            load::visible_environments(first).join(", ")
        )));
    };
    let dotenv = read_dotenv(std::path::Path::new(".env")).map_err(|d| CliError::input(vec![d]))?;
    let secrets = Secrets::new();
    let plan_options = PlanOptions {
        vars: &args.select.vars,
        data: args.data.as_deref(),
        filters: &args.select.filters,
        tags: &args.select.tags,
        shard: args.shard,
        read_only: args.guard.read_only,
        allow_production_writes: args.guard.allow_production_writes,
        allow_empty: args.select.allow_empty,
        ..PlanOptions::new(Purpose::Run, &paths, Some(env_name), &dotenv)
    };
    let planned = Plan::build(&plan_options)?;
    args.output.check_paths(
        planned
            .collections
            .iter()
            .map(|pc| pc.collection.file.path()),
    )?;
    let environment = planned
        .environment
        .clone()
        .ok_or_else(|| CliError::invalid("no environment to run against"))?;
    let total = planned.planned_count();
    if total == 0 {
        // An empty selection is refused by the plan unless `--allow-empty`; what is left is
        // a shard without any of the selected requests (docs/cli.md#sharding).
        match args.shard {
            Some(shard) if planned.selected_overall > 0 => eprintln!(
                "warning: shard {}/{} has none of the {} selected requests: nothing to run",
                shard.index, shard.total, planned.selected_overall
            ),
            _ if planned.selected_overall > 0 => {
                eprintln!("warning: the data file has no rows: nothing to run");
            }
            _ => eprintln!("warning: no requests selected (--allow-empty): nothing to run"),
        }
        // Under `--json -` or `--junit -` standard output carries the report alone.
        if args.output.report_to_stdout() {
            eprintln!("0 passed, 0 failed, 0 skipped");
        } else {
            println!("0 passed, 0 failed, 0 skipped");
        }
        let environment = courier_events::EnvInfo {
            name: environment.identity.clone(),
            scope: environment.scope,
        };
        let mut reports = file_reporters(args, &secrets);
        // Nothing was sent: a report that cannot be written is an invalid path (exit 2).
        courier_report::record::finish_empty_run(&mut reports, environment)
            .map_err(|e| CliError::invalid(format!("cannot write a report: {e}")))?;
        return Ok(Exit::Success);
    }

    let color = args
        .output
        .color
        .enabled(if args.output.report_to_stdout() {
            std::io::stderr().is_terminal()
        } else {
            std::io::stdout().is_terminal()
        });
    // Buffered: the console reporter flushes whenever it has caught up with the executor
    // (`Reporter::on_idle`), so output keeps pace with the run in a few writes rather than
    // one per request.
    let out: Box<dyn std::io::Write + Send> = if args.output.report_to_stdout() {
        Box::new(std::io::BufWriter::new(std::io::stderr()))
    } else {
        Box::new(std::io::BufWriter::new(std::io::stdout()))
    };
    let show_progress = color && std::io::stderr().is_terminal();
    let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(
        ConsoleReporter::new(
            out,
            Box::new(std::io::stderr()),
            color,
            show_progress,
            Arc::clone(&secrets),
        )
        .quiet(args.quiet),
    )];
    reporters.extend(file_reporters(args, &secrets));

    let interrupt = Arc::new(Interrupt::default());
    let input = RunInput {
        environment,
        collections: planned.collections,
        cli_vars: args.select.vars.clone(),
        dotenv,
        secrets: Arc::clone(&secrets),
        options: RunOptions {
            parallel: usize::from(args.select.parallel),
            bail: args.bail,
            read_only: args.guard.read_only,
            verbose: args.verbose,
            max_body: args.select.max_body,
            // Made effective once, from this process's `CI` (docs/cli.md#snapshots).
            snapshots: Some(SnapshotMode::from(args.snapshots).effective_from_env()),
            interrupt: Arc::clone(&interrupt),
            ..RunOptions::default()
        },
        emulator_variables: None,
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::runtime(&e))?;
    let watcher = runtime.spawn(super::signals::watch(Arc::clone(&interrupt)));
    let outcome = runtime.block_on(super::embedded::run(input, tx));
    watcher.abort();
    // The run is over (its sender is gone): end the reporter's pause between batches now.
    reporter_thread.thread().unpark();
    let reported = reporter_thread.join();
    let totals = outcome.map_err(|e| CliError::setup(&e, |m| secrets.redact(m).into_owned()))?;
    match reported {
        Ok(Ok(())) => {}
        // Requests were sent: their results could not be recorded, so they count as not
        // checked (exit 3), never as "nothing was sent" (docs/cli.md#exit-codes).
        Ok(Err(e)) => {
            return Err(CliError::new(
                Exit::Unchecked,
                format!("cannot write a report: {e}"),
            ));
        }
        Err(_) => {
            return Err(CliError::new(
                Exit::Unchecked,
                "a reporter stopped unexpectedly",
            ));
        }
    }
    Ok(if let Some(code) = interrupt.code() {
        super::signals::exit_of(code)
    } else if totals.unchecked {
        Exit::Unchecked
    } else if totals.failed {
        Exit::Failed
    } else {
        Exit::Success
    })
}

/// How long the reporter thread lets events pile up between batches.
const REPORT_BATCH: std::time::Duration = std::time::Duration::from_millis(10);

/// Hands every event to every reporter until the executor hangs up.
///
/// A thread blocked on the channel is woken by each event sent; at thousands of requests a
/// second those wake-ups cost about a third of the executor's CPU (measured). So after a
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
        values: args.output.report_values.into(),
        shard: args.shard.map(|s| courier_report::contract::ReportShard {
            index: u32::try_from(s.index).unwrap_or(u32::MAX),
            total: u32::try_from(s.total).unwrap_or(u32::MAX),
        }),
    };
    let mut reporters: Vec<Box<dyn Reporter>> = Vec::new();
    if let Some(path) = &args.output.junit {
        reporters.push(Box::new(courier_report::junit::JunitReporter::new(
            courier_report::output::ReportTarget::from_arg(path),
            Arc::clone(secrets),
        )));
    }
    if let Some(path) = &args.output.json {
        reporters.push(Box::new(
            courier_report::json::JsonReporter::new(
                courier_report::output::ReportTarget::from_arg(path),
                Arc::clone(secrets),
            )
            .with_options(options),
        ));
    }
    if let Some(path) = &args.output.html {
        reporters.push(Box::new(courier_report::html::HtmlReporter::new(
            path.clone(),
            Arc::clone(secrets),
            options,
        )));
    }
    reporters
}
