//! The command line: one file per subcommand. Flags are parsed here into raw structs; each
//! subcommand turns them into a validated plan before anything runs, and returns its exit
//! code or a [`error::CliError`], which is printed here, once (docs/cli.md#exit-codes).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod auth;
mod common;
mod compare;
mod completions;
mod embedded;
mod emulator;
mod error;
#[cfg(test)]
mod help_examples;
mod import;
mod init;
mod list;
mod report;
mod run;
mod signals;
mod snapshots;
mod validate;

/// Courier runs YAML collections of HTTP requests against an environment and checks every
/// response: a collection runner and test harness made first for the Sage Intacct REST API.
///
/// Exit codes: 0 everything passed; 1 a check failed; 2 invalid input or usage (nothing was
/// sent); 3 a request could not be checked (connection, TLS, timeout, no token).
#[derive(Debug, Parser)]
#[command(
    name = "courier",
    version,
    about,
    long_about,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Run(run::RunArgs),
    Compare(compare::CompareArgs),
    Auth(auth::AuthArgs),
    Validate(validate::ValidateArgs),
    List(list::ListArgs),
    Snapshots(snapshots::SnapshotsArgs),
    Emulator(emulator::EmulatorArgs),
    Init(init::InitArgs),
    Import(import::ImportArgs),
    Report(report::ReportArgs),
    Completions(completions::CompletionsArgs),
    Man(completions::ManArgs),
}

pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Auth(args) => auth::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::List(args) => list::run(&args),
        Command::Snapshots(args) => snapshots::run(&args),
        Command::Emulator(args) => emulator::run(args),
        Command::Init(args) => Ok(init::run(&args)),
        Command::Import(args) => Ok(import::run(&args)),
        Command::Report(args) => report::run(&args),
        Command::Completions(args) => Ok(completions::completions(&args)),
        Command::Man(args) => Ok(completions::man(&args)),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            e.print();
            e.exit.into()
        }
    }
}
