//! What several subcommands share: `--var k=v` parsing, the default collection path, and
//! printing diagnostics.

use std::io::Write as _;
use std::path::PathBuf;

use courier_core::diag::Diagnostic;

/// `--var k=v`.
pub(crate) fn parse_var(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not `name=value`"))?;
    let k = k.trim();
    let valid = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "`{k}` is not a valid variable name (letters, digits and `_`)"
        ));
    }
    Ok((k.to_owned(), v.to_owned()))
}

/// The collection paths, `collections` when none are given.
pub(crate) fn paths_or_default(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from("collections")]
    } else {
        paths.to_vec()
    }
}

/// Prints diagnostics on standard error, each in the rustc style.
pub(crate) fn print_diagnostics(diags: &[Diagnostic]) {
    let stderr = std::io::stderr();
    let mut out = stderr.lock();
    for d in diags {
        let _ = writeln!(out, "{}", d.render());
    }
}

/// `-k`, `--tag`, `--var`, `--parallel` and `--max-body`: what runs, how many collections at
/// once and how large a response may be, shared by `run` and `compare`.
#[derive(Debug, clap::Args)]
pub(crate) struct SelectArgs {
    /// Define a variable (repeatable); wins over the environment (each side's, in `compare`)
    /// and data rows.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub(crate) vars: Vec<(String, String)>,
    /// Only requests whose `collection / request` contains TEXT (case-insensitive; repeats OR).
    #[arg(short = 'k', long = "filter", value_name = "TEXT")]
    pub(crate) filters: Vec<String>,
    /// Only requests with this tag (theirs or their collection's); `!TAG` excludes. Positive
    /// tags are OR'd, exclusions AND'd.
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,
    /// Pass (exit 0, with a warning) when `-k` and `--tag` select no request in any file;
    /// without it that is an error (exit 2) naming what exists.
    #[arg(long)]
    pub(crate) allow_empty: bool,
    /// Run up to N collections at once (on each side, in `compare`); requests of one
    /// collection stay in order.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) parallel: u16,
    /// The largest response body, decoded (`512KiB`, `64MiB`, `1GiB`); larger fails the
    /// request. A collection's `max_body:` (in `defaults` or on a request) wins.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_max_body)]
    pub(crate) max_body: u64,
}

/// `--max-body SIZE`: the one size grammar, more than 0 bytes.
fn parse_max_body(s: &str) -> Result<u64, String> {
    match courier_units::parse_size(s) {
        Ok(0) => Err("a body cap must be more than 0 bytes".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// The production guard's two flags (docs/environments.md#production-safety), which
/// contradict each other: clap refuses both at once as a usage error (exit 2).
#[derive(Debug, clap::Args)]
pub(crate) struct GuardArgs {
    /// Skip every request that mutates (any method but GET, HEAD, OPTIONS, unless `mutates:`
    /// says otherwise); they count as skipped.
    #[arg(long, conflicts_with = "allow_production_writes")]
    pub(crate) read_only: bool,
    /// Allow a run against a production environment to send requests that mutate.
    #[arg(long)]
    pub(crate) allow_production_writes: bool,
}

/// Where the reports go and whether the console is coloured.
#[derive(Debug, clap::Args)]
pub(crate) struct OutputArgs {
    /// Write a JUnit XML report to FILE (in `compare`, a test case per pair; `-` for standard
    /// output; the console report then goes to standard error).
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
    /// Write the JSON report to FILE (`-` for standard output; the console report then goes
    /// to standard error).
    #[arg(long, value_name = "FILE")]
    pub(crate) json: Option<PathBuf>,
    /// Write an HTML report to FILE: one self-contained page (no network) with the summary,
    /// the failures, a timeline per collection and filters by outcome and tag (in `compare`,
    /// the counts, the differences of every pair that differs, and filters by outcome). A
    /// file, never `-`.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
    /// Which checks keep the response's value (`actual`) in the JSON and HTML reports:
    /// `failed` (the default: a passing run's reports hold no response data) or `all`. A
    /// compare report holds only the values that differ, each cut to 4096 bytes, whichever is
    /// given.
    #[arg(long, value_name = "WHICH", value_enum, default_value_t = ReportValuesFlag::Failed)]
    pub(crate) report_values: ReportValuesFlag,
    /// Colour: `auto` (a terminal, with NO_COLOR and CI unset), `always` or `never`.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub(crate) color: ColorChoice,
}

impl OutputArgs {
    /// `--json -` or `--junit -`: standard output carries that report alone, so the console
    /// report goes to standard error (docs/reports.md).
    pub(crate) fn report_to_stdout(&self) -> bool {
        is_stdout(self.json.as_deref()) || is_stdout(self.junit.as_deref())
    }

    /// Refuses report paths that name the same file twice, or a collection file of the run,
    /// before anything is sent: one report would overwrite the other, or a collection
    /// (docs/reports.md).
    pub(crate) fn check_paths<'a>(
        &self,
        collections: impl IntoIterator<Item = &'a std::path::Path>,
    ) -> Result<(), super::error::CliError> {
        one_report_on_stdout(self.json.as_deref(), self.junit.as_deref())?;
        html_to_a_file(self.html.as_deref())?;
        let full = |p: &std::path::Path| {
            let p = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
            courier_core::diag::normalize_lexically(&p)
        };
        let same = |a: &std::path::Path, b: &std::path::Path| full(a) == full(b);
        let reports: Vec<(&str, &PathBuf)> = [
            ("--junit", self.junit.as_ref()),
            ("--json", self.json.as_ref()),
            ("--html", self.html.as_ref()),
        ]
        .into_iter()
        .filter_map(|(flag, p)| p.filter(|p| p.as_os_str() != "-").map(|p| (flag, p)))
        .collect();
        for (i, (flag, path)) in reports.iter().enumerate() {
            if let Some((other, _)) = reports[..i].iter().find(|(_, p)| same(p, path)) {
                return Err(super::error::CliError::invalid(format!(
                    "{other} and {flag} both name `{}`: give each report its own file",
                    path.display()
                )));
            }
        }
        for collection in collections {
            if let Some((flag, path)) = reports.iter().find(|(_, p)| same(p, collection)) {
                return Err(super::error::CliError::invalid(format!(
                    "{flag} `{}` is a collection file of this run: the report would overwrite it",
                    path.display()
                )));
            }
        }
        Ok(())
    }
}

/// Whether a report flag's value is `-`, standard output.
pub(crate) fn is_stdout(path: Option<&std::path::Path>) -> bool {
    path.is_some_and(|p| p.as_os_str() == "-")
}

/// Refuses `--json -` with `--junit -`: two reports cannot share standard output
/// (docs/reports.md).
pub(crate) fn one_report_on_stdout(
    json: Option<&std::path::Path>,
    junit: Option<&std::path::Path>,
) -> Result<(), super::error::CliError> {
    if is_stdout(json) && is_stdout(junit) {
        return Err(super::error::CliError::invalid(
            "--json - and --junit - both name standard output: give one of them a file",
        ));
    }
    Ok(())
}

/// Refuses `--html -`: the HTML report is a page to open in a browser, not a stream to pipe,
/// and `-` would otherwise become a file named `-` (docs/reports.md).
pub(crate) fn html_to_a_file(html: Option<&std::path::Path>) -> Result<(), super::error::CliError> {
    if is_stdout(html) {
        return Err(super::error::CliError::invalid(
            "--html - : the HTML report is a page to open in a browser and needs a file, such as `--html report.html`",
        ));
    }
    Ok(())
}

/// `--color WHEN` for the commands whose output has no colour: accepted on every subcommand
/// so that one set of flags (`--color never` in a CI template) fits every call
/// (docs/cli.md#colour).
#[derive(Debug, clap::Args)]
pub(crate) struct ColorArg {
    /// Colour: `auto`, `always` or `never` (this command's output has none; accepted on
    /// every command alike).
    #[arg(long, value_name = "WHEN", default_value = "auto", global = true)]
    pub(crate) color: ColorChoice,
}

/// `--report-values failed|all` (docs/reports-v2.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ReportValuesFlag {
    Failed,
    All,
}

impl From<ReportValuesFlag> for courier_report::json::ReportValues {
    fn from(flag: ReportValuesFlag) -> Self {
        match flag {
            ReportValuesFlag::Failed => Self::Failed,
            ReportValuesFlag::All => Self::All,
        }
    }
}

/// `--color auto|always|never` (docs/cli.md#colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Colour is on with `always`, or `auto` when the output is a terminal and neither
    /// `NO_COLOR` nor `CI` is set (docs/cli.md#colour).
    pub(crate) fn enabled(self, is_terminal: bool) -> bool {
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto => {
                is_terminal
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && !ci_is_set()
            }
        }
    }
}

/// `CI` as the snapshot mode reads it: one detector (courier-check's `ci_is_set`).
pub(crate) fn ci_is_set() -> bool {
    courier_check::snapshot::ci_is_set(std::env::var("CI").ok().as_deref())
}
