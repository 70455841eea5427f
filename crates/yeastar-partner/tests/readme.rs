//! The README's usage snippet is the body of `examples/buy.rs`, which CI runs against the
//! sandbox (`cargo run -p yeastar-partner --example buy`): so the code a newcomer copies from
//! the README is code that has bought in the sandbox. The README is also compiled as a doctest
//! (`lib.rs`), so it builds against the crate as published.

fn example_part() -> String {
    let example = include_str!("../examples/buy.rs");
    let after = example
        .split_once("// README begin\n")
        .expect("examples/buy.rs marks the README part with `// README begin`")
        .1;
    after
        .split_once("// README end\n")
        .expect("examples/buy.rs ends the README part with `// README end`")
        .0
        .to_owned()
}

fn readme_snippet() -> String {
    let readme = include_str!("../README.md");
    let after = readme
        .split_once("```rust,no_run\n")
        .expect("the README has a ```rust,no_run block")
        .1;
    after
        .split_once("```\n")
        .expect("the README's rust block ends")
        .0
        .to_owned()
}

#[test]
fn the_readme_snippet_is_the_example_that_buys_in_the_sandbox() {
    let (readme, example) = (readme_snippet(), example_part());
    assert!(
        example.contains("create_order"),
        "the README part of the example places an order"
    );
    assert_eq!(
        readme, example,
        "crates/yeastar-partner/README.md's usage snippet and examples/buy.rs (between the README markers) differ"
    );
}
