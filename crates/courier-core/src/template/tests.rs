use super::*;
use serde_json::json;

fn vars(pairs: &[(&str, serde_json::Value)]) -> Vars {
    let mut layer = VarMap::new();
    for (k, v) in pairs {
        layer.insert((*k).to_owned(), json_to_value(v));
    }
    Vars::new(Some(Arc::new(Runtime::default()))).with_layer(Arc::new(layer))
}

#[test]
fn literal_strings_do_not_touch_the_engine() {
    let t = Template::compile("plain text").unwrap();
    assert!(t.is_literal());
    assert_eq!(t.render(&Vars::default()).unwrap(), "plain text");
}

#[test]
fn lone_expression_keeps_its_type() {
    let v = vars(&[("n", json!(42)), ("list", json!([1, 2]))]);
    assert_eq!(
        Template::compile("{{ n }}")
            .unwrap()
            .render_json(&v)
            .unwrap(),
        json!(42)
    );
    assert_eq!(
        Template::compile("{{ list }}")
            .unwrap()
            .render_json(&v)
            .unwrap(),
        json!([1, 2])
    );
    assert_eq!(
        Template::compile("id-{{ n }}")
            .unwrap()
            .render_json(&v)
            .unwrap(),
        json!("id-42")
    );
    assert_eq!(
        Template::compile("{{ n + 1 }}")
            .unwrap()
            .render_json(&v)
            .unwrap(),
        json!(43)
    );
}

#[test]
fn variables_exclude_functions() {
    let t = Template::compile("{{ base_url }}/x/{{ uuid() }}/{{ user.name | upper }}").unwrap();
    assert_eq!(t.variables(), ["base_url", "user"]);
}

#[test]
fn undefined_is_an_error() {
    let err = Template::compile("{{ nope }}")
        .unwrap()
        .render(&Vars::default())
        .unwrap_err();
    assert!(err.message.contains("undefined"), "{}", err.message);
}

#[test]
fn syntax_errors_are_reported_at_compile_time() {
    let err = Template::compile("{{ a + }}").unwrap_err();
    assert!(!err.message.is_empty());
}

#[test]
fn functions_and_filters() {
    let v = vars(&[]);
    let r = |s: &str| Template::compile(s).unwrap().render(&v).unwrap();
    assert_eq!(r("{{ uuid() }}").len(), 36);
    assert_eq!(r("{{ 'a b/c~' | urlencode }}"), "a%20b%2Fc~");
    assert_eq!(r("{{ 'user:pass' | base64 }}"), "dXNlcjpwYXNz");
    let n: i64 = r("{{ random_int(3, 3) }}").parse().unwrap();
    assert_eq!(n, 3);
    let ts: i64 = r("{{ timestamp() }}").parse().unwrap();
    assert!(ts > 1_700_000_000);
    assert_eq!(r("{{ now('%Y') }}").len(), 4);
    assert!(r("{{ now() }}").ends_with('Z'));
    assert_eq!(r("{{ env('COURIER_TEST_SURELY_UNSET', 'dflt') }}"), "dflt");
    assert!(
        Template::compile("{{ now('%Q%') }}")
            .unwrap()
            .render(&v)
            .is_err()
    );
    assert!(
        Template::compile("{{ random_int(5, 1) }}")
            .unwrap()
            .render(&v)
            .is_err()
    );
}

#[test]
fn env_values_become_secrets() {
    let runtime = Arc::new(Runtime {
        dotenv: HashMap::from([(
            "COURIER_TEST_DOTENV_ONLY".to_owned(),
            "from-dotenv-value".to_owned(),
        )]),
        secrets: Secrets::new(),
    });
    let v = Vars::new(Some(Arc::clone(&runtime)));
    let out = Template::compile("{{ env('COURIER_TEST_DOTENV_ONLY') }}")
        .unwrap()
        .render(&v)
        .unwrap();
    assert_eq!(out, "from-dotenv-value");
    assert!(runtime.secrets.contains("from-dotenv-value"));
    let t = Template::compile("{{ env(\"A_B\") }} {{ env('C', 'd') }}").unwrap();
    assert_eq!(
        t.env_references(),
        vec![("A_B".to_owned(), false), ("C".to_owned(), true)]
    );
}

#[test]
fn text_parts_and_blocks() {
    let v = vars(&[("a", json!("x")), ("flag", json!(true))]);
    let r = |s: &str| Template::compile(s).unwrap().render(&v).unwrap();
    assert_eq!(r("<{{ a }}|{{ '}}' }}>"), "<x|}}>");
    assert_eq!(r("a  {{- a -}}  b"), "axb");
    assert_eq!(
        r("{% if flag %}yes{% else %}no{% endif %}-{{ a }}"),
        "yes-x"
    );
    let t = Template::compile("{% if flag %}{{ other }}{% endif %}").unwrap();
    assert_eq!(t.variables(), ["flag", "other"]);
    let err = Template::compile("x {{ a ").unwrap_err();
    assert!(err.message.contains("unterminated"), "{}", err.message);
}

#[test]
fn error_ranges_point_into_the_source() {
    let err = Template::compile("abc {{ a +* }}").unwrap_err();
    let (start, _) = err.range.expect("a range");
    assert!(start >= 4, "{start}");
}

/// Guards the bare-name path (no engine): it answers exactly what the engine answers.
#[test]
fn bare_names_answer_as_the_engine_does() {
    let v = vars(&[
        ("n", json!(42)),
        ("s", json!("x")),
        ("nothing", json!(null)),
    ]);
    let t = |s: &str| Template::compile(s).unwrap();
    assert_eq!(t("{{ n }}").render_json(&v).unwrap(), json!(42));
    assert_eq!(t("{{n}}-{{ s }}").render(&v).unwrap(), "42-x");
    // Parenthesised, the same name goes through the engine.
    for name in ["n", "s", "nothing"] {
        assert_eq!(
            t(&format!("{{{{ {name} }}}}")).render_json(&v).unwrap(),
            t(&format!("{{{{ ({name}) }}}}")).render_json(&v).unwrap()
        );
        assert_eq!(
            t(&format!("<{{{{ {name} }}}}>")).render(&v).unwrap(),
            t(&format!("<{{{{ ({name}) }}}}>")).render(&v).unwrap()
        );
    }
    let bare = t("{{ missing }}").render(&v).unwrap_err();
    let engine = t("{{ (missing) }}").render(&v).unwrap_err();
    assert_eq!(bare.message, engine.message);
    assert_eq!(bare.message, "undefined variable `missing`");
    assert_eq!(t("a {{ missing }}").variables(), ["missing"]);
    // Constants, functions and globals are not variables.
    assert_eq!(t("{{ true }}").render_json(&v).unwrap(), json!(true));
    assert_eq!(t("{{ None }}").render_json(&v).unwrap(), json!(null));
    assert!(t("{{ uuid }}").variables().is_empty());
    assert!(t("{{ range }}").variables().is_empty());
}

/// Guards the compile caches: equal templates share one compiled template while in use, and
/// equal expressions in different templates one compiled expression.
#[test]
fn equal_templates_and_expressions_share_one_compilation() {
    let a = Template::compile("{{ uuid() ~ 'shared' }}").unwrap();
    let b = Template::compile("{{ uuid() ~ 'shared' }}").unwrap();
    assert!(Arc::ptr_eq(&a.0, &b.0));
    let c = Template::compile("id-{{ uuid() ~ 'shared' }}").unwrap();
    let Kind::Lone(Expr::Engine(lone)) = &a.0.kind else {
        panic!("a lone expression, through the engine");
    };
    let Kind::Parts(parts) = &c.0.kind else {
        panic!("text and an expression");
    };
    let Some(Part::Expr {
        expr: Expr::Engine(part),
        ..
    }) = parts.last()
    else {
        panic!("the expression last, through the engine");
    };
    assert!(Arc::ptr_eq(lone, part));
}

#[test]
fn higher_layers_win() {
    let mut low = VarMap::new();
    low.insert("x".into(), MjValue::from("low"));
    let mut high = VarMap::new();
    high.insert("x".into(), MjValue::from("high"));
    let v = Vars::default()
        .with_layer(Arc::new(low))
        .with_layer(Arc::new(high));
    assert_eq!(
        Template::compile("{{ x }}").unwrap().render(&v).unwrap(),
        "high"
    );
}

/// Variables with one secret (`key`) known to the run's secrets, as the executor sets them up.
fn secret_vars() -> (Vars, Arc<Runtime>) {
    let runtime = Arc::new(Runtime {
        dotenv: HashMap::from([(
            "COURIER_TEST_TAINT_DOTENV".to_owned(),
            "dotenv-secret-value".to_owned(),
        )]),
        secrets: Secrets::new(),
    });
    runtime.secrets.add("hunter-two-secret");
    let mut layer = VarMap::new();
    layer.insert("key".into(), MjValue::from("hunter-two-secret"));
    layer.insert("base_url".into(), MjValue::from("https://api.test"));
    layer.insert("name".into(), MjValue::from("plain-name"));
    layer.insert(
        "creds".into(),
        json_to_value(&json!({"user": "u", "pass": "hunter-two-secret"})),
    );
    let vars = Vars::new(Some(Arc::clone(&runtime))).with_layer(Arc::new(layer));
    (vars, runtime)
}

#[test]
fn values_transformed_from_a_secret_become_secrets() {
    let (v, runtime) = secret_vars();
    let r = |s: &str| Template::compile(s).unwrap().render(&v).unwrap();
    for (template, derived) in [
        ("{{ key | upper }}", "HUNTER-TWO-SECRET"),
        ("{{ key | reverse }}", "terces-owt-retnuh"),
        ("{{ [key, 'x'] | join('+') }}", "hunter-two-secret+x"),
        ("{{ creds.pass | title }}", "Hunter-Two-Secret"),
        ("{{ key[:8] }}", "hunter-t"),
    ] {
        assert_eq!(r(template), derived);
        assert!(runtime.secrets.contains(derived), "{template}");
        assert_eq!(
            runtime.secrets.redact(&format!("x {derived} y")),
            "x [REDACTED] y"
        );
    }
    // Typed values too: a lone expression keeps its type and taints its strings.
    let list = Template::compile("{{ [key | upper ~ '!'] }}")
        .unwrap()
        .render_json(&v)
        .unwrap();
    assert_eq!(list, json!(["HUNTER-TWO-SECRET!"]));
    assert!(runtime.secrets.contains("HUNTER-TWO-SECRET!"));
}

#[test]
fn taint_is_per_expression_and_spares_numbers_booleans_and_short_strings() {
    let (v, runtime) = secret_vars();
    let r = |s: &str| Template::compile(s).unwrap().render(&v).unwrap();
    let url = r("{{ base_url }}/x?k={{ key | upper }}&n={{ name | upper }}");
    assert_eq!(url, "https://api.test/x?k=HUNTER-TWO-SECRET&n=PLAIN-NAME");
    assert_eq!(
        runtime.secrets.redact(&url),
        "https://api.test/x?k=[REDACTED]&n=PLAIN-NAME"
    );
    assert!(!runtime.secrets.contains(&url));
    assert_eq!(r("{{ key | length }}"), "17");
    assert_eq!(r("{{ key | length > 3 }}"), "True");
    assert_eq!(r("{{ key[:3] }}"), "hun");
    assert_eq!(r("{{ name | upper }}"), "PLAIN-NAME");
    for plain in ["17", "True", "hun", "PLAIN-NAME", "https://api.test"] {
        assert!(!runtime.secrets.contains(plain), "{plain}");
    }
}

#[test]
fn env_values_and_blocks_taint_their_output() {
    let (v, runtime) = secret_vars();
    let r = |s: &str| Template::compile(s).unwrap().render(&v).unwrap();
    assert_eq!(
        r("{{ env('COURIER_TEST_TAINT_DOTENV') | upper }}"),
        "DOTENV-SECRET-VALUE"
    );
    assert!(runtime.secrets.contains("DOTENV-SECRET-VALUE"));
    // A default is not an environment value: no taint.
    assert_eq!(
        r("{{ env('COURIER_TEST_SURELY_UNSET', 'default-value') | upper }}"),
        "DEFAULT-VALUE"
    );
    assert!(!runtime.secrets.contains("DEFAULT-VALUE"));
    assert_eq!(
        r("{% if true %}<{{ key | replace('-', '_') }}>{% endif %}"),
        "<hunter_two_secret>"
    );
    assert!(runtime.secrets.contains("<hunter_two_secret>"));
}

#[test]
fn template_syntax_is_found_wherever_it_is() {
    for source in [
        "",
        "{",
        "}",
        "a { b",
        "{ {",
        "{}",
        "a {{ b",
        "{{",
        "{%",
        "{#",
        "x{%y",
        "{#c#}",
        "{{{",
        "{ {{",
        "é{{ x }}",
        "{é",
        "{\n{",
    ] {
        let expected = source.contains("{{") || source.contains("{%") || source.contains("{#");
        assert_eq!(has_template_syntax(source), expected, "{source:?}");
    }
}

#[test]
fn engine_globals_are_known_by_name() {
    for (name, _) in ENGINE.globals() {
        assert!(is_engine_global(name), "{name}");
    }
    assert!(is_engine_global("range"));
    assert!(!is_engine_global("base_url"));
    assert!(!is_engine_global(""));
}
