//! Which requests a run takes: `-k` filters and `--tag`s ([`Selection`]), and `--shard K/N`
//! ([`Shard`], [`shard_files`]) which splits the collection files by an FNV-1a hash of their
//! path. [`super::Plan::build`] applies both; nothing else decides what runs.

use std::path::PathBuf;

use crate::diag::display_path;
use crate::model::{Collection, Request};

/// The selection (docs/cli.md#selecting-requests): `-k` (case-insensitive substring of `collection / request`,
/// repeats OR'd) and `--tag` (positive tags OR'd, `!tag` exclusions AND'd; request tags and
/// their collection's); both must match.
#[derive(Debug, Default, Clone)]
pub struct Selection {
    pub filters: Vec<String>,
    pub include_tags: Vec<String>,
    pub exclude_tags: Vec<String>,
}

impl Selection {
    pub fn new(filters: &[String], tags: &[String]) -> Self {
        let mut s = Self {
            filters: filters.iter().map(|f| f.to_lowercase()).collect(),
            ..Self::default()
        };
        for t in tags {
            match t.strip_prefix('!') {
                Some(ex) => s.exclude_tags.push(ex.to_owned()),
                None => s.include_tags.push(t.clone()),
            }
        }
        s
    }

    pub fn selects(&self, c: &Collection, r: &Request) -> bool {
        self.name_matches(c, r, "") && self.tags_match(c, r)
    }

    /// Whether the request may run, judged before data files are read: its tags match and `-k`
    /// matches its name, or could match one of its `[row N]` / `[page N]` results (a filter
    /// that names such a suffix matches when the name matches what comes before it). The plan
    /// then decides row by row and page by page ([`Self::rows`], [`Self::by_page_only`]).
    pub fn may_select(&self, c: &Collection, r: &Request) -> bool {
        if !self.tags_match(c, r) {
            return false;
        }
        if self.name_matches(c, r, "") {
            return true;
        }
        let full = format!("{} / {}", c.name.value, r.name.value).to_lowercase();
        self.filters.iter().any(|f| {
            ["[row ", "[page "].iter().any(|suffix| {
                f.find(suffix).is_some_and(|at| {
                    let before = f[..at].trim_end();
                    !before.is_empty() && full.contains(before)
                })
            })
        })
    }

    /// Which of `rows` data rows `-k` picks for a request whose tags match: `None` when the
    /// name alone matches (every row), else the rows whose `name [row N]` matches (row N is
    /// element N-1). An empty `Vec` means no row.
    pub fn rows(&self, c: &Collection, r: &Request, rows: usize) -> Option<Vec<bool>> {
        if self.name_matches(c, r, "") {
            return None;
        }
        Some(
            (1..=rows)
                .map(|n| {
                    let row = format!(" [row {n}]");
                    self.name_matches(c, r, &row) || self.some_page_matches(c, r, &row)
                })
                .collect(),
        )
    }

    /// Whether `-k` reaches a `repeat` request only through the `[page N]` suffix of its
    /// results: then every page is sent, and only the matching ones are reported.
    pub fn by_page_only(&self, c: &Collection, r: &Request, rows: usize) -> bool {
        if r.repeat.is_none() || self.name_matches(c, r, "") {
            return false;
        }
        if rows == 0 {
            return self.some_page_matches(c, r, "");
        }
        let by_row = (1..=rows).any(|n| self.name_matches(c, r, &format!(" [row {n}]")));
        !by_row && (1..=rows).any(|n| self.some_page_matches(c, r, &format!(" [row {n}]")))
    }

    /// Some page up to `repeat.max` of a `repeat` request matches `-k`.
    fn some_page_matches(&self, c: &Collection, r: &Request, row: &str) -> bool {
        r.repeat.as_deref().is_some_and(|repeat| {
            (1..=repeat.max).any(|n| self.name_matches(c, r, &format!("{row} [page {n}]")))
        })
    }

    /// `-k`: some filter is a substring of `collection / request{suffix}`, or there is none.
    pub fn name_matches(&self, c: &Collection, r: &Request, suffix: &str) -> bool {
        if self.filters.is_empty() {
            return true;
        }
        let full = format!("{} / {}{suffix}", c.name.value, r.name.value).to_lowercase();
        self.filters.iter().any(|f| full.contains(f))
    }

    /// `--tag`: request tags and their collection's.
    pub fn tags_match(&self, c: &Collection, r: &Request) -> bool {
        let has = |tag: &str| r.tags.iter().chain(c.tags.iter()).any(|t| t.value == tag);
        if !self.include_tags.is_empty() && !self.include_tags.iter().any(|t| has(t)) {
            return false;
        }
        !self.exclude_tags.iter().any(|t| has(t))
    }
}

/// What a selection that matched no request in any file says (docs/cli.md#selecting-requests):
/// what was asked, what the collections hold, and the near miss of a mistyped tag or `-k`.
pub fn empty_selection(
    collections: &[std::sync::Arc<Collection>],
    selection: &Selection,
) -> crate::diag::Diagnostic {
    use std::collections::BTreeSet;
    let mut asked: Vec<String> = selection
        .filters
        .iter()
        .map(|f| format!("-k '{f}'"))
        .collect();
    asked.extend(selection.include_tags.iter().map(|t| format!("--tag {t}")));
    asked.extend(
        selection
            .exclude_tags
            .iter()
            .map(|t| format!("--tag '!{t}'")),
    );
    let requests: usize = collections.iter().map(|c| c.requests.len()).sum();
    let message = if asked.is_empty() {
        format!(
            "no requests to run: the {} collection files hold none",
            collections.len()
        )
    } else {
        format!(
            "no request matches {}: the {} collection files hold {requests} requests",
            asked.join(" "),
            collections.len()
        )
    };
    let tags: BTreeSet<&str> = collections
        .iter()
        .flat_map(|c| {
            c.tags
                .iter()
                .chain(c.requests.iter().flat_map(|r| r.tags.iter()))
                .map(|t| t.value.as_str())
        })
        .collect();
    let mut help = Vec::new();
    for t in selection.include_tags.iter().chain(&selection.exclude_tags) {
        if tags.contains(t.as_str()) {
            continue;
        }
        match crate::diag::did_you_mean(t, tags.iter().copied()) {
            Some(near) => help.push(format!(
                "no request has the tag `{t}`: did you mean `{near}`?"
            )),
            None => help.push(format!("no request has the tag `{t}`")),
        }
    }
    if !selection.include_tags.is_empty() || !selection.exclude_tags.is_empty() {
        let shown: Vec<&str> = tags.iter().copied().collect();
        help.push(if shown.is_empty() {
            "the collections have no tags".to_owned()
        } else {
            format!("the tags in these collections: {}", shown.join(", "))
        });
    }
    if !selection.filters.is_empty() {
        // `-k` matches a part of `collection / request`: names and their words are the near
        // misses worth suggesting.
        let names: BTreeSet<String> = collections
            .iter()
            .flat_map(|c| {
                std::iter::once(c.name.value.to_lowercase())
                    .chain(c.requests.iter().map(|r| r.name.value.to_lowercase()))
            })
            .collect();
        let words: BTreeSet<String> = names
            .iter()
            .flat_map(|n| n.split_whitespace().map(str::to_owned))
            .chain(names.iter().cloned())
            .collect();
        for f in &selection.filters {
            if let Some(near) = crate::diag::did_you_mean(f, words.iter().map(String::as_str)) {
                help.push(format!(
                    "-k '{f}' matches no `collection / request`: did you mean `-k '{near}'`?"
                ));
            }
        }
        help.push("`courier list` shows every collection, request and tag".to_owned());
    }
    help.push("give `--allow-empty` to pass when nothing is selected".to_owned());
    crate::diag::Diagnostic::new(message).with_help(help.join("\n  = help: "))
}

/// FNV-1a 64: a hash that every platform and version computes alike, so a shard holds the
/// same files wherever CI runs it (docs/cli.md#sharding).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// `--shard K/N`: parsed and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub total: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not a shard: write K/N, like 1/4"))?;
        let index: usize = k
            .trim()
            .parse()
            .map_err(|_| format!("`{k}` is not a shard number"))?;
        let total: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("`{n}` is not a shard count"))?;
        if total == 0 || index == 0 || index > total {
            return Err(format!("shard `{s}`: K must be between 1 and N"));
        }
        Ok(Self { index, total })
    }
}

/// The files of shard K of N (docs/cli.md#sharding): each file's path relative to the working directory is
/// hashed with FNV-1a 64; files sorted by (hash, path); shard K takes positions
/// ⌊(K−1)·M/N⌋ up to ⌊K·M/N⌋.
pub fn shard_files(files: &[PathBuf], shard: Shard) -> Vec<PathBuf> {
    let mut keyed: Vec<(u64, String, &PathBuf)> = files
        .iter()
        .map(|p| {
            let rel = display_path(p);
            (fnv1a64(rel.as_bytes()), rel, p)
        })
        .collect();
    keyed.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let m = keyed.len();
    let start = (shard.index - 1) * m / shard.total;
    let end = shard.index * m / shard.total;
    keyed[start..end]
        .iter()
        .map(|(_, _, p)| (*p).clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceFile;
    use crate::load::parse_collection;

    fn collection(text: &str) -> Collection {
        parse_collection(&SourceFile::new("c.yaml", text)).unwrap()
    }

    #[test]
    fn fnv_vectors() {
        assert_eq!(format!("{:016x}", fnv1a64(b"")), "cbf29ce484222325");
        assert_eq!(format!("{:016x}", fnv1a64(b"a")), "af63dc4c8601ec8c");
        assert_eq!(
            format!("{:016x}", fnv1a64(b"collections/vendors.yaml")),
            "e344432660e7022f"
        );
    }

    #[test]
    fn selection_rules() {
        let c = collection(
            "name: Vendors\ntags: [ap]\nrequests:\n  - name: list\n    url: u\n    tags: [smoke]\n  - name: create\n    url: u\n    tags: [slow]\n",
        );
        let s = Selection::new(&["VENDORS / LIST".into()], &[]);
        assert!(s.selects(&c, &c.requests[0]) && !s.selects(&c, &c.requests[1]));
        let s = Selection::new(&[], &["ap".into(), "!slow".into()]);
        assert!(s.selects(&c, &c.requests[0]) && !s.selects(&c, &c.requests[1]));
    }

    #[test]
    fn a_row_or_page_filter_may_select_before_the_data_is_read() {
        let c = collection(
            "name: Rows\nrequests:\n  - name: vendor by key\n    url: u\n    tags: [smoke]\n",
        );
        let r = &c.requests[0];
        let by_row = Selection::new(&["vendor by key [row 2]".into()], &[]);
        assert!(!by_row.selects(&c, r) && by_row.may_select(&c, r));
        let by_page = Selection::new(&["Rows / vendor by key [page 3]".into()], &[]);
        assert!(by_page.may_select(&c, r));
        // What comes before the suffix must still match, and the tags too.
        let other = Selection::new(&["customer [row 2]".into()], &[]);
        assert!(!other.may_select(&c, r));
        let untagged = Selection::new(&["vendor by key [row 2]".into()], &["slow".into()]);
        assert!(!untagged.may_select(&c, r));
    }

    #[test]
    fn shards_partition() {
        let files: Vec<PathBuf> = (0..50)
            .map(|i| PathBuf::from(format!("c/{i}.yaml")))
            .collect();
        for n in 1..=8 {
            let mut all: Vec<PathBuf> = Vec::new();
            let mut sizes = Vec::new();
            for k in 1..=n {
                let s = shard_files(&files, Shard { index: k, total: n });
                sizes.push(s.len());
                all.extend(s);
            }
            all.sort();
            let mut expected = files.clone();
            expected.sort();
            assert_eq!(all, expected);
            assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        }
    }

    /// The stability promise for CI matrices (docs/cli.md#sharding): a new collection file reshuffles little.
    #[test]
    fn adding_a_collection_moves_at_most_n_minus_one_others() {
        let files: Vec<PathBuf> = (0..50)
            .map(|i| PathBuf::from(format!("collections/c{i:02}.yaml")))
            .collect();
        let shard_of = |files: &[PathBuf], n: usize| -> std::collections::HashMap<PathBuf, usize> {
            (1..=n)
                .flat_map(|k| {
                    shard_files(files, Shard { index: k, total: n })
                        .into_iter()
                        .map(move |f| (f, k))
                })
                .collect()
        };
        for n in 1..=8 {
            let before = shard_of(&files, n);
            // Many different newcomers, so the new file lands at every position of the order.
            for extra in 0..40 {
                let mut grown = files.clone();
                grown.push(PathBuf::from(format!("collections/new/n{extra}.yaml")));
                let after = shard_of(&grown, n);
                let moved = files.iter().filter(|f| before[*f] != after[*f]).count();
                assert!(
                    moved < n,
                    "N = {n}, adding n{extra}.yaml moved {moved} collections"
                );
            }
        }
    }
}
