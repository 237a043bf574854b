//! The redactor's search structure: Aho-Corasick matchers built in levels, so that adding a
//! secret never rebuilds the matcher of every secret known before it.
//!
//! Each added secret becomes a level of its own; two neighbouring levels are merged (one
//! rebuild) when the newer holds at least as many secrets as the older, as in a binary
//! counter. Every secret is so rebuilt at most log₂(n) times over n adds, and a text is
//! searched by at most log₂(n) + 1 matchers. A pattern longer than [`PATTERN_CAP`] bytes is
//! searched for by its first [`PATTERN_CAP`] bytes only, and a match is then extended over as
//! much of the whole form as the text holds: what one secret costs to build is capped
//! whatever its length.

use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// The longest needle given to a matcher for one form of a secret.
pub(super) const PATTERN_CAP: usize = 256;

/// One form of a secret: the needle searched for, and the whole form when the needle is only
/// its start.
#[derive(Clone)]
pub(super) struct Pattern {
    needle: Box<str>,
    whole: Option<Arc<str>>,
}

impl Pattern {
    pub(super) fn new(form: String) -> Self {
        if form.len() <= PATTERN_CAP {
            return Self {
                needle: form.into_boxed_str(),
                whole: None,
            };
        }
        let mut end = PATTERN_CAP;
        while !form.is_char_boundary(end) {
            end -= 1;
        }
        Self {
            needle: form[..end].into(),
            whole: Some(form.into()),
        }
    }
}

/// A built matcher and the patterns (of `secrets` secrets) it was built from.
struct Level {
    secrets: usize,
    patterns: Arc<[Pattern]>,
    matcher: Option<Arc<AhoCorasick>>,
    /// Built with the builder's own choice of kind rather than as a contiguous NFA.
    fast: bool,
}

/// A matcher of `patterns`. A new level is built as a contiguous NFA: the DFA the builder
/// picks for a few patterns costs about 12 million instructions for one bearer token's forms
/// (milliseconds, on the path of a run's first requests and of every new token), the NFA a
/// small part of that; [`Levels::promote`] builds the DFA once searching has repaid it.
fn build(
    work: &mut BuildWork,
    patterns: &[Pattern],
    kind: Option<AhoCorasickKind>,
) -> Option<Arc<AhoCorasick>> {
    work.builds += 1;
    work.needle_bytes += patterns.iter().map(|p| p.needle.len()).sum::<usize>();
    AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(kind)
        .build(patterns.iter().map(|p| p.needle.as_bytes()))
        .ok()
        .map(Arc::new)
}

/// Counters of the work done building matchers, for tests that pin the cost of adding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuildWork {
    /// Matchers built.
    pub builds: usize,
    /// Needle bytes given to the matcher builder, summed over every build.
    pub needle_bytes: usize,
}

/// The levels, oldest (largest) first.
#[derive(Default)]
pub(super) struct Levels {
    levels: Vec<Level>,
    work: BuildWork,
}

/// A matcher and the patterns its pattern ids index, shared with a search in progress.
#[derive(Clone)]
pub(super) struct Searcher {
    matcher: Arc<AhoCorasick>,
    patterns: Arc<[Pattern]>,
}

impl Levels {
    /// Adds one secret's patterns, merging levels as a binary counter does.
    pub(super) fn push(&mut self, patterns: Vec<Pattern>) {
        let mut secrets = 1;
        let mut merged = patterns;
        while let Some(last) = self.levels.last() {
            if last.secrets > secrets {
                break;
            }
            let Some(older) = self.levels.pop() else {
                break;
            };
            let mut all = older.patterns.to_vec();
            all.append(&mut merged);
            merged = all;
            secrets += older.secrets;
        }
        let matcher = build(
            &mut self.work,
            &merged,
            Some(AhoCorasickKind::ContiguousNFA),
        );
        self.levels.push(Level {
            secrets,
            patterns: merged.into(),
            matcher,
            fast: false,
        });
    }

    /// Rebuilds the levels built as a contiguous NFA with the kind the builder picks (a DFA for
    /// a few secrets' forms), which searches about twice as fast; `false` when every level is
    /// already so built. A run calls this once it has searched enough text for the faster
    /// search to repay the build (`Secrets`).
    pub(super) fn promote(&mut self) -> bool {
        let mut changed = false;
        for level in self.levels.iter_mut().filter(|l| !l.fast) {
            level.matcher = build(&mut self.work, &level.patterns, None);
            level.fast = true;
            changed = true;
        }
        changed
    }

    pub(super) fn work(&self) -> BuildWork {
        self.work
    }

    pub(super) fn searchers(&self) -> Vec<Searcher> {
        self.levels
            .iter()
            .filter_map(|l| {
                Some(Searcher {
                    matcher: Arc::clone(l.matcher.as_ref()?),
                    patterns: Arc::clone(&l.patterns),
                })
            })
            .collect()
    }
}

/// Whether `text` holds any form of any secret.
pub(super) fn any(searchers: &[Searcher], text: &str) -> bool {
    searchers.iter().any(|s| s.matcher.is_match(text))
}

/// The byte ranges of `text` that hold a form of a secret, sorted and merged where they
/// overlap. Overlapping matches are all found, so two secrets that share characters are both
/// hidden whole.
pub(super) fn spans(searchers: &[Searcher], text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    for s in searchers {
        for m in s.matcher.find_overlapping_iter(text) {
            let pattern = &s.patterns[m.pattern().as_usize()];
            let end = match &pattern.whole {
                None => m.end(),
                Some(whole) => {
                    let mut end =
                        m.start() + common_prefix(&text.as_bytes()[m.start()..], whole.as_bytes());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    end
                }
            };
            spans.push((m.start(), end));
        }
    }
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start < last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// The length of the common prefix of `a` and `b`, compared a block at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}
