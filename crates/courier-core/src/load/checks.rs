//! The checks of a collection that look across requests or at what will be sent: unique
//! request names, snapshot file names (unique and short enough), literal URLs that can be
//! sent, and header values that are one line.

use std::collections::HashMap;
use std::sync::Arc;

use crate::diag::{Diagnostic, SourceFile};
use crate::model::{Collection, Request};

use super::reader::Cx;

pub(super) fn check_unique_names(requests: &[Request], cx: &mut Cx<'_>) {
    // A map, not a scan of the earlier requests: a 10,000-request file would otherwise cost
    // 50 million comparisons.
    let mut first_of: HashMap<&str, &Request> = HashMap::with_capacity(requests.len());
    for r in requests {
        if let Some(first) = first_of.get(r.name.value.as_str()) {
            cx.error_help(
                r.name.span,
                format!("duplicate request name `{}` (first at line {})", r.name.value, first.name.span.start.line),
                "request names are unique in a collection: captures, reports and snapshots refer to them",
            );
        } else {
            first_of.insert(&r.name.value, r);
        }
    }
}

pub(super) fn check_slugs(requests: &[Request], cx: &mut Cx<'_>) {
    let with_snapshots: Vec<&Request> = requests.iter().filter(|r| r.snapshot.is_some()).collect();
    for (i, r) in with_snapshots.iter().enumerate() {
        let slug = r.slug();
        let longest = longest_snapshot_name(cx.file.path(), &slug, r);
        if longest > MAX_FILE_NAME {
            cx.error_help(
                r.name.span,
                format!(
                    "the request name `{}` is too long for a snapshot file name: with the collection's file name and suffixes it can reach {longest} bytes, over the {MAX_FILE_NAME}-byte limit of file names",
                    r.name.value
                ),
                format!(
                    "shorten the request name (its snapshot name `{}…` has {} characters)",
                    slug.chars().take(24).collect::<String>(),
                    slug.len()
                ),
            );
            continue;
        }
        if slug.is_empty() {
            cx.error_help(
                r.name.span,
                format!(
                    "the request name `{}` gives an empty snapshot file name",
                    r.name.value
                ),
                "a snapshot's file name is made of the letters and digits of the request name",
            );
            continue;
        }
        if let Some(other) = with_snapshots[..i]
            .iter()
            .find(|o| o.slug() == slug && o.name.value != r.name.value)
        {
            cx.error_help(
                r.name.span,
                format!(
                    "the snapshot name `{slug}` of `{}` collides with that of `{}` (line {})",
                    r.name.value, other.name.value, other.name.span.start.line
                ),
                "rename one of the requests: snapshot files are named after the request name in lower case with other characters as `-`",
            );
        }
    }
}

/// The longest file name most file systems accept, in bytes.
const MAX_FILE_NAME: usize = 255;

/// The longest name a snapshot file of `r` can get: `{stem}__{slug}@row-N@{env}.snap.new`,
/// with room for a ten-digit row number and, for a snapshot kept per environment, a 64-byte
/// environment name.
fn longest_snapshot_name(file: &std::path::Path, slug: &str, r: &Request) -> usize {
    let stem = file.file_stem().map_or(0, std::ffi::OsStr::len);
    let per_env = r.snapshot.as_ref().is_some_and(|s| s.per_env);
    stem + "__".len()
        + slug.len()
        + "@row-".len()
        + 10
        + if per_env { 1 + 64 } else { 0 }
        + ".snap.new".len()
}

/// The checks of a collection file that concern what is sent rather than the file's syntax:
/// a `url:` without templates must be an absolute `http` or `https` URL, caught by `validate`
/// rather than by `run` once other requests have been sent. [`super::load_collection`] runs
/// them; [`super::parse_collection`] alone, used on snippets, does not.
pub(crate) fn check_sendable(collection: &Collection, file: &Arc<SourceFile>) -> Vec<Diagnostic> {
    let mut cx = Cx::new(file);
    for r in &collection.requests {
        literal_url_ok(&r.url, &mut cx);
    }
    cx.diags
}

fn literal_url_ok(url: &crate::model::STemplate, cx: &mut Cx<'_>) -> bool {
    if !url.value.is_literal() {
        return true;
    }
    let text = url.value.source();
    let span = cx.content_span(url.span);
    match url::Url::parse(text) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => true,
        Ok(parsed) => {
            cx.error_help(
                span,
                format!(
                    "`{text}` is not an http or https URL (its scheme is `{}`)",
                    parsed.scheme()
                ),
                "write the whole URL, such as `https://api.example.com/v1/items`",
            );
            false
        }
        Err(e) => {
            cx.error_help(
                span,
                format!("`{text}` is not a valid URL: {e}"),
                "write the whole URL, such as `https://api.example.com/v1/items`, or build it from a variable: `{{ base_url }}/items`",
            );
            false
        }
    }
}

/// What HTTP allows in a header value: visible characters, spaces and tabs (no CR, LF, NUL or
/// other controls).
pub(super) fn is_header_value(s: &str) -> bool {
    s.chars().all(|c| c == '\t' || !c.is_control())
}
