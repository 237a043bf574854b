//! `courier report merge` (docs/reports-v2.md#merging-shards): the JSON reports of the shards
//! of one CI matrix read back, checked to be one complete run (same report and Courier
//! version, same environment, every shard once, no collection twice) and merged into the
//! report the unsharded run would have written, timings aside. A report that cannot be
//! merged is a typed [`MergeError`] naming its file.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use courier_events::Exit;

use crate::contract::{
    RUN_REPORT_VERSION, ReportOutcome, ReportSummary, RunReport, TOOL_NAME, TOOL_VERSION,
};

/// One report to merge: where it was read from (for messages) and what it holds.
#[derive(Debug, Clone)]
pub struct ShardReport {
    pub file: String,
    pub report: RunReport,
}

/// Why reports cannot be merged; each names the file (or files) at fault and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("{file}:{line}:{column}: not JSON: {message}")]
    NotJson {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{file}: not a report of `courier run` ({what})\n  = help: merge the files that `courier run --json FILE` wrote"
    )]
    NotARunReport { file: String, what: String },
    #[error(
        "{file}: a version 1 report; merging needs version 2 (`shard` and the per-request fields)\n  = help: run the shards again with this Courier ({TOOL_VERSION}), which writes version 2"
    )]
    Version1 { file: String },
    #[error(
        "{file}: a report of version {version}; this Courier merges version {RUN_REPORT_VERSION}\n  = help: merge with the Courier that ran the shards"
    )]
    OtherVersion { file: String, version: u64 },
    #[error(
        "{file}: written by Courier {version}; this is Courier {TOOL_VERSION}\n  = help: merge with the Courier that ran the shards, and run every shard with one version"
    )]
    OtherCourier { file: String, version: String },
    #[error("{file}: not a valid version 2 report: {message}")]
    Invalid { file: String, message: String },
    #[error(
        "{first} and {second} are runs against different environments ({first_env} and {second_env})\n  = help: merge the shards of one run"
    )]
    Environments {
        first: String,
        second: String,
        first_env: String,
        second_env: String,
    },
    #[error(
        "{first} is shard {first_shard} but {second} is shard {second_shard}: the shards of one run share N\n  = help: merge the shards of one matrix"
    )]
    ShardCounts {
        first: String,
        second: String,
        first_shard: String,
        second_shard: String,
    },
    #[error("overlapping reports: {what}\n  = help: give each shard's report once")]
    Overlap { what: String },
    #[error(
        "missing {}: {} of {total} given\n  = help: give the report of every shard (a failed shard writes its report too)",
        plural_shards(missing),
        total - u32::try_from(missing.len()).unwrap_or(*total)
    )]
    Missing { total: u32, missing: Vec<u32> },
}

fn plural_shards(missing: &[u32]) -> String {
    let list: Vec<String> = missing.iter().map(u32::to_string).collect();
    if missing.len() == 1 {
        format!("shard {}", list[0])
    } else {
        format!("shards {}", list.join(", "))
    }
}

/// Reads one report: JSON, a run report (not a compare report), version 2, written by this
/// Courier.
pub fn read_report(file: &str, text: &str) -> Result<ShardReport, MergeError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| MergeError::NotJson {
        file: file.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let not_run = |what: &str| MergeError::NotARunReport {
        file: file.to_owned(),
        what: what.to_owned(),
    };
    let Some(object) = value.as_object() else {
        return Err(not_run("not a JSON object"));
    };
    if object.contains_key("pairs") {
        return Err(not_run("a report of `courier compare`"));
    }
    if !object.contains_key("collections") {
        return Err(not_run("no `collections`"));
    }
    match object.get("version").and_then(serde_json::Value::as_u64) {
        Some(1) => {
            return Err(MergeError::Version1 {
                file: file.to_owned(),
            });
        }
        Some(v) if v == u64::from(RUN_REPORT_VERSION) => {}
        Some(version) => {
            return Err(MergeError::OtherVersion {
                file: file.to_owned(),
                version,
            });
        }
        None => return Err(not_run("no `version` number")),
    }
    let tool = &object.get("tool");
    let name = tool.and_then(|t| t.get("name")).and_then(|n| n.as_str());
    if name != Some(TOOL_NAME) {
        return Err(not_run("its `tool.name` is not `courier`"));
    }
    let version = tool
        .and_then(|t| t.get("version"))
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    if version != TOOL_VERSION {
        return Err(MergeError::OtherCourier {
            file: file.to_owned(),
            version: version.to_owned(),
        });
    }
    let report: RunReport = serde_json::from_value(value).map_err(|e| MergeError::Invalid {
        file: file.to_owned(),
        message: e.to_string(),
    })?;
    Ok(ShardReport {
        file: file.to_owned(),
        report,
    })
}

/// Merges the reports of every shard of one run into one report, as the unsharded run
/// would have written it: collections in the order of their files' paths (the run order
/// of an unsharded run), counts summed, `shard` null. `started_at` is the earliest shard's
/// start, `duration_ms` runs to the latest shard's end, and each `started_ms` is moved onto
/// that common start, so the HTML timeline shows the shards side by side.
pub fn merge(reports: &[ShardReport]) -> Result<RunReport, MergeError> {
    let Some(first) = reports.first() else {
        return Err(MergeError::Missing {
            total: 1,
            missing: vec![1],
        });
    };
    for other in &reports[1..] {
        if other.report.environment != first.report.environment {
            return Err(MergeError::Environments {
                first: first.file.clone(),
                second: other.file.clone(),
                first_env: first.report.environment.name.clone(),
                second_env: other.report.environment.name.clone(),
            });
        }
    }
    check_shards(reports)?;
    let mut files: BTreeMap<&str, &str> = BTreeMap::new();
    for r in reports {
        for c in &r.report.collections {
            if let Some(earlier) = files.insert(&c.file, &r.file) {
                return Err(MergeError::Overlap {
                    what: format!("{} holds results of {} as {earlier} does", r.file, c.file),
                });
            }
        }
    }

    let starts: Vec<Option<DateTime<Utc>>> = reports
        .iter()
        .map(|r| {
            DateTime::parse_from_rfc3339(&r.report.started_at)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
        .collect();
    let start = starts.iter().flatten().min().copied();
    let offset = |i: usize| -> u64 {
        match (start, starts[i]) {
            (Some(s), Some(t)) => u64::try_from((t - s).num_milliseconds()).unwrap_or(0),
            _ => 0,
        }
    };
    let mut merged = RunReport {
        version: RUN_REPORT_VERSION,
        tool: first.report.tool.clone(),
        started_at: start.map_or_else(
            || first.report.started_at.clone(),
            |s| s.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        ),
        duration_ms: 0,
        environment: first.report.environment.clone(),
        shard: None,
        summary: ReportSummary::default(),
        collections: Vec::new(),
    };
    for (i, r) in reports.iter().enumerate() {
        let shift = offset(i);
        merged.duration_ms = merged.duration_ms.max(shift + r.report.duration_ms);
        merged.summary.passed += r.report.summary.passed;
        merged.summary.failed += r.report.summary.failed;
        merged.summary.skipped += r.report.summary.skipped;
        for c in &r.report.collections {
            let mut c = c.clone();
            for request in &mut c.requests {
                if let Some(ms) = &mut request.started_ms {
                    *ms += shift;
                }
            }
            merged.collections.push(c);
        }
    }
    // Discovery sorts files by their displayed path (courier-core's `load::discover`).
    merged.collections.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(merged)
}

/// Every shard of one N exactly once, or one unsharded report alone.
fn check_shards(reports: &[ShardReport]) -> Result<(), MergeError> {
    let unsharded: Vec<&ShardReport> = reports
        .iter()
        .filter(|r| r.report.shard.is_none())
        .collect();
    if let Some(whole) = unsharded.first() {
        if reports.len() == 1 {
            return Ok(());
        }
        let other = reports
            .iter()
            .find(|r| r.file != whole.file)
            .map_or_else(|| whole.file.clone(), |r| r.file.clone());
        return Err(MergeError::Overlap {
            what: format!(
                "{} is a whole run (no --shard), which already holds what {other} holds",
                whole.file
            ),
        });
    }
    let shard_text = |r: &ShardReport| {
        r.report
            .shard
            .map(|s| format!("{}/{}", s.index, s.total))
            .unwrap_or_default()
    };
    let first = &reports[0];
    let total = first.report.shard.map_or(1, |s| s.total);
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    for r in reports {
        let Some(shard) = r.report.shard else {
            continue;
        };
        if shard.total != total {
            return Err(MergeError::ShardCounts {
                first: first.file.clone(),
                second: r.file.clone(),
                first_shard: shard_text(first),
                second_shard: shard_text(r),
            });
        }
        if let Some(earlier) = seen.insert(shard.index, &r.file) {
            return Err(MergeError::Overlap {
                what: format!(
                    "{earlier} and {} are both shard {}/{total}",
                    r.file, shard.index
                ),
            });
        }
    }
    let present: BTreeSet<u32> = seen.keys().copied().collect();
    let missing: Vec<u32> = (1..=total).filter(|k| !present.contains(k)).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(MergeError::Missing { total, missing })
    }
}

/// The exit code of the merged run, as `courier run` would have exited
/// (docs/cli.md#exit-codes): 3 when a request could not be checked, 1 when one failed.
pub fn exit_of(report: &RunReport) -> Exit {
    let outcomes = || {
        report
            .collections
            .iter()
            .flat_map(|c| &c.requests)
            .map(|r| r.outcome)
    };
    if outcomes().any(|o| o == ReportOutcome::Error) {
        Exit::Unchecked
    } else if outcomes().any(|o| o == ReportOutcome::Failed) {
        Exit::Failed
    } else {
        Exit::Success
    }
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
