//! The README's table of scope differences is generated from `scope_differences_markdown`.

const START: &str = "<!-- scope-differences:start -->";
const END: &str = "<!-- scope-differences:end -->";

#[test]
fn readme_scope_differences_table_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md is readable");
    let start = readme.find(START).expect("the README has the start marker");
    let end = readme.find(END).expect("the README has the end marker");
    assert!(start < end, "the markers are in order");
    let current = &readme[start + START.len()..end];
    let expected = format!(
        "\n{}",
        courier_emulator::scope_differences_markdown(courier_emulator::DEFAULT_SEED)
    );
    if current == expected {
        return;
    }
    if std::env::var("COURIER_BLESS").as_deref() == Ok("1") {
        let updated = format!(
            "{}{expected}{}",
            &readme[..start + START.len()],
            &readme[end..]
        );
        std::fs::write(path, updated).expect("README.md is writable");
        return;
    }
    panic!(
        "the README's scope-differences table is stale; run with COURIER_BLESS=1 to rewrite it, or put this between the markers:\n{START}{expected}{END}"
    );
}
