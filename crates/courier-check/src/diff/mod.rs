//! The structural JSON diff that `courier compare` (docs/compare.md) and snapshot reports share: two
//! JSON documents in, the list of their differences out, each with an RFC 9535 path that can
//! be pasted into `--ignore`. Pure and synchronous; the JSONPath queries it needs (`match_by`,
//! ignores) come compiled from `courier_core::jsonpath`.
//!
//! How the two documents are paired, in order:
//! 1. Objects by member name, whatever the order. Arrays by index, or by a key field where a
//!    `match_by` query selects the array — evaluated on each whole document, so the array is
//!    recognised by its location, on either side. A key-paired element is addressed by a
//!    filter, `$['ia::result'][?@['id']=='V-1']['name']` (string keys single-quoted with the
//!    escapes of RFC 9535 §2.7, numbers bare), and an inserted record is one `added`
//!    difference rather than a cascade of index changes. When a key is missing, is not a
//!    string or number, or repeats in either array, that array falls back to index pairing
//!    with a warning naming its path.
//! 2. Values: numbers by value (`1` equals `1.0`; integers exactly, however large), other
//!    scalars by equality, `type_changed` when the JSON types differ (`null` against anything
//!    else included; integer against float is not a type change), `added` / `removed` for
//!    members and for unpaired elements (the tail of the longer array when paired by index).
//! 3. Then ignores (`compare.ignore`, `--ignore`, and snapshot redactions, which count as
//!    ignores): each query is evaluated on each whole document, and a difference is dropped
//!    when its location on the left is at or under a node the query selects in the left
//!    document, or likewise on the right. Queries that select by location alone (names,
//!    non-negative indices, wildcards, descendants: `$..supportId`) give the same answer
//!    from the location itself (`JsonPath::covers_location`), so they are not run over the
//!    documents. An added member or element has no left location; its
//!    paired parent's stands in for it (and a removed one's on the right), so ignoring a
//!    container on either side also hides what was added to or removed from it. Warnings about
//!    ignored arrays are dropped the same way.
//!
//! Differences come in document order: at each object the left document's members in its
//! order, then the members only the right has; at each array the left's elements, then the
//! right's unpaired ones. The walk keeps locations as borrowed steps on a stack and builds a
//! path string only for a difference, so equal subtrees cost a comparison and nothing else.
//! `cargo bench -p courier-check --bench diff` (two 5 MB Intacct-shaped documents, 1% of the
//! values changed, this 2-core machine shared with other builds, two runs): 16–18 ms by index,
//! 25–40 ms with `match_by`, 28–34 ms with `match_by` and two descendant ignores — the target
//! is 200 ms (README, "Performance").
//!
//! The walk recurses once per level of nesting; documents parsed by serde_json nest at most
//! 128 levels.

mod walk;

use std::collections::HashSet;

use courier_core::jsonpath::{EvalError, JsonPath, NormalizedPath, PathElement};
use serde::Serialize;
use serde_json::Value;

/// How to pair and what to leave out; the default pairs arrays by index and ignores nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiffOptions<'a> {
    /// Arrays to pair by a key field: each query selects arrays (in either document), paired
    /// element by element by the value of the named member (`compare.match_by`). The first
    /// query that selects an array decides its key.
    pub match_by: &'a [(JsonPath, String)],
    /// Locations whose differences are left out (`compare.ignore`, `--ignore`, redactions).
    pub ignore: &'a [JsonPath],
}

/// What kind of difference, as written in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    /// Same type, different value.
    Changed,
    /// Only in the right document.
    Added,
    /// Only in the left document.
    Removed,
    /// Different JSON types (`null` counts as a type; integer and float do not differ).
    TypeChanged,
    /// Different HTTP status codes (path `$`).
    Status,
}

impl DiffKind {
    /// The name used in reports: `changed`, `added`, `removed`, `type_changed`, `status`.
    pub fn as_str(self) -> &'static str {
        match self {
            DiffKind::Changed => "changed",
            DiffKind::Added => "added",
            DiffKind::Removed => "removed",
            DiffKind::TypeChanged => "type_changed",
            DiffKind::Status => "status",
        }
    }
}

impl std::fmt::Display for DiffKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference between the two sides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// Where, in RFC 9535 bracket notation (key-paired elements as filters); `$` for status.
    pub path: String,
    /// What kind of difference.
    pub kind: DiffKind,
    /// The left value (`None` when added).
    pub left: Option<Value>,
    /// The right value (`None` when removed).
    pub right: Option<Value>,
}

/// The differences, in document order, and what the reader should know about the pairing.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DiffReport {
    /// Every difference that no ignore covers.
    pub differences: Vec<Difference>,
    /// Arrays that `match_by` selected but that had to be paired by index, and why.
    pub warnings: Vec<String>,
}

impl DiffReport {
    /// Whether the two documents are the same, ignores applied.
    pub fn is_identical(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Compares two JSON documents structurally (see the module documentation for the rules).
///
/// A `match_by` or ignore query that would visit more nodes than the JSONPath node budget
/// is an error: pairing or ignoring that silently did nothing would report differences that
/// are not there.
pub fn diff(
    left: &Value,
    right: &Value,
    options: &DiffOptions<'_>,
) -> Result<DiffReport, EvalError> {
    let left_keys = walk::KeyTrie::build(left, options.match_by)?;
    let right_keys = walk::KeyTrie::build(right, options.match_by)?;
    let found = walk::walk(left, right, &left_keys, &right_keys);

    let ignored = Ignored::new(left, right, options.ignore, &found)?;
    let is_ignored = |at: &walk::Anchors| ignored.covers(at);

    Ok(DiffReport {
        differences: found
            .differences
            .into_iter()
            .filter(|raw| !is_ignored(&raw.at))
            .map(|raw| Difference {
                path: raw.path,
                kind: raw.kind,
                left: raw.left.cloned(),
                right: raw.right.cloned(),
            })
            .collect(),
        warnings: found
            .warnings
            .into_iter()
            .filter(|warning| !is_ignored(&warning.at))
            .map(|warning| warning.message)
            .collect(),
    })
}

/// A status difference (path `$`), or `None` when the codes are equal.
pub fn diff_status(left: u16, right: u16) -> Option<Difference> {
    (left != right).then(|| Difference {
        path: "$".to_owned(),
        kind: DiffKind::Status,
        left: Some(Value::from(left)),
        right: Some(Value::from(right)),
    })
}

/// The ignore queries, ready to test a difference's locations against.
struct Ignored<'q> {
    /// Queries decided by the location alone (`$..supportId`, `$.a[*].b`): tested against each
    /// difference's path, without walking the documents.
    patterns: Vec<&'q JsonPath>,
    /// What the other queries select in the left and the right document.
    left: HashSet<Vec<PathElement>>,
    right: HashSet<Vec<PathElement>>,
}

impl<'q> Ignored<'q> {
    fn new(
        left: &Value,
        right: &Value,
        ignore: &'q [JsonPath],
        found: &walk::Found<'_>,
    ) -> Result<Self, EvalError> {
        let mut ignored = Ignored {
            patterns: Vec::new(),
            left: HashSet::new(),
            right: HashSet::new(),
        };
        if found.differences.is_empty() && found.warnings.is_empty() {
            // Nothing to filter: spare evaluating the queries over both documents.
            return Ok(ignored);
        }
        for query in ignore {
            if query.is_location_pattern() {
                ignored.patterns.push(query);
            } else {
                ignored.left.extend(located(left, query)?);
                ignored.right.extend(located(right, query)?);
            }
        }
        Ok(ignored)
    }

    /// Whether the left location is at or under a node selected in the left document, or the
    /// right one likewise on the right.
    fn covers(&self, at: &walk::Anchors) -> bool {
        let pattern_covers = |location: &[PathElement]| {
            self.patterns
                .iter()
                .any(|query| query.covers_location(location) == Some(true))
        };
        pattern_covers(&at.left)
            || pattern_covers(&at.right)
            || covered(&at.left, &self.left)
            || covered(&at.right, &self.right)
    }
}

/// Every location `query` selects in `doc`.
fn located(
    doc: &Value,
    query: &JsonPath,
) -> Result<impl Iterator<Item = Vec<PathElement>>, EvalError> {
    Ok(query
        .try_query_located(doc)?
        .into_iter()
        .map(|(location, _)| NormalizedPath::into_elements(location)))
}

/// Whether `location` is at or under one of `ignored`.
fn covered(location: &[PathElement], ignored: &HashSet<Vec<PathElement>>) -> bool {
    !ignored.is_empty() && (0..=location.len()).any(|len| ignored.contains(&location[..len]))
}

#[cfg(test)]
mod tests;
