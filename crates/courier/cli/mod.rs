//! The command line: one file per subcommand. Flags are parsed here into raw structs; each
//! subcommand turns them into a validated plan before anything runs.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod emulator;

/// Courier runs YAML collections of HTTP requests against an environment and checks every
/// response: a collection runner and test harness made first for the Sage Intacct REST API.
#[derive(Debug, Parser)]
#[command(name = "courier", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the Sage Intacct emulator on 127.0.0.1.
    Emulator(emulator::EmulatorArgs),
}

pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Emulator(args) => emulator::run(args),
    }
}
