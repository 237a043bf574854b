use super::*;
use std::fmt::Write as _;

fn map_keys(node: &Node<'_>) -> Vec<(String, u32, u32)> {
    let Value::Map(entries) = &node.value else {
        panic!("not a map")
    };
    entries
        .iter()
        .map(|(k, _)| (k.value.to_string(), k.span.start.line, k.span.start.col))
        .collect()
}

#[test]
fn keys_and_values_carry_positions() {
    let node = parse("name: x\nrequests:\n  - url: \"{{ a }}\"\n").unwrap();
    assert_eq!(
        map_keys(&node),
        vec![("name".into(), 1, 1), ("requests".into(), 2, 1)]
    );
    let Value::Map(entries) = &node.value else {
        unreachable!()
    };
    let Value::Seq(items) = &entries[1].1.value else {
        panic!()
    };
    let Value::Map(req) = &items[0].value else {
        panic!()
    };
    assert_eq!(req[0].1.span.start.line, 3);
    assert_eq!(req[0].1.span.start.col, 10);
    assert_eq!(req[0].1.value, Value::String("{{ a }}".into()));
}

#[test]
fn core_schema_scalars() {
    let node =
        parse("[1, -2, 0x1f, 1.5, .inf, true, yes, null, ~, '3', \"4\", 1e3, 0o17, 2.]").unwrap();
    let Value::Seq(items) = node.value else {
        panic!()
    };
    let values: Vec<Value<'_>> = items.into_iter().map(|n| n.value).collect();
    assert_eq!(values[0], Value::Int(1));
    assert_eq!(values[1], Value::Int(-2));
    assert_eq!(values[2], Value::Int(31));
    assert_eq!(values[3], Value::Float(1.5));
    assert_eq!(values[4], Value::Float(f64::INFINITY));
    assert_eq!(values[5], Value::Bool(true));
    assert_eq!(values[6], Value::String("yes".into()));
    assert_eq!(values[7], Value::Null);
    assert_eq!(values[8], Value::Null);
    assert_eq!(values[9], Value::String("3".into()));
    assert_eq!(values[10], Value::String("4".into()));
    assert_eq!(values[11], Value::Float(1000.0));
    assert_eq!(values[12], Value::Int(15));
    assert_eq!(values[13], Value::Float(2.0));
}

#[test]
fn duplicate_keys_are_errors_at_the_second_key() {
    let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
    assert_eq!(err.message, "duplicate key `a` (first at line 1)");
    assert_eq!((err.span.start.line, err.span.start.col), (3, 1));
}

#[test]
fn syntax_errors_have_positions() {
    let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
    assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
    assert!(err.span.start.line >= 1);
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let node = parse("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n").unwrap();
    let json = node.to_json();
    assert_eq!(json["other"], serde_json::json!({"y": 3, "x": 1}));
}

#[test]
fn alias_bombs_are_refused() {
    let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = i - 1;
        let _ = writeln!(
            doc,
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]"
        );
    }
    let err = parse(&doc).unwrap_err();
    assert!(
        err.message
            .contains("too large: more than 1000000 values after expanding aliases"),
        "{}",
        err.message
    );
}

#[test]
fn a_large_document_without_aliases_is_not_called_an_alias_expansion() {
    let doc = "- 1\n".repeat(MAX_NODES + 1);
    let err = parse(&doc).unwrap_err();
    assert_eq!(
        err.message,
        format!("the document is too large: more than {MAX_NODES} values")
    );
}

#[test]
fn deep_nesting_is_refused() {
    let doc = "[".repeat(500) + &"]".repeat(500);
    let err = parse(&doc).unwrap_err();
    assert!(err.message.contains("too deep"), "{}", err.message);
}

#[test]
fn streamed_items_leave_the_tree() {
    let mut items = Vec::new();
    let (node, soft) = parse_streaming(
        "name: x\nrequests:\n  - a: 1\n  - b: 2\nother: [1]\n",
        "requests",
        &mut |n| items.push(n),
    )
    .unwrap();
    assert!(soft.is_empty());
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].span.start.line, 4);
    assert_eq!(
        node.to_json(),
        serde_json::json!({"name": "x", "requests": [], "other": [1]})
    );
    // Not a list: built as usual.
    let mut none = 0;
    let (node, _) = parse_streaming("requests: {a: 1}\n", "requests", &mut |_| none += 1).unwrap();
    assert_eq!(none, 0);
    assert_eq!(node.to_json(), serde_json::json!({"requests": {"a": 1}}));
}

#[test]
fn items_handed_out_before_the_fast_reader_gives_up_are_not_handed_out_twice() {
    // The fast reader hands out the first two requests, then leaves the anchor of the third
    // to saphyr-parser, which reads the whole text again.
    let text =
        "requests:\n  - name: one\n  - name: two\n  - &third\n    name: three\nafter: *third\n";
    let mut names = Vec::new();
    let (node, _) = parse_streaming(text, "requests", &mut |n| {
        names.push(n.to_json()["name"].as_str().unwrap_or_default().to_owned());
    })
    .unwrap();
    assert_eq!(names, ["one", "two", "three"]);
    assert_eq!(node.to_json()["after"]["name"], "three");
}

#[test]
fn a_duplicate_key_does_not_stop_the_parse() {
    let (node, soft) = parse_streaming(
        "requests:\n  - {a: 1, a: 2}\n  - b: 1\n    b: 2\nlate: x\n",
        "requests",
        &mut |_| {},
    )
    .unwrap();
    let found: Vec<(&str, u32)> = soft
        .iter()
        .map(|e| (e.message.as_str(), e.span.start.line))
        .collect();
    assert_eq!(
        found,
        [
            ("duplicate key `a` (first at line 2)", 2),
            ("duplicate key `b` (first at line 3)", 4)
        ]
    );
    // The rest of the file is still read.
    assert_eq!(node.to_json()["late"], "x");
}

#[test]
fn second_document_is_an_error() {
    let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
    assert!(err.message.contains("one YAML document"));
}

#[test]
fn empty_file_is_null() {
    assert_eq!(parse("").unwrap().value, Value::Null);
    assert_eq!(parse("# only a comment\n").unwrap().value, Value::Null);
}

#[test]
fn a_node_s_line_and_column_find_the_same_character_as_its_offset() {
    // `SourceFile::content_span` finds a scalar's first character by line and column (fast on
    // a large file); it must be the character at the node's offset, whatever precedes it on
    // the line (multi-byte characters, tabs) and whatever ends the lines (CRLF).
    let text = "name: \"é🙂 x\"\r\nvars: { ü: 'ça', b: \"x\" }\r\nrequests:\r\n  - url: \"http://ä/{{ v }}\"\r\n    note:\t'ok'\r\n    n: [\"🙂\", 'é', plain]\r\n";
    let file = crate::diag::SourceFile::new("c.yaml", text);
    let root = parse(text).expect("valid YAML");
    let mut stack = vec![&root];
    let mut seen = 0;
    while let Some(node) = stack.pop() {
        match &node.value {
            Value::Seq(items) => stack.extend(items),
            Value::Map(entries) => stack.extend(entries.iter().map(|(_, v)| v)),
            _ => {}
        }
        let by_offset = text.chars().nth(node.span.start.offset as usize);
        let by_line = file
            .line_text(node.span.start.line as usize)
            .and_then(|line| line.chars().nth(node.span.start.col as usize - 1));
        assert_eq!(by_line, by_offset, "{:?}", node.span);
        seen += 1;
    }
    assert!(seen > 10);
}
