use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

fn path(text: &str) -> JsonPath {
    JsonPath::compile(text).unwrap()
}

/// Fails when `error` is the one the compile wrapper makes of a panic in the engine.
fn assert_engine_did_not_fail(text: &str, error: Option<JsonPathError>) {
    if let Some(error) = error {
        assert_ne!(
            error.message, ENGINE_FAILED,
            "the engine panicked compiling `{text}`"
        );
    }
}

fn intacct() -> Value {
    json!({
        "ia::result": {"key": "53", "id": "V-1", "name": "Acme", "contacts": [{"name": "Ann"}, {"name": "Bob"}]},
        "ia::meta": {"totalCount": 1}
    })
}

/// Guards the compile cache: a query text compiled while an earlier compilation is alive is
/// shared, not compiled again (a 10,000-request collection checks one path 10,000 times).
#[test]
fn compiling_the_same_text_twice_shares_one_query() {
    let first = path("$['ia::result'].shared_by_cache");
    let second = path("$['ia::result'].shared_by_cache");
    assert!(Arc::ptr_eq(&first.inner, &second.inner));
    assert!(!Arc::ptr_eq(
        &first.inner,
        &path("$['ia::result'].other").inner
    ));
    assert!(JsonPath::compile("$[").is_err());
    assert!(JsonPath::compile("$[").is_err(), "errors are not cached");
}

#[test]
fn singular_queries_yield_one_value_or_no_match() {
    let doc = intacct();
    assert!(path("$['ia::result'].name").is_singular());
    assert_eq!(
        path("$['ia::result'].name").select(&doc),
        Selection::Singular(Some(&json!("Acme")))
    );
    assert_eq!(
        path("$['ia::result'].contacts[-1].name").select(&doc),
        Selection::Singular(Some(&json!("Bob")))
    );
    assert_eq!(
        path("$['ia::result'].missing").select(&doc),
        Selection::Singular(None)
    );
    assert_eq!(
        path("$['ia::result'].contacts[2]").select(&doc),
        Selection::Singular(None)
    );
    assert_eq!(
        path("$['ia::result'].contacts[-3]").select(&doc),
        Selection::Singular(None)
    );
    assert_eq!(path("$").select(&doc), Selection::Singular(Some(&doc)));
}

#[test]
fn other_queries_yield_node_lists() {
    let doc = intacct();
    for text in [
        "$..name",
        "$.*",
        "$['a','b']",
        "$[0:1]",
        "$[?@.a]",
        "$['ia::result'].contacts[*]",
    ] {
        assert!(!path(text).is_singular(), "{text}");
    }
    assert_eq!(
        path("$['ia::result'].contacts[*].name").select(&doc),
        Selection::Nodes(vec![&json!("Ann"), &json!("Bob")])
    );
    assert_eq!(path("$.nothing[*]").select(&doc), Selection::Nodes(vec![]));
}

#[test]
fn query_located_reports_normalized_paths() {
    let doc = json!({"a": [{"it's": 1}, {"it's": 2}]});
    let found: Vec<String> = path("$..[\"it's\"]")
        .query_located(&doc)
        .into_iter()
        .map(|(location, _)| location.to_string())
        .collect();
    assert_eq!(found, ["$['a'][0]['it\\'s']", "$['a'][1]['it\\'s']"]);
    let (location, value) = path("$.a[-1]").query_located(&doc).remove(0);
    assert_eq!(location.to_string(), "$['a'][1]");
    assert_eq!(value, &json!({"it's": 2}));
}

#[test]
fn union_segments_keep_rfc_order_over_several_nodes() {
    // jsonpath-rust alone yields every `a` before every `b`; RFC 9535 §2.5.1.2 wants them
    // node by node.
    let doc = json!([{"a": 1, "b": 2}, {"a": 3, "b": 4}]);
    assert_eq!(
        path("$[*]['a','b']").query(&doc),
        [&json!(1), &json!(2), &json!(3), &json!(4)]
    );
    let doc = json!({"o": [{"a": "x", "d": "y"}, {"a": "z"}]});
    let found: Vec<String> = path("$..['a','d']")
        .query_located(&doc)
        .into_iter()
        .map(|(location, _)| location.to_string())
        .collect();
    assert_eq!(
        found,
        ["$['o'][0]['a']", "$['o'][0]['d']", "$['o'][1]['a']"]
    );
    // A filter inside the fixed segment still sees the real root.
    let doc = json!({"k": 2, "v": [{"a": 1, "b": 2}, {"a": 2, "b": 1}]});
    assert_eq!(
        path("$.v[*][?@ == $.k, 'a']").query(&doc),
        [&json!(2), &json!(1), &json!(2), &json!(2)]
    );
}

#[test]
fn replace_all_redacts_every_selected_node_once() {
    let mut doc = json!({"a": {"id": 1, "b": {"id": 2}}, "list": [{"id": 3}]});
    let redacted = json!("[id]");
    assert_eq!(path("$..id").replace_all(&mut doc, &redacted), 3);
    assert_eq!(
        doc,
        json!({"a": {"id": "[id]", "b": {"id": "[id]"}}, "list": [{"id": "[id]"}]})
    );

    // Ancestors and descendants both selected: the ancestor is replaced, once.
    let mut doc = json!({"a": {"b": {"c": 1}}});
    assert_eq!(path("$..*").replace_all(&mut doc, &redacted), 1);
    assert_eq!(doc, json!({"a": "[id]"}));

    // The same node twice counts once; no match replaces nothing.
    let mut doc = json!({"a": 1});
    assert_eq!(path("$['a','a']").replace_all(&mut doc, &redacted), 1);
    assert_eq!(path("$.zzz").replace_all(&mut doc, &redacted), 0);
    assert_eq!(path("$").replace_all(&mut doc, &redacted), 1);
    assert_eq!(doc, redacted);
}

#[test]
fn syntax_errors_point_at_the_offending_character() {
    let error = JsonPath::compile("$.a[").unwrap_err();
    assert_eq!(error.offset, Some(4), "{error:?}");
    assert_eq!(error.message, "unexpected end of query");
    let error = JsonPath::compile("$['é']]").unwrap_err();
    assert_eq!(error.offset, Some(6), "{error:?}");
    assert_eq!(error.message, "unexpected `]`");
    let error = JsonPath::compile("a.b").unwrap_err();
    assert_eq!(error.message, "a JSONPath starts with `$`");
    assert_eq!(
        error.to_string(),
        "invalid JSONPath: a JSONPath starts with `$`"
    );
}

#[test]
fn ill_typed_and_unknown_functions_are_refused() {
    for (text, message) in [
        (
            "$[?length(@.*)<3]",
            "argument 1 of `length()` must be a value",
        ),
        (
            "$[?count(1)>0]",
            "invalid argument for the function `count`",
        ),
        (
            "$[?match(@.a, 'x') == true]",
            "function match(a, \"x\") is not comparable",
        ),
        (
            "$[?search(@.a, 'x') == true]",
            "function search(a, \"x\") is not comparable",
        ),
        (
            "$[?length(@.a)]",
            "`length()` returns a value, which cannot stand alone",
        ),
        ("$[?in(@.a, $.b)]", "unknown function `in()`"),
    ] {
        let error = JsonPath::compile(text).unwrap_err();
        assert!(
            error.message.starts_with(message),
            "{text}: {}",
            error.message
        );
    }
    for text in [
        "$[?length(@.a)<3]",
        "$[?count(@.*)>1]",
        "$[?match(@.a, 'x')]",
        "$[?value(@..a)==1]",
        "$[?length(value(@.*))>0]",
    ] {
        assert!(JsonPath::compile(text).is_ok(), "{text}");
    }
}

#[test]
fn pathological_queries_are_refused_quickly() {
    // Nested function calls whose innermost argument is not a plain query make the engine's
    // parser backtrack exponentially (70 s at 16 levels); the bound refuses them first.
    let nested =
        |depth: usize| format!("$[?{}@.a==1{}]", "length(".repeat(depth), ")".repeat(depth));
    let started = std::time::Instant::now();
    let error = JsonPath::compile(&nested(16)).unwrap_err();
    assert_eq!(error.message, "function calls nest deeper than 4 levels");
    assert_eq!(error.offset, Some(3 + 4 * 7 + 6));
    // At the bound the engine answers (an error: `length` wants a value) in no time.
    assert!(JsonPath::compile(&nested(MAX_FUNCTION_NESTING)).is_err());
    assert!(
        JsonPath::compile(&format!(
            "$[?{}@.a{} > 1]",
            "length(".repeat(4),
            ")".repeat(4)
        ))
        .is_ok()
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    let long = format!("$.{}", "a".repeat(MAX_QUERY_LEN));
    assert!(JsonPath::compile(&long).is_err());
    let brackets = format!(
        "$[?{}@.a{}]",
        "(".repeat(MAX_NESTING),
        ")".repeat(MAX_NESTING)
    );
    assert!(
        JsonPath::compile(&brackets)
            .unwrap_err()
            .message
            .contains("nest deeper")
    );
}

#[test]
fn deepest_accepted_nesting_fits_a_small_stack() {
    // Compiling and querying at the nesting bound must fit a 2 MiB thread (tokio's default),
    // even in a debug build.
    let queries = [
        format!(
            "$[?{}@.a{}]",
            "(".repeat(MAX_NESTING - 2),
            ")".repeat(MAX_NESTING - 2)
        ),
        format!(
            "${}",
            "[?@".repeat(MAX_NESTING - 1) + &"]".repeat(MAX_NESTING - 1)
        ),
        format!(
            "$[?{}@.a==1{}]",
            "!(".repeat(MAX_NESTING - 2),
            ")".repeat(MAX_NESTING - 2)
        ),
    ];
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let doc = json!({"a": [[[1]]]});
            for query in &queries {
                let compiled = JsonPath::compile(query).unwrap();
                let _ = compiled.query(&doc);
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

/// A value nested `depth` arrays deep, torn down without recursion when dropped (`Value`'s own
/// drop recurses, so a failing assertion would otherwise overflow while unwinding).
struct Deep(Value);

impl Deep {
    fn new(depth: usize) -> Deep {
        // Built without recursion: `json!` would serialize it recursively.
        let mut doc = json!({"x": 1});
        for _ in 0..depth {
            doc = Value::Array(vec![doc]);
        }
        Deep(doc)
    }
}

impl Drop for Deep {
    fn drop(&mut self) {
        let mut pending = vec![self.0.take()];
        while let Some(mut node) = pending.pop() {
            if let Value::Array(items) = &mut node {
                pending.append(items);
            }
        }
    }
}

#[test]
fn deep_documents_do_not_overflow() {
    // `serde_json` refuses to parse documents this deep, but a value built in code can be.
    // Singular and structural queries never recurse; engine queries run on a thread with a
    // big enough stack up to the bound, and beyond it select nothing rather than exhaust
    // stack or memory.
    for (depth, engine_expected) in [(eval::MAX_DOCUMENT_DEPTH - 1, 1), (50_000, 0)] {
        let doc = Deep::new(depth);
        assert_eq!(path("$..x").query(&doc.0).len(), 1, "{depth}");
        assert_eq!(path("$..*").query(&doc.0).len(), depth + 1, "{depth}");
        assert_eq!(path("$[0][0][0]").query(&doc.0).len(), 1, "{depth}");
        assert_eq!(
            path("$..[?@.x == 1]").query(&doc.0).len(),
            engine_expected,
            "{depth}"
        );
    }
}

#[test]
fn json_path_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
    assert_send_sync::<JsonPath>();
    let compiled = path("$.a");
    assert_eq!(format!("{compiled:?}"), "JsonPath(\"$.a\")");
    assert_eq!(compiled.clone(), compiled);
}

#[test]
fn location_patterns_answer_without_the_document() {
    let elements = |text: &str| NormalizedPath::parse(text).unwrap().into_elements();
    let supports = path("$..supportId");
    assert!(supports.is_location_pattern());
    assert_eq!(
        supports.covers_location(&elements("$['ia::error']['supportId']")),
        Some(true)
    );
    assert_eq!(
        supports.covers_location(&elements("$['supportId'][0]['x']")),
        Some(true)
    );
    assert_eq!(
        supports.covers_location(&elements("$['ia::error']")),
        Some(false)
    );
    let audit = path("$['ia::result'][*].audit");
    assert_eq!(
        audit.covers_location(&elements("$['ia::result'][3]['audit']['by']")),
        Some(true)
    );
    assert_eq!(
        audit.covers_location(&elements("$['ia::result']['audit']")),
        Some(false)
    );
    assert_eq!(path("$").covers_location(&[]), Some(true));
    for text in ["$[-1]", "$[?@.a]", "$[0:2]"] {
        assert!(!path(text).is_location_pattern(), "{text}");
        assert_eq!(path(text).covers_location(&[]), None, "{text}");
    }
}

#[test]
fn extract_refuses_non_singular_queries() {
    assert!(matches!(
        path("$..a").extract_from_slice(b"{}"),
        Err(ExtractError::NotSingular(_))
    ));
}

/// The answer of a full parse followed by `select`, as `extract_from_slice` must give it.
fn full_parse_answer(query: &JsonPath, body: &[u8]) -> Result<Option<Value>, ()> {
    let doc: Value = serde_json::from_slice(body).map_err(|_| ())?;
    match query.select(&doc) {
        Selection::Singular(found) => Ok(found.cloned()),
        Selection::Nodes(_) => unreachable!("only singular queries are extracted"),
    }
}

fn assert_extract_agrees(query: &JsonPath, body: &[u8]) {
    let targeted = query.extract_from_slice(body).map_err(|_| ());
    assert_eq!(
        targeted,
        full_parse_answer(query, body),
        "{query} on {}",
        String::from_utf8_lossy(body)
    );
}

#[test]
fn extract_agrees_with_a_full_parse_where_ignored_any_would_not() {
    // Each body is invalid for a full parse somewhere off the path; serde's `IgnoredAny` would
    // skip past it and answer `Some(1)`.
    let deep = format!(
        "{{\"a\": {}1{}, \"b\": 1}}",
        "[".repeat(200),
        "]".repeat(200)
    );
    let bodies: [&[u8]; 5] = [
        br#"{"a": 1e400, "b": 1}"#,
        br#"{"a": "\ud800", "b": 1}"#,
        b"{\"a\": \"\xff\", \"b\": 1}",
        deep.as_bytes(),
        br#"{"b": 1} x"#,
    ];
    for body in bodies {
        assert_extract_agrees(&path("$.b"), body);
        assert!(path("$.b").extract_from_slice(body).is_err());
    }
    // Duplicate members: the last wins, as in a full parse, even when it lacks the rest.
    assert_extract_agrees(&path("$.a.b"), br#"{"a": {"b": 1}, "a": {"c": 2}}"#);
    assert_extract_agrees(&path("$.a.b"), br#"{"a": {"c": 2}, "a": {"b": 1}}"#);
    assert_eq!(
        path("$.a[-2]")
            .extract_from_slice(br#"{"a": [1, 2, 3]}"#)
            .unwrap(),
        Some(json!(2))
    );
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        "[a-c]{0,2}".prop_map(Value::from),
        "\\PC{0,4}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-c]{1,2}|\\PC{0,3}", inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

fn arb_step() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-c]{1,2}".prop_map(|name| format!("['{name}']")),
        "[a-c]{1,2}".prop_map(|name| format!(".{name}")),
        (-4i64..6).prop_map(|index| format!("[{index}]")),
    ]
}

/// A query that the engine evaluates (not singular, not names and wildcards only): filters,
/// slices, unions and functions among plain steps, over the names of `arb_json`'s documents.
fn arb_engine_query() -> impl Strategy<Value = String> {
    let step = prop_oneof![
        arb_step(),
        Just("[*]".to_owned()),
        arb_step().prop_map(|step| format!("..{}", step.trim_start_matches('.'))),
        (
            -3i64..4,
            -3i64..4,
            prop_oneof![Just(1i64), Just(-1), Just(2)]
        )
            .prop_map(|(a, b, c)| format!("[{a}:{b}:{c}]")),
        "[a-c]{1,2}".prop_map(|name| format!("[?@.{name}]")),
        ("[a-c]{1,2}", -2i64..3).prop_map(|(name, n)| format!("[?@.{name} > {n}]")),
        "[a-c]{1,2}".prop_map(|name| format!("[?length(@.{name}) >= 1]")),
        ("[a-c]{1,2}", "[a-c]{1,2}").prop_map(|(x, y)| format!("['{x}','{y}']")),
        (-2i64..3, -2i64..3).prop_map(|(x, y)| format!("[{x},{y}]")),
        Just("[?@ == @]".to_owned()),
    ];
    prop::collection::vec(step, 1..4).prop_map(|steps| format!("${}", steps.concat()))
}

/// Renders a value as JSON text with a chosen member (`"a"`) duplicated, to exercise
/// last-wins in both parsers.
fn with_duplicate_member(doc: &Value) -> String {
    let text = serde_json::to_string(doc).unwrap_or_default();
    match text.strip_prefix('{') {
        Some(rest) if rest != "}" => format!("{{\"a\": [0, {{\"b\": 1}}], {rest}"),
        _ => text,
    }
}

/// JSON text written token by token, with what `serde_json::to_vec` never writes: escapes
/// (surrogates, paired and lone, escaped member names), numbers at and past the edge of
/// range, odd whitespace, and a few tokens serde_json refuses.
fn arb_json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => prop::sample::select(vec![
            "1", "-0", "0.5", "-12.5e-3", "1E+2", "123456789012345678", "1234567890123456789012",
            "1e308", "1e309", "0e999", "true", "false", "null", r#""""#, r#""b""#,
            r#""\"\\\/\b\f\n\r\t""#, r#""\u00e9\u0000""#, r#""\ud83d\ude00""#, r#""é😀""#,
        ]),
        1 => prop::sample::select(vec![
            "01", "1.", "-", ".5", "tru", "nul", r#""\ud800""#, r#""\udc00x""#, "\"\t\"",
            r#""\x""#, r#""\u12g4""#, "\"open",
        ]),
    ];
    let space = prop::sample::select(vec!["", " ", "\n", "\r\n", "\t ", "\u{a0}"]);
    let key = prop::sample::select(vec![
        r#""a""#,
        r#""b""#,
        r#""\u0061""#,
        r#""\u0062""#,
        r#""a\"""#,
        r#""c""#,
    ]);
    let leaf = (leaf, space.clone()).prop_map(|(leaf, space)| format!("{space}{leaf}"));
    leaf.prop_recursive(4, 32, 5, move |inner| {
        prop_oneof![
            (
                prop::collection::vec(inner.clone(), 0..5),
                space.clone(),
                any::<bool>()
            )
                .prop_map(|(items, space, trailing)| {
                    format!(
                        "[{}{space}{}]",
                        items.join(","),
                        if trailing { "," } else { "" }
                    )
                }),
            prop::collection::vec((key.clone(), space.clone(), inner), 0..5).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(key, space, value)| format!("{space}{key}{space}:{value}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

fn arb_structural_segment() -> impl Strategy<Value = String> {
    let selector = prop_oneof![
        "[a-c]".prop_map(|name| format!("'{name}'")),
        (-3i64..4).prop_map(|index| index.to_string()),
        Just("*".to_owned()),
    ];
    (any::<bool>(), prop::collection::vec(selector, 1..3)).prop_map(|(descendant, selectors)| {
        format!(
            "{}[{}]",
            if descendant { ".." } else { "" },
            selectors.join(",")
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn covers_location_agrees_with_query_located(doc in arb_json(), segments in prop::collection::vec(arb_structural_segment(), 0..4)) {
        let query = path(&format!("${}", segments.concat()));
        prop_assume!(query.is_location_pattern());
        let selected: std::collections::HashSet<NormalizedPath> =
            query.query_located(&doc).into_iter().map(|(location, _)| location).collect();
        // Every location in the document, the root included.
        for (location, _) in path("$..*").query_located(&doc).into_iter().chain([(NormalizedPath::root(), &doc)]) {
            let expected = (0..=location.len()).any(|len| {
                selected.contains(&NormalizedPath::from(location.elements()[..len].to_vec()))
            });
            prop_assert_eq!(query.covers_location(location.elements()), Some(expected), "{} at {}", query, location);
        }
    }

    #[test]
    fn structural_evaluator_agrees_with_the_engine(doc in arb_json(), segments in prop::collection::vec(arb_structural_segment(), 1..4)) {
        let query = path(&format!("${}", segments.concat()));
        prop_assume!(query.inner.singular.is_none());
        prop_assert!(query.inner.structural.is_some());
        let ours: Vec<(String, &Value)> = query
            .query_located(&doc)
            .into_iter()
            .map(|(location, node)| (location.to_string(), node))
            .collect();
        let engine = eval::evaluate(&query.inner.query, query.inner.recurses, &doc);
        prop_assert_eq!(ours, engine);
    }

    #[test]
    fn extract_matches_full_parse(doc in arb_json(), steps in prop::collection::vec(arb_step(), 0..4), pretty in any::<bool>()) {
        let query = path(&format!("${}", steps.concat()));
        prop_assert!(query.is_singular());
        let body = if pretty { serde_json::to_vec_pretty(&doc).unwrap() } else { serde_json::to_vec(&doc).unwrap() };
        let targeted = query.extract_from_slice(&body).map_err(|_| ());
        prop_assert_eq!(targeted, full_parse_answer(&query, &body));
        let duplicated = with_duplicate_member(&doc);
        let targeted = query.extract_from_slice(duplicated.as_bytes()).map_err(|_| ());
        prop_assert_eq!(targeted, full_parse_answer(&query, duplicated.as_bytes()));
    }

    #[test]
    fn extract_matches_full_parse_on_hand_written_text(text in arb_json_text(), steps in prop::collection::vec(arb_step(), 0..4)) {
        let query = path(&format!("${}", steps.concat()));
        let targeted = query.extract_from_slice(text.as_bytes()).map_err(|_| ());
        prop_assert_eq!(targeted, full_parse_answer(&query, text.as_bytes()), "{}", text);
    }

    #[test]
    fn extract_matches_full_parse_on_damaged_bodies(doc in arb_json(), steps in prop::collection::vec(arb_step(), 0..3), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let query = path(&format!("${}", steps.concat()));
        let mut body = serde_json::to_vec(&doc).unwrap();
        let at = cut.index(body.len() + 1);
        if at < body.len() { body[at] = byte; } else { body.push(byte); }
        let targeted = query.extract_from_slice(&body).map_err(|_| ());
        prop_assert_eq!(targeted, full_parse_answer(&query, &body));
    }

    /// The engine is wrapped in `catch_unwind`, so a panic would not fail this test by itself:
    /// it looks for the error that the wrapper turns a caught panic into.
    #[test]
    fn compile_never_panics_on_arbitrary_text(text in "\\PC{0,40}") {
        assert_engine_did_not_fail(&text, JsonPath::compile(&text).err());
    }

    /// As above, and evaluation too: a caught panic there yields an empty node list, which
    /// the wrapper counts (`eval::ENGINE_PANICS`) for this test to read. Half the texts are
    /// built to reach the engine (random text rarely compiles to a query that does).
    #[test]
    fn compile_never_panics_on_query_like_text(
        text in prop_oneof![
            "\\$[\\[\\]().,*?@$:'\"\\\\u0-9a-fA-F !=<>&|-]{0,30}",
            arb_engine_query(),
        ],
        doc in arb_json(),
    ) {
        match JsonPath::compile(&text) {
            Ok(query) => {
                let before = eval::ENGINE_PANICS.with(std::cell::Cell::get);
                let _ = query.query_located(&doc);
                let _ = query.query(&doc);
                let after = eval::ENGINE_PANICS.with(std::cell::Cell::get);
                prop_assert_eq!(after, before, "the engine panicked evaluating `{}`", text);
            }
            Err(error) => assert_engine_did_not_fail(&text, Some(error)),
        }
    }
}
