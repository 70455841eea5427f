//! `--jq EXPR` (CLI.md section 2): the `--json` output through a jq expression, as `gh --jq`
//! does, with jaq (a jq in Rust). Strings print raw, one result a line; other values as
//! compact JSON. jaq keeps integers exact (machine or big integers) and other numbers as the
//! text they were written with, so a 19-digit ID keeps every digit whether it is a string or a
//! number passed through from the portal.
//!
//! The expression is compiled when the arguments are read, before anything is sent; a
//! failure while it runs is printed on stderr and leaves the exit code as it was.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{data, unwrap_valr, Compiler, Ctx, Vars};
use jaq_json::Val;

type Filter = jaq_core::Filter<data::JustLut<Val>>;

/// A jq expression that compiles.
#[derive(Debug, Clone)]
pub struct Jq {
    expr: String,
}

/// Where in `code` the slice `part` starts, as a 1-based line and column (characters).
fn position(code: &str, part: &str) -> (usize, usize) {
    let offset = (part.as_ptr() as usize)
        .saturating_sub(code.as_ptr() as usize)
        .min(code.len());
    let mut end = offset;
    while !code.is_char_boundary(end) {
        end -= 1;
    }
    let before = &code[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

fn at(code: &str, part: &str) -> String {
    let (line, column) = position(code, part);
    if code.contains('\n') {
        format!("line {line}, column {column}")
    } else {
        format!("column {column}")
    }
}

fn compile(code: &str) -> Result<Filter, String> {
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs());
    let loader = Loader::new(defs);
    let arena = Arena::default();
    let modules = loader
        .load(&arena, File { code, path: () })
        .map_err(|errors| {
            let mut messages = Vec::new();
            for (_, error) in errors {
                match error {
                    jaq_core::load::Error::Io(io) => {
                        for (part, why) in io {
                            messages.push(format!("{why} at {}", at(code, part)));
                        }
                    }
                    jaq_core::load::Error::Lex(lex) => {
                        for (expected, part) in lex {
                            messages.push(format!(
                                "expected {} at {}",
                                expected.as_str(),
                                at(code, part)
                            ));
                        }
                    }
                    jaq_core::load::Error::Parse(parse) => {
                        for (expected, part) in parse {
                            let found = if part.is_empty() {
                                "the end".to_owned()
                            } else {
                                format!("{:?}", part.chars().take(20).collect::<String>())
                            };
                            messages.push(format!(
                                "expected {} at {} (found {found})",
                                expected.as_str(),
                                at(code, part)
                            ));
                        }
                    }
                }
            }
            messages.join("; ")
        })?;
    Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errors| {
            errors
                .into_iter()
                .flat_map(|(_, undefined)| undefined)
                .map(|(name, what)| {
                    format!("undefined {} {name} at {}", what.as_str(), at(code, name))
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
}

impl Jq {
    /// Compiles `expr`: an expression that does not compile is said with its position.
    pub fn new(expr: &str) -> Result<Self, String> {
        compile(expr).map_err(|error| format!("--jq {expr:?} does not compile: {error}"))?;
        Ok(Jq {
            expr: expr.to_owned(),
        })
    }

    /// Runs the expression on a JSON document: the text of each result (strings raw), and the
    /// error that stopped it, if any.
    pub fn run(&self, json: &[u8]) -> (Vec<String>, Option<String>) {
        let filter = match compile(&self.expr) {
            Ok(filter) => filter,
            Err(error) => return (Vec::new(), Some(error)),
        };
        let input = match jaq_json::read::parse_single(json) {
            Ok(input) => input,
            Err(error) => return (Vec::new(), Some(format!("the output is not JSON: {error}"))),
        };
        let ctx = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new([]));
        let mut lines = Vec::new();
        for result in filter.id.run((ctx, input)).map(unwrap_valr) {
            match result {
                Ok(Val::TStr(text)) => lines.push(String::from_utf8_lossy(&text).into_owned()),
                Ok(value) => lines.push(value.to_string()),
                Err(error) => return (lines, Some(error.to_string())),
            }
        }
        (lines, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(expr: &str, json: &str) -> (Vec<String>, Option<String>) {
        Jq::new(expr).unwrap().run(json.as_bytes())
    }

    #[test]
    fn strings_print_raw_and_other_values_as_json() {
        let list =
            r#"[{"orderNo": "LR1", "amount": "120.00"}, {"orderNo": "LR2", "amount": null}]"#;
        assert_eq!(
            run(".[].orderNo", list),
            (vec!["LR1".into(), "LR2".into()], None)
        );
        assert_eq!(
            run(".[0]", list).0,
            [r#"{"orderNo":"LR1","amount":"120.00"}"#]
        );
        assert_eq!(run("length", list).0, ["2"]);
        assert_eq!(
            run(".[] | select(.amount == null) | .orderNo", list).0,
            ["LR2"]
        );
    }

    #[test]
    fn nineteen_digit_ids_keep_every_digit_as_strings_and_as_numbers() {
        let json = r#"{"planId": "3048918321840570368", "api": 3048918321840570368, "big": 123456789012345678901234567890, "price": 120.10}"#;
        assert_eq!(run(".planId", json).0, ["3048918321840570368"]);
        assert_eq!(run(".api", json).0, ["3048918321840570368"]);
        assert_eq!(run(".big", json).0, ["123456789012345678901234567890"]);
        assert_eq!(run(".price", json).0, ["120.10"]);
        assert_eq!(run("{api}", json).0, [r#"{"api":3048918321840570368}"#]);
    }

    #[test]
    fn a_bad_expression_names_its_position() {
        let error = Jq::new(".bad(").unwrap_err();
        assert!(error.contains("does not compile"), "{error}");
        assert!(error.contains("column"), "{error}");
        let error = Jq::new(".a | nosuchfunction").unwrap_err();
        assert!(error.contains("undefined"), "{error}");
        assert!(error.contains("column 6"), "{error}");
    }

    #[test]
    fn a_failure_while_running_is_returned_with_the_results_before_it() {
        let (lines, error) = run(".[] | .a", r#"[{"a": 1}, 2]"#);
        assert_eq!(lines, ["1"]);
        assert!(error.is_some());
    }
}
