//! Pairing and diffing (docs/cli.md#courier-compare): the results of the two sides are paired by collection,
//! request and data row; each pair's status codes and bodies are diffed with the check stage's
//! structural diff; with `--noise`, paths that differ between the left side's own two runs are
//! set aside as noise. Pure: the runs are over when this starts.
//!
//! Bodies that are not JSON (or are empty) are compared as text: equal texts are identical,
//! different texts are one `changed` difference at `$`, and a JSON body against a text body is
//! a `type_changed` at `$`. Ignores and `match_by` only apply to JSON bodies.

use std::collections::BTreeMap;
use std::sync::Arc;

use courier_check::diff::{self, DiffKind, DiffOptions, Difference};
use courier_core::jsonpath::JsonPath;
use courier_core::model::Collection;
use courier_events::{ErrorKind, Outcome, RequestResult};
use serde_json::Value;

/// Where a result sits in a run: collection position, data row, request index — the order
/// the executor runs them in.
pub(super) type PairKey = (usize, Option<usize>, usize);

/// The finished requests of one run, by [`PairKey`].
pub(super) type SideResults = BTreeMap<PairKey, Arc<RequestResult>>;

/// Adds a finished request to its side's results.
pub(super) fn record(results: &mut SideResults, r: Arc<RequestResult>) {
    results.insert((r.collection_id, r.row, r.request_index), r);
}

/// What a pair came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    Identical,
    Different,
    /// The request was skipped on either side; the reason names the side.
    Skipped(String),
    /// A side has no response to compare (an error, or a template that failed at run time);
    /// counted as different. `error_kind` is set when a request could not be sent or answered
    /// at all (connection, TLS, timeout, token: exit 3).
    Failed {
        message: String,
        error_kind: Option<ErrorKind>,
    },
}

/// One request of one collection (and data row), as both sides answered it.
#[derive(Debug, Clone)]
pub(super) struct Pair {
    pub(super) collection: Arc<Collection>,
    pub(super) request_index: usize,
    pub(super) row: Option<usize>,
    pub(super) left_status: Option<u16>,
    pub(super) right_status: Option<u16>,
    pub(super) verdict: Verdict,
    /// The differences left after ignores and noise, in document order (status first).
    pub(super) differences: Vec<Difference>,
    /// Paths that differed between the left side's two runs (`--noise`), left out of
    /// `differences`.
    pub(super) noise: Vec<String>,
    /// `match_by` fallbacks and the like.
    pub(super) warnings: Vec<String>,
}

impl Pair {
    pub(super) fn request_name(&self) -> &str {
        &self.collection.requests[self.request_index].name.value
    }

    /// `request` or `request [row N]`, as the console and reports of `run` name it.
    pub(super) fn display_request(&self) -> String {
        match self.row {
            Some(n) => format!("{} [row {n}]", self.request_name()),
            None => self.request_name().to_owned(),
        }
    }

    /// `collection / request [row N]`.
    pub(super) fn title(&self) -> String {
        format!(
            "{} / {}",
            self.collection.name.value,
            self.display_request()
        )
    }
}

/// Counts for the last console line and the report's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counts {
    pub(super) identical: usize,
    pub(super) different: usize,
    pub(super) skipped: usize,
    /// A side could not be checked (exit 3).
    pub(super) unchecked: bool,
}

pub(super) fn count(pairs: &[Pair]) -> Counts {
    let mut c = Counts::default();
    for p in pairs {
        match &p.verdict {
            Verdict::Identical => c.identical += 1,
            Verdict::Different => c.different += 1,
            Verdict::Skipped(_) => c.skipped += 1,
            Verdict::Failed { error_kind, .. } => {
                c.different += 1;
                c.unchecked |= error_kind.is_some();
            }
        }
    }
    c
}

/// Pairs the results of the left and right runs (and of the left side's second run, with
/// `--noise`) and diffs every pair. `ignore` holds the `--ignore` queries; each collection
/// adds its `compare.ignore` and snapshot redactions, and its `compare.match_by`.
pub(super) fn build(
    left: &SideResults,
    right: &SideResults,
    left_again: Option<&SideResults>,
    ignore: &[JsonPath],
) -> Vec<Pair> {
    let mut keys: Vec<PairKey> = left.keys().chain(right.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    let mut rules: BTreeMap<usize, Rules> = BTreeMap::new();
    let mut pairs = Vec::with_capacity(keys.len());
    for key in keys {
        let (l, r) = (left.get(&key), right.get(&key));
        let Some(any) = l.or(r) else { continue };
        let collection = Arc::clone(&any.collection);
        let rules = rules
            .entry(key.0)
            .or_insert_with(|| Rules::new(&collection, ignore));
        let again = left_again.and_then(|a| a.get(&key));
        pairs.push(pair(collection, key, l, r, again, rules));
    }
    pairs
}

/// What a collection's pairs are diffed with: `match_by`, and every ignore.
struct Rules {
    match_by: Vec<(JsonPath, String)>,
    ignore: Vec<JsonPath>,
    /// Per request: the collection's ignores plus the request's own snapshot redactions.
    per_request: BTreeMap<usize, Vec<JsonPath>>,
}

impl Rules {
    fn new(c: &Collection, cli_ignore: &[JsonPath]) -> Self {
        let match_by = c
            .compare
            .match_by
            .iter()
            .map(|(path, key)| (path.value.clone(), key.value.clone()))
            .collect();
        // A collection's snapshot redactions name what varies in its responses, so they apply
        // to every request; a request's own redactions to that request.
        let ignore: Vec<JsonPath> = c
            .compare
            .ignore
            .iter()
            .map(|p| p.value.clone())
            .chain(cli_ignore.iter().cloned())
            .chain(c.snapshot_redact.iter().map(|r| r.path.value.clone()))
            .collect();
        let per_request = c
            .requests
            .iter()
            .filter_map(|r| {
                let own = &r.snapshot.as_ref()?.redact;
                (!own.is_empty()).then(|| {
                    let mut all = ignore.clone();
                    all.extend(own.iter().map(|red| red.path.value.clone()));
                    (r.index, all)
                })
            })
            .collect();
        Self {
            match_by,
            ignore,
            per_request,
        }
    }

    fn options(&self, request_index: usize) -> DiffOptions<'_> {
        DiffOptions {
            match_by: &self.match_by,
            ignore: self
                .per_request
                .get(&request_index)
                .map_or(&self.ignore, |v| v),
        }
    }
}

fn pair(
    collection: Arc<Collection>,
    key: PairKey,
    left: Option<&Arc<RequestResult>>,
    right: Option<&Arc<RequestResult>>,
    left_again: Option<&Arc<RequestResult>>,
    rules: &Rules,
) -> Pair {
    let (_, row, request_index) = key;
    let mut pair = Pair {
        collection,
        request_index,
        row,
        left_status: left.and_then(|r| r.status),
        right_status: right.and_then(|r| r.status),
        verdict: Verdict::Identical,
        differences: Vec::new(),
        noise: Vec::new(),
        warnings: Vec::new(),
    };
    let (Some(left), Some(right)) = (left, right) else {
        // Both sides run the same plan, so this only happens when a side stopped early.
        let side = if left.is_none() { "left" } else { "right" };
        pair.verdict = Verdict::Failed {
            message: format!("{side}: no result"),
            error_kind: Some(ErrorKind::Network),
        };
        return pair;
    };
    if let Some(reason) = skipped(left, right) {
        pair.verdict = Verdict::Skipped(reason);
        return pair;
    }
    if let Some(verdict) = failed(left, right) {
        pair.verdict = verdict;
        return pair;
    }
    let options = rules.options(request_index);
    let compared = compare_responses(left, right, &options).and_then(|found| {
        let noise = left_again
            .filter(|again| again.status.is_some())
            .map(|again| compare_responses(left, again, &options))
            .transpose()?;
        Ok((found, noise.map(|n| n.differences).unwrap_or_default()))
    });
    // A `match_by` or ignore query past the JSONPath node budget: the pair could not be
    // compared, and says why (docs/compare.md).
    let (found, noise) = match compared {
        Ok(compared) => compared,
        Err(e) => {
            pair.verdict = Verdict::Failed {
                message: e.to_string(),
                error_kind: None,
            };
            return pair;
        }
    };
    pair.warnings = found.warnings;
    pair.differences = found
        .differences
        .into_iter()
        .filter(|d| !noise.iter().any(|n| covers(n, d)))
        .collect();
    for n in noise {
        if !pair.noise.contains(&n.path) {
            pair.noise.push(n.path);
        }
    }
    if !pair.differences.is_empty() {
        pair.verdict = Verdict::Different;
    }
    pair
}

/// Why a pair is skipped: its request was skipped on either side.
fn skipped(left: &RequestResult, right: &RequestResult) -> Option<String> {
    let reason = |r: &RequestResult| {
        r.skip_reason
            .clone()
            .unwrap_or_else(|| "skipped".to_owned())
    };
    match (
        left.outcome == Outcome::Skipped,
        right.outcome == Outcome::Skipped,
    ) {
        (true, true) if left.skip_reason == right.skip_reason => Some(reason(left)),
        (true, true) => Some(format!("left: {}; right: {}", reason(left), reason(right))),
        (true, false) => Some(format!("left: {}", reason(left))),
        (false, true) => Some(format!("right: {}", reason(right))),
        (false, false) => None,
    }
}

/// A side without a response to compare.
fn failed(left: &RequestResult, right: &RequestResult) -> Option<Verdict> {
    let why = |side: &str, r: &RequestResult| {
        r.status
            .is_none()
            .then(|| format!("{side}: {}", r.error.as_deref().unwrap_or("no response")))
    };
    let messages: Vec<String> = [why("left", left), why("right", right)]
        .into_iter()
        .flatten()
        .collect();
    if messages.is_empty() {
        return None;
    }
    Some(Verdict::Failed {
        message: messages.join("; "),
        error_kind: left.error_kind.or(right.error_kind),
    })
}

/// Whether the noise difference `noise` accounts for `d`: a status for a status, otherwise
/// the same location or one under it.
fn covers(noise: &Difference, d: &Difference) -> bool {
    match (noise.kind == DiffKind::Status, d.kind == DiffKind::Status) {
        (true, true) => true,
        (false, false) => {
            d.path == noise.path
                || d.path
                    .strip_prefix(noise.path.as_str())
                    .is_some_and(|rest| rest.starts_with('['))
        }
        _ => false,
    }
}

/// The status and body differences of two responses.
fn compare_responses(
    left: &RequestResult,
    right: &RequestResult,
    options: &DiffOptions<'_>,
) -> Result<diff::DiffReport, courier_core::jsonpath::EvalError> {
    let mut report = diff::DiffReport::default();
    if let (Some(l), Some(r)) = (left.status, right.status) {
        report.differences.extend(diff::diff_status(l, r));
    }
    let l = Body::read(left.body.as_deref());
    let r = Body::read(right.body.as_deref());
    let body = match (&l, &r) {
        (Body::Json(l), Body::Json(r)) => diff::diff(l, r, options)?,
        (Body::Text(l), Body::Text(r)) => diff::DiffReport {
            differences: (l != r)
                .then(|| {
                    whole(
                        DiffKind::Changed,
                        Body::Text(l.clone()),
                        Body::Text(r.clone()),
                    )
                })
                .into_iter()
                .collect(),
            warnings: Vec::new(),
        },
        _ => diff::DiffReport {
            differences: vec![whole(DiffKind::TypeChanged, l.clone(), r.clone())],
            warnings: Vec::new(),
        },
    };
    report.differences.extend(body.differences);
    report.warnings.extend(body.warnings);
    Ok(report)
}

/// A difference of the whole body.
fn whole(kind: DiffKind, left: Body, right: Body) -> Difference {
    Difference {
        path: "$".to_owned(),
        kind,
        left: Some(left.into_value()),
        right: Some(right.into_value()),
    }
}

/// A response body as compare sees it.
#[derive(Debug, Clone)]
enum Body {
    Json(Value),
    /// Empty or not JSON: compared as text (invalid UTF-8 replaced).
    Text(String),
}

impl Body {
    fn read(bytes: Option<&[u8]>) -> Self {
        let bytes = bytes.unwrap_or_default();
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Self::Text(String::from_utf8_lossy(bytes).into_owned());
        }
        serde_json::from_slice(bytes).map_or_else(
            |_| Self::Text(String::from_utf8_lossy(bytes).into_owned()),
            Self::Json,
        )
    }

    fn into_value(self) -> Value {
        match self {
            Self::Json(v) => v,
            Self::Text(t) => Value::String(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use courier_core::diag::SourceFile;

    fn collection(extra: &str) -> Arc<Collection> {
        let text = format!(
            "name: C\n{extra}requests:\n  - name: one\n    url: http://x/1\n  - name: two\n    url: http://x/2\n"
        );
        let file = SourceFile::new("c.yaml", text);
        Arc::new(courier_core::load::parse_collection(&file).expect("a valid collection"))
    }

    fn result(
        c: &Arc<Collection>,
        index: usize,
        status: Option<u16>,
        body: &str,
    ) -> Arc<RequestResult> {
        Arc::new(RequestResult {
            collection_id: 0,
            collection: Arc::clone(c),
            request_index: index,
            row: None,
            page: None,
            poll_attempts: None,
            outcome: if status.is_some() {
                Outcome::Passed
            } else {
                Outcome::Skipped
            },
            skip_reason: status.is_none().then(|| "skip: true".to_owned()),
            status,
            duration: None,
            assertions: Vec::new(),
            captures: Vec::new(),
            snapshot: None,
            error: None,
            error_kind: None,
            exchange: None,
            body: Some(body.to_owned().into_bytes().into()),
            attempts: u32::from(status.is_some()),
            started: None,
        })
    }

    fn side(results: Vec<Arc<RequestResult>>) -> SideResults {
        let mut side = SideResults::new();
        for r in results {
            record(&mut side, r);
        }
        side
    }

    #[test]
    fn statuses_and_bodies_are_diffed_and_identical_pairs_count_as_such() {
        let c = collection("");
        let left = side(vec![
            result(&c, 0, Some(200), r#"{"a": 1, "b": [1, 2]}"#),
            result(&c, 1, Some(200), r#"{"a": 1.0}"#),
        ]);
        let right = side(vec![
            result(&c, 0, Some(404), r#"{"a": 2, "b": [1, 2]}"#),
            result(&c, 1, Some(200), r#"{"a": 1}"#),
        ]);
        let pairs = build(&left, &right, None, &[]);
        assert_eq!(pairs.len(), 2);
        let paths: Vec<(&str, DiffKind)> = pairs[0]
            .differences
            .iter()
            .map(|d| (d.path.as_str(), d.kind))
            .collect();
        assert_eq!(
            paths,
            [("$", DiffKind::Status), ("$['a']", DiffKind::Changed)]
        );
        assert_eq!(pairs[0].verdict, Verdict::Different);
        assert_eq!(
            pairs[1].verdict,
            Verdict::Identical,
            "numbers compare by value"
        );
        let counts = count(&pairs);
        assert_eq!(
            (counts.identical, counts.different, counts.skipped),
            (1, 1, 0)
        );
    }

    #[test]
    fn a_pair_is_skipped_when_either_side_skipped_its_request() {
        let c = collection("");
        let left = side(vec![result(&c, 0, None, "")]);
        let right = side(vec![result(&c, 0, Some(200), "{}")]);
        let pairs = build(&left, &right, None, &[]);
        assert_eq!(
            pairs[0].verdict,
            Verdict::Skipped("left: skip: true".to_owned())
        );
        assert!(pairs[0].differences.is_empty());
    }

    #[test]
    fn text_bodies_compare_as_text() {
        let c = collection("");
        let left = side(vec![
            result(&c, 0, Some(200), "hello"),
            result(&c, 1, Some(204), ""),
        ]);
        let right = side(vec![
            result(&c, 0, Some(200), "hullo"),
            result(&c, 1, Some(200), "{}"),
        ]);
        let pairs = build(&left, &right, None, &[]);
        assert_eq!(pairs[0].differences.len(), 1);
        assert_eq!(pairs[0].differences[0].kind, DiffKind::Changed);
        assert_eq!(pairs[0].differences[0].left, Some(Value::from("hello")));
        let kinds: Vec<DiffKind> = pairs[1].differences.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, [DiffKind::Status, DiffKind::TypeChanged]);
    }

    #[test]
    fn collection_ignores_cli_ignores_and_redactions_apply_after_pairing() {
        let c = collection(
            "snapshot:\n  redact: { \"$..audit\": \"[audit]\" }\ncompare:\n  ignore: [\"$..supportId\"]\n  match_by: { \"$.items\": id }\n",
        );
        let left = side(vec![result(
            &c,
            0,
            Some(200),
            r#"{"supportId": "a", "audit": 1, "when": 1, "items": [{"id": "x", "n": 1}, {"id": "y", "n": 2}]}"#,
        )]);
        let right = side(vec![result(
            &c,
            0,
            Some(200),
            r#"{"supportId": "b", "audit": 2, "when": 2, "items": [{"id": "y", "n": 3}, {"id": "x", "n": 1}]}"#,
        )]);
        let cli = [JsonPath::compile("$.when").expect("valid")];
        let pairs = build(&left, &right, None, &cli);
        let paths: Vec<&str> = pairs[0]
            .differences
            .iter()
            .map(|d| d.path.as_str())
            .collect();
        assert_eq!(paths, ["$['items'][?@['id']=='y']['n']"]);
    }

    #[test]
    fn noise_between_the_left_runs_is_set_aside() {
        let c = collection("");
        let left = side(vec![result(
            &c,
            0,
            Some(404),
            r#"{"e": {"supportId": "1", "m": "a"}}"#,
        )]);
        let again = side(vec![result(
            &c,
            0,
            Some(404),
            r#"{"e": {"supportId": "2", "m": "a"}}"#,
        )]);
        let right = side(vec![result(
            &c,
            0,
            Some(404),
            r#"{"e": {"supportId": "3", "m": "b"}}"#,
        )]);
        let pairs = build(&left, &right, Some(&again), &[]);
        assert_eq!(pairs[0].noise, ["$['e']['supportId']"]);
        let paths: Vec<&str> = pairs[0]
            .differences
            .iter()
            .map(|d| d.path.as_str())
            .collect();
        assert_eq!(paths, ["$['e']['m']"]);
    }

    #[test]
    fn noise_covers_its_location_and_below_but_not_siblings_or_statuses() {
        let d = |path: &str, kind| Difference {
            path: path.to_owned(),
            kind,
            left: None,
            right: None,
        };
        let noise = d("$['a']", DiffKind::Changed);
        assert!(covers(&noise, &d("$['a']", DiffKind::Changed)));
        assert!(covers(&noise, &d("$['a']['b']", DiffKind::Added)));
        assert!(covers(&noise, &d("$['a'][0]", DiffKind::Removed)));
        assert!(!covers(&noise, &d("$['ab']", DiffKind::Changed)));
        assert!(!covers(&noise, &d("$", DiffKind::Status)));
        assert!(covers(&d("$", DiffKind::Status), &d("$", DiffKind::Status)));
        assert!(!covers(
            &d("$", DiffKind::Status),
            &d("$['a']", DiffKind::Changed)
        ));
    }
}
