//! The shape of the source tree: files small enough to read, layers that never import in a
//! circle, the state backend's concrete types named only inside `state/`, imports a reader can
//! follow (no `use super::*` outside tests), comments that explain themselves instead of
//! citing a document the reader does not have, errors that are types rather than strings, and
//! `wartesaal ctl` reading the admin API through the API's own types.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 900;

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level module (layer) a file belongs to: `src/state/redis/sync.rs` → `state`.
fn layer(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The code of a file without its comments (line comments and doc comments).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(at) => &l[..at],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The layers a file's code names as `crate::<layer>`.
fn imports(code: &str, layers: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if layers.contains(&name) {
            out.insert(name);
        }
    }
    out
}

/// A circle in `graph`, if there is one, as the layers along it.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(found) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(found);
        }
    }
    None
}

#[test]
fn no_source_file_is_longer_than_900_lines() {
    let long: Vec<String> = sources(&src())
        .into_iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(&f).unwrap().lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these: {long:?}");
}

#[test]
fn the_layers_never_import_in_a_circle() {
    let src = src();
    let files = sources(&src);
    let layers: BTreeSet<String> = files
        .iter()
        .map(|f| layer(&src, f))
        .filter(|l| l != "lib" && l != "main")
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let from = layer(&src, file);
        let text = std::fs::read_to_string(file).unwrap();
        let edges = graph.entry(from.clone()).or_default();
        edges.extend(
            imports(&code(&text), &layers)
                .into_iter()
                .filter(|to| *to != from),
        );
    }
    assert!(
        graph["gateway"].contains("site"),
        "the reading sees imports"
    );
    assert_eq!(circle(&graph), None, "import graph: {graph:#?}");
    // The reading finds a circle where there is one.
    let mut bent = graph.clone();
    bent.get_mut("queue").unwrap().insert("gateway".into());
    assert!(circle(&bent).is_some());
}

#[test]
fn nothing_above_state_names_a_concrete_backend() {
    let src = src();
    let concrete = [
        "EmbeddedState",
        "SharedState",
        "StateDir",
        "state::embedded",
        "state::redis",
        "redis::Redis",
    ];
    let mut named = Vec::new();
    for file in sources(&src) {
        if layer(&src, &file) == "state" {
            continue;
        }
        let text = code(&std::fs::read_to_string(&file).unwrap());
        for name in concrete {
            if text.contains(name) {
                named.push(format!("{} names {name}", file.display()));
            }
        }
    }
    assert!(named.is_empty(), "{named:#?}");
}

/// The part of a file that is not test code: nothing for a `tests.rs` file, else what comes
/// before its first `#[cfg(test)]` line (test modules sit at the end of a file).
fn non_test_part(file: &Path, text: &str) -> String {
    if file.to_string_lossy().ends_with("tests.rs") {
        return String::new();
    }
    text.lines()
        .take_while(|l| l.trim() != "#[cfg(test)]")
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn only_tests_import_everything_from_their_parent() {
    const GLOB: &str = "use super::*;";
    let (mut globbed, mut in_tests) = (Vec::new(), 0);
    for file in sources(&src()) {
        let text = std::fs::read_to_string(&file).unwrap();
        let code = code(&non_test_part(&file, &text));
        if code.lines().any(|l| l.trim() == GLOB) {
            globbed.push(file.display().to_string());
        }
        in_tests += text.lines().filter(|l| l.trim() == GLOB).count();
    }
    // The reading sees the globs the test modules keep.
    assert!(in_tests > 0, "no `{GLOB}` found at all");
    assert!(
        globbed.is_empty(),
        "name what these files take from their parent instead of `{GLOB}`: {globbed:#?}"
    );
}

#[test]
fn the_code_cites_no_spec_sections() {
    let cited: Vec<String> = sources(&src())
        .into_iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(&file).unwrap();
            text.lines()
                .enumerate()
                .filter(|(_, l)| l.contains("SPEC §"))
                .map(|(n, _)| format!("{}:{}", file.display(), n + 1))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        cited.is_empty(),
        "say why in the comment's own words, the reader has no SPEC: {cited:#?}"
    );
}

/// The error type of every `Result<T, E>` written on `line`: its last argument.
fn result_errors(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in line.match_indices("Result<") {
        let (mut depth, mut args) = (1, vec![String::new()]);
        let mut prev = ' ';
        for c in line[at + "Result<".len()..].chars() {
            match c {
                '<' => depth += 1,
                '>' if prev != '-' => depth -= 1,
                ',' if depth == 1 => {
                    args.push(String::new());
                    prev = c;
                    continue;
                }
                _ => {}
            }
            if depth == 0 {
                break;
            }
            args.last_mut().unwrap().push(c);
            prev = c;
        }
        if args.len() > 1 {
            out.push(args.last().unwrap().trim().to_string());
        }
    }
    out
}

#[test]
fn errors_are_types_not_strings() {
    let mut stringly = Vec::new();
    for file in sources(&src()) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in code(&non_test_part(&file, &text)).lines().enumerate() {
            if result_errors(line).iter().any(|e| e == "String") {
                stringly.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    // The reading sees one where there is one, and only there.
    assert_eq!(
        result_errors("fn f() -> Result<Vec<Box<dyn Fn() -> u8>>, String> {"),
        ["String"]
    );
    assert_eq!(
        result_errors("fn f() -> Result<String, E> { io::Result<String> }"),
        ["E"]
    );
    assert!(
        stringly.is_empty(),
        "give these an error enum (thiserror) whose variants say what went wrong: {stringly:#?}"
    );
}

/// Whether `line` works with JSON as untyped values rather than through a type.
fn untyped_json(line: &str) -> bool {
    let imports_value = line.trim_start().starts_with("use serde_json")
        && line
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|word| word == "Value");
    line.contains("json!") || line.contains("serde_json::Value") || imports_value
}

#[test]
fn ctl_reads_the_admin_api_through_its_types() {
    let file = src().join("ops").join("ctl.rs");
    let text = std::fs::read_to_string(&file).unwrap();
    let untyped: Vec<String> = code(&non_test_part(&file, &text))
        .lines()
        .enumerate()
        .filter(|(_, line)| untyped_json(line))
        .map(|(n, line)| format!("{}:{}: {}", file.display(), n + 1, line.trim()))
        .collect();
    // The reading sees each way in.
    for line in [
        "let body = json!({});",
        "fn f(v: serde_json::Value) {}",
        "use serde_json::{json, Value};",
    ] {
        assert!(untyped_json(line), "{line}");
    }
    assert!(!untyped_json("use http::header::HeaderValue;"));
    assert!(
        untyped.is_empty(),
        "read and write the admin API through the types in ops/api.rs: {untyped:#?}"
    );
}
