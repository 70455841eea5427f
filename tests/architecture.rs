//! The binary's modules import each other in one direction only: no circles (issue 19).
//!
//! `cargo test --test architecture -- --nocapture` prints the count and every circle.
//!
//! How the graph is built, so that a reader can argue with it:
//!
//! - Every `src/**/*.rs` reachable from `src/main.rs` through `mod` declarations (with
//!   `#[path]`) is read and tokenized as rustc does (proc-macro2), so comments, strings and
//!   doc links never count; `mod x { .. }` blocks are modules too.
//! - A reference is any path that starts with `crate::`, `super::`, `self::` or the name of a
//!   child module, in a `use` (groups expanded) or anywhere else (expressions, types, macro
//!   arguments). `super::` is resolved against the module it is written in.
//! - Nodes ("units") are the modules `main.rs` declares, except `commands`, which is only the
//!   dispatcher: each command (`commands::purchase`, `commands::batch`, ...) is its own unit.
//!   A module's descendants are part of its unit (`cli::help` is `cli`,
//!   `commands::purchase::choose` is `commands::purchase`), so a parent and its own children
//!   may use each other; siblings may not go round in a circle.
//! - Code under `#[cfg(test)]` does not count: the layering is that of the shipped binary, and
//!   a test may reach for a fixture from anywhere.
//!
//! The strongly connected components of that graph (Tarjan) with more than one unit are the
//! circles; the test fails listing each one with the lines that close it.

// The count and the circles are printed for `-- --nocapture`: that is the tool's output.
#![allow(clippy::print_stdout)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

/// One place where a module names another.
#[derive(Debug, Clone)]
struct Reference {
    /// The module the path is written in.
    from: Vec<String>,
    /// The absolute path it names, without `crate`.
    to: Vec<String>,
    file: PathBuf,
    line: usize,
}

#[derive(Default)]
struct Crate {
    modules: BTreeSet<Vec<String>>,
    references: Vec<Reference>,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Reads the crate from `main.rs` down.
fn read_crate() -> Crate {
    let mut krate = Crate::default();
    read_file(
        &mut krate,
        &src_dir().join("main.rs"),
        Vec::new(),
        src_dir(),
    );
    krate
}

/// Reads one file holding module `module`; `child_dir` is where its `mod x;` files live.
fn read_file(krate: &mut Crate, file: &Path, module: Vec<String>, child_dir: PathBuf) {
    let text = std::fs::read_to_string(file)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", file.display()));
    let tokens = TokenStream::from_str(&text)
        .unwrap_or_else(|error| panic!("cannot tokenize {}: {error:?}", file.display()));
    read_module(
        krate,
        &tokens.into_iter().collect::<Vec<_>>(),
        module,
        file,
        &child_dir,
    );
}

fn is_ident(token: Option<&TokenTree>, name: &str) -> bool {
    matches!(token, Some(TokenTree::Ident(ident)) if ident == name)
}

fn is_punct(token: Option<&TokenTree>, ch: char) -> bool {
    matches!(token, Some(TokenTree::Punct(punct)) if punct.as_char() == ch)
}

/// `::` at `at`.
fn is_path_sep(tokens: &[TokenTree], at: usize) -> bool {
    matches!(tokens.get(at), Some(TokenTree::Punct(p)) if p.as_char() == ':' && p.spacing() == Spacing::Joint)
        && is_punct(tokens.get(at + 1), ':')
}

fn ident_text(token: Option<&TokenTree>) -> Option<String> {
    match token {
        Some(TokenTree::Ident(ident)) => {
            Some(ident.to_string().trim_start_matches("r#").to_string())
        }
        _ => None,
    }
}

/// The names of the modules declared directly in these tokens.
fn child_modules(tokens: &[TokenTree]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, token) in tokens.iter().enumerate() {
        if is_ident(Some(token), "mod") {
            if let Some(name) = ident_text(tokens.get(at + 1)) {
                names.insert(name);
            }
        }
    }
    names
}

/// What an attribute's bracket group says: `cfg(test)` and `path = ".."`.
fn attribute(group: &TokenStream) -> (bool, Option<String>) {
    let inner: Vec<TokenTree> = group.clone().into_iter().collect();
    if is_ident(inner.first(), "cfg") {
        if let Some(TokenTree::Group(args)) = inner.get(1) {
            let args: Vec<TokenTree> = args.stream().into_iter().collect();
            return (args.len() == 1 && is_ident(args.first(), "test"), None);
        }
    }
    if is_ident(inner.first(), "path") && is_punct(inner.get(1), '=') {
        if let Some(TokenTree::Literal(literal)) = inner.get(2) {
            return (
                false,
                Some(literal.to_string().trim_matches('"').to_string()),
            );
        }
    }
    (false, None)
}

fn read_module(
    krate: &mut Crate,
    tokens: &[TokenTree],
    module: Vec<String>,
    file: &Path,
    child_dir: &Path,
) {
    krate.modules.insert(module.clone());
    let children = child_modules(tokens);
    let mut test_only = false;
    let mut path_attribute: Option<String> = None;
    let mut at = 0;
    while at < tokens.len() {
        let token = &tokens[at];
        // Attributes: remember `#[cfg(test)]` and `#[path]` for the item that follows.
        if is_punct(Some(token), '#') {
            let mut next = at + 1;
            if is_punct(tokens.get(next), '!') {
                next += 1;
            }
            if let Some(TokenTree::Group(group)) = tokens.get(next) {
                if group.delimiter() == Delimiter::Bracket {
                    let (cfg_test, path) = attribute(&group.stream());
                    test_only |= cfg_test;
                    path_attribute = path.or(path_attribute);
                    at = next + 1;
                    continue;
                }
            }
        }
        if is_ident(Some(token), "mod") {
            if let Some(name) = ident_text(tokens.get(at + 1)) {
                let mut child = module.clone();
                child.push(name.clone());
                match tokens.get(at + 2) {
                    Some(TokenTree::Group(body)) if !test_only => {
                        let body: Vec<TokenTree> = body.stream().into_iter().collect();
                        read_module(krate, &body, child, file, &child_dir.join(&name));
                    }
                    _ if !test_only => {
                        let child_file = match &path_attribute {
                            // Relative to the folder of the file that declares it.
                            Some(path) => file.parent().unwrap_or(child_dir).join(path),
                            None if child_dir.join(format!("{name}.rs")).exists() => {
                                child_dir.join(format!("{name}.rs"))
                            }
                            None => child_dir.join(&name).join("mod.rs"),
                        };
                        read_file(krate, &child_file, child, child_dir.join(&name));
                    }
                    _ => {}
                }
                at += 3;
                test_only = false;
                path_attribute = None;
                continue;
            }
        }
        // The end of an item: attributes seen so far belonged to it.
        let item_end = is_punct(Some(token), ';')
            || matches!(token, TokenTree::Group(group) if group.delimiter() == Delimiter::Brace);
        if test_only {
            if item_end {
                test_only = false;
                path_attribute = None;
            }
            at += 1;
            continue;
        }
        if is_ident(Some(token), "use") {
            let end = (at..tokens.len())
                .find(|&end| is_punct(tokens.get(end), ';'))
                .unwrap_or(tokens.len());
            let line = token.span().start().line;
            for path in use_paths(&tokens[at + 1..end], Vec::new()) {
                record(krate, &module, &children, path, file, line);
            }
            at = end + 1;
            continue;
        }
        if let TokenTree::Group(group) = token {
            let inner: Vec<TokenTree> = group.stream().into_iter().collect();
            read_tokens(krate, &inner, &module, &children, file);
        } else if let Some(name) = ident_text(Some(token)) {
            let after_sep = at >= 2 && is_path_sep(tokens, at - 2);
            if !after_sep && is_path_sep(tokens, at + 1) {
                let (path, next) = path_from(tokens, at, name);
                record(
                    krate,
                    &module,
                    &children,
                    path,
                    file,
                    token.span().start().line,
                );
                at = next;
                continue;
            }
        }
        if item_end {
            path_attribute = None;
        }
        at += 1;
    }
}

/// Paths in tokens that hold no items (function bodies, macro arguments, ...).
fn read_tokens(
    krate: &mut Crate,
    tokens: &[TokenTree],
    module: &[String],
    children: &BTreeSet<String>,
    file: &Path,
) {
    let mut at = 0;
    while at < tokens.len() {
        let token = &tokens[at];
        match token {
            TokenTree::Group(group) => {
                let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                read_tokens(krate, &inner, module, children, file);
            }
            TokenTree::Ident(_) if is_ident(Some(token), "use") => {
                let end = (at..tokens.len())
                    .find(|&end| is_punct(tokens.get(end), ';'))
                    .unwrap_or(tokens.len());
                let line = token.span().start().line;
                for path in use_paths(&tokens[at + 1..end], Vec::new()) {
                    record(krate, module, children, path, file, line);
                }
                at = end + 1;
                continue;
            }
            TokenTree::Ident(_) => {
                let name = ident_text(Some(token)).unwrap_or_default();
                let after_sep = at >= 2 && is_path_sep(tokens, at - 2);
                if !after_sep && is_path_sep(tokens, at + 1) {
                    let (path, next) = path_from(tokens, at, name);
                    record(
                        krate,
                        module,
                        children,
                        path,
                        file,
                        token.span().start().line,
                    );
                    at = next;
                    continue;
                }
            }
            _ => {}
        }
        at += 1;
    }
}

/// `a::b::c` starting at `at`; returns the segments and the index after them.
fn path_from(tokens: &[TokenTree], at: usize, first: String) -> (Vec<String>, usize) {
    let mut path = vec![first];
    let mut next = at + 1;
    while is_path_sep(tokens, next) {
        match ident_text(tokens.get(next + 2)) {
            Some(segment) => {
                path.push(segment);
                next += 3;
            }
            None => break,
        }
    }
    (path, next)
}

/// Every path a use tree names: `crate::{a, b::{c, d}}` is `crate::a`, `crate::b::c`, ...
fn use_paths(tokens: &[TokenTree], prefix: Vec<String>) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for part in tokens.split(|token| is_punct(Some(token), ',')) {
        let mut path = prefix.clone();
        let mut group_seen = false;
        for token in part {
            match token {
                TokenTree::Ident(ident) if ident == "as" => break,
                TokenTree::Ident(ident) if ident == "self" && !path.is_empty() => {}
                TokenTree::Ident(_) => path.push(ident_text(Some(token)).unwrap_or_default()),
                TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => {
                    let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                    paths.extend(use_paths(&inner, path.clone()));
                    group_seen = true;
                    break;
                }
                _ => {}
            }
        }
        if !group_seen && !part.is_empty() && !path.is_empty() {
            paths.push(path);
        }
    }
    paths
}

/// Resolves a path written in `module` and keeps it when it names a module of this crate.
fn record(
    krate: &mut Crate,
    module: &[String],
    children: &BTreeSet<String>,
    path: Vec<String>,
    file: &Path,
    line: usize,
) {
    let mut rest = path.as_slice();
    let mut base: Vec<String> = match rest.first().map(String::as_str) {
        Some("crate") => {
            rest = &rest[1..];
            Vec::new()
        }
        Some("self") => {
            rest = &rest[1..];
            module.to_vec()
        }
        Some("super") => module.to_vec(),
        Some(name) if children.contains(name) => module.to_vec(),
        _ => return,
    };
    while rest.first().map(String::as_str) == Some("super") {
        base.pop();
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    krate.references.push(Reference {
        from: module.to_vec(),
        to: base,
        file: file.to_path_buf(),
        line,
    });
}

/// The units: the modules `main.rs` declares, and each command under `commands`.
fn units(krate: &Crate) -> BTreeSet<Vec<String>> {
    krate
        .modules
        .iter()
        .filter(|module| module.len() == 1 || (module.len() == 2 && module[0] == "commands"))
        .cloned()
        .collect()
}

/// The unit a module or item path belongs to: its longest prefix that is a unit.
fn unit_of(units: &BTreeSet<Vec<String>>, path: &[String]) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|len| path[..len].to_vec())
        .find(|prefix| units.contains(prefix))
        .map(|unit| unit.join("::"))
}

type Graph = BTreeMap<String, BTreeMap<String, Vec<Reference>>>;

fn graph(krate: &Crate) -> Graph {
    let units = units(krate);
    let mut graph = Graph::new();
    for unit in &units {
        graph.entry(unit.join("::")).or_default();
    }
    for reference in &krate.references {
        let (Some(from), Some(to)) = (
            unit_of(&units, &reference.from),
            unit_of(&units, &reference.to),
        ) else {
            continue;
        };
        if from != to {
            graph
                .entry(from)
                .or_default()
                .entry(to)
                .or_default()
                .push(reference.clone());
        }
    }
    graph
}

/// Tarjan's strongly connected components with more than one node.
fn circles(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        components: Vec<Vec<String>>,
    }
    fn visit<'g>(state: &mut State<'g>, node: &'g str) {
        let index = state.index.len();
        state.index.insert(node, index);
        state.low.insert(node, index);
        state.stack.push(node);
        state.on_stack.insert(node);
        for next in state.graph[node].keys() {
            let next = next.as_str();
            if !state.index.contains_key(next) {
                visit(state, next);
                let low = state.low[node].min(state.low[next]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(next) {
                let low = state.low[node].min(state.index[next]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(member);
                component.push(member.to_string());
                if member == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.components.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.components.sort();
    state.components
}

/// Each circle with the edges inside it and where each edge is written (first few places).
fn describe(graph: &Graph, circles: &[Vec<String>]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut text = String::new();
    for (number, members) in circles.iter().enumerate() {
        text.push_str(&format!(
            "circle {}: {}\n",
            number + 1,
            members.join(" <-> ")
        ));
        for from in members {
            for (to, references) in &graph[from] {
                if !members.contains(to) {
                    continue;
                }
                text.push_str(&format!("  {from} -> {to}\n"));
                for reference in references.iter().take(3) {
                    let file = reference.file.strip_prefix(root).unwrap_or(&reference.file);
                    text.push_str(&format!(
                        "      {}:{} uses crate::{}\n",
                        file.display(),
                        reference.line,
                        reference.to.join("::")
                    ));
                }
                if references.len() > 3 {
                    text.push_str(&format!("      ... and {} more\n", references.len() - 3));
                }
            }
        }
    }
    text
}

#[test]
fn no_import_circles_between_the_binarys_modules() {
    let krate = read_crate();
    let graph = graph(&krate);
    let circles = circles(&graph);
    let edges: usize = graph.values().map(BTreeMap::len).sum();
    println!(
        "{} units, {} edges, {} import circles",
        graph.len(),
        edges,
        circles.len()
    );
    let description = describe(&graph, &circles);
    println!("{description}");
    assert!(
        circles.is_empty(),
        "{} import circles between the binary's modules (each must go one way only):\n{description}",
        circles.len()
    );
}

/// The reader itself: a made-up crate with one circle through `super::` and a group import,
/// one reference inside `#[cfg(test)]` that must not count, and a parent using its child.
#[test]
fn the_circle_counter_sees_super_groups_and_skips_tests() {
    let mut krate = Crate::default();
    let main: Vec<TokenTree> = TokenStream::from_str(
        r#"
        mod a { use crate::{b::{self, Thing}, c}; fn f() { super::b::g(); } }
        mod b { pub fn g() { super::a::f(); } }
        mod c { #[cfg(test)] mod tests { use crate::d::X; } pub fn h() { inner::x(); } mod inner {} }
        mod d { fn k() { let _ = format!("{}", crate::c::h()); } }
        mod commands { pub mod one { fn f() { crate::commands::two::g(); } } pub mod two { fn g() { super::one::f(); } } }
        "#,
    )
    .unwrap()
    .into_iter()
    .collect();
    read_module(
        &mut krate,
        &main,
        Vec::new(),
        Path::new("main.rs"),
        &src_dir(),
    );
    let graph = graph(&krate);
    assert_eq!(
        circles(&graph),
        vec![
            vec!["a".to_string(), "b".to_string()],
            vec!["commands::one".to_string(), "commands::two".to_string()],
        ],
        "{graph:#?}"
    );
    assert!(graph["d"].contains_key("c"), "a path inside a macro counts");
    assert!(
        !graph["c"].contains_key("d"),
        "code under #[cfg(test)] does not count"
    );
    assert!(graph["a"].contains_key("c"), "a group import counts");
}
