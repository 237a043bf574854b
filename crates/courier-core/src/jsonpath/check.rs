//! The static checks that RFC 9535 asks of a query and that the engine's parser leaves out:
//! function extensions must be known and well-typed (§2.4.3). jsonpath-rust accepts, for
//! example, `$[?length(@.*)<3]` (a node list where a value is required) and evaluates it to
//! something; the RFC says such a query is invalid, so we refuse it at load time.

use jsonpath_rust::parser::model::{
    Comparable, Filter, FilterAtom, FnArg, JpQuery, Segment, Selector, Test, TestFunction,
};

/// The declared result type of a function extension (RFC 9535 §2.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FnType {
    Value,
    Logical,
    Nodes,
}

impl FnType {
    fn describe(self) -> &'static str {
        match self {
            FnType::Value => "a value",
            FnType::Logical => "a logical result",
            FnType::Nodes => "a node list",
        }
    }
}

/// Checks every function call in the query. The message reads after "invalid JSONPath: ".
pub(super) fn check_query(query: &JpQuery) -> Result<(), String> {
    check_segments(&query.segments)
}

fn check_segments(segments: &[Segment]) -> Result<(), String> {
    segments.iter().try_for_each(check_segment)
}

fn check_segment(segment: &Segment) -> Result<(), String> {
    match segment {
        Segment::Descendant(inner) => check_segment(inner),
        Segment::Selector(selector) => check_selector(selector),
        Segment::Selectors(selectors) => selectors.iter().try_for_each(check_selector),
    }
}

fn check_selector(selector: &Selector) -> Result<(), String> {
    match selector {
        Selector::Filter(filter) => check_filter(filter),
        Selector::Name(_) | Selector::Wildcard | Selector::Index(_) | Selector::Slice(..) => Ok(()),
    }
}

fn check_filter(filter: &Filter) -> Result<(), String> {
    match filter {
        Filter::Or(items) | Filter::And(items) => items.iter().try_for_each(check_filter),
        Filter::Atom(FilterAtom::Filter { expr, .. }) => check_filter(expr),
        Filter::Atom(FilterAtom::Test { expr, .. }) => check_test_expr(expr),
        Filter::Atom(FilterAtom::Comparison(comparison)) => {
            let (left, right) = comparison.vals();
            check_comparable(left)?;
            check_comparable(right)
        }
    }
}

/// A test expression (`?@.a`, `?match(...)`): a query, or a function whose result is a
/// logical result or a node list (§2.4.3: "as a test-expr").
fn check_test_expr(test: &Test) -> Result<(), String> {
    match test {
        Test::RelQuery(segments) => check_segments(segments),
        Test::AbsQuery(query) => check_query(query),
        Test::Function(function) => {
            let result = check_function(function)?;
            if result == FnType::Value {
                return Err(format!(
                    "`{}()` returns a value, which cannot stand alone as a filter test; compare it (e.g. `{}(...) > 0`)",
                    function_name(function),
                    function_name(function)
                ));
            }
            Ok(())
        }
    }
}

/// One side of a comparison: a literal, a singular query, or a function returning a value.
fn check_comparable(comparable: &Comparable) -> Result<(), String> {
    match comparable {
        Comparable::Literal(_) | Comparable::SingularQuery(_) => Ok(()),
        Comparable::Function(function) => {
            let result = check_function(function)?;
            if result == FnType::Value {
                Ok(())
            } else {
                Err(format!(
                    "`{}()` returns {}, which cannot be compared",
                    function_name(function),
                    result.describe()
                ))
            }
        }
    }
}

fn function_name(function: &TestFunction) -> &str {
    match function {
        TestFunction::Custom(name, _) => name,
        TestFunction::Length(_) => "length",
        TestFunction::Value(_) => "value",
        TestFunction::Count(_) => "count",
        TestFunction::Search(..) => "search",
        TestFunction::Match(..) => "match",
    }
}

/// Checks the arguments of a call against the RFC 9535 §2.4.4–2.4.8 signatures and returns
/// the call's result type.
fn check_function(function: &TestFunction) -> Result<FnType, String> {
    let name = function_name(function);
    match function {
        TestFunction::Length(arg) => {
            check_arg(name, 1, arg, FnType::Value)?;
            Ok(FnType::Value)
        }
        TestFunction::Count(arg) | TestFunction::Value(arg) => {
            check_arg(name, 1, arg, FnType::Nodes)?;
            Ok(FnType::Value)
        }
        TestFunction::Match(text, pattern) | TestFunction::Search(text, pattern) => {
            check_arg(name, 1, text, FnType::Value)?;
            check_arg(name, 2, pattern, FnType::Value)?;
            Ok(FnType::Logical)
        }
        // jsonpath-rust adds `in`, `nin`, `none_of`, `any_of` and `subset_of`; they are not
        // RFC 9535 functions, and accepting them would tie collections to this engine.
        TestFunction::Custom(..) => Err(format!(
            "unknown function `{name}()`; RFC 9535 defines length, count, match, search and value"
        )),
    }
}

/// Whether `arg` is well-typed for a parameter of type `param` (§2.4.3).
fn check_arg(function: &str, position: usize, arg: &FnArg, param: FnType) -> Result<(), String> {
    let found = match arg {
        FnArg::Literal(_) => ArgKind::Literal,
        FnArg::Filter(filter) => {
            check_filter(filter)?;
            ArgKind::Logical
        }
        FnArg::Test(test) => match test.as_ref() {
            Test::RelQuery(segments) => {
                check_segments(segments)?;
                if segments_are_singular(segments) {
                    ArgKind::SingularQuery
                } else {
                    ArgKind::Query
                }
            }
            Test::AbsQuery(query) => {
                check_query(query)?;
                if segments_are_singular(&query.segments) {
                    ArgKind::SingularQuery
                } else {
                    ArgKind::Query
                }
            }
            Test::Function(inner) => ArgKind::Function(check_function(inner)?),
        },
    };
    let ok = match param {
        // A value parameter takes a literal, a singular query (its one value, or Nothing) or
        // a function that returns a value.
        FnType::Value => matches!(
            found,
            ArgKind::Literal | ArgKind::SingularQuery | ArgKind::Function(FnType::Value)
        ),
        // A node-list parameter takes any query, or a function returning a node list.
        FnType::Nodes => matches!(
            found,
            ArgKind::SingularQuery | ArgKind::Query | ArgKind::Function(FnType::Nodes)
        ),
        // A logical parameter takes a logical expression, or a function returning a logical
        // result or a node list. No standard function has one; kept for completeness.
        FnType::Logical => matches!(
            found,
            ArgKind::Logical
                | ArgKind::SingularQuery
                | ArgKind::Query
                | ArgKind::Function(FnType::Logical | FnType::Nodes)
        ),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "argument {position} of `{function}()` must be {}, found {}",
            match param {
                FnType::Value => "a value (a literal, a singular query or a value function)",
                FnType::Nodes => "a query",
                FnType::Logical => "a logical expression",
            },
            found.describe()
        ))
    }
}

#[derive(Debug, Clone, Copy)]
enum ArgKind {
    Literal,
    SingularQuery,
    Query,
    Logical,
    Function(FnType),
}

impl ArgKind {
    fn describe(self) -> String {
        match self {
            ArgKind::Literal => "a literal".to_owned(),
            ArgKind::SingularQuery => "a singular query".to_owned(),
            ArgKind::Query => "a non-singular query".to_owned(),
            ArgKind::Logical => "a logical expression".to_owned(),
            ArgKind::Function(result) => format!("a function returning {}", result.describe()),
        }
    }
}

/// RFC 9535 §2.3.5.1: a singular query has only name and index segments (child segments with
/// one name or index selector each).
pub(super) fn segments_are_singular(segments: &[Segment]) -> bool {
    segments.iter().all(|segment| {
        matches!(
            segment,
            Segment::Selector(Selector::Name(_) | Selector::Index(_))
        )
    })
}

/// Whether evaluating the query can recurse as deep as the document: descendant segments
/// walk it recursively and filters compare whole values (recursive `PartialEq`).
pub(super) fn recurses_on_document(segments: &[Segment]) -> bool {
    fn selector(selector: &Selector) -> bool {
        matches!(selector, Selector::Filter(_))
    }
    segments.iter().any(|segment| match segment {
        Segment::Descendant(_) => true,
        Segment::Selector(s) => selector(s),
        Segment::Selectors(selectors) => selectors.iter().any(selector),
    })
}
