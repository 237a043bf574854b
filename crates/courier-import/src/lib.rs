//! Importers: Postman collections (v2.0, v2.1) with their environments, and curl command
//! lines, converted into Courier collection and environment YAML text. The crate is pure:
//! it reads text and returns text (and a summary of what did not convert); the binary reads
//! and writes the files. What converts is documented in docs/import.md.

mod curl;
mod env;
mod js;
mod names;
mod out;
pub mod postman;
mod script;
mod yaml;

use std::fmt::Write as _;
use std::path::PathBuf;

pub use curl::{CurlImport, import_curl};
pub use postman::{Imported, PostmanInput, import as import_postman};

/// Why an import failed. Every variant names the input; JSON errors carry line and column.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}:{line}:{column}: not valid JSON: {message}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{0} is a Postman collection v1 export, which Courier does not read: re-export it as Collection v2.1 (in Postman: the collection's ⋯ menu → Export → Collection v2.1)"
    )]
    V1(String),
    #[error("{0}")]
    NotPostman(String),
    #[error("curl: unsupported option `{0}`{1}")]
    CurlUnsupported(String, String),
    #[error("curl: {0}")]
    Curl(String),
}

/// One file to write, its path relative to the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFile {
    pub path: PathBuf,
    pub text: String,
}

/// What an import did, for the summary on standard error.
#[derive(Debug, Default)]
pub struct Summary {
    pub files: usize,
    pub requests: usize,
    pub environment: Option<String>,
    /// Test-script statements turned into matchers or captures.
    pub converted: usize,
    /// Script statements kept as comments.
    pub kept: usize,
    pub dynamic: Vec<String>,
    pub renamed: Vec<String>,
    pub secrets: Vec<String>,
    pub missing_files: Vec<String>,
    pub broken_chains: Vec<String>,
    pub no_value: Vec<String>,
    pub unsupported: Vec<String>,
}

impl Summary {
    /// The summary lines (docs/import.md shows them).
    pub fn render(&self) -> String {
        let mut s = String::new();
        let env = self
            .environment
            .as_deref()
            .map(|e| format!(" and {e}"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "imported {} request{} into {} collection file{}{env}",
            self.requests,
            plural(self.requests),
            self.files,
            plural(self.files)
        );
        let _ = writeln!(
            s,
            "tests: {} converted, {} kept as comments",
            self.converted, self.kept
        );
        let lists: [(&str, &Vec<String>); 7] = [
            ("dynamic variables → functions", &self.dynamic),
            ("renamed variables", &self.renamed),
            (
                "credentials → secrets (set these environment variables)",
                &self.secrets,
            ),
            (
                "missing file parts → text part `TODO: <path>`",
                &self.missing_files,
            ),
            (
                "broken capture chains (split into files)",
                &self.broken_chains,
            ),
            (
                "variables with no value (empty in the environment)",
                &self.no_value,
            ),
            ("not converted (kept as comments)", &self.unsupported),
        ];
        for (title, items) in lists {
            let _ = writeln!(s, "{title}: {}", items.len());
            for i in items {
                let _ = writeln!(s, "  {i}");
            }
        }
        s
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Parses JSON, with line and column in the error. A UTF-8 byte-order mark is skipped.
pub(crate) fn parse_json(text: &str, shown: &str) -> Result<serde_json::Value, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str(text).map_err(|e| ImportError::Json {
        file: shown.to_owned(),
        line: e.line(),
        column: e.column(),
        message: {
            let m = e.to_string();
            // serde_json appends " at line L column C": the position is already in front.
            m.split(" at line ").next().unwrap_or(&m).to_owned()
        },
    })
}
