//! The regexes of `matches`: checked when a collection loads, compiled when first matched.
//!
//! Loading parses a pattern (every syntax error is a load error with the pattern's span) and
//! bounds the size of the program it compiles to. Compiling a Unicode pattern such as `\d{4}`
//! costs more than loading the request around it, and `courier validate` never matches, so a
//! pattern whose bound is well inside the regex engine's size limit is compiled the first time
//! a response is matched against it; a larger one is compiled at load, so that "too big" is
//! still a load error and never a surprise after requests were sent (docs/collections.md#regexes).

use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};

use crate::shared::Shared;

/// A `matches` pattern, as written and, once matched, compiled. Clones share one program.
#[derive(Debug, Clone)]
pub struct Pattern(Arc<Checked>);

#[derive(Debug)]
struct Checked {
    source: String,
    compiled: OnceLock<Result<regex::Regex, String>>,
}

/// Why a pattern cannot be used; the text is the regex engine's own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// Not a regex.
    #[error("{0}")]
    Syntax(String),
    /// A regex whose compiled program is over the engine's size limit.
    #[error("{0}")]
    TooBig(String),
}

/// Patterns whose [`size_bound`] is below this are compiled at first use. The regex engine
/// refuses programs over 10 MiB; measured over Unicode classes, byte classes, literals,
/// nested repetitions and alternations, no pattern took more than 33 bytes per unit of the
/// bound at that limit, so this bound leaves a margin of about nine (the property test in
/// `tests` holds a margin of five).
const COMPILE_LATER_BELOW: u64 = 1 << 15;

/// Checked patterns by text (see [`crate::shared`]): a file that repeats `^[0-9]+$` in every
/// request, or ten thousand files that each have it, check it once and share one program.
static PATTERNS: LazyLock<Mutex<Shared<Checked>>> = LazyLock::new(Mutex::default);

impl Pattern {
    /// Checks `source` and, when its compiled size might come near the engine's limit,
    /// compiles it now. The error is the engine's own message.
    pub fn new(source: &str) -> Result<Self, PatternError> {
        // A poisoned lock only means a thread panicked mid-insert: the map is still sound.
        let mut kept = PATTERNS.lock().unwrap_or_else(PoisonError::into_inner);
        kept.get_or_compile(source, Checked::new).map(Self)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0.source
    }

    /// Whether `text` matches anywhere. Errs only if the engine refuses a pattern that the
    /// bound let through, with its message.
    pub fn is_match(&self, text: &str) -> Result<bool, String> {
        let compiled = self
            .0
            .compiled
            .get_or_init(|| regex::Regex::new(&self.0.source).map_err(|e| e.to_string()));
        match compiled {
            Ok(re) => Ok(re.is_match(text)),
            Err(e) => Err(format!("the regex `{}` cannot be used: {e}", self.0.source)),
        }
    }
}

impl Checked {
    fn new(source: &str) -> Result<Self, PatternError> {
        let hir = regex_syntax::Parser::new()
            .parse(source)
            .map_err(|e| PatternError::Syntax(e.to_string()))?;
        let compiled = OnceLock::new();
        if size_bound(&hir) >= COMPILE_LATER_BELOW {
            let re = regex::Regex::new(source).map_err(|e| match e {
                regex::Error::CompiledTooBig(_) => PatternError::TooBig(e.to_string()),
                _ => PatternError::Syntax(e.to_string()),
            })?;
            let _ = compiled.set(Ok(re));
        }
        Ok(Self {
            source: source.to_owned(),
            compiled,
        })
    }
}

/// An upper bound, in units of about one compiled state, on the program `hir` compiles to:
/// a class counts the UTF-8 byte ranges it becomes, a repetition its copies (`x{2,5}` is five
/// copies of `x`, `x{2,}` three) with two more each, and every node one more.
fn size_bound(hir: &regex_syntax::hir::Hir) -> u64 {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 1,
        HirKind::Literal(l) => 1 + l.0.len() as u64,
        HirKind::Class(Class::Unicode(c)) => {
            1 + c
                .ranges()
                .iter()
                .flat_map(|r| regex_syntax::utf8::Utf8Sequences::new(r.start(), r.end()))
                .map(|seq| seq.as_slice().len() as u64)
                .sum::<u64>()
        }
        HirKind::Class(Class::Bytes(c)) => 1 + c.ranges().len() as u64,
        HirKind::Repetition(r) => {
            let copies = r.max.unwrap_or(r.min.saturating_add(1)).max(1);
            // Each copy may add a split around it, nested repetitions more: two per copy.
            2 + size_bound(&r.sub)
                .saturating_add(2)
                .saturating_mul(u64::from(copies))
        }
        HirKind::Capture(c) => 2 + size_bound(&c.sub),
        HirKind::Concat(all) | HirKind::Alternation(all) => all
            .iter()
            .fold(1, |sum, h| sum.saturating_add(size_bound(h))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bound(p: &str) -> u64 {
        size_bound(&regex_syntax::Parser::new().parse(p).unwrap())
    }

    #[test]
    fn small_patterns_wait_for_their_first_match() {
        // A pattern no other test uses: a kept one may have been matched already.
        let p = Pattern::new(r"^\d{4}-\d{2}-\d{2}T").unwrap();
        assert!(p.0.compiled.get().is_none(), "not compiled at load");
        let again = Pattern::new(r"^\d{4}-\d{2}-\d{2}T").unwrap();
        assert_eq!(p.is_match("2026-12-07T10:00:00Z"), Ok(true));
        assert_eq!(p.is_match("07/12/2026"), Ok(false));
        assert!(
            again.0.compiled.get().is_some(),
            "the same text shares one program"
        );
        assert_eq!(p.as_str(), r"^\d{4}-\d{2}-\d{2}T");
    }

    #[test]
    fn syntax_errors_are_load_errors() {
        let Err(PatternError::Syntax(e)) = Pattern::new("^(open") else {
            panic!("a syntax error");
        };
        assert!(e.contains("unclosed group"), "{e}");
        let Err(PatternError::Syntax(e)) = Pattern::new(r"\p{Nope}") else {
            panic!("a syntax error");
        };
        assert!(e.contains("Unicode property not found"), "{e}");
    }

    #[test]
    fn a_pattern_too_big_to_compile_is_a_load_error() {
        // 400 copies of `\w` is past the engine's 10 MiB limit.
        let Err(PatternError::TooBig(e)) = Pattern::new(r"\w{400}") else {
            panic!("too big");
        };
        assert!(e.contains("exceeds size limit"), "{e}");
        // Large but within the limit: compiled at load, and it works.
        let p = Pattern::new(r"\w{50}").unwrap();
        assert!(p.0.compiled.get().is_some());
        assert_eq!(p.is_match(&"é".repeat(50)), Ok(true));
    }

    #[test]
    fn the_bound_grows_with_what_compiles_big() {
        assert!(bound(r"\w") > 100 * bound("[a-z]"));
        assert!(bound(r"\d{4}") > 3 * bound(r"\d"));
        assert!(bound(r"(?:ab){2,5}") >= 5 * bound("ab"));
        assert!(bound(r"\w{1000}{1000}") >= COMPILE_LATER_BELOW);
    }

    /// Pieces whose compiled size per unit of the bound differs most: Unicode classes (many
    /// ranges, multi-byte), any-character, case folding, byte classes, literals, captures.
    const ATOMS: &[&str] = &[
        r"\w",
        r"\W",
        r"\d",
        r"\s",
        r"\pL",
        r"\p{Greek}",
        ".",
        "(?s:.)",
        r#"[^"]"#,
        "[a-z]",
        "(?i)[a-z]",
        "(?i)k",
        r"(?-u:\w)",
        r"[\x{80}-\x{10FFFF}]",
        "x",
        "ab",
        "(a)",
        r"\b",
        "^",
    ];

    fn pattern() -> impl Strategy<Value = String> {
        let atom = proptest::sample::select(ATOMS).prop_map(|a| format!("(?:{a})"));
        atom.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                (inner.clone(), 0u32..300, 0u32..3).prop_map(|(p, n, kind)| match kind {
                    0 => format!("(?:{p}){{{n}}}"),
                    1 => format!("(?:{p}){{{n},}}"),
                    _ => format!("(?:{p}){{0,{n}}}"),
                }),
                (inner.clone(), prop_oneof![Just("*"), Just("+"), Just("?")])
                    .prop_map(|(p, op)| format!("(?:{p}){op}")),
                proptest::collection::vec(inner.clone(), 2..4).prop_map(|v| v.join("")),
                proptest::collection::vec(inner, 2..4).prop_map(|v| v.join("|")),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// What the bound lets wait always compiles, with room to spare: repeated until its
        /// bound is five times the threshold, it still does.
        #[test]
        fn what_waits_compiles(p in pattern()) {
            let Ok(hir) = regex_syntax::Parser::new().parse(&p) else { return Ok(()) };
            let bound = size_bound(&hir);
            if bound < COMPILE_LATER_BELOW {
                let times = 5 * COMPILE_LATER_BELOW / bound;
                let scaled = format!("(?:{p}){{{times}}}");
                prop_assert!(regex::Regex::new(&scaled).is_ok(), "{scaled}");
            }
        }
    }
}
