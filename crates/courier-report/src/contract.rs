//! The stable contract with users' scripts and CI: the types of the JSON reports, each with a
//! `version` field (docs/reports.md). Every reporter and the binary use these types; changing
//! one is a breaking change of the product. The exit codes live beside the events, in
//! courier-events.

use serde::{Deserialize, Serialize};

/// `courier list --json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ListReport {
    pub version: u32,
    pub collections: Vec<ListCollection>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ListCollection {
    pub name: String,
    pub file: String,
    pub tags: Vec<String>,
    pub requests: Vec<ListRequest>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ListRequest {
    pub name: String,
    pub method: String,
    pub tags: Vec<String>,
}

/// The name in every report's `tool` object.
pub const TOOL_NAME: &str = "courier";

/// The version in every report's `tool` object: the workspace version, which the binary
/// shares.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The format version of the JSON run report; bump it on any change a script could notice.
/// Version 2 (docs/reports-v2.md) added `shard`, the per-request `row`, `page`, `attempts`,
/// `started_ms`, `tags` and `snapshot_diff`, and the per-assertion `message`, and left
/// `actual` out of passing assertions.
pub const RUN_REPORT_VERSION: u32 = 2;

/// The longest `actual` a report keeps, in bytes of compact JSON; a longer one becomes a
/// string of at most this many bytes ending [`CUT_MARK`] (docs/reports-v2.md).
pub const MAX_ACTUAL_BYTES: usize = 4096;

/// The end of a value cut to [`MAX_ACTUAL_BYTES`].
pub const CUT_MARK: &str = "…[cut]";

/// `courier run --json` (docs/reports-v2.md). Every field is present, with `null` (or an empty
/// list) where it does not apply, so scripts can index without checks; the two exceptions are
/// an assertion's `actual` and `message`, present only on failed assertions (and `actual` on
/// every assertion under `--report-values all`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RunReport {
    pub version: u32,
    pub tool: Tool,
    /// When the run started, RFC 3339 in UTC.
    pub started_at: String,
    pub duration_ms: u64,
    pub environment: ReportEnvironment,
    /// `--shard K/N`; `null` for an unsharded run.
    pub shard: Option<ReportShard>,
    pub summary: ReportSummary,
    /// In run order: the order of the collection files after selection and sharding (sorted
    /// paths), also under `--parallel`. A data-driven collection appears once, its requests
    /// row after row, each named `name [row N]`.
    pub collections: Vec<ReportCollection>,
}

/// Which shard of a CI matrix a report is: `index` counted from 1, of `total`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ReportShard {
    pub index: u32,
    pub total: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    /// This build of Courier.
    pub fn current() -> Self {
        Self {
            name: TOOL_NAME.to_owned(),
            version: TOOL_VERSION.to_owned(),
        }
    }
}

/// An environment in a report: its identity (the file stem) and scope. Also the shape of
/// `left` and `right` in the compare report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ReportEnvironment {
    pub name: String,
    pub scope: ReportScope,
}

/// The scope in a report, spelled `non-production` or `production`: the environment's own
/// [`Scope`](courier_units::Scope) type, serialised through the leaf crate's `serde` feature.
pub type ReportScope = courier_units::Scope;

/// Counts per reported request: errors count as failed (docs/cli.md#exit-codes).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ReportSummary {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReportCollection {
    pub name: String,
    /// Relative to the working directory, `/` separators.
    pub file: String,
    pub requests: Vec<ReportRequest>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// The request name; `name [row N]` in data-driven runs, as on the console.
    pub name: String,
    /// The data row, counted from 1; `null` outside data-driven runs.
    pub row: Option<usize>,
    /// The page of a `repeat` request, counted from 1; `null` for other requests.
    pub page: Option<usize>,
    pub outcome: ReportOutcome,
    /// Why it was skipped; `null` unless `outcome` is `skipped`.
    pub skip_reason: Option<String>,
    /// The response status; `null` when there was no response.
    pub status: Option<u16>,
    /// Time to the response, in milliseconds; `null` when there was no response.
    pub duration_ms: Option<u64>,
    /// Every send of this request, retries and poll attempts included; 0 when nothing was
    /// sent (skipped, or failed before sending).
    pub attempts: u32,
    /// When the request started, in milliseconds from the run's start; `null` when skipped.
    pub started_ms: Option<u64>,
    /// The request's tags and its collection's, sorted, without duplicates.
    pub tags: Vec<String>,
    pub assertions: Vec<ReportAssertion>,
    /// The names of the variables this request captured.
    pub captures: Vec<String>,
    pub snapshot: ReportSnapshot,
    /// The unified diff between the stored snapshot and this response when `snapshot` is
    /// `changed`; `null` otherwise.
    pub snapshot_diff: Option<String>,
    /// Why there was no response to check, or why the request failed outside its
    /// assertions (a template that failed to render); `null` otherwise.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReportOutcome {
    Passed,
    Failed,
    Skipped,
    Error,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReportSnapshot {
    None,
    Matched,
    New,
    Changed,
    Updated,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReportAssertion {
    pub kind: AssertionKind,
    /// The JSONPath, header name or capture source; `null` for status, body and duration.
    pub path: Option<String>,
    /// The operator (`eq`, `gt`, `exists`, …), `status` or `capture`.
    pub matcher: String,
    pub expected: serde_json::Value,
    /// What the response held: present on failed assertions (and on every assertion under
    /// `--report-values all`), left out otherwise. `null` also when there was nothing to
    /// compare (no match, no such header): `message` then says so. A value whose compact
    /// JSON is longer than [`MAX_ACTUAL_BYTES`] is a string cut to that, ending [`CUT_MARK`].
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub actual: Option<serde_json::Value>,
    /// Why a failed assertion failed, in words (`no match`, `expected eq "V-1", got "V-2"`);
    /// left out of passing ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub passed: bool,
    /// Where the check is written in the collection file, counted from 1.
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AssertionKind {
    Status,
    Header,
    #[serde(rename = "jsonpath")]
    JsonPath,
    Body,
    Duration,
    Capture,
    /// A JSON Schema check of the body.
    Schema,
    /// A `repeat` request reached `max` with its condition still true.
    Repeat,
    /// A `poll` request whose `expect` never held before its timeout.
    Poll,
}

/// A key that is present holds a value, `null` included: `"actual": null` (nothing matched)
/// reads back as `Some(Null)`, an absent key as `None`.
fn present<'de, D>(d: D) -> Result<Option<serde_json::Value>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    serde_json::Value::deserialize(d).map(Some)
}

/// The format version of the JSON compare report; bump it on any change a script could notice.
/// Version 2 added `skip_reason` per pair (docs/reports-v2.md).
pub const COMPARE_REPORT_VERSION: u32 = 2;

/// `courier compare --json` (docs/reports-v2.md). Every field is always present: values that do not apply
/// are `null` (or an empty list).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CompareReport {
    pub version: u32,
    pub left: ReportEnvironment,
    pub right: ReportEnvironment,
    pub summary: CompareSummary,
    /// In run order: collection files in sorted path order, their requests in order (row
    /// after row in data-driven collections).
    pub pairs: Vec<ComparePair>,
}

/// Pairs per verdict; a pair where a side had no response counts as different.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct CompareSummary {
    pub identical: usize,
    pub different: usize,
    pub skipped: usize,
}

/// One request of one collection (and data row), as both sides answered it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ComparePair {
    pub collection: String,
    /// The request name; `name [row N]` in data-driven collections, as on the console.
    pub request: String,
    /// `null` when that side has no response (skipped, or an error).
    pub left_status: Option<u16>,
    pub right_status: Option<u16>,
    /// Why the pair was skipped (naming the side); `null` unless it was.
    pub skip_reason: Option<String>,
    /// Empty for identical and skipped pairs.
    pub differences: Vec<CompareDifference>,
    /// With `--noise`: the paths that differed between the left side's own two runs, left out
    /// of `differences`; otherwise empty.
    pub noise: Vec<String>,
}

/// One difference between the two responses of a pair.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CompareDifference {
    /// RFC 9535 bracket notation; an element paired by `match_by` is addressed by a filter
    /// (`$['ia::result'][?@['id']=='V-1']['name']`); `$` for a status difference or a whole
    /// text body.
    pub path: String,
    pub kind: CompareDifferenceKind,
    /// The left value; `null` when `kind` is `added`.
    pub left: Option<serde_json::Value>,
    /// The right value; `null` when `kind` is `removed`.
    pub right: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CompareDifferenceKind {
    Changed,
    Added,
    Removed,
    TypeChanged,
    Status,
}
