//! `courier report merge`: the JSON reports of a CI matrix's shards made into the reports of
//! one run (docs/reports-v2.md#merging-shards). Reading, checking and merging are
//! courier-report's `merge` module; this file reads the files, writes the reports and picks
//! the exit code.

use std::io::Write as _;
use std::path::PathBuf;

use courier_report::contract::{ReportOutcome, RunReport};
use courier_report::merge::{ShardReport, exit_of, merge, read_report};
use courier_report::output::ReportTarget;

use super::common::ColorChoice;
use super::error::{CliError, CliResult};

/// Work with the reports of earlier runs.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  courier report merge reports/report-1.json reports/report-2.json --junit junit.xml
  courier report merge reports/report-*.json --json report.json --html report.html

Exit codes: 0 everything passed; 1 a check failed; 2 invalid input or usage (a report that is
not a version 2 run report of this Courier, a shard given twice or missing); 3 a request could
not be checked.")]
pub(crate) struct ReportArgs {
    #[command(subcommand)]
    pub(crate) command: ReportCommand,
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum ReportCommand {
    Merge(MergeArgs),
}

/// Merge the JSON reports of the shards of one run (`courier run --shard K/N --json FILE`)
/// into the reports of that run.
///
/// Every shard's report must be there once, all written by this Courier (JSON report version
/// 2) against the same environment. The merged reports are what the run without `--shard`
/// would have written, timings aside; the exit code is that run's. Prints the failed
/// requests and the summary line.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  courier report merge reports/report-1.json reports/report-2.json --junit junit.xml
  courier report merge reports/report-*.json --json report.json --html report.html

Exit codes: 0 everything passed; 1 a check failed; 2 invalid input or usage (a report that is
not a version 2 run report of this Courier, a shard given twice or missing); 3 a request could
not be checked.")]
pub(crate) struct MergeArgs {
    /// The shards' JSON reports.
    #[arg(value_name = "REPORT.json", required = true)]
    pub(crate) reports: Vec<PathBuf>,
    /// Write the merged JUnit XML report to FILE (`-` for standard output; the summary then
    /// goes to standard error).
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
    /// Write the merged JSON report to FILE (`-` for standard output; the summary then goes
    /// to standard error).
    #[arg(long, value_name = "FILE")]
    pub(crate) json: Option<PathBuf>,
    /// Write the merged HTML report to FILE (a file, never `-`).
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
    /// Colour: `auto` (a terminal, with NO_COLOR and CI unset), `always` or `never`.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub(crate) color: ColorChoice,
}

pub(crate) fn run(args: &ReportArgs) -> CliResult {
    match &args.command {
        ReportCommand::Merge(m) => run_merge(m),
    }
}

fn run_merge(args: &MergeArgs) -> CliResult {
    super::common::one_report_on_stdout(args.json.as_deref(), args.junit.as_deref())?;
    super::common::html_to_a_file(args.html.as_deref())?;
    let mut shards = Vec::new();
    for path in &args.reports {
        let file = courier_core::diag::display_path(path);
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::invalid(format!("cannot read `{file}`: {e}")))?;
        shards.push(read_report(&file, &text).map_err(|e| CliError::invalid(e.to_string()))?);
    }
    let merged = merge(&shards).map_err(|e| CliError::invalid(e.to_string()))?;
    write_reports(args, &merged)?;
    let to_stderr = super::common::is_stdout(args.json.as_deref())
        || super::common::is_stdout(args.junit.as_deref());
    print_summary(&merged, &shards, to_stderr, args.color);
    Ok(exit_of(&merged))
}

/// Writes every report asked for; a file that cannot be written is an invalid path (exit 2).
fn write_reports(args: &MergeArgs, merged: &RunReport) -> Result<(), CliError> {
    let cannot =
        |e: &dyn std::fmt::Display| CliError::invalid(format!("cannot write a report: {e}"));
    if let Some(path) = &args.junit {
        let xml = courier_report::junit::document_of_report(merged)
            .to_xml()
            .map_err(|e| cannot(&e))?;
        ReportTarget::from_arg(path)
            .write(xml.as_bytes())
            .map_err(|e| cannot(&e))?;
    }
    if let Some(path) = &args.html {
        let page = courier_report::html::render_run(merged);
        courier_report::output::write_atomic(path, page.as_bytes()).map_err(|e| cannot(&e))?;
    }
    if let Some(path) = &args.json {
        let text = courier_report::json::render_report(merged);
        ReportTarget::from_arg(path)
            .write(text.as_bytes())
            .map_err(|e| cannot(&e))?;
    }
    Ok(())
}

/// `FAIL collection / request` per failed or errored request, then the summary line.
fn print_summary(merged: &RunReport, shards: &[ShardReport], to_stderr: bool, color: ColorChoice) {
    let mut out: Box<dyn std::io::Write> = if to_stderr {
        Box::new(std::io::stderr().lock())
    } else {
        Box::new(std::io::stdout().lock())
    };
    let paint = color.enabled(if to_stderr {
        std::io::IsTerminal::is_terminal(&std::io::stderr())
    } else {
        std::io::IsTerminal::is_terminal(&std::io::stdout())
    });
    for c in &merged.collections {
        for r in &c.requests {
            if matches!(r.outcome, ReportOutcome::Failed | ReportOutcome::Error) {
                let mark = if paint {
                    owo_colors::OwoColorize::red(&"✗").to_string()
                } else {
                    "FAIL".to_owned()
                };
                let _ = writeln!(out, "{mark} {} / {}  ({})", c.name, r.name, c.file);
            }
        }
    }
    let s = &merged.summary;
    let _ = writeln!(
        out,
        "{} passed, {} failed, {} skipped (merged from {} report{})",
        s.passed,
        s.failed,
        s.skipped,
        shards.len(),
        if shards.len() == 1 { "" } else { "s" }
    );
}
